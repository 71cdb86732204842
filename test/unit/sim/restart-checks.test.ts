import type { NodeStatus } from '../../../sim/core/contracts';
import {
  expectSerialStarts,
  joinLockHolds,
  longestHeartbeatGap,
  startEpisodes,
} from '../../../sim/scenarios/restart-checks';
import type { Twin } from '../../../sim/twin';

const S = 1000;

interface FakeNode {
  id: string;
  statuses: [number, NodeStatus][];
  failureReason?: string;
}
interface FakeHold {
  name: string;
  instanceId: string;
  acquiredAt: number;
  releasedAt?: number;
  acquired?: boolean;
  stoppedAt?: number;
}

/** Just enough of a twin for the checks: nodes with status logs, executions with histories, a timeline. */
function twinOf(
  nodes: FakeNode[],
  holds: FakeHold[] = [],
  entries: { at: number; message: string; data?: Record<string, unknown> }[] = [],
): Twin {
  const executions = holds.map((h) => ({
    name: h.name,
    region: 'r',
    input: h.name.startsWith('candidate')
      ? { candidate: { instanceId: h.instanceId } }
      : { instanceId: h.instanceId },
    stoppedAt: h.stoppedAt,
    history: [
      { at: h.acquiredAt - S, type: 'StateEntered', state: 'AcquireJoinLock' },
      {
        at: h.acquiredAt,
        type: 'StateExited',
        state: h.name.startsWith('candidate') ? 'AcquirePromotionJoinLock' : 'AcquireJoinLock',
        data: { state: { output: { cluster: 'c', joinLock: { acquired: h.acquired ?? true } } } },
      },
      ...(h.releasedAt !== undefined
        ? [{ at: h.releasedAt, type: 'StateEntered', state: 'ReleaseJoinLock' }]
        : []),
    ],
  }));
  const instances = nodes.map((n) => ({
    id: n.id,
    node: { statusLog: n.statuses.map(([at, status]) => ({ at, status })), failureReason: n.failureReason },
  }));
  return {
    world: {
      regionNames: ['r'],
      clock: { startAt: 0, now: () => 3_600 * S },
      region: () => ({ ec2: { instances: () => instances } }),
      executions,
      timeline: { entries: entries.map((e) => ({ region: 'r', source: 'asg', ...e })) },
    },
  } as unknown as Twin;
}

const joined = (id: string, from: number, ready: number): FakeNode => ({
  id,
  statuses: [
    [from - 60 * S, 'stopped'],
    [from, 'starting'],
    [ready, 'running'],
  ],
});

describe('serial starts, from the nodes’ status logs and the join lock’s holds', () => {
  it('passes starts one after the other, each inside a hold of the lock on its node until it is ready', () => {
    const twin = twinOf(
      [joined('i-a', 100 * S, 200 * S), joined('i-b', 300 * S, 400 * S)],
      [
        { name: 'boot-a', instanceId: 'i-a', acquiredAt: 90 * S, releasedAt: 210 * S },
        { name: 'boot-b', instanceId: 'i-b', acquiredAt: 290 * S, releasedAt: 410 * S },
      ],
    );
    expect(startEpisodes(twin, 'r')).toEqual([
      { instanceId: 'i-a', from: 100 * S, to: 200 * S, outcome: 'running' },
      { instanceId: 'i-b', from: 300 * S, to: 400 * S, outcome: 'running' },
    ]);
    expect(expectSerialStarts(twin, 'r')).toBe(2);
  });

  it('fails a start that begins while another node is starting', () => {
    const twin = twinOf([joined('i-a', 100 * S, 200 * S), joined('i-b', 150 * S, 260 * S)], []);
    expect(() => expectSerialStarts(twin, 'r')).toThrow(
      /i-b started at T\+2.50 min while i-a was starting \(T\+1.67 min to T\+3.33 min\)/,
    );
  });

  it('fails a lock given back before the node was ready, even when no other start overlapped', () => {
    const twin = twinOf(
      [joined('i-a', 100 * S, 200 * S)],
      [{ name: 'boot-a', instanceId: 'i-a', acquiredAt: 90 * S, releasedAt: 120 * S }],
    );
    expect(() => expectSerialStarts(twin, 'r')).toThrow(/i-a's start .* outlasted boot-a's join lock/);
  });

  it('fails a restart without the lock (a promotion), and does not count a refused acquisition as a hold', () => {
    const promoted: FakeNode = {
      id: 'i-c',
      statuses: [
        [0, 'running'],
        [100 * S, 'stopping'],
        [120 * S, 'starting'],
        [240 * S, 'running'],
      ],
    };
    const refused = twinOf(
      [promoted],
      [{ name: 'candidate-1', instanceId: 'i-c', acquiredAt: 90 * S, acquired: false, releasedAt: 250 * S }],
    );
    expect(joinLockHolds(refused, 'r')).toEqual([]);
    expect(() => expectSerialStarts(refused, 'r')).toThrow(/i-c started at T\+2.00 min without holding/);
    const held = twinOf(
      [promoted],
      [{ name: 'candidate-1', instanceId: 'i-c', acquiredAt: 90 * S, releasedAt: 250 * S }],
    );
    expect(expectSerialStarts(held, 'r')).toBe(1);
  });

  it('fails a node that Artifactory reports as started in parallel, and a start still open past its hold', () => {
    const failed: FakeNode = {
      id: 'i-d',
      statuses: [[0, 'stopped']],
      failureReason: 'started in parallel with i-e',
    };
    expect(() => expectSerialStarts(twinOf([failed]), 'r')).toThrow(/i-d failed: started in parallel/);
    const stalled: FakeNode = { id: 'i-e', statuses: [[100 * S, 'starting']] };
    const ended = twinOf(
      [stalled],
      [{ name: 'boot-e', instanceId: 'i-e', acquiredAt: 90 * S, stoppedAt: 500 * S }],
    );
    expect(() => expectSerialStarts(ended, 'r')).toThrow(/outlasted boot-e's join lock, released at T\+8.33/);
  });
});

describe('heartbeat gaps of a lifecycle action', () => {
  const action = (token: string) => [
    { at: 0, message: 'g: i-a Pending:Wait (hook h)', data: { token } },
    { at: 300 * S, message: 'g: heartbeat for i-a (hook h)', data: { token, heartbeat: true } },
    { at: 1000 * S, message: 'g: heartbeat for i-a (hook h)', data: { token, heartbeat: true } },
  ];

  it('measures from the start, between heartbeats, to the completion', () => {
    const entries = [
      ...action('t1'),
      {
        at: 1100 * S,
        message: 'g: lifecycle action for i-a completed with CONTINUE (hook h)',
        data: { token: 't1' },
      },
      { at: 9000 * S, message: 'g: something else about i-b', data: { token: 'other' } },
    ];
    expect(longestHeartbeatGap(twinOf([], [], entries), 'i-a', 'r')).toBe(700 * S);
  });

  it('counts an action still waiting up to now', () => {
    expect(longestHeartbeatGap(twinOf([], [], action('t2')), 'i-a', 'r')).toBe((3_600 - 1000) * S);
  });
});
