/**
 * The region's CloudWatch dashboard (issue 15 §5) as a pure, structured spec built from the same names as the
 * alarms (infra/operations.ts, infra/stacks/names.ts), so CDK renders it ({@link dashboardBody}) and the twin
 * can render it as text. It shows: the primary (or task nodes), the epoch, node counts by group, role and
 * readiness, the gate and the pause (the sweep's `sweep census` log line, and `AutomationPaused`); runs per
 * workflow and outcome (AWS/States per root state machine, and `RunsEnded`/`RunsOverdue`); certificate days
 * left and each region's serving switch; the control plane's own errors (every alarm, AWS/Lambda Errors).
 * Dashboard body structure: CloudWatch API reference, "Dashboard Body Structure and Syntax".
 */
import { CERT_DAYS_LEFT_METRIC } from '../functions/core/cert-triggers';
import type { Config } from './config/schema';
import {
  AUTOMATION_PAUSED_METRIC,
  allFunctionAlarmSpecs,
  CONTROL_PLANE_FUNCTIONS,
  operationsAlarmSpecs,
  WORKFLOW_NAMES,
  WORKFLOW_RUNS,
  type WorkflowName,
} from './operations';
import { escalationAlarmName, primaryAlarmName } from './primary-failover';
import {
  dashboardName,
  INVALID_EVENT_METRIC_NAME,
  METRIC_NAMESPACE,
  REGION_SERVING_METRIC,
  RUN_FAILURE_STATUSES,
  RUNS_ENDED_METRIC,
  RUNS_OVERDUE_METRIC,
  readinessAlarmName,
  regionDegradedAlarmName,
  SWEEP_ERRORS_METRIC,
  switchAlarmName,
} from './stacks/names';
import type { FunctionName } from './workflow-definitions';

/** AWS/States' execution metrics per state machine (`Executions<outcome>`). */
const EXECUTION_OUTCOMES = ['Succeeded', 'Failed', 'TimedOut', 'Aborted'] as const;

type Stat = 'Minimum' | 'Maximum' | 'Average' | 'Sum' | 'SampleCount';

/** One line of a metric widget. */
export interface DashboardMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: Stat;
  readonly periodSeconds: number;
  readonly label: string;
}

export type DashboardWidget =
  | { readonly type: 'text'; readonly markdown: string }
  | { readonly type: 'metric'; readonly title: string; readonly metrics: readonly DashboardMetric[] }
  | { readonly type: 'alarm'; readonly title: string; readonly alarms: readonly string[] }
  | {
      readonly type: 'log';
      readonly title: string;
      /** The function whose log group the query reads. */
      readonly fn: FunctionName;
      /** Logs Insights: `fields … | filter message = "…" | sort @timestamp desc | limit N`. */
      readonly query: string;
    };

export interface DashboardSpec {
  readonly name: string;
  readonly region: string;
  readonly widgets: readonly DashboardWidget[];
}

/** What the dashboard refers to that is a deployed name (CDK tokens, or the twin's names). */
export interface DashboardRefs {
  readonly functionName: (fn: FunctionName) => string;
  readonly stateMachineArn: (workflow: WorkflowName) => string;
  readonly queueName: string;
}

/** The sweep's census line (contract §5): one per sweep, the fields the dashboard shows. */
export const CENSUS_MESSAGE = 'sweep census';
export const CENSUS_FIELDS = [
  'primary',
  'epoch',
  'taskNodes',
  'nodes',
  'nodesReady',
  'nodesNotReady',
  'gate',
  'paused',
  'pauseReason',
] as const;

/** A Logs Insights query in the subset the spec allows; the twin parses the same. */
export function censusQuery(limit: number): string {
  const fields = ['@timestamp', ...CENSUS_FIELDS.map((f) => `census.${f}`)].join(', ');
  return `fields ${fields} | filter message = "${CENSUS_MESSAGE}" | sort @timestamp desc | limit ${limit}`;
}

/** The dashboard of `region`. */
export function dashboardSpec(config: Config, region: string, refs: DashboardRefs): DashboardSpec {
  const own = { Cluster: config.cluster.name, Region: region };
  const custom = (metricName: string, stat: Stat, periodSeconds: number, label: string, extra = {}) => ({
    namespace: METRIC_NAMESPACE,
    metricName,
    dimensions: { ...own, ...extra },
    stat,
    periodSeconds,
    label,
  });
  const roots = WORKFLOW_NAMES.filter((w) => WORKFLOW_RUNS[w].root);
  const runs: DashboardMetric[] = roots.flatMap((workflow) =>
    EXECUTION_OUTCOMES.map((outcome) => ({
      namespace: 'AWS/States',
      metricName: `Executions${outcome}`,
      dimensions: { StateMachineArn: refs.stateMachineArn(workflow) },
      stat: 'Sum' as const,
      periodSeconds: 300,
      label: `${workflow} ${outcome}`,
    })),
  );
  const lambda = (metricName: 'Errors' | 'Throttles') =>
    CONTROL_PLANE_FUNCTIONS.map((fn) => ({
      namespace: 'AWS/Lambda',
      metricName,
      dimensions: { FunctionName: refs.functionName(fn) },
      stat: 'Sum' as const,
      periodSeconds: 300,
      label: `${fn} ${metricName.toLowerCase()}`,
    }));
  const ownAlarms = [
    ...operationsAlarmSpecs(config, region, refs.queueName),
    ...allFunctionAlarmSpecs(config, region, refs.functionName),
  ].map((a) => a.name);
  return {
    name: dashboardName(config, region),
    region,
    widgets: [
      {
        type: 'text',
        markdown: `# ${config.cluster.name} control plane, ${region}\nAlarms, the pause, dead letters and the audit query: docs/operations.md.`,
      },
      {
        type: 'log',
        title: 'Primary, epoch, nodes, gate and pause (last sweep)',
        fn: 'reconciler',
        query: censusQuery(1),
      },
      {
        type: 'metric',
        title: 'Gate: pause',
        metrics: [custom(AUTOMATION_PAUSED_METRIC, 'Maximum', 300, 'automation paused')],
      },
      {
        type: 'alarm',
        title: 'Cluster alarms',
        alarms: [
          primaryAlarmName(config, region),
          escalationAlarmName(config, region),
          regionDegradedAlarmName(config, region),
          readinessAlarmName(config, region),
        ],
      },
      { type: 'metric', title: 'Runs per workflow and outcome', metrics: runs },
      {
        type: 'metric',
        title: 'Runs that ended badly or overran',
        metrics: [
          ...RUN_FAILURE_STATUSES.map((o) =>
            custom(RUNS_ENDED_METRIC, 'Sum', 300, `runs ${o}`, { Outcome: o }),
          ),
          custom(RUNS_OVERDUE_METRIC, 'Maximum', 300, 'runs overdue'),
        ],
      },
      {
        type: 'metric',
        title: 'Certificate days left',
        metrics: [custom(CERT_DAYS_LEFT_METRIC, 'Minimum', 3600, 'days left (soonest node)')],
      },
      {
        type: 'metric',
        title: 'Serving switch per region (1 serving, 0 evacuated)',
        metrics: config.regions.map((r) =>
          custom(REGION_SERVING_METRIC, 'Minimum', 60, r.name, { Region: r.name }),
        ),
      },
      {
        type: 'alarm',
        title: 'Serving switches',
        alarms: config.regions.map((r) => switchAlarmName(config, r.name)),
      },
      { type: 'alarm', title: 'The control plane itself', alarms: ownAlarms },
      { type: 'metric', title: 'Lambda errors', metrics: lambda('Errors') },
      {
        type: 'metric',
        title: 'Rejected events, sweep errors, dead letters',
        metrics: [
          custom(INVALID_EVENT_METRIC_NAME, 'Sum', 300, 'invalid events'),
          custom(SWEEP_ERRORS_METRIC, 'Sum', 300, 'sweep errors'),
          {
            namespace: 'AWS/SQS',
            metricName: 'ApproximateNumberOfMessagesVisible',
            dimensions: { QueueName: refs.queueName },
            stat: 'Maximum',
            periodSeconds: 300,
            label: 'dead letters',
          },
        ],
      },
      { type: 'log', title: 'Census history (last hour)', fn: 'reconciler', query: censusQuery(12) },
    ],
  };
}

/**
 * The CloudWatch dashboard body (an object: CDK's `Stack.toJsonString` makes the JSON, tokens resolved).
 * Full-width text and log widgets, metric and alarm widgets two a row; `logGroupName` is the function's.
 */
export function dashboardBody(
  spec: DashboardSpec,
  at: {
    readonly account: string;
    readonly partition: string;
    readonly logGroupName: (fn: FunctionName) => string;
  },
) {
  let x = 0;
  let y = 0;
  const place = (width: number, height: number) => {
    if (x + width > 24) {
      x = 0;
      y += 6;
    }
    const p = { x, y, width, height };
    x += width;
    return p;
  };
  const alarmArn = (name: string) =>
    `arn:${at.partition}:cloudwatch:${spec.region}:${at.account}:alarm:${name}`;
  const widgets = spec.widgets.map((w) => {
    switch (w.type) {
      case 'text':
        return { type: 'text', ...place(24, 2), properties: { markdown: w.markdown } };
      case 'log':
        return {
          type: 'log',
          ...place(24, 6),
          properties: {
            title: w.title,
            region: spec.region,
            view: 'table',
            query: `SOURCE '${at.logGroupName(w.fn)}' | ${w.query}`,
          },
        };
      case 'alarm':
        return {
          type: 'alarm',
          ...place(12, 6),
          properties: { title: w.title, alarms: w.alarms.map(alarmArn) },
        };
      default:
        return {
          type: 'metric',
          ...place(12, 6),
          properties: {
            title: w.title,
            region: spec.region,
            view: 'timeSeries',
            stacked: false,
            metrics: w.metrics.map((m) => [
              m.namespace,
              m.metricName,
              ...Object.entries(m.dimensions).flat(),
              { stat: m.stat, period: m.periodSeconds, label: m.label },
            ]),
          },
        };
    }
  });
  return { widgets };
}
