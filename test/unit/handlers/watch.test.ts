import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  type Instance,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import fc from 'fast-check';
import { PRIMARY_HEALTHY_METRIC } from '../../../functions/core/failover';
import { lockKey, watchKey } from '../../../functions/core/keys';
import {
  PLANNED_RESTART_MAX_MS,
  PRIMARY_RESTART_PLANNED_METRIC,
  watchVerdict,
} from '../../../functions/core/planned-restart';
import { resetClients, setClientsForTest } from '../../../functions/shared/clients/base';
import { ENV } from '../../../functions/shared/env';
import { ConfigurationError, ValidationError } from '../../../functions/shared/errors';
import { handler, primaryHealthy } from '../../../functions/watch/handler';
import { loadEventFixture, mutate } from '../shared/fixtures';

const PRIMARY = 'prod-primary';
const TARGET_GROUP = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/art/0123456789abcdef';
const NAMESPACE = 'ArtifactoryHA';
const TABLE = 'artifactory-ha-state';
const CERT_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:artifactory-prod-cert-rotation';
const P = 'i-0aaaaaaaaaaaaaaa1';
const R = 'i-0bbbbbbbbbbbbbbb2';

const ENVIRONMENT: Record<string, string> = {
  [ENV.clusterName]: 'artifactory-prod',
  [ENV.primaryAsgName]: PRIMARY,
  [ENV.targetGroupArn]: TARGET_GROUP,
  [ENV.metricNamespace]: NAMESPACE,
  [ENV.stateTable]: TABLE,
  [ENV.certRotationStateMachineArn]: CERT_ARN,
};

const context: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'primary-watch',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:primary-watch',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/primary-watch',
  logStreamName: '2026/01/01/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

const SCHEDULED = 'eventbridge-scheduled-event.json';

const asg = mockClient(AutoScalingClient);
const elb = mockClient(ElasticLoadBalancingV2Client);
const cw = mockClient(CloudWatchClient);
const doc = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const allMocks = [asg, elb, cw, doc, sfn] as unknown as {
  reset(): void;
  restore(): void;
  calls(): unknown[];
  onAnyCommand(): { rejects(e: Error): void };
}[];
const sdkCalls = () => allMocks.reduce((n, m) => n + m.calls().length, 0);

const inGroup = (...instances: [string, Instance['LifecycleState']][]) =>
  asg.on(DescribeAutoScalingGroupsCommand).resolves({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: PRIMARY,
        Instances: instances.map(([InstanceId, LifecycleState]) => ({
          InstanceId,
          LifecycleState,
          AvailabilityZone: 'us-east-1a',
          HealthStatus: 'Healthy',
          ProtectedFromScaleIn: false,
        })),
      } as never,
    ],
  });
const targets = (...states: [string, TargetHealthStateEnum][]) =>
  elb.on(DescribeTargetHealthCommand).resolves({
    TargetHealthDescriptions: states.map(([Id, State]) => ({
      Target: { Id, Port: 8082 },
      TargetHealth: { State },
    })),
  });
/**
 * What the watch published: its embedded-metric-format lines on stdout, in PutMetricData's shape (what CloudWatch
 * Logs makes of them), so each test reads as the datapoint it expects. PutMetricData itself is never called.
 */
const published = () => {
  expect(cw).toHaveReceivedCommandTimes(PutMetricDataCommand, 0);
  return (process.stdout.write as unknown as jest.Mock).mock.calls
    .map((c) => String(c[0]))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => {
      const doc = JSON.parse(line) as Record<string, unknown> & {
        _aws: {
          Timestamp: number;
          CloudWatchMetrics: {
            Namespace: string;
            Dimensions: string[][];
            Metrics: { Name: string; Unit: string }[];
          }[];
        };
      };
      const [d] = doc._aws.CloudWatchMetrics;
      return {
        Namespace: d?.Namespace,
        MetricData: (d?.Metrics ?? []).map((m) => ({
          MetricName: m.Name,
          Dimensions: (d?.Dimensions[0] ?? []).map((n) => ({ Name: n, Value: doc[n] })),
          Timestamp: new Date(doc._aws.Timestamp),
          Value: doc[m.Name],
          Unit: m.Unit,
        })),
      };
    });
};

const savedEnv = { ...process.env };

beforeEach(() => {
  for (const m of allMocks) {
    m.reset();
    m.onAnyCommand().rejects(new Error('unexpected command'));
  }
  cw.on(PutMetricDataCommand).resolves({});
  // The `cluster` lease is free and no planned restart is recorded, unless a test says otherwise.
  doc.on(GetCommand).resolves({});
  resetClients();
  setClientsForTest({
    autoScaling: new AutoScalingClient({ region: 'us-east-1' }),
    elbv2: new ElasticLoadBalancingV2Client({ region: 'us-east-1' }),
    cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
    dynamoDoc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    sfn: new SFNClient({ region: 'us-east-1' }),
  });
  Object.assign(process.env, ENVIRONMENT);
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(() => {
  jest.restoreAllMocks();
  process.env = { ...savedEnv };
});

afterAll(() => {
  for (const m of allMocks) m.restore();
  resetClients();
});

describe('primary watch', () => {
  it('publishes PrimaryHealthy 1 for the cluster and region when the primary is InService and a healthy target', async () => {
    inGroup([P, 'InService']);
    targets([P, 'healthy'], [R, 'healthy']);

    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toEqual({
      primaryHealthy: 1,
      verdict: 'healthy',
    });

    expect(asg).toHaveReceivedCommandWith(DescribeAutoScalingGroupsCommand, {
      AutoScalingGroupNames: [PRIMARY],
    });
    expect(elb).toHaveReceivedCommandWith(DescribeTargetHealthCommand, { TargetGroupArn: TARGET_GROUP });
    expect(published()).toEqual([
      {
        Namespace: NAMESPACE,
        MetricData: [
          {
            MetricName: PRIMARY_HEALTHY_METRIC,
            Dimensions: [
              { Name: 'Cluster', Value: 'artifactory-prod' },
              { Name: 'Region', Value: 'us-east-1' },
            ],
            // The datapoint is the schedule's time, so a late invocation does not smear two minutes into one.
            Timestamp: new Date('2015-10-08T16:53:06Z'),
            Value: 1,
            Unit: 'Count',
          },
        ],
      },
    ]);
  });

  it.each<[string, [string, Instance['LifecycleState']][], [string, TargetHealthStateEnum][]]>([
    ['the primary target is unhealthy', [[P, 'InService']], [[P, 'unhealthy']]],
    ['the primary is not registered', [[P, 'InService']], [[R, 'healthy']]],
    ['the group is empty', [], [[R, 'healthy']]],
    [
      'only a replacement still launching is healthy',
      [
        [P, 'Terminating:Wait'],
        [R, 'Pending:Wait'],
      ],
      [
        [R, 'healthy'],
        [P, 'draining'],
      ],
    ],
  ])('publishes 0 when %s', async (_what, instances, states) => {
    inGroup(...instances);
    targets(...states);

    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toEqual({
      primaryHealthy: 0,
      verdict: 'unhealthy',
    });
    expect(published()[0]?.MetricData?.[0]?.Value).toBe(0);
  });

  it('publishes nothing when it cannot see the group (no data is not “healthy”, the alarm ignores missing data)', async () => {
    asg
      .on(DescribeAutoScalingGroupsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    targets([P, 'healthy']);

    await expect(handler(loadEventFixture(SCHEDULED), context)).rejects.toMatchObject({ name: 'Throttling' });
    expect(cw).toHaveReceivedCommandTimes(PutMetricDataCommand, 0);
  });

  it('refuses an event that is not a scheduled event, and a missing configuration, touching nothing', async () => {
    const wrong = mutate(loadEventFixture(SCHEDULED), ['source'], 'aws.autoscaling');
    await expect(handler(wrong, context)).rejects.toBeInstanceOf(ValidationError);

    delete process.env[ENV.metricNamespace];
    await expect(handler(loadEventFixture(SCHEDULED), context)).rejects.toBeInstanceOf(ConfigurationError);
    expect(sdkCalls()).toBe(0);
  });
});

describe('primary watch: a planned restart', () => {
  // The scheduled fixture's minute.
  const AT = Date.parse('2015-10-08T16:53:06Z');
  const EXEC =
    'arn:aws:states:us-east-1:123456789012:execution:artifactory-prod-cert-rotation:cert-rotation-schedule-x';
  const lease = (owner: string, expiresAt = AT + 3_600_000) =>
    doc
      .on(GetCommand, { Key: lockKey('artifactory-prod', 'cluster') })
      .resolves({ Item: { owner, expiresAt } });
  const recorded = (item: Record<string, unknown>) =>
    doc
      .on(GetCommand, { Key: watchKey('artifactory-prod', 'primary-restart') })
      .resolves({ Item: { ...watchKey('artifactory-prod', 'primary-restart'), ...item } });
  const holder = (status: string) => sfn.on(DescribeExecutionCommand).resolves({ status } as never);
  beforeEach(() => {
    inGroup([P, 'InService']);
    targets([P, 'draining']);
    doc.on(PutCommand).resolves({});
  });

  it('holds PrimaryHealthy back while a running cert-rotation execution holds the cluster lease, and remembers since when', async () => {
    lease(EXEC);
    holder('RUNNING');
    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toEqual({
      primaryHealthy: 0,
      verdict: 'planned',
    });
    expect(published()).toHaveLength(1);
    expect(published()[0]?.MetricData?.[0]).toMatchObject({
      MetricName: PRIMARY_RESTART_PLANNED_METRIC,
      Value: 1,
    });
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: EXEC });
    expect(doc).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: { ...watchKey('artifactory-prod', 'primary-restart'), owner: EXEC, since: AT, lastSeen: AT },
    });
  });

  it('publishes unhealthy again once the planned restart outlasts its bound', async () => {
    lease(EXEC);
    holder('RUNNING');
    recorded({ owner: EXEC, since: AT - PLANNED_RESTART_MAX_MS, lastSeen: AT - 60_000 });
    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toEqual({
      primaryHealthy: 0,
      verdict: 'overdue',
    });
    expect(published()[0]?.MetricData?.[0]).toMatchObject({ MetricName: PRIMARY_HEALTHY_METRIC, Value: 0 });
  });

  it.each([
    [
      'a primary-failover execution holds the lease',
      'arn:aws:states:us-east-1:123456789012:execution:artifactory-prod-primary-failover:x',
      'RUNNING',
      AT + 60_000,
    ],
    ['the cert-rotation holder has ended', EXEC, 'FAILED', AT + 60_000],
    ['the lease has expired', EXEC, 'RUNNING', AT - 1],
    [
      'another account’s cert-rotation holds it',
      EXEC.replace('123456789012', '999999999999'),
      'RUNNING',
      AT + 60_000,
    ],
  ])('publishes 0 as today when %s', async (_what, owner, status, expiresAt) => {
    lease(owner, expiresAt);
    holder(status);
    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toEqual({
      primaryHealthy: 0,
      verdict: 'unhealthy',
    });
    expect(published()[0]?.MetricData?.[0]).toMatchObject({ MetricName: PRIMARY_HEALTHY_METRIC, Value: 0 });
    expect(doc).toHaveReceivedCommandTimes(PutCommand, 0);
  });

  it('reads nothing from the table while the primary is healthy', async () => {
    targets([P, 'healthy']);
    await handler(loadEventFixture(SCHEDULED), context);
    expect(doc).toHaveReceivedCommandTimes(GetCommand, 0);
    expect(sfn).toHaveReceivedCommandTimes(DescribeExecutionCommand, 0);
  });

  it('property: held back only under a live cert-rotation lease, never past the bound', () => {
    const owners = [
      EXEC,
      EXEC.replace(':x', ':y'),
      'arn:aws:states:us-east-1:123456789012:execution:artifactory-prod-primary-failover:z',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom<0 | 1>(0, 1),
        fc.option(
          fc.record({
            owner: fc.constantFrom(...owners),
            expiresAt: fc.integer({ min: AT - 10, max: AT + 10 }),
          }),
          { nil: undefined },
        ),
        fc.boolean(),
        fc.option(
          fc.record({
            owner: fc.constantFrom(...owners),
            since: fc.integer({ min: AT - 2 * PLANNED_RESTART_MAX_MS, max: AT }),
            lastSeen: fc.integer({ min: AT - 10 * 60_000, max: AT }),
          }),
          { nil: undefined },
        ),
        (healthy, l, running, record) => {
          const v = watchVerdict({
            healthy,
            lease: l,
            holderRunning: running,
            record,
            certRotationArn: CERT_ARN,
            now: AT,
          });
          if (v.kind === 'planned') {
            expect(healthy).toBe(0);
            expect(running).toBe(true);
            expect(l?.owner).toContain(':execution:artifactory-prod-cert-rotation:');
            expect(l?.expiresAt).toBeGreaterThan(AT);
            expect(v.elapsedMs).toBeLessThan(PLANNED_RESTART_MAX_MS);
            expect(AT - v.record.since).toBe(v.elapsedMs);
          }
          if (healthy === 1) expect(v.kind).toBe('healthy');
        },
      ),
    );
  });
});

describe('primaryHealthy', () => {
  it('is 1 exactly when some InService instance of the group is a healthy target', () => {
    const ids = ['i-01', 'i-02', 'i-03'];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            id: fc.constantFrom(...ids),
            state: fc.constantFrom('InService', 'Pending:Wait', 'Terminating:Wait', 'Standby'),
          }),
          { maxLength: 3 },
        ),
        fc.dictionary(
          fc.constantFrom(...ids),
          fc.constantFrom('healthy', 'unhealthy', 'initial', 'draining'),
        ),
        (instances, health) => {
          const value = primaryHealthy(instances, new Map(Object.entries(health)));
          const expected = instances.some((i) => i.state === 'InService' && health[i.id] === 'healthy');
          expect(value).toBe(expected ? 1 : 0);
        },
      ),
      { numRuns: 100 },
    );
  });
});
