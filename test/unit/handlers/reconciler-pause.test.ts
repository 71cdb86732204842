/**
 * The sweep's duties of issue 15 on real conditional writes (dynalite: the voters' routing tables and the state
 * table): the pause's repair, `AutomationPaused`, the reminder, overdue runs, the census line, `SweepErrors`.
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { PauseItem } from '../../../functions/core/pause';
import { sweep } from '../../../functions/reconciler/handler';
import { SWEEP_INTERVAL_MS } from '../../../functions/reconciler/pause';
import { SWEEP_REPORT_METRICS } from '../../../functions/reconciler/report';
import { ENV } from '../../../functions/shared/env';
import type { ScheduledEvent } from '../../../functions/shared/event-envelope';
import { SWEEP_MINUTES } from '../../../infra/node-lifecycle';
import {
  AUTOMATION_PAUSED_METRIC,
  RUNS_OVERDUE_METRIC,
  SWEEP_ERRORS_METRIC,
} from '../../../infra/stacks/names';
import { EU, pauseEnv, pauseFixture, STATE_TABLE, TOPIC, US, VOTERS, WITNESS } from './pause-fixture';

const f = pauseFixture();
const T = Date.parse('2026-06-01T12:00:00Z');
const HOUR = 3_600_000;
const FAILOVER_ARN = 'arn:aws:states:eu-west-1:111122223333:stateMachine:primary-failover';
const event = (at = T): ScheduledEvent =>
  ({
    version: '0',
    id: `sweep-${at}`,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '111122223333',
    time: new Date(at).toISOString(),
    region: EU,
    resources: ['arn:aws:events:eu-west-1:111122223333:rule/prod-sweep'],
    detail: {},
  }) as ScheduledEvent;

const asgClient = new AutoScalingClient({ region: EU });
const sfnClient = new SFNClient({ region: EU });
const cwClient = new CloudWatchClient({ region: EU });
const asg = mockClient(asgClient);
const sfn = mockClient(sfnClient);
const cw = mockClient(cwClient);

const logged: { level: string; message: string; data: Record<string, unknown> }[] = [];
const logger = Object.fromEntries(
  ['debug', 'info', 'warn', 'error'].map((level) => [
    level,
    (message: string, data: Record<string, unknown> = {}) => logged.push({ level, message, data }),
  ]),
);

const sweepEnv = (over: NodeJS.ProcessEnv = {}) =>
  pauseEnv({
    [ENV.clusterMode]: 'legacy-primary',
    [ENV.primaryAsgName]: 'prod-primary',
    [ENV.memberAsgName]: 'prod-members',
    [ENV.bootstrapStateMachineArn]: 'arn:aws:states:eu-west-1:111122223333:stateMachine:node-bootstrap',
    [ENV.drainStateMachineArn]: 'arn:aws:states:eu-west-1:111122223333:stateMachine:node-drain',
    [ENV.failoverStateMachineArn]: FAILOVER_ARN,
    [ENV.metricNamespace]: 'ArtifactoryHA',
    [ENV.runBounds]: JSON.stringify([
      { workflow: 'primary-failover', arn: FAILOVER_ARN, root: true, boundSeconds: 1800 },
    ]),
    [ENV.cooldownMinutes]: '60',
    [ENV.dailyBudget]: '3',
    ...over,
  });

let env = sweepEnv();
const run = (at = T, localDoc = f.doc(EU)) =>
  sweep(event(at), {
    clients: {
      autoScaling: () => asgClient,
      sfn: () => sfnClient,
      dynamoDoc: () => localDoc,
      sns: () => f.snsClient,
      cloudWatch: () => cwClient,
    },
    logger: logger as never,
    metrics: { addMetric: () => undefined } as never,
    env,
    now: () => at,
  });

const published = () =>
  cw.commandCalls(PutMetricDataCommand).flatMap((c) =>
    (c.args[0].input.MetricData ?? []).map((d) => ({
      name: d.MetricName,
      value: d.Value,
      dims: d.Dimensions,
    })),
  );
const paused = (over: Partial<PauseItem> = {}): PauseItem => ({
  paused: true,
  reason: 'database upgrade',
  actor: 'alice',
  changedAt: T - HOUR,
  version: 2,
  ...over,
});
const primaryGroup = (healthy: boolean) => ({
  AutoScalingGroupName: 'prod-primary',
  Instances: healthy
    ? [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1', LifecycleState: 'InService', HealthStatus: 'Healthy' }]
    : [],
});

beforeEach(() => {
  env = sweepEnv();
  logged.length = 0;
  for (const m of [asg, sfn, cw] as unknown as {
    reset(): void;
    onAnyCommand(): { rejects(e: Error): void };
  }[]) {
    m.reset();
    m.onAnyCommand().rejects(new Error('unexpected command'));
  }
  asg.on(DescribeAutoScalingGroupsCommand).resolves({
    AutoScalingGroups: [
      primaryGroup(true),
      {
        AutoScalingGroupName: 'prod-members',
        Instances: [
          { InstanceId: 'i-0bbbbbbbbbbbbbbb2', LifecycleState: 'InService', HealthStatus: 'Healthy' },
          { InstanceId: 'i-0bbbbbbbbbbbbbbb3', LifecycleState: 'Pending', HealthStatus: 'Healthy' },
        ],
      },
    ] as never,
  });
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  cw.on(PutMetricDataCommand).resolves({});
});

afterAll(() => {
  for (const m of [asg, sfn, cw] as unknown as { restore(): void }[]) m.restore();
});

test('the sweep interval is the schedule’s, and the metric names are the alarms’', () => {
  expect(SWEEP_INTERVAL_MS).toBe(SWEEP_MINUTES * 60_000);
  expect(SWEEP_REPORT_METRICS).toEqual({
    paused: AUTOMATION_PAUSED_METRIC,
    overdue: RUNS_OVERDUE_METRIC,
    errors: SWEEP_ERRORS_METRIC,
  });
});

describe('sweep: the pause', () => {
  it('repairs an older local copy from the majority, then holds remediation and publishes AutomationPaused 1', async () => {
    await f.seed(US, paused());
    await f.seed(WITNESS, paused());
    await f.seed(EU, paused({ paused: false, version: 1 }));
    asg.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        primaryGroup(false),
        { AutoScalingGroupName: 'prod-members', Instances: [] },
      ] as never,
    });
    sns();
    const out = await run();
    expect(out).toMatchObject({
      pauseRepaired: 2,
      paused: true,
      primaries: { census: 'zero', paused: true },
    });
    expect(await f.copy(EU)).toMatchObject({ paused: true, version: 2, reason: 'database upgrade' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(published()).toEqual([
      {
        name: 'AutomationPaused',
        value: 1,
        dims: [
          { Name: 'Cluster', Value: 'prod' },
          { Name: 'Region', Value: EU },
        ],
      },
    ]);
  });

  it('repairs a copy that missed the pause entirely (region unreachable at pause time)', async () => {
    await f.seed(US, paused({ version: 1 }));
    await f.seed(WITNESS, paused({ version: 1 }));
    sns();
    const out = await run();
    expect(out.pauseRepaired).toBe(1);
    expect(await f.copy(EU)).toMatchObject({ paused: true, version: 1 });
  });

  it('leaves a current local copy alone and writes nothing', async () => {
    for (const v of VOTERS) await f.seed(v, paused({ paused: false, changedAt: T - 2 * HOUR }));
    const out = await run();
    expect(out.pauseRepaired).toBeUndefined();
    expect(out.paused).toBeUndefined();
    expect(await f.copy(EU)).toEqual(expect.objectContaining({ version: 2, paused: false }));
    expect(published()).toEqual([]);
  });

  it('does not repair without a majority of answers, and goes by the local copy', async () => {
    await f.seed(EU, paused({ paused: false, version: 1, changedAt: T - 2 * HOUR }));
    f.down.add(US);
    f.down.add(WITNESS);
    const out = await run();
    expect(out.pauseRepaired).toBeUndefined();
    expect(out.paused).toBeUndefined();
  });

  it('publishes one 0 on the sweep that sees the pause end, then nothing', async () => {
    for (const v of VOTERS) await f.seed(v, paused({ paused: false, changedAt: T - 60_000, version: 3 }));
    await run();
    expect(published().map((p) => [p.name, p.value])).toEqual([['AutomationPaused', 0]]);
    cw.resetHistory();
    await run(T + SWEEP_INTERVAL_MS);
    expect(published()).toEqual([]);
  });

  it('holds remediation when its own copy cannot be read, counts a sweep error and still answers hooks', async () => {
    f.down.add(EU);
    asg.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        primaryGroup(false),
        { AutoScalingGroupName: 'prod-members', Instances: [] },
      ] as never,
    });
    sns();
    const err = await run(T, f.raw(EU) as never).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'SweepIncomplete', failed: ['pause'] });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(published()).toEqual([
      expect.objectContaining({ name: 'SweepErrors', value: 1 }),
      // A pause that cannot be read counts as paused for this sweep, so nothing else publishes it.
    ]);
    expect(logged.find((l) => l.message === 'sweep census')?.data.census).toMatchObject({
      paused: true,
      pauseReason: 'the pause could not be read',
    });
  });

  it('fails fast on a bad reminder period, touching nothing', async () => {
    env = sweepEnv({ [ENV.pauseReminderHours]: '0' });
    await expect(run()).rejects.toThrow(/PAUSE_REMINDER_HOURS must be a whole number of hours >= 1/);
    env = sweepEnv({ [ENV.runBounds]: '[{"workflow":"x"}]' });
    await expect(run()).rejects.toThrow(/RUN_BOUNDS must list/);
    env = sweepEnv({ [ENV.runBounds]: 'nope' });
    await expect(run()).rejects.toThrow(/RUN_BOUNDS is not JSON/);
    expect(asg.calls()).toHaveLength(0);
  });
});

function sns() {
  f.sns.on(PublishCommand).resolves({ MessageId: 'm' });
}

describe('sweep: the reminder', () => {
  it('is sent once per period cluster-wide: claimed on a majority, then not again until the period passes', async () => {
    for (const v of VOTERS) await f.seed(v, paused({ changedAt: T - 5 * HOUR }));
    sns();
    expect((await run()).reminded).toBe(true);
    const reminders = f.sns.commandCalls(PublishCommand);
    expect(reminders).toHaveLength(1);
    expect(reminders[0]?.args[0].input).toMatchObject({
      TopicArn: TOPIC,
      Subject: '[prod] automation still paused (5 h)',
    });
    for (const v of VOTERS) expect((await f.copy(v))?.remindedAt).toBe(T);
    expect((await run(T + 5 * 60_000)).reminded).toBeUndefined();
    expect((await run(T + 4 * HOUR)).reminded).toBe(true);
    expect(f.sns.commandCalls(PublishCommand)).toHaveLength(2);
  });

  it('is not sent before the period, nor while resumed', async () => {
    for (const v of VOTERS) await f.seed(v, paused({ changedAt: T - 3 * HOUR }));
    expect((await run()).reminded).toBeUndefined();
    for (const v of VOTERS) await f.seed(v, paused({ paused: false, changedAt: T - 9 * HOUR }));
    expect((await run()).reminded).toBeUndefined();
    expect(f.sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('is not sent when another sweep claimed it, or when no majority accepts the claim', async () => {
    for (const v of VOTERS) await f.seed(v, paused({ changedAt: T - 5 * HOUR, remindedAt: T - 60_000 }));
    await f.seed(EU, paused({ changedAt: T - 5 * HOUR }));
    expect((await run()).reminded).toBeUndefined();
    for (const v of VOTERS) await f.seed(v, paused({ changedAt: T - 5 * HOUR }));
    f.down.add(US);
    f.down.add(WITNESS);
    expect((await run()).reminded).toBeUndefined();
    f.down.clear();
    // The claim landed in the minority that answered only: spent there, so the next period's claim starts later.
    expect((await f.copy(EU))?.remindedAt).toBe(T);
    for (const v of [US, WITNESS]) expect((await f.copy(v))?.remindedAt).toBeUndefined();
    expect(f.sns.commandCalls(PublishCommand)).toHaveLength(0);
  });
});

test('a reminder that cannot be sent is a sweep error, not a reason to stop honouring the pause', async () => {
  for (const v of VOTERS) await f.seed(v, paused({ changedAt: T - 5 * HOUR }));
  f.sns.on(PublishCommand).rejects(Object.assign(new Error('down'), { name: 'InternalErrorException' }));
  const err = await run().catch((e: unknown) => e);
  expect(err).toMatchObject({ name: 'SweepIncomplete', failed: ['reminder'] });
  expect(published().map((p) => [p.name, p.value])).toEqual([
    ['AutomationPaused', 1],
    ['SweepErrors', 1],
  ]);
  expect(logged.find((l) => l.message === 'sweep census')?.data.census).toMatchObject({
    paused: true,
    pauseReason: 'paused by alice: database upgrade',
  });
});

describe('sweep: overdue runs', () => {
  it('publishes RunsOverdue with the count past the bound and logs each', async () => {
    sfn
      .on(ListExecutionsCommand, { stateMachineArn: FAILOVER_ARN, statusFilter: 'RUNNING' } as never)
      .resolves({
        executions: [
          {
            executionArn: 'a',
            stateMachineArn: FAILOVER_ARN,
            name: 'stuck',
            status: 'RUNNING',
            startDate: new Date(T - 2 * HOUR),
          },
          {
            executionArn: 'b',
            stateMachineArn: FAILOVER_ARN,
            name: 'fresh',
            status: 'RUNNING',
            startDate: new Date(T - 600_000),
          },
        ],
      });
    const out = await run();
    expect(out.overdue).toBe(1);
    expect(published()).toEqual([expect.objectContaining({ name: 'RunsOverdue', value: 1 })]);
    expect(logged.filter((l) => l.message === 'run overdue').map((l) => l.data)).toEqual([
      { workflow: 'primary-failover', execution: 'stuck', runningSeconds: 7200, boundSeconds: 1800 },
    ]);
  });

  it('counts a workflow it cannot list as a sweep error, naming it', async () => {
    sfn
      .on(ListExecutionsCommand)
      .rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    const err = await run().catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'SweepIncomplete', failed: ['runs:primary-failover'] });
    expect(published()).toEqual([expect.objectContaining({ name: 'SweepErrors', value: 1 })]);
  });

  it('says when one page does not hold every running execution', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [], nextToken: 'more' });
    await expect(run()).rejects.toMatchObject({ failed: ['runs:primary-failover'] });
  });
});

describe('sweep: the census line', () => {
  it('logs primary, epoch, nodes by group, role and readiness, the gate and the pause', async () => {
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    await f.raw(EU).send(
      new PutCommand({
        TableName: STATE_TABLE,
        Item: {
          pk: 'CLUSTER#prod',
          sk: 'STATE',
          epoch: 4,
          primary: 'i-0aaaaaaaaaaaaaaa1',
          phase: 'committed',
        },
      }),
    );
    await f.raw(EU).send(
      new PutCommand({
        TableName: STATE_TABLE,
        Item: {
          pk: 'CLUSTER#prod',
          sk: 'GATE#primary-failover',
          lastElectionAt: T - 10 * 60_000,
          day: '2026-06-01',
          count: 1,
        },
      }),
    );
    await run();
    const line = logged.filter((l) => l.message === 'sweep census');
    expect(line).toHaveLength(1);
    expect(line[0]?.data.census).toEqual({
      primary: 'i-0aaaaaaaaaaaaaaa1',
      epoch: 4,
      taskNodes: 0,
      nodes: 'prod-primary primary ready 1; prod-members member ready 1; prod-members member not ready 1',
      nodesReady: 2,
      nodesNotReady: 1,
      gate: `cooldown until ${new Date(T + 50 * 60_000).toISOString()}; budget left 2`,
      paused: false,
      pauseReason: '',
    });
  });

  it('names the pause and its reason while paused', async () => {
    for (const v of VOTERS) await f.seed(v, paused());
    await run();
    expect(logged.find((l) => l.message === 'sweep census')?.data.census).toMatchObject({
      primary: 'none',
      epoch: 0,
      gate: 'none; budget left 3',
      paused: true,
      pauseReason: 'paused by alice: database upgrade',
    });
  });
});
