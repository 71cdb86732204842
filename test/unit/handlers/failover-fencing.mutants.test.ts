import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { FAILOVER_GATE } from '../../../functions/core/failover-gate';
import { gateKey } from '../../../functions/core/keys';
import type { FailoverConfig, OpContext } from '../../../functions/failover/config';
import { assert, claim, commit, escalate, fence } from '../../../functions/failover/fencing';

/** The failover Lambda's conditional writes against strict SDK mocks: messages, logs, metrics, error paths. */
const TABLE = 'fencing-mutants';
const ME = 'arn:aws:states:eu-west-1:111122223333:execution:primary-failover:me';
const BOOT = 'arn:aws:states:eu-west-1:111122223333:execution:node-bootstrap:boot';
const NEW = 'i-0000000000000000e';
const OLD = 'i-0000000000000000f';
const NOW = Date.UTC(2026, 2, 10, 12);
const config: FailoverConfig = {
  cluster: 'prod',
  region: 'eu-west-1',
  mode: 'legacy-primary',
  primaryAsgName: 'prod-primary',
  memberAsgName: 'prod-members',
  targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/art/0123456789abcdef',
  stateTable: TABLE,
  minTaskNodes: 1,
  cooldownMinutes: 60,
  dailyBudget: 3,
  automationEnabled: true,
};

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const ec2 = new EC2Client({ region: 'eu-west-1' });
const autoScaling = new AutoScalingClient({ region: 'eu-west-1' });
const docMock = mockClient(doc);
const ec2Mock = mockClient(ec2);
const asgMock = mockClient(autoScaling);
const logged: { message: string; data: unknown }[] = [];
const metrics: { name: string; unit: string; value: number }[] = [];
const ctx = (over: Partial<FailoverConfig> = {}): OpContext =>
  ({
    config: { ...config, ...over },
    now: NOW,
    deps: {
      clients: { dynamoDoc: () => doc, ec2: () => ec2, autoScaling: () => autoScaling },
      logger: { info: (message: string, data: unknown) => logged.push({ message, data }) },
      metrics: {
        addMetric: (name: string, unit: string, value: number) => metrics.push({ name, unit, value }),
      },
      now: () => NOW,
      env: {},
    },
  }) as unknown as OpContext;
const named = (name: string) => Object.assign(new Error(name), { name });
const conditionFailed = () => named('ConditionalCheckFailedException');
const throttled = named('ThrottlingException');
const fenceRequest = (plan: Record<string, unknown> = {}) =>
  ({ op: 'fence', cluster: 'prod', execution: ME, expectedEpoch: 3, plan }) as const;

beforeEach(() => {
  logged.length = 0;
  metrics.length = 0;
  docMock.reset();
  ec2Mock.reset();
  asgMock.reset();
  docMock.onAnyCommand().rejects(new Error('unexpected command'));
  ec2Mock.onAnyCommand().rejects(new Error('unexpected command'));
  asgMock.onAnyCommand().rejects(new Error('unexpected command'));
});

describe('fence', () => {
  it('takes the next epoch, reads the gate consistently, records the election, counts and logs it', async () => {
    docMock.on(UpdateCommand).resolves({});
    docMock.on(GetCommand).resolves({});
    await expect(fence(fenceRequest(), ctx())).resolves.toEqual({ epoch: 4 });
    expect(docMock).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE,
      Key: gateKey('prod', FAILOVER_GATE),
      ConsistentRead: true,
    });
    expect(docMock).toHaveReceivedCommandTimes(UpdateCommand, 2);
    expect(metrics).toEqual([{ name: 'PrimaryFenced', unit: 'Count', value: 1 }]);
    expect(logged).toEqual([{ message: 'fenced', data: { epoch: 4 } }]);
  });

  it('counts an unbudgeted election against nothing, and records a demotion not at all', async () => {
    docMock.on(UpdateCommand).resolves({});
    docMock.on(GetCommand).resolves({ Item: { day: '2026-03-10', count: 2, lastElectionAt: NOW - 1 } });
    await fence(fenceRequest({ budgeted: false }), ctx());
    const gateWrite = docMock.commandCalls(UpdateCommand)[1]?.args[0].input;
    expect(gateWrite?.ExpressionAttributeValues).toMatchObject({ ':count': 2, ':at': NOW, ':me': ME });
    docMock.resetHistory();
    await fence(fenceRequest({ action: 'demote' }), ctx());
    expect(docMock).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });

  it('calls a failed condition a stale epoch, naming it', async () => {
    docMock.on(UpdateCommand).rejects(conditionFailed());
    await expect(fence(fenceRequest(), ctx())).rejects.toMatchObject({
      name: 'StaleEpoch',
      message: 'epoch 3 is stale: another election or bootstrap claim fenced first',
    });
  });

  it('lets any other error through (the workflow retries it)', async () => {
    docMock.on(UpdateCommand).rejects(throttled);
    await expect(fence(fenceRequest(), ctx())).rejects.toBe(throttled);
    docMock.on(UpdateCommand).resolvesOnce({}).rejects(throttled);
    docMock.on(GetCommand).resolves({});
    await expect(fence(fenceRequest(), ctx())).rejects.toBe(throttled);
  });
});

describe('assert, commit, escalate', () => {
  const held = { epoch: 4, owner: ME, phase: 'fenced', candidate: NEW };
  const request = { op: 'assert', cluster: 'prod', execution: ME, epoch: 4 } as const;

  it('names the epoch and phase it found when the epoch is not this execution’s', async () => {
    docMock.on(GetCommand).resolves({ Item: { ...held, epoch: 5, phase: 'committed' } });
    await expect(assert(request, ctx())).rejects.toMatchObject({
      name: 'StaleEpoch',
      message: 'epoch 4 no longer belongs to this execution (now 5, committed)',
    });
    docMock.on(GetCommand).resolves({});
    await expect(assert(request, ctx())).rejects.toMatchObject({
      message: 'epoch 4 no longer belongs to this execution (now 0, none)',
    });
  });

  it('records a new candidate only, and only when one is named', async () => {
    docMock.on(GetCommand).resolves({ Item: held });
    docMock.on(UpdateCommand).resolves({});
    await expect(assert(request, ctx())).resolves.toEqual({ epoch: 4, held: true });
    await expect(assert({ ...request, candidate: NEW }, ctx())).resolves.toEqual({ epoch: 4, held: true });
    expect(docMock).toHaveReceivedCommandTimes(UpdateCommand, 0);
    await assert({ ...request, candidate: OLD }, ctx());
    expect(docMock).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });

  it('calls a failed conditional write stale, and lets other errors through', async () => {
    docMock.on(UpdateCommand).rejects(conditionFailed());
    const stale = { name: 'StaleEpoch', message: 'epoch 4 no longer belongs to this execution' };
    await expect(
      commit({ op: 'commit', cluster: 'prod', execution: ME, epoch: 4 }, ctx()),
    ).rejects.toMatchObject(stale);
    await expect(
      escalate({ op: 'escalate', cluster: 'prod', execution: ME, epoch: 4 }, ctx()),
    ).rejects.toMatchObject(stale);
    docMock.on(UpdateCommand).rejects(throttled);
    await expect(commit({ op: 'commit', cluster: 'prod', execution: ME, epoch: 4 }, ctx())).rejects.toBe(
      throttled,
    );
  });
});

describe('claim', () => {
  const request = (role: 'primary' | 'member' = 'primary') =>
    ({ op: 'claim', cluster: 'prod', execution: BOOT, instanceId: NEW, role }) as const;
  const noPeers = () => asgMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });

  it('claims the next epoch and logs it', async () => {
    docMock.on(GetCommand).resolves({ Item: { epoch: 6, phase: 'committed' } });
    docMock.on(UpdateCommand).resolves({});
    noPeers();
    await expect(claim(request(), ctx())).resolves.toEqual({
      role: 'primary',
      reason: 'no other live primary',
      askAgain: false,
      epoch: 7,
    });
    expect(logged).toEqual([{ message: 'primary claimed', data: { instanceId: NEW, epoch: 7 } }]);
  });

  it('does not ask EC2 about itself when it is the recorded primary', async () => {
    docMock.on(GetCommand).resolves({ Item: { epoch: 6, phase: 'claimed', primary: NEW } });
    docMock.on(UpdateCommand).resolves({});
    await expect(claim(request(), ctx())).resolves.toMatchObject({ role: 'primary', epoch: 7 });
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstancesCommand, 0);
  });

  it('looks for a live peer only for a legacy primary-group launch with nothing recorded', async () => {
    docMock.on(GetCommand).resolves({ Item: { epoch: 6, phase: 'committed' } });
    await expect(claim(request('member'), ctx())).resolves.toEqual({
      role: 'member',
      reason: 'role of its group',
      askAgain: false,
    });
    await expect(claim(request(), ctx({ mode: 'cloud-native' }))).resolves.toMatchObject({ role: 'primary' });
    docMock.on(GetCommand).resolves({ Item: { epoch: 6, phase: 'committed', primary: OLD } });
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    docMock.on(UpdateCommand).resolves({});
    await expect(claim(request(), ctx())).resolves.toMatchObject({ role: 'primary', epoch: 7 });
    expect(asgMock).toHaveReceivedCommandTimes(DescribeAutoScalingGroupsCommand, 0);
    expect(logged[0]).toEqual({ message: 'bootstrap role', data: { instanceId: NEW, role: 'member' } });
  });

  it('decides again when the state moves under it, three times at most', async () => {
    docMock.on(GetCommand).resolves({ Item: { epoch: 6, phase: 'committed' } });
    docMock.on(UpdateCommand).rejects(conditionFailed());
    noPeers();
    await expect(claim(request(), ctx())).rejects.toMatchObject({
      name: 'StaleEpoch',
      message: 'the cluster state kept changing while claiming the primary role',
    });
    expect(docMock).toHaveReceivedCommandTimes(UpdateCommand, 3);
  });

  it('lets any other error through at once', async () => {
    docMock.on(GetCommand).resolves({ Item: { epoch: 6, phase: 'committed' } });
    docMock.on(UpdateCommand).rejects(throttled);
    noPeers();
    await expect(claim(request(), ctx())).rejects.toBe(throttled);
    expect(docMock).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });
});
