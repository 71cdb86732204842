// Issue 11, items 2 and 4: the failover Lambda's quarantine and release-quarantine ops, on real conditional
// writes (dynalite), with strict SDK mocks for everything else.
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { stateKey } from '../../../functions/core/keys';
import { failover, handler } from '../../../functions/failover/handler';
import type { FailoverRequest } from '../../../functions/failover/input';
import { resetClients, setClientsForTest } from '../../../functions/shared/clients/base';
import { ENV } from '../../../functions/shared/env';
import { ValidationError } from '../../../functions/shared/errors';
import type { HandlerContext } from '../../../functions/shared/handler';
import { logger } from '../../../functions/shared/powertools';
import { VirtualClock } from '../../../sim/core/clock';
import { DynamoSim } from '../../../sim/runner/dynamo';

const TABLE = 'quarantine-test';
const REGION = 'eu-west-1';
const CLUSTER = 'artifactory-prod';
const NOW = Date.UTC(2026, 2, 10, 12);
const ENVIRONMENT: Record<string, string> = {
  [ENV.awsRegion]: REGION,
  [ENV.clusterName]: CLUSTER,
  [ENV.clusterMode]: 'legacy-primary',
  [ENV.primaryAsgName]: 'prod-primary',
  [ENV.memberAsgName]: 'prod-members',
  [ENV.targetGroupArn]:
    'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/art/0123456789abcdef',
  [ENV.stateTable]: TABLE,
  [ENV.minTaskNodes]: '1',
  [ENV.cooldownMinutes]: '60',
  [ENV.dailyBudget]: '3',
  [ENV.automationEnabled]: 'true',
};
const exec = (name: string) => `arn:aws:states:eu-west-1:111122223333:execution:primary-failover:${name}`;
const [A, B] = [exec('a'), exec('b')];
const BOOT =
  'arn:aws:states:eu-west-1:111122223333:execution:node-bootstrap:node-bootstrap-i-0000000000000000e';
const P = 'i-0000000000000000a';
const M1 = 'i-0000000000000000b';
const Q = 'i-0000000000000000d';
const NEW = 'i-0000000000000000e';

const metrics = { addMetric: () => undefined } as unknown as Metrics;
let dynamo: DynamoSim;
let doc: DynamoDBDocumentClient;
const ec2 = new EC2Client({ region: REGION });
const ec2Mock = mockClient(ec2);
const autoScaling = new AutoScalingClient({ region: REGION });
const autoScalingMock = mockClient(autoScaling);

const deps = (now = NOW) => ({
  clients: {
    dynamoDoc: () => doc,
    ec2: () => ec2,
    autoScaling: () => autoScaling,
  } as unknown as HandlerContext['clients'],
  logger,
  metrics,
  now: () => now,
  env: ENVIRONMENT,
});
const call = (request: FailoverRequest, now = NOW) => failover(request, deps(now));
let run = 0;
/** Each test its own cluster, so the shared table never leaks between them. */
const freshCluster = () => `${CLUSTER}-q${run++}`;
const stateOf = async (cluster: string) =>
  (await doc.send(new GetCommand({ TableName: TABLE, Key: stateKey(cluster), ConsistentRead: true }))).Item;
const putState = (cluster: string, item: Record<string, unknown>) =>
  doc.send(new PutCommand({ TableName: TABLE, Item: { ...stateKey(cluster), ...item } }));
const fence = (cluster: string, execution: string, expectedEpoch: number, prune?: string[]) =>
  call({
    op: 'fence',
    cluster,
    execution,
    expectedEpoch,
    plan: { failedPrimary: P, ...(prune ? { prune } : {}) },
  });
const quarantine = (cluster: string, execution: string, epoch: number, instanceId = Q) =>
  call({ op: 'quarantine', cluster, execution, epoch, instanceId, reason: 'candidate-failed' });
const instance = (InstanceId: string, Name: string): Instance =>
  ({ InstanceId, State: { Name }, Placement: { AvailabilityZone: 'eu-west-1b' } }) as Instance;
const audits = async (cluster: string) =>
  (
    await doc.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :audit)',
        ExpressionAttributeValues: { ':pk': `CLUSTER#${cluster}`, ':audit': 'AUDIT#' },
      }),
    )
  ).Items ?? [];

beforeAll(async () => {
  dynamo = new DynamoSim(new VirtualClock());
  await dynamo.start();
  await dynamo.createTable(REGION, TABLE, { sortKey: 'sk' });
  doc = DynamoDBDocumentClient.from(dynamo.client(REGION), {
    marshallOptions: { removeUndefinedValues: true },
  });
  logger.setLogLevel('SILENT');
});

afterAll(async () => {
  ec2Mock.restore();
  autoScalingMock.restore();
  await dynamo.stop();
});

beforeEach(() => {
  logger.setLogLevel('SILENT');
  ec2Mock.reset();
  ec2Mock.onAnyCommand().rejects(new Error('unexpected command'));
  autoScalingMock.reset();
  autoScalingMock.onAnyCommand().rejects(new Error('unexpected command'));
  autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
});

describe('quarantine: recorded before the node is touched, kept by every later write of the election', () => {
  it('records a failed candidate (pending), then its fence; commit and escalate keep it', async () => {
    const cluster = freshCluster();
    await fence(cluster, A, 0);
    await expect(call({ op: 'assert', cluster, execution: A, epoch: 1, candidate: Q })).resolves.toEqual({
      epoch: 1,
      held: true,
    });
    await expect(quarantine(cluster, A, 1)).resolves.toEqual({ instanceId: Q, recorded: true, why: '' });
    expect((await stateOf(cluster))?.quarantine).toEqual({
      [Q]: { reason: 'candidate-failed', run: A, epoch: 1, since: NOW, fence: 'pending' },
    });
    await expect(
      call(
        {
          op: 'quarantine',
          cluster,
          execution: A,
          epoch: 1,
          instanceId: Q,
          reason: 'candidate-failed',
          fence: 'stopped',
        },
        NOW + 5_000,
      ),
    ).resolves.toEqual({ instanceId: Q, recorded: true, why: '' });
    await call({ op: 'commit', cluster, execution: A, epoch: 1, primary: M1 });
    const committed = await stateOf(cluster);
    expect(committed).toMatchObject({ phase: 'committed', primary: M1 });
    expect(committed?.candidate).toBeUndefined();
    expect(committed?.quarantine).toEqual({
      [Q]: {
        reason: 'candidate-failed',
        run: A,
        epoch: 1,
        since: NOW,
        fence: 'stopped',
        fencedAt: NOW + 5_000,
      },
    });
    // The next election fences and escalates: the quarantine stays.
    await fence(cluster, B, 1);
    await call({ op: 'escalate', cluster, execution: B, epoch: 2 });
    expect(Object.keys((await stateOf(cluster))?.quarantine ?? {})).toEqual([Q]);
  });

  it('keeps the first entry when a node is quarantined again', async () => {
    const cluster = freshCluster();
    await fence(cluster, A, 0);
    await quarantine(cluster, A, 1);
    await fence(cluster, B, 1);
    await expect(
      call(
        { op: 'quarantine', cluster, execution: B, epoch: 2, instanceId: Q, reason: 'superseded' },
        NOW + 1,
      ),
    ).resolves.toMatchObject({ recorded: true });
    expect((await stateOf(cluster))?.quarantine?.[Q]).toMatchObject({
      run: A,
      since: NOW,
      reason: 'candidate-failed',
    });
  });

  it('lets a superseded run quarantine the node it promoted after a claim, but not one another election holds', async () => {
    const cluster = freshCluster();
    await fence(cluster, A, 0);
    await call({ op: 'assert', cluster, execution: A, epoch: 1, candidate: Q });
    // Another election fences: Q is now its candidate (it takes over the dead or slow run's node).
    await fence(cluster, B, 1);
    const refused = await call({
      op: 'quarantine',
      cluster,
      execution: A,
      epoch: 1,
      instanceId: Q,
      reason: 'superseded',
    });
    expect(refused).toEqual({
      instanceId: Q,
      recorded: false,
      why: `${Q} is the candidate of the election that holds epoch 2 (${B})`,
    });
    expect((await stateOf(cluster))?.quarantine).toEqual({});
    // It commits Q as the primary: still refused.
    await call({ op: 'commit', cluster, execution: B, epoch: 2, primary: Q });
    await expect(
      call({ op: 'quarantine', cluster, execution: A, epoch: 1, instanceId: Q, reason: 'superseded' }),
    ).resolves.toMatchObject({ recorded: false, why: expect.stringContaining('recorded primary') });
    // Another node that run promoted, after a bootstrap claim: allowed, though the epoch is not the run's.
    await putState(cluster, {
      epoch: 5,
      phase: 'claimed',
      owner: BOOT,
      primary: NEW,
      candidate: M1,
      quarantine: {},
    });
    await expect(
      call({ op: 'quarantine', cluster, execution: A, epoch: 1, instanceId: M1, reason: 'superseded' }),
    ).resolves.toMatchObject({ recorded: true });
    expect((await stateOf(cluster))?.quarantine?.[M1]).toMatchObject({
      reason: 'superseded',
      run: A,
      epoch: 1,
    });
  });

  it('creates the map on an item written before quarantine existed', async () => {
    const cluster = freshCluster();
    await putState(cluster, { epoch: 3, phase: 'fenced', owner: A });
    await expect(quarantine(cluster, A, 3)).resolves.toMatchObject({ recorded: true });
    expect((await stateOf(cluster))?.quarantine).toEqual({
      [Q]: { reason: 'candidate-failed', run: A, epoch: 3, since: NOW, fence: 'pending' },
    });
  });

  it('reports a fence it can no longer record (released meanwhile) without failing', async () => {
    const cluster = freshCluster();
    await fence(cluster, A, 0);
    await expect(
      call({
        op: 'quarantine',
        cluster,
        execution: A,
        epoch: 1,
        instanceId: Q,
        reason: 'candidate-failed',
        fence: 'demoted',
      }),
    ).resolves.toEqual({
      instanceId: Q,
      recorded: false,
      why: `${Q} is no longer quarantined (released meanwhile)`,
    });
  });

  it('never lets assert record a quarantined candidate', async () => {
    const cluster = freshCluster();
    await fence(cluster, A, 0);
    await quarantine(cluster, A, 1);
    await expect(call({ op: 'assert', cluster, execution: A, epoch: 1, candidate: Q })).rejects.toMatchObject(
      {
        name: 'CandidateQuarantined',
      },
    );
    expect((await stateOf(cluster))?.candidate).toBeUndefined();
    // Another candidate is fine.
    await expect(
      call({ op: 'assert', cluster, execution: A, epoch: 1, candidate: M1 }),
    ).resolves.toMatchObject({
      held: true,
    });
  });

  it('drops the quarantined nodes the election saw terminated when it fences, and only those', async () => {
    const cluster = freshCluster();
    await fence(cluster, A, 0);
    await quarantine(cluster, A, 1, Q);
    await quarantine(cluster, A, 1, M1);
    await fence(cluster, B, 1, [Q]);
    expect(Object.keys((await stateOf(cluster))?.quarantine ?? {})).toEqual([M1]);
  });

  it('refuses a malformed request before anything is written', async () => {
    const cluster = freshCluster();
    const err: unknown = await handler(
      { op: 'quarantine', cluster, execution: A, epoch: 1, instanceId: 'i-nope', reason: 'bored' },
      {} as Context,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path).sort()).toEqual(['instanceId', 'reason']);
    expect(await stateOf(cluster)).toBeUndefined();
  });
});

describe('claim beside a quarantined node', () => {
  const claim = (cluster: string) =>
    call({ op: 'claim', cluster, execution: BOOT, instanceId: NEW, role: 'primary' });

  it.each<[string, string, string]>([
    ['stopped at the hypervisor and started again', 'stopped', 'running'],
    ['whose fence never completed', 'pending', 'running'],
    ['being started', 'unconfirmed', 'pending'],
  ])('joins as a member beside a quarantined node %s', async (_what, fenceDone, ec2State) => {
    const cluster = freshCluster();
    await putState(cluster, {
      epoch: 4,
      phase: 'escalated',
      owner: A,
      quarantine: { [Q]: { reason: 'candidate-failed', run: A, epoch: 4, since: NOW, fence: fenceDone } },
    });
    ec2Mock.on(DescribeInstancesCommand, { InstanceIds: [Q] }).resolves({
      Reservations: [{ Instances: [instance(Q, ec2State)] }],
    });
    await expect(claim(cluster)).resolves.toEqual({
      role: 'member',
      reason: `quarantined ${Q} may still act as the primary (running, demotion not confirmed)`,
      askAgain: false,
    });
    expect(await stateOf(cluster)).toMatchObject({ epoch: 4, phase: 'escalated' });
  });

  it.each<[string, string, string]>([
    ['demoted and running as a member', 'demoted', 'running'],
    ['stopped', 'stopped', 'stopped'],
    ['terminated', 'unconfirmed', 'terminated'],
  ])('claims beside a quarantined node %s', async (_what, fenceDone, ec2State) => {
    const cluster = freshCluster();
    await putState(cluster, {
      epoch: 4,
      phase: 'escalated',
      owner: A,
      quarantine: { [Q]: { reason: 'candidate-failed', run: A, epoch: 4, since: NOW, fence: fenceDone } },
    });
    ec2Mock.on(DescribeInstancesCommand, { InstanceIds: [Q] }).resolves({
      Reservations: [{ Instances: [instance(Q, ec2State)] }],
    });
    await expect(claim(cluster)).resolves.toMatchObject({ role: 'primary', epoch: 5 });
  });

  it('counts a quarantined node EC2 has forgotten as terminated', async () => {
    const cluster = freshCluster();
    await putState(cluster, {
      epoch: 4,
      phase: 'escalated',
      owner: A,
      quarantine: { [Q]: { reason: 'candidate-failed', run: A, epoch: 4, since: NOW, fence: 'pending' } },
    });
    ec2Mock.on(DescribeInstancesCommand, { InstanceIds: [Q] }).rejects(
      Object.assign(new Error(`The instance ID '${Q}' does not exist`), {
        name: 'InvalidInstanceID.NotFound',
      }),
    );
    await expect(claim(cluster)).resolves.toMatchObject({ role: 'primary' });
  });
});

describe('observe looks at every quarantined node, outside the groups too', () => {
  it('describes, lists and probes a running quarantined node, and reports a forgotten one as terminated', async () => {
    const cluster = CLUSTER;
    await putState(cluster, {
      epoch: 7,
      phase: 'committed',
      owner: A,
      primary: P,
      quarantine: {
        [Q]: { reason: 'candidate-failed', run: A, epoch: 7, since: NOW, fence: 'stopped' },
        [NEW]: { reason: 'superseded', run: A, epoch: 6, since: NOW, fence: 'demoted' },
      },
    });
    const elb = new ElasticLoadBalancingV2Client({ region: REGION });
    const elbMock = mockClient(elb);
    elbMock.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: 'prod-primary',
          Instances: [
            {
              InstanceId: P,
              AvailabilityZone: 'eu-west-1a',
              LifecycleState: 'InService',
              HealthStatus: 'Healthy',
            },
          ],
        },
      ] as never,
    });
    ec2Mock
      .on(DescribeInstancesCommand)
      .rejects(Object.assign(new Error('gone'), { name: 'InvalidInstanceID.NotFound' }))
      .on(DescribeInstancesCommand, { InstanceIds: [P] })
      .resolves({ Reservations: [{ Instances: [instance(P, 'running')] }] })
      .on(DescribeInstancesCommand, { InstanceIds: [Q] })
      .resolves({ Reservations: [{ Instances: [instance(Q, 'running')] }] });
    ec2Mock.on(DescribeInstanceStatusCommand).resolves({ InstanceStatuses: [] });
    const snap = (await failover(
      { op: 'observe' },
      { ...deps(), clients: { ...deps().clients, elbv2: () => elb } as unknown as HandlerContext['clients'] },
    )) as {
      nodes: { instanceId: string; ec2State: string; group: string }[];
      probeTargets: string[];
      state: unknown;
    };
    expect(snap.nodes.map((n) => [n.instanceId, n.group, n.ec2State])).toEqual([
      [P, 'primary', 'running'],
      [Q, 'none', 'running'],
      [NEW, 'none', 'terminated'],
    ]);
    expect(snap.probeTargets).toEqual([P, Q]);
    expect(snap.state).toMatchObject({
      quarantine: { [Q]: { fence: 'stopped' }, [NEW]: { fence: 'demoted' } },
    });
    elbMock.restore();
  });
});

describe('release-quarantine (an operator)', () => {
  const entry = { reason: 'candidate-failed', run: A, epoch: 4, since: NOW - 3_600_000, fence: 'stopped' };
  const release = (over: Record<string, unknown> = {}) =>
    call({
      op: 'release-quarantine',
      cluster: CLUSTER,
      instanceId: Q,
      operator: 'jane@example.com',
      reason: 'host replaced; logs kept',
      ...over,
    } as FailoverRequest);
  const seed = () =>
    putState(CLUSTER, { epoch: 4, phase: 'escalated', owner: A, quarantine: { [Q]: entry, [M1]: entry } });

  it('removes exactly that node with a conditional write and audits who released it and why', async () => {
    await seed();
    const before = (await audits(CLUSTER)).length;
    await expect(release()).resolves.toEqual({
      released: Q,
      quarantinedFor: 'candidate-failed',
      quarantinedBy: A,
    });
    expect(Object.keys((await stateOf(CLUSTER))?.quarantine ?? {})).toEqual([M1]);
    const written = await audits(CLUSTER);
    expect(written).toHaveLength(before + 1);
    expect(
      written.find((a) => a.action === 'release-quarantine' && a.sk.includes(new Date(NOW).toISOString())),
    ).toMatchObject({
      instanceId: Q,
      operator: 'jane@example.com',
      reason: 'host replaced; logs kept',
      quarantinedBy: A,
      fence: 'stopped',
      outcome: 'released',
    });
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    [
      'a node that is not quarantined',
      { instanceId: 'i-0000000000000000c' },
      'instanceId',
      new RegExp(`not quarantined \\(quarantined: ${M1}, ${Q}\\)`),
    ],
    [
      'another cluster',
      { cluster: 'artifactory-staging' },
      'cluster',
      /not this deployment's cluster \(artifactory-prod\)/,
    ],
  ])(
    'refuses %s with a ValidationError naming the field, changing nothing',
    async (_what, over, path, message) => {
      await seed();
      const before = await audits(CLUSTER);
      const err: unknown = await release(over).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).issues).toEqual([{ path, message: expect.stringMatching(message) }]);
      expect(Object.keys((await stateOf(CLUSTER))?.quarantine ?? {}).sort()).toEqual([M1, Q].sort());
      expect(await audits(CLUSTER)).toEqual(before);
    },
  );

  it.each<[string, Record<string, unknown>, string]>([
    ['no operator', { operator: '  ' }, 'operator'],
    ['no reason', { reason: '' }, 'reason'],
    ['a malformed instance id', { instanceId: 'i-XYZ' }, 'instanceId'],
  ])('refuses a request with %s at the handler, before any read', async (_what, over, path) => {
    const docClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: REGION }));
    const docMock = mockClient(docClient);
    docMock.onAnyCommand().rejects(new Error('unexpected command'));
    resetClients();
    setClientsForTest({ dynamoDoc: docClient });
    const saved = { ...process.env };
    Object.assign(process.env, ENVIRONMENT);
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const err: unknown = await handler(
        {
          op: 'release-quarantine',
          cluster: CLUSTER,
          instanceId: Q,
          operator: 'jane@example.com',
          reason: 'checked',
          ...over,
        },
        { functionName: 'failover', awsRequestId: 'r' } as Context,
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).issues.map((i) => i.path)).toEqual([path]);
      expect(docMock.calls()).toHaveLength(0);
    } finally {
      jest.restoreAllMocks();
      process.env = saved;
      docMock.restore();
      resetClients();
    }
  });

  it('releases nothing when the entry changed between the check and the write (ConflictError)', async () => {
    await seed();
    // Another run re-quarantines the node right after the release read it.
    const racing = {
      send: async (command: unknown) => {
        if (command instanceof UpdateCommand) {
          await putState(CLUSTER, {
            epoch: 5,
            phase: 'fenced',
            owner: B,
            quarantine: { [Q]: { ...entry, run: B, since: NOW }, [M1]: entry },
          });
        }
        return doc.send(command as never);
      },
    };
    const err: unknown = await failover(
      { op: 'release-quarantine', cluster: CLUSTER, instanceId: Q, operator: 'jane', reason: 'checked' },
      {
        ...deps(),
        clients: { ...deps().clients, dynamoDoc: () => racing } as unknown as HandlerContext['clients'],
      },
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'ConflictError',
      message: expect.stringContaining('nothing was released'),
    });
    expect((await stateOf(CLUSTER))?.quarantine?.[Q]).toMatchObject({ run: B });
  });
});
