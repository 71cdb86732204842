/** `hactl audit` and `hactl dlq list|replay` against a stubbed operations Lambda. */
import { type Answers, CALLER, lambdaAnswer, opsRequests, run } from './helpers';

type Reply = (req: Record<string, unknown>) => { body: unknown; error?: string };

function ops(reply: Reply): Answers {
  return {
    'lambda.InvokeCommand': (input) => {
      const r = reply(JSON.parse(Buffer.from(input.Payload as Uint8Array).toString('utf8')));
      return lambdaAnswer(r.body, r.error);
    },
  };
}

describe('hactl audit', () => {
  const entries = [
    {
      at: '2026-12-02T03:00:00.000Z',
      id: 'a',
      kind: 'pause',
      actor: CALLER,
      reason: 'db maintenance',
      outcome: 'paused',
    },
    {
      at: '2026-12-02T03:30:00.000Z',
      id: 'b',
      kind: 'report',
      workflow: 'primary-failover',
      decision: 'elect',
      outcome: 'SUCCEEDED',
    },
  ];
  const answer = (req: Record<string, unknown>) => ({
    body: {
      since: String(req.since).slice(0, 19),
      until: String(req.until).slice(0, 19),
      count: entries.length,
      entries,
    },
  });

  it('asks for the window --since back from now and prints a table', async () => {
    const r = await run(['audit', '--since', '2h'], ops(answer));
    expect(r.code).toBe(0);
    expect(opsRequests(r.calls)).toEqual([
      { op: 'audit', since: '2026-12-02T02:00:00.000Z', until: '2026-12-02T04:00:00.000Z' },
    ]);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^AT\s+KIND\s+WHAT\s+ACTOR\s+REASON$/);
    expect(lines[1]).toMatch(
      /^2026-12-02T03:00:00Z\s+pause\s+paused\s+arn:aws:sts::111122223333:assumed-role\/oncall\/alice\s+db maintenance$/,
    );
    expect(lines[2]).toMatch(
      /^2026-12-02T03:30:00Z\s+report\s+primary-failover · elect · SUCCEEDED\s+-\s+-$/,
    );
  });

  it('--json is the op answer with the region; --limit is passed; bad values are usage errors', async () => {
    const r = await run(['--json', 'audit', '--limit', '5'], ops(answer));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ region: 'eu-west-1', count: 2, entries });
    expect(opsRequests(r.calls)[0]).toMatchObject({ op: 'audit', limit: 5 });
    const a = await run(['audit', '--limit', '0'], ops(answer));
    expect(a.code).toBe(1);
    expect(a.err).toBe('hactl: --limit takes 1 to 1000 (got 0)\n');
    const b = await run(['audit', '--since', 'forever'], ops(answer));
    expect(b.code).toBe(1);
    expect(opsRequests([...a.calls, ...b.calls])).toEqual([]);
  });

  it('an empty window says so', async () => {
    const r = await run(
      ['audit'],
      ops((req) => ({ body: { since: req.since, until: req.until, count: 0, entries: [] } })),
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^no audit entries in eu-west-1 between /);
  });
});

describe('hactl dlq', () => {
  const letters = [
    {
      messageId: 'm-1',
      shape: 'lambda-destination',
      target: 'dispatch',
      detailType: 'CloudWatch Alarm State Change',
      error: 'Task timed out',
      ageSeconds: 600,
    },
    {
      messageId: 'm-2',
      shape: 'rule-target',
      target: 'reconciler',
      detailType: 'Scheduled Event',
      error: 'throttled',
      ageSeconds: 120,
      stale: true,
    },
  ];

  it('list: a peek (audited with the actor), table and --json', async () => {
    const reply: Reply = () => ({ body: { messages: letters, count: 2, audited: 'AUDIT#x' } });
    const r = await run(['dlq', 'list', '--max', '20'], ops(reply));
    expect(r.code).toBe(0);
    expect(opsRequests(r.calls)).toEqual([{ op: 'dead-letters-list', actor: CALLER, max: 20 }]);
    expect(r.out).toMatch(/^MESSAGE\s+TARGET\s+EVENT\s+AGE\s+ERROR\n/);
    expect(r.out).toMatch(/m-2\s+reconciler\s+Scheduled Event \(stale tick\)\s+2m\s+throttled/);
    const j = await run(['--json', 'dlq', 'list'], ops(reply));
    expect(JSON.parse(j.out)).toEqual({ region: 'eu-west-1', count: 2, messages: letters });
    const e = await run(
      ['dlq', 'list'],
      ops(() => ({ body: { messages: [], count: 0 } })),
    );
    expect(e.out).toBe('the dead-letter queue of eu-west-1 is empty\n');
  });

  const replayReply =
    (failed = 0): Reply =>
    (req) =>
      req.dryRun
        ? {
            body: {
              dryRun: true,
              replayed: 0,
              discarded: 0,
              kept: 1,
              failed: 0,
              wouldReplay: 1,
              wouldDiscard: 0,
              results: [
                { messageId: 'm-1', result: 'would-replay' },
                { messageId: 'm-2', result: 'kept', reason: 'a past scheduled tick' },
              ],
            },
          }
        : {
            body: {
              dryRun: false,
              replayed: 1 - failed,
              discarded: 0,
              kept: 1,
              failed,
              results: [
                {
                  messageId: 'm-1',
                  result: failed ? 'failed' : 'replayed',
                  ...(failed ? { reason: 'the function failed again (Error)' } : {}),
                },
              ],
            },
          };

  it('replay: the dry run first, then (with --yes) the replay; both with actor and reason', async () => {
    const r = await run(
      ['dlq', 'replay', '--reason', 'dispatch fixed', '--message-id', 'm-1', 'm-2', '--yes'],
      ops(replayReply()),
    );
    expect(r.code).toBe(0);
    const base = {
      op: 'dead-letters-replay',
      actor: CALLER,
      reason: 'dispatch fixed',
      messageIds: ['m-1', 'm-2'],
    };
    expect(opsRequests(r.calls)).toEqual([{ ...base, dryRun: true }, base]);
    expect(r.out).toContain('dry run: would replay 1, would discard 0, keep 1');
    expect(r.out).toContain('replayed 1, discarded 0, kept 1, failed 0');
  });

  it('replay --dry-run stops after the verdict; without --yes off a TTY it is refused (exit 2)', async () => {
    const d = await run(['dlq', 'replay', '--reason', 'x', '--dry-run'], ops(replayReply()));
    expect(d.code).toBe(0);
    expect(opsRequests(d.calls).map((q) => q.dryRun)).toEqual([true]);
    const n = await run(['dlq', 'replay', '--reason', 'x'], ops(replayReply()));
    expect(n.code).toBe(2);
    expect(opsRequests(n.calls).map((q) => q.dryRun)).toEqual([true]);
  });

  it('a replay that fails again is exit 3; nothing to replay is exit 0 without a second call', async () => {
    const f = await run(['--json', 'dlq', 'replay', '--reason', 'x', '--yes'], ops(replayReply(1)));
    expect(f.code).toBe(3);
    expect(JSON.parse(f.out)).toMatchObject({ region: 'eu-west-1', failed: 1 });
    const none = await run(
      ['dlq', 'replay', '--reason', 'x', '--yes'],
      ops(() => ({
        body: {
          dryRun: true,
          replayed: 0,
          discarded: 0,
          kept: 0,
          failed: 0,
          wouldReplay: 0,
          wouldDiscard: 0,
          results: [],
        },
      })),
    );
    expect(none.code).toBe(0);
    expect(none.out).toContain('nothing to replay');
    expect(opsRequests(none.calls)).toHaveLength(1);
  });
});
