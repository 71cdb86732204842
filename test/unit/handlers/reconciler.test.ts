import {
  AutoScalingClient,
  type AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
  type Instance,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { auditKey, lockKey, noticeKey, stateKey } from '../../../functions/core/keys';
import { HOOK_NAMES } from '../../../functions/core/lifecycle';
import { handler, SweepIncompleteError } from '../../../functions/reconciler/handler';
import { resetClients, setClientsForTest } from '../../../functions/shared/clients/base';
import { ENV } from '../../../functions/shared/env';
import { ConfigurationError, ValidationError } from '../../../functions/shared/errors';
import { INVALID_EVENT_METRIC } from '../../../functions/shared/handler';
import { loadEventFixture, mutate } from '../shared/fixtures';
import { pauseTablesEnv, stubPause } from './pause-mocks';

const PRIMARY = 'prod-primary';
const MEMBERS = 'prod-members';
const BOOTSTRAP_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:node-bootstrap';
const DRAIN_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:node-drain';
const FAILOVER_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:primary-failover';
const TABLE = 'artifactory-ha-state';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:artifactory-ha-ops';

const ENVIRONMENT: Record<string, string> = {
  [ENV.clusterName]: 'artifactory-prod',
  [ENV.clusterMode]: 'cloud-native',
  [ENV.primaryAsgName]: PRIMARY,
  [ENV.memberAsgName]: MEMBERS,
  [ENV.bootstrapStateMachineArn]: BOOTSTRAP_ARN,
  [ENV.drainStateMachineArn]: DRAIN_ARN,
  [ENV.failoverStateMachineArn]: FAILOVER_ARN,
  [ENV.stateTable]: TABLE,
  [ENV.automationEnabled]: 'true',
  [ENV.topicArn]: TOPIC,
  [ENV.metricNamespace]: 'ArtifactoryHA',
  [ENV.awsRegion]: 'us-east-1',
  ...pauseTablesEnv('us-east-1'),
  [ENV.pauseReminderHours]: '4',
  [ENV.runBounds]: JSON.stringify([
    { workflow: 'primary-failover', arn: FAILOVER_ARN, root: true, boundSeconds: 1800 },
  ]),
  [ENV.cooldownMinutes]: '60',
  [ENV.dailyBudget]: '3',
};

const context: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'reconciler',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:reconciler',
  memoryLimitInMB: '512',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/reconciler',
  logStreamName: '2026/01/01/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

const SCHEDULED = 'eventbridge-scheduled-event.json';

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

const instance = (InstanceId: string, LifecycleState: Instance['LifecycleState']): Instance => ({
  InstanceId,
  LifecycleState,
  AvailabilityZone: 'us-east-1a',
  HealthStatus: 'Healthy',
  ProtectedFromScaleIn: false,
});

const group = (AutoScalingGroupName: string, Instances: Instance[]): AutoScalingGroup => ({
  AutoScalingGroupName,
  Instances,
  MinSize: 0,
  MaxSize: 10,
  DesiredCapacity: Instances.length,
  DefaultCooldown: 300,
  AvailabilityZones: ['us-east-1a'],
  HealthCheckType: 'ELB',
  CreatedTime: new Date('2026-01-01T00:00:00Z'),
});

const P_WAITING = 'i-0aaaaaaaaaaaaaaa1';
const M_WAITING = 'i-0bbbbbbbbbbbbbbb2';
const M_TERMINATING = 'i-0ccccccccccccccc3';
const M_IN_SERVICE = 'i-0ddddddddddddddd4';

const sfn = mockClient(SFNClient);
const asg = mockClient(AutoScalingClient);
const ddb = mockClient(DynamoDBClient);
const doc = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);
const cw = mockClient(CloudWatchClient);
/** The sweep's own metrics as published (PutMetricData, dimensions Cluster and Region). */
const sweepMetrics = () =>
  cw
    .commandCalls(PutMetricDataCommand)
    .flatMap((c) => (c.args[0].input.MetricData ?? []).map((d) => ({ [String(d.MetricName)]: d.Value })));
/** What the tests need from each mock; the clients' stub types do not unify into one callable union. */
interface StrictMock {
  reset(): unknown;
  restore(): void;
  calls(): unknown[];
  onAnyCommand(): { rejects(error: Error): unknown };
}
const allMocks: StrictMock[] = [sfn, asg, ddb, doc, sns, cw];
const sdkCalls = () => allMocks.reduce((n, m) => n + m.calls().length, 0);

const describes = (...groups: AutoScalingGroup[]) =>
  asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: groups });
const started = () => ({
  executionArn: 'arn:aws:states:us-east-1:123456789012:execution:x:y',
  startDate: new Date(),
});
const alreadyExists = () =>
  new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} });
const startedNames = () => sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name);

let output: ReturnType<typeof captureOutput>;
const savedEnv = { ...process.env };

beforeEach(() => {
  for (const m of allMocks) {
    m.reset();
    m.onAnyCommand().rejects(new Error('unexpected command'));
  }
  doc.on(PutCommand).resolves({});
  // No node record holds a certificate: the sweep publishes no CertificateDaysLeft (reconciler-certificates.test.ts).
  doc.on(QueryCommand).resolves({ Items: [] });
  // The census line's reads (state and gate items: none recorded), the pause (never paused), no running run.
  doc.on(GetCommand, { TableName: TABLE }).resolves({});
  stubPause(doc, ['us-east-1']);
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  cw.on(PutMetricDataCommand).resolves({});
  resetClients();
  setClientsForTest({
    sfn: new SFNClient({ region: 'us-east-1' }),
    autoScaling: new AutoScalingClient({ region: 'us-east-1' }),
    dynamoDB: new DynamoDBClient({ region: 'us-east-1' }),
    dynamoDoc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    sns: new SNSClient({ region: 'us-east-1' }),
    cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
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

describe('reconciler sweep', () => {
  it('starts the execution a lost event would have started, and leaves handled ones alone', async () => {
    describes(
      group(PRIMARY, [instance(P_WAITING, 'Pending:Wait')]),
      group(MEMBERS, [instance(M_WAITING, 'Pending:Wait'), instance(M_IN_SERVICE, 'InService')]),
    );
    sfn
      .on(StartExecutionCommand, { name: `node-bootstrap-${P_WAITING}` })
      .rejects(alreadyExists())
      .on(StartExecutionCommand, { name: `node-bootstrap-${M_WAITING}` })
      .resolves(started());

    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toEqual({
      checked: 2,
      recovered: 1,
      alreadyHandled: 1,
    });

    expect(asg).toHaveReceivedCommandTimes(DescribeAutoScalingGroupsCommand, 1);
    expect(asg).toHaveReceivedCommandWith(DescribeAutoScalingGroupsCommand, {
      AutoScalingGroupNames: [PRIMARY, MEMBERS],
    });
    expect(startedNames()).toEqual([`node-bootstrap-${P_WAITING}`, `node-bootstrap-${M_WAITING}`]);
    const recovered = sfn.commandCalls(StartExecutionCommand)[1]?.args[0].input;
    expect(recovered?.stateMachineArn).toBe(BOOTSTRAP_ARN);
    // The same input dispatch computes for the event (the hook name is the stack's).
    expect(JSON.parse(recovered?.input ?? 'null')).toEqual({
      cluster: 'artifactory-prod',
      region: 'us-east-1',
      mode: 'cloud-native',
      instanceId: M_WAITING,
      groupName: MEMBERS,
      hookName: HOOK_NAMES.launch,
      role: 'member',
      taskAffinity: 'any',
    });

    expect(doc).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(doc).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: {
        ...auditKey(
          'artifactory-prod',
          '2015-10-08T16:53:06.000Z',
          `53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa#${M_WAITING}`,
        ),
        trigger: 'sweep',
        detailType: 'Scheduled Event',
        instanceId: M_WAITING,
        group: MEMBERS,
        decision: 'start',
        workflow: 'node-bootstrap',
        executionName: `node-bootstrap-${M_WAITING}`,
        outcome: 'started',
        ttl: expect.any(Number),
      },
    });
    expect(output.metrics()).toContainEqual({ SweepRecovered: 1 });
    // No failure, no SweepErrors datapoint (an idle metric costs as much as a busy one).
    expect(sweepMetrics()).toEqual([]);
  });

  it('acts only under the project’s own hook: an instance another team’s hook still holds gets nothing new', async () => {
    // The project's launch action is done (its bootstrap closed); another team's hook keeps the instance in
    // Pending:Wait. The sweep cannot see which hook waits, so it asks for the project's execution, under the
    // project's hook and the event's name: Step Functions answers that it exists, and nothing starts.
    describes(group(PRIMARY, []), group(MEMBERS, [instance(M_WAITING, 'Pending:Wait')]));
    sfn.on(StartExecutionCommand).rejects(alreadyExists());

    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toEqual({
      checked: 1,
      recovered: 0,
      alreadyHandled: 1,
    });

    const inputs = sfn
      .commandCalls(StartExecutionCommand)
      .map((c) => JSON.parse(c.args[0].input.input ?? 'null') as { hookName: string });
    expect(inputs.map((i) => i.hookName)).toEqual([HOOK_NAMES.launch]);
    expect(startedNames()).toEqual([`node-bootstrap-${M_WAITING}`]);
    expect(doc).toHaveReceivedCommandTimes(PutCommand, 0);
  });

  it('drains an instance found in Terminating:Wait', async () => {
    describes(group(PRIMARY, []), group(MEMBERS, [instance(M_TERMINATING, 'Terminating:Wait')]));
    sfn.on(StartExecutionCommand).resolves(started());

    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toEqual({
      checked: 1,
      recovered: 1,
      alreadyHandled: 0,
    });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: DRAIN_ARN,
      name: `node-drain-${M_TERMINATING}`,
    });
  });

  it('counts an execution still running (Step Functions answers success with its old startDate) as handled', async () => {
    describes(group(PRIMARY, [instance(P_WAITING, 'Pending:Wait')]), group(MEMBERS, []));
    sfn.on(StartExecutionCommand).resolves({ ...started(), startDate: new Date(Date.now() - 5 * 60_000) });

    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toEqual({
      checked: 1,
      recovered: 0,
      alreadyHandled: 1,
    });
    expect(doc).toHaveReceivedCommandTimes(PutCommand, 0);
  });

  it('starts nothing when no instance waits on a lifecycle hook', async () => {
    describes(
      group(PRIMARY, [instance(P_WAITING, 'InService')]),
      group(MEMBERS, [instance(M_IN_SERVICE, 'InService'), instance(M_WAITING, 'Pending')]),
    );

    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toEqual({
      checked: 0,
      recovered: 0,
      alreadyHandled: 0,
    });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
    expect(doc).toHaveReceivedCommandTimes(PutCommand, 0);
    // Nothing recovered and nothing failed: the idle sweep publishes no metric at all.
    expect(output.metrics()).toEqual([]);
  });

  it('keeps sweeping past an instance it cannot start, then throws SweepIncomplete naming it', async () => {
    describes(
      group(PRIMARY, [instance(P_WAITING, 'Pending:Wait')]),
      group(MEMBERS, [instance(M_WAITING, 'Pending:Wait'), instance(M_TERMINATING, 'Terminating:Wait')]),
    );
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    sfn
      .on(StartExecutionCommand)
      .resolves(started())
      .on(StartExecutionCommand, { name: `node-bootstrap-${M_WAITING}` })
      .rejects(throttled);

    const err: unknown = await handler(loadEventFixture(SCHEDULED), context).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(SweepIncompleteError);
    expect((err as Error).name).toBe('SweepIncomplete');
    expect((err as Error).message).toContain(M_WAITING);
    expect((err as SweepIncompleteError).failed).toEqual([M_WAITING]);
    expect(((err as Error).cause as AggregateError).errors).toEqual([throttled]);
    expect(startedNames()).toEqual([
      `node-bootstrap-${P_WAITING}`,
      `node-bootstrap-${M_WAITING}`,
      `node-drain-${M_TERMINATING}`,
    ]);
    expect(doc.commandCalls(PutCommand).map((c) => c.args[0].input.Item?.instanceId)).toEqual([
      P_WAITING,
      M_TERMINATING,
    ]);
    expect(output.metrics()).toContainEqual({ SweepRecovered: 2 });
    expect(sweepMetrics()).toEqual([{ SweepErrors: 1 }]);
    const errorLog = output.json().find((r) => r.message === 'sweep could not handle instance');
    expect(errorLog).toMatchObject({ instanceId: M_WAITING, errorName: 'ThrottlingException' });
  });

  it('reports a configured group Auto Scaling does not know, after sweeping the other', async () => {
    describes(group(MEMBERS, [instance(M_WAITING, 'Pending:Wait')]));
    sfn.on(StartExecutionCommand).resolves(started());

    const err: unknown = await handler(loadEventFixture(SCHEDULED), context).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(SweepIncompleteError);
    expect((err as SweepIncompleteError).failed).toEqual([`group:${PRIMARY}`]);
    expect(startedNames()).toEqual([`node-bootstrap-${M_WAITING}`]);
  });

  it('lets a failing DescribeAutoScalingGroups fail the sweep', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    asg.on(DescribeAutoScalingGroupsCommand).rejects(throttled);

    await expect(handler(loadEventFixture(SCHEDULED), context)).rejects.toBe(throttled);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  it('rejects an event that is not a scheduled event, touching nothing', async () => {
    const event = mutate(loadEventFixture(SCHEDULED), ['source'], 'aws.autoscaling');

    const err: unknown = await handler(event, context).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual(['source']);
    expect(sdkCalls()).toBe(0);
    expect(output.metrics()).toContainEqual({ [INVALID_EVENT_METRIC]: 1 });
  });

  it('fails with a ConfigurationError when the configuration is incomplete, touching nothing', async () => {
    delete process.env[ENV.drainStateMachineArn];

    await expect(handler(loadEventFixture(SCHEDULED), context)).rejects.toBeInstanceOf(ConfigurationError);
    expect(sdkCalls()).toBe(0);
  });
});

describe('reconciler sweep: census of primaries (legacy-primary)', () => {
  const P = 'i-0eeeeeeeeeeeeeee5';
  const R = 'i-0fffffffffffffff6';
  const SWEEP_NAME = `primary-failover-reconciler-us-east-1-${Date.parse('2015-10-08T16:53:06Z') / 1000}`;
  const recorded = (Item: Record<string, unknown> | undefined) =>
    doc
      .on(GetCommand, { TableName: TABLE, Key: stateKey('artifactory-prod') })
      .resolves({ Item: Item && { ...stateKey('artifactory-prod'), ...Item } });

  beforeEach(() => {
    process.env[ENV.clusterMode] = 'legacy-primary';
  });

  it('reads the state item consistently and starts nothing when there is one primary', async () => {
    describes(
      group(PRIMARY, [instance(P, 'InService')]),
      group(MEMBERS, [instance(M_IN_SERVICE, 'InService')]),
    );
    recorded({ epoch: 3, primary: P, phase: 'committed' });

    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toEqual({
      checked: 0,
      recovered: 0,
      alreadyHandled: 0,
      primaries: { census: 'ok' },
    });
    expect(doc).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE,
      Key: stateKey('artifactory-prod'),
      ConsistentRead: true,
    });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  it('starts primary-failover (trigger reconciler, one per sweep) when the primary group is empty', async () => {
    describes(group(PRIMARY, []), group(MEMBERS, [instance(M_IN_SERVICE, 'InService')]));
    recorded({ epoch: 3, primary: P, phase: 'committed' });
    sfn.on(StartExecutionCommand).resolves(started());

    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toMatchObject({
      primaries: { census: 'zero', execution: SWEEP_NAME },
    });
    expect(startedNames()).toEqual([SWEEP_NAME]);
    const start = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(start?.stateMachineArn).toBe(FAILOVER_ARN);
    expect(JSON.parse(start?.input ?? 'null')).toEqual({
      cluster: 'artifactory-prod',
      region: 'us-east-1',
      trigger: 'reconciler',
      reason: expect.stringMatching(/^reconciler: zero primaries/),
    });
    expect(output.metrics()).toContainEqual({ PrimaryCensusFailover: 1 });
    // The start is audited like dispatch's decisions (issue 15 §6), once per sweep.
    expect(doc.commandCalls(PutCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({
        ConditionExpression: 'attribute_not_exists(sk)',
        Item: expect.objectContaining({
          pk: 'CLUSTER#artifactory-prod',
          sk: expect.stringMatching(/^AUDIT#.*#census$/),
          trigger: 'sweep',
          decision: 'census-zero',
          workflow: 'primary-failover',
          executionName: SWEEP_NAME,
          outcome: 'started',
        }),
      }),
    ]);
  });

  it('starts primary-failover on two primaries, and counts an existing execution as started', async () => {
    describes(group(PRIMARY, [instance(P, 'InService'), instance(R, 'InService')]), group(MEMBERS, []));
    recorded({ epoch: 3, primary: P, phase: 'committed' });
    sfn.on(StartExecutionCommand).rejects(alreadyExists());

    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toMatchObject({
      primaries: { census: 'two', execution: SWEEP_NAME },
    });
    expect(doc.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      decision: 'census-two',
      outcome: 'duplicate',
    });
  });

  it('leaves a running election alone, but not an abandoned one', async () => {
    describes(group(PRIMARY, []), group(MEMBERS, [instance(M_IN_SERVICE, 'InService')]));
    sfn.on(StartExecutionCommand).resolves(started());

    recorded({ epoch: 4, phase: 'fenced', fencedAt: Date.now() - 60_000 });
    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toMatchObject({
      primaries: { census: 'ok' },
    });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);

    // Fenced two hours ago and never committed or escalated: its execution died.
    recorded({ epoch: 4, phase: 'fenced', fencedAt: Date.now() - 2 * 3_600_000 });
    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toMatchObject({
      primaries: { census: 'zero' },
    });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('follows the election’s own status: a running one hides the census however long it takes, an ended one at once', async () => {
    describes(group(PRIMARY, []), group(MEMBERS, [instance(M_IN_SERVICE, 'InService')]));
    sfn.on(StartExecutionCommand).resolves(started());
    const owner = 'arn:aws:states:us-east-1:123456789012:execution:primary-failover:slow';
    // Fenced 80 minutes ago (a worst-case run, past the old 30-minute staleness) and still running.
    sfn.on(DescribeExecutionCommand, { executionArn: owner }).resolves({ status: 'RUNNING' });
    recorded({ epoch: 4, phase: 'fenced', owner, fencedAt: Date.now() - 80 * 60_000 });
    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toMatchObject({
      primaries: { census: 'ok' },
    });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);

    // Fenced a minute ago, but its execution was stopped: nothing will commit it.
    sfn.on(DescribeExecutionCommand, { executionArn: owner }).resolves({ status: 'ABORTED' });
    recorded({ epoch: 4, phase: 'fenced', owner, fencedAt: Date.now() - 60_000 });
    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toMatchObject({
      primaries: { census: 'zero' },
    });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('still recovers lost lifecycle events when the census fails, then throws SweepIncomplete', async () => {
    describes(group(PRIMARY, [instance(P_WAITING, 'Pending:Wait')]), group(MEMBERS, []));
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ProvisionedThroughputExceededException',
    });
    doc.on(GetCommand, { TableName: TABLE }).rejects(throttled);
    sfn.on(StartExecutionCommand).resolves(started());

    const err: unknown = await handler(loadEventFixture(SCHEDULED), context).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(SweepIncompleteError);
    // The census line reads the same table: it fails too, and says so.
    expect((err as SweepIncompleteError).failed).toEqual(['census', 'census-line']);
    expect(startedNames()).toEqual([`node-bootstrap-${P_WAITING}`]);
  });

  it('fails fast without FAILOVER_STATE_MACHINE_ARN, touching nothing', async () => {
    delete process.env[ENV.failoverStateMachineArn];

    const err: unknown = await handler(loadEventFixture(SCHEDULED), context).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toContain(ENV.failoverStateMachineArn);
    expect(sdkCalls()).toBe(0);
  });

  it('takes no census in cloud-native mode (no single primary)', async () => {
    process.env[ENV.clusterMode] = 'cloud-native';
    delete process.env[ENV.failoverStateMachineArn];
    describes(group(PRIMARY, []), group(MEMBERS, [instance(M_IN_SERVICE, 'InService')]));

    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toEqual({
      checked: 0,
      recovered: 0,
      alreadyHandled: 0,
    });
    // Only the pause and the census line read: no census of primaries.
    expect(doc.commandCalls(GetCommand).map((c) => c.args[0].input.Key?.sk)).toEqual([
      'PAUSE',
      'STATE',
      'GATE#primary-failover',
    ]);
  });
});

describe('reconciler sweep while automation is paused', () => {
  const P = 'i-0eeeeeeeeeeeeeee5';
  const DEAD_RUN = 'arn:aws:states:us-east-1:123456789012:execution:primary-failover:manual-1';
  const NOW = Date.parse('2015-10-08T16:53:06Z');
  const suspended = (g: AutoScalingGroup, ...processes: string[]): AutoScalingGroup => ({
    ...g,
    SuspendedProcesses: processes.map((ProcessName) => ({ ProcessName, SuspensionReason: 'User suspended' })),
  });
  const items = (state: Record<string, unknown> | undefined, lock: Record<string, unknown> | undefined) =>
    doc
      .on(GetCommand, { Key: stateKey('artifactory-prod') })
      .resolves({ Item: state && { ...stateKey('artifactory-prod'), ...state } })
      .on(GetCommand, { Key: lockKey('artifactory-prod', 'cluster') })
      .resolves({ Item: lock && { ...lockKey('artifactory-prod', 'cluster'), ...lock } });
  const updates = () => doc.commandCalls(UpdateCommand).map((c) => c.args[0].input);

  beforeEach(() => {
    process.env[ENV.clusterMode] = 'legacy-primary';
    process.env[ENV.automationEnabled] = 'false';
    jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval'] });
    doc.on(UpdateCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('reports what the census found instead of starting a failover, once per incident, and audits every sweep', async () => {
    describes(group(PRIMARY, []), group(MEMBERS, [instance(M_IN_SERVICE, 'InService')]));
    items({ epoch: 3, primary: P, phase: 'committed' }, undefined);

    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toMatchObject({
      primaries: { census: 'zero', paused: true, notified: true },
    });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
    expect(updates()[0]?.Key).toEqual(noticeKey('artifactory-prod', 'no-primary'));
    const published = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(published?.Subject).toBe(
      '[artifactory-prod/us-east-1] automation paused: no primary in the primary group',
    );
    expect(published?.Message).toMatch(/^The sweep's census found zero primaries: no instance InService/);
    expect(doc.commandCalls(PutCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Item: expect.objectContaining({
          ...auditKey(
            'artifactory-prod',
            '2015-10-08T16:53:06Z',
            '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa#no-primary',
          ),
          trigger: 'sweep',
          finding: 'no-primary',
          outcome: 'paused',
          notified: true,
        }),
        ConditionExpression: 'attribute_not_exists(sk)',
      },
    ]);
    expect(output.metrics()).not.toContainEqual({ PrimaryCensusFailover: 1 });
  });

  it('records a later sweep of the same incident as a repeat: audited, counted, not sent', async () => {
    describes(group(PRIMARY, []), group(MEMBERS, [instance(M_IN_SERVICE, 'InService')]));
    items({ epoch: 3, primary: P, phase: 'committed' }, undefined);
    doc
      .on(UpdateCommand)
      .rejectsOnce(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      )
      .resolves({});

    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toMatchObject({
      primaries: { census: 'zero', paused: true, notified: false },
    });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
    expect(updates()[1]?.UpdateExpression).toBe('SET lastSeenAt = :now, #ttl = :ttl ADD repeats :one');
    expect(output.metrics()).toContainEqual({ PausedIncidentRepeat: 1 });
  });

  it('reports Launch a dead run left suspended, and resumes nothing', async () => {
    describes(
      suspended(group(PRIMARY, [instance(P, 'InService')]), 'Launch', 'AZRebalance'),
      group(MEMBERS, [instance(M_IN_SERVICE, 'InService')]),
    );
    items({ epoch: 3, primary: P, phase: 'committed' }, { owner: DEAD_RUN, expiresAt: NOW + 600_000 });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' } as never);

    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toMatchObject({
      primaries: { census: 'ok' },
      leftovers: [{ group: 'primary', process: 'Launch' }],
    });
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: DEAD_RUN });
    expect(updates()[0]?.Key).toEqual(noticeKey('artifactory-prod', 'suspended-processes'));
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message).toMatch(
      /^Launch on prod-primary suspended while no primary-failover run holds the cluster lock/,
    );
    // Describe only: nothing is resumed (the strict mock would refuse ResumeProcesses).
    expect(asg.calls()).toHaveLength(1);
  });

  it.each([
    ['its run still holds the lock', { owner: DEAD_RUN, expiresAt: NOW + 600_000 }, 'RUNNING', 1],
    ['nothing the failover suspends is suspended', undefined, undefined, 0],
  ])('reports no leftover when %s', async (_what, lock, status, describeCalls) => {
    describes(
      suspended(
        group(PRIMARY, [instance(P, 'InService')]),
        ...(lock === undefined ? ['AZRebalance'] : ['Launch']),
      ),
      group(MEMBERS, [instance(M_IN_SERVICE, 'InService')]),
    );
    items({ epoch: 3, primary: P, phase: 'committed' }, lock);
    if (status) sfn.on(DescribeExecutionCommand).resolves({ status } as never);

    const out = await handler(loadEventFixture(SCHEDULED), context);
    expect(out).toMatchObject({ leftovers: [] });
    expect(sfn).toHaveReceivedCommandTimes(DescribeExecutionCommand, describeCalls);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  it('reports a lock whose lease expired without asking for its holder', async () => {
    describes(suspended(group(PRIMARY, [instance(P, 'InService')]), 'Launch'), group(MEMBERS, []));
    items({ epoch: 3, primary: P, phase: 'committed' }, { owner: DEAD_RUN, expiresAt: NOW - 1 });

    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toMatchObject({
      leftovers: [{ group: 'primary', process: 'Launch' }],
    });
    expect(sfn).toHaveReceivedCommandTimes(DescribeExecutionCommand, 0);
  });

  it('reports leftovers in cloud-native mode too (HealthCheck on the member group)', async () => {
    process.env[ENV.clusterMode] = 'cloud-native';
    describes(
      group(PRIMARY, []),
      suspended(group(MEMBERS, [instance(M_IN_SERVICE, 'InService')]), 'HealthCheck'),
    );
    items(undefined, undefined);

    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toEqual({
      checked: 0,
      recovered: 0,
      alreadyHandled: 0,
      leftovers: [{ group: 'member', process: 'HealthCheck' }],
      paused: true,
    });
  });

  it('still sweeps lost lifecycle events while paused (they answer Auto Scaling’s own actions)', async () => {
    describes(group(PRIMARY, [instance(P_WAITING, 'Pending:Wait')]), group(MEMBERS, []));
    items({ epoch: 3, primary: P, phase: 'committed' }, undefined);
    sfn.on(StartExecutionCommand).resolves(started());

    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toMatchObject({
      recovered: 1,
      primaries: { census: 'ok' },
    });
    expect(startedNames()).toEqual([`node-bootstrap-${P_WAITING}`]);
  });

  it('fails the sweep (after the rest) when the leftover check cannot read the lock', async () => {
    describes(suspended(group(PRIMARY, [instance(P, 'InService')]), 'Launch'), group(MEMBERS, []));
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ProvisionedThroughputExceededException',
    });
    doc
      .on(GetCommand, { Key: stateKey('artifactory-prod') })
      .resolves({ Item: { epoch: 3, primary: P, phase: 'committed' } })
      .on(GetCommand, { Key: lockKey('artifactory-prod', 'cluster') })
      .rejects(throttled);

    const err: unknown = await handler(loadEventFixture(SCHEDULED), context).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SweepIncompleteError);
    expect((err as SweepIncompleteError).failed).toEqual(['leftovers']);
  });
});
