import * as vm from 'node:vm';
import { MetricAlarmStateChangeEventSchema } from '../../../functions/shared/events';
import { VirtualClock } from '../../../sim/core/clock';
import type { AlarmSpec, AlarmState } from '../../../sim/core/contracts';
import { ALB_HEALTH_PATH } from '../../../sim/services/elbv2';
import { latencyMs } from '../../../sim/services/route53';
import {
  errorOf,
  type FakeInstance,
  makeWorld,
  type TestRegion,
  type TestWorld,
  tgArn,
} from './network-world';

const E1 = 'us-east-1';
const W1 = 'eu-west-1';
const RECORD = 'artifactory.example.com';
const MIN = 60_000;

let clock: VirtualClock;
beforeEach(() => {
  clock = new VirtualClock();
  clock.install();
});
afterEach(() => clock.uninstall());

/** A target group in the region with `count` running instances registered (healthy after the first check). */
function targetGroup(r: TestRegion, opts: { count?: number; interval?: number; delay?: number } = {}) {
  const arn = tgArn(r.name, 'art-member');
  r.elbv2.createTargetGroup({
    arn,
    healthCheckIntervalSeconds: opts.interval ?? 10,
    healthyThresholdCount: 3,
    unhealthyThresholdCount: 2,
    deregistrationDelaySeconds: opts.delay ?? 30,
  });
  const instances = Array.from({ length: opts.count ?? 1 }, () => r.ec2.add());
  if (instances.length > 0)
    r.elbv2.registerTargets(
      arn,
      instances.map((i) => i.id),
    );
  return { arn, instances };
}

async function health(r: TestRegion, arn: string, id?: string) {
  const out = (await r.elbv2.api.DescribeTargetHealth({
    TargetGroupArn: arn,
    ...(id ? { Targets: [{ Id: id }] } : {}),
  })) as {
    TargetHealthDescriptions: {
      Target: { Id: string; Port: number };
      TargetHealth: Record<string, string>;
    }[];
  };
  return out.TargetHealthDescriptions;
}

async function targetHealth(r: TestRegion, arn: string, id: string) {
  return (await health(r, arn, id))[0]?.TargetHealth;
}

// ==================================================================================================== ELBv2

describe('ELBv2 target health', () => {
  it('registers a target as initial and makes it healthy after one passing health check', async () => {
    const tw = makeWorld(clock);
    const r = tw.region(E1);
    const { arn, instances } = targetGroup(r);
    const id = instances[0]?.id as string;

    expect(await health(r, arn)).toEqual([
      {
        Target: { Id: id, Port: 443 },
        HealthCheckPort: '443',
        TargetHealth: {
          State: 'initial',
          Reason: 'Elb.RegistrationInProgress',
          Description: 'Target registration is in progress',
        },
      },
    ]);
    expect(r.elbv2.albHealthy()).toBe(false);

    await clock.runFor(10_000);
    expect(await targetHealth(r, arn, id)).toEqual({ State: 'healthy' });
    expect(r.elbv2.targetState(arn, id)).toBe('healthy');
    expect(r.elbv2.albHealthy()).toBe(true);
  });

  it('goes unhealthy after UnhealthyThresholdCount failures and healthy after HealthyThresholdCount successes', async () => {
    const tw = makeWorld(clock);
    const r = tw.region(E1);
    const { arn, instances } = targetGroup(r);
    const inst = instances[0];
    if (!inst) throw new Error('no instance');
    await clock.runFor(10_000);

    inst.node.healthy = false;
    await clock.runFor(10_000);
    expect(r.elbv2.targetState(arn, inst.id)).toBe('healthy');
    await clock.runFor(10_000);
    expect(await targetHealth(r, arn, inst.id)).toEqual({
      State: 'unhealthy',
      Reason: 'Target.ResponseCodeMismatch',
      Description: 'Health checks failed with these codes: [503]',
    });
    expect(r.elbv2.albHealthy()).toBe(false);

    inst.node.healthy = true;
    await clock.runFor(20_000);
    expect(r.elbv2.targetState(arn, inst.id)).toBe('unhealthy');
    await clock.runFor(10_000);
    expect(r.elbv2.targetState(arn, inst.id)).toBe('healthy');
    expect(tw.timeline.find('elb', /healthy -> unhealthy \(Target.ResponseCodeMismatch\)/)).toHaveLength(1);
  });

  it('reports initial health checking, then the reason of the failure', async () => {
    const tw = makeWorld(clock);
    const r = tw.region(E1);
    const { arn, instances } = targetGroup(r, { count: 3 });
    const [unreachable, stopped, invalid] = instances;
    if (!unreachable || !stopped || !invalid) throw new Error('no instances');
    unreachable.reachable = false;
    stopped.node.status = 'stopped';
    invalid.state = 'stopped';

    await clock.runFor(10_000);
    expect(await targetHealth(r, arn, unreachable.id)).toEqual({
      State: 'initial',
      Reason: 'Elb.InitialHealthChecking',
      Description: 'Initial health checks in progress',
    });
    await clock.runFor(10_000);
    expect(await targetHealth(r, arn, unreachable.id)).toMatchObject({
      State: 'unhealthy',
      Reason: 'Target.Timeout',
    });
    expect(await targetHealth(r, arn, stopped.id)).toMatchObject({
      State: 'unhealthy',
      Reason: 'Target.FailedHealthChecks',
    });
    expect(await targetHealth(r, arn, invalid.id)).toEqual({
      State: 'unused',
      Reason: 'Target.InvalidState',
      Description: 'Target is in the stopped state',
    });
  });

  it('drains a deregistered target for the deregistration delay, then forgets it', async () => {
    const tw = makeWorld(clock);
    const r = tw.region(E1);
    const { arn, instances } = targetGroup(r, { delay: 30 });
    const id = instances[0]?.id as string;
    await clock.runFor(10_000);

    await r.elbv2.api.DeregisterTargets({ TargetGroupArn: arn, Targets: [{ Id: id }] });
    expect(await targetHealth(r, arn, id)).toEqual({
      State: 'draining',
      Reason: 'Target.DeregistrationInProgress',
      Description: 'Target deregistration is in progress',
    });
    expect(r.elbv2.albHealthy()).toBe(false);
    await clock.runFor(29_999);
    expect(r.elbv2.targetState(arn, id)).toBe('draining');
    await clock.runFor(1);
    expect(r.elbv2.targetState(arn, id)).toBeUndefined();
    expect(await health(r, arn)).toEqual([]);
    expect(await targetHealth(r, arn, id)).toEqual({
      State: 'unused',
      Reason: 'Target.NotRegistered',
      Description: 'Target is not registered to the target group',
    });
    // DeregisterTargets: "If the specified target does not exist, the action returns successfully."
    expect(await r.elbv2.api.DeregisterTargets({ TargetGroupArn: arn, Targets: [{ Id: id }] })).toEqual({});
  });

  it('answers with AWS error names', async () => {
    const tw = makeWorld(clock);
    const r = tw.region(E1);
    const { arn } = targetGroup(r, { count: 0 });
    const stopped = r.ec2.add('stopped');

    expect(
      (
        await errorOf(() =>
          r.elbv2.api.RegisterTargets({ TargetGroupArn: tgArn(E1, 'nope'), Targets: [{ Id: stopped.id }] }),
        )
      ).name,
    ).toBe('TargetGroupNotFound');
    expect(
      (
        await errorOf(() =>
          r.elbv2.api.RegisterTargets({ TargetGroupArn: arn, Targets: [{ Id: 'i-0123456789abcdef0' }] }),
        )
      ).name,
    ).toBe('InvalidTarget');
    const notRunning = await errorOf(() =>
      r.elbv2.api.RegisterTargets({ TargetGroupArn: arn, Targets: [{ Id: stopped.id }] }),
    );
    expect(notRunning).toMatchObject({
      name: 'InvalidTarget',
      message: expect.stringContaining('not in a running state'),
    });
    expect(
      (await errorOf(() => r.elbv2.api.DescribeTargetHealth({ TargetGroupArn: tgArn(E1, 'nope') }))).name,
    ).toBe('TargetGroupNotFound');
  });

  it('describes target groups with their health check settings', async () => {
    const tw = makeWorld(clock);
    const r = tw.region(E1);
    const { arn } = targetGroup(r, { count: 0, interval: 15 });
    const out = (await r.elbv2.api.DescribeTargetGroups({ TargetGroupArns: [arn] })) as {
      TargetGroups: unknown[];
    };
    expect(out.TargetGroups).toEqual([
      expect.objectContaining({
        TargetGroupArn: arn,
        TargetGroupName: 'art-member',
        HealthCheckPath: ALB_HEALTH_PATH,
        HealthCheckIntervalSeconds: 15,
        HealthyThresholdCount: 3,
        UnhealthyThresholdCount: 2,
        LoadBalancerArns: [r.elbv2.loadBalancerArn],
      }),
    ]);
    expect((await errorOf(() => r.elbv2.api.DescribeTargetGroups({ Names: ['nope'] }))).name).toBe(
      'TargetGroupNotFound',
    );
  });

  it('loses the ALB with its region: targets time out and the ALB stops answering', async () => {
    const tw = makeWorld(clock);
    const r = tw.region(E1);
    const { arn, instances } = targetGroup(r);
    const id = instances[0]?.id as string;
    await clock.runFor(10_000);
    expect(r.elbv2.albHealthy()).toBe(true);

    tw.faults.regionDown(E1);
    expect(r.elbv2.albHealthy()).toBe(false);
    await clock.runFor(20_000);
    expect(await targetHealth(r, arn, id)).toMatchObject({ State: 'unhealthy', Reason: 'Target.Timeout' });
  });

  it('publishes HealthyHostCount and UnHealthyHostCount every minute, so alarms on them work', async () => {
    const tw = makeWorld(clock);
    const r = tw.region(E1);
    const { arn, instances } = targetGroup(r, { count: 2 });
    const dimensions = r.elbv2.metricDimensions(arn);
    expect(dimensions).toEqual({
      TargetGroup: 'targetgroup/art-member/73e2d6bc24d8a067',
      LoadBalancer: r.elbv2.loadBalancerDimension,
    });
    expect(r.elbv2.loadBalancerDimension).toMatch(/^app\/art-alb\/[0-9a-f]{16}$/);
    r.cloudwatch.putAlarm({
      name: 'unhealthy-hosts',
      namespace: 'AWS/ApplicationELB',
      metricName: 'UnHealthyHostCount',
      dimensions,
      statistic: 'Maximum',
      periodSeconds: 60,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: 0,
      comparison: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    });

    await clock.runFor(2 * MIN);
    expect(r.cloudwatch.alarmState('unhealthy-hosts')).toBe('OK');
    (instances[0] as { node: { healthy: boolean } }).node.healthy = false;
    await clock.runFor(2 * MIN);
    expect(r.elbv2.targetState(arn, instances[0]?.id as string)).toBe('unhealthy');
    expect(r.cloudwatch.alarmState('unhealthy-hosts')).toBe('ALARM');

    const start = new Date(clock.startAt);
    const stats = (await r.cloudwatch.api.GetMetricStatistics({
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'HealthyHostCount',
      Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
      StartTime: start,
      EndTime: new Date(clock.now() + 1),
      Period: 60,
      Statistics: ['Minimum'],
    })) as { Datapoints: { Timestamp: Date; Minimum: number }[] };
    expect(stats.Datapoints.map((d) => [d.Timestamp.getTime() - clock.startAt, d.Minimum])).toEqual([
      [1 * MIN, 2],
      [2 * MIN, 2],
      [3 * MIN, 1],
      [4 * MIN, 1],
    ]);
  });
});

// ==================================================================================================== CloudWatch

function alarm(name: string, overrides: Partial<AlarmSpec> = {}): AlarmSpec {
  return {
    name,
    namespace: 'Test',
    metricName: 'Value',
    dimensions: { Cluster: 'art' },
    statistic: 'Maximum',
    periodSeconds: 60,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    threshold: 50,
    comparison: 'GreaterThanThreshold',
    treatMissingData: 'missing',
    ...overrides,
  };
}

async function put(r: TestRegion, value: number, at?: number) {
  await r.cloudwatch.api.PutMetricData({
    Namespace: 'Test',
    MetricData: [
      {
        MetricName: 'Value',
        Dimensions: [{ Name: 'Cluster', Value: 'art' }],
        Value: value,
        ...(at === undefined ? {} : { Timestamp: new Date(at) }),
      },
    ],
  });
}

describe('CloudWatch alarm evaluation', () => {
  it('takes a Date timestamp made in another realm (the world clones inputs with Node’s structuredClone)', async () => {
    const tw = makeWorld(clock);
    const r = tw.region(E1);
    r.cloudwatch.putAlarm(alarm('realm', { datapointsToAlarm: 1, evaluationPeriods: 1 }));
    const foreign = vm.runInNewContext(`new Date(${clock.now()})`) as Date;
    expect(foreign instanceof Date).toBe(false);
    await r.cloudwatch.api.PutMetricData({
      Namespace: 'Test',
      MetricData: [
        {
          MetricName: 'Value',
          Dimensions: [{ Name: 'Cluster', Value: 'art' }],
          Value: 70,
          Timestamp: foreign,
        },
      ],
    });
    await clock.runFor(MIN);
    expect(r.cloudwatch.alarmState('realm')).toBe('ALARM');
  });

  it('goes to ALARM when M of the last N datapoints breach', async () => {
    const tw = makeWorld(clock);
    const r = tw.region(E1);
    r.cloudwatch.putAlarm(alarm('m-of-n', { datapointsToAlarm: 2 }));
    const states: (AlarmState | undefined)[] = [];
    for (const v of [60, 10, 70, 10, 10]) {
      await put(r, v);
      await clock.runFor(MIN);
      states.push(r.cloudwatch.alarmState('m-of-n'));
    }
    // [60] alone is too few to decide; [60,10] has a non-breaching datapoint; [60,10,70] is 2 of 3;
    // [10,70,10] is 1 of 3; [70,10,10] too.
    expect(states).toEqual(['INSUFFICIENT_DATA', 'OK', 'ALARM', 'OK', 'OK']);
  });

  // CloudWatch User Guide, "How alarm state is evaluated when data is missing": the two documented tables.
  // 0 = not breaching, X = breaching, - = missing, oldest first; columns MISSING, IGNORE, BREACHING, NOT BREACHING.
  const table: [number, string, [string, string, string, string]][] = [
    [3, '0 - X - X', ['OK', 'OK', 'OK', 'OK']],
    [3, '0 - - - -', ['OK', 'OK', 'OK', 'OK']],
    [3, '- - - - -', ['INSUFFICIENT_DATA', 'retain', 'ALARM', 'OK']],
    [3, '0 X X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    [3, '- - - - X', ['INSUFFICIENT_DATA', 'retain', 'ALARM', 'OK']],
    [3, 'X - - - -', ['ALARM', 'retain', 'ALARM', 'OK']],
    [2, '0 - X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    [2, '0 0 X 0 X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    [2, '0 - X - -', ['OK', 'OK', 'ALARM', 'OK']],
    [2, '- - - - 0', ['OK', 'OK', 'ALARM', 'OK']],
    [2, '- - - - X', ['INSUFFICIENT_DATA', 'retain', 'ALARM', 'OK']],
  ];
  const modes = ['missing', 'ignore', 'breaching', 'notBreaching'] as const;

  it.each(
    table.flatMap(([m, points, expected]) =>
      (['OK', 'ALARM'] as const).map((prior) => [m, points, prior, expected] as const),
    ),
  )(
    '%i of 3, datapoints %s, from %s: each treatMissingData as documented',
    async (m, points, prior, expected) => {
      const tw = makeWorld(clock);
      const r = tw.region(E1);
      for (const mode of modes)
        r.cloudwatch.putAlarm(alarm(mode, { datapointsToAlarm: m, treatMissingData: mode }));
      const t0 = clock.now();
      const values = points.split(' ');
      for (const [i, v] of values.entries()) {
        if (v !== '-') await put(r, v === 'X' ? 90 : 10, t0 - 4 * MIN + i * MIN);
      }
      for (const mode of modes) {
        await r.cloudwatch.api.SetAlarmState({ AlarmName: mode, StateValue: prior, StateReason: 'test' });
      }
      await clock.runFor(MIN);
      const got = modes.map((mode) => r.cloudwatch.alarmState(mode));
      expect(got).toEqual(expected.map((e) => (e === 'retain' ? prior : e)));
    },
  );

  it('emits exactly one AWS-shaped CloudWatch Alarm State Change event per state change', async () => {
    const tw = makeWorld(clock);
    const r = tw.region(E1);
    r.cloudwatch.putAlarm(
      alarm('switch', { evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: 'ignore' }),
    );
    await put(r, 90);
    await clock.runFor(MIN);
    await put(r, 95);
    await clock.runFor(MIN);

    expect(r.events.emitted).toHaveLength(1);
    const event = r.events.emitted[0];
    const parsed = MetricAlarmStateChangeEventSchema.safeParse(event);
    expect(parsed.error).toBeUndefined();
    expect(event).toMatchObject({
      source: 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      resources: [`arn:aws:cloudwatch:${E1}:111122223333:alarm:switch`],
      detail: {
        alarmName: 'switch',
        state: {
          value: 'ALARM',
          reason: expect.stringMatching(
            /^Threshold Crossed: 1 out of the last 1 datapoints \[90 \(05\/01\/26 09:00:00\)\] was greater than the threshold \(50\.0\) \(minimum 1 datapoint for INSUFFICIENT_DATA -> ALARM transition\)\.$/,
          ),
          timestamp: '2026-01-05T09:01:00.000+0000',
        },
        previousState: { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation' },
        configuration: {
          metrics: [
            {
              metricStat: {
                metric: { namespace: 'Test', name: 'Value', dimensions: { Cluster: 'art' } },
                period: 60,
                stat: 'Maximum',
              },
              returnData: true,
            },
          ],
        },
      },
    });
    const detail = event?.detail as { state: { reasonData: string } } | undefined;
    expect(JSON.parse(detail?.state.reasonData ?? '{}')).toMatchObject({
      version: '1.0',
      statistic: 'Maximum',
      period: 60,
      recentDatapoints: [90],
      threshold: 50,
    });
    expect(tw.timeline.find('cw', 'alarm switch: INSUFFICIENT_DATA -> ALARM')).toHaveLength(1);
  });

  it('treats SetAlarmState as temporary and emits only for real changes', async () => {
    const tw = makeWorld(clock);
    const r = tw.region(E1);
    r.cloudwatch.putAlarm(
      alarm('a', { evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: 'notBreaching' }),
    );
    await clock.runFor(MIN);
    expect(r.cloudwatch.alarmState('a')).toBe('OK');
    await r.cloudwatch.api.SetAlarmState({ AlarmName: 'a', StateValue: 'OK', StateReason: 'same' });
    expect(r.events.emitted).toHaveLength(1);
    await r.cloudwatch.api.SetAlarmState({ AlarmName: 'a', StateValue: 'ALARM', StateReason: 'drill' });
    expect(r.cloudwatch.alarmState('a')).toBe('ALARM');
    await clock.runFor(MIN);
    expect(r.cloudwatch.alarmState('a')).toBe('OK');
    expect(r.events.emitted.map((e) => (e.detail as { state: { value: string } }).state.value)).toEqual([
      'OK',
      'ALARM',
      'OK',
    ]);
    for (const e of r.events.emitted)
      expect(MetricAlarmStateChangeEventSchema.safeParse(e).success).toBe(true);
  });

  it('creates alarms with PutMetricAlarm and describes them', async () => {
    const tw = makeWorld(clock);
    const r = tw.region(E1);
    await r.cloudwatch.api.PutMetricAlarm({
      AlarmName: 'serving',
      AlarmDescription: 'ALARM = evacuated',
      Namespace: 'ArtifactoryHA',
      MetricName: 'RegionServing',
      Dimensions: [{ Name: 'Region', Value: E1 }],
      Statistic: 'Minimum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'ignore',
      AlarmActions: ['arn:aws:sns:us-east-1:111122223333:topic'],
    });
    const out = (await r.cloudwatch.api.DescribeAlarms({ AlarmNames: ['serving', 'absent'] })) as {
      MetricAlarms: Record<string, unknown>[];
      CompositeAlarms: unknown[];
    };
    expect(out.CompositeAlarms).toEqual([]);
    expect(out.MetricAlarms).toEqual([
      expect.objectContaining({
        AlarmName: 'serving',
        AlarmArn: `arn:aws:cloudwatch:${E1}:111122223333:alarm:serving`,
        AlarmDescription: 'ALARM = evacuated',
        StateValue: 'INSUFFICIENT_DATA',
        StateReason: 'Unchecked: Initial alarm creation',
        StateUpdatedTimestamp: new Date(clock.startAt),
        DatapointsToAlarm: 1,
        TreatMissingData: 'ignore',
        Dimensions: [{ Name: 'Region', Value: E1 }],
      }),
    ]);

    await r.cloudwatch.api.PutMetricData({
      Namespace: 'ArtifactoryHA',
      MetricData: [{ MetricName: 'RegionServing', Dimensions: [{ Name: 'Region', Value: E1 }], Value: 0 }],
    });
    await clock.runFor(MIN);
    expect(r.cloudwatch.alarmState('serving')).toBe('ALARM');
    expect(r.cloudwatch.actionsInvoked).toEqual([
      {
        at: clock.startAt + MIN,
        alarmName: 'serving',
        state: 'ALARM',
        actions: ['arn:aws:sns:us-east-1:111122223333:topic'],
      },
    ]);
    // Silence keeps the state (ignore).
    await clock.runFor(10 * MIN);
    expect(r.cloudwatch.alarmState('serving')).toBe('ALARM');
  });

  it('rejects what AWS rejects, with its error names', async () => {
    const tw = makeWorld(clock);
    const r = tw.region(E1);
    const base = {
      AlarmName: 'x',
      Namespace: 'Test',
      MetricName: 'Value',
      Statistic: 'Average' as const,
      EvaluationPeriods: 2,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanThreshold' as const,
    };
    expect((await errorOf(() => r.cloudwatch.api.PutMetricAlarm({ ...base, Period: 45 }))).name).toBe(
      'InvalidParameterValue',
    );
    expect(
      (await errorOf(() => r.cloudwatch.api.PutMetricAlarm({ ...base, Period: 60, DatapointsToAlarm: 3 })))
        .name,
    ).toBe('InvalidParameterValue');
    expect(
      (
        await errorOf(() =>
          r.cloudwatch.api.SetAlarmState({ AlarmName: 'x', StateValue: 'OK', StateReason: 'r' }),
        )
      ).name,
    ).toBe('ResourceNotFound');
    expect(
      (
        await errorOf(() =>
          r.cloudwatch.api.PutMetricData({
            Namespace: 'AWS/EC2',
            MetricData: [{ MetricName: 'm', Value: 1 }],
          }),
        )
      ).name,
    ).toBe('InvalidParameterValue');
    expect(
      (
        await errorOf(() =>
          r.cloudwatch.api.PutMetricData({
            Namespace: 'Test',
            MetricData: [{ MetricName: 'm', Value: Number.NaN }],
          }),
        )
      ).name,
    ).toBe('InvalidParameterValue');
    expect(
      (
        await errorOf(() =>
          r.cloudwatch.api.PutMetricData({
            Namespace: 'Test',
            MetricData: [{ MetricName: 'm', Value: 1, Values: [1] }],
          }),
        )
      ).name,
    ).toBe('InvalidParameterCombination');
  });

  it('aggregates statistics per period in GetMetricStatistics', async () => {
    const tw = makeWorld(clock);
    const r = tw.region(E1);
    await r.cloudwatch.api.PutMetricData({
      Namespace: 'Test',
      MetricData: [
        {
          MetricName: 'Value',
          Dimensions: [{ Name: 'Cluster', Value: 'art' }],
          Values: [1, 3],
          Counts: [2, 1],
        },
      ],
    });
    await clock.runFor(MIN);
    await put(r, 5);
    const out = (await r.cloudwatch.api.GetMetricStatistics({
      Namespace: 'Test',
      MetricName: 'Value',
      Dimensions: [{ Name: 'Cluster', Value: 'art' }],
      StartTime: new Date(clock.startAt),
      EndTime: new Date(clock.startAt + 2 * MIN),
      Period: 60,
      Statistics: ['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum'],
    })) as { Datapoints: Record<string, unknown>[] };
    expect(out.Datapoints).toEqual([
      {
        Timestamp: new Date(clock.startAt),
        SampleCount: 3,
        Sum: 5,
        Average: 5 / 3,
        Minimum: 1,
        Maximum: 3,
        Unit: 'None',
      },
      {
        Timestamp: new Date(clock.startAt + MIN),
        SampleCount: 1,
        Sum: 5,
        Average: 5,
        Minimum: 5,
        Maximum: 5,
        Unit: 'None',
      },
    ]);
  });
});

// ==================================================================================================== Route 53

interface Routing {
  readonly endpoint: Record<string, string>;
  readonly switchCheck: Record<string, string>;
  readonly calculated: Record<string, string>;
  readonly instance: Record<string, FakeInstance>;
}

/** What the two stacks deploy: per region an ALB with a healthy node, the switch alarm, three checks, a record. */
function routing(tw: TestWorld, regions: readonly string[] = [E1, W1]): Routing {
  const out: Routing = { endpoint: {}, switchCheck: {}, calculated: {}, instance: {} };
  for (const name of regions) {
    const r = tw.region(name);
    const { instances } = targetGroup(r);
    out.instance[name] = instances[0] as FakeInstance;
    const dns = `alb-${name}.example.com`;
    tw.route53.registerAlb(dns, name);
    r.cloudwatch.putAlarm({
      name: `art-${name}-region-serving`,
      namespace: 'ArtifactoryHA',
      metricName: 'RegionServing',
      dimensions: { Cluster: 'art', Region: name },
      statistic: 'Minimum',
      periodSeconds: 60,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: 1,
      comparison: 'LessThanThreshold',
      treatMissingData: 'ignore',
    });
    const endpoint = tw.route53.createHealthCheck(
      {
        Type: 'HTTPS',
        FullyQualifiedDomainName: dns,
        Port: 443,
        ResourcePath: ALB_HEALTH_PATH,
        EnableSNI: true,
        RequestInterval: 10,
        FailureThreshold: 3,
      },
      { name: `${name}-endpoint` },
    );
    const switchCheck = tw.route53.createHealthCheck(
      {
        Type: 'CLOUDWATCH_METRIC',
        AlarmIdentifier: { Name: `art-${name}-region-serving`, Region: name as never },
        InsufficientDataHealthStatus: 'Healthy',
      },
      { name: `${name}-switch` },
    );
    const calculated = tw.route53.createHealthCheck(
      { Type: 'CALCULATED', ChildHealthChecks: [endpoint, switchCheck], HealthThreshold: 2 },
      { name: `${name}-serving` },
    );
    tw.route53.createLatencyRecord({
      name: RECORD,
      setIdentifier: name,
      region: name,
      value: dns,
      healthCheckId: calculated,
    });
    out.endpoint[name] = endpoint;
    out.switchCheck[name] = switchCheck;
    out.calculated[name] = calculated;
  }
  return out;
}

async function publishServing(r: TestRegion, value: 0 | 1) {
  await r.cloudwatch.api.PutMetricData({
    Namespace: 'ArtifactoryHA',
    MetricData: [
      {
        MetricName: 'RegionServing',
        Dimensions: [
          { Name: 'Cluster', Value: 'art' },
          { Name: 'Region', Value: r.name },
        ],
        Value: value,
      },
    ],
  });
}

describe('Route 53 latency routing', () => {
  it('answers with the nearest healthy region', async () => {
    const tw = makeWorld(clock);
    const rt = routing(tw);
    await clock.runFor(MIN);
    expect(tw.route53.servingRegions(RECORD)).toEqual([W1, E1]);
    expect(tw.route53.resolve(RECORD, E1)).toEqual({
      answer: `alb-${E1}.example.com`,
      region: E1,
      failOpen: false,
    });
    expect(tw.route53.resolve(`${RECORD}.`, 'eu-central-1')).toMatchObject({ region: W1, failOpen: false });
    expect(tw.route53.resolve(RECORD, 'us-west-2')).toMatchObject({ region: E1 });
    expect(tw.route53.resolve('other.example.com', E1)).toBeUndefined();

    // eu-west-1's only node fails: ELB marks it unhealthy (2 x 10 s), then Route 53 (3 x 10 s).
    (rt.instance[W1] as FakeInstance).node.healthy = false;
    await clock.runFor(MIN);
    expect(tw.route53.healthy(rt.endpoint[W1] as string)).toBe(false);
    expect(tw.route53.servingRegions(RECORD)).toEqual([E1]);
    expect(tw.route53.resolve(RECORD, 'eu-central-1')).toMatchObject({ region: E1, failOpen: false });
    expect(tw.timeline.find('r53', `${RECORD} answers from ${E1}`)).toHaveLength(1);
  });

  it('takes a region out through the CloudWatch switch and puts it back', async () => {
    const tw = makeWorld(clock);
    const rt = routing(tw);
    await clock.runFor(MIN);
    // No data yet: the switch alarm is INSUFFICIENT_DATA and the switch check says Healthy.
    expect(tw.route53.healthy(rt.switchCheck[E1] as string)).toBe(true);

    await publishServing(tw.region(E1), 0);
    await clock.runFor(MIN);
    expect(tw.region(E1).cloudwatch.alarmState(`art-${E1}-region-serving`)).toBe('ALARM');
    expect(tw.route53.healthy(rt.calculated[E1] as string)).toBe(false);
    expect(tw.route53.resolve(RECORD, E1)).toMatchObject({ region: W1, failOpen: false });

    await publishServing(tw.region(E1), 1);
    await clock.runFor(MIN);
    expect(tw.route53.resolve(RECORD, E1)).toMatchObject({ region: E1, failOpen: false });
  });

  it('answers as if all records were healthy when none is (fail-open)', async () => {
    const tw = makeWorld(clock);
    const rt = routing(tw);
    await clock.runFor(MIN);
    for (const name of [E1, W1]) (rt.instance[name] as FakeInstance).node.healthy = false;
    await clock.runFor(MIN);
    expect(tw.route53.servingRegions(RECORD)).toEqual([]);
    expect(tw.route53.resolve(RECORD, E1)).toEqual({
      answer: `alb-${E1}.example.com`,
      region: E1,
      failOpen: true,
    });
    expect(tw.route53.resolve(RECORD, 'eu-central-1')).toMatchObject({ region: W1, failOpen: true });
    expect(tw.timeline.find('r53', /fail-open/)).toHaveLength(1);
  });

  it('models latency deterministically: 0 within a region, symmetric, nearer is lower', () => {
    expect(latencyMs(E1, E1)).toBe(0);
    expect(latencyMs(E1, W1)).toBe(latencyMs(W1, E1));
    expect(latencyMs(E1, 'us-east-2')).toBeLessThan(latencyMs(E1, W1));
    expect(latencyMs('eu-central-1', W1)).toBeLessThan(latencyMs('eu-central-1', E1));
    expect(latencyMs('xx-test-1', E1)).toBe(latencyMs(E1, 'xx-test-1'));
  });
});

describe('Route 53 health checks', () => {
  it('turns an endpoint check unhealthy after FailureThreshold failed observations and reports them', async () => {
    const tw = makeWorld(clock);
    const rt = routing(tw, [E1]);
    const id = rt.endpoint[E1] as string;
    // The target is healthy from the ELB's first check (10 s); by 30 s every checker probed it twice since.
    await clock.runFor(30_000);
    const status = (await tw.route53.api.GetHealthCheckStatus({ HealthCheckId: id })) as {
      HealthCheckObservations: { Region: string; StatusReport: { Status: string; CheckedTime: Date } }[];
    };
    expect(status.HealthCheckObservations).toHaveLength(8);
    expect(status.HealthCheckObservations[0]?.Region).toBe('us-east-1');
    for (const o of status.HealthCheckObservations) {
      expect(o.StatusReport.Status).toBe('Success: HTTP Status Code 200, OK');
      expect(o.StatusReport.CheckedTime.getTime()).toBeGreaterThan(clock.now() - 10_000);
    }
    // Each checker probes on its own schedule: their observations are not all at the same instant.
    expect(
      new Set(status.HealthCheckObservations.map((o) => o.StatusReport.CheckedTime.getTime())).size,
    ).toBe(8);

    (rt.instance[E1] as FakeInstance).node.healthy = false;
    await clock.runFor(20_000); // the ELB takes the target out at 50 s
    expect(tw.route53.healthy(id)).toBe(true);
    await clock.runFor(20_000);
    expect(tw.route53.healthy(id)).toBe(true); // each checker: at most 2 failed observations of 3
    await clock.runFor(10_000);
    expect(tw.route53.healthy(id)).toBe(false);
    const failing = (await tw.route53.api.GetHealthCheckStatus({ HealthCheckId: id })) as {
      HealthCheckObservations: { StatusReport: { Status: string } }[];
    };
    expect(failing.HealthCheckObservations.map((o) => o.StatusReport.Status)).toEqual(
      Array(8).fill('Failure: HTTP Status Code 503, Service Unavailable'),
    );
  });

  it('considers a disabled health check healthy and stops probing', async () => {
    const tw = makeWorld(clock);
    const rt = routing(tw, [E1]);
    const id = rt.endpoint[E1] as string;
    (rt.instance[E1] as FakeInstance).node.healthy = false;
    await clock.runFor(MIN);
    expect(tw.route53.healthy(id)).toBe(false);

    const updated = (await tw.route53.api.UpdateHealthCheck({
      HealthCheckId: id,
      Disabled: true,
      HealthCheckVersion: 1,
    })) as {
      HealthCheck: { HealthCheckVersion: number; HealthCheckConfig: { Disabled: boolean } };
    };
    expect(updated.HealthCheck).toMatchObject({
      HealthCheckVersion: 2,
      HealthCheckConfig: { Disabled: true },
    });
    expect(tw.route53.healthy(id)).toBe(true);
    expect(tw.route53.healthy(rt.calculated[E1] as string)).toBe(true);
    const last = tw.route53.lastObservation(id);
    await clock.runFor(MIN);
    expect(tw.route53.lastObservation(id)).toBe(last);

    // Re-enabled, it starts over: healthy until FailureThreshold observations say otherwise.
    await tw.route53.api.UpdateHealthCheck({ HealthCheckId: id, Disabled: false });
    expect(tw.route53.healthy(id)).toBe(true);
    await clock.runFor(30_000);
    expect(tw.route53.healthy(id)).toBe(false);
  });

  it('inverts a health check, and a calculated parent sees the inverted status', async () => {
    const tw = makeWorld(clock);
    const rt = routing(tw, [E1]);
    await clock.runFor(MIN);
    const id = rt.endpoint[E1] as string;
    expect(tw.route53.healthy(id)).toBe(true);
    await tw.route53.api.UpdateHealthCheck({ HealthCheckId: id, Inverted: true });
    expect(tw.route53.healthy(id)).toBe(false);
    expect(tw.route53.healthy(rt.calculated[E1] as string)).toBe(false);
    await tw.route53.api.UpdateHealthCheck({ HealthCheckId: id, Inverted: false });
    expect(tw.route53.healthy(rt.calculated[E1] as string)).toBe(true);
  });

  it('makes a calculated check healthy when at least HealthThreshold children are', async () => {
    const tw = makeWorld(clock);
    const fixed = (status: 'Healthy' | 'Unhealthy') =>
      tw.route53.createHealthCheck({
        Type: 'CLOUDWATCH_METRIC',
        AlarmIdentifier: { Region: E1, Name: 'no-such-alarm' },
        InsufficientDataHealthStatus: status,
      });
    const children = [fixed('Healthy'), fixed('Unhealthy'), fixed('Healthy')];
    const calc = (HealthThreshold: number) =>
      tw.route53.createHealthCheck({ Type: 'CALCULATED', ChildHealthChecks: children, HealthThreshold });
    const [two, three, zero, four] = [calc(2), calc(3), calc(0), calc(4)];
    expect([two, three, zero, four].map((id) => tw.route53.healthy(id))).toEqual([true, false, true, false]);

    // A disabled child counts as healthy.
    await tw.route53.api.UpdateHealthCheck({ HealthCheckId: children[1] as string, Disabled: true });
    expect(tw.route53.healthy(three)).toBe(true);
    await tw.route53.api.UpdateHealthCheck({
      HealthCheckId: three,
      ChildHealthChecks: [children[0] as string],
      HealthThreshold: 2,
    });
    expect(tw.route53.healthy(three)).toBe(false);
  });

  it('maps an alarm with insufficient data per InsufficientDataHealthStatus', async () => {
    const tw = makeWorld(clock);
    const cw = tw.region(E1).cloudwatch;
    cw.putAlarm(alarm('a', { evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: 'ignore' }));
    const check = (status: 'Healthy' | 'Unhealthy' | 'LastKnownStatus') =>
      tw.route53.createHealthCheck({
        Type: 'CLOUDWATCH_METRIC',
        AlarmIdentifier: { Region: E1, Name: 'a' },
        InsufficientDataHealthStatus: status,
      });
    const ids = [check('Healthy'), check('Unhealthy'), check('LastKnownStatus')];
    const statuses = () => ids.map((id) => tw.route53.healthy(id));
    const set = async (state: AlarmState) => {
      await cw.api.SetAlarmState({ AlarmName: 'a', StateValue: state, StateReason: 'test' });
      await clock.runFor(10_000);
    };

    expect(statuses()).toEqual([true, false, true]); // a new check with no last known status is healthy
    await set('ALARM');
    expect(statuses()).toEqual([false, false, false]);
    await set('INSUFFICIENT_DATA');
    expect(statuses()).toEqual([true, false, false]);
    await set('OK');
    expect(statuses()).toEqual([true, true, true]);
    await set('INSUFFICIENT_DATA');
    expect(statuses()).toEqual([true, false, true]);
  });

  it('refuses alarm-based checks on high-resolution alarms', async () => {
    const tw = makeWorld(clock);
    tw.region(E1).cloudwatch.putAlarm(
      alarm('fast', { periodSeconds: 10, evaluationPeriods: 1, datapointsToAlarm: 1 }),
    );
    const err = await errorOf(() =>
      tw.route53.createHealthCheck({
        Type: 'CLOUDWATCH_METRIC',
        AlarmIdentifier: { Region: E1, Name: 'fast' },
      }),
    );
    expect(err.name).toBe('InvalidInput');
  });

  it('keeps RequestInterval fixed, guards versions and names missing checks', async () => {
    const tw = makeWorld(clock);
    const rt = routing(tw, [E1]);
    const id = rt.endpoint[E1] as string;
    const r53 = tw.route53.api;
    expect(
      (await errorOf(() => r53.UpdateHealthCheck({ HealthCheckId: id, RequestInterval: 30 } as never))).name,
    ).toBe('InvalidInput');
    expect(
      (
        await errorOf(() =>
          r53.UpdateHealthCheck({ HealthCheckId: id, HealthCheckVersion: 7, Inverted: true }),
        )
      ).name,
    ).toBe('HealthCheckVersionMismatch');
    expect(
      (await errorOf(() => r53.UpdateHealthCheck({ HealthCheckId: id, FailureThreshold: 11 }))).name,
    ).toBe('InvalidInput');
    expect((await errorOf(() => r53.GetHealthCheck({ HealthCheckId: 'nope' }))).name).toBe(
      'NoSuchHealthCheck',
    );
    expect(
      (await errorOf(() => r53.GetHealthCheckStatus({ HealthCheckId: rt.calculated[E1] as string }))).name,
    ).toBe('InvalidInput');
    const got = await r53.GetHealthCheck({ HealthCheckId: rt.switchCheck[E1] as string });
    expect(got.HealthCheck).toMatchObject({
      Id: rt.switchCheck[E1],
      HealthCheckVersion: 1,
      HealthCheckConfig: {
        Type: 'CLOUDWATCH_METRIC',
        InsufficientDataHealthStatus: 'Healthy',
        Inverted: false,
        Disabled: false,
      },
      CloudWatchAlarmConfiguration: {
        MetricName: 'RegionServing',
        Period: 60,
        Statistic: 'Minimum',
        ComparisonOperator: 'LessThanThreshold',
      },
    });
    const list = (await r53.ListHealthChecks({ MaxItems: 2 })) as {
      HealthChecks: unknown[];
      IsTruncated: boolean;
      NextMarker: string;
    };
    expect(list).toMatchObject({ IsTruncated: true, NextMarker: rt.calculated[E1] });
    expect(list.HealthChecks).toHaveLength(2);
  });

  it('lists the latency records of the hosted zone', async () => {
    const tw = makeWorld(clock);
    const rt = routing(tw);
    const out = (await tw.route53.api.ListResourceRecordSets({ HostedZoneId: 'Z0TWIN0000000000000' })) as {
      ResourceRecordSets: unknown[];
      IsTruncated: boolean;
    };
    expect(out.IsTruncated).toBe(false);
    expect(out.ResourceRecordSets).toEqual([
      {
        Name: `${RECORD}.`,
        Type: 'CNAME',
        SetIdentifier: W1,
        Region: W1,
        TTL: 60,
        ResourceRecords: [{ Value: `alb-${W1}.example.com` }],
        HealthCheckId: rt.calculated[W1],
      },
      {
        Name: `${RECORD}.`,
        Type: 'CNAME',
        SetIdentifier: E1,
        Region: E1,
        TTL: 60,
        ResourceRecords: [{ Value: `alb-${E1}.example.com` }],
        HealthCheckId: rt.calculated[E1],
      },
    ]);
    expect((await errorOf(() => tw.route53.api.ListResourceRecordSets({ HostedZoneId: 'ZNOPE' }))).name).toBe(
      'NoSuchHostedZone',
    );
  });

  it('fails its API while us-east-1 is lost, while health checking and DNS answers go on', async () => {
    const tw = makeWorld(clock);
    const rt = routing(tw);
    await clock.runFor(MIN);
    tw.faults.regionDown(E1);

    const err = (await errorOf(() =>
      tw.route53.api.UpdateHealthCheck({ HealthCheckId: rt.endpoint[W1] as string, Inverted: true }),
    )) as {
      name: string;
      $metadata: { httpStatusCode: number };
    };
    expect(err.name).toBe('ServiceUnavailable');
    expect(err.$metadata.httpStatusCode).toBe(503);
    expect(
      (await errorOf(() => tw.route53.api.GetHealthCheck({ HealthCheckId: rt.endpoint[W1] as string }))).name,
    ).toBe('ServiceUnavailable');

    // The data plane: us-east-1's endpoint check fails (timeouts), eu-west-1 keeps serving, DNS follows.
    await clock.runFor(30_000);
    expect(tw.route53.healthy(rt.endpoint[E1] as string)).toBe(false);
    expect(tw.route53.lastObservation(rt.endpoint[E1] as string)?.status).toMatch(
      /^Failure: Connection timed out/,
    );
    expect(tw.route53.healthy(rt.endpoint[W1] as string)).toBe(true);
    expect(tw.route53.resolve(RECORD, E1)).toMatchObject({ region: W1, failOpen: false });

    tw.faults.regionUp(E1);
    await tw.route53.api.UpdateHealthCheck({ HealthCheckId: rt.endpoint[W1] as string, FailureThreshold: 2 });
  });
});

// ==================================================================================================== determinism

describe('determinism', () => {
  async function scenario(seed: number) {
    const c = new VirtualClock();
    clock.uninstall();
    c.install();
    try {
      const tw = makeWorld(c, { seed });
      const rt = routing(tw);
      await c.runFor(MIN);
      (rt.instance[W1] as FakeInstance).node.healthy = false;
      await publishServing(tw.region(E1), 0);
      await c.runFor(2 * MIN);
      await publishServing(tw.region(E1), 1);
      await c.runFor(2 * MIN);
      return {
        ids: [rt.endpoint[E1], rt.switchCheck[E1], rt.calculated[W1], tw.region(E1).elbv2.loadBalancerArn],
        timeline: tw.timeline.entries.map((e) => `${e.at} ${e.region} ${e.source} ${e.message}`),
        events: tw.region(E1).events.emitted.map((e) => JSON.stringify(e)),
      };
    } finally {
      c.uninstall();
      clock.install();
    }
  }

  it('gives the same ids, timeline and events for the same seed', async () => {
    const a = await scenario(7);
    const b = await scenario(7);
    expect(a).toEqual(b);
    expect(a.timeline.some((l) => l.includes('fail-open'))).toBe(true);
    const other = await scenario(8);
    expect(other.ids).not.toEqual(a.ids);
  });
});
