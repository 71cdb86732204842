import { PRICES } from '../../../bench/prices';
import type { Violation } from '../../../sim/core/invariants';
import type { ExecutionRecord } from '../../../sim/core/world';
import type { LambdaInvocation } from '../../../sim/runner/lambda';
import type { KeyWindow } from '../../../sim/scenarios/floors';
import {
  duration,
  gbSeconds,
  type SceneRecord,
  summarizeScene,
  timedOutCommand,
  windowText,
} from '../../../sim/scene-summary';

const arn = (name: string) => `arn:aws:states:us-east-1:111122223333:execution:sm:${name}`;

function exec(
  name: string,
  stateMachine: string,
  transitions: number,
  extra: Partial<ExecutionRecord> = {},
): ExecutionRecord {
  return {
    executionArn: arn(name),
    name,
    stateMachine,
    region: 'us-east-1',
    status: 'SUCCEEDED',
    startedAt: 0,
    stoppedAt: 1000,
    input: {},
    history: [],
    transitions,
    children: [],
    ...extra,
  };
}

/** A small fake world: a bootstrap with a command child that has its own child, a failover, a dispatch call. */
function fakeWorld(): { executions: ExecutionRecord[]; lambdaInvocations: LambdaInvocation[] } {
  const grandchild = exec('probe', 'node-command', 3, { parentArn: arn('configure') });
  const child = exec('configure', 'node-command', 5, { parentArn: arn('boot'), children: [grandchild] });
  const root = exec('boot', 'node-bootstrap', 10, { children: [child] });
  const failover = exec('fo', 'primary-failover', 7, { status: 'FAILED', error: 'FailoverFailed' });
  const call = (executionArn: string | undefined, durationMs: number): LambdaInvocation => ({
    at: 0,
    region: 'us-east-1',
    functionName: 'f',
    memoryMb: 512,
    durationMs,
    ...(executionArn !== undefined ? { executionArn } : {}),
  });
  return {
    executions: [root, child, grandchild, failover],
    lambdaInvocations: [call(arn('configure'), 0), call(arn('probe'), 2000), call(undefined, 10)],
  };
}

function record(overrides: Partial<SceneRecord> = {}): SceneRecord {
  return {
    scene: { name: 'fake' },
    seed: 3,
    virtualMs: 60_000,
    ...fakeWorld(),
    violations: [],
    notModelled: [],
    ...overrides,
  };
}

const violation = (invariant: Violation['invariant'], at: number, clearedAt?: number): Violation => ({
  at,
  invariant,
  message: `${invariant} broke`,
  ...(clearedAt !== undefined ? { clearedAt } : {}),
});

describe('summarizeScene', () => {
  it('counts executions and transitions of the whole world, and passes a clean scene', () => {
    const s = summarizeScene(record());
    expect(s.outcome).toBe('passed');
    expect(s.why).toEqual([]);
    expect(s.executions).toEqual({ total: 4, succeeded: 3, failed: 1 });
    expect(s.transitions).toBe(25);
    expect(s.lambda.requests).toBe(3);
    expect(s.invariants).toEqual({ held: true, violations: [], accepted: 0 });
  });

  it('groups transitions, Lambda requests and dollars per root run, descendants included', () => {
    const runs = summarizeScene(record()).runs;
    expect(runs.map((r) => [r.stateMachine, r.executions, r.transitions, r.lambdaRequests])).toEqual([
      ['node-bootstrap', 3, 18, 2],
      ['primary-failover', 1, 7, 0],
    ]);
    // 18 transitions, 2 requests, 1 ms + 2,000 ms at 0.5 GB.
    const expected =
      18 * PRICES.sfnStandardTransition.usd +
      2 * PRICES.lambdaRequest.usd +
      (0.001 + 2) * 0.5 * PRICES.lambdaArmGbSecond.usd;
    expect(runs[0]?.dollars).toBeCloseTo(expected, 12);
    expect(runs[1]?.error).toBe('FailoverFailed');
  });

  it('prices the whole scene: transitions plus every Lambda request, those no workflow made included', () => {
    const s = summarizeScene(record());
    expect(s.dollars.stepFunctions).toBeCloseTo(25 * PRICES.sfnStandardTransition.usd, 12);
    expect(s.dollars.lambda).toBeCloseTo(
      3 * PRICES.lambdaRequest.usd + (0.001 + 2 + 0.01) * 0.5 * PRICES.lambdaArmGbSecond.usd,
      12,
    );
    expect(s.dollars.total).toBeCloseTo(s.dollars.stepFunctions + s.dollars.lambda, 12);
  });

  it("fails with the scene's own error first", () => {
    const s = summarizeScene(record({ error: 'expectation failed: one ready primary' }));
    expect(s.outcome).toBe('failed');
    expect(s.why).toEqual(['expectation failed: one ready primary']);
  });

  it('fails on a violation, and accepts an injected episode only within its bound', () => {
    const scene = { name: 'fake', injected: [{ invariant: 'single-primary', withinMs: 10_000 }] as const };
    const within = summarizeScene(record({ scene, violations: [violation('single-primary', 0, 5_000)] }));
    expect(within.outcome).toBe('passed');
    expect(within.invariants).toEqual({ held: true, violations: [], accepted: 1 });
    const past = summarizeScene(record({ scene, violations: [violation('single-primary', 0, 20_000)] }));
    expect(past.outcome).toBe('failed');
    expect(past.invariants.violations).toEqual(['single-primary: single-primary broke']);
    const other = summarizeScene(record({ scene, violations: [violation('no-secrets', 0)] }));
    expect(other.why).toEqual(['no-secrets: no-secrets broke']);
  });

  it("accepts what the scene's premise causes, up to its count and only with a matching message", () => {
    const scene = {
      name: 'fake',
      premise: [{ invariant: 'lifecycle-timeout', message: /hook other-team/, count: 1 }] as const,
    };
    const theirs = {
      ...violation('lifecycle-timeout', 0),
      message: 'timed out (hook other-team, heartbeat)',
    };
    const ours = { ...violation('lifecycle-timeout', 0), message: 'timed out (hook ours, heartbeat)' };
    const one = summarizeScene(record({ scene, violations: [theirs] }));
    expect(one.invariants).toEqual({ held: true, violations: [], accepted: 1 });
    expect(
      summarizeScene(record({ scene, violations: [theirs, theirs] })).invariants.violations,
    ).toHaveLength(1);
    expect(summarizeScene(record({ scene, violations: [ours] })).outcome).toBe('failed');
  });

  it('fails on a call the twin does not model, said once even when the invariant has recorded it too', () => {
    const notModelled = [{ message: 'the twin does not model ec2:Foo' }];
    expect(summarizeScene(record({ notModelled })).why).toEqual(['1 call(s) the twin does not model']);
    const both = summarizeScene(record({ notModelled, violations: [violation('twin-not-modelled', 0)] }));
    expect(both.why).toEqual(['twin-not-modelled: twin-not-modelled broke']);
  });

  it('fails while an execution is still running', () => {
    const w = fakeWorld();
    w.executions.push(exec('stuck', 'node-drain', 4, { status: 'RUNNING' }));
    const s = summarizeScene(record(w));
    expect(s.outcome).toBe('failed');
    expect(s.why).toEqual(['1 execution(s) still running: stuck']);
  });

  it('lists the node commands that ended timed out with their transitions', () => {
    const w = fakeWorld();
    w.executions.push(exec('slow', 'node-command', 40, { status: 'FAILED', error: 'CommandTimedOut' }));
    expect(summarizeScene(record(w)).timedOutCommands).toEqual([{ name: 'slow', transitions: 40 }]);
  });
});

describe('timedOutCommand', () => {
  const failedWith = (status: string) =>
    exec('c', 'node-command', 9, {
      status: 'FAILED',
      error: 'CommandFailed',
      history: [
        {
          at: 0,
          type: 'StateEntered',
          state: 'NodeCommandFailed',
          data: { state: { input: { invocation: { status } } } },
        },
      ],
    });
  it('is a node-command that ended CommandTimedOut, TIMED_OUT, or failed on SSM TimedOut', () => {
    expect(
      timedOutCommand(exec('c', 'node-command', 9, { status: 'FAILED', error: 'CommandTimedOut' })),
    ).toBe(true);
    expect(timedOutCommand(exec('c', 'node-command', 9, { status: 'TIMED_OUT' }))).toBe(true);
    expect(timedOutCommand(failedWith('TimedOut'))).toBe(true);
  });
  it('is not a failed, succeeded, running or other workflow run', () => {
    expect(timedOutCommand(failedWith('Failed'))).toBe(false);
    expect(timedOutCommand(exec('c', 'node-command', 9))).toBe(false);
    expect(timedOutCommand(exec('c', 'node-command', 9, { status: 'RUNNING' }))).toBe(false);
    expect(timedOutCommand(exec('c', 'node-bootstrap', 9, { status: 'TIMED_OUT' }))).toBe(false);
  });
});

describe('formatting', () => {
  const w = (windowMs: number, floorMs: number): KeyWindow => ({
    kind: 'primary-loss',
    label: 'no ready primary',
    windowMs,
    floorMs,
    parts: {},
  });
  it('writes a window against its floor as "4m12s / 3m05s = 1.36×"', () => {
    expect(windowText(w(252_000, 185_000))).toBe('4m12s / 3m05s = 1.36×');
    expect(windowText(undefined)).toBe('—');
    expect(windowText(w(5_000, 0))).toBe('5s / 0s = n/a');
  });
  it('writes durations in s, m and h', () => {
    expect(duration(38_400)).toBe('38s');
    expect(duration(61_000)).toBe('1m01s');
    expect(duration(3_720_000)).toBe('1h02m');
  });
  it('bills at least 1 ms per request', () => {
    expect(gbSeconds([{ at: 0, region: 'r', functionName: 'f', memoryMb: 1024, durationMs: 0 }])).toBe(0.001);
  });
});
