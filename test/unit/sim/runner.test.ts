import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { sdkIntegrationErrorName } from '../../../sim/runner/sfn';
import { Twin } from '../../../sim/twin';

const FIXTURE = readFileSync(path.resolve(__dirname, '../../fixtures/asl/runner-fixture.asl.json'), 'utf8');
const REGION = 'eu-west-1';

jest.setTimeout(60_000);

class TransientError extends Error {
  override name = 'TransientError';
}

describe('the twin runs ASL unmodified on the virtual clock', () => {
  let twin: Twin;
  let calls: unknown[];
  let failNext: number;
  let machineArn: string;

  beforeEach(async () => {
    twin = await Twin.start({ seed: 7, controlPlane: false });
    calls = [];
    failNext = 0;
    const decide = twin.lambda.register({
      name: 'fixture-decide',
      region: REGION,
      environment: {},
      timeoutSeconds: 10,
      load: () => async (event) => {
        calls.push(event);
        const e = event as { fail?: string };
        if (e.fail === 'always') throw Object.assign(new Error('refused'), { name: 'SafetyViolationError' });
        if (failNext > 0) {
          failNext--;
          throw new TransientError('try again');
        }
        return { verdict: 'go' };
      },
    });
    const layout = twin.layout.regions.get(REGION);
    machineArn = twin.sfnIn(REGION).createStateMachine('runner-fixture', FIXTURE, {
      DecideFunctionArn: decide,
      StateTableName: layout?.stateTable ?? '',
    });
  });

  afterEach(async () => {
    await twin?.stop();
  });

  const start = (name: string, input: Record<string, unknown>) =>
    twin.sfnIn(REGION).startExecution({ stateMachineArn: machineArn, name, input: JSON.stringify(input) });

  const group = () => twin.layout.regions.get(REGION)?.memberGroup ?? '';

  it('runs Lambda, Wait, SDK and DynamoDB tasks, with an hour of virtual time passing', async () => {
    const before = twin.world.clock.now();
    const { executionArn } = start('first', { group: group(), fail: 'no', key: 'a' });
    await twin.run(2 * 3600_000, () => twin.world.executions.every((e) => e.status !== 'RUNNING'));
    const record = await twin.sfnIn(REGION).waitFor(executionArn);
    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toMatchObject({
      decision: { verdict: 'go' },
      group_state: { desired: 2 },
      outcome: 'recorded',
    });
    expect(twin.world.clock.now() - before).toBeGreaterThanOrEqual(3600_000);
    expect(calls).toEqual([{ group: group(), fail: 'no' }]);
    expect(record.transitions).toBe(5);
    expect(record.history.map((h) => h.type)).toEqual(
      expect.arrayContaining(['ExecutionStarted', 'StateEntered', 'ExecutionSucceeded']),
    );
  });

  it('answers GetExecutionHistory in the API shape (typed state events, TaskScheduled, the end), paged', async () => {
    const { executionArn } = start('history', { group: group(), fail: 'no', key: 'h' });
    const api = twin.sfnIn(REGION).api;
    type Page = { events: { id: number; type: string; [k: string]: unknown }[]; nextToken?: string };
    await twin.run(60_000);
    const running = api.GetExecutionHistory({ executionArn }) as Page;
    expect(running.events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStateExited',
      'WaitStateEntered',
    ]);
    await twin.run(2 * 3600_000, () => twin.world.executions.every((e) => e.status !== 'RUNNING'));
    const all = api.GetExecutionHistory({ executionArn, maxResults: 1000 }) as Page;
    const types = all.events.map((e) => e.type);
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(all.events.map((e) => e.id)).toEqual(all.events.map((_, i) => i + 1));
    expect(all.events.find((e) => e.type === 'TaskScheduled')).toMatchObject({
      taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: REGION },
    });
    expect(all.events.filter((e) => e.type === 'TaskScheduled')[1]).toMatchObject({
      taskScheduledEventDetails: {
        resourceType: 'aws-sdk:autoscaling',
        resource: 'describeAutoScalingGroups',
      },
    });
    expect(all.events.find((e) => e.type === 'PassStateEntered')).toMatchObject({
      stateEnteredEventDetails: { name: 'Recorded' },
    });
    // Pages of 3 give the same events; newest first with reverseOrder.
    const paged: Page['events'] = [];
    let nextToken: string | undefined;
    do {
      const page = api.GetExecutionHistory({
        executionArn,
        maxResults: 3,
        ...(nextToken ? { nextToken } : {}),
      }) as Page;
      paged.push(...page.events);
      nextToken = page.nextToken;
    } while (nextToken);
    expect(paged).toEqual(all.events);
    expect(
      (api.GetExecutionHistory({ executionArn, reverseOrder: true, maxResults: 1 }) as Page).events[0]?.type,
    ).toBe('ExecutionSucceeded');
    expect(() => api.GetExecutionHistory({ executionArn, nextToken: 'x' })).toThrow(/Invalid Token/);
    expect(() => api.GetExecutionHistory({ executionArn: `${executionArn}-nope` })).toThrow(/Does Not Exist/);
  });

  it('retries throttled SDK calls and transient Lambda errors by their Step Functions error names', async () => {
    failNext = 1;
    twin.world.faults.throttle({
      service: 'autoscaling',
      action: 'DescribeAutoScalingGroups',
      region: REGION,
      times: 2,
    });
    const { executionArn } = start('throttled', { group: group(), fail: 'no', key: 'b' });
    await twin.run(
      3 * 3600_000,
      () => twin.world.executions.find((e) => e.executionArn === executionArn)?.status !== 'RUNNING',
    );
    const record = await twin.sfnIn(REGION).waitFor(executionArn);
    expect(record.status).toBe('SUCCEEDED');
    expect(calls).toHaveLength(2);
    const describes = twin.world.apiCalls.filter((c) => c.action === 'DescribeAutoScalingGroups');
    expect(describes.map((c) => c.error ?? 'ok')).toEqual(['Throttling', 'Throttling', 'ok']);
    const retried = record.history.filter((h) => h.type === 'StateRetried').map((h) => h.state);
    expect(retried).toEqual(['Decide', 'DescribeGroup', 'DescribeGroup']);
  });

  it('catches a conditional-write failure under its DynamoDB.* name (real conditional writes)', async () => {
    const first = start('once-1', { group: group(), fail: 'no', key: 'same' });
    await twin.run(2 * 3600_000, () => twin.world.executions.every((e) => e.status !== 'RUNNING'));
    const second = start('once-2', { group: group(), fail: 'no', key: 'same' });
    await twin.run(2 * 3600_000, () => twin.world.executions.every((e) => e.status !== 'RUNNING'));
    expect((await twin.sfnIn(REGION).waitFor(first.executionArn)).output).toMatchObject({
      outcome: 'recorded',
    });
    const again = await twin.sfnIn(REGION).waitFor(second.executionArn);
    expect(again.output).toMatchObject({
      outcome: 'already-recorded',
      error: { Error: 'DynamoDB.ConditionalCheckFailedException' },
    });
  });

  it('fails the execution through its Catch when the handler refuses, with the handler error name', async () => {
    const { executionArn } = start('refused', { group: group(), fail: 'always', key: 'c' });
    await twin.run(
      60_000,
      () => twin.world.executions.find((e) => e.executionArn === executionArn)?.status !== 'RUNNING',
    );
    const record = await twin.sfnIn(REGION).waitFor(executionArn);
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('DecisionFailed');
    const caught = record.history.find((h) => h.type === 'StateFailed' && h.state === 'Decide');
    expect(JSON.stringify(caught?.data)).toContain('SafetyViolationError');
  });

  it('keeps StartExecution idempotent by name: same input returns the running execution, other input is refused', async () => {
    const a = start('dup', { group: group(), fail: 'no', key: 'd' });
    const b = start('dup', { group: group(), fail: 'no', key: 'd' });
    expect(b.executionArn).toBe(a.executionArn);
    expect(() => start('dup', { group: group(), fail: 'no', key: 'other' })).toThrow(
      expect.objectContaining({ name: 'ExecutionAlreadyExists' }),
    );
    expect(twin.world.executions.filter((e) => e.name === 'dup')).toHaveLength(1);
    await twin.run(2 * 3600_000, () => twin.world.executions.every((e) => e.status !== 'RUNNING'));
    // Closed: even the same input is refused now.
    expect(() => start('dup', { group: group(), fail: 'no', key: 'd' })).toThrow(
      expect.objectContaining({ name: 'ExecutionAlreadyExists' }),
    );
  });

  it('reports a call the twin does not model loudly', async () => {
    await expect(twin.world.call(REGION, 'autoscaling', 'CreateLaunchConfiguration', {})).rejects.toThrow(
      /the twin does not model autoscaling:CreateLaunchConfiguration/,
    );
  });
});

describe('SDK-integration error names', () => {
  it('follow ServiceName.ErrorName with the Exception suffix', () => {
    expect(sdkIntegrationErrorName('autoscaling', 'Throttling')).toBe('AutoScaling.ThrottlingException');
    expect(sdkIntegrationErrorName('autoscaling', 'ValidationError')).toBe(
      'AutoScaling.ValidationErrorException',
    );
    expect(sdkIntegrationErrorName('sfn', 'ExecutionAlreadyExists')).toBe(
      'Sfn.ExecutionAlreadyExistsException',
    );
    expect(sdkIntegrationErrorName('ssm', 'InvalidInstanceId')).toBe('Ssm.InvalidInstanceIdException');
  });
});

describe('.sync:2 children on the twin', () => {
  let twin: Twin;
  afterEach(async () => {
    await twin?.stop();
  });

  /** A child that waits `seconds`, and a parent that starts it and waits at most `timeout` seconds for it. */
  async function deploy(seconds: number, timeout: number) {
    twin = await Twin.start({ seed: 3, controlPlane: false });
    const sfn = twin.sfnIn(REGION);
    const child = sfn.createStateMachine(
      'fixture-child',
      JSON.stringify({
        StartAt: 'Sleep',
        TimeoutSeconds: 7200,
        States: { Sleep: { Type: 'Wait', Seconds: seconds, End: true } },
      }),
      {},
    );
    const parent = sfn.createStateMachine(
      'fixture-parent',
      JSON.stringify({
        StartAt: 'RunChild',
        TimeoutSeconds: 7200,
        States: {
          RunChild: {
            Type: 'Task',
            Resource: 'arn:aws:states:::states:startExecution.sync:2',
            Parameters: { StateMachineArn: child, Input: {} },
            TimeoutSeconds: timeout,
            Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Gave' }],
            End: true,
          },
          Gave: { Type: 'Pass', End: true },
        },
      }),
      {},
    );
    return { sfn, parent };
  }
  const childOf = (parentArn: string) => twin.world.executions.find((e) => e.parentArn === parentArn);

  it('records the child under its parent, and returns its output when it ends in time', async () => {
    const { sfn, parent } = await deploy(60, 300);
    const { executionArn } = sfn.startExecution({ stateMachineArn: parent, name: 'p1' });
    await twin.run(10 * 60_000, () => twin.world.executions.every((e) => e.status !== 'RUNNING'));
    expect(childOf(executionArn)?.status).toBe('SUCCEEDED');
    expect(twin.world.executions.find((e) => e.executionArn === executionArn)?.children).toHaveLength(1);
  });

  it("stops the child when the parent's Task times out (the parent catches States.Timeout)", async () => {
    const { sfn, parent } = await deploy(3600, 120);
    const { executionArn } = sfn.startExecution({ stateMachineArn: parent, name: 'p2' });
    await twin.run(10 * 60_000, () => twin.world.executions.every((e) => e.status !== 'RUNNING'));
    const p = twin.world.executions.find((e) => e.executionArn === executionArn);
    expect(p?.status).toBe('SUCCEEDED');
    expect(p?.history.some((h) => h.state === 'Gave')).toBe(true);
    expect(childOf(executionArn)).toMatchObject({ status: 'ABORTED', error: 'States.Timeout' });
  });

  it('stops the child when the parent is stopped', async () => {
    const { sfn, parent } = await deploy(3600, 7000);
    const { executionArn } = sfn.startExecution({ stateMachineArn: parent, name: 'p3' });
    await twin.run(60_000);
    expect(childOf(executionArn)?.status).toBe('RUNNING');
    await twin.world.call(REGION, 'sfn', 'StopExecution', { executionArn });
    await twin.run(60_000);
    expect(childOf(executionArn)?.status).toBe('ABORTED');
  });
});
