/**
 * The normal report path's escalation does not depend on one call (issue 15): the outcome's metric is counted
 * first, then the audit write and the publish are each attempted; only when neither gets through does the
 * Lambda throw. A run that kept its promise is marked (`REPORTED#`), so its failed end is not notified twice.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { noticeKey, reportedKey } from '../../../functions/core/keys';
import { handler } from '../../../functions/report/handler';
import { resetClients, setClientsForTest } from '../../../functions/shared/clients/base';
import { ENV } from '../../../functions/shared/env';

const TABLE = 'artifactory-ha-state';
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:artifactory-ha-ops';
const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:primary-failover:run-7';
const escalated = {
  cluster: 'artifactory-prod',
  region: 'eu-west-1',
  workflow: 'primary-failover',
  execution: EXECUTION,
  outcome: 'escalated',
  subject: 'artifactory-prod',
  summary: 'No candidate could be promoted.',
};
const quiet = { ...escalated, outcome: 'succeeded', summary: 'Recovered.' };
const context = {
  functionName: 'report',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

const sns = mockClient(SNSClient);
const doc = mockClient(DynamoDBDocumentClient);
const saved = { ...process.env };
let lines: string[];
const counted = (metric: string) => lines.filter((l) => l.includes('"_aws"') && l.includes(`"${metric}":1`));
const marks = () =>
  doc
    .commandCalls(UpdateCommand)
    .map((c) => c.args[0].input)
    .filter((u) => u.Key?.sk === reportedKey('artifactory-prod', EXECUTION).sk);
const down = (what: string) => Object.assign(new Error(`${what} is down`), { name: 'InternalServerError' });

beforeEach(() => {
  sns.reset();
  doc.reset();
  sns.onAnyCommand().rejects(new Error('unexpected command'));
  doc.onAnyCommand().rejects(new Error('unexpected command'));
  doc.on(PutCommand).resolves({});
  doc.on(UpdateCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  resetClients();
  setClientsForTest({
    sns: new SNSClient({ region: 'eu-west-1' }),
    dynamoDoc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  });
  Object.assign(process.env, { [ENV.stateTable]: TABLE, [ENV.topicArn]: TOPIC });
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
  for (const m of [sns, doc]) m.restore();
  resetClients();
});

describe('report: escalation that does not depend on one call', () => {
  it('audits, notifies, counts and marks the run as reported', async () => {
    await expect(handler(escalated, context)).resolves.toMatchObject({ notified: true });
    expect(doc).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(counted('PrimaryFailoverEscalated')).toHaveLength(1);
    expect(marks()).toEqual([
      expect.objectContaining({
        TableName: TABLE,
        UpdateExpression: 'SET reportedAt = :now, workflow = :workflow, outcome = :outcome, #ttl = :ttl',
      }),
    ]);
  });

  it('a failed audit still notifies and counts (and the run is marked: the operator was told)', async () => {
    doc.on(PutCommand).rejects(down('DynamoDB'));

    await expect(handler(escalated, context)).resolves.toMatchObject({ audited: undefined, notified: true });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(counted('PrimaryFailoverEscalated')).toHaveLength(1);
    expect(marks()).toHaveLength(1);
  });

  it('a failed publish still audits and counts, and leaves the run unmarked (its failed end is notified)', async () => {
    sns.on(PublishCommand).rejects(down('SNS'));

    const out = await handler(escalated, context);
    expect(out).toMatchObject({ notified: false, audited: expect.stringMatching(/^AUDIT#/) });
    expect(doc).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(counted('PrimaryFailoverEscalated')).toHaveLength(1);
    expect(marks()).toHaveLength(0);
    expect(lines.join('\n')).toContain('workflow outcome partly delivered');
  });

  it('throws only when both fail, and the metric is counted all the same', async () => {
    doc.on(PutCommand).rejects(down('DynamoDB'));
    sns.on(PublishCommand).rejects(down('SNS'));

    const err: unknown = await handler(escalated, context).catch((e: unknown) => e);
    expect((err as Error).name).toBe('ReportUndelivered');
    expect((err as Error).message).toBe(
      'primary-failover escalated: audit write failed (InternalServerError) and publish failed (InternalServerError)',
    );
    expect(counted('PrimaryFailoverEscalated')).toHaveLength(1);
    expect(marks()).toHaveLength(0);
  });

  it('throws a TransientError (the Report task retries it) when a service failed transiently', async () => {
    const throttled = () =>
      Object.assign(new Error('slow down'), {
        name: 'ThrottlingException',
        $fault: 'client',
        $retryable: { throttling: true },
      });
    doc.on(PutCommand).rejects(throttled());
    sns.on(PublishCommand).rejects(down('SNS'));

    const err: unknown = await handler(escalated, context).catch((e: unknown) => e);
    expect((err as Error).name).toBe('TransientError');
    expect((err as Error).message).toMatch(
      /^ReportUndelivered: primary-failover escalated: audit write failed/,
    );
  });

  it('a quiet outcome whose audit fails reached no one: it throws (the Report step retries)', async () => {
    doc.on(PutCommand).rejects(down('DynamoDB'));

    const err: unknown = await handler(quiet, context).catch((e: unknown) => e);
    expect((err as Error).name).toBe('ReportUndelivered');
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
    expect(counted('PrimaryFailoverSucceeded')).toHaveLength(1);
  });

  it('a quiet outcome audited is marked without a notification', async () => {
    await expect(handler(quiet, context)).resolves.toMatchObject({ notified: false });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
    expect(marks()).toHaveLength(1);
  });

  it('a paused incident whose notice record cannot be read is notified rather than lost', async () => {
    doc.on(UpdateCommand, { Key: noticeKey('artifactory-prod', 'no-primary') }).rejects(down('DynamoDB'));

    await expect(
      handler({ ...escalated, outcome: 'refused', summary: 'Paused.', incident: 'no-primary' }, context),
    ).resolves.toMatchObject({ notified: true });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(lines.join('\n')).toContain('paused incident claim failed: notifying');
  });

  it('a marker that cannot be written is no failure (at worst a second notification of a failed end)', async () => {
    doc.on(UpdateCommand).rejects(down('DynamoDB'));

    await expect(handler(escalated, context)).resolves.toMatchObject({ notified: true });
    expect(lines.join('\n')).toContain('report marker not written');
  });
});
