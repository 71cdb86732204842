/**
 * The idle-cost model: what one region of the control plane costs per month when nothing happens, from the
 * synthesized templates (what is deployed) and one idle hour measured on the twin (what the code does when
 * it runs idle). Pure: templates, measurements and assumptions in, itemized lines out.
 */
import { nextCronTime, parseScheduleExpression } from '../sim/services/events';
import {
  isStateMachineTarget,
  rareWorkflowLines,
  scheduledWorkflows,
  type WorkflowAssumptions,
  workflowFunctionLines,
} from './idle-workflows';
import { PRICES } from './prices';

/** AWS's monthly prices assume 730 hours a month. */
export const HOURS_PER_MONTH = 730;
const MONTH_MS = HOURS_PER_MONTH * 3_600_000;

export interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}
export interface Template {
  readonly Resources: Readonly<Record<string, Resource>>;
}

/** What the twin measured in an idle hour (see bench/idle-twin.ts), the parts the model uses. */
export interface IdleMeasurement {
  readonly hours: number;
  readonly functions: Readonly<Record<string, { invocations: number; logBytes: number }>>;
  readonly series: readonly { namespace: string; name: string; dimensions: readonly string[]; via: string }[];
  readonly putMetricDataCalls: number;
  readonly stateTransitions: number;
}

/** What neither the templates nor the twin can say (the twin's clock is virtual: it measures no duration). */
export interface Assumptions extends WorkflowAssumptions {
  /** Billed duration of one idle invocation, by function (Powertools service name). */
  readonly durationMs: Readonly<Record<string, number>>;
  /** Lambda's own lines per invocation (JSON format: platform.start and platform.report with its X-Ray part). */
  readonly platformLogBytes: number;
  /** KMS requests a month that AWS services make for the region's key while idle. */
  readonly kmsRequestsPerMonth: number;
  /** Which year of the keys' life (1 = the first): the month priced is that year's last. */
  readonly keyYear: number;
  /**
   * Log bytes per invocation of a scheduled function the idle hour cannot run (a daily schedule, e.g. the
   * certificate census's dispatch), stated; a function the idle hour ran uses its measured bytes.
   */
  readonly statedLogBytes?: Readonly<Record<string, number>>;
}

export interface CostLine {
  readonly category: string;
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly usdPerMonth: number;
  readonly note?: string;
}

const props = (r: Resource) => r.Properties ?? {};
const of = (t: Template, type: string) =>
  Object.entries(t.Resources).filter(([, r]) => r.Type === type) as [string, Resource][];

/** Firings a month of an EventBridge schedule expression (rate or cron, as EventBridge parses them). */
export function firingsPerMonth(expression: string): number {
  const schedule = parseScheduleExpression(expression);
  if (schedule.kind === 'rate') return MONTH_MS / schedule.everyMs;
  // A cron expression: count its firings over 730 hours from a fixed Monday, 2026-01-05T00:00Z.
  const start = Date.UTC(2026, 0, 5);
  let n = 0;
  for (let t = nextCronTime(schedule, start - 1); t !== undefined && t < start + MONTH_MS; ) {
    n++;
    t = nextCronTime(schedule, t);
  }
  return n;
}

/** Route 53 health checks by kind and optional features (the global stack's share is added by the caller). */
export function healthCheckLines(global: Template, share: number): CostLine[] {
  const lines: CostLine[] = [];
  for (const [id, r] of of(global, 'AWS::Route53::HealthCheck')) {
    const c = (props(r).HealthCheckConfig ?? {}) as Record<string, unknown>;
    const type = String(c.Type ?? '');
    const endpoint = /^(HTTP|HTTPS|HTTP_STR_MATCH|HTTPS_STR_MATCH|TCP)$/.test(type);
    if (!endpoint && type !== 'CALCULATED' && type !== 'CLOUDWATCH_METRIC' && type !== 'RECOVERY_CONTROL')
      throw new Error(`health check ${id}: unknown Type ${JSON.stringify(c.Type)}`);
    const host = String(c.FullyQualifiedDomainName ?? '');
    // An endpoint named by an AWS DNS name (an ALB's) is an AWS endpoint; an IP address may not be.
    const aws = !endpoint || host.endsWith('.amazonaws.com');
    const features = endpoint
      ? [
          type.startsWith('HTTPS') && 'HTTPS',
          type.endsWith('STR_MATCH') && 'string matching',
          c.RequestInterval === 10 && 'fast interval',
          c.MeasureLatency === true && 'latency measurement',
        ].filter((f): f is string => typeof f === 'string')
      : [];
    const basic = aws ? PRICES.route53HealthCheckAws.usd : PRICES.route53HealthCheckNonAws.usd;
    const feature = aws ? PRICES.route53FeatureAws.usd : PRICES.route53FeatureNonAws.usd;
    lines.push({
      category: 'Route 53 health checks',
      item: `${id}: ${type}${aws ? '' : ', non-AWS endpoint'}, ${features.length > 0 ? `optional features: ${features.join(', ')}` : 'basic'}`,
      quantity: share,
      unit: 'check',
      usdPerMonth: (basic + feature * features.length) * share,
    });
  }
  return lines;
}

/** CloudWatch alarms: each metric an alarm reads is billed (a metric-math alarm pays for every metric). */
export function alarmLines(t: Template): CostLine[] {
  const composite = of(t, 'AWS::CloudWatch::CompositeAlarm').map(([id]) => ({
    category: 'CloudWatch alarms',
    item: `${id} (composite)`,
    quantity: 1,
    unit: 'composite alarm',
    usdPerMonth: PRICES.cloudwatchCompositeAlarm.usd,
  }));
  return [
    ...of(t, 'AWS::CloudWatch::Alarm').map(([id, r]) => {
      const p = props(r);
      const expressions = Array.isArray(p.Metrics)
        ? (p.Metrics as { Expression?: string }[]).map((m) => m.Expression ?? '')
        : [];
      // Metrics Insights and anomaly-detection alarms are billed by other rules: refuse rather than misprice.
      if (expressions.some((e) => /\bSELECT\b|ANOMALY_DETECTION_BAND/i.test(e)))
        throw new Error(
          `alarm ${id}: a Metrics Insights or anomaly-detection alarm, which this model does not price`,
        );
      const stats = Array.isArray(p.Metrics)
        ? (p.Metrics as { MetricStat?: { Period?: number } }[])
            .filter((m) => m.MetricStat)
            .map((m) => m.MetricStat?.Period)
        : p.MetricName !== undefined
          ? [p.Period as number | undefined]
          : undefined;
      if (!stats || stats.length === 0) throw new Error(`alarm ${id}: neither MetricName nor a MetricStat`);
      const usd = stats.reduce<number>(
        (sum, period) =>
          sum +
          (period !== undefined && period < 60
            ? PRICES.cloudwatchAlarmHighResMetric.usd
            : PRICES.cloudwatchAlarmMetric.usd),
        0,
      );
      return {
        category: 'CloudWatch alarms',
        item: `${id} (${p.MetricName ?? `metric math over ${stats.length} metrics`})`,
        quantity: stats.length,
        unit: 'alarm metric',
        usdPerMonth: usd,
      };
    }),
    ...composite,
  ];
}

/**
 * Rotations a key has had by the last month of its `keyYear`-th year, at its rotation period (KMS's default
 * 365 days when the template sets none): only the first two are billed, so the count is capped at two.
 */
export function billedRotations(keyYear: number, periodDays = 365): number {
  const lastMonthStartsOnDay = keyYear * 365 - 30;
  return Math.min(2, Math.max(0, Math.floor(lastMonthStartsOnDay / periodDays)));
}

/** Customer managed KMS keys, with the rotation surcharge of the year asked for (capped at two rotations). */
export function keyLines(t: Template, keyYear: number): CostLine[] {
  return of(t, 'AWS::KMS::Key').map(([id, r]) => {
    const p = props(r);
    const spec = String(p.KeySpec ?? 'SYMMETRIC_DEFAULT');
    const period = typeof p.RotationPeriodInDays === 'number' ? p.RotationPeriodInDays : 365;
    // Automatic rotation exists for symmetric encryption keys only.
    const rotating = p.EnableKeyRotation === true && spec === 'SYMMETRIC_DEFAULT';
    const rotations = rotating ? billedRotations(keyYear, period) : 0;
    return {
      category: 'KMS keys',
      item: `${id} (${spec}${rotating ? `, rotation every ${period} days` : ''})`,
      quantity: 1,
      unit: 'key',
      usdPerMonth: PRICES.kmsKey.usd + PRICES.kmsRotation.usd * rotations,
      ...(rotations > 0 ? { note: `${rotations} rotation(s) so far` } : {}),
    };
  });
}

interface ScheduledFunction {
  readonly service: string;
  readonly perMonth: number;
  readonly memoryMb: number;
  readonly arm: boolean;
  readonly traced: boolean;
  readonly retentionDays: number | undefined;
}

/** The functions EventBridge schedules invoke, with what the template says about them. */
export function scheduledFunctions(t: Template): ScheduledFunction[] {
  const out: ScheduledFunction[] = [];
  for (const [id, rule] of of(t, 'AWS::Events::Rule')) {
    const p = props(rule);
    if (typeof p.ScheduleExpression !== 'string' || p.State === 'DISABLED') continue;
    const perMonth = firingsPerMonth(p.ScheduleExpression);
    for (const target of (p.Targets ?? []) as { Arn?: { 'Fn::GetAtt'?: [string, string] } }[]) {
      // A scheduled workflow is priced by bench/idle-workflows.ts.
      if (isStateMachineTarget(t, target)) continue;
      const fnId = target.Arn?.['Fn::GetAtt']?.[0];
      const fn = fnId === undefined ? undefined : t.Resources[fnId];
      if (fn?.Type !== 'AWS::Lambda::Function')
        throw new Error(`rule ${id}: a scheduled target other than a Lambda function in this template`);
      const f = props(fn);
      const env = ((f.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ??
        {}) as Record<string, string>;
      const logRef = (f.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup?.Ref;
      const logGroup = logRef === undefined ? undefined : t.Resources[logRef];
      out.push({
        service: env.POWERTOOLS_SERVICE_NAME ?? (fnId as string),
        perMonth,
        // Lambda's defaults when the template omits them.
        memoryMb: (f.MemorySize as number | undefined) ?? 128,
        arm: ((f.Architectures as string[] | undefined) ?? ['x86_64']).includes('arm64'),
        traced: (f.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active',
        retentionDays: logGroup ? (props(logGroup).RetentionInDays as number | undefined) : undefined,
      });
    }
  }
  return out;
}

/** Lambda, X-Ray and logs of the scheduled functions, with the twin's measured log bytes per invocation. */
export function scheduleLines(t: Template, idle: IdleMeasurement, a: Assumptions): CostLine[] {
  const lines: CostLine[] = [];
  for (const f of scheduledFunctions(t)) {
    const ran = idle.functions[f.service];
    const stated = a.statedLogBytes?.[f.service];
    const measured =
      ran && ran.invocations > 0
        ? ran
        : stated !== undefined
          ? { invocations: 1, logBytes: stated }
          : undefined;
    if (!measured)
      throw new Error(`the twin's idle hour ran no ${f.service}: its log bytes per invocation are unknown`);
    const how = ran && ran.invocations > 0 ? 'measured' : 'stated';
    const ms = a.durationMs[f.service];
    if (ms === undefined) throw new Error(`no stated duration for ${f.service}`);
    const gbS = f.perMonth * (ms / 1000) * (f.memoryMb / 1024);
    const gbSecond = f.arm ? PRICES.lambdaArmGbSecond.usd : PRICES.lambdaX86GbSecond.usd;
    const bytes = measured.logBytes / measured.invocations + a.platformLogBytes;
    const gb = (f.perMonth * bytes) / 1e9;
    // Retention in months; a log group that never expires is charged for a year of it.
    const keptMonths = Math.min(12, (f.retentionDays ?? 3653) / (365 / 12));
    const n = Math.round(f.perMonth);
    lines.push(
      {
        category: 'Lambda',
        item: `${f.service}: requests`,
        quantity: n,
        unit: 'request',
        usdPerMonth: f.perMonth * PRICES.lambdaRequest.usd,
      },
      {
        category: 'Lambda',
        item: `${f.service}: ${f.memoryMb} MB ${f.arm ? 'arm64' : 'x86_64'} × ${ms} ms (stated)`,
        quantity: Math.round(gbS),
        unit: 'GB-s',
        usdPerMonth: gbS * gbSecond,
      },
      {
        category: 'CloudWatch Logs',
        item: `${f.service}: ${Math.round(bytes)} B per invocation ingested (${Math.round(measured.logBytes / measured.invocations)} ${how} + ${a.platformLogBytes} platform)`,
        quantity: Number(gb.toFixed(4)),
        unit: 'GB',
        usdPerMonth: gb * PRICES.logsIngestion.usd,
      },
      {
        category: 'CloudWatch Logs',
        item: `${f.service}: stored, ${f.retentionDays ?? 'no'} days retention (after a year)`,
        quantity: Number((gb * keptMonths).toFixed(4)),
        unit: 'GB-month',
        usdPerMonth: gb * keptMonths * PRICES.logsStorage.usd,
      },
    );
    if (f.traced) {
      // The default sampling rule records the first request each second: every one of these.
      lines.push({
        category: 'X-Ray',
        item: `${f.service}: active tracing, every invocation traced`,
        quantity: n,
        unit: 'trace',
        usdPerMonth: f.perMonth * PRICES.xrayTraceRecorded.usd,
      });
    }
  }
  return lines;
}

/** Custom metrics emitted and PutMetricData calls made in the idle hour, for a month of such hours. */
export function metricLines(idle: IdleMeasurement): CostLine[] {
  const lines: CostLine[] = idle.series.map((s) => ({
    category: 'Custom metrics',
    item: `${s.namespace}/${s.name} {${s.dimensions.join(', ')}} via ${s.via}`,
    quantity: 1,
    unit: 'metric',
    // Emitted in every idle hour: billed for all of them.
    usdPerMonth: PRICES.cloudwatchCustomMetric.usd,
  }));
  const calls = (idle.putMetricDataCalls / idle.hours) * HOURS_PER_MONTH;
  lines.push({
    category: 'PutMetricData',
    item: `${idle.putMetricDataCalls / idle.hours} calls an hour`,
    quantity: Math.round(calls),
    unit: 'request',
    usdPerMonth: calls * PRICES.cloudwatchPutMetricData.usd,
  });
  return lines;
}

/** Every line of one region's idle month as deployed now: the regional template and the global stack's share. */
export function idleCostNow(input: {
  readonly regional: Template;
  readonly global: Template;
  readonly regions: number;
  readonly idle: IdleMeasurement;
  readonly assumptions: Assumptions;
}): CostLine[] {
  const { regional, global, regions, idle, assumptions } = input;
  if (!Number.isInteger(regions) || regions < 1)
    throw new Error(`regions must be a positive integer: ${regions}`);
  const scheduled = new Set(scheduledFunctions(regional).map((f) => f.service));
  const workflows = scheduledWorkflows(regional, firingsPerMonth);
  // Refuses a function the idle hour ran that neither a schedule nor a scheduled workflow invokes.
  const invokedByWorkflows = workflowFunctionLines(regional, idle, assumptions, scheduled, workflows);
  const kms = assumptions.kmsRequestsPerMonth;
  const transitions = (idle.stateTransitions / idle.hours) * HOURS_PER_MONTH;
  return [
    ...healthCheckLines(global, 1 / regions),
    ...keyLines(regional, assumptions.keyYear),
    {
      category: 'KMS keys',
      item: 'requests by AWS services for the region key (stated)',
      quantity: kms,
      unit: 'request',
      usdPerMonth: kms * PRICES.kmsRequest.usd,
    },
    ...alarmLines(regional),
    ...metricLines(idle),
    ...scheduleLines(regional, idle, assumptions),
    ...invokedByWorkflows,
    ...rareWorkflowLines(workflows, assumptions),
    {
      category: 'Step Functions',
      item: `${idle.stateTransitions / idle.hours} state transitions an hour on the twin`,
      quantity: Math.round(transitions),
      unit: 'transition',
      usdPerMonth: transitions * PRICES.sfnStandardTransition.usd,
    },
  ];
}

/** Resource types that cost nothing while idle (or whose idle cost the lines above already carry). */
export const PRICED_OR_FREE_WHEN_IDLE = new Set([
  'AWS::CDK::Metadata',
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::Lambda::Function',
  'AWS::Lambda::Permission',
  'AWS::Lambda::EventInvokeConfig', // billed only as the requests its destination makes
  'AWS::Logs::LogGroup',
  'AWS::Events::Rule',
  'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::CompositeAlarm',
  'AWS::KMS::Key',
  'AWS::KMS::Alias',
  'AWS::Route53::HealthCheck',
  'AWS::Route53::RecordSet',
  'AWS::AutoScaling::LifecycleHook',
  'AWS::SSM::Document',
  // Standard-tier parameters (the CA bundle) are free (AWS Systems Manager pricing, Parameter Store).
  'AWS::SSM::Parameter',
  'AWS::SNS::Topic',
  'AWS::SNS::Subscription',
  'AWS::SNS::TopicPolicy',
  'AWS::SQS::Queue',
  'AWS::SQS::QueuePolicy',
  'AWS::StepFunctions::StateMachine',
  // On-demand: reads and writes only; the few KB of state and their point-in-time recovery round to $0.
  'AWS::DynamoDB::GlobalTable',
]);

/** Resource types in the templates this model neither prices nor knows to be free when idle. */
export function unpricedTypes(templates: readonly Template[]): string[] {
  const types = new Set(templates.flatMap((t) => Object.values(t.Resources).map((r) => r.Type)));
  return [...types].filter((t) => !PRICED_OR_FREE_WHEN_IDLE.has(t)).sort();
}
export const total = (lines: readonly CostLine[]): number => lines.reduce((s, l) => s + l.usdPerMonth, 0);
