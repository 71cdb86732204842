/** `hactl runs` (list) and `hactl runs --follow` against stubbed Step Functions. */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { ACCOUNT, type Answers, awsError, fakeClock, run } from './helpers';
import { EXEC, growingHistory, history, T0 } from './history';

const SM = (region: string, w: string) =>
  `arn:aws:states:${region}:${ACCOUNT}:stateMachine:artifactory-prod-control-plane-${region}-${w}`;

const listAnswers = (
  runs: Record<string, { name: string; status: string; start: number; stop?: number }[]>,
): Answers => ({
  'sfn.ListExecutionsCommand': (input) => {
    const arn = String(input.stateMachineArn);
    const wf = Object.keys(runs).find((w) => arn.endsWith(`-${w}`) || arn.endsWith(`:artifactory-prod-${w}`));
    return {
      executions: (wf ? (runs[wf] ?? []) : []).map((r) => ({
        executionArn: `${arn.replace(':stateMachine:', ':execution:')}:${r.name}`,
        stateMachineArn: arn,
        name: r.name,
        status: r.status,
        startDate: new Date(r.start),
        ...(r.stop === undefined ? {} : { stopDate: new Date(r.stop) }),
      })),
    };
  },
});

describe('hactl runs', () => {
  const runs = {
    'primary-failover': [
      { name: 'alarm-2', status: 'FAILED', start: T0 - 10 * 60_000, stop: T0 - 5 * 60_000 },
      { name: 'alarm-1', status: 'SUCCEEDED', start: T0 - 3 * 3_600_000, stop: T0 - 3 * 3_600_000 + 90_000 },
    ],
    'regional-failover': [{ name: 'evac-1', status: 'RUNNING', start: T0 - 60_000 }],
  };

  it('lists the root workflows runs since --since, newest first (table)', async () => {
    const r = await run(['runs'], listAnswers(runs));
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^WORKFLOW\s+RUN\s+STATUS\s+STARTED\s+TOOK$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['regional-failover', 'evac-1', 'RUNNING'],
      ['primary-failover', 'alarm-2', 'FAILED'],
    ]);
    expect(r.out).toContain('5m 00s');
    expect(r.out).not.toContain('\u001b['); // not a TTY: no colour
    // the state machine ARNs derived as the CDK app names them (regional-failover: the fixed name)
    const arns = r.calls
      .filter((c) => c.command === 'ListExecutionsCommand')
      .map((c) => c.input.stateMachineArn);
    expect(arns).toContain(SM('eu-west-1', 'primary-failover'));
    expect(arns).toContain(
      `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:artifactory-prod-regional-failover`,
    );
    expect(arns).not.toContain(SM('eu-west-1', 'node-command'));
  });

  it('--json: one document with stable fields; --since 4h reaches the older run', async () => {
    const r = await run(
      ['--json', 'runs', '--since', '4h', '--workflow', 'primary-failover'],
      listAnswers(runs),
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.region).toBe('eu-west-1');
    expect(doc.since).toBe('2026-12-02T00:00:00Z');
    expect(doc.runs.map((x: { name: string }) => x.name)).toEqual(['alarm-2', 'alarm-1']);
    expect(doc.runs[1]).toEqual({
      workflow: 'primary-failover',
      name: 'alarm-1',
      executionArn: expect.stringContaining(':execution:'),
      status: 'SUCCEEDED',
      startedAt: '2026-12-02T01:00:00Z',
      stoppedAt: '2026-12-02T01:01:30Z',
    });
  });

  it('an answer oldest first does not end the scan early (the newest run is still listed)', async () => {
    const oldestFirst = { 'primary-failover': [...runs['primary-failover']].reverse() };
    const r = await run(['--json', 'runs', '--since', '1h'], listAnswers(oldestFirst));
    expect(JSON.parse(r.out).runs.map((x: { name: string }) => x.name)).toEqual(['alarm-2']);
  });

  it('no runs: says so; bad --since or --workflow: usage error (exit 1)', async () => {
    const r = await run(['runs', '--region', 'us-east-1'], listAnswers({}));
    expect(r.code).toBe(0);
    expect(r.out).toBe('no runs in us-east-1 since 2026-12-02T02:00:00Z\n');
    const a = await run(['runs', '--since', 'yesterday'], listAnswers({}));
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/^hactl: --since takes a duration/);
    const b = await run(['runs', '--workflow', 'nope'], listAnswers({}));
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/^hactl: unknown workflow nope \(one of /);
  });
});

describe('hactl runs --follow', () => {
  const followAnswers = (
    end: 'ExecutionSucceeded' | 'ExecutionFailed',
    clock: ReturnType<typeof fakeClock>,
  ): Answers => {
    const h = growingHistory(history(end)) as unknown as ((...a: unknown[]) => unknown) & {
      bind: (n: () => number) => void;
    };
    h.bind(clock.now);
    return {
      'sfn.GetExecutionHistoryCommand': h,
      'sfn.DescribeExecutionCommand': (input) => {
        if (input.executionArn !== EXEC) throw awsError('ExecutionDoesNotExist');
        return { executionArn: EXEC, status: 'SUCCEEDED', output: '{"primary":"i-0abc"}' };
      },
    };
  };

  it('follows a run to success: a task per phase (routing states left out), elapsed times, exit 0', async () => {
    const clock = fakeClock(T0 + 2000);
    const r = await run(['runs', '--follow', EXEC], followAnswers('ExecutionSucceeded', clock), { clock });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Observe \[4s\]/);
    expect(r.out).toMatch(/Elect \(child run\) \[54s\]/);
    expect(r.out).toMatch(/Report \[2s\]/);
    expect(r.out).not.toContain('Decide');
    expect(r.out).toMatch(/run SUCCEEDED in 1m 02s\n$/);
    expect(clock.slept.every((ms) => ms === 2000)).toBe(true);
    expect(clock.now()).toBeGreaterThanOrEqual(T0 + 62_000);
  });

  it('a run that fails: the phase marked failed, the error shown, exit 3; --json has the phases', async () => {
    const clock = fakeClock(T0 + 2000);
    const r = await run(['runs', '--follow', EXEC], followAnswers('ExecutionFailed', clock), { clock });
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/run FAILED in 40s: Elect.Failed \(no candidate\)\n$/);
    const clock2 = fakeClock(T0 + 2000);
    const j = await run(['--json', 'runs', '--follow', EXEC], followAnswers('ExecutionFailed', clock2), {
      clock: clock2,
    });
    expect(j.code).toBe(3);
    const doc = JSON.parse(j.out);
    expect(doc).toMatchObject({
      executionArn: EXEC,
      status: 'FAILED',
      exitCode: 3,
      error: 'Elect.Failed',
      cause: 'no candidate',
    });
    expect(doc.phases.map((p: { name: string; status: string }) => `${p.name}:${p.status}`)).toEqual([
      'Observe:done',
      'Elect:failed',
    ]);
  });

  it('a run given by name is found among the region workflows; an unknown one is exit 4', async () => {
    const clock = fakeClock(T0 + 100_000);
    const r = await run(['runs', '--follow', 'manual-1'], followAnswers('ExecutionSucceeded', clock), {
      clock,
    });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/run SUCCEEDED/);
    const u = await run(['runs', '--follow', 'nope'], followAnswers('ExecutionSucceeded', fakeClock()));
    expect(u.code).toBe(4);
    expect(u.err).toBe('hactl: no run named nope in eu-west-1: pass its execution ARN or --region\n');
    const bad = await run(['runs', '--follow', 'arn:aws:states:eu-west-1:1:nothing'], {});
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^hactl: not an execution ARN/);
  });
});

describe('hactl runs --follow on a TTY', () => {
  // listr2's live renderer loads ESM modules by dynamic import, which jest's CommonJS runtime cannot: the view
  // runs in a child process (tsx), as the real bin does, on a fake TTY stdout.
  it('renders the live view (listr2 default renderer) on the context stdout and ends', () => {
    const out = execFileSync(
      path.join('node_modules', '.bin', 'tsx'),
      [path.join('test', 'unit', 'cli', 'tty-follow.fixture.ts')],
      { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const r = JSON.parse(out) as { code: number; out: string };
    expect(r.code).toBe(0);
    expect(r.out).toContain('\u001b[?25l'); // the live view hides the cursor…
    expect(r.out).toContain('\u001b[?25h'); // …and shows it again when it ends
    expect(r.out).toMatch(/Elect \(child run\) \[54s\]/);
    expect(r.out).toContain('run \u001b[32mSUCCEEDED\u001b[0m in 1m 02s');
  });
});

describe('hactl runs --follow: a run waiting for an approval', () => {
  const PARENT = `arn:aws:states:eu-west-1:${ACCOUNT}:execution:artifactory-prod-regional-failover:evacuate-us-east-1-1`;
  const CHILD = `arn:aws:states:eu-west-1:${ACCOUNT}:execution:artifactory-prod-control-plane-eu-west-1-regional-failover-approval:a-1`;
  const at = (s: number) => new Date(T0 + s * 1000);
  const parent = [
    { id: 1, timestamp: at(0), type: 'ExecutionStarted' },
    { id: 2, timestamp: at(1), type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'CheckRegions' } },
    { id: 3, timestamp: at(3), type: 'TaskStateExited', stateExitedEventDetails: { name: 'CheckRegions' } },
    {
      id: 4,
      timestamp: at(3),
      type: 'TaskStateEntered',
      stateEnteredEventDetails: { name: 'AwaitApproval' },
    },
    {
      id: 5,
      timestamp: at(3),
      type: 'TaskScheduled',
      taskScheduledEventDetails: { resourceType: 'states', resource: 'startExecution.sync:2' },
    },
    {
      id: 6,
      timestamp: at(3),
      type: 'TaskSubmitted',
      taskSubmittedEventDetails: {
        resourceType: 'states',
        resource: 'startExecution.sync:2',
        output: JSON.stringify({ ExecutionArn: CHILD }),
      },
    },
  ];
  const child = [
    { id: 1, timestamp: at(3), type: 'ExecutionStarted' },
    {
      id: 2,
      timestamp: at(3),
      type: 'TaskStateEntered',
      stateEnteredEventDetails: { name: 'RequestApproval' },
    },
    {
      id: 3,
      timestamp: at(3),
      type: 'TaskScheduled',
      taskScheduledEventDetails: { resourceType: 'sns', resource: 'publish.waitForTaskToken' },
    },
  ];
  const answers: Answers = {
    'sfn.GetExecutionHistoryCommand': (input) => ({ events: input.executionArn === CHILD ? child : parent }),
  };

  it('stops with exit 5 and says how to approve or reject', async () => {
    const r = await run(['runs', '--follow', PARENT], answers, { clock: fakeClock(T0 + 10_000) });
    expect(r.code).toBe(5);
    expect(r.out).toMatch(/CheckRegions \[2s\]/);
    expect(r.out).toMatch(/AwaitApproval \(child run\) \[7s\]: waiting for approval \(RequestApproval\)/);
    expect(r.out).toContain(
      'run WAITING for an approval (RequestApproval): approve with `hactl approve evacuate-us-east-1-1`, or refuse with `hactl reject evacuate-us-east-1-1 --reason "…"`',
    );
    const j = await run(['--json', 'runs', '--follow', PARENT], answers, { clock: fakeClock(T0 + 10_000) });
    expect(j.code).toBe(5);
    expect(JSON.parse(j.out)).toMatchObject({
      status: 'RUNNING',
      exitCode: 5,
      waiting: { executionArn: CHILD, state: 'RequestApproval' },
    });
  });

  it('without TaskSubmitted (the twin): the child is found by its machine and started-by input; an exited wait is no wait', async () => {
    const MACHINE = CHILD.replace(':execution:', ':stateMachine:').replace(/:a-1$/, '');
    const scheduled = {
      id: 5,
      timestamp: at(3),
      type: 'TaskScheduled',
      taskScheduledEventDetails: {
        resourceType: 'states',
        resource: 'startExecution.sync:2',
        parameters: JSON.stringify({ StateMachineArn: MACHINE }),
      },
    };
    const bare = [...parent.slice(0, 4), scheduled];
    const twinLike = (childEvents: unknown[]): Answers => ({
      'sfn.GetExecutionHistoryCommand': (input) => ({
        events: input.executionArn === CHILD ? childEvents : bare,
      }),
      'sfn.ListExecutionsCommand': (input) => {
        expect(input).toMatchObject({ stateMachineArn: MACHINE, statusFilter: 'RUNNING' });
        return { executions: [{ executionArn: `${CHILD}-other` }, { executionArn: CHILD }] };
      },
      'sfn.DescribeExecutionCommand': (input) => ({
        executionArn: input.executionArn,
        input: JSON.stringify({
          AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: input.executionArn === CHILD ? PARENT : 'arn:other',
        }),
      }),
    });
    const r = await run(['--json', 'runs', '--follow', PARENT], twinLike(child), {
      clock: fakeClock(T0 + 10_000),
    });
    expect(r.code).toBe(5);
    expect(JSON.parse(r.out).waiting).toEqual({ executionArn: CHILD, state: 'RequestApproval' });
    // the approval answered (its Task exited) and the run still going: following goes on until --follow ends it
    const answered = [
      ...child,
      {
        id: 4,
        timestamp: at(5),
        type: 'TaskStateExited',
        stateExitedEventDetails: { name: 'RequestApproval' },
      },
    ];
    const clock = fakeClock(T0 + 10_000);
    const a = twinLike(answered);
    let polls = 0;
    const history = a['sfn.GetExecutionHistoryCommand'] as (
      i: Record<string, unknown>,
      r: string,
    ) => { events: unknown[] };
    a['sfn.GetExecutionHistoryCommand'] = (input, region) => {
      if (input.executionArn !== CHILD) polls += 1;
      const out = history(input, region);
      return polls < 4
        ? out
        : {
            events: [
              ...out.events,
              {
                id: 99,
                timestamp: at(20),
                type: 'ExecutionAborted',
                executionAbortedEventDetails: { error: 'Stopped' },
              },
            ],
          };
    };
    const b = await run(['--json', 'runs', '--follow', PARENT], a, { clock });
    expect(b.code).toBe(3);
    expect(JSON.parse(b.out)).toMatchObject({ status: 'ABORTED' });
    expect(JSON.parse(b.out).waiting).toBeUndefined();
  });
});
