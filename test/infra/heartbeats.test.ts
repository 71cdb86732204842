import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { HOOKS } from '../../infra/node-lifecycle';
import {
  FUNCTION_TIMEOUT_SECONDS,
  type FunctionName,
  STATEMACHINES_DIR,
  stateMachineArnPlaceholder,
} from '../../infra/workflow-definitions';
import {
  type AslMachine,
  type AslState,
  type GapModel,
  heartbeatStretches,
  retryDelays,
  taskCost,
} from './heartbeat-gaps';

/** Seconds kept free below the hook's heartbeat timeout: the walk's worst case must leave them unused. */
const MARGIN_SECONDS = 120;

const WORKFLOWS = readdirSync(STATEMACHINES_DIR)
  .filter((f) => f.endsWith('.asl.json'))
  .map((f) => f.replace(/\.asl\.json$/, ''));

const fromFiles: GapModel = {
  load: (name) => JSON.parse(readFileSync(path.join(STATEMACHINES_DIR, `${name}.asl.json`), 'utf8')),
  childOf: (state) => {
    const arn = (state.Parameters as { StateMachineArn?: string } | undefined)?.StateMachineArn;
    return WORKFLOWS.find((w) => arn === `\${${stateMachineArnPlaceholder(w)}}`);
  },
  functionTimeout: (state) => {
    const arn = String((state.Parameters as { FunctionName?: string } | undefined)?.FunctionName ?? '');
    const m = /^\$\{([A-Za-z]+)FunctionArn\}$/.exec(arn);
    const name = m?.[1] ? m[1].charAt(0).toLowerCase() + m[1].slice(1) : '';
    return name in FUNCTION_TIMEOUT_SECONDS ? FUNCTION_TIMEOUT_SECONDS[name as FunctionName] : undefined;
  },
};

const HOOK_FOR = {
  'node-bootstrap': HOOKS.find((h) => h.transition === 'autoscaling:EC2_INSTANCE_LAUNCHING'),
  'node-drain': HOOKS.find((h) => h.transition === 'autoscaling:EC2_INSTANCE_TERMINATING'),
} as const;

describe('no lifecycle wait outlasts the hook’s heartbeat timeout', () => {
  it.each(Object.entries(HOOK_FOR))(
    '%s: every stretch without a heartbeat stays below the heartbeat timeout minus the margin',
    (workflow, hook) => {
      const limit = (hook?.heartbeatTimeoutSeconds ?? 0) - MARGIN_SECONDS;
      expect(limit).toBeGreaterThan(0);
      const [worst] = heartbeatStretches(workflow, fromFiles);
      const offenders = heartbeatStretches(workflow, fromFiles)
        .filter((s) => s.seconds > limit)
        .map((s) => `${s.seconds} s > ${limit} s: ${s.path.join(' → ')}`);
      expect(offenders).toEqual([]);
      // The walk reached the waits it is about (a vacuous walk would pass anything).
      expect(worst?.seconds).toBeGreaterThan(300);
    },
  );
});

describe('node-bootstrap’s queue for the join lock', () => {
  it('costs a round (wait and poll) between two heartbeats, below the limit', () => {
    const machine = fromFiles.load('node-bootstrap');
    const queue = machine.States.QueueForJoinLock;
    const wait = machine.States.WaitForJoinLock?.Seconds;
    if (!queue || wait === undefined)
      throw new Error('node-bootstrap has no WaitForJoinLock and QueueForJoinLock');
    const round = wait + taskCost('QueueForJoinLock', queue, fromFiles.functionTimeout(queue));
    const stretches = heartbeatStretches('node-bootstrap', fromFiles).filter(
      (s) => s.path[0] === 'HeartbeatWhileQueued',
    );
    expect(stretches.map((s) => s.path.slice(0, 3))).toContainEqual([
      'HeartbeatWhileQueued',
      'WaitForJoinLock',
      'QueueForJoinLock',
    ]);
    const limit = (HOOK_FOR['node-bootstrap']?.heartbeatTimeoutSeconds ?? 0) - MARGIN_SECONDS;
    const [longest] = stretches.sort((a, b) => b.seconds - a.seconds);
    expect(longest?.path[1]).toBe('WaitForJoinLock');
    expect(longest?.seconds).toBeGreaterThan(round);
    expect(longest?.seconds).toBeLessThanOrEqual(limit);
  });
});

// ---- the walk itself, on small definitions

const task = (extra: Partial<AslState> = {}): AslState => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::aws-sdk:ssm:sendCommand',
  TimeoutSeconds: 60,
  Retry: [],
  ...extra,
});
const heartbeat = (next: string): AslState =>
  task({ Resource: 'arn:aws:states:::aws-sdk:autoscaling:recordLifecycleActionHeartbeat', Next: next });
const modelOf = (machines: Record<string, AslMachine>, timeouts: Record<string, number> = {}): GapModel => ({
  load: (name) => {
    const m = machines[name];
    if (!m) throw new Error(`no ${name}`);
    return m;
  },
  childOf: (state) => (state.Parameters as { child?: string } | undefined)?.child,
  functionTimeout: (state) => timeouts[(state.Parameters as { fn?: string } | undefined)?.fn ?? ''],
});

describe('the heartbeat walk', () => {
  it('sums the states between two heartbeats and names them', () => {
    const model = modelOf({
      wf: {
        StartAt: 'Beat',
        States: {
          Beat: heartbeat('Slow'),
          Slow: task({ TimeoutSeconds: 500, Next: 'Pause' }),
          Pause: { Type: 'Wait', Seconds: 20, Next: 'Again' },
          Again: heartbeat('Done'),
          Done: { Type: 'Succeed' },
        },
      },
    });
    const [worst] = heartbeatStretches('wf', model);
    expect(worst).toEqual({ seconds: 500 + 20 + 60, path: ['Beat', 'Slow', 'Pause', 'Again'] });
  });

  it('counts a retry of a late error as another full attempt, and every back-off at its cap', () => {
    const retried = task({
      TimeoutSeconds: 300,
      Retry: [
        { ErrorEquals: ['Ssm.ThrottlingException'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 },
        { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 10, MaxAttempts: 2, MaxDelaySeconds: 15 },
      ],
    });
    expect(retryDelays({ ErrorEquals: [], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 })).toBe(14);
    expect(taskCost('t', retried, undefined)).toBe(300 + 14 + (10 + 15) + 2 * 300);
    // A Lambda's retried attempt lasts at most the function's own timeout.
    const lambda = task({ TimeoutSeconds: 60, Retry: [{ ErrorEquals: ['TransientError'], MaxAttempts: 2 }] });
    expect(taskCost('l', lambda, 30)).toBe(60 + (1 + 2) + 2 * 30);
  });

  it('costs a queue that polls by retrying a Task: its retries between the heartbeats of its rounds', () => {
    const queue = task({
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { fn: 'lease' },
      TimeoutSeconds: 60,
      Retry: [
        {
          ErrorEquals: ['LeaseHeld'],
          IntervalSeconds: 30,
          MaxAttempts: 3,
          BackoffRate: 2,
          MaxDelaySeconds: 120,
        },
      ],
      Catch: [{ ErrorEquals: ['LeaseHeld'], Next: 'Count' }],
      Next: 'Start',
    });
    const states = (beat: boolean): Record<string, AslState> => ({
      Beat: heartbeat('Queue'),
      Queue: queue,
      Count: { Type: 'Pass', Next: 'Left' },
      Left: { Type: 'Choice', Choices: [{ Next: 'Done' }], Default: beat ? 'Beat' : 'Queue' },
      Start: heartbeat('Done'),
      Done: { Type: 'Succeed' },
    });
    const model = modelOf({ wf: { StartAt: 'Beat', States: states(true) } }, { lease: 30 });
    // The first attempt at the Task's timeout, three back-offs at their caps (30, 60, 120), three retried
    // attempts at the function's timeout; then the next heartbeat.
    const round = 60 + (30 + 60 + 120) + 3 * 30;
    expect(heartbeatStretches('wf', model)[0]).toEqual({
      seconds: round + 60,
      path: ['Beat', 'Queue', 'Start'],
    });
    // A queue whose rounds skip the heartbeat has no bound.
    const unbeaten = modelOf({ wf: { StartAt: 'Beat', States: states(false) } }, { lease: 30 });
    expect(() => heartbeatStretches('wf', unbeaten)).toThrow(/a loop without a heartbeat: Queue → Count/);
  });

  it('walks a child that heartbeats, and lets its errors surface anywhere into the parent’s Catch', () => {
    const model = modelOf({
      parent: {
        StartAt: 'Phase',
        States: {
          Phase: task({
            Resource: 'arn:aws:states:::states:startExecution.sync:2',
            Parameters: { child: 'child' },
            TimeoutSeconds: 5000,
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Cleanup' }],
            Next: 'Complete',
          }),
          Complete: task({
            Resource: 'arn:aws:states:::aws-sdk:autoscaling:completeLifecycleAction',
            End: true,
          }),
          Cleanup: task({ TimeoutSeconds: 400, Next: 'Complete' }),
        },
      },
      child: {
        StartAt: 'Probe',
        States: {
          Probe: task({ TimeoutSeconds: 100, Next: 'Beat' }),
          Beat: heartbeat('Long'),
          Long: task({ TimeoutSeconds: 200, End: true }),
        },
      },
    });
    const stretches = heartbeatStretches('parent', model);
    expect(stretches[0]).toEqual({
      seconds: 200 + 400 + 60,
      path: ['Phase/Beat', 'Phase/Long', 'Cleanup', 'Complete'],
    });
    // The child's 5000 s bound is not a gap: the child heartbeats.
    expect(stretches.every((s) => s.seconds < 5000)).toBe(true);
  });

  it('treats a child that never heartbeats as one Task bounded by its TimeoutSeconds', () => {
    const model = modelOf({
      parent: {
        StartAt: 'Command',
        States: {
          Command: task({
            Resource: 'arn:aws:states:::states:startExecution.sync:2',
            Parameters: { child: 'command' },
            TimeoutSeconds: 960,
            End: true,
          }),
        },
      },
      command: { StartAt: 'Poll', States: { Poll: { Type: 'Wait', Seconds: 5, Next: 'Poll' } } },
    });
    expect(heartbeatStretches('parent', model)[0]?.seconds).toBe(960);
  });

  it('refuses a loop without a heartbeat, and states it cannot bound', () => {
    const loop = modelOf({
      wf: {
        StartAt: 'Check',
        States: {
          Check: task({ Next: 'Again' }),
          Again: { Type: 'Choice', Choices: [{ Next: 'Check' }], Default: 'Done' },
          Done: { Type: 'Succeed' },
        },
      },
    });
    expect(() => heartbeatStretches('wf', loop)).toThrow(/a loop without a heartbeat: Check → Again → Check/);
    const untimed = modelOf({ wf: { StartAt: 'Call', States: { Call: { Type: 'Task', End: true } } } });
    expect(() => heartbeatStretches('wf', untimed)).toThrow(/without TimeoutSeconds/);
    const map = modelOf({ wf: { StartAt: 'Each', States: { Each: { Type: 'Map', End: true } } } });
    expect(() => heartbeatStretches('wf', map)).toThrow(/Map state is not modelled/);
  });
});
