import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { FAIL_OPEN, type RegionalRun, regionalOutcome } from '../../../functions/core/regional-report';
import { renderOutcome } from '../../../functions/core/report';
import { handler } from '../../../functions/report/handler';
import { resetClients, setClientsForTest } from '../../../functions/shared/clients/base';
import { ENV } from '../../../functions/shared/env';

const EXECUTION =
  'arn:aws:states:us-east-1:111122223333:execution:artifactory-prod-regional-failover:evacuate-eu-west-1-1773144000';
const where = { cluster: 'artifactory-prod', region: 'us-east-1', execution: EXECUTION };
const NOW = Date.UTC(2026, 2, 10, 12);

const plan = {
  action: 'evacuate',
  region: 'eu-west-1',
  trigger: 'manual',
  force: false,
  dryRun: false,
  canary: false,
  driver: 'cloudwatch-switch',
  verdict: 'go',
  reasons: [],
  breakGlass: false,
  checks: [
    { name: 'min-serving-regions', ok: true, detail: '1 region serves after' },
    { name: 'capacity', region: 'us-east-1', ok: true, detail: '4 healthy nodes for 3 served' },
  ],
  serving: { 'eu-west-1': 'serving', 'us-east-1': 'serving' },
  servingAfter: 1,
  expected: {
    exclusionSeconds: 210,
    floorSeconds: 210,
    explanation: 'switch alarm 60 s + 3 × 30 s + TTL 60 s',
  },
  summary: 'evacuate eu-west-1: go',
};
const run = (over: Partial<RegionalRun> & { plan?: Record<string, unknown> }): RegionalRun => ({
  input: {
    action: 'evacuate',
    region: 'eu-west-1',
    reason: 'brownout',
    trigger: 'manual',
    requestedBy: 'alice',
  },
  planned: { plan: { ...plan, ...(over.plan ?? {}) } },
  ...over,
});
const childFailure = (error: string, cause: string) => ({
  Error: 'States.TaskFailed',
  Cause: JSON.stringify({ error, cause, status: 'FAILED' }),
});

describe('regionalOutcome: what the operator reads', () => {
  it('an evacuation: where the switch was written, who serves now, the expected time against its floor', () => {
    const o = regionalOutcome(
      run({
        outcome: 'succeeded',
        lease: { epoch: 7 },
        switched: {
          flip: {
            copies: [
              { region: 'eu-west-1', ok: false, error: 'unreachable' },
              { region: 'us-east-1', ok: true },
            ],
            recordedIn: ['eu-west-1', 'us-west-2'],
          },
          verify: { serving: { 'eu-west-1': 'evacuated', 'us-east-1': 'serving' } },
        },
      }),
      where,
    );
    expect(o.outcome).toBe('succeeded');
    expect(o.subject).toBe('evacuate eu-west-1');
    expect(o.summary).toContain(
      'Evacuated eu-west-1: manual by alice (brownout), driver cloudwatch-switch, epoch 7.',
    );
    expect(o.summary).toContain('eu-west-1 (failed: unreachable), us-east-1');
    expect(o.summary).toContain('Serving now: eu-west-1 evacuated, us-east-1 serving.');
    expect(o.summary).toContain('210 s (switch alarm 60 s + 3 × 30 s + TTL 60 s).');
    expect(o.notify).toBe(true);
    expect(o.details).toEqual({
      action: 'evacuate',
      targetRegion: 'eu-west-1',
      trigger: 'manual',
      verdict: 'go',
      epoch: 7,
    });
  });

  it('a refusal lists its reasons and each check', () => {
    const o = regionalOutcome(
      run({
        outcome: 'refused',
        plan: {
          verdict: 'refused',
          reasons: ['capacity: us-east-1 has 1 healthy node for 3 served'],
          checks: [{ name: 'capacity', region: 'us-east-1', ok: false, detail: '1 of 3' }],
        },
      }),
      where,
    );
    expect(o.outcome).toBe('refused');
    expect(o.summary).toContain(
      'Refused to evacuate eu-west-1 (manual by alice (brownout)): capacity: us-east-1 has 1',
    );
    expect(o.summary).toContain('FAIL capacity@us-east-1: 1 of 3');
    expect(o.summary).not.toContain('fails open');
    expect(renderOutcome(o, NOW).notify).toBe(true);
  });

  it('a refusal by the serving minimum explains fail-open (both regions sick)', () => {
    const o = regionalOutcome(
      run({
        outcome: 'refused',
        plan: {
          verdict: 'refused',
          reasons: ['min-serving-regions: 0 region(s) would serve'],
          checks: [{ name: 'min-serving-regions', ok: false, detail: '0 region(s) would serve (minimum 1)' }],
        },
      }),
      where,
    );
    expect(o.summary).toContain(FAIL_OPEN);
    expect(o.summary).toContain('Route 53 fails open');
  });

  it('a forced run is a break-glass: said first, audited, notified', () => {
    const o = regionalOutcome(
      run({
        outcome: 'succeeded',
        plan: {
          force: true,
          breakGlass: true,
          checks: [{ name: 'replication', region: 'us-east-1', ok: false, detail: 'lag 95 min' }],
        },
      }),
      where,
    );
    expect(o.summary.split('\n')[0]).toBe(
      'BREAK-GLASS: a manual force overrode failing readiness checks (FAIL replication@us-east-1: lag 95 min).',
    );
    const out = renderOutcome(o, NOW);
    expect(out.audit).toMatchObject({ breakGlass: true, outcome: 'succeeded', trigger: 'manual' });
    expect(out.notify).toBe(true);
  });

  it('the drill reports its evidence (checks, expected time, the switch now) and is notified; a manual dry run is not', () => {
    const drill = regionalOutcome(
      run({
        outcome: 'dry-run',
        input: { action: 'evacuate', region: 'eu-west-1', trigger: 'drill', reason: 'scheduled drill' },
        plan: { dryRun: true, trigger: 'drill' },
      }),
      where,
    );
    expect(drill.subject).toBe('evacuate eu-west-1 (drill)');
    expect(drill.summary).toContain(
      'Drill (dry-run evacuation) of eu-west-1: verdict go; its switch is serving now.',
    );
    expect(drill.summary).toContain('ok capacity@us-east-1');
    expect(drill.summary).toContain('Expected time until DNS excludes eu-west-1: 210 s');
    expect(drill.notify).toBe(true);
    const manual = regionalOutcome(run({ outcome: 'dry-run', plan: { dryRun: true } }), where);
    expect(manual.subject).toBe('evacuate eu-west-1 (dry run)');
    expect(manual.notify).toBe(false);
  });

  it('a live canary drill says the canary went out and back, and that the real record was not touched', () => {
    const o = regionalOutcome(
      run({
        outcome: 'succeeded',
        input: { action: 'evacuate', region: 'eu-west-1', trigger: 'drill', reason: 'scheduled drill' },
        plan: { trigger: 'drill', canary: true },
        lease: { epoch: 4 },
        switched: {
          flip: { copies: [{ region: 'us-east-1', ok: true }] },
          verify: { serving: { 'eu-west-1': 'serving' } },
        },
      }),
      where,
    );
    expect(o.subject).toBe('evacuate eu-west-1 (live canary drill)');
    expect(o.summary).toContain(
      'Live drill of eu-west-1 on the canary record: its switch was written out in us-east-1',
    );
    expect(o.summary).toContain('the real record was not touched (epoch 4)');
    expect(o.summary).not.toContain('Evacuated');
  });

  it.each([
    [
      'RuleBroken',
      'reverted',
      'Reverted: the evacuate of eu-west-1 broke a safety rule (after the flip); the switch was flipped back at once.',
    ],
    ['Fenced', 'superseded', 'Superseded: a newer run holds the routing lease'],
    ['ControlPlaneUnavailable', 'escalated', "depends on Route 53's control plane in us-east-1"],
    ['NotSettled', 'failed', 'Failed to evacuate eu-west-1'],
  ])('a switch child that failed %s is reported %s', (error, outcome, text) => {
    const o = regionalOutcome(
      run({ outcome: 'failed', lease: { epoch: 3 }, error: childFailure(error, 'after the flip') }),
      where,
    );
    expect(o.outcome).toBe(outcome);
    expect(o.summary).toContain(text);
    expect(renderOutcome(o, NOW).audit.error).toBe(`${error}: after the flip`);
  });

  it('not approved, and a restore that is still waiting for its hysteresis window', () => {
    expect(
      regionalOutcome(
        run({ outcome: 'not-approved', approval: { approved: false, detail: 'rejected: not now' } }),
        where,
      ).summary,
    ).toBe('Not approved: evacuate eu-west-1 was not run (rejected: not now).');
    const waiting = regionalOutcome(
      run({
        outcome: 'skipped',
        waits: 4,
        plan: { action: 'restore', verdict: 'wait', reasons: ['hysteresis: OK for 12 of 30 min'] },
      }),
      where,
    );
    expect(waiting.summary).toContain('still waiting (hysteresis: OK for 12 of 30 min) after 4 waits');
    expect(waiting.notify).toBe(false);
  });

  it('an unknown outcome is reported failed, and a run that ended before its plan still names the region', () => {
    const o = regionalOutcome({ input: { action: 'restore', region: 'us-east-1' }, outcome: 'bogus' }, where);
    expect(o.outcome).toBe('failed');
    expect(o.subject).toBe('restore us-east-1');
  });
});

describe('report handler: a regional run', () => {
  const sns = mockClient(SNSClient);
  const doc = mockClient(DynamoDBDocumentClient);
  const context = {
    functionName: 'report',
    awsRequestId: 'r-1',
    getRemainingTimeInMillis: () => 30_000,
  } as unknown as Context;
  const saved = { ...process.env };
  beforeEach(() => {
    sns.reset();
    doc.reset();
    doc.onAnyCommand().rejects(new Error('unexpected command'));
    sns.onAnyCommand().rejects(new Error('unexpected command'));
    doc.on(PutCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    resetClients();
    setClientsForTest({
      sns: new SNSClient({ region: 'us-east-1' }),
      dynamoDoc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    });
    Object.assign(process.env, {
      [ENV.stateTable]: 'state',
      [ENV.topicArn]: 'arn:aws:sns:us-east-1:111122223333:ops',
    });
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.env = { ...saved };
  });
  afterAll(() => {
    sns.restore();
    doc.restore();
    resetClients();
  });

  const input = {
    cluster: 'artifactory-prod',
    region: 'us-east-1',
    workflow: 'regional-failover',
    execution: EXECUTION,
    outcome: 'refused',
    regional: run({ plan: { verdict: 'refused', reasons: ['min-serving-regions: 0 would serve'] } }),
  };

  it('audits and notifies the worded run, and hands the run its outcome and ending error', async () => {
    const out = await handler(input, context);
    expect(out).toMatchObject({ outcome: 'refused', error: 'RegionalFailoverRefused' });
    const escalated = await handler(
      {
        ...input,
        outcome: 'failed',
        regional: run({
          lease: { epoch: 2 },
          error: childFailure('ControlPlaneUnavailable', 'Route 53 API'),
        }),
      },
      context,
    );
    expect(escalated).toMatchObject({ outcome: 'escalated', error: 'ControlPlaneUnavailable' });
    expect(String((escalated as { cause: string }).cause)).toMatch(
      /^Escalated: evacuate eu-west-1 needs an operator/,
    );
    expect(doc).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'state',
      Item: expect.objectContaining({
        outcome: 'refused',
        subject: 'evacuate eu-west-1',
        targetRegion: 'eu-west-1',
      }),
    });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      Subject: '[artifactory-prod/us-east-1] regional-failover refused: evacuate eu-west-1',
      Message: expect.stringContaining('min-serving-regions: 0 would serve'),
    });
  });

  it.each([
    ['an outcome the workflow never passes', { outcome: 'reverted' }],
    ['another workflow name', { workflow: 'primary-failover' }],
    ['no run record', { regional: undefined }],
  ])('refuses %s and records nothing', async (_label, over) => {
    await expect(handler({ ...input, ...over }, context)).rejects.toMatchObject({ name: 'ValidationError' });
    expect(doc).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
  });
});
