// Issue 13, item 5: dispatch starts cert-rotation on the certificate-expiry alarm and the daily census, under
// the gates (pause, cooldown, daily budget), with strict SDK mocks.
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { auditKey, gateKey } from '../../../functions/core/keys';
import { handler } from '../../../functions/dispatch/handler';
import { resetClients, setClientsForTest } from '../../../functions/shared/clients/base';
import { ENV } from '../../../functions/shared/env';
import { ConfigurationError } from '../../../functions/shared/errors';
import { loadEventFixture, mutate } from '../shared/fixtures';
import { pausedItem, pauseTablesEnv, stubPause } from './pause-mocks';

const CLUSTER = 'artifactory-prod';
const REGION = 'us-west-2';
const TABLE = 'artifactory-ha-state';
const CERT_ARN = `arn:aws:states:${REGION}:123456789012:stateMachine:${CLUSTER}-cert-rotation`;
const CERT_ALARM = `${CLUSTER}-${REGION}-certificate-expiry`;
const CENSUS_RULE = `arn:aws:events:${REGION}:123456789012:rule/${CLUSTER}-cert-census`;
// The alarm fixture's state change is at 2019-10-02T17:04:40Z.
const ALARM_NAME = 'cert-rotation-alarm-201910021704';
const NOW = Date.parse('2026-03-10T03:00:07Z');
const CENSUS_NAME = 'cert-rotation-schedule-202603100300';

const ENVIRONMENT: Record<string, string> = {
  [ENV.clusterName]: CLUSTER,
  [ENV.clusterMode]: 'legacy-primary',
  [ENV.primaryAsgName]: 'prod-primary',
  [ENV.memberAsgName]: 'prod-members',
  [ENV.bootstrapStateMachineArn]: `arn:aws:states:${REGION}:123456789012:stateMachine:node-bootstrap`,
  [ENV.drainStateMachineArn]: `arn:aws:states:${REGION}:123456789012:stateMachine:node-drain`,
  [ENV.failoverStateMachineArn]: `arn:aws:states:${REGION}:123456789012:stateMachine:primary-failover`,
  [ENV.certRotationStateMachineArn]: CERT_ARN,
  [ENV.certCooldownMinutes]: '60',
  [ENV.dailyBudget]: '2',
  [ENV.stateTable]: TABLE,
  [ENV.awsRegion]: REGION,
  ...pauseTablesEnv(REGION),
  [ENV.automationEnabled]: 'true',
  [ENV.topicArn]: `arn:aws:sns:${REGION}:123456789012:ops`,
};

const context = {
  functionName: 'dispatch',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

const certAlarm = (state = 'ALARM', name = CERT_ALARM, region = REGION) =>
  mutate(
    mutate(
      mutate(loadEventFixture('cloudwatch-metric-alarm-state-change.json'), ['region'], region),
      ['detail', 'alarmName'],
      name,
    ),
    ['detail', 'state', 'value'],
    state,
  );
const census = (resources = [CENSUS_RULE], region = REGION) =>
  mutate(
    mutate(
      mutate(loadEventFixture('eventbridge-scheduled-event.json'), ['region'], region),
      ['resources'],
      resources,
    ),
    ['time'],
    '2026-03-10T03:00:00Z',
  );

const sfn = mockClient(SFNClient);
const doc = mockClient(DynamoDBDocumentClient);
const ddb = mockClient(DynamoDBClient);
interface StrictMock {
  reset(): unknown;
  restore(): void;
  onAnyCommand(): { rejects(error: Error): unknown };
}
const allMocks: StrictMock[] = [sfn, doc, ddb];
const savedEnv = { ...process.env };
let writes: string[] = [];

beforeEach(() => {
  for (const m of allMocks) {
    m.reset();
    m.onAnyCommand().rejects(new Error('unexpected command'));
  }
  doc.on(PutCommand).resolves({});
  stubPause(doc, [REGION]);
  doc.on(GetCommand, { TableName: TABLE }).resolves({});
  doc.on(UpdateCommand).resolves({});
  resetClients();
  setClientsForTest({
    sfn: new SFNClient({ region: REGION }),
    dynamoDB: new DynamoDBClient({ region: REGION }),
    dynamoDoc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: REGION })),
  });
  Object.assign(process.env, ENVIRONMENT);
  jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  writes = [];
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk) => {
      writes.push(String(chunk));
      return true;
    });
  }
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

const startInputs = () => sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
const audits = () => doc.commandCalls(PutCommand).map((c) => c.args[0].input);

describe('dispatch: cert-rotation triggers', () => {
  it('the alarm going into ALARM records the gate, starts a run named after the state change, audits it', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${CERT_ARN}:x`, startDate: new Date(NOW) });
    await expect(handler(certAlarm(), context)).resolves.toEqual({
      outcome: 'started',
      executionName: ALARM_NAME,
    });
    expect(startInputs()).toEqual([
      {
        stateMachineArn: CERT_ARN,
        name: ALARM_NAME,
        input: expect.any(String),
      },
    ]);
    expect(JSON.parse(startInputs()[0]?.input ?? 'null')).toEqual({
      trigger: 'alarm',
      reason: expect.stringMatching(new RegExp(`^${CERT_ALARM} is in ALARM: Threshold Crossed`)),
    });
    const update = doc.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.Key).toEqual(gateKey(CLUSTER, 'cert-rotation'));
    expect(update?.ConditionExpression).toBe('attribute_not_exists(lastStartAt)');
    expect(update?.ExpressionAttributeValues).toMatchObject({ ':at': NOW, ':count': 1, ':me': ALARM_NAME });
    expect(audits()).toEqual([
      {
        TableName: TABLE,
        Item: expect.objectContaining({
          ...auditKey(CLUSTER, '2019-10-02T17:04:40Z', (certAlarm().id as string) ?? ''),
          trigger: 'alarm',
          workflow: 'cert-rotation',
          executionName: ALARM_NAME,
          outcome: 'started',
        }),
      },
    ]);
  });

  it('the daily census starts a schedule run under its own name', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${CERT_ARN}:y`, startDate: new Date(NOW) });
    await expect(handler(census(), context)).resolves.toEqual({
      outcome: 'started',
      executionName: CENSUS_NAME,
    });
    expect(JSON.parse(startInputs()[0]?.input ?? 'null')).toEqual({
      trigger: 'schedule',
      reason: `daily certificate census (${CLUSTER}-cert-census)`,
    });
  });

  it('a redelivered event passes the gate it recorded and answers duplicate (ExecutionAlreadyExists)', async () => {
    doc
      .on(GetCommand, { TableName: TABLE })
      .resolves({ Item: { lastStartAt: NOW - 1000, day: '2026-03-10', count: 1, execution: CENSUS_NAME } });
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    await expect(handler(census(), context)).resolves.toEqual({
      outcome: 'duplicate',
      executionName: CENSUS_NAME,
    });
    expect(doc).toHaveReceivedCommandTimes(UpdateCommand, 0);
    expect(audits()[0]?.ConditionExpression).toBe('attribute_not_exists(sk)');
    expect(audits()[0]?.Item).toMatchObject({ outcome: 'duplicate' });
  });

  it.each([
    [
      'cooldown',
      { lastStartAt: NOW - 59 * 60_000, day: '2026-03-10', count: 1, execution: 'cert-rotation-alarm-x' },
      'gated',
      'within the 60-minute cooldown',
    ],
    [
      'budget',
      { lastStartAt: NOW - 61 * 60_000, day: '2026-03-10', count: 2, execution: 'cert-rotation-alarm-x' },
      'gated',
      'reached the daily budget of 2',
    ],
  ])('is refused by the %s and starts nothing', async (rule, record, outcome, reason) => {
    doc.on(GetCommand, { TableName: TABLE }).resolves({ Item: record });
    await expect(handler(census(), context)).resolves.toEqual({ outcome, executionName: CENSUS_NAME });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
    expect(doc).toHaveReceivedCommandTimes(UpdateCommand, 0);
    expect(audits()[0]?.Item).toMatchObject({
      outcome: 'gated',
      rule,
      reason: expect.stringContaining(reason),
    });
    expect(writes.join('')).toContain('"DispatchGated"');
  });

  it('yesterday’s count does not hold today’s run', async () => {
    doc
      .on(GetCommand, { TableName: TABLE })
      .resolves({ Item: { lastStartAt: NOW - 20 * 3_600_000, day: '2026-03-09', count: 9 } });
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${CERT_ARN}:z`, startDate: new Date(NOW) });
    await expect(handler(census(), context)).resolves.toMatchObject({ outcome: 'started' });
    const update = doc.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.ConditionExpression).toBe('lastStartAt = :previous');
    expect(update?.ExpressionAttributeValues).toMatchObject({
      ':count': 1,
      ':previous': NOW - 20 * 3_600_000,
    });
  });

  it('is held while automation is paused: audited, counted, nothing started or recorded', async () => {
    process.env[ENV.automationEnabled] = 'false';
    await expect(handler(certAlarm(), context)).resolves.toEqual({
      outcome: 'paused',
      executionName: ALARM_NAME,
    });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
    expect(doc).toHaveReceivedCommandTimes(UpdateCommand, 0);
    expect(audits()[0]?.Item).toMatchObject({ outcome: 'gated', rule: 'paused' });
    expect(writes.join('')).toContain('"DispatchPaused"');
  });

  it.each([
    ['the census', () => census(), CENSUS_NAME],
    ['the expiry alarm', () => certAlarm(), ALARM_NAME],
  ])(
    '%s is held while an operator paused automation (the PAUSE item): nothing started or recorded',
    async (_, event, name) => {
      stubPause(doc, [REGION], pausedItem());
      await expect(handler(event(), context)).resolves.toEqual({ outcome: 'paused', executionName: name });
      expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
      expect(doc).toHaveReceivedCommandTimes(UpdateCommand, 0);
      expect(audits()[0]?.Item).toMatchObject({ outcome: 'gated', rule: 'paused' });
    },
  );

  it('two triggers at once: the one whose gate write loses is refused by the cooldown', async () => {
    doc
      .on(GetCommand, { TableName: TABLE })
      .resolvesOnce({})
      .resolves({ Item: { lastStartAt: NOW, day: '2026-03-10', count: 1, execution: ALARM_NAME } });
    doc.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    await expect(handler(census(), context)).resolves.toEqual({
      outcome: 'gated',
      executionName: CENSUS_NAME,
    });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  it('the same event delivered twice at once: the loser finds its own name and answers duplicate', async () => {
    doc
      .on(GetCommand, { TableName: TABLE })
      .resolvesOnce({})
      .resolves({ Item: { lastStartAt: NOW, day: '2026-03-10', count: 1, execution: CENSUS_NAME } });
    doc.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: `${CERT_ARN}:y`, startDate: new Date(NOW - 5000) });
    await expect(handler(census(), context)).resolves.toEqual({
      outcome: 'duplicate',
      executionName: CENSUS_NAME,
    });
  });

  it.each([
    ['an OK state change', certAlarm('OK'), 'alarm'],
    ['another region', certAlarm('ALARM', CERT_ALARM, 'eu-west-1'), 'region'],
    [
      'a schedule that is not the census',
      census([`arn:aws:events:${REGION}:123456789012:rule/other`]),
      'schedule',
    ],
    ['a census of another region', census([CENSUS_RULE], 'eu-west-1'), 'region'],
  ])('refuses %s and changes nothing', async (_, event, reason) => {
    await expect(handler(event, context)).resolves.toEqual({ outcome: 'rejected', reason });
    expect(sfn.calls()).toHaveLength(0);
    expect(doc.calls()).toHaveLength(0);
  });

  it('refuses a malformed scheduled event and changes nothing', async () => {
    await expect(handler({ ...census(), resources: 'nope' }, context)).resolves.toEqual({
      outcome: 'rejected',
      reason: 'malformed',
    });
    expect(sfn.calls()).toHaveLength(0);
    expect(doc.calls()).toHaveLength(0);
  });

  it('fails fast without the state machine ARN, before touching anything', async () => {
    delete process.env[ENV.certRotationStateMachineArn];
    await expect(handler(census(), context)).rejects.toThrow(ConfigurationError);
    expect(doc.calls()).toHaveLength(0);
  });

  it('fails fast on a cooldown that is not a whole number, before touching anything', async () => {
    process.env[ENV.certCooldownMinutes] = 'soon';
    await expect(handler(certAlarm(), context)).rejects.toThrow(
      `${ENV.certCooldownMinutes} must be a whole number`,
    );
    expect(doc.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('an SDK error on the start propagates (the retry starts the run the gate recorded)', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    await expect(handler(census(), context)).rejects.toThrow('throttled');
    expect(doc).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(audits()).toEqual([]);
  });
});
