import type { Config } from '../config/schema';

/** CloudWatch namespace of every metric the control plane publishes. */
export const METRIC_NAMESPACE = 'ArtifactoryHA';

/** The metric Route 53 watches through the switch alarm: 1 = the region serves, 0 = evacuated. */
export const REGION_SERVING_METRIC = 'RegionServing';

/**
 * The switch alarm's name. The regional stack creates it and the global stack's health check references it
 * by name and region, so both derive it here (CloudFormation cannot reference across regions).
 */
export function switchAlarmName(config: Config, region: string): string {
  return `${config.cluster.name}-${region}-region-serving`;
}

export function controlPlaneStackName(config: Config, region: string): string {
  return `${config.cluster.name}-control-plane-${region}`;
}

/**
 * The control-plane stack's CloudFormation outputs (DescribeStacks), by what they name: what hactl reads to find
 * the region's resources. The CDK stack declares them, the twin's CloudFormation answers the same keys.
 */
export const CONTROL_PLANE_OUTPUTS = {
  stateTable: 'StateTableName',
  operationsFunction: 'OperationsFunctionName',
  topicArn: 'TopicArn',
  routingTable: 'RoutingTableName',
} as const;

export function globalRoutingStackName(config: Config): string {
  return `${config.cluster.name}-global-routing`;
}

/** The metric a live drill flips instead of {@link REGION_SERVING_METRIC}: the canary record's switch. */
export const CANARY_SERVING_METRIC = 'CanaryServing';

/**
 * Where region `switched`'s switch lives: a copy of its switch alarm in EVERY configured region (same name in
 * each; an alarm name is unique per region), over {@link REGION_SERVING_METRIC} with dimensions
 * `{ Cluster, Region: switched }` published in that copy's region. The region's health is the AND of every copy
 * (statemachines/regional-failover.md, "Where the switch lives").
 */
export function switchCopyRegions(config: Config): string[] {
  return config.regions.map((r) => r.name);
}

/** The canary record's switch alarm for region `region` (copies like the real switch), when a canary is configured. */
export function canarySwitchAlarmName(config: Config, region: string): string {
  return `${config.cluster.name}-${region}-canary-serving`;
}

/** The region's health alarm (in the region itself) whose ALARM starts an automatic evacuation of it. */
export function regionDegradedAlarmName(config: Config, region: string): string {
  return `${config.cluster.name}-${region}-region-degraded`;
}

/** The metric the readiness evaluation publishes in each region: 1 = it could take over, 0 = it could not. */
export const REGION_READY_METRIC = 'RegionReady';

/** The alarm (in the region itself) on {@link REGION_READY_METRIC}: the region could not take over. */
export function readinessAlarmName(config: Config, region: string): string {
  return `${config.cluster.name}-${region}-not-ready`;
}

/**
 * The routing table: one per configured region and one in the witness region, the same name in each, so any
 * region's control plane can address every copy (`arn:aws:dynamodb:<region>:<account>:table/<name>`).
 */
export function routingTableName(config: Config): string {
  return `${config.cluster.name}-routing`;
}

/** The regions holding a routing table: every configured region, then the witness (the quorum's voters). */
export function routingVoters(config: Config): string[] {
  const names = config.regions.map((r) => r.name);
  return config.failover.witnessRegion === undefined ? names : [...names, config.failover.witnessRegion];
}

/** A majority of {@link routingVoters}. */
export function routingQuorum(config: Config): number {
  return Math.floor(routingVoters(config).length / 2) + 1;
}

/**
 * Workflows a control plane in another region starts or inspects get a fixed name (the others keep CDK's), so
 * `arn:aws:states:<region>:<account>:stateMachine:<name>` is known in every region.
 */
export function fixedStateMachineName(config: Config, workflow: 'regional-failover'): string {
  return `${config.cluster.name}-${workflow}`;
}

/** CDK's name of the workflow `workflow` in the stack `stackName`: `${stackName}-${workflow}`, at most 80 characters. */
export function workflowStateMachineName(stackName: string, workflow: string): string {
  return `${stackName}-${workflow}`.slice(0, 80);
}

/** The deployed name of `workflow` in the control-plane stack `stackName` (fixed or CDK's; hactl derives ARNs so). */
export function stateMachineNameIn(config: Config, stackName: string, workflow: string): string {
  return workflow === 'regional-failover'
    ? fixedStateMachineName(config, workflow)
    : workflowStateMachineName(stackName, workflow);
}

export function witnessStackName(config: Config): string {
  return `${config.cluster.name}-routing-witness`;
}

// ---- Operations (issue 15): the control plane watching itself. docs/operations.md lists every alarm. ----

/** Root runs that ended FAILED, TIMED_OUT or ABORTED, from Step Functions status events (dimension `Outcome`). */
export const RUNS_ENDED_METRIC = 'RunsEnded';
/** The Step Functions statuses {@link RUNS_ENDED_METRIC} counts, each its own alarm. */
export const RUN_FAILURE_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;
export type RunFailureStatus = (typeof RUN_FAILURE_STATUSES)[number];
/** Executions the sweep found running longer than their workflow's expected bound (published only when > 0). */
export const RUNS_OVERDUE_METRIC = 'RunsOverdue';
/** 1 while the global pause is on (published by the sweep only while paused, and one 0 when it ends). */
export const AUTOMATION_PAUSED_METRIC = 'AutomationPaused';
/** Every handler's rejected events (functions/shared/handler.ts), dimensions `{ Cluster, Region }`. */
export const INVALID_EVENT_METRIC_NAME = 'InvalidEvent';
/** The sweep's failures (functions/reconciler), dimensions `{ Cluster, Region }`. */
export const SWEEP_ERRORS_METRIC = 'SweepErrors';

/** What an operations alarm watches; each kind is one alarm per region. */
export const OPERATIONS_ALARM_KINDS = [
  'runs-failed',
  'runs-timed-out',
  'runs-aborted',
  'runs-overdue',
  'invalid-events',
  'sweep-errors',
  'watch-silent',
  'dead-letters',
] as const;
export type OperationsAlarmKind = (typeof OPERATIONS_ALARM_KINDS)[number];

/** `<cluster>-<region>-<kind>`, the naming every alarm of the control plane follows. */
export function operationsAlarmName(config: Config, region: string, kind: OperationsAlarmKind): string {
  return `${config.cluster.name}-${region}-${kind}`;
}

/** The alarm of a Step Functions failure status. */
export function runAlarmKind(status: RunFailureStatus): OperationsAlarmKind {
  return status === 'FAILED' ? 'runs-failed' : status === 'TIMED_OUT' ? 'runs-timed-out' : 'runs-aborted';
}

/** A Lambda's own alarms: `<cluster>-<region>-<function>-errors` and `-throttles` (AWS/Lambda, per function). */
export function functionAlarmName(
  config: Config,
  region: string,
  fn: string,
  kind: 'errors' | 'throttles',
): string {
  return `${config.cluster.name}-${region}-${fn}-${kind}`;
}

/**
 * The dead-letter queue of the region: dispatch's on-failure destination and every EventBridge rule target's
 * DLQ, encrypted with the region's control-plane key.
 */
export function deadLetterQueueName(config: Config): string {
  return `${config.cluster.name}-dead-letters`;
}

/** The region's CloudWatch dashboard (dashboards are global: the region is in the name). */
export function dashboardName(config: Config, region: string): string {
  return `${config.cluster.name}-${region}`;
}
