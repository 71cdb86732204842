/**
 * Operations (issue 15) in one pure description, read by the CDK construct (infra/constructs/operations.ts)
 * and the twin's deployment (sim/deploy.ts) alike, so what is rehearsed is what is deployed:
 * - the alarms of the control plane watching itself ({@link functionAlarmSpecs}, {@link operationsAlarmSpecs}),
 *   every one named by infra/stacks/names.ts and sent to the region's topic;
 * - what every workflow is (root or child) and how long a healthy run takes ({@link WORKFLOW_RUNS}), passed to
 *   the sweep and the report Lambda as `RUN_BOUNDS` ({@link runsEnvironment});
 * - the run-status rule's pattern ({@link runStatusEventPattern}), the dead-letter queue's settings and the
 *   operations Lambda's environment ({@link operationsEnvironment}).
 * The dashboard is infra/dashboard.ts.
 */
import { PRIMARY_HEALTHY_METRIC } from '../functions/core/failover';
import { PRIMARY_RESTART_PLANNED_METRIC } from '../functions/core/planned-restart';
import { ENV } from '../functions/shared/env';
import type { CERT_WORKFLOWS } from './cert-rotation';
import type { Config } from './config/schema';
import type { NODE_WORKFLOWS } from './node-lifecycle';
import type { FAILOVER_WORKFLOWS } from './primary-failover';
import type { REGIONAL_WORKFLOWS } from './regional-failover';
import type { MetricAlarmSpec } from './regional-routing';
import {
  AUTOMATION_PAUSED_METRIC,
  deadLetterQueueName,
  functionAlarmName,
  INVALID_EVENT_METRIC_NAME,
  METRIC_NAMESPACE,
  type OperationsAlarmKind,
  operationsAlarmName,
  RUN_FAILURE_STATUSES,
  RUNS_ENDED_METRIC,
  RUNS_OVERDUE_METRIC,
  type RunFailureStatus,
  routingVoters,
  runAlarmKind,
  SWEEP_ERRORS_METRIC,
} from './stacks/names';
import { FUNCTION_TIMEOUT_SECONDS, type FunctionName } from './workflow-definitions';

export { AUTOMATION_PAUSED_METRIC };

/** Every Lambda function of the regional stack (the `<fn>` of its alarms' names). */
export const CONTROL_PLANE_FUNCTIONS = Object.keys(FUNCTION_TIMEOUT_SECONDS) as FunctionName[];

/**
 * The functions an EventBridge rule or schedule invokes (asynchronously): each gets an EventInvokeConfig whose
 * on-failure destination is the dead-letter queue. The others are invoked synchronously (by a workflow's Task
 * or an operator), where the caller sees the error.
 */
export const EVENT_DRIVEN_FUNCTIONS = ['dispatch', 'watch', 'reconciler', 'command', 'report'] as const;
export type EventDrivenFunction = (typeof EVENT_DRIVEN_FUNCTIONS)[number];

/**
 * Lambda's asynchronous invocation settings for {@link EVENT_DRIVEN_FUNCTIONS} (Lambda developer guide,
 * "Configuring error handling for asynchronous invocation": MaximumRetryAttempts 0-2, MaximumEventAgeInSeconds
 * 60-21600): two retries, an hour at most, then the on-failure destination.
 */
export const ASYNC_INVOKE = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 3600 } as const;

/**
 * An EventBridge rule target's retry policy (EventBridge user guide, "Event retry policy and using dead-letter
 * queues"): 4 retries within an hour, then the dead-letter queue. A target with a reason for another keeps it
 * (the watch's one-minute event age: a stale tick is worth nothing; the readiness schedule's period).
 */
export const RULE_TARGET_RETRY = { maximumRetryAttempts: 4, maximumEventAgeSeconds: 3600 } as const;

/** An alarm the twin's CloudWatch and CDK both take: a metric alarm, or a metric-math one (`math`). */
export interface OperationsAlarmSpec extends MetricAlarmSpec {
  readonly math?: {
    readonly expression: string;
    readonly metrics: readonly {
      readonly id: string;
      readonly namespace: string;
      readonly metricName: string;
      readonly dimensions: Readonly<Record<string, string>>;
      readonly statistic: 'Minimum' | 'Maximum' | 'Average' | 'Sum' | 'SampleCount';
    }[];
  };
}

const atLeastOne = {
  periodSeconds: 300,
  evaluationPeriods: 1,
  datapointsToAlarm: 1,
  threshold: 1,
  comparison: 'GreaterThanOrEqualToThreshold',
  treatMissingData: 'notBreaching',
} as const;

/**
 * A function's two alarms: AWS/Lambda `Errors` and `Throttles` {FunctionName} Sum over 5 minutes, >= 1,
 * missing data not breaching (Lambda publishes these only when the function is invoked). `functionName` is
 * the deployed name (a CDK token, or the twin's name).
 */
export function functionAlarmSpecs(
  config: Config,
  region: string,
  fn: string,
  functionName: string,
): OperationsAlarmSpec[] {
  return (['errors', 'throttles'] as const).map((kind) => ({
    name: functionAlarmName(config, region, fn, kind),
    namespace: 'AWS/Lambda',
    metricName: kind === 'errors' ? 'Errors' : 'Throttles',
    dimensions: { FunctionName: functionName },
    statistic: 'Sum',
    ...atLeastOne,
  }));
}

/** Every function's alarms, in {@link CONTROL_PLANE_FUNCTIONS} order. */
export function allFunctionAlarmSpecs(
  config: Config,
  region: string,
  functionNameOf: (fn: FunctionName) => string,
): OperationsAlarmSpec[] {
  return CONTROL_PLANE_FUNCTIONS.flatMap((fn) => functionAlarmSpecs(config, region, fn, functionNameOf(fn)));
}

/**
 * The region's operations alarms (one per {@link OperationsAlarmKind}), `queueName` the dead-letter queue's.
 * - runs-*: `RunsEnded{Cluster, Region, Outcome}` (the report Lambda counts a root run that ended so).
 * - runs-overdue: the sweep's `RunsOverdue` (Maximum: the count itself).
 * - invalid-events, sweep-errors: published only when something happened.
 * - watch-silent: the watch publishes every minute either `PrimaryHealthy` or, during a planned restart,
 *   `PrimaryRestartPlanned`; the alarm is their summed sample counts, FILLed with 0, below 1 for 3 minutes in a
 *   row, and a minute where neither metric has a datapoint breaches. The primary-unhealthy alarm keeps `ignore`:
 *   a dead watch alerts here and never starts a failover.
 * - dead-letters: the queue's visible messages (AWS/SQS, free).
 */
export function operationsAlarmSpecs(
  config: Config,
  region: string,
  queueName = deadLetterQueueName(config),
): OperationsAlarmSpec[] {
  const own = { Cluster: config.cluster.name, Region: region };
  const custom = (kind: OperationsAlarmKind, metricName: string, statistic: 'Sum' | 'Maximum') => ({
    name: operationsAlarmName(config, region, kind),
    namespace: METRIC_NAMESPACE,
    metricName,
    dimensions: own,
    statistic,
    ...atLeastOne,
  });
  const runs = RUN_FAILURE_STATUSES.map((status: RunFailureStatus) => ({
    ...custom(runAlarmKind(status), RUNS_ENDED_METRIC, 'Sum'),
    dimensions: { ...own, Outcome: status },
  }));
  const count = (id: string, metricName: string) => ({
    id,
    namespace: METRIC_NAMESPACE,
    metricName,
    dimensions: own,
    statistic: 'SampleCount' as const,
  });
  const watchSilent: OperationsAlarmSpec = {
    name: operationsAlarmName(config, region, 'watch-silent'),
    namespace: '',
    metricName: '',
    dimensions: {},
    statistic: 'SampleCount',
    periodSeconds: 60,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    threshold: 1,
    comparison: 'LessThanThreshold',
    treatMissingData: 'breaching',
    math: {
      expression: 'FILL(healthy, 0) + FILL(planned, 0)',
      metrics: [count('healthy', PRIMARY_HEALTHY_METRIC), count('planned', PRIMARY_RESTART_PLANNED_METRIC)],
    },
  };
  return [
    ...runs,
    custom('runs-overdue', RUNS_OVERDUE_METRIC, 'Maximum'),
    custom('invalid-events', INVALID_EVENT_METRIC_NAME, 'Sum'),
    custom('sweep-errors', SWEEP_ERRORS_METRIC, 'Sum'),
    watchSilent,
    {
      name: operationsAlarmName(config, region, 'dead-letters'),
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: queueName },
      statistic: 'Maximum',
      ...atLeastOne,
    },
  ];
}

// ---------------------------------------------------------------- runs

export type WorkflowName =
  | (typeof NODE_WORKFLOWS)[number]
  | 'node-command'
  | (typeof FAILOVER_WORKFLOWS)[number]
  | (typeof CERT_WORKFLOWS)[number]
  | (typeof REGIONAL_WORKFLOWS)[number];

/** What a workflow's run is: a root (it reports itself) or a child its parent catches, and its bound. */
export interface WorkflowRun {
  readonly root: boolean;
  /** The longest a healthy run takes, well under the state machine's TimeoutSeconds. */
  readonly boundSeconds: number;
  /** The run may wait for a human approval: `failover.approvalTimeoutMinutes` is added when approval is required. */
  readonly plusApproval?: true;
}

/**
 * Every workflow of statemachines/ (test/infra/operations.test.ts checks the list is complete and that each
 * bound is under the definition's TimeoutSeconds). Roots are started by dispatch, a schedule, the reconciler,
 * another workflow without `.sync` (node-drain starts primary-failover so) or an operator; children by a
 * parent's `startExecution.sync:2` that catches their failure. Bounds come from BENCHMARKS.md's windows (the
 * longest healthy run of each scene family) with about twice that as margin.
 */
export const WORKFLOW_RUNS: Readonly<Record<WorkflowName, WorkflowRun>> = {
  // scale-out: launch to in service 14m20s at most (healthy); slow SSM 20m22s. TimeoutSeconds 7200.
  'node-bootstrap': { root: true, boundSeconds: 2400 },
  // SSM registration: a minute or two in the healthy scenes. Timeout 900.
  'node-bootstrap-await-ssm': { root: false, boundSeconds: 660 },
  // Artifactory start plus the ALB's healthy threshold (5 × 30 s): ~4 min. Timeout 1800.
  'node-bootstrap-await-ready': { root: false, boundSeconds: 900 },
  // scale-in: terminate to drained 5m47s at most (deregistration delay 300 s); a primary's drain waits for a
  // re-election first (primary-scale-in: 3m58s). Timeout 3600.
  'node-drain': { root: true, boundSeconds: 1800 },
  // the deregistration delay (300 s) and a margin. Timeout 900.
  'node-drain-await-drained': { root: false, boundSeconds: 600 },
  // at most 10 rounds of 60 s and the delivery timeout; a healthy command answers within a minute. Timeout 900.
  'node-command': { root: false, boundSeconds: 660 },
  // no ready primary for 4m34s at most (healthy elections); 37 min only with a fault. Timeout 5400.
  'primary-failover': { root: true, boundSeconds: 1800 },
  // confirmation: two probes of the node, a few minutes. Timeout 1800.
  'primary-failover-confirm': { root: false, boundSeconds: 900 },
  // promotion: configure, restart and wait for readiness (~4 min). Timeout 2400.
  'primary-failover-candidate': { root: false, boundSeconds: 1200 },
  // demoting extra primaries: a restart each. Timeout 3600.
  'primary-failover-demote': { root: false, boundSeconds: 1200 },
  // the Auto Scaling attach/detach calls and their activities. Timeout 900.
  'primary-failover-group-move': { root: false, boundSeconds: 600 },
  // stopping a superseded candidate. Timeout 1500.
  'primary-failover-quarantine': { root: false, boundSeconds: 900 },
  // graceful stop then the hypervisor stop and its wait. Timeout 1500.
  'primary-failover-stop-old': { root: false, boundSeconds: 900 },
  // a rolling renewal: 1.1 × N × 570 s per pass / maxUnavailable (BENCHMARKS.md "Certificate rotation of
  // 500 nodes": 67.27 h run, 87.08 h bound for 500 nodes); 96 h covers 500 nodes. Timeout 20 days.
  'cert-rotation': { root: true, boundSeconds: 96 * 3600 },
  // one node: drain 300 + restart 180 + verify 30 + commands 60 = 570 s. Timeout 9000.
  'cert-rotation-node': { root: false, boundSeconds: 1800 },
  // pre-checks, the flip and its verification: minutes; plus the approval wait when required. Timeout 103800.
  'regional-failover': { root: true, boundSeconds: 1800, plusApproval: true },
  // only a human's answer (up to approvalTimeoutMinutes). Timeout 86700.
  'regional-failover-approval': { root: false, boundSeconds: 300, plusApproval: true },
  // one flip and its wait for the switch alarm (a minute or two). Timeout 900.
  'regional-failover-switch': { root: false, boundSeconds: 600 },
  // readiness: a replication status command per region (~1 min). Timeout 1200.
  'regional-readiness': { root: true, boundSeconds: 600 },
};

export const WORKFLOW_NAMES = Object.keys(WORKFLOW_RUNS) as WorkflowName[];

/** A workflow's bound under `config` (the approval wait added when approval is required). */
export function runBoundSeconds(config: Config, workflow: WorkflowName): number {
  const run = WORKFLOW_RUNS[workflow];
  const approval = run.plusApproval && config.failover.approvalRequired;
  return run.boundSeconds + (approval ? config.failover.approvalTimeoutMinutes * 60 : 0);
}

/** One entry of `RUN_BOUNDS`. */
export interface RunBound {
  readonly workflow: WorkflowName;
  readonly arn: string;
  readonly root: boolean;
  readonly boundSeconds: number;
}

/** `RUN_BOUNDS` entries: every workflow with its deployed ARN (`arnOf`). */
export function runBounds(config: Config, arnOf: (workflow: WorkflowName) => string): RunBound[] {
  return WORKFLOW_NAMES.map((workflow) => {
    const arn = arnOf(workflow);
    if (typeof arn !== 'string' || arn.trim() === '') throw new Error(`RUN_BOUNDS: no ARN for ${workflow}`);
    return {
      workflow,
      arn,
      root: WORKFLOW_RUNS[workflow].root,
      boundSeconds: runBoundSeconds(config, workflow),
    };
  });
}

/** The sweep's and the report Lambda's `RUN_BOUNDS`: JSON of {@link runBounds}. */
export function runsEnvironment(
  config: Config,
  arnOf: (workflow: WorkflowName) => string,
): Record<string, string> {
  // The report Lambda's status path also names the cluster (RunsEnded's dimension, the REPORTED# marker).
  return {
    [ENV.runBounds]: JSON.stringify(runBounds(config, arnOf)),
    [ENV.clusterName]: config.cluster.name,
  };
}

/**
 * The run-status rule `<cluster>-run-status`: Step Functions status changes to FAILED, TIMED_OUT or ABORTED of
 * this region's state machines, listed explicitly (a prefix would match other stacks' state machines in the
 * account), to the report Lambda (Step Functions user guide, "Automating Step Functions event delivery with
 * EventBridge": source `aws.states`, detail-type `Step Functions Execution Status Change`).
 */
export function runStatusEventPattern(stateMachineArns: readonly string[]) {
  return {
    source: ['aws.states'],
    'detail-type': ['Step Functions Execution Status Change'],
    detail: { status: [...RUN_FAILURE_STATUSES], stateMachineArn: [...stateMachineArns] },
  };
}

export function runStatusRuleName(config: Config): string {
  return `${config.cluster.name}-run-status`;
}

// ---------------------------------------------------------------- dead letters and the operations Lambda

/** The queue's settings: retention from the config (SQS: 60 s to 14 days). */
export function deadLetterQueueSpec(config: Config) {
  return {
    name: deadLetterQueueName(config),
    retentionSeconds: config.operations.deadLetterRetentionDays * 86_400,
    /** Replay reads a message and deletes it once processed; 5 minutes covers a replay of 50 (60 s Lambda). */
    visibilityTimeoutSeconds: 300,
  };
}

/** What the operations Lambda may re-deliver dead letters to: this stack's targets only. */
export interface ReplayTargets {
  /** The event-driven functions' ARNs ({@link EVENT_DRIVEN_FUNCTIONS}). */
  readonly functions: readonly string[];
  /** The state machines a schedule starts (their EventBridge DLQ messages name them as TARGET_ARN). */
  readonly stateMachines: readonly string[];
}

/** The operations Lambda's environment (the table and topic are its region's). */
export function operationsEnvironment(
  config: Config,
  refs: {
    readonly stateTable: string;
    readonly topicArn: string;
    readonly queueUrl: string;
    /** Each voter region's routing table (every configured region and the witness). */
    readonly routingTables: Readonly<Record<string, string>>;
    readonly replayTargets: ReplayTargets;
  },
): Record<string, string> {
  checkVoterTables(config, refs.routingTables);
  return {
    [ENV.clusterName]: config.cluster.name,
    [ENV.stateTable]: refs.stateTable,
    [ENV.topicArn]: refs.topicArn,
    [ENV.automationEnabled]: String(config.automation.enabled),
    [ENV.metricNamespace]: METRIC_NAMESPACE,
    [ENV.deadLetterQueueUrl]: refs.queueUrl,
    [ENV.replayTargets]: JSON.stringify(refs.replayTargets),
    [ENV.pauseTables]: JSON.stringify(refs.routingTables),
    [ENV.pauseReminderHours]: String(config.operations.pauseReminderHours),
  };
}

/** Every voter (routingVoters) must have its table, and nothing else: the pause's copies are exactly those. */
function checkVoterTables(config: Config, tables: Readonly<Record<string, string>>): void {
  const voters = routingVoters(config);
  const missing = voters.filter((v) => !tables[v]);
  const extra = Object.keys(tables).filter((r) => !voters.includes(r));
  if (missing.length > 0 || extra.length > 0)
    throw new Error(
      `pause tables: ${[missing.length > 0 ? `no table for voter ${missing.join(', ')}` : '', extra.length > 0 ? `${extra.join(', ')} is no voter` : ''].filter(Boolean).join('; ')}`,
    );
}

/** What the sweep needs beyond its own environment for the pause (§5): every voter's table and the reminder period. */
export function sweepOperationsEnvironment(
  config: Config,
  routingTables: Readonly<Record<string, string>>,
  arnOf: (workflow: WorkflowName) => string,
): Record<string, string> {
  checkVoterTables(config, routingTables);
  return {
    ...runsEnvironment(config, arnOf),
    [ENV.pauseTables]: JSON.stringify(routingTables),
    [ENV.pauseReminderHours]: String(config.operations.pauseReminderHours),
    // The census line's gate: the primary-failover cooldown and the daily budget it reports.
    [ENV.cooldownMinutes]: String(config.automation.cooldownMinutes.primaryFailover),
    [ENV.dailyBudget]: String(config.automation.dailyBudget),
  };
}
