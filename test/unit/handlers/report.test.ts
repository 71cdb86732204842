import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { noticeKey } from '../../../functions/core/keys';
import { type Outcome, renderOutcome, type WorkflowOutcome } from '../../../functions/core/report';
import { handler } from '../../../functions/report/handler';
import { resetClients, setClientsForTest } from '../../../functions/shared/clients/base';
import { ENV } from '../../../functions/shared/env';
import { ValidationError } from '../../../functions/shared/errors';

const TABLE = 'artifactory-ha-state';
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:artifactory-ha-ops';
const EXECUTION =
  'arn:aws:states:eu-west-1:111122223333:execution:primary-failover:primary-failover-alarm-eu-west-1-1773144000';
const NOW = Date.UTC(2026, 2, 10, 12);

const base: WorkflowOutcome = {
  cluster: 'artifactory-prod',
  region: 'eu-west-1',
  workflow: 'primary-failover',
  execution: EXECUTION,
  outcome: 'succeeded',
  subject: 'artifactory-prod',
  summary: 'Recovered (alarm trigger, epoch 4).',
};

const context: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'report',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:report',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/report',
  logStreamName: '2026/01/01/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

describe('renderOutcome: primary-failover outcomes', () => {
  it.each<[Outcome, boolean, string]>([
    ['false-alarm', false, 'PrimaryFailoverFalseAlarm'],
    ['dry-run', false, 'PrimaryFailoverDryRun'],
    ['superseded', false, 'PrimaryFailoverSuperseded'],
    ['handover-started', false, 'PrimaryFailoverHandoverStarted'],
    ['refused', true, 'PrimaryFailoverRefused'],
    // The escalation alarm watches this metric name (infra/primary-failover.ts ESCALATION_METRIC).
    ['escalated', true, 'PrimaryFailoverEscalated'],
    ['succeeded', false, 'PrimaryFailoverSucceeded'],
    ['failed', true, 'PrimaryFailoverFailed'],
  ])('%s: notify %s by default, metric %s', (outcome, notify, metric) => {
    const out = renderOutcome({ ...base, outcome }, NOW);
    expect(out.notify).toBe(notify);
    expect(out.metric).toBe(metric);
    expect(out.audit).toMatchObject({ outcome, workflow: 'primary-failover', execution: EXECUTION });
    expect(out.subject).toBe(`[artifactory-prod/eu-west-1] primary-failover ${outcome}: artifactory-prod`);
  });

  it('lets the workflow override whether the operator hears about it, both ways', () => {
    // A split brain resolved is a success the operator must know about; a refused run can be audit-only.
    expect(renderOutcome({ ...base, outcome: 'succeeded', notify: true }, NOW).notify).toBe(true);
    expect(renderOutcome({ ...base, outcome: 'false-alarm', notify: true }, NOW).notify).toBe(true);
    expect(renderOutcome({ ...base, outcome: 'refused', notify: false }, NOW).notify).toBe(false);
    expect(renderOutcome({ ...base, outcome: 'escalated', notify: undefined }, NOW).notify).toBe(true);
  });
});

describe('report handler', () => {
  const sns = mockClient(SNSClient);
  const doc = mockClient(DynamoDBDocumentClient);
  const ddb = mockClient(DynamoDBClient);
  const mocks = [sns, doc, ddb] as unknown as {
    reset(): void;
    restore(): void;
    calls(): unknown[];
    onAnyCommand(): { rejects(e: Error): void };
  }[];
  const savedEnv = { ...process.env };
  let lines: string[];

  beforeEach(() => {
    for (const m of mocks) {
      m.reset();
      m.onAnyCommand().rejects(new Error('unexpected command'));
    }
    doc.on(PutCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    resetClients();
    setClientsForTest({
      sns: new SNSClient({ region: 'eu-west-1' }),
      dynamoDB: new DynamoDBClient({ region: 'eu-west-1' }),
      dynamoDoc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
    });
    Object.assign(process.env, { [ENV.stateTable]: TABLE, [ENV.topicArn]: TOPIC });
    lines = [];
    const record = (chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    };
    jest.spyOn(process.stdout, 'write').mockImplementation(record as typeof process.stdout.write);
    jest.spyOn(process.stderr, 'write').mockImplementation(record as typeof process.stderr.write);
  });

  afterEach(() => {
    jest.restoreAllMocks();
    process.env = { ...savedEnv };
  });

  afterAll(() => {
    for (const m of mocks) m.restore();
    resetClients();
  });

  it('audits a false alarm without waking anyone', async () => {
    const out = await handler(
      {
        ...base,
        outcome: 'false-alarm',
        summary: 'False alarm (alarm trigger): the primary is ready and healthy.',
      },
      context,
    );

    expect(out).toMatchObject({ notified: false });
    expect(doc).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(doc.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      TableName: TABLE,
      Item: { outcome: 'false-alarm', workflow: 'primary-failover' },
    });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
    expect(lines.join('')).toContain('"PrimaryFailoverFalseAlarm"');
  });

  it('notifies an escalation, and a quiet outcome when the workflow asks to', async () => {
    await handler({ ...base, outcome: 'escalated', summary: 'No candidate could be promoted.' }, context);
    await handler({ ...base, outcome: 'succeeded', summary: 'Split brain resolved.', notify: true }, context);

    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject)).toEqual([
      '[artifactory-prod/eu-west-1] primary-failover escalated: artifactory-prod',
      '[artifactory-prod/eu-west-1] primary-failover succeeded: artifactory-prod',
    ]);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC });
  });

  it('keeps a refused run audit-only when the workflow says so', async () => {
    await expect(
      handler({ ...base, outcome: 'refused', summary: 'Refused.', notify: false }, context),
    ).resolves.toMatchObject({
      notified: false,
    });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  describe('a run held by the pause (incident set)', () => {
    const held = {
      ...base,
      outcome: 'refused' as const,
      summary: 'Automation is paused.',
      incident: 'no-primary',
    };
    const conditionFailed = () =>
      new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    // The notice record's updates (the run's REPORTED# mark is another item: see report-escalation.test.ts).
    const updates = () =>
      doc
        .commandCalls(UpdateCommand)
        .map((c) => c.args[0].input)
        .filter((u) => String(u.Key?.sk).startsWith('NOTICE#'));

    it('notifies the sighting that opens the incident, and audits it as notified', async () => {
      doc.on(UpdateCommand).resolves({});

      await expect(handler(held, context)).resolves.toMatchObject({ notified: true });

      expect(updates()).toEqual([
        expect.objectContaining({
          TableName: TABLE,
          Key: noticeKey('artifactory-prod', 'no-primary'),
          ConditionExpression: 'attribute_not_exists(lastSeenAt) OR lastSeenAt < :quietSince',
        }),
      ]);
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
      expect(doc.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
        outcome: 'refused',
        incident: 'no-primary',
        notified: true,
      });
    });

    it('audits and counts a repeat of the incident without notifying', async () => {
      doc.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});

      await expect(handler(held, context)).resolves.toMatchObject({ notified: false });

      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
      expect(updates()[1]?.UpdateExpression).toBe('SET lastSeenAt = :now, #ttl = :ttl ADD repeats :one');
      expect(doc.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({ notified: false });
      expect(lines.join('')).toContain('"PausedIncidentRepeat"');
      expect(lines.join('')).toContain('"PrimaryFailoverRefused"');
    });

    it('gives the claim back when the notification fails (the audit stands), so the next sighting notifies', async () => {
      doc.on(UpdateCommand).resolves({});
      const down = Object.assign(new Error('SNS is down'), { name: 'InternalErrorException' });
      sns.on(PublishCommand).rejects(down);

      await expect(handler(held, context)).resolves.toMatchObject({ notified: false });
      expect(doc).toHaveReceivedCommandTimes(PutCommand, 1);
      expect(updates().map((u) => u.UpdateExpression)).toEqual([
        expect.stringMatching(/^SET lastSeenAt = :now/),
        'REMOVE #last, #notified',
      ]);
    });

    it('records nothing for an outcome that is not notified anyway', async () => {
      doc.on(UpdateCommand).resolves({});
      await expect(handler({ ...held, notify: false }, context)).resolves.toMatchObject({ notified: false });
      expect(updates()).toEqual([]);
    });
  });

  it.each([
    ['an unknown outcome', { outcome: 'promoted' }, 'outcome'],
    ['a non-boolean notify', { notify: 'yes' }, 'notify'],
    ['an unknown incident', { incident: 'meteor' }, 'incident'],
  ])('refuses %s, touching nothing', async (_what, change, path) => {
    const err: unknown = await handler({ ...base, ...change }, context).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual([path]);
    expect(mocks.reduce((n, m) => n + m.calls().length, 0)).toBe(0);
  });
});
