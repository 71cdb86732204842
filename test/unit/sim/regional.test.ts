/**
 * The twin's regional behaviours (issue 14, contract §5) on the hand-made network world: Route 53's checkers
 * (the 18 % rule, the failure threshold per checker, a lost checker region), alarm checks on a lost CloudWatch
 * region per InsufficientDataHealthStatus, the regional faults (ALB lost, brownout, CloudWatch lost, ingestion
 * delay, Route 53 API failing, replication lag) and their refusals, and the degraded alarm's metric math.
 */
import fc from 'fast-check';
import { loadConfig } from '../../../infra/config/load';
import { degradedDatapoint, regionDegradedAlarmSpec } from '../../../infra/regional-routing';
import { VirtualClock } from '../../../sim/core/clock';
import type { AlarmSpec, SimContext } from '../../../sim/core/contracts';
import { Faults } from '../../../sim/core/faults';
import { Rng } from '../../../sim/core/rng';
import { Timeline } from '../../../sim/core/timeline';
import { parseExpression } from '../../../sim/services/cloudwatch-math';
import { ALB_HEALTH_PATH } from '../../../sim/services/elbv2';
import { CHECKER_REGIONS, EndpointCheckers } from '../../../sim/services/route53-checkers';
import { EXAMPLE_CONFIG } from '../../../sim/twin';
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
const MIN = 60_000;

let clock: VirtualClock;
beforeEach(() => {
  clock = new VirtualClock();
  clock.install();
});
afterEach(() => clock.uninstall());

// ---------------------------------------------------------------- checkers

/** Checkers over a probe the test controls per checker region. */
function checkers(
  tw: TestWorld,
  opts: { regions?: readonly string[]; interval?: number; threshold?: number } = {},
) {
  const ok = new Set<string>(opts.regions ?? CHECKER_REGIONS);
  const changes: { at: number; healthy: boolean }[] = [];
  const ctx: SimContext = {
    region: 'global',
    clock,
    rng: new Rng(9),
    timeline: tw.timeline,
    world: tw.world,
  };
  const c = new EndpointCheckers(
    ctx,
    opts.regions ?? CHECKER_REGIONS,
    {
      intervalSeconds: opts.interval ?? 10,
      failureThreshold: () => opts.threshold ?? 3,
      disabled: () => false,
      probe: (region) =>
        ok.has(region) ? { ok: true, status: 'Success' } : { ok: false, status: 'Failure' },
      changed: (healthy) => changes.push({ at: clock.now(), healthy }),
    },
    'test',
  );
  return { c, ok, changes };
}

describe('Route 53 checkers', () => {
  it('is healthy while more than 18 % of the checkers say so: 2 of 8 (25 %) yes, 1 of 8 (12.5 %) no', async () => {
    const tw = makeWorld(clock);
    const { c, ok } = checkers(tw);
    await clock.runFor(MIN);
    expect(c.counts()).toEqual({ reporting: 8, healthy: 8 });
    for (const r of CHECKER_REGIONS.slice(2)) ok.delete(r);
    await clock.runFor(MIN);
    expect(c.counts()).toEqual({ reporting: 8, healthy: 2 });
    expect(c.healthy()).toBe(true);
    ok.delete(CHECKER_REGIONS[1]);
    await clock.runFor(MIN);
    expect(c.counts()).toEqual({ reporting: 8, healthy: 1 });
    expect(c.healthy()).toBe(false);
    ok.add(CHECKER_REGIONS[1]);
    await clock.runFor(MIN);
    expect(c.healthy()).toBe(true);
    c.stop();
  });

  it('applies the failure threshold per checker: one passing probe resets its count', async () => {
    const tw = makeWorld(clock);
    const { c, ok, changes } = checkers(tw, {
      regions: ['us-east-1', 'us-west-1', 'eu-west-1'],
      threshold: 3,
    });
    await clock.runFor(30_000);
    ok.clear();
    await clock.runFor(20_000); // at most 2 failures each
    expect(c.counts().healthy).toBe(3);
    ok.add('us-east-1').add('us-west-1').add('eu-west-1');
    await clock.runFor(10_000); // one success each: counts start over
    ok.clear();
    await clock.runFor(20_000);
    expect(c.healthy()).toBe(true);
    await clock.runFor(10_000);
    expect(c.counts().healthy).toBe(0);
    expect(c.healthy()).toBe(false);
    expect(changes.filter((x) => !x.healthy)).toHaveLength(1);
    c.stop();
  });

  it('notices a failure within threshold × interval, never sooner than (threshold − 1) × interval', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const tw = makeWorld(clock, { seed });
      const ctx: SimContext = {
        region: 'global',
        clock,
        rng: new Rng(seed),
        timeline: tw.timeline,
        world: tw.world,
      };
      let up = true;
      let downAt: number | undefined;
      const c = new EndpointCheckers(
        ctx,
        CHECKER_REGIONS,
        {
          intervalSeconds: 30,
          failureThreshold: () => 3,
          disabled: () => false,
          probe: () => ({ ok: up, status: up ? 'Success' : 'Failure' }),
          changed: (healthy) => {
            if (!healthy) downAt = clock.now();
          },
        },
        `seed-${seed}`,
      );
      await clock.runFor(2 * MIN + seed * 7_000);
      const fault = clock.now();
      up = false;
      await clock.runFor(3 * MIN);
      const delay = (downAt as number) - fault;
      expect(delay).toBeGreaterThan(60_000);
      expect(delay).toBeLessThanOrEqual(90_000);
      c.stop();
    }
  });

  it('leaves a lost checker region out of the count (it stops reporting)', async () => {
    const tw = makeWorld(clock);
    const { c, ok } = checkers(tw);
    await clock.runFor(MIN);
    // Only us-east-1 and us-west-1 still see the endpoint healthy: 2 of 8.
    for (const r of CHECKER_REGIONS.slice(2)) ok.delete(r);
    await clock.runFor(MIN);
    expect(c.healthy()).toBe(true);
    tw.faults.regionDown('us-west-1');
    await clock.runFor(MIN);
    // 1 of the 7 reporting (14 %): unhealthy.
    expect(c.counts()).toEqual({ reporting: 7, healthy: 1 });
    expect(c.healthy()).toBe(false);
    c.stop();
  });
});

// ---------------------------------------------------------------- an ALB behind Route 53

function region(tw: TestWorld, name: string) {
  const r = tw.region(name);
  const arn = tgArn(name, 'art');
  r.elbv2.createTargetGroup({
    arn,
    healthCheckIntervalSeconds: 10,
    healthyThresholdCount: 3,
    unhealthyThresholdCount: 2,
    deregistrationDelaySeconds: 30,
  });
  const inst = r.ec2.add();
  r.elbv2.registerTargets(arn, [inst.id]);
  const dns = `alb-${name}.example.com`;
  tw.route53.registerAlb(dns, name);
  const endpoint = tw.route53.createHealthCheck({
    Type: 'HTTPS',
    FullyQualifiedDomainName: dns,
    ResourcePath: ALB_HEALTH_PATH,
    RequestInterval: 10,
    FailureThreshold: 3,
  });
  return { r, arn, inst: inst as FakeInstance, endpoint };
}

async function stat(r: TestRegion, metric: string, dims: Record<string, string>, start: number, end: number) {
  const out = (await r.cloudwatch.api.GetMetricStatistics({
    Namespace: 'AWS/ApplicationELB',
    MetricName: metric,
    Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })),
    StartTime: new Date(start),
    EndTime: new Date(end),
    Period: 60,
    Statistics: ['Sum'],
  })) as { Datapoints: { Sum: number; Timestamp: Date }[] };
  return out.Datapoints.map((d) => d.Sum);
}

describe('regional faults', () => {
  it('ALB lost: endpoint checks time out within threshold × interval, its metrics stop, the nodes stay fine', async () => {
    const tw = makeWorld(clock);
    const { r, arn, inst, endpoint } = region(tw, E1);
    await clock.runFor(2 * MIN);
    expect(tw.route53.healthy(endpoint)).toBe(true);
    const dims = r.elbv2.metricDimensions(arn);
    const before = clock.now();
    tw.faults.albLost(E1);
    expect(r.elbv2.albHealthy()).toBe(false);
    await clock.runFor(30_000);
    expect(tw.route53.healthy(endpoint)).toBe(false);
    expect(tw.route53.lastObservation(endpoint)?.status).toMatch(/Connection timed out/);
    expect(inst.node.routerHealthy()).toBe(true);
    await clock.runFor(3 * MIN);
    // The minute published at the instant of the fault is the last one.
    expect(await stat(r, 'HealthyHostCount', dims, before + MIN, clock.now())).toEqual([]);
    tw.faults.albRestored(E1);
    await clock.runFor(MIN);
    expect(tw.route53.healthy(endpoint)).toBe(true);
    expect(tw.timeline.find('fault', /ALB in us-east-1 is lost/)).toHaveLength(1);
  });

  it('brownout: a share of requests answer 5xx while the health path answers 200', async () => {
    const tw = makeWorld(clock);
    const { r, arn, endpoint } = region(tw, E1);
    await clock.runFor(2 * MIN);
    const dims = r.elbv2.metricDimensions(arn);
    const from = clock.now();
    tw.faults.brownout({ region: E1, share: 0.3 });
    await clock.runFor(3 * MIN);
    expect(tw.route53.healthy(endpoint)).toBe(true);
    // From the first minute published after the fault: 600 requests a minute, 30 % of them 5xx.
    expect(await stat(r, 'RequestCount', dims, from + MIN, clock.now() + MIN)).toEqual([600, 600, 600]);
    expect(await stat(r, 'HTTPCode_Target_5XX_Count', dims, from + MIN, clock.now() + MIN)).toEqual([
      180, 180, 180,
    ]);
    tw.faults.clearBrownout(E1);
    const after = clock.now();
    await clock.runFor(2 * MIN);
    // Counts are reported only when nonzero: no 5xx datapoint after the brownout.
    expect(await stat(r, 'HTTPCode_Target_5XX_Count', dims, after + MIN, clock.now() + MIN)).toEqual([]);
    expect(await stat(r, 'RequestCount', dims, after + MIN, clock.now() + MIN)).toEqual([600, 600]);
  });

  it('names the ALB as the config does, and refuses a bad ARN, a foreign region or a negative traffic', () => {
    const tw = makeWorld(clock);
    const elb = tw.region(E1).elbv2;
    const arn = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/art/8811c9c594c6cd05';
    const before = elb.loadBalancerArn;
    expect(() =>
      elb.useLoadBalancerArn('arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/x'),
    ).toThrow(/not a valid Application Load Balancer ARN/);
    expect(() => elb.useLoadBalancerArn(arn.replace('us-east-1', 'eu-west-1'))).toThrow(
      /is not in us-east-1/,
    );
    expect(() => elb.setTraffic(-1)).toThrow(/requests per minute must be >= 0/);
    expect(elb.loadBalancerArn).toBe(before);
    elb.useLoadBalancerArn(arn);
    expect(elb.loadBalancerDimension).toBe('app/art/8811c9c594c6cd05');
  });

  it('no healthy target: the ALB answers the requests 503 itself (HTTPCode_ELB_5XX_Count)', async () => {
    const tw = makeWorld(clock);
    const { r, inst } = region(tw, E1);
    await clock.runFor(MIN);
    inst.node.healthy = false;
    await clock.runFor(MIN);
    const from = clock.now();
    await clock.runFor(2 * MIN);
    const lb = { LoadBalancer: r.elbv2.loadBalancerDimension };
    expect(await stat(r, 'HTTPCode_ELB_5XX_Count', lb, from, clock.now())).toEqual([600, 600]);
  });

  it('CloudWatch lost: no ingestion or evaluation; Route 53 sees insufficient data, per InsufficientDataHealthStatus', async () => {
    const tw = makeWorld(clock);
    const cw = tw.region(W1).cloudwatch;
    cw.putAlarm(alarm('sw'));
    const ids = (['Healthy', 'Unhealthy', 'LastKnownStatus'] as const).map((s) =>
      tw.route53.createHealthCheck({
        Type: 'CLOUDWATCH_METRIC',
        AlarmIdentifier: { Region: W1, Name: 'sw' },
        InsufficientDataHealthStatus: s,
      }),
    );
    const statuses = () => ids.map((id) => tw.route53.healthy(id));
    cw.putMetric('Test', 'Value', { Cluster: 'art' }, 0);
    await clock.runFor(2 * MIN);
    expect(cw.alarmState('sw')).toBe('ALARM');
    expect(statuses()).toEqual([false, false, false]);
    tw.faults.cloudWatchLost(W1);
    expect(statuses()).toEqual([true, false, false]); // LastKnownStatus keeps ALARM's unhealthy
    cw.putMetric('Test', 'Value', { Cluster: 'art' }, 5); // dropped: nobody receives it
    await clock.runFor(2 * MIN);
    expect(cw.alarmState('sw')).toBe('ALARM');
    expect(tw.faults.beforeCall(W1, 'cloudwatch', 'PutMetricData')?.name).toBe('ServiceUnavailable');
    expect(tw.faults.beforeCall(E1, 'cloudwatch', 'PutMetricData')).toBeUndefined();
    tw.faults.cloudWatchRestored(W1);
    cw.putMetric('Test', 'Value', { Cluster: 'art' }, 5);
    await clock.runFor(2 * MIN);
    expect(statuses()).toEqual([true, true, true]);
  });

  it('ingestion delay: a datapoint reaches the alarm only N s after it arrives', async () => {
    const tw = makeWorld(clock);
    const cw = tw.region(W1).cloudwatch;
    cw.putAlarm(alarm('sw'));
    await clock.runFor(MIN);
    tw.faults.ingestionDelay({ region: W1, seconds: 150 });
    const at = clock.now();
    cw.putMetric('Test', 'Value', { Cluster: 'art' }, 0);
    await clock.runFor(2 * MIN);
    expect(cw.alarmState('sw')).toBe('INSUFFICIENT_DATA');
    await clock.runFor(2 * MIN);
    expect(cw.alarmState('sw')).toBe('ALARM');
    // Evaluated at the first minute boundary after the datapoint became visible, with its own timestamp.
    const change = tw.timeline.find('cw', /sw: INSUFFICIENT_DATA -> ALARM/)[0];
    expect((change?.at ?? 0) - at).toBeGreaterThanOrEqual(150_000);
    tw.faults.ingestionDelay({ region: W1, seconds: 0 });
    expect(tw.faults.ingestionDelayMs(W1)).toBe(0);
  });

  it("Route 53's API fails (control plane) while checks and DNS go on; replication lag is recorded", async () => {
    const tw = makeWorld(clock);
    const { endpoint } = region(tw, E1);
    tw.faults.route53ApiFailing();
    expect((await errorOf(() => tw.route53.api.ListHealthChecks({}))).name).toBe('ServiceUnavailable');
    await clock.runFor(MIN);
    expect(tw.route53.healthy(endpoint)).toBe(true);
    tw.faults.route53ApiFailing(false);
    expect(await tw.route53.api.ListHealthChecks({})).toMatchObject({ IsTruncated: false });
    tw.faults.replicationLag({ region: W1, minutes: 90 });
    expect(tw.faults.replicationLagMinutes(W1)).toBe(90);
    expect(tw.faults.replicationLagMinutes(E1)).toBe(0);
    tw.faults.replicationLag({ region: W1, minutes: 0 });
    expect(tw.faults.replicationLagMinutes(W1)).toBe(0);
  });

  it.each([
    ['a misspelt region', (f: Faults) => f.albLost('eu-west'), /not a region name/],
    ['a brownout share of 0', (f: Faults) => f.brownout({ region: E1, share: 0 }), /share must be in/],
    ['a brownout share above 1', (f: Faults) => f.brownout({ region: E1, share: 1.5 }), /share must be in/],
    ['a negative delay', (f: Faults) => f.ingestionDelay({ region: E1, seconds: -1 }), /seconds must be in/],
    ['a delay past an hour', (f: Faults) => f.ingestionDelay({ region: E1, seconds: 4000 }), /seconds/],
    ['a negative lag', (f: Faults) => f.replicationLag({ region: E1, minutes: -5 }), /minutes must be >= 0/],
    ['CloudWatch of no region', (f: Faults) => f.cloudWatchLost(''), /not a region name/],
  ])('refuses %s and changes nothing', (_what, inject, message) => {
    const timeline = new Timeline(() => 0);
    const faults = new Faults(new Rng(1), timeline);
    expect(() => inject(faults)).toThrow(message);
    expect(timeline.entries).toEqual([]);
    expect(faults.brownoutShare(E1)).toBe(0);
    expect(faults.ingestionDelayMs(E1)).toBe(0);
    expect(faults.replicationLagMinutes(E1)).toBe(0);
    expect(faults.isAlbLost(E1)).toBe(false);
  });
});

function alarm(name: string): AlarmSpec {
  return {
    name,
    namespace: 'Test',
    metricName: 'Value',
    dimensions: { Cluster: 'art' },
    statistic: 'Minimum',
    periodSeconds: 60,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    threshold: 1,
    comparison: 'LessThanThreshold',
    treatMissingData: 'ignore',
  };
}

// ---------------------------------------------------------------- the degraded alarm's metric math

describe('metric math (the degraded alarm)', () => {
  const config = loadConfig(EXAMPLE_CONFIG);

  it('evaluates the degraded expression exactly as infra/regional-routing.ts says', () => {
    const spec = regionDegradedAlarmSpec(config, W1, {
      loadBalancer: 'app/x/0123456789abcdef',
      targetGroups: ['targetgroup/a/0123456789abcdef', 'targetgroup/b/0123456789abcdef'],
    });
    const expression = parseExpression(spec.expression);
    const value = fc.option(fc.nat({ max: 2000 }), { nil: undefined });
    fc.assert(
      fc.property(fc.tuple(value, value, value, value, value, value), (vs) => {
        const values = Object.fromEntries(spec.metrics.map((m, i) => [m.id, vs[i]]));
        expect(expression.evaluate(values)).toBe(degradedDatapoint(spec, values));
      }),
    );
  });

  it('refuses what it cannot read, and does not model other functions', async () => {
    expect(() => parseExpression('IF(a < 1, 1')).toThrow(/expected/);
    expect(() => parseExpression('A + 1')).toThrow(/not a metric id/);
    expect(() => parseExpression('FILL(a)')).toThrow(/takes 2 arguments/);
    expect(() => parseExpression('ANOMALY_DETECTION_BAND(a)')).toThrow(/does not model/);
    expect(parseExpression('a / b').evaluate({ a: 1, b: 0 })).toBeUndefined();
    expect(parseExpression('a + 1').evaluate({ a: undefined })).toBeUndefined();
    expect(parseExpression('NOT a || b && !c').evaluate({ a: 0, b: 1, c: 0 })).toBe(1);
  });

  it('goes to ALARM after noHealthyMinutes of a lost ALB (missing data breaches) and of a brownout; OK otherwise', async () => {
    const tw = makeWorld(clock);
    const { r, arn } = region(tw, W1);
    const dims = r.elbv2.metricDimensions(arn);
    const spec = regionDegradedAlarmSpec(config, W1, {
      loadBalancer: dims.LoadBalancer,
      targetGroups: [dims.TargetGroup],
    });
    r.cloudwatch.putAlarm({
      name: spec.name,
      namespace: '',
      metricName: '',
      dimensions: {},
      statistic: 'Maximum',
      periodSeconds: 60,
      evaluationPeriods: spec.evaluationPeriods,
      datapointsToAlarm: spec.datapointsToAlarm,
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'breaching',
      math: { expression: spec.expression, metrics: spec.metrics },
    });
    await clock.runFor(10 * MIN);
    expect(r.cloudwatch.alarmState(spec.name)).toBe('OK');
    const described = (await r.cloudwatch.api.DescribeAlarms({ AlarmNames: [spec.name] })) as {
      MetricAlarms: { Metrics: { Id: string; Expression?: string }[]; MetricName?: string }[];
    };
    expect(described.MetricAlarms[0]?.Metrics[0]?.Expression).toBe(spec.expression);
    expect(described.MetricAlarms[0]?.MetricName).toBeUndefined();

    const lost = clock.now();
    tw.faults.albLost(W1);
    await clock.runUntil(lost + 10 * MIN, () => r.cloudwatch.alarmState(spec.name) === 'ALARM');
    // Missing data is filled (breaching) only once fewer than N datapoints are left in the N + 2 periods
    // CloudWatch retrieves ([Alarms], "How alarm state is evaluated when data is missing"), and ALARM needs N of
    // N: the last real minute must leave the range first, N + 2 periods after it.
    const alarmAfter = clock.now() - lost;
    expect(alarmAfter).toBeGreaterThan((spec.evaluationPeriods + 2) * MIN);
    expect(alarmAfter).toBeLessThanOrEqual((spec.evaluationPeriods + 3) * MIN);
    const detail = tw.region(W1).events.emitted.at(-1)?.detail as
      | { configuration: { metrics: { expression?: string }[] } }
      | undefined;
    expect(detail?.configuration.metrics[0]).toMatchObject({ expression: spec.expression, returnData: true });
    tw.faults.albRestored(W1);
    await clock.runFor(10 * MIN);
    expect(r.cloudwatch.alarmState(spec.name)).toBe('OK');

    tw.faults.brownout({ region: W1, share: 0.2 }); // 20 % > max5xxPercent (5)
    await clock.runFor((spec.evaluationPeriods + 1) * MIN);
    expect(r.cloudwatch.alarmState(spec.name)).toBe('ALARM');
    tw.faults.clearBrownout(W1);
    tw.faults.brownout({ region: W1, share: 0.01 }); // 1 %: below the threshold
    await clock.runFor(2 * MIN);
    expect(r.cloudwatch.alarmState(spec.name)).toBe('OK');
  });
});
