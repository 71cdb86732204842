import { AutoScalingClient, CompleteLifecycleActionCommand } from '@aws-sdk/client-auto-scaling';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AUDIT_RETENTION_DAYS } from '../../../functions/core/audit';
import { auditKey, noticeKey } from '../../../functions/core/keys';
import { HOOK_NAMES } from '../../../functions/core/lifecycle';
import { handler } from '../../../functions/dispatch/handler';
import { resetClients, setClientsForTest } from '../../../functions/shared/clients/base';
import { ENV } from '../../../functions/shared/env';
import { ConfigurationError } from '../../../functions/shared/errors';
import { INVALID_EVENT_METRIC } from '../../../functions/shared/handler';
import { DELETE, loadEventFixture, mutate } from '../shared/fixtures';
import { pausedItem, pauseTablesEnv, stubPause } from './pause-mocks';

const PRIMARY = 'prod-primary';
const MEMBERS = 'prod-members';
const BOOTSTRAP_ARN = 'arn:aws:states:us-west-2:123456789012:stateMachine:node-bootstrap';
const DRAIN_ARN = 'arn:aws:states:us-west-2:123456789012:stateMachine:node-drain';
const FAILOVER_ARN = 'arn:aws:states:us-west-2:123456789012:stateMachine:primary-failover';
const TABLE = 'artifactory-ha-state';
const TOPIC = 'arn:aws:sns:us-west-2:123456789012:artifactory-ha-ops';
const INSTANCE = 'i-1234567890abcdef0';

const ENVIRONMENT: Record<string, string> = {
  [ENV.clusterName]: 'artifactory-prod',
  [ENV.clusterMode]: 'legacy-primary',
  [ENV.primaryAsgName]: PRIMARY,
  [ENV.memberAsgName]: MEMBERS,
  [ENV.bootstrapStateMachineArn]: BOOTSTRAP_ARN,
  [ENV.drainStateMachineArn]: DRAIN_ARN,
  [ENV.failoverStateMachineArn]: FAILOVER_ARN,
  [ENV.stateTable]: TABLE,
  [ENV.awsRegion]: 'us-west-2',
  [ENV.automationEnabled]: 'true',
  [ENV.topicArn]: TOPIC,
  ...pauseTablesEnv('us-west-2'),
};

const context: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'lifecycle-dispatch',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-west-2:123456789012:function:lifecycle-dispatch',
  memoryLimitInMB: '512',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/lifecycle-dispatch',
  logStreamName: '2026/01/01/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

/** A fixture (AWS sample event) aimed at one of the cluster's groups, under the project's hook for it. */
function lifecycleEvent(file: string, group = MEMBERS, hook?: string): Record<string, unknown> {
  const event = mutate(loadEventFixture(file), ['detail', 'AutoScalingGroupName'], group);
  const launching = /launch/.test(String(event['detail-type']));
  return mutate(
    event,
    ['detail', 'LifecycleHookName'],
    hook ?? (launching ? HOOK_NAMES.launch : HOOK_NAMES.terminate),
  );
}
const LAUNCH = 'autoscaling-launch-lifecycle-action.json';
const TERMINATE = 'autoscaling-terminate-lifecycle-action.json';
const WARM_POOL_LAUNCH = 'autoscaling-warm-pool-launch-lifecycle-action.json';
/** An instance launched into the warm pool (user guide example 1: Origin EC2, Destination WarmPool). */
const warmPoolEntry = () =>
  mutate(
    mutate(lifecycleEvent(WARM_POOL_LAUNCH), ['detail', 'Origin'], 'EC2'),
    ['detail', 'Destination'],
    'WarmPool',
  );
const tokenOf = (event: Record<string, unknown>) =>
  (event.detail as { LifecycleActionToken: string }).LifecycleActionToken;

/** Powertools write JSON lines straight to stdout/stderr; collect them. */
function captureOutput() {
  const lines: string[] = [];
  const record = (chunk: string | Uint8Array): boolean => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((l) => l.trim() !== ''),
    );
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(record as typeof process.stdout.write),
    jest.spyOn(process.stderr, 'write').mockImplementation(record as typeof process.stderr.write),
  ];
  const json = (): Record<string, unknown>[] =>
    lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return {
    lines,
    json,
    /** Every metric name with its value, over all EMF lines. */
    metrics: (): Record<string, unknown>[] =>
      json()
        .filter((r) => '_aws' in r)
        .flatMap((r) => {
          const emf = r as { _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } };
          return emf._aws.CloudWatchMetrics.flatMap((m) => m.Metrics.map((x) => ({ [x.Name]: r[x.Name] })));
        }),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

const sfn = mockClient(SFNClient);
const asg = mockClient(AutoScalingClient);
const ddb = mockClient(DynamoDBClient);
const doc = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);
/** What the tests need from each mock; the clients' stub types do not unify into one callable union. */
interface StrictMock {
  reset(): unknown;
  restore(): void;
  calls(): unknown[];
  onAnyCommand(): { rejects(error: Error): unknown };
}
const allMocks: StrictMock[] = [sfn, asg, ddb, doc, sns];
const sdkCalls = () => allMocks.reduce((n, m) => n + m.calls().length, 0);

let output: ReturnType<typeof captureOutput>;
const savedEnv = { ...process.env };

beforeEach(() => {
  for (const m of allMocks) {
    m.reset();
    m.onAnyCommand().rejects(new Error('unexpected command'));
  }
  doc.on(PutCommand).resolves({});
  stubPause(doc, ['us-west-2']);
  resetClients();
  setClientsForTest({
    sfn: new SFNClient({ region: 'us-west-2' }),
    autoScaling: new AutoScalingClient({ region: 'us-west-2' }),
    dynamoDB: new DynamoDBClient({ region: 'us-west-2' }),
    dynamoDoc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-west-2' })),
    sns: new SNSClient({ region: 'us-west-2' }),
  });
  Object.assign(process.env, ENVIRONMENT);
  output = captureOutput();
});

afterEach(() => {
  output.restore();
  process.env = { ...savedEnv };
});

afterAll(() => {
  for (const m of allMocks) m.restore();
  resetClients();
});

const putItems = () =>
  doc.commandCalls(PutCommand).map((c) => c.args[0].input.Item as Record<string, unknown>);

describe('dispatch: lifecycle events to executions', () => {
  it('starts node-bootstrap for a launch, with the role from the group, and audits it', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${BOOTSTRAP_ARN}:x`, startDate: new Date() });
    const event = lifecycleEvent(LAUNCH, PRIMARY);
    const before = Date.now();

    await expect(handler(event, context)).resolves.toEqual({
      outcome: 'started',
      executionName: `node-bootstrap-${INSTANCE}`,
    });

    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 2);
    const start = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(start?.stateMachineArn).toBe(BOOTSTRAP_ARN);
    expect(start?.name).toBe(`node-bootstrap-${INSTANCE}`);
    expect(JSON.parse(start?.input ?? 'null')).toEqual({
      cluster: 'artifactory-prod',
      region: 'us-west-2',
      mode: 'legacy-primary',
      instanceId: INSTANCE,
      groupName: PRIMARY,
      hookName: HOOK_NAMES.launch,
      role: 'primary',
      taskAffinity: 'any',
    });
    expect(start?.input).not.toContain(tokenOf(event));
    // A launch into the primary group is Auto Scaling replacing the primary: primary-failover starts too.
    const failoverStart = sfn.commandCalls(StartExecutionCommand)[1]?.args[0].input;
    expect(failoverStart?.stateMachineArn).toBe(FAILOVER_ARN);
    expect(failoverStart?.name).toBe(`primary-failover-replacement-${INSTANCE}`);
    expect(JSON.parse(failoverStart?.input ?? 'null')).toEqual({
      cluster: 'artifactory-prod',
      region: 'us-west-2',
      trigger: 'replacement',
      reason: expect.stringContaining(INSTANCE),
    });
    expect(failoverStart?.input).not.toContain(tokenOf(event));

    expect(doc).toHaveReceivedCommandTimes(PutCommand, 1);
    const put = doc.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put?.TableName).toBe(TABLE);
    expect(put?.ConditionExpression).toBeUndefined();
    expect(put?.Item).toEqual({
      ...auditKey('artifactory-prod', '2021-01-01T00:00:00.000Z', '12345678-1234-1234-1234-123456789012'),
      trigger: 'event',
      detailType: 'EC2 Instance-launch Lifecycle Action',
      instanceId: INSTANCE,
      group: PRIMARY,
      decision: 'start',
      workflow: 'node-bootstrap',
      executionName: `node-bootstrap-${INSTANCE}`,
      outcome: 'started',
      ttl: expect.any(Number),
    });
    const ttl = put?.Item?.ttl as number;
    const retention = AUDIT_RETENTION_DAYS * 86_400;
    expect(ttl).toBeGreaterThanOrEqual(Math.floor(before / 1000) + retention);
    expect(ttl).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + retention);

    expect(asg).toHaveReceivedCommandTimes(CompleteLifecycleActionCommand, 0);
    expect(output.metrics()).toContainEqual({ DispatchStarted: 1 });
  });

  it('starts node-drain for a terminate of a member', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${DRAIN_ARN}:x`, startDate: new Date() });

    await expect(handler(lifecycleEvent(TERMINATE), context)).resolves.toEqual({
      outcome: 'started',
      executionName: `node-drain-${INSTANCE}`,
    });

    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const start = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(start?.stateMachineArn).toBe(DRAIN_ARN);
    expect(start?.name).toBe(`node-drain-${INSTANCE}`);
    expect(JSON.parse(start?.input ?? 'null')).toMatchObject({ role: 'member', groupName: MEMBERS });
    expect(putItems()).toEqual([expect.objectContaining({ workflow: 'node-drain', outcome: 'started' })]);
  });

  it('treats a duplicated event as handled: ExecutionAlreadyExists is outcome duplicate, not an error', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn: `${BOOTSTRAP_ARN}:x`, startDate: new Date() })
      .rejectsOnce(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    // The first delivery's audit entry (same event id, same sk) is kept.
    doc
      .on(PutCommand)
      .resolvesOnce({})
      .rejectsOnce(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );
    const event = lifecycleEvent(LAUNCH);

    await expect(handler(event, context)).resolves.toMatchObject({ outcome: 'started' });
    await expect(handler(structuredClone(event), context)).resolves.toEqual({
      outcome: 'duplicate',
      executionName: `node-bootstrap-${INSTANCE}`,
    });

    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 2);
    const names = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name);
    expect(names).toEqual([`node-bootstrap-${INSTANCE}`, `node-bootstrap-${INSTANCE}`]);
    const puts = doc.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.Item?.outcome)).toEqual(['started', 'duplicate']);
    expect(puts[1]?.ConditionExpression).toBe('attribute_not_exists(sk) OR outcome = :error');
    expect(output.metrics()).toContainEqual({ DispatchDuplicate: 1 });
  });

  it('counts a still-running execution (same name and input: Step Functions answers success) as duplicate', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: `${BOOTSTRAP_ARN}:x`, startDate: new Date(Date.now() - 10 * 60_000) });

    await expect(handler(lifecycleEvent(LAUNCH), context)).resolves.toMatchObject({ outcome: 'duplicate' });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('completes a launch into the warm pool with CONTINUE and the token, without a workflow', async () => {
    asg.on(CompleteLifecycleActionCommand).resolves({});
    const event = warmPoolEntry();

    await expect(handler(event, context)).resolves.toEqual({ outcome: 'completed' });

    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
    expect(asg).toHaveReceivedCommandTimes(CompleteLifecycleActionCommand, 1);
    expect(asg).toHaveReceivedCommandWith(CompleteLifecycleActionCommand, {
      AutoScalingGroupName: MEMBERS,
      LifecycleHookName: HOOK_NAMES.launch,
      LifecycleActionToken: tokenOf(event),
      InstanceId: INSTANCE,
      LifecycleActionResult: 'CONTINUE',
    });
    expect(putItems()).toEqual([
      expect.objectContaining({ decision: 'complete', outcome: 'completed', instanceId: INSTANCE }),
    ]);
    expect(putItems()[0]).not.toHaveProperty('workflow');
    expect(output.metrics()).toContainEqual({ DispatchWarmPoolCompleted: 1 });
  });

  it('bootstraps an instance leaving the warm pool for the group like any launch', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${BOOTSTRAP_ARN}:x`, startDate: new Date() });

    await expect(handler(lifecycleEvent(WARM_POOL_LAUNCH), context)).resolves.toMatchObject({
      outcome: 'started',
    });
    expect(asg).toHaveReceivedCommandTimes(CompleteLifecycleActionCommand, 0);
  });

  it('treats a warm-pool action that is no longer active (completed by an earlier delivery) as duplicate', async () => {
    const event = warmPoolEntry();
    const gone = Object.assign(new Error(`No active Lifecycle Action found with token ${tokenOf(event)}`), {
      name: 'ValidationError',
    });
    asg.on(CompleteLifecycleActionCommand).rejects(gone);

    await expect(handler(event, context)).resolves.toEqual({ outcome: 'duplicate' });
    expect(output.lines.join('\n')).not.toContain(tokenOf(event));
  });

  it('never logs or stores the lifecycle action token', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${BOOTSTRAP_ARN}:x`, startDate: new Date() });
    asg.on(CompleteLifecycleActionCommand).resolves({});
    const launch = lifecycleEvent(LAUNCH);
    const warm = warmPoolEntry();

    await handler(launch, context);
    await handler(warm, context);

    const stored = JSON.stringify(putItems());
    const logged = output.lines.join('\n');
    for (const token of [tokenOf(launch), tokenOf(warm)]) {
      expect(stored).not.toContain(token);
      expect(logged).not.toContain(token);
    }
    expect(putItems()).toHaveLength(2);
  });

  it('lets a throttled StartExecution fail the invocation so Lambda and EventBridge retry', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $retryable: { throttling: true },
    });
    sfn.on(StartExecutionCommand).rejects(throttled);

    // The shared handler names a retryable AWS error TransientError, with the original as its cause.
    await expect(handler(lifecycleEvent(LAUNCH), context)).rejects.toMatchObject({
      name: 'TransientError',
      cause: throttled,
    });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    // The failure is audited too; the retry's own entry replaces it.
    expect(putItems()).toEqual([
      expect.objectContaining({ outcome: 'error', error: 'ThrottlingException', decision: 'start' }),
    ]);
    expect(output.metrics()).not.toContainEqual({ DispatchStarted: 1 });
  });
});

describe('dispatch: refusals', () => {
  it.each([
    [
      'missing LifecycleActionToken',
      ['detail', 'LifecycleActionToken'],
      DELETE,
      'detail.LifecycleActionToken',
    ],
    ['bad instance id', ['detail', 'EC2InstanceId'], 'i-NOTANID', 'detail.EC2InstanceId'],
    ['wrong detail-type', ['detail-type'], 'EC2 Instance Launch Successful', 'detail-type'],
  ] as const)(
    'rejects a malformed event (%s), logging the field and counting it once, without throwing (no retry), touching nothing',
    async (_what, field, value, path) => {
      const event = mutate(lifecycleEvent(LAUNCH), field, value);

      await expect(handler(event, context)).resolves.toEqual({ outcome: 'rejected', reason: 'malformed' });

      expect(sdkCalls()).toBe(0);
      expect(output.metrics().filter((m) => INVALID_EVENT_METRIC in m)).toEqual([
        { [INVALID_EVENT_METRIC]: 1 },
      ]);
      const logged = output.json().find((r) => r.message === 'Invalid event') as
        | { issues: { path: string }[] }
        | undefined;
      expect(logged?.issues.map((i) => i.path)).toEqual([path]);
    },
  );

  /** The ForeignEvent metric lines with their Reason dimension. */
  const foreignMetrics = () =>
    output
      .json()
      .filter((r) => 'ForeignEvent' in r)
      .map((r) => ({ ForeignEvent: r.ForeignEvent, Reason: r.Reason }));

  it.each([
    ['a group that is not the cluster’s', lifecycleEvent(LAUNCH, 'someone-elses-asg'), 'group'],
    [
      'another team’s launch hook on the cluster’s group',
      lifecycleEvent(LAUNCH, MEMBERS, 'other-team-launch'),
      'hook',
    ],
    [
      'another team’s terminate hook on the cluster’s group',
      lifecycleEvent(TERMINATE, PRIMARY, 'other-team-terminate'),
      'hook',
    ],
    [
      'the project’s terminate hook name on a launch',
      lifecycleEvent(LAUNCH, MEMBERS, HOOK_NAMES.terminate),
      'hook',
    ],
    [
      'another team’s hook on a warm-pool entry',
      mutate(warmPoolEntry(), ['detail', 'LifecycleHookName'], 'x'),
      'hook',
    ],
    ['another region', mutate(lifecycleEvent(LAUNCH), ['region'], 'us-east-1'), 'region'],
  ] as const)(
    'refuses a lifecycle event of %s: logged and counted once, not thrown, not audited, touching nothing',
    async (_what, event, reason) => {
      await expect(handler(event, context)).resolves.toEqual({ outcome: 'rejected', reason });

      expect(sdkCalls()).toBe(0);
      expect(foreignMetrics()).toEqual([{ ForeignEvent: 1, Reason: reason }]);
      expect(output.json().filter((r) => String(r.message).startsWith('event refused'))).toHaveLength(1);
      expect(output.lines.join('\n')).not.toContain(tokenOf(event));
    },
  );

  it.each([
    ENV.awsRegion,
    ENV.clusterName,
    ENV.clusterMode,
    ENV.primaryAsgName,
    ENV.memberAsgName,
    ENV.bootstrapStateMachineArn,
    ENV.drainStateMachineArn,
    ENV.stateTable,
  ])('fails with a ConfigurationError when %s is missing, touching nothing', async (name) => {
    delete process.env[name];

    const err: unknown = await handler(lifecycleEvent(LAUNCH), context).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toContain(name);
    expect(sdkCalls()).toBe(0);
  });

  it('fails with a ConfigurationError on an unknown cluster mode', async () => {
    process.env[ENV.clusterMode] = 'active-active';

    const err: unknown = await handler(lifecycleEvent(LAUNCH), context).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toContain(ENV.clusterMode);
    expect(sdkCalls()).toBe(0);
  });
});

describe('dispatch: a primary launch starts primary-failover (replacement)', () => {
  it('does not for a member launch, nor in cloud-native mode (no single primary)', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${BOOTSTRAP_ARN}:x`, startDate: new Date() });

    await handler(lifecycleEvent(LAUNCH, MEMBERS), context);
    process.env[ENV.clusterMode] = 'cloud-native';
    await handler(lifecycleEvent(LAUNCH, PRIMARY), context);

    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.stateMachineArn)).toEqual([
      BOOTSTRAP_ARN,
      BOOTSTRAP_ARN,
    ]);
  });

  it('treats a replacement failover that already exists as started (a redelivered launch event)', async () => {
    sfn
      .on(StartExecutionCommand, { stateMachineArn: BOOTSTRAP_ARN })
      .resolves({ executionArn: `${BOOTSTRAP_ARN}:x`, startDate: new Date() })
      .on(StartExecutionCommand, { stateMachineArn: FAILOVER_ARN })
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

    await expect(handler(lifecycleEvent(LAUNCH, PRIMARY), context)).resolves.toMatchObject({
      outcome: 'started',
    });
  });
});

describe('dispatch: the primary-unhealthy alarm', () => {
  const ALARM = 'artifactory-prod-us-west-2-primary-unhealthy';
  /** AWS's sample metric alarm event, for this region's primary-unhealthy alarm. */
  const alarmEvent = (alarmName = ALARM, state = 'ALARM') =>
    mutate(
      mutate(
        mutate(loadEventFixture('cloudwatch-metric-alarm-state-change.json'), ['region'], 'us-west-2'),
        ['detail', 'alarmName'],
        alarmName,
      ),
      ['detail', 'state', 'value'],
      state,
    );
  const NAME = `primary-failover-alarm-us-west-2-${Date.parse('2019-10-02T17:04:40Z') / 1000}`;

  it('starts primary-failover with a deterministic name and the alarm as reason, and audits it', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${FAILOVER_ARN}:x`, startDate: new Date() });

    await expect(handler(alarmEvent(), context)).resolves.toEqual({
      outcome: 'started',
      executionName: NAME,
    });

    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const start = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(start?.stateMachineArn).toBe(FAILOVER_ARN);
    expect(start?.name).toBe(NAME);
    expect(NAME.length).toBeLessThanOrEqual(80);
    expect(JSON.parse(start?.input ?? 'null')).toEqual({
      cluster: 'artifactory-prod',
      region: 'us-west-2',
      trigger: 'alarm',
      reason: expect.stringMatching(new RegExp(`^${ALARM} is in ALARM: Threshold Crossed`)),
    });
    expect(putItems()).toEqual([
      {
        ...auditKey('artifactory-prod', '2019-10-02T17:04:40.000Z', 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92'),
        trigger: 'alarm',
        detailType: 'CloudWatch Alarm State Change',
        alarmName: ALARM,
        workflow: 'primary-failover',
        executionName: NAME,
        outcome: 'started',
        ttl: expect.any(Number),
      },
    ]);
    expect(doc.commandCalls(PutCommand)[0]?.args[0].input.ConditionExpression).toBeUndefined();
    expect(output.metrics()).toContainEqual({ DispatchStarted: 1 });
  });

  it('treats a redelivered alarm event as duplicate (ExecutionAlreadyExists) and keeps the first audit entry', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn: `${FAILOVER_ARN}:x`, startDate: new Date() })
      .rejectsOnce(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    doc
      .on(PutCommand)
      .resolvesOnce({})
      .rejectsOnce(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

    await expect(handler(alarmEvent(), context)).resolves.toMatchObject({ outcome: 'started' });
    await expect(handler(alarmEvent(), context)).resolves.toEqual({
      outcome: 'duplicate',
      executionName: NAME,
    });

    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).toEqual([NAME, NAME]);
    const puts = doc.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.Item?.outcome)).toEqual(['started', 'duplicate']);
    // The duplicate's entry may only fill a gap, never replace the `started` one (same event id, same sk).
    expect(puts[1]?.ConditionExpression).toBe('attribute_not_exists(sk)');
    expect(output.metrics()).toContainEqual({ DispatchDuplicate: 1 });
  });

  it('counts a still-running execution (Step Functions answers success with its old startDate) as duplicate', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: `${FAILOVER_ARN}:x`, startDate: new Date(Date.now() - 10 * 60_000) });

    await expect(handler(alarmEvent(), context)).resolves.toMatchObject({ outcome: 'duplicate' });
  });

  it.each([
    ['another alarm', alarmEvent('ServerCpuTooHigh')],
    ['another region’s primary alarm', alarmEvent('artifactory-prod-us-east-1-primary-unhealthy')],
    ['another cluster’s primary alarm', alarmEvent('artifactory-staging-us-west-2-primary-unhealthy')],
    ['the alarm going back to OK', alarmEvent(ALARM, 'OK')],
  ])('refuses %s without throwing, counted once, starting nothing', async (_what, event) => {
    await expect(handler(event, context)).resolves.toEqual({ outcome: 'rejected', reason: 'alarm' });

    expect(sdkCalls()).toBe(0);
    expect(output.metrics()).toEqual(expect.arrayContaining([{ ForeignEvent: 1 }]));
    expect(output.metrics().filter((m) => 'ForeignEvent' in m)).toHaveLength(1);
  });

  it('refuses this stack’s alarm name arriving as another region’s event (event.region is not trusted)', async () => {
    const event = mutate(alarmEvent(), ['region'], 'us-east-1');

    await expect(handler(event, context)).resolves.toEqual({ outcome: 'rejected', reason: 'region' });
    expect(sdkCalls()).toBe(0);
  });

  it('fails with a ConfigurationError without FAILOVER_STATE_MACHINE_ARN, touching nothing', async () => {
    delete process.env[ENV.failoverStateMachineArn];

    const err: unknown = await handler(alarmEvent(), context).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toContain(ENV.failoverStateMachineArn);
    expect(sdkCalls()).toBe(0);
  });

  it('lets a throttled StartExecution fail the invocation so EventBridge retries', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    sfn.on(StartExecutionCommand).rejects(throttled);

    await expect(handler(alarmEvent(), context)).rejects.toBe(throttled);
    expect(output.metrics()).not.toContainEqual({ DispatchStarted: 1 });
  });
});

describe('dispatch: while an operator paused automation (the PAUSE item)', () => {
  const alarmEvent = () =>
    mutate(
      mutate(loadEventFixture('cloudwatch-metric-alarm-state-change.json'), ['region'], 'us-west-2'),
      ['detail', 'alarmName'],
      'artifactory-prod-us-west-2-primary-unhealthy',
    );
  it('holds the alarm exactly as automation.enabled false does: no failover, one notice, audited paused', async () => {
    stubPause(doc, ['us-west-2'], pausedItem());
    doc.on(UpdateCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    await expect(handler(alarmEvent(), context)).resolves.toEqual({ outcome: 'paused' });

    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(doc.commandCalls(GetCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: 'routing-us-west-2',
        Key: { pk: 'ROUTING#artifactory-prod', sk: 'PAUSE' },
        ConsistentRead: true,
      },
    ]);
  });

  it('still bootstraps a primary-group launch but starts no replacement failover', async () => {
    stubPause(doc, ['us-west-2'], pausedItem());
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${BOOTSTRAP_ARN}:x`, startDate: new Date() });

    await handler(lifecycleEvent(LAUNCH, PRIMARY), context);

    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.stateMachineArn)).toEqual([
      BOOTSTRAP_ARN,
    ]);
  });

  it('acts again once resumed (a newer item, paused false)', async () => {
    stubPause(doc, ['us-west-2'], pausedItem({ paused: false, version: 2 }));
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${FAILOVER_ARN}:x`, startDate: new Date() });

    await expect(handler(alarmEvent(), context)).resolves.toMatchObject({ outcome: 'started' });
  });

  it('does not act when the pause cannot be read: the event fails and is retried', async () => {
    const down = Object.assign(new Error('DynamoDB is down'), { name: 'InternalServerError' });
    doc.on(GetCommand, { TableName: 'routing-us-west-2' }).rejects(down);

    await expect(handler(alarmEvent(), context)).rejects.toMatchObject({ name: 'InternalServerError' });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  it('fails fast without PAUSE_TABLES, starting nothing', async () => {
    delete process.env[ENV.pauseTables];
    await expect(handler(alarmEvent(), context)).rejects.toMatchObject({ name: 'ConfigurationError' });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });
});

describe('dispatch: while automation is paused', () => {
  const ALARM = 'artifactory-prod-us-west-2-primary-unhealthy';
  const alarmEvent = () =>
    mutate(
      mutate(loadEventFixture('cloudwatch-metric-alarm-state-change.json'), ['region'], 'us-west-2'),
      ['detail', 'alarmName'],
      ALARM,
    );
  const conditionFailed = () =>
    new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
  const updates = () => doc.commandCalls(UpdateCommand).map((c) => c.args[0].input);

  beforeEach(() => {
    process.env[ENV.automationEnabled] = 'false';
  });

  it('starts no failover for the alarm: tells the operator once (claimed record), audits `paused`, counts it', async () => {
    doc.on(UpdateCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    await expect(handler(alarmEvent(), context)).resolves.toEqual({ outcome: 'paused' });

    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
    expect(updates()).toEqual([
      expect.objectContaining({
        TableName: TABLE,
        Key: noticeKey('artifactory-prod', 'no-primary'),
        ConditionExpression: 'attribute_not_exists(lastSeenAt) OR lastSeenAt < :quietSince',
      }),
    ]);
    const published = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(published?.TopicArn).toBe(TOPIC);
    expect(published?.Subject).toBe(
      '[artifactory-prod/us-west-2] automation paused: no primary in the primary group',
    );
    expect(published?.Message).toMatch(new RegExp(`^${ALARM} went into ALARM at 2019-10-02T17:04:40Z`));
    expect(published?.Message).toMatch(/No failover was started/);
    expect(putItems()).toEqual([
      {
        ...auditKey('artifactory-prod', '2019-10-02T17:04:40.000Z', 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92'),
        trigger: 'alarm',
        detailType: 'CloudWatch Alarm State Change',
        alarmName: ALARM,
        workflow: 'primary-failover',
        notified: true,
        outcome: 'paused',
        ttl: expect.any(Number),
      },
    ]);
    expect(doc.commandCalls(PutCommand)[0]?.args[0].input.ConditionExpression).toBe(
      'attribute_not_exists(sk)',
    );
    expect(output.metrics()).toEqual(
      expect.arrayContaining([{ DispatchPaused: 1 }, { PausedIncidentNotified: 1 }]),
    );
  });

  it('does not notify a sighting of an incident already notified: records the repeat and audits it', async () => {
    doc.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});

    await expect(handler(alarmEvent(), context)).resolves.toEqual({ outcome: 'paused' });

    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
    expect(updates().map((u) => u.UpdateExpression)).toEqual([
      expect.stringMatching(/^SET lastSeenAt = :now, firstSeenAt = :now/),
      'SET lastSeenAt = :now, #ttl = :ttl ADD repeats :one',
    ]);
    expect(putItems()[0]).toMatchObject({ outcome: 'paused', notified: false });
    expect(output.metrics()).toEqual(expect.arrayContaining([{ PausedIncidentRepeat: 1 }]));
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  it('gives the claim back when the notice cannot be sent, and fails so the event is retried', async () => {
    doc.on(UpdateCommand).resolves({});
    const down = Object.assign(new Error('SNS is down'), { name: 'InternalErrorException' });
    sns.on(PublishCommand).rejects(down);

    await expect(handler(alarmEvent(), context)).rejects.toBe(down);

    expect(updates().map((u) => u.UpdateExpression)).toEqual([
      expect.stringMatching(/^SET lastSeenAt = :now/),
      'REMOVE #last, #notified',
    ]);
    expect(putItems()).toEqual([]);
  });

  it('still bootstraps a primary-group launch, but starts no replacement failover and sends nothing', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${BOOTSTRAP_ARN}:x`, startDate: new Date() });

    await expect(handler(lifecycleEvent(LAUNCH, PRIMARY), context)).resolves.toMatchObject({
      outcome: 'started',
    });

    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.stateMachineArn)).toEqual([
      BOOTSTRAP_ARN,
    ]);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
    expect(output.metrics()).toEqual(expect.arrayContaining([{ DispatchPaused: 1 }]));
  });

  it.each(['TRUE', 'yes', ''])(
    'fails with a ConfigurationError naming AUTOMATION_ENABLED for %j, touching nothing',
    async (value) => {
      process.env[ENV.automationEnabled] = value;

      const err: unknown = await handler(alarmEvent(), context).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(ConfigurationError);
      expect((err as Error).message).toContain(ENV.automationEnabled);
      expect(sdkCalls()).toBe(0);
    },
  );
});
