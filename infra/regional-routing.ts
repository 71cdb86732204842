/**
 * The routing machinery of regional failover in one pure description, read by the CDK stacks
 * (infra/stacks/global-routing-stack.ts, infra/constructs/regional-routing.ts, the witness stack) and by the
 * twin's setup (sim/setup.ts) alike, so what is rehearsed is what is deployed (statemachines/regional-failover.md,
 * "Where the switch lives"):
 * - every region's switch lives as a copy of its switch alarm in EVERY configured region ({@link switchCopies});
 * - each region's latency record is health-checked by ONE flat calculated check whose children are the region's
 *   endpoint check and one `CLOUDWATCH_METRIC` check per copy, all required ({@link routingRecords});
 * - the copy checks keep their last status while their alarm has no data (`LastKnownStatus`), so a lost
 *   CloudWatch region neither evacuates nor restores anything;
 * - with `failover.drill.canaryRecordName` the canary record gets the same shape over its own switch;
 * - the region's degraded alarm (dispatch evacuates on it) and readiness alarm ({@link regionDegradedAlarmSpec},
 *   {@link readinessAlarmSpec}).
 */
import { ENV } from '../functions/shared/env';
import type { Config, RegionConfig } from './config/schema';
import {
  CANARY_SERVING_METRIC,
  canarySwitchAlarmName,
  fixedStateMachineName,
  METRIC_NAMESPACE,
  REGION_READY_METRIC,
  REGION_SERVING_METRIC,
  readinessAlarmName,
  regionDegradedAlarmName,
  switchAlarmName,
  switchCopyRegions,
} from './stacks/names';

/** A single-metric alarm, in the shape the twin's CloudWatch takes (and primaryAlarmSpec returns). */
export interface MetricAlarmSpec {
  readonly name: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: 'Minimum' | 'Maximum' | 'Average' | 'Sum' | 'SampleCount';
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparison:
    | 'GreaterThanThreshold'
    | 'GreaterThanOrEqualToThreshold'
    | 'LessThanThreshold'
    | 'LessThanOrEqualToThreshold';
  readonly treatMissingData: 'missing' | 'ignore' | 'breaching' | 'notBreaching';
}

/** Which record a switch belongs to: the service's own record, or the live drill's canary record. */
export type SwitchKind = 'serving' | 'canary';

/** The switch kinds deployed: always `serving`; `canary` too when a canary record is configured. */
export function switchKinds(config: Config): SwitchKind[] {
  return config.failover.drill.canaryRecordName === undefined ? ['serving'] : ['serving', 'canary'];
}

/** The switch alarm's name for a kind (the same name in every copy region). */
export function switchAlarmNameOf(config: Config, kind: SwitchKind, switched: string): string {
  return kind === 'serving' ? switchAlarmName(config, switched) : canarySwitchAlarmName(config, switched);
}

/** The metric a switch of that kind watches: `RegionServing` or `CanaryServing`. */
export function switchMetricOf(kind: SwitchKind): string {
  return kind === 'serving' ? REGION_SERVING_METRIC : CANARY_SERVING_METRIC;
}

/**
 * One copy of region `switched`'s switch alarm, as created in `copyRegion`: `<metric>{Cluster, Region: switched}`
 * Minimum over 60 s, 1 of 1, `< 1` = ALARM = switched off. Missing data is ignored: the alarm keeps its state
 * when nobody publishes, so a silent publisher neither evacuates nor restores. 60 s because an alarm-based
 * health check supports only standard-resolution metrics (docs/facts.md, Route 53 health checks).
 */
export function switchAlarmSpec(config: Config, kind: SwitchKind, switched: string): MetricAlarmSpec {
  return {
    name: switchAlarmNameOf(config, kind, switched),
    namespace: METRIC_NAMESPACE,
    metricName: switchMetricOf(kind),
    dimensions: { Cluster: config.cluster.name, Region: switched },
    statistic: 'Minimum',
    periodSeconds: 60,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    threshold: 1,
    comparison: 'LessThanThreshold',
    treatMissingData: 'ignore',
  };
}

/** One switch alarm copy: whose switch (`switched`), where it lives (`copyRegion`), and the alarm. */
export interface SwitchCopy {
  readonly kind: SwitchKind;
  readonly switched: string;
  readonly copyRegion: string;
  readonly alarm: MetricAlarmSpec;
}

/**
 * Every switch alarm copy of the deployment: for each kind, each configured region X and each copy region R
 * (every configured region), the alarm `switchAlarmNameOf(kind, X)` in R. Order: kind, X, R (config order).
 */
export function switchCopies(config: Config): SwitchCopy[] {
  const copyRegions = switchCopyRegions(config);
  return switchKinds(config).flatMap((kind) =>
    config.regions.flatMap((x) =>
      copyRegions.map((copyRegion) => ({
        kind,
        switched: x.name,
        copyRegion,
        alarm: switchAlarmSpec(config, kind, x.name),
      })),
    ),
  );
}

/** The copies one region's control-plane stack creates (every region's switch, every kind). */
export function switchCopiesIn(config: Config, copyRegion: string): SwitchCopy[] {
  return switchCopies(config).filter((c) => c.copyRegion === copyRegion);
}

/**
 * A copy's health check: `CLOUDWATCH_METRIC` on the alarm in its own region. `LastKnownStatus`: while the alarm
 * has insufficient data (its region's CloudWatch lost), Route 53 keeps the status it last computed; a new
 * check with no data yet is healthy (docs/facts.md, Route 53 health checks).
 */
export interface CopyCheckSpec {
  readonly copyRegion: string;
  readonly alarmName: string;
  readonly insufficientDataHealthStatus: 'LastKnownStatus';
}

/** The HTTPS check on a region's ALB health path (shared by the region's serving and canary records). */
export interface EndpointCheckSpec {
  readonly fullyQualifiedDomainName: string;
  readonly port: 443;
  readonly resourcePath: string;
  readonly enableSni: true;
  readonly requestInterval: number;
  readonly failureThreshold: number;
}

/**
 * One latency record and its health: a CALCULATED check over `[endpoint, ...copies]` healthy only when ALL
 * children are (`healthThreshold` = number of children). Flat: no calculated check inside a calculated one.
 */
export interface RoutingRecordSpec {
  readonly kind: SwitchKind;
  readonly recordName: string;
  readonly region: string;
  readonly target: string;
  readonly ttlSeconds: number;
  readonly endpoint: EndpointCheckSpec;
  readonly copies: readonly CopyCheckSpec[];
  readonly healthThreshold: number;
}

/** The endpoint check of a region (one per region). */
export function endpointCheckSpec(config: Config, region: RegionConfig): EndpointCheckSpec {
  return {
    fullyQualifiedDomainName: region.alb.dnsName,
    port: 443,
    resourcePath: region.alb.healthPath,
    enableSni: true,
    requestInterval: config.routing.healthCheckIntervalSeconds,
    failureThreshold: config.routing.healthCheckFailureThreshold,
  };
}

/** Every latency record of the deployment with its calculated check's children, kind then region order. */
export function routingRecords(config: Config): RoutingRecordSpec[] {
  const copyRegions = switchCopyRegions(config);
  return switchKinds(config).flatMap((kind) =>
    config.regions.map((region) => {
      const copies = copyRegions.map((copyRegion) => ({
        copyRegion,
        alarmName: switchAlarmNameOf(config, kind, region.name),
        insufficientDataHealthStatus: 'LastKnownStatus' as const,
      }));
      return {
        kind,
        recordName:
          kind === 'serving' ? config.routing.recordName : (config.failover.drill.canaryRecordName as string),
        region: region.name,
        target: region.alb.dnsName,
        ttlSeconds: config.routing.ttlSeconds,
        endpoint: endpointCheckSpec(config, region),
        copies,
        healthThreshold: 1 + copies.length,
      };
    }),
  );
}

// ---------------------------------------------------------------- the region's degraded alarm

/** The `LoadBalancer` and `TargetGroup` dimensions of a region's AWS/ApplicationELB metrics. */
export interface AlbMetricDimensions {
  /** `app/<name>/<id>` */
  readonly loadBalancer: string;
  /** `targetgroup/<name>/<id>`, one per target group. */
  readonly targetGroups: readonly string[];
}

/** The dimensions from the configured ARNs (the part after `:loadbalancer/` and after the account's `:`). */
export function albMetricDimensions(region: RegionConfig): AlbMetricDimensions {
  const after = (arn: string, marker: string) => arn.slice(arn.indexOf(marker) + marker.length);
  return {
    loadBalancer: after(region.alb.arn, ':loadbalancer/'),
    targetGroups: region.targetGroupArns.map((arn) => `targetgroup/${after(arn, ':targetgroup/')}`),
  };
}

/** One metric the degraded alarm's expression reads. */
export interface MathMetric {
  readonly id: string;
  readonly namespace: 'AWS/ApplicationELB';
  readonly metricName: 'HealthyHostCount' | 'HTTPCode_Target_5XX_Count' | 'RequestCount';
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: 'Maximum' | 'Sum';
}

/**
 * The region's degraded alarm: one alarm on a metric-math expression over the region's ALB metrics, per minute,
 * 1 = degraded. A minute is degraded when no target group has a healthy target (HealthyHostCount, Maximum over
 * the minute) OR the targets' 5xx responses exceed `max5xxPercent` of the requests. ALARM after
 * `noHealthyMinutes` degraded minutes in a row. Missing data BREACHES: an ALB whose metrics stop (region lost)
 * is degraded; within the expression missing values are FILLed with 0, so "no datapoint of HealthyHostCount"
 * counts as "no healthy target" and a minute without requests has no 5xx share.
 */
export interface DegradedAlarmSpec {
  readonly name: string;
  readonly metrics: readonly MathMetric[];
  /** CloudWatch metric math; {@link degradedDatapoint} computes the same value. */
  readonly expression: string;
  readonly max5xxPercent: number;
  readonly periodSeconds: 60;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: 1;
  readonly comparison: 'GreaterThanOrEqualToThreshold';
  readonly treatMissingData: 'breaching';
}

export function regionDegradedAlarmSpec(
  config: Config,
  region: string,
  alb: AlbMetricDimensions,
): DegradedAlarmSpec {
  if (alb.targetGroups.length === 0)
    throw new Error(`region ${region}: the degraded alarm needs a target group`);
  // PutMetricAlarm takes at most 10 metrics (MetricStat) in `Metrics`; the config allows 3 target groups.
  if (alb.targetGroups.length > 3)
    throw new Error(`region ${region}: at most 3 target groups (3 metrics each, 10 at most)`);
  const { max5xxPercent, noHealthyMinutes } = config.failover.degraded;
  const metrics: MathMetric[] = alb.targetGroups.flatMap((tg, i) => {
    const dimensions = { LoadBalancer: alb.loadBalancer, TargetGroup: tg };
    const ns = 'AWS/ApplicationELB' as const;
    return [
      {
        id: `h${i}`,
        namespace: ns,
        metricName: 'HealthyHostCount' as const,
        dimensions,
        statistic: 'Maximum' as const,
      },
      {
        id: `e${i}`,
        namespace: ns,
        metricName: 'HTTPCode_Target_5XX_Count' as const,
        dimensions,
        statistic: 'Sum' as const,
      },
      {
        id: `r${i}`,
        namespace: ns,
        metricName: 'RequestCount' as const,
        dimensions,
        statistic: 'Sum' as const,
      },
    ];
  });
  const sum = (prefix: string) => alb.targetGroups.map((_, i) => `FILL(${prefix}${i}, 0)`).join(' + ');
  // No division: a minute without requests (0 > 0) is not a 5xx minute, and nothing divides by zero.
  const expression = `IF((${sum('h')}) < 1 OR 100 * (${sum('e')}) > ${max5xxPercent} * (${sum('r')}), 1, 0)`;
  return {
    name: regionDegradedAlarmName(config, region),
    metrics,
    expression,
    max5xxPercent,
    periodSeconds: 60,
    evaluationPeriods: noHealthyMinutes,
    datapointsToAlarm: noHealthyMinutes,
    threshold: 1,
    comparison: 'GreaterThanOrEqualToThreshold',
    treatMissingData: 'breaching',
  };
}

/**
 * The expression's value for one minute, given each metric's statistic for that minute (undefined = no
 * datapoint): undefined when NO metric has a datapoint (the expression has none: the alarm's missing-data
 * treatment, breaching, applies), else 1 (degraded) or 0, exactly as {@link DegradedAlarmSpec.expression}.
 */
export function degradedDatapoint(
  spec: DegradedAlarmSpec,
  values: Readonly<Record<string, number | undefined>>,
): 0 | 1 | undefined {
  if (spec.metrics.every((m) => values[m.id] === undefined)) return undefined;
  const total = (name: MathMetric['metricName']) =>
    spec.metrics.filter((m) => m.metricName === name).reduce((s, m) => s + (values[m.id] ?? 0), 0);
  const healthy = total('HealthyHostCount');
  const errors = total('HTTPCode_Target_5XX_Count');
  const requests = total('RequestCount');
  return healthy < 1 || 100 * errors > spec.max5xxPercent * requests ? 1 : 0;
}

// ---------------------------------------------------------------- the readiness alarm

/**
 * The region's readiness alarm on `RegionReady{Cluster, Region}` (published by the readiness evaluation every
 * `evaluationMinutes`): one period per evaluation, ALARM when two periods in a row are not ready (< 1) or have
 * no reading (missing data breaches: an evaluation that stopped running is not a region known to be ready).
 * Two periods of 5–1,440 minutes stay within PutMetricAlarm's evaluation range (docs/facts.md, "Regional routing").
 */
export function readinessAlarmSpec(config: Config, region: string): MetricAlarmSpec {
  return {
    name: readinessAlarmName(config, region),
    namespace: METRIC_NAMESPACE,
    metricName: REGION_READY_METRIC,
    dimensions: { Cluster: config.cluster.name, Region: region },
    statistic: 'Minimum',
    periodSeconds: config.failover.readiness.evaluationMinutes * 60,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    threshold: 1,
    comparison: 'LessThanThreshold',
    treatMissingData: 'breaching',
  };
}

/**
 * EventBridge pattern: the region's degraded alarm changing to ALARM (dispatch starts an evacuation) or to OK
 * (dispatch starts a restore when `automaticRestore`; it checks the previous state was ALARM).
 */
export function degradedAlarmEventPattern(config: Config, region: string) {
  const alarmName = [regionDegradedAlarmName(config, region)];
  const alarm = { state: { value: ['ALARM'] } };
  // Only the transitions dispatch acts on: into ALARM, and (with automatic restore) back to OK from ALARM. The
  // alarm's first evaluation (INSUFFICIENT_DATA to OK) matches nothing, so it never invokes dispatch (EventBridge
  // event patterns, "$or" matching: docs/facts.md).
  if (!config.failover.automaticRestore) return { ...ALARM_EVENT, detail: { alarmName, ...alarm } };
  const recovered = { state: { value: ['OK'] }, previousState: { value: ['ALARM'] } };
  return { ...ALARM_EVENT, detail: { alarmName, $or: [alarm, recovered] } };
}

const ALARM_EVENT: { source: string[]; 'detail-type': string[] } = {
  source: ['aws.cloudwatch'],
  'detail-type': ['CloudWatch Alarm State Change'],
};

/** What dispatch reads from `REGIONAL_DISPATCH` (functions/dispatch/regional.ts validates it). */
export interface RegionalDispatchSettings {
  readonly cluster: string;
  readonly region: string;
  readonly degradedAlarmName: string;
  /** The other configured regions in config order, each with its regional-failover state machine's ARN. */
  readonly peers: readonly { readonly region: string; readonly stateMachineArn: string }[];
  readonly automaticRestore: boolean;
}

/** The ARN of the regional-failover workflow in `region` (a fixed name, so any region can address it). */
export function regionalFailoverArn(
  config: Config,
  region: string,
  account: string,
  partition = 'aws',
): string {
  return `arn:${partition}:states:${region}:${account}:stateMachine:${fixedStateMachineName(config, 'regional-failover')}`;
}

/** dispatch's `REGIONAL_DISPATCH` for the control plane of `region` (CDK passes its account and partition tokens). */
export function regionalDispatchSettings(
  config: Config,
  region: string,
  account: string,
  partition = 'aws',
): RegionalDispatchSettings {
  return {
    cluster: config.cluster.name,
    region,
    degradedAlarmName: regionDegradedAlarmName(config, region),
    peers: config.regions
      .filter((r) => r.name !== region)
      .map((r) => ({
        region: r.name,
        stateMachineArn: regionalFailoverArn(config, r.name, account, partition),
      })),
    automaticRestore: config.failover.automaticRestore,
  };
}

/** The environment entry dispatch needs for the automatic regional failover. */
export function regionalDispatchEnvironment(
  config: Config,
  region: string,
  account: string,
  partition = 'aws',
): Record<string, string> {
  return {
    [ENV.regionalDispatch]: JSON.stringify(regionalDispatchSettings(config, region, account, partition)),
  };
}
