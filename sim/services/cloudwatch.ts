/**
 * CloudWatch in one region: metric datapoints, metric alarms evaluated on the virtual clock, and the
 * `CloudWatch Alarm State Change` events they emit.
 *
 * Sources (each behaviour below names the one it follows):
 * - [Alarms] CloudWatch User Guide, "Using Amazon CloudWatch alarms": alarm states, "Evaluating an alarm"
 *   (period, evaluation periods, datapoints to alarm, M out of N), "Configuring how CloudWatch alarms treat
 *   missing data" and its sub-section "How alarm state is evaluated when data is missing" (the two tables),
 *   "High-resolution alarms".
 * - [PutMetricAlarm] / [PutMetricData] / [SetAlarmState] / [DescribeAlarms] / [GetMetricStatistics]:
 *   CloudWatch API Reference (the same text ships in @aws-sdk/client-cloudwatch's models).
 * - [Events] CloudWatch User Guide, "Alarm events and EventBridge" (sample: test/fixtures/events/
 *   cloudwatch-metric-alarm-state-change.json).
 *
 * Simplifications (the twin's, not AWS's):
 * - Alarms are evaluated once per period, at the period boundaries of the epoch, over complete periods only
 *   (AWS evaluates every minute; for the 60-second alarms the control plane uses this is the same).
 * - The "evaluation range" CloudWatch retrieves is EvaluationPeriods + 2 periods, as in the User Guide's
 *   example (3 evaluation periods, 5 datapoints retrieved); AWS says only that it is "a higher number".
 * - Standard-resolution datapoints are stored at one-minute granularity and high-resolution ones at one
 *   second, so a 10/20/30-second alarm on a standard-resolution metric sees gaps, as [PutMetricAlarm] warns.
 * - Metric math alarms (`AlarmSpec.math`, built by setup from infra/regional-routing.ts) evaluate a subset of the
 *   expression language per period (sim/services/cloudwatch-math.ts); PutMetricAlarm's `Metrics` is not
 *   modelled. No anomaly detection, percentiles, composite alarms or alarm actions delivery: alarm actions
 *   are recorded (`actionsInvoked`), not delivered. Unmodelled inputs throw `TwinNotModelled`.
 * - While the region or its CloudWatch is lost (`faults.cloudWatchLost`), its CloudWatch neither stores metrics nor
 *   evaluates alarms (its API fails at the world's entry point; Route 53 sees its alarms as insufficient data).
 * - Ingestion delay (`faults.ingestionDelay`): a datapoint, with its own timestamp, reaches the store only N s
 *   after it arrived, so an evaluation in between does not see it. [Alarms] "Evaluating an alarm": CloudWatch
 *   evaluates over the data it has at evaluation time; late data counts only in later evaluations.
 */
import type {
  Datapoint,
  DescribeAlarmsInput,
  DescribeAlarmsOutput,
  Dimension,
  GetMetricStatisticsInput,
  GetMetricStatisticsOutput,
  MetricAlarm,
  MetricDatum,
  PutMetricAlarmInput,
  PutMetricDataInput,
  SetAlarmStateInput,
} from '@aws-sdk/client-cloudwatch';
import type { AlarmSpec, AlarmState, CloudWatchContract, SimContext, SimService } from '../core/contracts';
import { AwsError, NotModelledError } from '../core/errors';
import { parseExpression } from './cloudwatch-math';

// ---------------------------------------------------------------- errors (CloudWatch Query API error codes)

const invalidParameterValue = (message: string) =>
  new AwsError('InvalidParameterValue', message, { status: 400 });
const invalidParameterCombination = (message: string) =>
  new AwsError('InvalidParameterCombination', message, { status: 400 });
const missingParameter = (name: string) =>
  new AwsError('MissingParameter', `The parameter ${name} is required.`, { status: 400 });
const resourceNotFound = (message: string) => new AwsError('ResourceNotFound', message, { status: 404 });
const invalidFormat = (message: string) => new AwsError('InvalidFormat', message, { status: 400 });

// ---------------------------------------------------------------- metric storage

/** Aggregated samples of one storage bucket (a minute, or a second for high-resolution data). */
interface Bucket {
  readonly at: number;
  count: number;
  sum: number;
  min: number;
  max: number;
}

interface MetricSeries {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** Sorted by `at`. */
  readonly buckets: Bucket[];
  unit: string | undefined;
}

type Statistic = AlarmSpec['statistic'];
const STATISTICS: readonly Statistic[] = ['Minimum', 'Maximum', 'Average', 'Sum', 'SampleCount'];
type Comparison = AlarmSpec['comparison'];
const COMPARISONS: readonly Comparison[] = [
  'GreaterThanThreshold',
  'GreaterThanOrEqualToThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
];
/** Comparison operators of anomaly-detection alarms: real, but not modelled. */
const ANOMALY_COMPARISONS = [
  'LessThanLowerOrGreaterThanUpperThreshold',
  'LessThanLowerThreshold',
  'GreaterThanUpperThreshold',
];
type TreatMissing = AlarmSpec['treatMissingData'];
const TREAT_MISSING: readonly TreatMissing[] = ['missing', 'ignore', 'breaching', 'notBreaching'];
const ALARM_STATES: readonly AlarmState[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

const MINUTE = 60_000;
const DAY_S = 86_400;

function metricKey(namespace: string, name: string, dimensions: Readonly<Record<string, string>>): string {
  const dims = Object.keys(dimensions)
    .sort()
    .map((k) => `${k}=${dimensions[k]}`)
    .join(',');
  return `${namespace}\u0000${name}\u0000${dims}`;
}

function dimensionsRecord(dimensions: readonly Dimension[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of dimensions ?? []) {
    if (!d.Name || d.Value === undefined) throw missingParameter('Dimensions.member.N.Name/Value');
    out[d.Name] = d.Value;
  }
  return out;
}

function dimensionsList(dimensions: Readonly<Record<string, string>>): Dimension[] {
  return Object.keys(dimensions)
    .sort()
    .map((Name) => ({ Name, Value: dimensions[Name] as string }));
}

/**
 * Accepts what the SDK (a Date) or a Step Functions task (ISO text or epoch seconds) sends. A Date is
 * recognised by its tag, not `instanceof`: the world's structuredClone makes it in Node's own realm, which
 * under jest is not the test's (a watch metric was refused there, so the primary alarm never fired).
 */
function toMillis(value: unknown, parameter: string): number {
  if (Object.prototype.toString.call(value) === '[object Date]') return (value as Date).getTime();
  if (typeof value === 'number') return value < 1e11 ? value * 1000 : value;
  if (typeof value === 'string') {
    const t = Date.parse(value);
    if (!Number.isNaN(t)) return t;
  }
  throw invalidParameterValue(
    `The value ${String(value)} for parameter ${parameter} is not a valid timestamp.`,
  );
}

/** `2019-10-02T17:04:40.989+0000`, the form CloudWatch writes in alarm events and reason data. */
export function cloudWatchTimestamp(at: number): string {
  return new Date(at).toISOString().replace('Z', '+0000');
}

/** `02/10/19 16:59:00`, the datapoint time in alarm state reasons. */
function reasonTime(at: number): string {
  const d = new Date(at);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** `50.0` rather than `50`, as CloudWatch prints thresholds. */
function num(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

// ---------------------------------------------------------------- alarms

interface Alarm {
  spec: AlarmSpec;
  readonly arn: string;
  description: string | undefined;
  actionsEnabled: boolean;
  okActions: string[];
  alarmActions: string[];
  insufficientDataActions: string[];
  unit: string | undefined;
  state: AlarmState;
  reason: string;
  reasonData: string | undefined;
  stateUpdatedAt: number;
  configUpdatedAt: number;
  /** The id of the alarm's metric in `configuration.metrics` of its events; stable for the alarm's life. */
  readonly metricId: string;
  cancel: () => void;
}

/** One datapoint of an evaluation: a real value, or a missing one. */
type Point = { readonly start: number; readonly value: number | undefined };

interface Outcome {
  readonly state: AlarmState | 'retain';
  readonly reason: string;
  readonly reasonData: string;
}

/** An alarm action CloudWatch would invoke (recorded, not delivered). */
export interface InvokedAction {
  readonly at: number;
  readonly alarmName: string;
  readonly state: AlarmState;
  readonly actions: readonly string[];
}

/** CloudWatch in one region. */
export class CloudWatchSim implements SimService, CloudWatchContract {
  readonly service = 'cloudwatch' as const;
  readonly api = {
    PutMetricData: (input: PutMetricDataInput) => this.putMetricData(input),
    GetMetricStatistics: (input: GetMetricStatisticsInput) => this.getMetricStatistics(input),
    PutMetricAlarm: (input: PutMetricAlarmInput) => this.putMetricAlarm(input),
    DescribeAlarms: (input: DescribeAlarmsInput) => this.describeAlarms(input),
    SetAlarmState: (input: SetAlarmStateInput) => this.setAlarmState(input),
  };
  /** Alarm actions the alarms would have invoked, in order. */
  readonly actionsInvoked: InvokedAction[] = [];

  private readonly series = new Map<string, MetricSeries>();
  private readonly alarms = new Map<string, Alarm>();

  constructor(private readonly ctx: SimContext) {}

  // ---------------------------------------------------------------- contract

  putAlarm(spec: AlarmSpec): void {
    this.validateSpec(spec);
    this.upsertAlarm(spec, {});
  }

  /**
   * An AWS service publishing its own metric (e.g. ELB's HealthyHostCount), at the current time and standard
   * resolution (`at`: a datapoint for an earlier time, e.g. the history a seeded world has). Dropped while the
   * region or its CloudWatch is lost: the region's CloudWatch is not there to receive it.
   */
  putMetric(
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>>,
    value: number,
    at = this.ctx.clock.now(),
  ): void {
    if (this.ctx.world.faults.isCloudWatchLost(this.ctx.region)) return;
    this.ingest(namespace, metricName, dimensions, at, 60, {
      count: 1,
      sum: value,
      min: value,
      max: value,
    });
  }

  alarmState(name: string): AlarmState | undefined {
    return this.alarms.get(name)?.state;
  }

  alarmSpec(name: string): AlarmSpec | undefined {
    return this.alarms.get(name)?.spec;
  }

  // ---------------------------------------------------------------- PutMetricData

  private putMetricData(input: PutMetricDataInput): Record<string, never> {
    const namespace = input.Namespace;
    if (!namespace) throw missingParameter('Namespace');
    // [PutMetricData] Namespace: "You can't specify a namespace that begins with AWS/" (reserved for AWS services).
    if (namespace.startsWith('AWS/')) {
      throw invalidParameterValue(
        `The value ${namespace} for parameter Namespace is invalid: AWS/ is reserved.`,
      );
    }
    if (input.EntityMetricData !== undefined)
      throw new NotModelledError('the twin does not model EntityMetricData');
    const data = input.MetricData ?? [];
    if (data.length === 0) throw missingParameter('MetricData');
    // [PutMetricData] "no more than 1000 different metrics" per request.
    if (data.length > 1000)
      throw invalidParameterValue('The collection MetricData must not have a size greater than 1000.');
    const now = this.ctx.clock.now();
    const prepared = data.map((datum, i) => this.prepareDatum(datum, i + 1, now));
    for (const p of prepared) this.ingest(namespace, p.name, p.dimensions, p.at, p.resolution, p.agg, p.unit);
    return {};
  }

  private prepareDatum(datum: MetricDatum, index: number, now: number) {
    const where = `MetricData.member.${index}`;
    if (!datum.MetricName) throw missingParameter(`${where}.MetricName`);
    const dimensions = dimensionsRecord(datum.Dimensions);
    // [PutMetricData] "up to 30 dimensions per metric".
    if (Object.keys(dimensions).length > 30)
      throw invalidParameterValue(`${where}.Dimensions: at most 30 dimensions.`);
    const resolution = datum.StorageResolution ?? 60;
    // [PutMetricData] StorageResolution: 1 (high resolution) or 60 (standard, the default).
    if (resolution !== 1 && resolution !== 60) {
      throw invalidParameterValue(
        `The value ${resolution} for parameter ${where}.StorageResolution is invalid (1 or 60).`,
      );
    }
    const at = datum.Timestamp === undefined ? now : toMillis(datum.Timestamp, `${where}.Timestamp`);
    // [PutMetricData] "time stamps that are as much as two weeks before the current date, and as much as 2 hours
    // after the current day and time".
    if (at < now - 14 * DAY_S * 1000 || at > now + 2 * 3_600_000) {
      throw invalidParameterValue(
        `The parameter ${where}.Timestamp must be within the last two weeks and the next two hours.`,
      );
    }
    const given = [
      datum.Value !== undefined,
      datum.Values !== undefined,
      datum.StatisticValues !== undefined,
    ].filter(Boolean).length;
    if (given === 0) throw missingParameter(`${where}.Value`);
    if (given > 1) {
      throw invalidParameterCombination(
        `${where}: only one of Value, Values and StatisticValues may be given.`,
      );
    }
    const finite = (v: number, p: string) => {
      // [PutMetricData] "special values (for example, NaN, +Infinity, -Infinity) are not supported".
      if (!Number.isFinite(v)) throw invalidParameterValue(`The value ${v} for parameter ${p} is invalid.`);
      return v;
    };
    let agg: Omit<Bucket, 'at'>;
    if (datum.Value !== undefined) {
      const v = finite(datum.Value, `${where}.Value`);
      agg = { count: 1, sum: v, min: v, max: v };
    } else if (datum.Values !== undefined) {
      const values = datum.Values.map((v, i) => finite(v, `${where}.Values.member.${i + 1}`));
      const counts = datum.Counts ?? values.map(() => 1);
      // [PutMetricData] Counts: "the array MUST have the same amount of values as the Values array".
      if (counts.length !== values.length) {
        throw invalidParameterValue(`${where}: Counts must have as many members as Values.`);
      }
      if (values.length === 0) throw missingParameter(`${where}.Values`);
      agg = { count: 0, sum: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };
      values.forEach((v, i) => {
        const c = counts[i] ?? 1;
        agg.count += c;
        agg.sum += v * c;
        agg.min = Math.min(agg.min, v);
        agg.max = Math.max(agg.max, v);
      });
    } else {
      const s = datum.StatisticValues;
      if (
        !s ||
        s.SampleCount === undefined ||
        s.Sum === undefined ||
        s.Minimum === undefined ||
        s.Maximum === undefined
      ) {
        throw missingParameter(`${where}.StatisticValues.SampleCount/Sum/Minimum/Maximum`);
      }
      agg = {
        count: finite(s.SampleCount, `${where}.StatisticValues.SampleCount`),
        sum: finite(s.Sum, `${where}.StatisticValues.Sum`),
        min: finite(s.Minimum, `${where}.StatisticValues.Minimum`),
        max: finite(s.Maximum, `${where}.StatisticValues.Maximum`),
      };
    }
    return {
      name: datum.MetricName,
      dimensions,
      at,
      resolution,
      agg,
      unit: datum.Unit as string | undefined,
    };
  }

  /** Stores a datapoint now, or once the region's injected ingestion delay has passed. */
  private ingest(
    namespace: string,
    name: string,
    dimensions: Readonly<Record<string, string>>,
    at: number,
    resolution: number,
    agg: Omit<Bucket, 'at'>,
    unit?: string,
  ): void {
    const delay = this.ctx.world.faults.ingestionDelayMs(this.ctx.region);
    if (delay <= 0) {
      this.store(namespace, name, dimensions, at, resolution, agg, unit);
      return;
    }
    this.ctx.clock.after(delay, () => {
      if (this.ctx.world.faults.isCloudWatchLost(this.ctx.region)) return;
      this.store(namespace, name, dimensions, at, resolution, agg, unit);
    });
  }

  private store(
    namespace: string,
    name: string,
    dimensions: Readonly<Record<string, string>>,
    at: number,
    resolution: number,
    agg: Omit<Bucket, 'at'>,
    unit?: string,
  ): void {
    const key = metricKey(namespace, name, dimensions);
    let s = this.series.get(key);
    if (!s) {
      s = { namespace, name, dimensions: { ...dimensions }, buckets: [], unit: undefined };
      this.series.set(key, s);
    }
    if (unit !== undefined) s.unit = unit;
    // Standard-resolution data is kept at one-minute granularity, high-resolution data at one second
    // ([PutMetricData] StorageResolution; [Alarms] "High-resolution alarms").
    const granularity = resolution === 1 ? 1000 : MINUTE;
    const bucketAt = Math.floor(at / granularity) * granularity;
    const i = lowerBound(s.buckets, bucketAt);
    const existing = s.buckets[i];
    if (existing && existing.at === bucketAt) {
      existing.count += agg.count;
      existing.sum += agg.sum;
      existing.min = Math.min(existing.min, agg.min);
      existing.max = Math.max(existing.max, agg.max);
    } else {
      s.buckets.splice(i, 0, { at: bucketAt, ...agg });
    }
  }

  /** The samples of a metric in [start, end), aggregated; undefined when there are none (a missing datapoint). */
  private aggregate(
    series: MetricSeries | undefined,
    start: number,
    end: number,
  ): Omit<Bucket, 'at'> | undefined {
    if (!series) return undefined;
    let agg: Omit<Bucket, 'at'> | undefined;
    for (let i = lowerBound(series.buckets, start); i < series.buckets.length; i++) {
      const b = series.buckets[i] as Bucket;
      if (b.at >= end) break;
      if (!agg) agg = { count: b.count, sum: b.sum, min: b.min, max: b.max };
      else {
        agg.count += b.count;
        agg.sum += b.sum;
        agg.min = Math.min(agg.min, b.min);
        agg.max = Math.max(agg.max, b.max);
      }
    }
    return agg;
  }

  // ---------------------------------------------------------------- GetMetricStatistics

  private getMetricStatistics(input: GetMetricStatisticsInput): GetMetricStatisticsOutput {
    if (!input.Namespace) throw missingParameter('Namespace');
    if (!input.MetricName) throw missingParameter('MetricName');
    if (input.StartTime === undefined) throw missingParameter('StartTime');
    if (input.EndTime === undefined) throw missingParameter('EndTime');
    if (input.Period === undefined) throw missingParameter('Period');
    if (input.ExtendedStatistics?.length)
      throw new NotModelledError('the twin does not model extended statistics');
    const statistics = (input.Statistics ?? []) as Statistic[];
    if (statistics.length === 0) throw missingParameter('Statistics');
    for (const s of statistics) {
      if (!STATISTICS.includes(s))
        throw invalidParameterValue(`The value ${s} for parameter Statistics is invalid.`);
    }
    const period = input.Period;
    // [GetMetricStatistics] Period: 1, 5, 10, 20, 30, 60, or any multiple of 60 (high-resolution metrics below 60).
    if (!([1, 5, 10, 20, 30].includes(period) || (period >= 60 && period % 60 === 0))) {
      throw invalidParameterValue(`The parameter Period must be 1, 5, 10, 20, 30, 60 or a multiple of 60.`);
    }
    const start = toMillis(input.StartTime, 'StartTime');
    const end = toMillis(input.EndTime, 'EndTime');
    if (end <= start)
      throw invalidParameterValue('The parameter StartTime must be less than the parameter EndTime.');
    const p = period * 1000;
    // [GetMetricStatistics] "a maximum of 1,440 data points" per call.
    if ((end - start) / p > 1440) {
      throw invalidParameterCombination(
        'You have requested up to 1,440 datapoints, which exceeds the limit of 1,440.',
      );
    }
    const series = this.series.get(
      metricKey(input.Namespace, input.MetricName, dimensionsRecord(input.Dimensions)),
    );
    const datapoints: Datapoint[] = [];
    // Periods are aligned to multiples of Period from the epoch (CloudWatch rounds StartTime down likewise).
    for (let t = Math.floor(start / p) * p; t < end; t += p) {
      const agg = this.aggregate(series, t, t + p);
      if (!agg) continue;
      const dp: Datapoint = {
        Timestamp: new Date(t),
        Unit: (input.Unit ?? series?.unit ?? 'None') as Datapoint['Unit'],
      };
      for (const s of statistics) {
        if (s === 'SampleCount') dp.SampleCount = agg.count;
        else if (s === 'Sum') dp.Sum = agg.sum;
        else if (s === 'Average') dp.Average = agg.sum / agg.count;
        else if (s === 'Minimum') dp.Minimum = agg.min;
        else dp.Maximum = agg.max;
      }
      datapoints.push(dp);
    }
    return { Label: input.MetricName, Datapoints: datapoints };
  }

  // ---------------------------------------------------------------- PutMetricAlarm

  private putMetricAlarm(input: PutMetricAlarmInput): Record<string, never> {
    const name = input.AlarmName;
    if (!name) throw missingParameter('AlarmName');
    if (name.length > 255) throw invalidParameterValue('AlarmName must be at most 255 characters.');
    if (input.Metrics !== undefined || input.ThresholdMetricId !== undefined) {
      throw new NotModelledError('the twin does not model metric math or anomaly detection alarms');
    }
    if (input.ExtendedStatistic !== undefined)
      throw new NotModelledError('the twin does not model extended statistics');
    if ((input as { EvaluationWindow?: unknown }).EvaluationWindow !== undefined) {
      throw new NotModelledError('the twin does not model EvaluationWindow');
    }
    if (input.ComparisonOperator && ANOMALY_COMPARISONS.includes(input.ComparisonOperator)) {
      throw new NotModelledError(`the twin does not model ${input.ComparisonOperator}`);
    }
    if (!input.Namespace) throw missingParameter('Namespace');
    if (!input.MetricName) throw missingParameter('MetricName');
    // [PutMetricAlarm] Statistic: "You must specify either Statistic or ExtendedStatistic, but not both".
    if (!input.Statistic)
      throw invalidParameterCombination('Exactly one of Statistic or ExtendedStatistic must be given.');
    if (input.Period === undefined) throw missingParameter('Period');
    if (input.EvaluationPeriods === undefined) throw missingParameter('EvaluationPeriods');
    if (input.Threshold === undefined) throw missingParameter('Threshold');
    if (!input.ComparisonOperator) throw missingParameter('ComparisonOperator');
    const spec: AlarmSpec = {
      name,
      namespace: input.Namespace,
      metricName: input.MetricName,
      dimensions: dimensionsRecord(input.Dimensions),
      statistic: input.Statistic as Statistic,
      periodSeconds: input.Period,
      evaluationPeriods: input.EvaluationPeriods,
      // [PutMetricAlarm] DatapointsToAlarm: only for "M out of N" alarms; omitted, it equals EvaluationPeriods.
      datapointsToAlarm: input.DatapointsToAlarm ?? input.EvaluationPeriods,
      threshold: input.Threshold,
      comparison: input.ComparisonOperator as Comparison,
      // [PutMetricAlarm] TreatMissingData: "If this parameter is omitted, the default behavior of missing is used."
      treatMissingData: (input.TreatMissingData ?? 'missing') as TreatMissing,
    };
    this.validateSpec(spec);
    this.upsertAlarm(spec, {
      description: input.AlarmDescription,
      actionsEnabled: input.ActionsEnabled ?? true,
      okActions: input.OKActions ?? [],
      alarmActions: input.AlarmActions ?? [],
      insufficientDataActions: input.InsufficientDataActions ?? [],
      unit: input.Unit,
    });
    return {};
  }

  private validateSpec(spec: AlarmSpec): void {
    if (!STATISTICS.includes(spec.statistic)) {
      throw invalidParameterValue(`The value ${spec.statistic} for parameter Statistic is invalid.`);
    }
    if (!COMPARISONS.includes(spec.comparison)) {
      throw invalidParameterValue(
        `The value ${spec.comparison} for parameter ComparisonOperator is invalid.`,
      );
    }
    if (!TREAT_MISSING.includes(spec.treatMissingData)) {
      throw invalidParameterValue(
        `The value ${spec.treatMissingData} for parameter TreatMissingData is invalid.`,
      );
    }
    const p = spec.periodSeconds;
    // [PutMetricAlarm] Period: "Valid values are 10, 20, 30, and any multiple of 60."
    if (!([10, 20, 30].includes(p) || (p >= 60 && p % 60 === 0))) {
      throw invalidParameterValue(
        `The value ${p} for parameter Period is invalid: use 10, 20, 30 or a multiple of 60.`,
      );
    }
    if (!Number.isInteger(spec.evaluationPeriods) || spec.evaluationPeriods < 1) {
      throw invalidParameterValue('EvaluationPeriods must be at least 1.');
    }
    if (!Number.isInteger(spec.datapointsToAlarm) || spec.datapointsToAlarm < 1) {
      throw invalidParameterValue('DatapointsToAlarm must be at least 1.');
    }
    if (spec.datapointsToAlarm > spec.evaluationPeriods) {
      throw invalidParameterValue('DatapointsToAlarm must be less than or equal to EvaluationPeriods.');
    }
    // [PutMetricAlarm] Period: at most seven days in total, one day when the period is under an hour.
    const total = p * spec.evaluationPeriods;
    if (total > 7 * DAY_S || (p < 3600 && total > DAY_S)) {
      throw invalidParameterValue(
        'Period multiplied by EvaluationPeriods exceeds the longest evaluation range allowed.',
      );
    }
    if (!Number.isFinite(spec.threshold)) throw invalidParameterValue('Threshold must be a finite number.');
    if (spec.math) {
      let ids: readonly string[];
      try {
        ids = parseExpression(spec.math.expression).ids;
      } catch (err) {
        if (err instanceof NotModelledError) throw err;
        throw new AwsError('ValidationError', (err as Error).message, { status: 400 });
      }
      const known = new Set(spec.math.metrics.map((m) => m.id));
      if (known.size !== spec.math.metrics.length) throw invalidParameterValue('Metric ids must be unique.');
      for (const m of spec.math.metrics) {
        if (!STATISTICS.includes(m.statistic))
          throw invalidParameterValue(`The value ${m.statistic} for parameter Stat is invalid.`);
      }
      for (const id of ids) {
        if (!known.has(id))
          throw new AwsError('ValidationError', `Unknown metric id ${id} in the expression.`, {
            status: 400,
          });
      }
    }
  }

  private upsertAlarm(
    spec: AlarmSpec,
    extra: {
      description?: string | undefined;
      actionsEnabled?: boolean;
      okActions?: string[];
      alarmActions?: string[];
      insufficientDataActions?: string[];
      unit?: string | undefined;
    },
  ): void {
    const now = this.ctx.clock.now();
    const existing = this.alarms.get(spec.name);
    if (existing) {
      // [PutMetricAlarm] "When you update an existing alarm, its state is left unchanged, but the update completely
      // overwrites the previous configuration of the alarm."
      existing.cancel();
      existing.spec = structuredClone(spec);
      existing.description = extra.description;
      existing.actionsEnabled = extra.actionsEnabled ?? true;
      existing.okActions = extra.okActions ?? [];
      existing.alarmActions = extra.alarmActions ?? [];
      existing.insufficientDataActions = extra.insufficientDataActions ?? [];
      existing.unit = extra.unit;
      existing.configUpdatedAt = now;
      existing.cancel = this.schedule(existing);
      this.ctx.timeline.add(
        this.ctx.region,
        'cw',
        `alarm ${spec.name} updated (state stays ${existing.state})`,
      );
      return;
    }
    const r = this.ctx.rng;
    const alarm: Alarm = {
      spec: structuredClone(spec),
      arn: `arn:aws:cloudwatch:${this.ctx.region}:${this.ctx.world.accountId}:alarm:${spec.name}`,
      description: extra.description,
      actionsEnabled: extra.actionsEnabled ?? true,
      okActions: extra.okActions ?? [],
      alarmActions: extra.alarmActions ?? [],
      insufficientDataActions: extra.insufficientDataActions ?? [],
      unit: extra.unit,
      // [PutMetricAlarm] "When this operation creates an alarm, the alarm state is immediately set to
      // INSUFFICIENT_DATA. The alarm is then evaluated and its state is set appropriately."
      state: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: Initial alarm creation',
      reasonData: undefined,
      stateUpdatedAt: now,
      configUpdatedAt: now,
      metricId: `${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}`,
      cancel: () => undefined,
    };
    alarm.cancel = this.schedule(alarm);
    this.alarms.set(spec.name, alarm);
    this.ctx.timeline.add(this.ctx.region, 'cw', `alarm ${spec.name} created (INSUFFICIENT_DATA)`);
  }

  /** Evaluates at every period boundary (multiples of the period from the epoch) on the virtual clock. */
  private schedule(alarm: Alarm): () => void {
    const p = alarm.spec.periodSeconds * 1000;
    const now = this.ctx.clock.now();
    const first = p - (now % p);
    return this.ctx.clock.every(p, () => this.evaluate(alarm), first);
  }

  // ---------------------------------------------------------------- evaluation

  private evaluate(alarm: Alarm): void {
    if (this.ctx.world.faults.isCloudWatchLost(this.ctx.region)) return;
    const outcome = this.evaluateAt(alarm, this.ctx.clock.now());
    if (outcome.state === 'retain' || outcome.state === alarm.state) return;
    this.transition(alarm, outcome.state, outcome.reason, outcome.reasonData);
  }

  /** The documented evaluation ([Alarms], "How alarm state is evaluated when data is missing"). */
  private evaluateAt(alarm: Alarm, now: number): Outcome {
    const { spec } = alarm;
    const p = spec.periodSeconds * 1000;
    const end = Math.floor(now / p) * p;
    const n = spec.evaluationPeriods;
    const m = spec.datapointsToAlarm;
    const rangeLength = n + 2;
    const value = this.periodValue(spec);
    const range: Point[] = [];
    for (let i = rangeLength; i >= 1; i--) {
      const start = end - i * p;
      range.push({ start, value: value(start, start + p) });
    }
    const existing = range.filter((pt) => pt.value !== undefined);
    const breaches = (pt: Point) =>
      pt.value !== undefined && compare(spec.comparison, pt.value, spec.threshold);
    const reasonData = (points: readonly Point[]) =>
      JSON.stringify({
        version: '1.0',
        queryDate: cloudWatchTimestamp(now),
        ...(points[0] ? { startDate: cloudWatchTimestamp(points[0].start) } : {}),
        statistic: spec.statistic,
        period: spec.periodSeconds,
        recentDatapoints: points.filter((pt) => pt.value !== undefined).map((pt) => pt.value),
        threshold: spec.threshold,
      });
    const insufficient = (): Outcome => {
      const missing = rangeLength - existing.length;
      return {
        state: spec.treatMissingData === 'ignore' ? 'retain' : 'INSUFFICIENT_DATA',
        reason: `Insufficient Data: ${missing} datapoint${missing === 1 ? ' was' : 's were'} unknown.`,
        reasonData: reasonData(existing),
      };
    };

    // "If no data points in the evaluation range are missing" or "the number of existing data points retrieved is
    // equal to or more than the alarm's Evaluation Periods": the most recent N existing datapoints decide, and the
    // missing-data setting "is not needed and is ignored".
    if (existing.length >= n) {
      const evaluated = existing.slice(-n);
      return this.thresholdOutcome(
        alarm,
        evaluated,
        evaluated.filter(breaches).length,
        0,
        reasonData(evaluated),
      );
    }
    const missingCount = n - existing.length;
    switch (spec.treatMissingData) {
      case 'breaching':
      case 'notBreaching': {
        // "CloudWatch fills in the missing data points with the result you specified ... any real data points in
        // the evaluation range, no matter when they were reported, are included in the evaluation."
        const filledBreaching = spec.treatMissingData === 'breaching' ? missingCount : 0;
        const count = existing.filter(breaches).length + filledBreaching;
        return this.thresholdOutcome(alarm, existing, count, missingCount, reasonData(existing));
      }
      case 'missing':
      case 'ignore': {
        // `missing`: "If all data points in the alarm evaluation range are missing, the alarm transitions to
        // INSUFFICIENT_DATA"; `ignore`: "The current alarm state is maintained".
        if (existing.length === 0) return insufficient();
        const breaching = existing.filter(breaches).length;
        if (breaching >= m) return this.thresholdOutcome(alarm, existing, breaching, 0, reasonData(existing));
        // The tables' rows `0 - - - -`, `0 - X - -` and `- - - - 0`: a real non-breaching datapoint makes it OK.
        if (existing.some((pt) => !breaches(pt))) {
          return this.thresholdOutcome(alarm, existing, breaching, 0, reasonData(existing));
        }
        // Row `X - - - -` (3 of 3): with `missing` the alarm goes to ALARM "because the oldest evaluated data point
        // is breaching and there aren't any non-breaching data points"; row `- - - - X`: INSUFFICIENT_DATA.
        if (spec.treatMissingData === 'missing' && range[0]?.value !== undefined) {
          return this.thresholdOutcome(alarm, existing, Math.max(breaching, m), 0, reasonData(existing));
        }
        return insufficient();
      }
    }
  }

  /** The alarm's datapoint for a period: its metric's statistic, or its math expression's value ([Alarms]). */
  private periodValue(spec: AlarmSpec): (start: number, end: number) => number | undefined {
    const value = (
      namespace: string,
      name: string,
      dims: Readonly<Record<string, string>>,
      stat: Statistic,
    ) => {
      const series = this.series.get(metricKey(namespace, name, dims));
      return (start: number, end: number) => {
        const agg = this.aggregate(series, start, end);
        return agg ? statistic(stat, agg) : undefined;
      };
    };
    const math = spec.math;
    if (!math) return value(spec.namespace, spec.metricName, spec.dimensions, spec.statistic);
    const expression = parseExpression(math.expression);
    const metrics = math.metrics.map((m) => ({
      id: m.id,
      at: value(m.namespace, m.metricName, m.dimensions, m.statistic),
    }));
    return (start, end) =>
      expression.evaluate(Object.fromEntries(metrics.map((m) => [m.id, m.at(start, end)])));
  }

  /** ALARM when at least M of the N evaluated datapoints breach, OK otherwise ([Alarms], "Evaluating an alarm"). */
  private thresholdOutcome(
    alarm: Alarm,
    real: readonly Point[],
    breachingCount: number,
    filled: number,
    reasonData: string,
  ): Outcome {
    const { spec } = alarm;
    const state: AlarmState = breachingCount >= spec.datapointsToAlarm ? 'ALARM' : 'OK';
    const breaches = (pt: Point) =>
      pt.value !== undefined && compare(spec.comparison, pt.value, spec.threshold);
    const shown = real.filter((pt) => (state === 'ALARM' ? breaches(pt) : !breaches(pt)));
    const list = shown.map((pt) => `${pt.value} (${reasonTime(pt.start)})`).join(', ');
    const count = state === 'ALARM' ? breachingCount : spec.evaluationPeriods - breachingCount;
    const verb = `${count === 1 ? 'was' : 'were'}${state === 'OK' ? ' not' : ''}`;
    const fill =
      filled > 0
        ? ` (${filled} missing datapoint${filled === 1 ? ' was' : 's were'} treated as [${spec.treatMissingData === 'breaching' ? 'Breaching' : 'NonBreaching'}])`
        : '';
    const from = alarm.state;
    const reason =
      `Threshold Crossed: ${count} out of the last ${spec.evaluationPeriods} datapoints [${list}]${fill} ${verb} ` +
      `${COMPARISON_WORDS[spec.comparison]} the threshold (${num(spec.threshold)}) (minimum ${spec.datapointsToAlarm} ` +
      `datapoint${spec.datapointsToAlarm === 1 ? '' : 's'} for ${from} -> ${state} transition).`;
    return { state, reason, reasonData };
  }

  private transition(alarm: Alarm, state: AlarmState, reason: string, reasonData: string | undefined): void {
    const now = this.ctx.clock.now();
    const previous = {
      value: alarm.state,
      reason: alarm.reason,
      ...(alarm.reasonData !== undefined ? { reasonData: alarm.reasonData } : {}),
      timestamp: cloudWatchTimestamp(alarm.stateUpdatedAt),
    };
    alarm.state = state;
    alarm.reason = reason;
    alarm.reasonData = reasonData;
    alarm.stateUpdatedAt = now;
    const { spec } = alarm;
    // [Events] the detail of a metric alarm's `CloudWatch Alarm State Change` event, as in the documented sample.
    const detail: Record<string, unknown> = {
      alarmName: spec.name,
      state: {
        value: state,
        reason,
        ...(reasonData !== undefined ? { reasonData } : {}),
        timestamp: cloudWatchTimestamp(now),
      },
      previousState: previous,
      configuration: {
        ...(alarm.description !== undefined ? { description: alarm.description } : {}),
        metrics: spec.math
          ? [
              { id: alarm.metricId, expression: spec.math.expression, label: spec.name, returnData: true },
              ...spec.math.metrics.map((m) => ({
                id: m.id,
                metricStat: {
                  metric: { namespace: m.namespace, name: m.metricName, dimensions: { ...m.dimensions } },
                  period: spec.periodSeconds,
                  stat: m.statistic,
                },
                returnData: false,
              })),
            ]
          : [
              {
                id: alarm.metricId,
                metricStat: {
                  metric: {
                    namespace: spec.namespace,
                    name: spec.metricName,
                    dimensions: { ...spec.dimensions },
                  },
                  period: spec.periodSeconds,
                  stat: spec.statistic,
                },
                returnData: true,
              },
            ],
      },
    };
    this.ctx.timeline.add(this.ctx.region, 'cw', `alarm ${spec.name}: ${previous.value} -> ${state}`, {
      reason,
    });
    this.ctx.world.region(this.ctx.region).events.emit({
      source: 'aws.cloudwatch',
      detailType: 'CloudWatch Alarm State Change',
      detail,
      resources: [alarm.arn],
    });
    const actions =
      state === 'ALARM'
        ? alarm.alarmActions
        : state === 'OK'
          ? alarm.okActions
          : alarm.insufficientDataActions;
    if (alarm.actionsEnabled && actions.length > 0) {
      this.actionsInvoked.push({ at: now, alarmName: spec.name, state, actions: [...actions] });
    }
  }

  // ---------------------------------------------------------------- DescribeAlarms and SetAlarmState

  private describeAlarms(input: DescribeAlarmsInput): DescribeAlarmsOutput {
    if (input.ChildrenOfAlarmName !== undefined || input.ParentsOfAlarmName !== undefined) {
      throw new NotModelledError('the twin does not model composite alarms');
    }
    if (input.AlarmNames && input.AlarmNames.length > 100) {
      throw invalidParameterValue('The collection AlarmNames must not have a size greater than 100.');
    }
    if (input.AlarmNames && input.AlarmNamePrefix !== undefined) {
      throw invalidParameterCombination('AlarmNames and AlarmNamePrefix cannot be given together.');
    }
    if (input.StateValue !== undefined && !ALARM_STATES.includes(input.StateValue as AlarmState)) {
      throw invalidParameterValue(`The value ${input.StateValue} for parameter StateValue is invalid.`);
    }
    // [DescribeAlarms] AlarmTypes: "If you omit this parameter, only metric alarms are returned".
    const types = input.AlarmTypes ?? ['MetricAlarm'];
    const max = input.MaxRecords ?? 50;
    if (max < 1 || max > 100) throw invalidParameterValue('MaxRecords must be between 1 and 100.');
    let list = [...this.alarms.values()].sort((a, b) => (a.spec.name < b.spec.name ? -1 : 1));
    if (input.AlarmNames) list = list.filter((a) => input.AlarmNames?.includes(a.spec.name));
    if (input.AlarmNamePrefix !== undefined)
      list = list.filter((a) => a.spec.name.startsWith(input.AlarmNamePrefix ?? ''));
    if (input.StateValue !== undefined) list = list.filter((a) => a.state === input.StateValue);
    if (input.ActionPrefix !== undefined) {
      const prefix = input.ActionPrefix;
      list = list.filter((a) =>
        [...a.alarmActions, ...a.okActions, ...a.insufficientDataActions].some((x) => x.startsWith(prefix)),
      );
    }
    if (!types.includes('MetricAlarm')) list = [];
    const from = input.NextToken === undefined ? 0 : Number.parseInt(input.NextToken, 10);
    if (!Number.isInteger(from) || from < 0 || from > list.length) {
      throw new AwsError('InvalidNextToken', 'The service found NextToken to be invalid.', { status: 400 });
    }
    const page = list.slice(from, from + max);
    const out: DescribeAlarmsOutput = {
      MetricAlarms: page.map((a) => this.describe(a)),
      CompositeAlarms: [],
    };
    if (from + max < list.length) out.NextToken = String(from + max);
    return out;
  }

  private describe(a: Alarm): MetricAlarm {
    const out: MetricAlarm = {
      AlarmName: a.spec.name,
      AlarmArn: a.arn,
      AlarmConfigurationUpdatedTimestamp: new Date(a.configUpdatedAt),
      ActionsEnabled: a.actionsEnabled,
      OKActions: [...a.okActions],
      AlarmActions: [...a.alarmActions],
      InsufficientDataActions: [...a.insufficientDataActions],
      StateValue: a.state,
      StateReason: a.reason,
      StateUpdatedTimestamp: new Date(a.stateUpdatedAt),
      StateTransitionedTimestamp: new Date(a.stateUpdatedAt),
      ...(a.spec.math
        ? {
            // [DescribeAlarms] a metric-math alarm describes its queries in Metrics, not MetricName/Statistic.
            Metrics: [
              { Id: a.metricId, Expression: a.spec.math.expression, Label: a.spec.name, ReturnData: true },
              ...a.spec.math.metrics.map((m) => ({
                Id: m.id,
                MetricStat: {
                  Metric: {
                    Namespace: m.namespace,
                    MetricName: m.metricName,
                    Dimensions: dimensionsList(m.dimensions),
                  },
                  Period: a.spec.periodSeconds,
                  Stat: m.statistic,
                },
                ReturnData: false,
              })),
            ],
          }
        : {
            MetricName: a.spec.metricName,
            Namespace: a.spec.namespace,
            Statistic: a.spec.statistic,
            Dimensions: dimensionsList(a.spec.dimensions),
            Period: a.spec.periodSeconds,
          }),
      EvaluationPeriods: a.spec.evaluationPeriods,
      DatapointsToAlarm: a.spec.datapointsToAlarm,
      Threshold: a.spec.threshold,
      ComparisonOperator: a.spec.comparison,
      TreatMissingData: a.spec.treatMissingData,
    };
    if (a.description !== undefined) out.AlarmDescription = a.description;
    if (a.reasonData !== undefined) out.StateReasonData = a.reasonData;
    if (a.unit !== undefined) out.Unit = a.unit as MetricAlarm['Unit'];
    return out;
  }

  private setAlarmState(input: SetAlarmStateInput): Record<string, never> {
    if (!input.AlarmName) throw missingParameter('AlarmName');
    if (!input.StateValue) throw missingParameter('StateValue');
    if (input.StateReason === undefined) throw missingParameter('StateReason');
    if (!ALARM_STATES.includes(input.StateValue as AlarmState)) {
      throw invalidParameterValue(`The value ${input.StateValue} for parameter StateValue is invalid.`);
    }
    const alarm = this.alarms.get(input.AlarmName);
    if (!alarm) throw resourceNotFound(`Alarm ${input.AlarmName} not found`);
    // [SetAlarmState] StateReasonData: "The reason that this alarm is set to this specific state, in JSON format";
    // malformed JSON is the documented InvalidFormat error.
    if (input.StateReasonData !== undefined) {
      try {
        JSON.parse(input.StateReasonData);
      } catch {
        throw invalidFormat('StateReasonData is not valid JSON.');
      }
    }
    // [SetAlarmState] "Temporarily sets the state of an alarm": it lasts until the next evaluation, which the
    // periodic schedule performs; actions run only "when the updated state differs from the previous value".
    if (alarm.state === input.StateValue) return {};
    this.transition(alarm, input.StateValue as AlarmState, input.StateReason, input.StateReasonData);
    return {};
  }
}

const COMPARISON_WORDS: Readonly<Record<Comparison, string>> = {
  GreaterThanThreshold: 'greater than',
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

function compare(op: Comparison, value: number, threshold: number): boolean {
  switch (op) {
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}

function statistic(stat: Statistic, agg: Omit<Bucket, 'at'>): number {
  switch (stat) {
    case 'Minimum':
      return agg.min;
    case 'Maximum':
      return agg.max;
    case 'Sum':
      return agg.sum;
    case 'SampleCount':
      return agg.count;
    case 'Average':
      return agg.sum / agg.count;
  }
}

/** First index whose bucket starts at or after `at`. */
function lowerBound(buckets: readonly Bucket[], at: number): number {
  let lo = 0;
  let hi = buckets.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((buckets[mid] as Bucket).at < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
