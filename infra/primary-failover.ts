/**
 * The primary-failover deployment in one description, used by the CDK stack and the twin's deployment alike
 * (as infra/node-lifecycle.ts is for the node lifecycle): the primary-unhealthy alarm and its metric, the
 * watch's schedule, the event pattern that routes the alarm to dispatch, the failover Lambda's environment
 * and the workflow's definition substitutions.
 */
import { certAlarmName } from '../functions/core/cert-triggers';
import {
  primaryAlarmName as clusterPrimaryAlarmName,
  PRIMARY_HEALTHY_METRIC,
} from '../functions/core/failover';
import { ENV } from '../functions/shared/env';
import type { Config, RegionConfig } from './config/schema';
import { METRIC_NAMESPACE } from './stacks/names';
import { stateMachineArnPlaceholder, substitutionsFor } from './workflow-definitions';

export { PRIMARY_HEALTHY_METRIC };
export const WATCH_MINUTES = 1;

export function primaryAlarmName(config: Config, region: string): string {
  return clusterPrimaryAlarmName(config.cluster.name, region);
}

/** Escalations (an election that could not complete) alarm too: the report Lambda publishes this metric. */
export const ESCALATION_METRIC = 'PrimaryFailoverEscalated';
export function escalationAlarmName(config: Config, region: string): string {
  return `${config.cluster.name}-${region}-primary-failover-escalated`;
}

/**
 * The primary-unhealthy alarm: two consecutive minutes without a healthy primary behind the ALB. Missing data
 * is ignored (a silent watch does not start elections; its own errors alarm instead). Two periods keep one
 * failed ALB health check from starting a run; the workflow confirms on the node itself before acting.
 */
export function primaryAlarmSpec(config: Config, region: string) {
  return {
    name: primaryAlarmName(config, region),
    namespace: METRIC_NAMESPACE,
    metricName: PRIMARY_HEALTHY_METRIC,
    dimensions: { Cluster: config.cluster.name, Region: region },
    statistic: 'Minimum' as const,
    periodSeconds: 60,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    threshold: 1,
    comparison: 'LessThanThreshold' as const,
    treatMissingData: 'ignore' as const,
  };
}

/**
 * EventBridge pattern: the region's alarms dispatch acts on going into ALARM: primary-unhealthy (it starts
 * primary-failover) and certificate-expiry (it starts cert-rotation: infra/cert-triggers.ts).
 */
export function primaryAlarmEventPattern(config: Config, region: string) {
  return {
    source: ['aws.cloudwatch'],
    'detail-type': ['CloudWatch Alarm State Change'],
    detail: {
      alarmName: [primaryAlarmName(config, region), certAlarmName(config.cluster.name, region)],
      state: { value: ['ALARM'] },
    },
  };
}

/** The failover Lambda's environment (AWS_REGION comes from Lambda itself). */
export function failoverEnvironment(
  config: Config,
  region: RegionConfig,
  stateTable: string,
): Record<string, string> {
  return {
    [ENV.clusterName]: config.cluster.name,
    [ENV.clusterMode]: config.cluster.mode,
    [ENV.primaryAsgName]: region.primaryAsgName,
    [ENV.memberAsgName]: region.memberAsgName,
    [ENV.targetGroupArn]: region.targetGroupArns[0] as string,
    [ENV.stateTable]: stateTable,
    [ENV.minTaskNodes]: String(config.cluster.minTaskNodes),
    [ENV.cooldownMinutes]: String(config.automation.cooldownMinutes.primaryFailover),
    [ENV.dailyBudget]: String(config.automation.dailyBudget),
    [ENV.automationEnabled]: String(config.automation.enabled),
  };
}

/**
 * What dispatch and the reconciler need to hold automatic failovers while automation is paused and tell the
 * operator once per incident instead.
 */
export function pauseEnvironment(config: Config, topicArn: string): Record<string, string> {
  return {
    [ENV.automationEnabled]: String(config.automation.enabled),
    [ENV.topicArn]: topicArn,
  };
}

/** The watch Lambda's environment. */
export function watchEnvironment(config: Config, region: RegionConfig): Record<string, string> {
  return {
    [ENV.clusterName]: config.cluster.name,
    [ENV.primaryAsgName]: region.primaryAsgName,
    [ENV.targetGroupArn]: region.targetGroupArns[0] as string,
    [ENV.metricNamespace]: METRIC_NAMESPACE,
  };
}

/** The parent workflow's name: statemachines/primary-failover.asl.json. */
export const PRIMARY_FAILOVER = 'primary-failover';

/** The primary-failover family: the parent first, then its phase children. */
export const FAILOVER_WORKFLOWS = [
  'primary-failover',
  'primary-failover-confirm',
  'primary-failover-stop-old',
  'primary-failover-candidate',
  'primary-failover-quarantine',
  'primary-failover-group-move',
  'primary-failover-demote',
] as const;
export type FailoverWorkflow = (typeof FAILOVER_WORKFLOWS)[number];

export interface FailoverRefs {
  readonly failoverFunctionArn: string;
  readonly leaseFunctionArn: string;
  readonly reportFunctionArn: string;
  readonly nodeCommandStateMachineArn: string;
  /** Each family member's ARN, known before it is created (the parent starts the children). */
  readonly stateMachineArn: (name: FailoverWorkflow) => string;
  readonly primaryAsgName: string;
  readonly memberAsgName: string;
  readonly documents: {
    readonly probe: string;
    readonly stop: string;
    readonly setPrimaryRole: string;
  };
}

/** Each family member's definition substitutions, exactly the placeholders its file uses. */
export function failoverSubstitutions(r: FailoverRefs): Record<FailoverWorkflow, Record<string, string>> {
  const available: Record<string, string> = {
    FailoverFunctionArn: r.failoverFunctionArn,
    LeaseFunctionArn: r.leaseFunctionArn,
    ReportFunctionArn: r.reportFunctionArn,
    NodeCommandStateMachineArn: r.nodeCommandStateMachineArn,
    PrimaryAsgName: r.primaryAsgName,
    MemberAsgName: r.memberAsgName,
    ProbeDocument: r.documents.probe,
    StopDocument: r.documents.stop,
    SetPrimaryRoleDocument: r.documents.setPrimaryRole,
  };
  for (const name of FAILOVER_WORKFLOWS)
    available[stateMachineArnPlaceholder(name)] = r.stateMachineArn(name);
  return Object.fromEntries(
    FAILOVER_WORKFLOWS.map((name) => [name, substitutionsFor(name, available)]),
  ) as Record<FailoverWorkflow, Record<string, string>>;
}
