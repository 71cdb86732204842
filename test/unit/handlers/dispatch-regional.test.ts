// Issue 14, item 5: dispatch starts regional-failover in the first peer region that accepts it on the region's
// degraded alarm (ALARM → evacuate; OK from ALARM → restore with automaticRestore), holds while paused, with
// strict SDK mocks and one client per pinned region.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { auditKey, noticeKey } from '../../../functions/core/keys';
import { handler } from '../../../functions/dispatch/handler';
import {
  resetClients,
  setClientsForTest,
  setRegionalClientFactoryForTest,
} from '../../../functions/shared/clients/base';
import { ENV } from '../../../functions/shared/env';
import { ConfigurationError } from '../../../functions/shared/errors';
import { loadEventFixture, mutate } from '../shared/fixtures';
import { pausedItem, pauseTablesEnv, stubPause } from './pause-mocks';

const CLUSTER = 'artifactory-prod';
const REGION = 'us-west-2';
const PEERS = ['eu-west-1', 'us-east-1'] as const;
const TABLE = 'artifactory-ha-state';
const TOPIC = `arn:aws:sns:${REGION}:123456789012:ops`;
const DEGRADED = `${CLUSTER}-${REGION}-region-degraded`;
const arnIn = (region: string) =>
  `arn:aws:states:${region}:123456789012:stateMachine:${CLUSTER}-regional-failover`;
// The fixture's event time, 2019-10-02T17:04:40Z, in epoch seconds.
const AT = 1570035880;
const NOW = Date.parse('2019-10-02T17:04:41Z');

const settings = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    cluster: CLUSTER,
    region: REGION,
    degradedAlarmName: DEGRADED,
    peers: PEERS.map((region) => ({ region, stateMachineArn: arnIn(region) })),
    automaticRestore: true,
    ...over,
  });

const ENVIRONMENT: Record<string, string> = {
  [ENV.clusterName]: CLUSTER,
  [ENV.clusterMode]: 'legacy-primary',
  [ENV.primaryAsgName]: 'prod-primary',
  [ENV.memberAsgName]: 'prod-members',
  [ENV.bootstrapStateMachineArn]: `arn:aws:states:${REGION}:123456789012:stateMachine:node-bootstrap`,
  [ENV.drainStateMachineArn]: `arn:aws:states:${REGION}:123456789012:stateMachine:node-drain`,
  [ENV.failoverStateMachineArn]: `arn:aws:states:${REGION}:123456789012:stateMachine:primary-failover`,
  [ENV.stateTable]: TABLE,
  [ENV.awsRegion]: REGION,
  ...pauseTablesEnv(REGION),
  [ENV.automationEnabled]: 'true',
  [ENV.topicArn]: TOPIC,
  [ENV.regionalDispatch]: settings(),
};

const context = {
  functionName: 'dispatch',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

const alarm = (state = 'ALARM', previous = 'OK', name = DEGRADED, region = REGION) =>
  mutate(
    mutate(
      mutate(
        mutate(loadEventFixture('cloudwatch-metric-alarm-state-change.json'), ['region'], region),
        ['detail', 'alarmName'],
        name,
      ),
      ['detail', 'state', 'value'],
      state,
    ),
    ['detail', 'previousState', 'value'],
    previous,
  );
const EVENT_ID = alarm().id as string;

// One client per pinned region, each with its own strict mock: a call reaching the wrong region fails.
const pinned = new Map(PEERS.map((r) => [r, new SFNClient({ region: r })]));
const clientIn = (r: string) => pinned.get(r as (typeof PEERS)[number]) as SFNClient;
const peerMocks = {
  'eu-west-1': mockClient(clientIn('eu-west-1')),
  'us-east-1': mockClient(clientIn('us-east-1')),
};
const ownSfn = mockClient(new SFNClient({ region: REGION }));
const doc = mockClient(DynamoDBDocumentClient);
const ddb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);
interface StrictMock {
  reset(): unknown;
  restore(): void;
  onAnyCommand(): { rejects(error: Error): unknown };
}
const allMocks: StrictMock[] = [...Object.values(peerMocks), ownSfn, doc, ddb, sns];
const savedEnv = { ...process.env };
const peer = (r: (typeof PEERS)[number]) => peerMocks[r];

beforeEach(() => {
  for (const m of allMocks) {
    m.reset();
    m.onAnyCommand().rejects(new Error('unexpected command'));
  }
  doc.on(PutCommand).resolves({});
  stubPause(doc, [REGION]);
  doc.on(UpdateCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  resetClients();
  setClientsForTest({
    sfn: new SFNClient({ region: REGION }),
    sns: new SNSClient({ region: REGION }),
    dynamoDB: new DynamoDBClient({ region: REGION }),
    dynamoDoc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: REGION })),
  });
  setRegionalClientFactoryForTest(((name: string, region: string) => {
    const client = pinned.get(region as (typeof PEERS)[number]);
    if (name !== 'sfn' || client === undefined) throw new Error(`no pinned ${name} client for ${region}`);
    return client;
  }) as Parameters<typeof setRegionalClientFactoryForTest>[0]);
  Object.assign(process.env, ENVIRONMENT);
  jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation(() => true);
  }
});

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
  setRegionalClientFactoryForTest(undefined);
  process.env = { ...savedEnv };
});

afterAll(() => {
  for (const m of allMocks) m.restore();
  resetClients();
});

const audits = () => doc.commandCalls(PutCommand).map((c) => c.args[0].input);
const starts = (r: (typeof PEERS)[number]) =>
  peer(r)
    .commandCalls(StartExecutionCommand)
    .map((c) => c.args[0].input);

describe('dispatch: the degraded alarm', () => {
  it('ALARM starts the evacuation in the first peer region (pinned client), named after the change', async () => {
    peer('eu-west-1')
      .on(StartExecutionCommand)
      .resolves({ executionArn: 'x', startDate: new Date(NOW) });
    await expect(handler(alarm(), context)).resolves.toEqual({
      outcome: 'started',
      executionName: `evacuate-${REGION}-${AT}`,
    });
    expect(starts('eu-west-1')).toEqual([
      { stateMachineArn: arnIn('eu-west-1'), name: `evacuate-${REGION}-${AT}`, input: expect.any(String) },
    ]);
    expect(JSON.parse(starts('eu-west-1')[0]?.input ?? 'null')).toEqual({
      action: 'evacuate',
      region: REGION,
      trigger: 'automatic',
      reason: expect.stringMatching(new RegExp(`^${DEGRADED} is in ALARM: Threshold Crossed`)),
    });
    expect(peer('us-east-1')).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
    expect(ownSfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
    expect(audits()).toEqual([
      {
        TableName: TABLE,
        Item: expect.objectContaining({
          ...auditKey(CLUSTER, '2019-10-02T17:04:40Z', EVENT_ID),
          trigger: 'alarm',
          workflow: 'regional-failover',
          action: 'evacuate',
          outcome: 'started',
          executionName: `evacuate-${REGION}-${AT}`,
          startedIn: 'eu-west-1',
          skipped: [],
        }),
      },
    ]);
  });

  it('an unreachable peer is skipped: the next peer in config order starts it, and the audit says why', async () => {
    peer('eu-west-1')
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('down'), { name: 'TimeoutError' }));
    peer('us-east-1')
      .on(StartExecutionCommand)
      .resolves({ executionArn: 'x', startDate: new Date(NOW) });
    await expect(handler(alarm(), context)).resolves.toEqual({
      outcome: 'started',
      executionName: `evacuate-${REGION}-${AT}`,
    });
    expect(starts('us-east-1')).toHaveLength(1);
    expect(audits()[0]?.Item).toMatchObject({
      startedIn: 'us-east-1',
      skipped: [{ region: 'eu-west-1', error: 'TimeoutError' }],
    });
  });

  it('ExecutionAlreadyExists (a redelivery) is handled: duplicate, and the first entry is kept', async () => {
    peer('eu-west-1')
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    await expect(handler(alarm(), context)).resolves.toEqual({
      outcome: 'duplicate',
      executionName: `evacuate-${REGION}-${AT}`,
    });
    expect(peer('us-east-1')).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
    expect(audits()[0]?.ConditionExpression).toBe('attribute_not_exists(sk) OR outcome = :error');
    expect(audits()[0]?.Item).toMatchObject({ outcome: 'duplicate', startedIn: 'eu-west-1' });
  });

  it('no peer accepting: audited as an error and thrown, so the event is retried', async () => {
    for (const r of PEERS) {
      peer(r)
        .on(StartExecutionCommand)
        .rejects(Object.assign(new Error('no'), { name: 'ServiceUnavailable' }));
    }
    await expect(handler(alarm(), context)).rejects.toMatchObject({
      name: 'PeersUnavailable',
      message: `no peer region started the evacuate of ${REGION}: eu-west-1 ServiceUnavailable, us-east-1 ServiceUnavailable`,
    });
    expect(audits()[0]?.Item).toMatchObject({ outcome: 'error', executionName: `evacuate-${REGION}-${AT}` });
  });

  it('while paused: holds (nothing starts), notifies once per incident, audits every delivery', async () => {
    process.env[ENV.automationEnabled] = 'false';
    await expect(handler(alarm(), context)).resolves.toEqual({ outcome: 'paused' });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.Subject).toBe(
      `[${CLUSTER}/${REGION}] automation paused: region degraded, not evacuated`,
    );
    expect(doc.commandCalls(UpdateCommand)[0]?.args[0].input.Key).toEqual(
      noticeKey(CLUSTER, 'region-degraded'),
    );
    expect(audits()[0]?.Item).toMatchObject({ outcome: 'paused', notified: true, action: 'evacuate' });

    // The next sighting of the same incident: the claim fails, so it is recorded, not e-mailed.
    doc.reset();
    doc.onAnyCommand().rejects(new Error('unexpected command'));
    doc.on(PutCommand).resolves({});
    doc
      .on(UpdateCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'held', $metadata: {} }))
      .resolves({});
    await expect(handler(alarm(), context)).resolves.toEqual({ outcome: 'paused' });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(audits()[0]?.Item).toMatchObject({ outcome: 'paused', notified: false });
    for (const r of PEERS) expect(peer(r)).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  it('while an operator paused automation (the PAUSE item): holds the evacuation and notifies once', async () => {
    stubPause(doc, [REGION], pausedItem());
    await expect(handler(alarm(), context)).resolves.toEqual({ outcome: 'paused' });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(audits()[0]?.Item).toMatchObject({ outcome: 'paused', notified: true, action: 'evacuate' });
    for (const r of PEERS) expect(peer(r)).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  it('OK after ALARM starts a restore with automaticRestore (the workflow waits out the hysteresis)', async () => {
    peer('eu-west-1')
      .on(StartExecutionCommand)
      .resolves({ executionArn: 'x', startDate: new Date(NOW) });
    await expect(handler(alarm('OK', 'ALARM'), context)).resolves.toEqual({
      outcome: 'started',
      executionName: `restore-${REGION}-${AT}`,
    });
    expect(JSON.parse(starts('eu-west-1')[0]?.input ?? 'null')).toMatchObject({
      action: 'restore',
      region: REGION,
      trigger: 'automatic',
    });
  });

  it('OK after ALARM without automaticRestore starts nothing: restores are manual, and it is audited', async () => {
    process.env[ENV.regionalDispatch] = settings({ automaticRestore: false });
    await expect(handler(alarm('OK', 'ALARM'), context)).resolves.toEqual({ outcome: 'skipped' });
    for (const r of PEERS) expect(peer(r)).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
    expect(audits()[0]?.Item).toMatchObject({ action: 'manual-restore', outcome: 'manual-only' });
  });

  it('with no peer region (one configured region) starts nothing and says so', async () => {
    process.env[ENV.regionalDispatch] = settings({ peers: [] });
    await expect(handler(alarm(), context)).resolves.toEqual({ outcome: 'skipped' });
    expect(audits()[0]?.Item).toMatchObject({ action: 'evacuate', outcome: 'manual-only' });
  });

  it.each([
    ['OK from INSUFFICIENT_DATA (a new alarm’s first evaluation)', alarm('OK', 'INSUFFICIENT_DATA'), 'alarm'],
    ['INSUFFICIENT_DATA', alarm('INSUFFICIENT_DATA', 'ALARM'), 'alarm'],
    ['another region’s event', alarm('ALARM', 'OK', DEGRADED, 'eu-west-1'), 'region'],
  ])('refuses %s and changes nothing', async (_, event, reason) => {
    await expect(handler(event, context)).resolves.toEqual({ outcome: 'rejected', reason });
    for (const r of PEERS) expect(peer(r)).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
    expect(doc).toHaveReceivedCommandTimes(PutCommand, 0);
  });

  it.each([
    ['not JSON', '{', `${ENV.regionalDispatch} is not JSON`],
    [
      'a peer without an ARN',
      settings({ peers: [{ region: 'eu-west-1', stateMachineArn: 'regional-failover' }] }),
      `${ENV.regionalDispatch} is invalid at peers.0.stateMachineArn`,
    ],
  ])(
    'a bad REGIONAL_DISPATCH (%s) fails with a clear error and changes nothing',
    async (_, value, message) => {
      process.env[ENV.regionalDispatch] = value;
      const err = await handler(alarm(), context).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigurationError);
      expect((err as Error).message).toBe(message);
      for (const r of PEERS) expect(peer(r)).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
      expect(doc).toHaveReceivedCommandTimes(PutCommand, 0);
    },
  );
});
