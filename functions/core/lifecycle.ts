/**
 * Node lifecycle decisions (node-bootstrap, node-drain, dispatch, reconciler): which workflow a
 * lifecycle action needs, the deterministic name its execution gets, and the workflow's input. Pure: the
 * dispatch handler and the reconciler's sweep both call it, so an event and a sweep for the same lifecycle
 * action compute the same execution and Step Functions' name idempotency keeps it to one run.
 */

export type ClusterMode = 'legacy-primary' | 'cloud-native';
export type NodeRole = 'primary' | 'member';
export type LifecycleWorkflow = 'node-bootstrap' | 'node-drain';
export type Transition = 'autoscaling:EC2_INSTANCE_LAUNCHING' | 'autoscaling:EC2_INSTANCE_TERMINATING';
export type Location = 'EC2' | 'AutoScalingGroup' | 'WarmPool';

/** The cluster's groups in one region, from the deployment config. */
export interface ClusterGroups {
  readonly cluster: string;
  readonly region: string;
  readonly mode: ClusterMode;
  readonly primaryAsgName: string;
  readonly memberAsgName: string;
}

/** The cluster's groups in the region an event came from. */
export function clusterGroups(
  config: Pick<ClusterGroups, 'cluster' | 'mode' | 'primaryAsgName' | 'memberAsgName'>,
  region: string,
): ClusterGroups {
  return {
    cluster: config.cluster,
    region,
    mode: config.mode,
    primaryAsgName: config.primaryAsgName,
    memberAsgName: config.memberAsgName,
  };
}

/** One pending lifecycle action, from an event or found by the sweep (which has no token). */
export interface LifecycleAction {
  readonly groupName: string;
  readonly hookName: string;
  readonly instanceId: string;
  readonly transition: Transition;
  readonly origin?: Location | undefined;
  readonly destination?: Location | undefined;
}

/** The input node-bootstrap and node-drain receive. It never carries a secret. */
export interface NodeWorkflowInput {
  readonly cluster: string;
  readonly region: string;
  readonly mode: ClusterMode;
  readonly instanceId: string;
  readonly groupName: string;
  readonly hookName: string;
  readonly role: NodeRole;
  /** cloud-native: whether the node runs cluster tasks. */
  readonly taskAffinity: 'any' | 'none';
}

export type LifecycleDecision =
  | {
      readonly kind: 'start';
      readonly workflow: LifecycleWorkflow;
      readonly executionName: string;
      readonly input: NodeWorkflowInput;
    }
  /** Complete the action at once, without a workflow (warm pool traffic: see {@link decideLifecycle}). */
  | { readonly kind: 'complete'; readonly result: 'CONTINUE'; readonly reason: string }
  | { readonly kind: 'ignore'; readonly reason: string };

/** `node-bootstrap-i-0abc…`: instance ids are never reused, so one lifecycle transition ↔ one name (≤ 80 chars). */
export function executionName(workflow: LifecycleWorkflow, instanceId: string): string {
  return `${workflow}-${instanceId}`;
}

/**
 * What to do with a lifecycle action.
 *
 * Warm pools (EC2 Auto Scaling user guide, "Warm pools: lifecycle hooks"): an instance launched INTO the warm
 * pool (Destination WarmPool) is only pre-initialized and must not join the cluster, so the action is
 * completed with CONTINUE without bootstrapping; an instance leaving the warm pool for the group (Origin
 * WarmPool, Destination AutoScalingGroup) is bootstrapped like any launch; an instance terminating out of the
 * warm pool (Origin WarmPool) never served, so it is completed without a drain; a serving instance scaled in
 * back to the pool (Destination WarmPool) leaves the cluster exactly as on termination: it is drained.
 */
export function decideLifecycle(action: LifecycleAction, groups: ClusterGroups): LifecycleDecision {
  const role = roleOf(action.groupName, groups);
  if (role === undefined)
    return { kind: 'ignore', reason: `group ${action.groupName} is not one of the cluster's groups` };

  const launching = action.transition === 'autoscaling:EC2_INSTANCE_LAUNCHING';
  if (launching && action.destination === 'WarmPool') {
    return {
      kind: 'complete',
      result: 'CONTINUE',
      reason: 'launched into the warm pool: it joins the cluster when it leaves the pool',
    };
  }
  if (!launching && action.origin === 'WarmPool') {
    return {
      kind: 'complete',
      result: 'CONTINUE',
      reason: 'terminating from the warm pool: it never joined the cluster',
    };
  }
  const workflow: LifecycleWorkflow = launching ? 'node-bootstrap' : 'node-drain';
  return {
    kind: 'start',
    workflow,
    executionName: executionName(workflow, action.instanceId),
    input: {
      cluster: groups.cluster,
      region: groups.region,
      mode: groups.mode,
      instanceId: action.instanceId,
      groupName: action.groupName,
      hookName: action.hookName,
      role,
      // Cloud-native: every node runs tasks except by choice; the primary group's node keeps them too.
      taskAffinity: 'any',
    },
  };
}

/** The role a node gets from its group; undefined for a foreign group. */
export function roleOf(groupName: string, groups: ClusterGroups): NodeRole | undefined {
  if (groupName === groups.primaryAsgName) return 'primary';
  if (groupName === groups.memberAsgName) return 'member';
  return undefined;
}

/** The lifecycle hooks the control-plane stack puts on both groups (same names on each group). */
export const HOOK_NAMES = {
  launch: 'artifactory-ha-launch',
  terminate: 'artifactory-ha-terminate',
} as const;

/**
 * Whether a lifecycle action belongs to the hook the control plane put for its transition. Another team may put
 * its own hooks on the same group: each emits its own lifecycle event for the same instance, and acting on one
 * (under the deterministic execution name, which the project's own action then finds taken) would leave the
 * project's hook unanswered until it times out and abandons the launch. Such an action is not the control
 * plane's to complete: its owner's default result ends it.
 */
export function isProjectHook(hookName: string, transition: Transition): boolean {
  return (
    hookName ===
    (transition === 'autoscaling:EC2_INSTANCE_LAUNCHING' ? HOOK_NAMES.launch : HOOK_NAMES.terminate)
  );
}

/** Lifecycle states the reconciler's sweep looks for (EC2 Auto Scaling instance lifecycle). */
export const WAITING_STATES = ['Pending:Wait', 'Terminating:Wait'] as const;

/**
 * The action a sweep reconstructs for an instance found waiting (no token, no Origin/Destination). Always under
 * the project's own hook for the state: DescribeAutoScalingGroups does not say which hook an instance waits on,
 * so an instance held only by another team's hook gets (at most) the execution the project's hook needs, under
 * the same name as the event's, never one under the other team's hook.
 */
export function sweptAction(
  groupName: string,
  instanceId: string,
  state: (typeof WAITING_STATES)[number],
): LifecycleAction {
  const launching = state === 'Pending:Wait';
  return {
    groupName,
    instanceId,
    hookName: launching ? HOOK_NAMES.launch : HOOK_NAMES.terminate,
    transition: launching ? 'autoscaling:EC2_INSTANCE_LAUNCHING' : 'autoscaling:EC2_INSTANCE_TERMINATING',
  };
}
