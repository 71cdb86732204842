import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../../functions/certs/handler';
import { resetClients, setClientsForTest } from '../../../functions/shared/clients/base';
import { ENV } from '../../../functions/shared/env';
import { ConfigurationError, ValidationError } from '../../../functions/shared/errors';
import { pausedItem, pauseTablesEnv, stubPause } from './pause-mocks';

const TABLE = 'state';
const TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/art/0123456789abcdef';
const EXEC = 'arn:aws:states:eu-west-1:123456789012:execution:prod-cert-rotation:manual-1';
const FP = 'c'.repeat(64);
const ids = ['i-0000000000000000a', 'i-0000000000000000b', 'i-0000000000000000c', 'i-0000000000000000d'];
const [P, A, B, C] = ids as [string, string, string, string];
const ENVIRONMENT: Record<string, string> = {
  [ENV.clusterName]: 'prod',
  [ENV.clusterMode]: 'legacy-primary',
  [ENV.primaryAsgName]: 'prod-primary',
  [ENV.memberAsgName]: 'prod-member',
  [ENV.targetGroupArn]: TG,
  [ENV.stateTable]: TABLE,
  [ENV.minHealthyNodes]: '2',
  [ENV.automationEnabled]: 'false',
  [ENV.certificatePolicy]: JSON.stringify({
    maxUnavailable: 1,
    renewalFraction: 2 / 3,
    nearExpiryDays: 14,
    caGeneration: 1,
    perNodeSeconds: 570,
  }),
  AWS_REGION: 'eu-west-1',
};
const context = {
  awsRequestId: 'r',
  functionName: 'certs',
  getRemainingTimeInMillis: () => 60_000,
} as Context;

const asg = mockClient(AutoScalingClient);
const ec2 = mockClient(EC2Client);
const elb = mockClient(ElasticLoadBalancingV2Client);
const doc = mockClient(DynamoDBDocumentClient);
const mocks = [asg, ec2, elb, doc] as unknown as {
  reset(): void;
  restore(): void;
  onAnyCommand(): { rejects(e: Error): void };
}[];

const savedEnv = { ...process.env };
const cert = (ageDays: number) => ({
  serial: '0a',
  notBefore: new Date(Date.now() - ageDays * 86_400_000).toISOString(),
  notAfter: new Date(Date.now() + (90 - ageDays) * 86_400_000).toISOString(),
  fingerprint: FP,
  issuer: 1,
  trusted: [1],
});

function cluster() {
  asg.on(DescribeAutoScalingGroupsCommand).resolves({
    AutoScalingGroups: [
      { AutoScalingGroupName: 'prod-primary', Instances: [{ InstanceId: P, LifecycleState: 'InService' }] },
      {
        AutoScalingGroupName: 'prod-member',
        Instances: [A, B, C].map((InstanceId) => ({ InstanceId, LifecycleState: 'InService' })),
      },
    ] as never,
  });
  ec2.on(DescribeInstancesCommand, { InstanceIds: ids }).resolves({
    Reservations: [
      { Instances: ids.map((InstanceId, i) => ({ InstanceId, PrivateIpAddress: `10.0.0.${i + 1}` })) },
    ],
  });
  elb.on(DescribeTargetHealthCommand).resolves({
    TargetHealthDescriptions: ids.map((Id) => ({ Target: { Id }, TargetHealth: { State: 'healthy' } })),
  });
  doc.on(BatchGetCommand).resolves({
    Responses: {
      [TABLE]: [
        { pk: 'CLUSTER#prod', sk: `NODE#${P}`, cert: cert(70) },
        { pk: 'CLUSTER#prod', sk: `NODE#${A}`, cert: cert(70) },
        { pk: 'CLUSTER#prod', sk: `NODE#${B}`, cert: cert(5) },
        { pk: 'CLUSTER#prod', sk: `NODE#${C}` },
      ],
    },
  });
  doc.on(GetCommand).resolves({ Item: { pk: 'CLUSTER#prod', sk: 'PKI', active: 1, trusted: [1] } });
}

beforeEach(() => {
  for (const m of mocks) {
    m.reset();
    m.onAnyCommand().rejects(new Error('unexpected command'));
  }
  resetClients();
  setClientsForTest({
    autoScaling: new AutoScalingClient({ region: 'eu-west-1' }),
    ec2: new EC2Client({ region: 'eu-west-1' }),
    elbv2: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
    dynamoDoc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
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
  for (const m of mocks) m.restore();
  resetClients();
});

const plan = (input: unknown) => handler({ op: 'plan', input, execution: EXEC }, context);

describe('certs plan', () => {
  it('plans the due and missing certificates, the legacy primary last, each with a peer; writes nothing', async () => {
    cluster();
    const out = (await plan({ trigger: 'manual', reason: 'quarterly' })) as {
      plan: { order: string[]; batches: { instanceId: string; peer: string }[][] };
      paused: boolean;
      summary: string;
    };
    expect(out.plan.order).toEqual([A, C, P]);
    expect(out.plan.batches.map((b) => b.map((n) => n.instanceId))).toEqual([[A], [C], [P]]);
    expect(out.plan.batches.flat().map((n) => n.peer)).toEqual([B, B, B]);
    expect(out.paused).toBe(false);
    expect(out.summary).toMatch(/^3 node\(s\) in this order/);
    expect(doc).toHaveReceivedCommandTimes(UpdateCommand, 0);
    expect(doc).toHaveReceivedCommandWith(BatchGetCommand, {
      RequestItems: {
        [TABLE]: { Keys: ids.map((id) => ({ pk: 'CLUSTER#prod', sk: `NODE#${id}` })), ConsistentRead: true },
      },
    });
  });

  it('holds an automatic run while automation is paused, never a manual one', async () => {
    cluster();
    await expect(plan({ trigger: 'schedule', reason: 'census' })).resolves.toMatchObject({ paused: true });
    await expect(plan({ trigger: 'manual', reason: 'ops' })).resolves.toMatchObject({ paused: false });
  });

  it('holds an automatic run while an operator paused automation (the PAUSE item), never a manual one', async () => {
    cluster();
    process.env[ENV.automationEnabled] = 'true';
    Object.assign(process.env, pauseTablesEnv('eu-west-1'));
    stubPause(doc, ['eu-west-1'], pausedItem(), 'prod');
    await expect(plan({ trigger: 'alarm', reason: 'expiry' })).resolves.toMatchObject({ paused: true });
    await expect(plan({ trigger: 'manual', reason: 'ops' })).resolves.toMatchObject({ paused: false });
    await expect(plan({ trigger: 'bootstrap', reason: 'new node' })).resolves.toMatchObject({
      paused: false,
    });
    // Only the automatic run read the pause.
    expect(
      doc.commandCalls(GetCommand).filter((c) => c.args[0].input.TableName === 'routing-eu-west-1'),
    ).toHaveLength(1);
    stubPause(doc, ['eu-west-1'], undefined, 'prod');
    await expect(plan({ trigger: 'schedule', reason: 'census' })).resolves.toMatchObject({ paused: false });
  });

  it('refuses unknown nodes and nodes outside the cluster by name, changing nothing', async () => {
    cluster();
    const stranger = 'i-0ffffffffffffffff';
    const ghost = 'i-0eeeeeeeeeeeeeeee';
    ec2.on(DescribeInstancesCommand, { InstanceIds: [stranger] }).resolves({
      Reservations: [{ Instances: [{ InstanceId: stranger }] }],
    });
    ec2
      .on(DescribeInstancesCommand, { InstanceIds: [ghost] })
      .rejects(Object.assign(new Error('nope'), { name: 'InvalidInstanceID.NotFound' }));
    await expect(plan({ trigger: 'manual', reason: 'x', nodes: [A, stranger, ghost] })).rejects.toThrow(
      `nodes: unknown instances: ${ghost}; not in the cluster's groups: ${stranger}`,
    );
    expect(doc).toHaveReceivedCommandTimes(UpdateCommand, 0);
  });

  it.each([
    ['an empty nodes list', { trigger: 'manual', reason: 'x', nodes: [] }],
    ['a malformed instance id', { trigger: 'manual', reason: 'x', nodes: ['node-1'] }],
    ['an unknown trigger', { trigger: 'cron', reason: 'x' }],
    ['no reason', { trigger: 'manual', reason: '  ' }],
    ['an unknown field', { trigger: 'manual', reason: 'x', force: true }],
  ])('rejects %s before reading anything', async (_what, input) => {
    await expect(plan(input)).rejects.toBeInstanceOf(ValidationError);
    expect(asg).toHaveReceivedCommandTimes(DescribeAutoScalingGroupsCommand, 0);
  });

  it('fails fast on a missing or malformed certificate policy', async () => {
    process.env[ENV.certificatePolicy] = '{"maxUnavailable":0}';
    await expect(plan({ trigger: 'manual', reason: 'x' })).rejects.toBeInstanceOf(ConfigurationError);
  });
});

describe('certs floor, verify, record', () => {
  it('refuses to take a node out when the healthy others would go under the floor', async () => {
    elb.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: A }, TargetHealth: { State: 'healthy' } },
        { Target: { Id: B }, TargetHealth: { State: 'healthy' } },
        { Target: { Id: C }, TargetHealth: { State: 'draining' } },
      ],
    });
    await expect(handler({ op: 'floor', instanceId: P }, context)).resolves.toEqual({
      healthyOthers: 2,
      serving: false,
    });
    await expect(handler({ op: 'floor', instanceId: A }, context)).rejects.toMatchObject({
      name: 'FloorWouldBreak',
      message: `taking ${A} out would leave 1 healthy target(s), under cluster.minHealthyNodes = 2`,
    });
  });

  it('lets a node that is not a healthy target out even under the floor: it serves no one', async () => {
    elb.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: A }, TargetHealth: { State: 'healthy' } },
        { Target: { Id: B }, TargetHealth: { State: 'unhealthy' } },
      ],
    });
    await expect(handler({ op: 'floor', instanceId: B }, context)).resolves.toEqual({
      healthyOthers: 1,
      serving: false,
    });
    await expect(handler({ op: 'floor', instanceId: A }, context)).rejects.toMatchObject({
      name: 'FloorWouldBreak',
    });
  });

  const probe = (fp8443: string, verified = true) =>
    `some log line\n${JSON.stringify({
      target: '10.0.0.2',
      ports: [
        { port: 8082, fingerprint: FP, verified: true, notAfter: null, error: null },
        { port: 8443, fingerprint: fp8443, verified, notAfter: null, error: null },
      ],
    })}\n`;
  it('verifies both ports serve the issued fingerprint, and names what differs', async () => {
    const req = { op: 'verify', instanceId: A, ip: '10.0.0.2', expected: FP };
    await expect(handler({ ...req, stdout: probe(FP) }, context)).resolves.toEqual({
      verified: true,
      fingerprint: FP,
    });
    await expect(handler({ ...req, stdout: probe('d'.repeat(64)) }, context)).rejects.toMatchObject({
      name: 'ServedCertificateMismatch',
      message: expect.stringContaining(`8443: serves ${'d'.repeat(64)}`),
    });
    await expect(handler({ ...req, stdout: probe(FP, false) }, context)).rejects.toMatchObject({
      name: 'ServedCertificateMismatch',
      message: expect.stringContaining('not verified with the cluster CA'),
    });
    await expect(handler({ ...req, stdout: 'garbage' }, context)).rejects.toMatchObject({
      name: 'ServedCertificateMismatch',
    });
  });

  it("records the node's cert, and refuses a malformed one", async () => {
    doc.on(UpdateCommand).resolves({});
    const issued = cert(0);
    await expect(
      handler({ op: 'record', instanceId: A, execution: EXEC, issued }, context),
    ).resolves.toMatchObject({
      recorded: A,
    });
    expect(doc).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TABLE,
      Key: { pk: 'CLUSTER#prod', sk: `NODE#${A}` },
      UpdateExpression: 'SET #cert = :cert',
    });
    const written = doc.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues?.[':cert'];
    expect(written).toMatchObject({ ...issued, execution: EXEC });
    await expect(
      handler(
        { op: 'record', instanceId: A, execution: EXEC, issued: { ...issued, fingerprint: 'XY' } },
        context,
      ),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(doc).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });
});

describe('certs census and served', () => {
  const input = { trigger: 'schedule', reason: 'daily census' };
  it('census: one serving peer and the InService nodes to probe; a bad input is refused before any read', async () => {
    cluster();
    await expect(handler({ op: 'census', input, execution: EXEC }, context)).resolves.toEqual({
      peer: P,
      batches: [{ targets: '10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4' }],
      skipped: null,
    });
    await expect(
      handler({ op: 'census', input: { trigger: 'nightly', reason: 'x' }, execution: EXEC }, context),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(asg).toHaveReceivedCommandTimes(DescribeAutoScalingGroupsCommand, 1);
  });

  it('census: a run that names its nodes probes nothing (they renew whatever they serve)', async () => {
    cluster();
    await expect(
      handler({ op: 'census', input: { ...input, trigger: 'manual', nodes: [B] }, execution: EXEC }, context),
    ).resolves.toEqual({
      peer: null,
      batches: [],
      skipped: 'the run names its nodes: each renews whatever it serves',
    });
  });

  it('served reads a batch; a line for a target not asked is refused (ProbeOutputInvalid)', async () => {
    const line = JSON.stringify({
      target: '10.0.0.2',
      ports: [
        { port: 8082, fingerprint: FP, verified: true, notAfter: '2026-04-01T00:00:00Z', error: null },
        { port: 8443, fingerprint: FP, verified: true, notAfter: '2026-04-01T00:00:00Z', error: null },
      ],
    });
    await expect(
      handler({ op: 'served', targets: '10.0.0.2', stdout: `${line}\n` }, context),
    ).resolves.toEqual({
      seen: [{ ip: '10.0.0.2', fingerprints: [FP], notAfter: '2026-04-01T00:00:00Z', error: null }],
    });
    await expect(handler({ op: 'served', targets: '10.0.0.3', stdout: line }, context)).rejects.toMatchObject(
      { name: 'ProbeOutputInvalid' },
    );
  });

  it('plan with the census renews the node whose served certificate differs from its record', async () => {
    cluster();
    const seen = (ip: string, fp: string) => ({ ip, fingerprints: [fp], notAfter: null, error: null });
    const census = {
      peer: P,
      batches: [],
      skipped: null,
      seen: [{ seen: [seen('10.0.0.1', FP), seen('10.0.0.2', FP), seen('10.0.0.3', 'e'.repeat(64))] }],
    };
    const out = (await handler({ op: 'plan', input, execution: EXEC, census }, context)) as {
      plan: { order: string[]; batches: { reason: string }[][] };
    };
    expect(out.plan.order).toContain(B);
    expect(
      out.plan.batches.flat().find((n) => (n as { instanceId?: string }).instanceId === B),
    ).toMatchObject({
      reason: 'mismatch',
    });
    const failed = (await handler(
      { op: 'plan', input, execution: EXEC, census: { peer: P, error: { Error: 'CensusProbeFailed' } } },
      context,
    )) as { summary: string; plan: { order: string[] } };
    expect(failed.summary).toContain(
      'the census probe failed (CensusProbeFailed): planned from the records only',
    );
    expect(failed.plan.order).not.toContain(B);
  });
});
