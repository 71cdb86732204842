// Issue 13, item 5: each sweep publishes CertificateDaysLeft, the minimum over the cluster's recorded node
// certificates (strict SDK mocks).
import {
  AutoScalingClient,
  type AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { clusterPk, nodeSk } from '../../../functions/core/keys';
import { handler } from '../../../functions/reconciler/handler';
import { resetClients, setClientsForTest } from '../../../functions/shared/clients/base';
import { ENV } from '../../../functions/shared/env';
import { loadEventFixture } from '../shared/fixtures';
import { pauseTablesEnv, stubPause } from './pause-mocks';

const CLUSTER = 'artifactory-prod';
const DAY = 86_400_000;
// The scheduled fixture's time.
const NOW = Date.parse('2015-10-08T16:53:06Z');
const [A, B, C, GONE] = [
  'i-0000000000000000a',
  'i-0000000000000000b',
  'i-0000000000000000c',
  'i-00000000000000009',
];

const ENVIRONMENT: Record<string, string> = {
  [ENV.clusterName]: CLUSTER,
  [ENV.clusterMode]: 'cloud-native',
  [ENV.primaryAsgName]: 'prod-primary',
  [ENV.memberAsgName]: 'prod-members',
  [ENV.bootstrapStateMachineArn]: 'arn:aws:states:us-east-1:123456789012:stateMachine:node-bootstrap',
  [ENV.drainStateMachineArn]: 'arn:aws:states:us-east-1:123456789012:stateMachine:node-drain',
  [ENV.failoverStateMachineArn]: 'arn:aws:states:us-east-1:123456789012:stateMachine:primary-failover',
  [ENV.stateTable]: 'state',
  [ENV.automationEnabled]: 'true',
  [ENV.topicArn]: 'arn:aws:sns:us-east-1:123456789012:ops',
  [ENV.metricNamespace]: 'ArtifactoryHA',
  [ENV.awsRegion]: 'us-east-1',
  ...pauseTablesEnv('us-east-1'),
  [ENV.pauseReminderHours]: '4',
  [ENV.runBounds]: '[]',
  [ENV.cooldownMinutes]: '60',
  [ENV.dailyBudget]: '3',
};
const context = {
  functionName: 'reconciler',
  awsRequestId: 'r',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

const asg = mockClient(AutoScalingClient);
const doc = mockClient(DynamoDBDocumentClient);
const ddb = mockClient(DynamoDBClient);
const cw = mockClient(CloudWatchClient);
interface StrictMock {
  reset(): unknown;
  restore(): void;
  onAnyCommand(): { rejects(error: Error): unknown };
}
const allMocks: StrictMock[] = [asg, doc, ddb, cw];
const savedEnv = { ...process.env };

const group = (name: string, ids: string[]): AutoScalingGroup =>
  ({
    AutoScalingGroupName: name,
    Instances: ids.map((InstanceId) => ({ InstanceId, LifecycleState: 'InService' })),
  }) as AutoScalingGroup;
const node = (id: string, daysLeft?: number) => ({
  pk: clusterPk(CLUSTER),
  sk: nodeSk(id),
  role: 'member',
  ...(daysLeft === undefined
    ? {}
    : { cert: { notAfter: new Date(NOW + daysLeft * DAY).toISOString(), serial: 'ab' } }),
});

beforeEach(() => {
  for (const m of allMocks) {
    m.reset();
    m.onAnyCommand().rejects(new Error('unexpected command'));
  }
  asg.on(DescribeAutoScalingGroupsCommand).resolves({
    AutoScalingGroups: [group('prod-primary', [A]), group('prod-members', [B, C])],
  });
  cw.on(PutMetricDataCommand).resolves({});
  // The census line finds no state or gate item; nobody paused.
  doc.on(GetCommand, { TableName: 'state' }).resolves({});
  stubPause(doc, ['us-east-1']);
  resetClients();
  setClientsForTest({
    autoScaling: new AutoScalingClient({ region: 'us-east-1' }),
    dynamoDB: new DynamoDBClient({ region: 'us-east-1' }),
    dynamoDoc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
  });
  Object.assign(process.env, ENVIRONMENT);
  jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  for (const s of [process.stdout, process.stderr]) jest.spyOn(s, 'write').mockImplementation(() => true);
});

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
  process.env = { ...savedEnv };
});

afterAll(() => {
  for (const m of allMocks) m.restore();
  resetClients();
});

describe('reconciler: CertificateDaysLeft', () => {
  it('publishes the minimum over the group members’ records, skipping nodes without a certificate and stale records', async () => {
    doc
      .on(QueryCommand)
      .resolvesOnce({ Items: [node(A, 40), node(B)], LastEvaluatedKey: { pk: 'x', sk: 'y' } })
      .resolvesOnce({ Items: [node(C, 12.5), node(GONE, -3)] });

    await expect(
      handler(loadEventFixture('eventbridge-scheduled-event.json'), context),
    ).resolves.toMatchObject({
      certificates: { daysLeft: 12.5, recorded: 2, nodes: 3 },
    });

    const queries = doc.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries[0]).toMatchObject({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :node)',
      ExpressionAttributeValues: { ':pk': clusterPk(CLUSTER), ':node': 'NODE#' },
      ConsistentRead: true,
    });
    expect(queries[1]?.ExclusiveStartKey).toEqual({ pk: 'x', sk: 'y' });
    expect(cw).toHaveReceivedCommandWith(PutMetricDataCommand, {
      Namespace: 'ArtifactoryHA',
      MetricData: [
        {
          MetricName: 'CertificateDaysLeft',
          Dimensions: [
            { Name: 'Cluster', Value: CLUSTER },
            { Name: 'Region', Value: 'us-east-1' },
          ],
          Timestamp: new Date(NOW),
          Value: 12.5,
          Unit: 'None',
        },
      ],
    });
  });

  it('publishes nothing when no member has a recorded certificate', async () => {
    doc.on(QueryCommand).resolves({ Items: [node(A), node(GONE, 1)] });
    const result = await handler(loadEventFixture('eventbridge-scheduled-event.json'), context);
    expect(result).not.toHaveProperty('certificates');
    expect(cw).toHaveReceivedCommandTimes(PutMetricDataCommand, 0);
  });

  it('an expired certificate is published negative', async () => {
    doc.on(QueryCommand).resolves({ Items: [node(A, -2), node(B, 50)] });
    await expect(
      handler(loadEventFixture('eventbridge-scheduled-event.json'), context),
    ).resolves.toMatchObject({
      certificates: { daysLeft: -2 },
    });
  });

  it('a failed publish fails the sweep after the rest ran (SweepIncomplete names it)', async () => {
    doc.on(QueryCommand).resolves({ Items: [node(A, 30)] });
    cw.on(PutMetricDataCommand).rejects(Object.assign(new Error('throttled'), { name: 'Throttling' }));
    // SweepErrors goes out through the same CloudWatch API, so it fails too and is named.
    await expect(handler(loadEventFixture('eventbridge-scheduled-event.json'), context)).rejects.toThrow(
      'Sweep incomplete: 2 not handled: certificates, metrics',
    );
  });
});
