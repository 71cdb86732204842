/**
 * The node-lifecycle deployment in one description, used by the CDK stack and by the twin's deployment
 * alike, so what is rehearsed on the twin is what is deployed: hook settings, the event pattern that routes
 * lifecycle actions to dispatch, the reconciler's schedule, and each workflow's definition substitutions.
 */
import { HOOK_NAMES } from '../functions/core/lifecycle';
import type { Config, RegionConfig } from './config/schema';

/**
 * Launch hook: ABANDON by default, so a node the control plane never vouched for is terminated and replaced
 * rather than left serving unconfigured. Terminate hook: CONTINUE by default (both results terminate; CONTINUE
 * lets any other hooks run). 900 s heartbeat: node-bootstrap and node-drain heartbeat at least every 20 s
 * while they wait, so 900 s only expires when the workflow is gone; the sweep restarts a lost workflow every
 * 5 minutes, well inside it. Global timeout = min(48 h, 100 x 900 s) = 25 h.
 */
export const HOOKS = [
  {
    name: HOOK_NAMES.launch,
    transition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
    heartbeatTimeoutSeconds: 900,
    defaultResult: 'ABANDON',
  },
  {
    name: HOOK_NAMES.terminate,
    transition: 'autoscaling:EC2_INSTANCE_TERMINATING',
    heartbeatTimeoutSeconds: 900,
    defaultResult: 'CONTINUE',
  },
] as const;

/** The reconciler's sweep interval. */
export const SWEEP_MINUTES = 5;

/** EventBridge pattern: lifecycle actions of this region's two groups only. */
export function lifecycleEventPattern(region: RegionConfig) {
  return {
    source: ['aws.autoscaling'],
    'detail-type': ['EC2 Instance-launch Lifecycle Action', 'EC2 Instance-terminate Lifecycle Action'],
    detail: { AutoScalingGroupName: [region.primaryAsgName, region.memberAsgName] },
  };
}

/** Secrets Manager names of the cluster's master and join keys (read on the nodes, never by a workflow). */
export function keySecretNames(config: Config): { masterKey: string; joinKey: string } {
  return { masterKey: `${config.cluster.name}/master-key`, joinKey: `${config.cluster.name}/join-key` };
}

export interface NodeLifecycleRefs {
  readonly leaseFunctionArn: string;
  readonly reportFunctionArn: string;
  readonly nodeCommandStateMachineArn: string;
  readonly targetGroupArn: string;
  readonly stateTableName: string;
  readonly documents: {
    readonly configure: string;
    readonly start: string;
    readonly stop: string;
    readonly probe: string;
  };
  readonly masterKeySecretId: string;
  readonly joinKeySecretId: string;
  /** node-bootstrap claims the primary role through it; node-drain starts the planned handover. */
  readonly failoverFunctionArn: string;
  readonly failoverStateMachineArn: string;
}

export function bootstrapSubstitutions(r: NodeLifecycleRefs): Record<string, string> {
  return {
    LeaseFunctionArn: r.leaseFunctionArn,
    ReportFunctionArn: r.reportFunctionArn,
    NodeCommandStateMachineArn: r.nodeCommandStateMachineArn,
    ConfigureDocument: r.documents.configure,
    StartDocument: r.documents.start,
    StopDocument: r.documents.stop,
    ProbeDocument: r.documents.probe,
    TargetGroupArn: r.targetGroupArn,
    StateTableName: r.stateTableName,
    MasterKeySecretId: r.masterKeySecretId,
    JoinKeySecretId: r.joinKeySecretId,
    FailoverFunctionArn: r.failoverFunctionArn,
  };
}

export function drainSubstitutions(r: NodeLifecycleRefs): Record<string, string> {
  return {
    ReportFunctionArn: r.reportFunctionArn,
    NodeCommandStateMachineArn: r.nodeCommandStateMachineArn,
    StopDocument: r.documents.stop,
    TargetGroupArn: r.targetGroupArn,
    StateTableName: r.stateTableName,
    FailoverStateMachineArn: r.failoverStateMachineArn,
  };
}
