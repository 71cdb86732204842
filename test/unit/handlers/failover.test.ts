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
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { MetadataBearer } from '@smithy/types';
import type { Context } from 'aws-lambda';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import fc from 'fast-check';
import { FAILOVER_GATE } from '../../../functions/core/failover-gate';
import { gateKey, stateKey } from '../../../functions/core/keys';
import { StaleEpochError } from '../../../functions/failover/fencing';
import { failover, handler } from '../../../functions/failover/handler';
import type { FailoverRequest } from '../../../functions/failover/input';
import { resetClients, setClientsForTest } from '../../../functions/shared/clients/base';
import { ENV } from '../../../functions/shared/env';
import { ValidationError } from '../../../functions/shared/errors';
import type { HandlerContext } from '../../../functions/shared/handler';
import { logger } from '../../../functions/shared/powertools';
import { VirtualClock } from '../../../sim/core/clock';
import { DynamoSim } from '../../../sim/runner/dynamo';

const TABLE = 'failover-test';
const REGION = 'eu-west-1';
const CLUSTER = 'artifactory-prod';
const PRIMARY_ASG = 'prod-primary';
const MEMBER_ASG = 'prod-members';
const TARGET_GROUP = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/art/0123456789abcdef';
const NOW = Date.UTC(2026, 2, 10, 12);

const ENVIRONMENT: Record<string, string> = {
  [ENV.awsRegion]: REGION,
  [ENV.clusterName]: CLUSTER,
  [ENV.clusterMode]: 'legacy-primary',
  [ENV.primaryAsgName]: PRIMARY_ASG,
  [ENV.memberAsgName]: MEMBER_ASG,
  [ENV.targetGroupArn]: TARGET_GROUP,
  [ENV.stateTable]: TABLE,
  [ENV.minTaskNodes]: '1',
  [ENV.cooldownMinutes]: '60',
  [ENV.dailyBudget]: '3',
  [ENV.automationEnabled]: 'true',
  // The PAUSE item (ROUTING#<cluster>/PAUSE) shares the state table here: its key cannot meet the CLUSTER# items.
  [ENV.pauseTables]: JSON.stringify({ [REGION]: TABLE }),
};

const exec = (name: string) => `arn:aws:states:eu-west-1:111122223333:execution:primary-failover:${name}`;
const [A, B, C] = [exec('a'), exec('b'), exec('c')];
const BOOT =
  'arn:aws:states:eu-west-1:111122223333:execution:node-bootstrap:node-bootstrap-i-0000000000000000e';

const P = 'i-0000000000000000a';
const M1 = 'i-0000000000000000b';
const M2 = 'i-0000000000000000c';
const NEW = 'i-0000000000000000e';
const OLD = 'i-0000000000000000f';

const metrics = { addMetric: () => undefined } as unknown as Metrics;

// --- epoch fencing on real conditional writes (dynalite) ---------------------------------------------------

let dynamo: DynamoSim;
let doc: DynamoDBDocumentClient;
const ec2 = new EC2Client({ region: REGION });
const ec2Mock = mockClient(ec2);
/** claim asks Auto Scaling whether a running recorded primary is condemned; by default it is in no group. */
const autoScaling = new AutoScalingClient({ region: REGION });
const autoScalingMock = mockClient(autoScaling);
/** claim asks Step Functions whether a fence's election still runs; by default every election does. */
const sfn = new SFNClient({ region: REGION });
const sfnMock = mockClient(sfn);
const ended = new Set<string>();
sfnMock.on(DescribeExecutionCommand).callsFake(async ({ executionArn }: { executionArn: string }) => ({
  status: ended.has(executionArn) ? 'FAILED' : 'RUNNING',
}));

const deps = (now = NOW) => ({
  clients: {
    dynamoDoc: () => doc,
    ec2: () => ec2,
    autoScaling: () => autoScaling,
    sfn: () => sfn,
  } as unknown as HandlerContext['clients'],
  logger,
  metrics,
  now: () => now,
  env: ENVIRONMENT,
});

let run = 0;
/** A cluster of its own for each test: the table is shared. */
const freshCluster = () => `${CLUSTER}-${run++}`;
const call = (request: FailoverRequest, now = NOW) => failover(request, deps(now));
const fence = (cluster: string, execution: string, expectedEpoch: number, now = NOW) =>
  call({ op: 'fence', cluster, execution, expectedEpoch, plan: { failedPrimary: P } }, now);
const stateOf = async (cluster: string) =>
  (
    await doc.send(
      new GetCommand({
        TableName: TABLE,
        Key: stateKey(cluster),
        ConsistentRead: true,
      }),
    )
  ).Item;
const gateOf = async (cluster: string) =>
  (
    await doc.send(
      new GetCommand({
        TableName: TABLE,
        Key: gateKey(cluster, FAILOVER_GATE),
        ConsistentRead: true,
      }),
    )
  ).Item;
const putState = (cluster: string, item: Record<string, unknown>) =>
  doc.send(new PutCommand({ TableName: TABLE, Item: { ...stateKey(cluster), ...item } }));
const stale = (p: Promise<unknown>) => expect(p).rejects.toMatchObject({ name: 'StaleEpoch' });
const instanceState = (InstanceId: string, Name: 'running' | 'terminated' | 'pending'): Instance => ({
  InstanceId,
  State: { Name },
  Placement: { AvailabilityZone: 'eu-west-1a' },
});

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
  // The handler's middleware may reconfigure the shared logger; keep the test output quiet.
  logger.setLogLevel('SILENT');
  ec2Mock.reset();
  ec2Mock.onAnyCommand().rejects(new Error('unexpected command'));
  autoScalingMock.reset();
  autoScalingMock.onAnyCommand().rejects(new Error('unexpected command'));
  autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
});

describe('fence: epoch fencing', () => {
  it('lets only the first of two executions fence from the same epoch; the second is StaleEpoch', async () => {
    const cluster = freshCluster();

    await expect(fence(cluster, A, 0)).resolves.toEqual({ epoch: 1 });
    const err: unknown = await fence(cluster, B, 0).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(StaleEpochError);
    expect((err as Error).name).toBe('StaleEpoch');
    expect(await stateOf(cluster)).toMatchObject({
      epoch: 1,
      owner: A,
      phase: 'fenced',
      fencedAt: NOW,
      failedPrimary: P,
    });
    expect(await gateOf(cluster)).toMatchObject({
      lastElectionAt: NOW,
      day: '2026-03-10',
      count: 1,
      execution: A,
    });
  });

  it('is idempotent for a retried call of the same execution: same epoch, the election counted once', async () => {
    const cluster = freshCluster();

    await expect(fence(cluster, A, 0)).resolves.toEqual({ epoch: 1 });
    await expect(fence(cluster, A, 0, NOW + 5_000)).resolves.toEqual({ epoch: 1 });

    expect(await stateOf(cluster)).toMatchObject({ epoch: 1, owner: A, phase: 'fenced' });
    expect(await gateOf(cluster)).toMatchObject({ count: 1, execution: A, lastElectionAt: NOW });
    // The next election (another execution, later that day) counts.
    await expect(fence(cluster, B, 1, NOW + 3_600_000)).resolves.toEqual({ epoch: 2 });
    expect(await gateOf(cluster)).toMatchObject({ count: 2, execution: B });
  });

  it('fences a demotion (split brain) without recording it as an election: no cooldown, no budget spent', async () => {
    const cluster = freshCluster();
    await expect(
      call({ op: 'fence', cluster, execution: A, expectedEpoch: 0, plan: { action: 'demote' } }),
    ).resolves.toEqual({ epoch: 1 });
    expect(await stateOf(cluster)).toMatchObject({ epoch: 1, owner: A, phase: 'fenced' });
    expect(await gateOf(cluster)).toBeUndefined();
  });

  it('refuses a retry whose epoch was taken by someone else in between', async () => {
    const cluster = freshCluster();
    await fence(cluster, A, 0);
    await fence(cluster, B, 1);

    await stale(fence(cluster, A, 0));
    expect(await stateOf(cluster)).toMatchObject({ epoch: 2, owner: B });
  });

  it('never gives one epoch to two executions (a model over random fences)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ who: fc.constantFrom(A, B, C), lag: fc.integer({ min: 0, max: 2 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        async (ops) => {
          const cluster = freshCluster();
          let model = { epoch: 0, owner: undefined as string | undefined };
          for (const { who, lag } of ops) {
            // Each execution fences from what it observed: the current epoch, or one `lag` behind.
            const expected = Math.max(0, model.epoch - lag);
            const ok = expected === model.epoch || (model.epoch === expected + 1 && model.owner === who);
            const out = await fence(cluster, who, expected).catch((e: Error) => e);
            if (ok) {
              expect(out).toEqual({ epoch: expected + 1 });
              model = { epoch: expected + 1, owner: who };
            } else {
              expect(out).toBeInstanceOf(StaleEpochError);
            }
            expect(await stateOf(cluster)).toMatchObject({ epoch: model.epoch, owner: model.owner });
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe('assert, commit, escalate: only the owner of the current epoch', () => {
  it('refuses every step of a superseded execution, and lets the current owner commit', async () => {
    const cluster = freshCluster();
    await fence(cluster, A, 0);
    await fence(cluster, B, 1);

    await stale(call({ op: 'assert', cluster, execution: A, epoch: 1 }));
    await stale(call({ op: 'commit', cluster, execution: A, epoch: 1, primary: M1 }));
    await stale(call({ op: 'escalate', cluster, execution: A, epoch: 1 }));
    // Right epoch, wrong owner: still refused.
    await stale(call({ op: 'commit', cluster, execution: A, epoch: 2, primary: M1 }));
    expect(await stateOf(cluster)).toMatchObject({ epoch: 2, owner: B, phase: 'fenced' });
    expect((await stateOf(cluster))?.primary).toBeUndefined();

    await expect(call({ op: 'assert', cluster, execution: B, epoch: 2 })).resolves.toEqual({
      epoch: 2,
      held: true,
    });
    await expect(call({ op: 'commit', cluster, execution: B, epoch: 2, primary: M2 })).resolves.toEqual({
      epoch: 2,
      committed: true,
    });
    expect(await stateOf(cluster)).toMatchObject({ epoch: 2, owner: B, phase: 'committed', primary: M2 });
    // A committed election still holds for its own later steps (the group swap runs after the commit).
    await expect(call({ op: 'assert', cluster, execution: B, epoch: 2 })).resolves.toMatchObject({
      held: true,
    });
  });

  it('refuses assert on a cluster nobody fenced, and after an escalation', async () => {
    const cluster = freshCluster();
    await stale(call({ op: 'assert', cluster, execution: A, epoch: 0 }));

    await fence(cluster, A, 0);
    await expect(call({ op: 'escalate', cluster, execution: A, epoch: 1 })).resolves.toEqual({
      epoch: 1,
      escalated: true,
    });
    await stale(call({ op: 'assert', cluster, execution: A, epoch: 1 }));
    expect(await stateOf(cluster)).toMatchObject({ phase: 'escalated' });
  });

  it('forgets the candidate on escalation (its candidates were stopped: none may be taken over later)', async () => {
    const cluster = freshCluster();
    await fence(cluster, A, 0);
    await call({ op: 'assert', cluster, execution: A, epoch: 1, candidate: M1 });
    expect(await stateOf(cluster)).toMatchObject({ candidate: M1 });
    await call({ op: 'escalate', cluster, execution: A, epoch: 1 });
    expect((await stateOf(cluster))?.candidate).toBeUndefined();
  });
});

/** The primary group as DescribeAutoScalingGroups answers, holding `instances`. */
const primaryGroupOf = (...instances: { id: string; health: string; state: string; az?: string }[]) => ({
  AutoScalingGroups: [
    {
      AutoScalingGroupName: 'artifactory-prod-primary',
      MinSize: 1,
      MaxSize: 1,
      DesiredCapacity: 1,
      DefaultCooldown: 300,
      AvailabilityZones: ['eu-west-1a'],
      HealthCheckType: 'ELB',
      CreatedTime: new Date(0),
      Instances: instances.map((i) => ({
        InstanceId: i.id,
        AvailabilityZone: i.az ?? 'eu-west-1a',
        LifecycleState: i.state,
        HealthStatus: i.health,
        ProtectedFromScaleIn: false,
      })),
    },
  ],
});

describe('claim (node-bootstrap) against fence', () => {
  const claim = (cluster: string, now = NOW) =>
    call({ op: 'claim', cluster, execution: BOOT, instanceId: NEW, role: 'primary' }, now);

  it('claims the primary role on a fresh cluster; an election decided before the claim is then stale', async () => {
    const cluster = freshCluster();

    await expect(claim(cluster)).resolves.toMatchObject({ role: 'primary', epoch: 1 });
    expect(await stateOf(cluster)).toMatchObject({ epoch: 1, phase: 'claimed', primary: NEW, owner: BOOT });
    await stale(fence(cluster, A, 0));
  });

  it('joins as a member while an election is fenced, leaving the epoch alone', async () => {
    const cluster = freshCluster();
    await fence(cluster, A, 0);

    await expect(claim(cluster, NOW + 60_000)).resolves.toMatchObject({ role: 'member' });
    expect(await stateOf(cluster)).toMatchObject({ epoch: 1, owner: A, phase: 'fenced' });
    await expect(call({ op: 'assert', cluster, execution: A, epoch: 1 })).resolves.toMatchObject({
      held: true,
    });
  });

  it('loses the race to a fence that lands between its read and its write, and then joins as a member', async () => {
    const cluster = freshCluster();
    await putState(cluster, { epoch: 3, phase: 'committed', primary: OLD, owner: A });
    // The claim looks up the recorded primary between reading the state and writing it: fence right then.
    ec2Mock.on(DescribeInstancesCommand).callsFake(async () => {
      await fence(cluster, B, 3);
      return { Reservations: [{ Instances: [instanceState(OLD, 'terminated')] }] };
    });

    await expect(claim(cluster, NOW + 1_000)).resolves.toMatchObject({ role: 'member' });
    expect(await stateOf(cluster)).toMatchObject({ epoch: 4, owner: B, phase: 'fenced', primary: OLD });
    await expect(call({ op: 'assert', cluster, execution: B, epoch: 4 })).resolves.toMatchObject({
      held: true,
    });
  });

  it('two primary-group nodes claiming at once (the claim runs outside the join lock): one primary, one member', async () => {
    const cluster = freshCluster();
    const RIVAL = 'i-0000000000000000d';
    const RIVAL_BOOT = BOOT.replace(NEW, RIVAL);
    ec2Mock
      .on(DescribeInstancesCommand)
      .resolves({ Reservations: [{ Instances: [instanceState(RIVAL, 'running')] }] });
    let rival: Promise<unknown> | undefined;
    let lookups = 0;
    // The rival's whole claim lands between this claim's read of the state and its conditional write.
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).callsFake(async () => {
      if (lookups++ === 0) {
        rival = call({ op: 'claim', cluster, execution: RIVAL_BOOT, instanceId: RIVAL, role: 'primary' });
        await rival;
      }
      return { AutoScalingGroups: [] };
    });

    await expect(claim(cluster)).resolves.toMatchObject({ role: 'member' });
    await expect(rival).resolves.toMatchObject({ role: 'primary', epoch: 1 });
    expect(await stateOf(cluster)).toMatchObject({
      epoch: 1,
      phase: 'claimed',
      primary: RIVAL,
      owner: RIVAL_BOOT,
    });
  });

  it('joins as a member while the recorded primary still runs, and claims once it is gone', async () => {
    const cluster = freshCluster();
    await putState(cluster, { epoch: 2, phase: 'committed', primary: OLD, owner: A });

    ec2Mock
      .on(DescribeInstancesCommand)
      .resolves({ Reservations: [{ Instances: [instanceState(OLD, 'running')] }] });
    await expect(claim(cluster)).resolves.toMatchObject({ role: 'member' });
    expect(await stateOf(cluster)).toMatchObject({ epoch: 2, primary: OLD });

    // EC2 no longer knows the instance at all.
    ec2Mock.on(DescribeInstancesCommand).rejects(
      Object.assign(new Error(`The instance ID '${OLD}' does not exist`), {
        name: 'InvalidInstanceID.NotFound',
      }),
    );
    await expect(claim(cluster)).resolves.toMatchObject({ role: 'primary', epoch: 3 });
    expect(await stateOf(cluster)).toMatchObject({ epoch: 3, primary: NEW, phase: 'claimed' });
  });

  it('claims past a recorded primary still running in EC2 only when Auto Scaling condemned it and its host is impaired', async () => {
    const cluster = freshCluster();
    await putState(cluster, { epoch: 2, phase: 'committed', primary: OLD, owner: A });
    ec2Mock
      .on(DescribeInstancesCommand)
      .resolves({ Reservations: [{ Instances: [instanceState(OLD, 'running')] }] });
    const group = (health: string, state: string) => primaryGroupOf({ id: OLD, health, state });
    const host = (Status: string) =>
      ec2Mock
        .on(DescribeInstanceStatusCommand)
        .resolves({ InstanceStatuses: [{ InstanceId: OLD, InstanceStatus: { Status } as never }] });
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves(group('Healthy', 'InService') as never);
    await expect(claim(cluster)).resolves.toMatchObject({ role: 'member' });
    // Scaled in on a live host (Terminating:Wait): it still serves as the primary until an election stops it.
    host('ok');
    autoScalingMock
      .on(DescribeAutoScalingGroupsCommand)
      .resolves(group('Healthy', 'Terminating:Wait') as never);
    await expect(claim(cluster)).resolves.toMatchObject({ role: 'member' });
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves(group('Unhealthy', 'InService') as never);
    await expect(claim(cluster)).resolves.toMatchObject({ role: 'member' });
    // Condemned and its host impaired: a crashed primary, gone.
    host('impaired');
    await expect(claim(cluster)).resolves.toMatchObject({ role: 'primary', epoch: 3 });
    expect(await stateOf(cluster)).toMatchObject({ epoch: 3, primary: NEW, phase: 'claimed' });
  });

  it('with no primary recorded, joins as a member beside a live peer in the primary group (a partitioned primary)', async () => {
    const cluster = freshCluster();
    const peerGroup = (health: string, state: string) =>
      primaryGroupOf(
        { id: OLD, health, state },
        { id: NEW, health: 'Healthy', state: 'Pending:Wait', az: 'eu-west-1b' },
      );
    ec2Mock
      .on(DescribeInstancesCommand)
      .resolves({ Reservations: [{ Instances: [instanceState(OLD, 'running')] }] });
    const host = (Status: string) =>
      ec2Mock
        .on(DescribeInstanceStatusCommand)
        .resolves({ InstanceStatuses: [{ InstanceId: OLD, InstanceStatus: { Status } as never }] });
    // In service and healthy: it may be the primary; the newcomer is a member for good (nothing to wait for).
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves(peerGroup('Healthy', 'InService') as never);
    host('ok');
    await expect(claim(cluster)).resolves.toMatchObject({ role: 'member', askAgain: false });
    // Condemned by Auto Scaling (the ALB cannot reach it) but its host passes status checks: still live, and
    // on its way out, so node-bootstrap asks again instead of leaving a member in the primary group for good.
    autoScalingMock
      .on(DescribeAutoScalingGroupsCommand)
      .resolves(peerGroup('Unhealthy', 'Terminating:Wait') as never);
    await expect(claim(cluster)).resolves.toMatchObject({ role: 'member', askAgain: true });
    autoScalingMock
      .on(DescribeAutoScalingGroupsCommand)
      .resolves(peerGroup('Unhealthy', 'InService') as never);
    await expect(claim(cluster)).resolves.toMatchObject({ role: 'member', askAgain: true });
    expect(await stateOf(cluster)).toBeUndefined();
    // Its host impaired too: a dead peer, the newcomer claims.
    host('impaired');
    await expect(claim(cluster)).resolves.toMatchObject({ role: 'primary', epoch: 1, askAgain: false });
  });

  it('asks again only while every live peer of the primary group is leaving, and claims once it has terminated', async () => {
    const cluster = freshCluster();
    // The superseded handover's sequence: the old primary was stopped and marked Unhealthy, the other
    // election escalated (no primary recorded), Auto Scaling's replacement boots while the old one drains.
    await putState(cluster, { epoch: 2, phase: 'escalated', owner: A });
    const LIVE = 'i-00000000000000010';
    ec2Mock.on(DescribeInstancesCommand).callsFake(async ({ InstanceIds }: { InstanceIds: string[] }) => ({
      Reservations: [{ Instances: InstanceIds.map((id) => instanceState(id, 'running')) }],
    }));
    ec2Mock
      .on(DescribeInstanceStatusCommand)
      .callsFake(async ({ InstanceIds }: { InstanceIds: string[] }) => ({
        InstanceStatuses: InstanceIds.map((id) => ({ InstanceId: id, InstanceStatus: { Status: 'ok' } })),
      }));
    const leaving = { id: OLD, health: 'Unhealthy', state: 'Terminating:Wait' };
    const self = { id: NEW, health: 'Healthy', state: 'Pending:Wait' };
    // A leaving peer and a serving one: the serving one may be the primary, a member for good.
    autoScalingMock
      .on(DescribeAutoScalingGroupsCommand)
      .resolves(primaryGroupOf(leaving, { id: LIVE, health: 'Healthy', state: 'InService' }, self) as never);
    await expect(claim(cluster)).resolves.toMatchObject({ role: 'member', askAgain: false });
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves(primaryGroupOf(leaving, self) as never);
    await expect(claim(cluster)).resolves.toMatchObject({ role: 'member', askAgain: true });
    expect(await stateOf(cluster)).toMatchObject({ epoch: 2, phase: 'escalated' });
    // Terminated: the replacement claims the role the escalation left to it.
    ec2Mock.on(DescribeInstancesCommand).callsFake(async ({ InstanceIds }: { InstanceIds: string[] }) => ({
      Reservations: [
        { Instances: InstanceIds.map((id) => instanceState(id, id === OLD ? 'terminated' : 'running')) },
      ],
    }));
    await expect(claim(cluster)).resolves.toMatchObject({ role: 'primary', epoch: 3, askAgain: false });
  });

  it('claims beside a fence at once when its election has ended, and never while it runs, however old', async () => {
    const cluster = freshCluster();
    const dying = exec(`dying-${cluster}`);
    await fence(cluster, dying, 0);

    // A slow election (past the old 30-minute staleness, up to the workflow's own timeout) still holds.
    await expect(claim(cluster, NOW + 89 * 60_000)).resolves.toMatchObject({ role: 'member' });
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: dying });
    // It ended without committing or escalating (timed out, stopped): abandoned at once.
    ended.add(dying);
    await expect(claim(cluster, NOW + 60_000)).resolves.toMatchObject({ role: 'primary', epoch: 2 });
    // The dead election can no longer act.
    await stale(call({ op: 'commit', cluster, execution: dying, epoch: 1, primary: M1 }));
  });
});

// --- validate and observe with strict SDK mocks ------------------------------------------------------------

const context: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'failover',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:failover',
  memoryLimitInMB: '512',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/failover',
  logStreamName: '2026/01/01/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

describe('validate (handler, strict SDK mocks)', () => {
  const instances = {
    autoScaling: new AutoScalingClient({ region: REGION }),
    ec2: new EC2Client({ region: REGION }),
    elbv2: new ElasticLoadBalancingV2Client({ region: REGION }),
    sfn: new SFNClient({ region: REGION }),
    ssm: new SSMClient({ region: REGION }),
    dynamoDB: new DynamoDBClient({ region: REGION }),
    dynamoDoc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: REGION })),
  };
  const mocks = Object.values(instances).map((c) => mockClient(c as unknown as SFNClient));
  const sdkCalls = () => mocks.reduce((n, m) => n + m.calls().length, 0);
  const docMock = () => mocks[6] as unknown as AwsStub<object, MetadataBearer, unknown>;
  const savedEnv = { ...process.env };
  const good = { cluster: CLUSTER, region: REGION, reason: 'the primary is slow, move it' };

  beforeEach(() => {
    for (const m of mocks) {
      m.reset();
      m.onAnyCommand().rejects(new Error('unexpected command'));
    }
    resetClients();
    setClientsForTest(instances);
    Object.assign(process.env, ENVIRONMENT);
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });

  afterEach(() => {
    jest.restoreAllMocks();
    process.env = { ...savedEnv };
  });

  afterAll(() => {
    for (const m of mocks) m.restore();
    resetClients();
  });

  it('returns the input with its defaults for a good one, not held by the pause', async () => {
    await expect(handler({ op: 'validate', input: good }, context)).resolves.toEqual({
      input: { ...good, trigger: 'manual', dryRun: false, force: false },
      paused: false,
    });
    expect(sdkCalls()).toBe(0);
  });

  it.each([
    ['true', 'alarm', false],
    ['false', 'alarm', true],
    ['false', 'drain', true],
    ['false', 'reconciler', true],
    ['false', 'replacement', true],
    ['false', 'manual', false],
  ] as const)(
    'with automation.enabled %s, a %s run is held by the pause: %s (decided before the lock)',
    async (enabled, trigger, paused) => {
      process.env[ENV.automationEnabled] = enabled;
      const input = {
        ...good,
        trigger,
        ...(trigger === 'drain' ? { instanceId: 'i-0123456789abcdef0' } : {}),
      };
      docMock().on(GetCommand).resolves({});
      await expect(handler({ op: 'validate', input }, context)).resolves.toMatchObject({ paused });
      // With the deploy-time switch off nothing is read; an automatic run otherwise reads this region's copy.
      expect(sdkCalls()).toBe(enabled === 'true' && (trigger as string) !== 'manual' ? 1 : 0);
    },
  );

  const PAUSE_GET = {
    TableName: TABLE,
    Key: { pk: `ROUTING#${CLUSTER}`, sk: 'PAUSE' },
    ConsistentRead: true,
  };

  it('holds an automatic run while an operator paused automation (the PAUSE item), never a manual one', async () => {
    docMock()
      .on(GetCommand, PAUSE_GET)
      .resolves({ Item: { paused: true, reason: 'db upgrade', actor: 'alice', changedAt: 1, version: 3 } });
    await expect(
      handler({ op: 'validate', input: { ...good, trigger: 'alarm' } }, context),
    ).resolves.toMatchObject({ paused: true });
    await expect(
      handler({ op: 'validate', input: { ...good, trigger: 'manual' } }, context),
    ).resolves.toMatchObject({ paused: false });
    expect(docMock().commandCalls(GetCommand)).toHaveLength(1);
  });

  it('fails an automatic run whose pause cannot be read (the workflow catches it; nothing is changed)', async () => {
    docMock()
      .on(GetCommand)
      .rejects(Object.assign(new Error('down'), { name: 'InternalServerError' }));
    await expect(
      handler({ op: 'validate', input: { ...good, trigger: 'reconciler' } }, context),
    ).rejects.toMatchObject({ name: 'InternalServerError' });
  });

  it('refuses an automation switch that is neither true nor false, naming it, before anything runs', async () => {
    process.env[ENV.automationEnabled] = 'TRUE';
    await expect(handler({ op: 'validate', input: good }, context)).rejects.toThrow(
      /AUTOMATION_ENABLED must be true or false/,
    );
    expect(sdkCalls()).toBe(0);
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['another cluster', { cluster: 'artifactory-staging' }, 'cluster', /artifactory-prod/],
    ['a region that does not exist', { region: 'eu-west-9' }, 'region', /not an AWS region/],
    ['another region', { region: 'us-east-1' }, 'region', /us-east-1's stack/],
    ['a malformed candidate', { candidate: 'i-NOTANID' }, 'candidate', /instance id/i],
    ['a drain without its instance', { trigger: 'drain' }, 'instanceId', /required when trigger is drain/],
    ['an unknown trigger', { trigger: 'cron' }, 'trigger', /./],
    ['an empty reason', { reason: '   ' }, 'reason', /reason is required/],
    ['an unknown field', { force: true, yes: true }, '(root)', /yes/],
  ])(
    'refuses %s with a ValidationError naming the field, touching nothing',
    async (_what, change, path, message) => {
      const err: unknown = await handler({ op: 'validate', input: { ...good, ...change } }, context).catch(
        (e: unknown) => e,
      );

      expect(err).toBeInstanceOf(ValidationError);
      const issues = (err as ValidationError).issues;
      expect(issues.map((i) => i.path)).toEqual([path]);
      expect(issues[0]?.message).toMatch(message);
      expect(sdkCalls()).toBe(0);
    },
  );

  it('names every wrong field at once', async () => {
    const err: unknown = await handler(
      { op: 'validate', input: { ...good, cluster: 'x', region: 'mars-1', trigger: 'drain' } },
      context,
    ).catch((e: unknown) => e);

    expect((err as ValidationError).issues.map((i) => i.path)).toEqual(['cluster', 'region', 'instanceId']);
    expect(sdkCalls()).toBe(0);
  });
});

describe('observe (strict SDK mocks)', () => {
  const asg = new AutoScalingClient({ region: REGION });
  const elb = new ElasticLoadBalancingV2Client({ region: REGION });
  const ec2c = new EC2Client({ region: REGION });
  const docc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: REGION }));
  const asgMock = mockClient(asg);
  const elbMock = mockClient(elb);
  const ec2cMock = mockClient(ec2c);
  const docMock = mockClient(docc);
  const observeDeps = {
    clients: {
      autoScaling: () => asg,
      elbv2: () => elb,
      ec2: () => ec2c,
      dynamoDoc: () => docc,
    } as unknown as HandlerContext['clients'],
    logger,
    metrics,
    now: () => NOW,
    env: ENVIRONMENT,
  };
  const gate = { lastElectionAt: NOW - 7_200_000, day: '2026-03-10', count: 1 };

  beforeEach(() => {
    for (const m of [asgMock, elbMock, ec2cMock, docMock] as {
      reset(): void;
      onAnyCommand(): { rejects(e: Error): void };
    }[]) {
      m.reset();
      m.onAnyCommand().rejects(new Error('unexpected command'));
    }
    asgMock.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: PRIMARY_ASG,
          Instances: [
            {
              InstanceId: P,
              AvailabilityZone: 'eu-west-1a',
              LifecycleState: 'InService',
              HealthStatus: 'Healthy',
            },
          ],
        },
        {
          AutoScalingGroupName: MEMBER_ASG,
          Instances: [
            {
              InstanceId: M2,
              AvailabilityZone: 'eu-west-1a',
              LifecycleState: 'Pending:Wait',
              HealthStatus: 'Healthy',
            },
            {
              InstanceId: M1,
              AvailabilityZone: 'eu-west-1b',
              LifecycleState: 'InService',
              HealthStatus: 'Healthy',
            },
          ],
        },
      ] as never,
    });
    elbMock.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: P, Port: 8082 }, TargetHealth: { State: 'unhealthy' } },
        { Target: { Id: M1, Port: 8082 }, TargetHealth: { State: 'healthy' } },
      ],
    });
    docMock.on(GetCommand, { Key: gateKey(CLUSTER, FAILOVER_GATE) }).resolves({ Item: gate });
    // Every host passes EC2's status checks unless a test says otherwise.
    ec2cMock.on(DescribeInstanceStatusCommand).callsFake(async (input: { InstanceIds: string[] }) => ({
      InstanceStatuses: input.InstanceIds.map((InstanceId) => ({
        InstanceId,
        InstanceStatus: { Status: 'ok' },
      })),
    }));
  });

  afterAll(() => {
    for (const m of [asgMock, elbMock, ec2cMock, docMock]) m.restore();
  });

  it('probes a condemned instance whose host is alive (a primary being scaled in), not one on an impaired host', async () => {
    docMock.on(GetCommand, { Key: stateKey(CLUSTER) }).resolves({
      Item: { ...stateKey(CLUSTER), epoch: 4, primary: P, phase: 'committed', owner: A },
    });
    ec2cMock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            instanceState(P, 'running'),
            instanceState(M1, 'running'),
            instanceState(M2, 'running'),
          ],
        },
      ],
    });
    const terminating = (Status: string) => {
      asgMock.on(DescribeAutoScalingGroupsCommand).resolves({
        AutoScalingGroups: [
          {
            AutoScalingGroupName: PRIMARY_ASG,
            Instances: [
              {
                InstanceId: P,
                AvailabilityZone: 'eu-west-1a',
                LifecycleState: 'Terminating:Wait',
                HealthStatus: 'Healthy',
              },
            ],
          },
          {
            AutoScalingGroupName: MEMBER_ASG,
            Instances: [
              {
                InstanceId: M1,
                AvailabilityZone: 'eu-west-1b',
                LifecycleState: 'InService',
                HealthStatus: 'Healthy',
              },
              {
                InstanceId: M2,
                AvailabilityZone: 'eu-west-1a',
                LifecycleState: 'InService',
                HealthStatus: 'Healthy',
              },
            ],
          },
        ] as never,
      });
      ec2cMock.on(DescribeInstanceStatusCommand).callsFake(async (input: { InstanceIds: string[] }) => ({
        InstanceStatuses: input.InstanceIds.map((InstanceId) => ({
          InstanceId,
          InstanceStatus: { Status: InstanceId === P ? Status : 'ok' },
        })),
      }));
    };
    terminating('ok');
    const alive = (await failover({ op: 'observe' }, observeDeps)) as { probeTargets: string[] };
    expect(alive.probeTargets).toEqual([P, M1, M2].sort());
    terminating('impaired');
    const crashed = (await failover({ op: 'observe' }, observeDeps)) as { probeTargets: string[] };
    expect(crashed.probeTargets).toEqual([M1, M2].sort());
  });

  it('builds one node per instance from Auto Scaling, the ALB and EC2, with the state and the gate', async () => {
    docMock.on(GetCommand, { Key: stateKey(CLUSTER) }).resolves({
      Item: { ...stateKey(CLUSTER), epoch: 4, primary: P, phase: 'committed', owner: A },
    });
    ec2cMock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        { Instances: [instanceState(P, 'running'), instanceState(M1, 'running')] },
        { Instances: [instanceState(M2, 'pending')] },
      ],
    });

    const snap = await failover({ op: 'observe' }, observeDeps);

    expect(snap).toEqual({
      nodes: [
        {
          instanceId: P,
          group: 'primary',
          az: 'eu-west-1a',
          lifecycleState: 'InService',
          health: 'Healthy',
          target: 'unhealthy',
          ec2State: 'running',
          hostStatus: 'ok',
        },
        {
          instanceId: M1,
          group: 'member',
          az: 'eu-west-1b',
          lifecycleState: 'InService',
          health: 'Healthy',
          target: 'healthy',
          ec2State: 'running',
          hostStatus: 'ok',
        },
        {
          instanceId: M2,
          group: 'member',
          az: 'eu-west-1a',
          lifecycleState: 'Pending:Wait',
          health: 'Healthy',
          target: 'absent',
          ec2State: 'pending',
          hostStatus: 'unknown',
        },
      ],
      state: { epoch: 4, primary: P, phase: 'committed', owner: A },
      gate,
      // Only running instances are worth an SSM probe.
      probeTargets: [P, M1],
    });
    expect(asgMock).toHaveReceivedCommandWith(DescribeAutoScalingGroupsCommand, {
      AutoScalingGroupNames: [PRIMARY_ASG, MEMBER_ASG],
    });
    expect(elbMock).toHaveReceivedCommandWith(DescribeTargetHealthCommand, { TargetGroupArn: TARGET_GROUP });
    expect(ec2cMock).toHaveReceivedCommandTimes(DescribeInstancesCommand, 1);
    expect(docMock).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, ConsistentRead: true });
  });

  it('gives every field a value on a cluster with no state item yet (Step Functions paths need them)', async () => {
    docMock.on(GetCommand, { Key: stateKey(CLUSTER) }).resolves({});
    docMock.on(GetCommand, { Key: gateKey(CLUSTER, FAILOVER_GATE) }).resolves({});
    ec2cMock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            instanceState(P, 'running'),
            instanceState(M1, 'running'),
            instanceState(M2, 'pending'),
          ],
        },
      ],
    });

    await expect(failover({ op: 'observe' }, observeDeps)).resolves.toMatchObject({
      state: { epoch: 0 },
      gate: {},
    });
  });

  it('still observes when EC2 has forgotten a long-terminated recorded primary (InvalidInstanceID.NotFound)', async () => {
    docMock.on(GetCommand, { Key: stateKey(CLUSTER) }).resolves({
      Item: { ...stateKey(CLUSTER), epoch: 2, primary: OLD, phase: 'committed' },
    });
    ec2cMock
      .on(DescribeInstancesCommand)
      .rejects(
        Object.assign(new Error(`The instance ID '${OLD}' does not exist`), {
          name: 'InvalidInstanceID.NotFound',
        }),
      )
      .on(DescribeInstancesCommand, { InstanceIds: [P, M2, M1] })
      .resolves({
        Reservations: [
          {
            Instances: [
              instanceState(P, 'running'),
              instanceState(M1, 'running'),
              instanceState(M2, 'pending'),
            ],
          },
        ],
      });

    const snap = (await failover({ op: 'observe' }, observeDeps)) as { nodes: { instanceId: string }[] };

    expect(snap.nodes.find((n) => n.instanceId === OLD)).toEqual({
      instanceId: OLD,
      group: 'none',
      az: '',
      lifecycleState: 'none',
      health: 'Healthy',
      target: 'absent',
      ec2State: 'terminated',
      hostStatus: 'unknown',
    });
    expect(snap.nodes.map((n) => n.instanceId)).toEqual([P, M1, M2, OLD]);
    expect(ec2cMock.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input.InstanceIds)).toEqual([
      [P, M2, M1, OLD],
      [P, M2, M1],
      // The ids outside the groups are asked one by one: a forgotten one must not hide another.
      [OLD],
    ]);
  });

  it('looks at the candidate of the last fence outside both groups, and carries it in the state', async () => {
    const D = 'i-0000000000000000d';
    docMock.on(GetCommand, { Key: stateKey(CLUSTER) }).resolves({
      Item: {
        ...stateKey(CLUSTER),
        epoch: 5,
        primary: P,
        phase: 'fenced',
        owner: A,
        candidate: D,
      },
    });
    ec2cMock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            instanceState(P, 'running'),
            instanceState(M1, 'running'),
            instanceState(M2, 'pending'),
          ],
        },
        { Instances: [{ ...instanceState(D, 'running'), Placement: { AvailabilityZone: 'eu-west-1c' } }] },
      ],
    });

    const snap = (await failover({ op: 'observe' }, observeDeps)) as {
      nodes: { instanceId: string }[];
      state: unknown;
      probeTargets: string[];
    };

    expect(snap.nodes.find((n) => n.instanceId === D)).toEqual({
      instanceId: D,
      group: 'none',
      az: 'eu-west-1c',
      lifecycleState: 'none',
      health: 'Healthy',
      target: 'absent',
      ec2State: 'running',
      hostStatus: 'ok',
    });
    expect(snap.nodes.map((n) => n.instanceId)).toEqual([P, M1, M2, D]);
    expect(snap.state).toEqual({ epoch: 5, primary: P, phase: 'fenced', owner: A, candidate: D });
    // Running: it is probed like any node (and so found as the unhoused primary or an orphan).
    expect(snap.probeTargets).toContain(D);
    expect(ec2cMock.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input.InstanceIds)).toEqual([
      [P, M2, M1, D],
    ]);
  });

  it('describes each instance once when the candidate is the recorded primary or still in a group', async () => {
    ec2cMock.on(DescribeInstancesCommand).callsFake(async (input: { InstanceIds: string[] }) => ({
      Reservations: [{ Instances: input.InstanceIds.map((i) => instanceState(i, 'running')) }],
    }));
    const withState = (state: Record<string, unknown>) =>
      docMock.on(GetCommand, { Key: stateKey(CLUSTER) }).resolves({
        Item: { ...stateKey(CLUSTER), epoch: 5, phase: 'fenced', owner: A, ...state },
      });

    withState({ primary: OLD, candidate: OLD });
    let snap = (await failover({ op: 'observe' }, observeDeps)) as {
      nodes: { instanceId: string; group: string }[];
    };
    expect(snap.nodes.map((n) => n.instanceId)).toEqual([P, M1, M2, OLD]);

    withState({ primary: P, candidate: M1 });
    snap = (await failover({ op: 'observe' }, observeDeps)) as typeof snap;
    expect(snap.nodes.map((n) => [n.instanceId, n.group])).toEqual([
      [P, 'primary'],
      [M1, 'member'],
      [M2, 'member'],
    ]);
    expect(ec2cMock.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input.InstanceIds)).toEqual([
      [P, M2, M1, OLD],
      [P, M2, M1],
    ]);
  });

  it('lets any other EC2 error fail the observation', async () => {
    docMock.on(GetCommand, { Key: stateKey(CLUSTER) }).resolves({});
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded' });
    ec2cMock.on(DescribeInstancesCommand).rejects(throttled);

    await expect(failover({ op: 'observe' }, observeDeps)).rejects.toBe(throttled);
  });
});

describe('decide', () => {
  const node = (instanceId: string, group: 'primary' | 'member', az: string) => ({
    instanceId,
    group,
    az,
    lifecycleState: 'InService',
    health: 'Healthy' as const,
    target: group === 'primary' ? 'unhealthy' : 'healthy',
    ec2State: 'running',
  });
  const snapshot = {
    nodes: [
      node(P, 'primary', 'eu-west-1a'),
      node(M1, 'member', 'eu-west-1b'),
      node(M2, 'member', 'eu-west-1a'),
    ],
    state: { epoch: 7, primary: P, phase: 'committed' as const },
    gate: {},
    probeTargets: [P, M1, M2],
  };
  const ready = (instanceId: string, role: string) => ({
    instanceId,
    stdout: JSON.stringify({ ready: true, role, taskAffinity: 'any' }),
  });
  const probes = [{ instanceId: P, unreachable: true }, ready(M1, 'member'), ready(M2, 'member')];
  const input = {
    cluster: CLUSTER,
    region: REGION,
    reason: 'r',
    trigger: 'manual' as const,
    dryRun: false,
    force: false,
  };

  it('plans a promotion of the other-AZ member, fencing from the observed epoch', async () => {
    const out = await call({
      op: 'decide',
      input,
      snapshot,
      probes,
      verdict: { verdict: 'confirmed', primary: P },
    });
    expect(out).toMatchObject({
      gate: { allow: true },
      plan: { action: 'promote', candidates: [M1, M2], failedPrimary: P, failedAz: 'eu-west-1a' },
      expectedEpoch: 7,
    });
  });

  it('re-reads the pause at the plan step: an automatic run paused since validate is refused, a manual one not', async () => {
    const key = { pk: `ROUTING#${CLUSTER}`, sk: 'PAUSE' };
    await doc.send(
      new PutCommand({
        TableName: TABLE,
        Item: { ...key, paused: true, reason: 'incident', actor: 'alice', changedAt: NOW, version: 1 },
      }),
    );
    try {
      const decideAs = (trigger: 'alarm' | 'manual') =>
        call({
          op: 'decide',
          input: { ...input, trigger },
          snapshot,
          probes,
          verdict: { verdict: 'confirmed', primary: P },
        });
      await expect(decideAs('alarm')).resolves.toMatchObject({ gate: { allow: false, rule: 'paused' } });
      await expect(decideAs('manual')).resolves.toMatchObject({ gate: { allow: true } });
    } finally {
      await doc.send(new DeleteCommand({ TableName: TABLE, Key: key }));
    }
  });

  it('turns an ineligible requested candidate into a ValidationError on candidate', async () => {
    const err: unknown = await call({
      op: 'decide',
      input: { ...input, candidate: P },
      snapshot,
      probes,
      verdict: { verdict: 'confirmed', primary: P },
    }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues).toEqual([
      { path: 'candidate', message: expect.stringContaining(P) },
    ]);
  });
});

// --- the repair of an interrupted election and the daily budget ---------------------------------------------

/** Instance left outside both groups by an interrupted election (detached, maybe promoted). */
const ORPHAN = 'i-0000000000000000d';

describe('an interrupted election: assess and decide', () => {
  const node = (
    instanceId: string,
    group: 'primary' | 'member' | 'none',
    az: string,
    target = 'healthy',
  ) => ({
    instanceId,
    group,
    az,
    lifecycleState: group === 'none' ? 'none' : 'InService',
    health: 'Healthy' as const,
    target,
    ec2State: 'running',
  });
  /** The old primary stopped, the candidate promoted and detached, then the execution died. */
  const unhoused = {
    nodes: [
      { ...node(P, 'primary', 'eu-west-1a', 'unused'), ec2State: 'stopped' },
      node(M1, 'member', 'eu-west-1b'),
      node(M2, 'member', 'eu-west-1a'),
      node(ORPHAN, 'none', 'eu-west-1c', 'absent'),
    ],
    state: {
      epoch: 7,
      primary: P,
      phase: 'fenced' as const,
      owner: A,
      fencedAt: NOW - 3_600_000,
      candidate: ORPHAN,
    },
    // An election a minute ago, the day's budget spent: an election would be refused.
    gate: { lastElectionAt: NOW - 60_000, day: '2026-03-10', count: 3, execution: A },
    probeTargets: [M1, M2, ORPHAN],
  };
  const ready = (instanceId: string, role: string) => ({
    instanceId,
    stdout: JSON.stringify({ ready: true, role, taskAffinity: 'none' }),
  });
  const probes = [ready(M1, 'member'), ready(M2, 'member'), ready(ORPHAN, 'primary')];
  const input = {
    cluster: CLUSTER,
    region: REGION,
    reason: 'r',
    trigger: 'manual' as const,
    dryRun: false,
    force: false,
  };
  const assess = (change: Partial<Extract<FailoverRequest, { op: 'assess' }>['input']>) =>
    call({
      op: 'assess',
      input: { ...input, ...change },
      snapshot: unhoused,
      probes,
      round: 0,
      confirmations: 0,
    });

  it('assess (manual) finds the unhoused primary and adopts it; with a requested candidate it does not', async () => {
    await expect(assess({})).resolves.toMatchObject({ verdict: 'adopt', primary: ORPHAN });
    const chosen = (await assess({ candidate: M1 })) as { verdict: string };
    expect(chosen.verdict).not.toBe('adopt');
    expect(chosen).toMatchObject({ verdict: 'confirmed' });
  });

  it('assess (alarm) adopts at once, in the first round', async () => {
    await expect(assess({ trigger: 'alarm' })).resolves.toMatchObject({ verdict: 'adopt', primary: ORPHAN });
  });

  const decide = (verdict: Record<string, unknown> & { verdict: string }, change = {}, env = ENVIRONMENT) =>
    failover(
      { op: 'decide', input: { ...input, ...change }, snapshot: unhoused, probes, verdict },
      { ...deps(), env },
    ) as Promise<{ gate: { allow: boolean }; plan: Record<string, unknown>; summary: string }>;

  it.each(['alarm', 'reconciler', 'replacement'] as const)(
    'decide (%s) plans the adoption as a repair, gated like an election (refused in the cooldown, or paused)',
    async (trigger) => {
      for (const env of [ENVIRONMENT, { ...ENVIRONMENT, [ENV.automationEnabled]: 'false' }]) {
        const out = await decide({ verdict: 'adopt', primary: ORPHAN, why: 'unhoused' }, { trigger }, env);
        // A repair that keeps failing must not loop every sweep: the gate applies.
        expect(out.gate.allow).toBe(false);
        expect(out.plan).toMatchObject({
          action: 'promote',
          candidates: [ORPHAN],
          candidateSteps: ['adopt'],
          needed: 1,
          failedPrimaryReachable: false,
          budgeted: true,
        });
        expect(out.plan.failedPrimary).toBeUndefined();
        expect(out.summary).toMatch(new RegExp(`^Re-house the primary ${ORPHAN}`));
      }
    },
  );

  it('decide (manual) adopts inside the cooldown only with force, and does not budget it', async () => {
    const refused = await decide(
      { verdict: 'adopt', primary: ORPHAN, why: 'unhoused' },
      { trigger: 'manual' },
    );
    expect(refused.gate).toMatchObject({ allow: false, rule: 'cooldown' });
    const forced = await decide(
      { verdict: 'adopt', primary: ORPHAN, why: 'unhoused' },
      { trigger: 'manual', force: true },
    );
    expect(forced.gate.allow).toBe(true);
    expect(forced.plan).toMatchObject({ candidateSteps: ['adopt'], budgeted: false });
  });

  it('decide keeps refusing an ordinary election in the same situation (the gate is not bypassed)', async () => {
    const out = await decide({ verdict: 'confirmed', primary: P, why: 'down' }, { trigger: 'alarm' });
    expect(out.gate).toMatchObject({ allow: false, rule: 'cooldown' });
    expect(out.plan).toMatchObject({ budgeted: true });
    expect(out.plan.candidateSteps).not.toContain('adopt');
  });

  describe('budgeted: only an automatic, unplanned election counts against the daily budget', () => {
    const fresh = { ...unhoused, gate: {} };
    // The dead election only detached its candidate: an orphan, still a member.
    const orphanProbes = [ready(M1, 'member'), ready(M2, 'member'), ready(ORPHAN, 'member')];
    const decideFresh = (verdict: Record<string, unknown> & { verdict: string }, change = {}) =>
      call({
        op: 'decide',
        input: { ...input, ...change },
        snapshot: fresh,
        probes: orphanProbes,
        verdict,
      }) as Promise<{ gate: { allow: boolean }; plan: Record<string, unknown> }>;

    it.each(['alarm', 'reconciler', 'replacement'] as const)(
      'a confirmed %s election is budgeted',
      async (trigger) => {
        const out = await decideFresh({ verdict: 'confirmed', primary: P, why: 'down' }, { trigger });
        expect(out.gate.allow).toBe(true);
        expect(out.plan).toMatchObject({
          action: 'promote',
          budgeted: true,
          failedPrimary: P,
        });
        // The orphan of the dead election first (promote only), then the members (detach and promote).
        expect(out.plan).toMatchObject({
          candidates: [ORPHAN, M1, M2],
          candidateSteps: ['promote', 'detach-promote', 'detach-promote'],
        });
      },
    );

    it('a manual election is not budgeted', async () => {
      const out = await decideFresh({ verdict: 'confirmed', primary: P, why: 'down', manual: true });
      expect(out.plan).toMatchObject({ action: 'promote', budgeted: false });
    });

    it('a planned drain is not budgeted', async () => {
      const out = await decideFresh(
        { verdict: 'confirmed', primary: P, why: 'planned handover', planned: true },
        { trigger: 'drain', instanceId: P },
      );
      expect(out.gate.allow).toBe(true);
      expect(out.plan).toMatchObject({ action: 'promote', budgeted: false });
    });

    it('an unplanned drain is budgeted', async () => {
      const out = await decideFresh(
        { verdict: 'confirmed', primary: P, why: 'down' },
        { trigger: 'drain', instanceId: P },
      );
      expect(out.plan).toMatchObject({ budgeted: true });
    });
  });
});

describe('fence: the gate record of a repair and of an unbudgeted election', () => {
  const fenceWith = (
    cluster: string,
    execution: string,
    expectedEpoch: number,
    plan: { failedPrimary?: string; budgeted?: boolean },
    now = NOW,
  ) => call({ op: 'fence', cluster, execution, expectedEpoch, plan }, now);

  it('a repair starts the cooldown like an election (so a failing repair cannot loop every sweep)', async () => {
    const cluster = freshCluster();
    await fenceWith(cluster, A, 0, { failedPrimary: P, budgeted: true });
    await expect(fenceWith(cluster, B, 1, { budgeted: true }, NOW + 60_000)).resolves.toEqual({
      epoch: 2,
    });
    expect(await stateOf(cluster)).toMatchObject({
      epoch: 2,
      owner: B,
      phase: 'fenced',
      fencedAt: NOW + 60_000,
    });
    expect(await gateOf(cluster)).toMatchObject({ lastElectionAt: NOW + 60_000, count: 2, execution: B });
  });

  it('an unbudgeted election starts the cooldown without counting; a budgeted one counts', async () => {
    const cluster = freshCluster();
    await fenceWith(cluster, A, 0, { failedPrimary: P, budgeted: true });
    expect(await gateOf(cluster)).toMatchObject({ lastElectionAt: NOW, day: '2026-03-10', count: 1 });

    await fenceWith(cluster, B, 1, { failedPrimary: P, budgeted: false }, NOW + 3_600_000);
    expect(await gateOf(cluster)).toMatchObject({
      lastElectionAt: NOW + 3_600_000,
      day: '2026-03-10',
      count: 1,
      execution: B,
    });

    await fenceWith(cluster, C, 2, { failedPrimary: P, budgeted: true }, NOW + 7_200_000);
    expect(await gateOf(cluster)).toMatchObject({ lastElectionAt: NOW + 7_200_000, count: 2, execution: C });
  });

  it('an unbudgeted first election of the day records the day with a count of 0', async () => {
    const cluster = freshCluster();
    await fenceWith(cluster, A, 0, { failedPrimary: P, budgeted: true }, NOW - 86_400_000);
    await fenceWith(cluster, B, 1, { budgeted: false });
    expect(await gateOf(cluster)).toMatchObject({ lastElectionAt: NOW, day: '2026-03-10', count: 0 });
  });
});

describe('assert with a candidate: recorded for the next run, only by the owner of the epoch', () => {
  it('writes the candidate into the state item, keeping the rest', async () => {
    const cluster = freshCluster();
    await fence(cluster, A, 0);

    await expect(call({ op: 'assert', cluster, execution: A, epoch: 1, candidate: M1 })).resolves.toEqual({
      epoch: 1,
      held: true,
    });
    expect(await stateOf(cluster)).toMatchObject({ epoch: 1, owner: A, phase: 'fenced', candidate: M1 });
    // The next candidate replaces it, also after the commit (the group move runs after it).
    await call({ op: 'commit', cluster, execution: A, epoch: 1, primary: M2 });
    await call({ op: 'assert', cluster, execution: A, epoch: 1, candidate: M2 });
    expect(await stateOf(cluster)).toMatchObject({
      epoch: 1,
      phase: 'committed',
      primary: M2,
      candidate: M2,
    });
  });

  it('is StaleEpoch and writes nothing for a superseded execution or the wrong owner', async () => {
    const cluster = freshCluster();
    await fence(cluster, A, 0);
    await fence(cluster, B, 1);
    const before = await stateOf(cluster);

    await stale(call({ op: 'assert', cluster, execution: A, epoch: 1, candidate: M1 }));
    await stale(call({ op: 'assert', cluster, execution: A, epoch: 2, candidate: M1 }));
    expect(await stateOf(cluster)).toEqual(before);
    expect(before?.candidate).toBeUndefined();

    await call({ op: 'escalate', cluster, execution: B, epoch: 2 });
    await stale(call({ op: 'assert', cluster, execution: B, epoch: 2, candidate: M1 }));
    expect((await stateOf(cluster))?.candidate).toBeUndefined();
  });

  it('writes conditionally: a fence landing between its read and its write makes it StaleEpoch', async () => {
    const cluster = freshCluster();
    await fence(cluster, A, 0);
    // A document client that lets another execution fence just before the candidate is written.
    const racing = {
      send: async (command: { input: { UpdateExpression?: string } }) => {
        if (command instanceof UpdateCommand && command.input.UpdateExpression?.includes('candidate')) {
          await fence(cluster, B, 1);
        }
        return doc.send(command as never);
      },
    };
    const racingDeps = {
      ...deps(),
      clients: { dynamoDoc: () => racing, ec2: () => ec2 },
    } as unknown as Parameters<typeof failover>[1];

    await stale(failover({ op: 'assert', cluster, execution: A, epoch: 1, candidate: M1 }, racingDeps));
    const after = await stateOf(cluster);
    expect(after).toMatchObject({ epoch: 2, owner: B, phase: 'fenced' });
    expect(after?.candidate).toBeUndefined();
  });
});
