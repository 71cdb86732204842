/**
 * The report Lambda's run-status path (issue 15): AWS's status event of a run that ended FAILED, TIMED_OUT or
 * ABORTED. Roots are counted once and, when they did not report themselves, audited and notified (each on its
 * own); children are audited only; duplicates change nothing.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { reportedKey } from '../../../functions/core/keys';
import { handler } from '../../../functions/report/handler';
import { resetClients, setClientsForTest } from '../../../functions/shared/clients/base';
import { ENV } from '../../../functions/shared/env';
import { ConfigurationError, ValidationError } from '../../../functions/shared/errors';

const TABLE = 'artifactory-ha-state';
const TOPIC = 'arn:aws:sns:us-east-1:012345678912:artifactory-ha-ops';
const SM = 'arn:aws:states:us-east-1:012345678912:stateMachine:state-machine';
const CHILD_SM = 'arn:aws:states:us-east-1:012345678912:stateMachine:state-machine-child';
const fixture = (): Record<string, unknown> & { detail: Record<string, unknown> } =>
  JSON.parse(
    readFileSync(
      path.resolve(__dirname, '../../fixtures/events/operations/stepfunctions-execution-timed-out.json'),
      'utf8',
    ),
  );
const EXECUTION = fixture().detail.executionArn as string;
const withDetail = (change: Record<string, unknown>) => {
  const e = fixture();
  return { ...e, detail: { ...e.detail, ...change } };
};
const BOUNDS = [
  { workflow: 'primary-failover', arn: SM, root: true, boundSeconds: 900 },
  { workflow: 'node-command', arn: CHILD_SM, root: false, boundSeconds: 600 },
];

const context = {
  functionName: 'report',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:012345678912:function:report',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

const sns = mockClient(SNSClient);
const doc = mockClient(DynamoDBDocumentClient);
const mocks = [sns, doc];
const saved = { ...process.env };
let lines: string[];
const emf = () =>
  lines
    .filter((l) => l.includes('"_aws"'))
    .map(
      (l) =>
        JSON.parse(l) as Record<string, unknown> & {
          _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] };
        },
    );
const runsEnded = () => emf().filter((l) => 'RunsEnded' in l);
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const down = (name: string) => Object.assign(new Error(`${name} is down`), { name: 'InternalServerError' });

beforeEach(() => {
  sns.reset();
  doc.reset();
  sns.onAnyCommand().rejects(new Error('unexpected command'));
  doc.onAnyCommand().rejects(new Error('unexpected command'));
  doc.on(PutCommand).resolves({});
  doc.on(UpdateCommand).resolves({ Attributes: { endedStatus: 'TIMED_OUT' } });
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  resetClients();
  setClientsForTest({
    sns: new SNSClient({ region: 'us-east-1' }),
    dynamoDoc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  });
  Object.assign(process.env, {
    [ENV.stateTable]: TABLE,
    [ENV.topicArn]: TOPIC,
    [ENV.clusterName]: 'artifactory-prod',
    [ENV.awsRegion]: 'us-east-1',
    [ENV.runBounds]: JSON.stringify(BOUNDS),
  });
  lines = [];
  const record = (chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  };
  jest.spyOn(process.stdout, 'write').mockImplementation(record as typeof process.stdout.write);
  jest.spyOn(process.stderr, 'write').mockImplementation(record as typeof process.stderr.write);
});

afterEach(() => {
  jest.restoreAllMocks();
  process.env = { ...saved };
});

afterAll(() => {
  for (const m of mocks) m.restore();
  resetClients();
});

describe('a root run that ended without reporting itself', () => {
  it('is counted (RunsEnded {Cluster, Region, Outcome}), audited and notified, once', async () => {
    await expect(handler(fixture(), context)).resolves.toMatchObject({
      run: 'root',
      workflow: 'primary-failover',
      counted: true,
      reportedItself: false,
      audited: true,
      notified: true,
    });

    const [claim] = doc.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(claim).toMatchObject({
      TableName: TABLE,
      Key: reportedKey('artifactory-prod', EXECUTION),
      ConditionExpression: 'attribute_not_exists(endedStatus)',
      ReturnValues: 'ALL_NEW',
    });
    expect(runsEnded()).toHaveLength(1);
    expect(runsEnded()[0]).toMatchObject({
      RunsEnded: 1,
      Cluster: 'artifactory-prod',
      Region: 'us-east-1',
      Outcome: 'TIMED_OUT',
    });
    expect(runsEnded()[0]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['Cluster', 'Region', 'Outcome']]);
    expect(doc.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      TableName: TABLE,
      ConditionExpression: 'attribute_not_exists(sk)',
      Item: {
        pk: 'CLUSTER#artifactory-prod',
        sk: 'AUDIT#2019-02-26T23:48:47.157Z#state-machine:execution-name#TIMED_OUT',
        trigger: 'run-status',
        workflow: 'primary-failover',
        status: 'TIMED_OUT',
        root: true,
        outcome: 'not-reported',
        notified: true,
      },
    });
    const publish = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(publish).toMatchObject({
      TopicArn: TOPIC,
      Subject: '[artifactory-prod/us-east-1] primary-failover run TIMED_OUT',
    });
    expect(publish?.Message).toContain('without reporting its outcome');
    expect(publish?.Message).toContain(`Execution: ${EXECUTION}`);
  });

  it('names the error and cause in the subject and the audit entry (redacted)', async () => {
    const secret = 'a'.repeat(48);
    await handler(
      withDetail({ status: 'FAILED', error: 'States.TaskFailed', cause: `token ${secret}` }),
      context,
    );

    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.Subject).toBe(
      '[artifactory-prod/us-east-1] primary-failover run FAILED: States.TaskFailed: token [redacted]',
    );
    expect(doc.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      error: 'States.TaskFailed: token [redacted]',
    });
    expect(lines.join('\n')).not.toContain(secret);
  });

  it('still notifies and counts when the audit write fails', async () => {
    doc.on(PutCommand).rejects(down('DynamoDB'));

    await expect(handler(fixture(), context)).resolves.toMatchObject({ audited: false, notified: true });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(runsEnded()).toHaveLength(1);
  });

  it('still audits and counts when the publish fails', async () => {
    sns.on(PublishCommand).rejects(down('SNS'));

    await expect(handler(fixture(), context)).resolves.toMatchObject({ audited: true, notified: false });
    expect(doc).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(runsEnded()).toHaveLength(1);
  });

  it('throws when both fail, after counting it and giving its claim back for the retry', async () => {
    doc.on(PutCommand).rejects(down('DynamoDB'));
    sns.on(PublishCommand).rejects(down('SNS'));

    const err: unknown = await handler(fixture(), context).catch((e: unknown) => e);
    expect((err as Error).name).toBe('RunEndUndelivered');
    expect(runsEnded()).toHaveLength(1);
    const [, release] = doc.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(release).toMatchObject({
      Key: reportedKey('artifactory-prod', EXECUTION),
      UpdateExpression: 'REMOVE endedStatus, endedAt',
      ConditionExpression: 'endedAt = :at',
    });
  });

  it('reports it anyway when its marker cannot be read (a duplicate at worst, never a loss)', async () => {
    doc.on(UpdateCommand).rejects(down('DynamoDB'));

    await expect(handler(fixture(), context)).resolves.toMatchObject({ counted: true, notified: true });
    expect(runsEnded()).toHaveLength(1);
  });

  it('treats a state machine missing from RUN_BOUNDS as a root, and says so', async () => {
    process.env[ENV.runBounds] = '[]';
    await expect(handler(fixture(), context)).resolves.toMatchObject({
      run: 'root',
      workflow: 'state-machine',
    });
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message).toContain('not in RUN_BOUNDS');
  });
});

describe('other status events', () => {
  it('counts a root run that reported itself, without a second notification or audit entry', async () => {
    doc.on(UpdateCommand).resolves({ Attributes: { reportedAt: 1551224927000, endedStatus: 'FAILED' } });

    await expect(handler(withDetail({ status: 'FAILED' }), context)).resolves.toMatchObject({
      counted: true,
      reportedItself: true,
    });
    expect(runsEnded()[0]).toMatchObject({ Outcome: 'FAILED' });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
    expect(doc).toHaveReceivedCommandTimes(PutCommand, 0);
  });

  it('changes nothing for a duplicate event (the claim is taken)', async () => {
    doc.on(UpdateCommand).rejects(conditionFailed());

    await expect(handler(fixture(), context)).resolves.toMatchObject({ duplicate: true });
    expect(runsEnded()).toHaveLength(0);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
    expect(doc).toHaveReceivedCommandTimes(PutCommand, 0);
  });

  it('audits a child run only: its parent reports it', async () => {
    const child = withDetail({
      stateMachineArn: CHILD_SM,
      executionArn: 'arn:aws:states:us-east-1:012345678912:execution:state-machine-child:c-1',
      name: 'c-1',
      status: 'ABORTED',
    });
    await expect(handler(child, context)).resolves.toMatchObject({ run: 'child', workflow: 'node-command' });

    expect(doc.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      root: false,
      outcome: 'child-ended',
      status: 'ABORTED',
    });
    expect(doc).toHaveReceivedCommandTimes(UpdateCommand, 0);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
    expect(runsEnded()).toHaveLength(0);
  });

  it.each(['RUNNING', 'SUCCEEDED'])('ignores a %s event, touching nothing', async (status) => {
    await expect(handler(withDetail({ status, stopDate: null }), context)).resolves.toMatchObject({
      run: 'ignored',
    });
    expect(doc.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });
});

describe('bad input changes nothing', () => {
  it.each([
    [
      'a malformed execution ARN',
      { executionArn: 'arn:aws:states:us-east-1:012345678912:nope' },
      'detail.executionArn',
    ],
    ['a start date that is no epoch', { startDate: '2019-02-26' }, 'detail.startDate'],
    ['a missing status', { status: undefined }, 'detail.status'],
  ])('refuses %s', async (_what, change, field) => {
    const err: unknown = await handler(withDetail(change), context).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toContain(field);
    expect(doc.calls().length + sns.calls().length).toBe(0);
  });

  it.each([
    ['unset', undefined, 'Missing required environment variable RUN_BOUNDS'],
    ['not JSON', '[{', 'RUN_BOUNDS is not JSON'],
    [
      'a bound without its ARN',
      '[{"workflow":"w","root":true,"boundSeconds":5}]',
      'RUN_BOUNDS is invalid at [0.arn]',
    ],
  ])('fails with a ConfigurationError when RUN_BOUNDS is %s', async (_what, value, message) => {
    if (value === undefined) delete process.env[ENV.runBounds];
    else process.env[ENV.runBounds] = value;
    const err: unknown = await handler(fixture(), context).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toContain(message);
    expect(doc.calls().length + sns.calls().length).toBe(0);
  });
});
