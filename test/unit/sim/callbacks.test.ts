import { Twin } from '../../../sim/twin';

const REGION = 'eu-west-1';

jest.setTimeout(60_000);

/** A callback Task (`lambda:invoke.waitForTaskToken`) that waits 30 s per attempt, retried twice on timeout. */
const DEFINITION = JSON.stringify({
  StartAt: 'Wait',
  TimeoutSeconds: 600,
  States: {
    Wait: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: ['$', '{WaiterFunctionArn}'].join(''),
        Payload: { 'token.$': '$$.Task.Token', 'mode.$': '$.mode' },
      },
      TimeoutSeconds: 30,
      Retry: [
        {
          ErrorEquals: ['States.Timeout'],
          IntervalSeconds: 1,
          MaxAttempts: 2,
          BackoffRate: 1,
          JitterStrategy: 'FULL',
        },
      ],
      Catch: [
        { ErrorEquals: ['Refused'], ResultPath: '$.error', Next: 'Refused' },
        { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'TimedOut' },
      ],
      End: true,
    },
    Refused: { Type: 'Fail', Error: 'Refused' },
    TimedOut: { Type: 'Fail', Error: 'TimedOut' },
  },
});

describe("Step Functions' callback pattern on the twin", () => {
  let twin: Twin;
  let tokens: string[];
  let machineArn: string;

  beforeEach(async () => {
    twin = await Twin.start({ seed: 3, controlPlane: false });
    tokens = [];
    const waiter = twin.lambda.register({
      name: 'waiter',
      region: REGION,
      environment: {},
      timeoutSeconds: 10,
      load: () => async (event) => {
        const { token, mode } = event as { token: string; mode: string };
        tokens.push(token);
        const sfn = twin.sfnIn(REGION).api;
        if (mode === 'succeed-now') sfn.SendTaskSuccess({ taskToken: token, output: '{"done":true}' });
        if (mode === 'fail-now') sfn.SendTaskFailure({ taskToken: token, error: 'Refused', cause: 'no' });
        if (mode === 'throw') throw Object.assign(new Error('boom'), { name: 'Boom' });
        return { ignored: true };
      },
    });
    machineArn = twin
      .sfnIn(REGION)
      .createStateMachine('callback-fixture', DEFINITION, { WaiterFunctionArn: waiter });
  });

  afterEach(async () => {
    await twin?.stop();
  });

  const run = async (mode: string) => {
    const { executionArn } = twin.sfnIn(REGION).startExecution({
      stateMachineArn: machineArn,
      name: mode,
      input: JSON.stringify({ mode }),
    });
    return { executionArn, done: () => twin.sfnIn(REGION).waitFor(executionArn) };
  };
  const settle = () =>
    twin.run(20 * 60_000, () => twin.world.executions.every((e) => e.status !== 'RUNNING'));

  it('gives the Task output of SendTaskSuccess, even when sent before the invocation returned', async () => {
    const r = await run('succeed-now');
    await settle();
    const record = await r.done();
    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual({ done: true });
    expect(record.transitions).toBe(1);
  });

  it('fails the Task with the error SendTaskFailure names', async () => {
    const r = await run('fail-now');
    await settle();
    expect((await r.done()).error).toBe('Refused');
  });

  it('waits for a later callback; a second completion is TaskTimedOut, a forged token InvalidToken', async () => {
    const r = await run('later');
    await twin.run(10_000);
    expect(twin.world.executions.find((e) => e.executionArn === r.executionArn)?.status).toBe('RUNNING');
    const sfn = twin.sfnIn(REGION).api;
    const token = tokens[0] as string;
    expect(() => sfn.SendTaskSuccess({ taskToken: token, output: 'not json' })).toThrow(
      expect.objectContaining({ name: 'InvalidOutput' }),
    );
    sfn.SendTaskSuccess({ taskToken: token, output: '{"late":1}' });
    await settle();
    expect((await r.done()).output).toEqual({ late: 1 });
    expect(() => sfn.SendTaskSuccess({ taskToken: token, output: '{}' })).toThrow(
      expect.objectContaining({ name: 'TaskTimedOut' }),
    );
    expect(() => sfn.SendTaskFailure({ taskToken: `${token}x`, error: 'E' })).toThrow(
      expect.objectContaining({ name: 'InvalidToken' }),
    );
  });

  it('times each attempt out at its TimeoutSeconds with a new token; the old one is closed', async () => {
    const r = await run('never');
    await settle();
    const record = await r.done();
    expect(record.error).toBe('TimedOut');
    expect(tokens).toHaveLength(3);
    expect(new Set(tokens).size).toBe(3);
    // Entered once, retried twice, then the Fail state.
    expect(record.transitions).toBe(4);
    expect((record.stoppedAt as number) - record.startedAt).toBeGreaterThanOrEqual(90_000);
    expect(() =>
      twin.sfnIn(REGION).api.SendTaskSuccess({ taskToken: tokens[0] as string, output: '{}' }),
    ).toThrow(expect.objectContaining({ name: 'TaskTimedOut' }));
  });

  it("fails the Task with the function's own error when the invocation fails", async () => {
    const r = await run('throw');
    await settle();
    const record = await r.done();
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('Boom');
  });
});
