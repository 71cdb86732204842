/**
 * The regional-failover deployment in one description, used by the CDK construct and the twin's deployment
 * alike (as infra/primary-failover.ts is for elections): the workflows and their definition substitutions,
 * the routing lease's TTL, the two schedules (readiness evaluation, drill) and what they start.
 */
import type { Config } from './config/schema';
import { fixedStateMachineName } from './stacks/names';
import { stateMachineArnPlaceholder, substitutionsFor } from './workflow-definitions';

/** The parent workflow's name: statemachines/regional-failover.asl.json. */
export const REGIONAL_FAILOVER = 'regional-failover';
/** The scheduled readiness evaluation (each region for itself). */
export const REGIONAL_READINESS = 'regional-readiness';

/** The regional-failover family (the parent first, then its phase children) and the readiness evaluation. */
export const REGIONAL_WORKFLOWS = [
  'regional-failover',
  'regional-failover-approval',
  'regional-failover-switch',
  'regional-readiness',
] as const;
export type RegionalWorkflow = (typeof REGIONAL_WORKFLOWS)[number];

/** The largest `failover.approvalTimeoutMinutes` the schema accepts: the approval child's bound covers it. */
export const APPROVAL_TIMEOUT_MAX_MINUTES = 1440;

/**
 * The routing lease's TTL as the workflows ask for it (`acquire` in the parent, `extend` first in the switch
 * child). It outlasts what a holder can do while it holds the lease (the plan under the lease; then the whole
 * switch child, which extends it first, and the release), not the parent's whole timeout, which includes the
 * approval wait: when the holder's region is lost (DescribeExecution unreachable = still running), another
 * region takes the lease over after this TTL, not after a day (test/infra/leases.test.ts).
 */
export const ROUTING_LEASE_TTL_SECONDS = 1200;

/** The parent's fixed state machine name: dispatch in another region starts it by ARN. */
export function regionalFailoverStateMachineName(config: Config): string {
  return fixedStateMachineName(config, REGIONAL_FAILOVER);
}

export interface RegionalFailoverRefs {
  readonly clusterName: string;
  readonly region: string;
  readonly routingFunctionArn: string;
  readonly reportFunctionArn: string;
  readonly nodeCommandStateMachineArn: string;
  readonly topicArn: string;
  /** Each workflow's ARN, known before it is created (the parent starts the children). */
  readonly stateMachineArn: (name: RegionalWorkflow) => string;
  readonly approvalRequired: boolean;
  readonly approvalTimeoutMinutes: number;
  /** The ReadReplicationStatus document's name (its parameters come from the routing Lambda's readiness-target). */
  readonly readReplicationStatusDocument: string;
}

/** Each workflow's definition substitutions, exactly the placeholders its file uses. */
export function regionalFailoverSubstitutions(
  r: RegionalFailoverRefs,
): Record<RegionalWorkflow, Record<string, string>> {
  if (r.approvalTimeoutMinutes < 1 || r.approvalTimeoutMinutes > APPROVAL_TIMEOUT_MAX_MINUTES) {
    throw new Error(
      `failover.approvalTimeoutMinutes ${r.approvalTimeoutMinutes} is outside 1-${APPROVAL_TIMEOUT_MAX_MINUTES}`,
    );
  }
  const available: Record<string, string> = {
    ClusterName: r.clusterName,
    Region: r.region,
    RoutingFunctionArn: r.routingFunctionArn,
    ReportFunctionArn: r.reportFunctionArn,
    NodeCommandStateMachineArn: r.nodeCommandStateMachineArn,
    TopicArn: r.topicArn,
    ApprovalRequired: String(r.approvalRequired),
    ApprovalTimeoutSeconds: String(r.approvalTimeoutMinutes * 60),
    ReadReplicationStatusDocument: r.readReplicationStatusDocument,
  };
  for (const name of REGIONAL_WORKFLOWS)
    available[stateMachineArnPlaceholder(name)] = r.stateMachineArn(name);
  return Object.fromEntries(
    REGIONAL_WORKFLOWS.map((name) => [name, substitutionsFor(name, available)]),
  ) as Record<RegionalWorkflow, Record<string, string>>;
}

/** The readiness evaluation's schedule: every `failover.readiness.evaluationMinutes` (5-1440). */
export function readinessScheduleExpression(config: Config): string {
  return `rate(${config.failover.readiness.evaluationMinutes} minutes)`;
}

export function readinessRuleName(config: Config, region: string): string {
  return `${config.cluster.name}-${region}-readiness`;
}

export function drillRuleName(config: Config, region: string): string {
  return `${config.cluster.name}-${region}-failover-drill`;
}

/** The regional-failover input the scheduled drill starts. */
export interface DrillInput {
  readonly action: 'evacuate';
  readonly region: string;
  readonly dryRun: boolean;
  readonly trigger: 'drill';
  readonly reason: string;
  readonly canary?: true;
}

/**
 * The drill of `region`, by its own region's schedule: a dry-run evacuation (a report with the checks, the
 * expected time to exclusion and the switch's current state); with a canary record configured, a live
 * evacuation of the canary's switch only.
 */
export function drillInput(config: Config, region: string): DrillInput {
  const live = config.failover.drill.canaryRecordName !== undefined;
  return {
    action: 'evacuate',
    region,
    dryRun: !live,
    trigger: 'drill',
    reason: 'scheduled drill',
    ...(live ? { canary: true as const } : {}),
  };
}
