import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  type Instance,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import fc from 'fast-check';
import { PRIMARY_HEALTHY_METRIC } from '../../../functions/core/failover';
import { resetClients, setClientsForTest } from '../../../functions/shared/clients/base';
import { ENV } from '../../../functions/shared/env';
import { ConfigurationError, ValidationError } from '../../../functions/shared/errors';
import { handler, primaryHealthy } from '../../../functions/watch/handler';
import { loadEventFixture, mutate } from '../shared/fixtures';

const PRIMARY = 'prod-primary';
const TARGET_GROUP = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/art/0123456789abcdef';
const NAMESPACE = 'ArtifactoryHA';
const P = 'i-0aaaaaaaaaaaaaaa1';
const R = 'i-0bbbbbbbbbbbbbbb2';

const ENVIRONMENT: Record<string, string> = {
  [ENV.clusterName]: 'artifactory-prod',
  [ENV.primaryAsgName]: PRIMARY,
  [ENV.targetGroupArn]: TARGET_GROUP,
  [ENV.metricNamespace]: NAMESPACE,
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
const allMocks = [asg, elb, cw] as unknown as {
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
const published = () => cw.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input);

const savedEnv = { ...process.env };

beforeEach(() => {
  for (const m of allMocks) {
    m.reset();
    m.onAnyCommand().rejects(new Error('unexpected command'));
  }
  cw.on(PutMetricDataCommand).resolves({});
  resetClients();
  setClientsForTest({
    autoScaling: new AutoScalingClient({ region: 'us-east-1' }),
    elbv2: new ElasticLoadBalancingV2Client({ region: 'us-east-1' }),
    cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
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

    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toEqual({ primaryHealthy: 1 });

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

    await expect(handler(loadEventFixture(SCHEDULED), context)).resolves.toEqual({ primaryHealthy: 0 });
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
