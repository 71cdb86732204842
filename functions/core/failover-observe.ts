/**
 * One round of observation of the primary-failover workflow: the cluster's nodes as Auto Scaling, the ALB,
 * EC2 and the nodes' readiness probes describe them, classified (healthy, down, mixed, split, unhoused) and
 * confirmed over a bounded window before anything is done.
 */
import type { ClusterState } from './failover';
import type { ClusterMode } from './lifecycle';
import { isQuarantined } from './quarantine';

/** Confirmation: consecutive observations that must agree the primary is down. */
export const CONFIRMATIONS_REQUIRED = 2;
/** Confirmation: observations made at most (one every CONFIRM_INTERVAL_SECONDS) before calling it a false alarm. */
export const MAX_CONFIRM_ROUNDS = 6;
export const CONFIRM_INTERVAL_SECONDS = 20;

/** The readiness probe's report (probe-readiness.sh), or why there is none. */
export interface Probe {
  /** False when the command could not run on the node (SSM could not deliver it: unreachable, stopped). */
  readonly reachable: boolean;
  readonly ready: boolean;
  readonly role: 'primary' | 'member' | null;
  readonly taskAffinity: 'any' | 'none' | null;
}

/** One instance of the cluster as the control plane sees it. */
export interface NodeObservation {
  readonly instanceId: string;
  /** `primary`/`member` group, or `none` (detached, or not in a group any more). */
  readonly group: 'primary' | 'member' | 'none';
  readonly az: string;
  /** Auto Scaling lifecycle state (`InService`, `Pending:Wait`, ...), or `none` outside the groups. */
  readonly lifecycleState: string;
  /** Auto Scaling health status. */
  readonly health: 'Healthy' | 'Unhealthy';
  /** ALB target state (`healthy`, `unhealthy`, `initial`, `draining`, `unused`), `absent` if not registered. */
  readonly target: string;
  /** EC2 state (`running`, `stopped`, `terminated`, ...). */
  readonly ec2State: string;
  /** EC2's instance status check (`ok`, `impaired`, `initializing`, ...; `unknown` when not reported). */
  readonly hostStatus?: string | undefined;
  readonly probe?: Probe | undefined;
}

/**
 * Outside the groups, or on its way out (`Detaching`: Auto Scaling waits out the target's deregistration
 * delay first): an election detached it.
 */
export const outsideGroups = (n: NodeObservation) =>
  n.group === 'none' || n.lifecycleState.startsWith('Detach');

/** A node that answers its readiness probe and serves behind the ALB. */
export const serving = (n: NodeObservation) => n.ec2State === 'running' && n.probe?.ready === true;

/**
 * The node the cluster believes is the primary: the recorded one while it still exists, else the primary
 * group's instance (the seed's deployment puts the primary there; the state item is written by the first
 * election or bootstrap claim).
 */
export function presumedPrimary(
  nodes: readonly NodeObservation[],
  state: ClusterState | undefined,
): NodeObservation | undefined {
  if (state?.primary !== undefined) {
    const recorded = nodes.find((n) => n.instanceId === state.primary);
    if (recorded && recorded.ec2State !== 'terminated') return recorded;
  }
  // An instance still launching into the group is Auto Scaling's replacement, not the incumbent.
  const inGroup = nodes
    .filter(
      (n) => n.group === 'primary' && n.ec2State !== 'terminated' && !n.lifecycleState.startsWith('Pending'),
    )
    .sort((a, b) => rank(a) - rank(b) || a.instanceId.localeCompare(b.instanceId));
  return inGroup[0];
}

/** Auto Scaling has given up on the instance (marked it unhealthy or is terminating it): it will not come back. */
export const condemned = (n: NodeObservation) =>
  n.health === 'Unhealthy' || n.lifecycleState.startsWith('Terminating') || n.ec2State !== 'running';

// InService first, then anything else in the group.
const rank = (n: NodeObservation) => (n.lifecycleState === 'InService' ? 0 : 1);

/** What one round of observation says about the primary (legacy) or the task nodes (cloud-native). */
export type Observation =
  /** A single primary is ready and healthy behind the ALB (legacy); enough task nodes (cloud-native). */
  | { readonly kind: 'healthy'; readonly primary?: string | undefined }
  /** ALB unhealthy (or no target) and the node's probe failing or unreachable (or no primary at all). */
  | { readonly kind: 'down'; readonly primary?: string | undefined; readonly why: string }
  /** The signals disagree (e.g. the ALB says unhealthy, the node says ready). */
  | { readonly kind: 'mixed'; readonly primary?: string | undefined; readonly why: string }
  /** Two or more nodes run as a ready primary. */
  | { readonly kind: 'split'; readonly primaries: readonly string[] }
  /**
   * The one ready primary runs outside the primary group: an election died between promoting it and moving it
   * into the group (legacy). Nothing is wrong with the node; the group has to be repaired around it.
   */
  | { readonly kind: 'unhoused'; readonly primary: string; readonly why: string };

export interface ObserveSettings {
  readonly mode: ClusterMode;
  readonly minTaskNodes: number;
}

/** Classify one round of observations (holistic: the ALB's view and the node's own). */
export function observe(
  nodes: readonly NodeObservation[],
  state: ClusterState | undefined,
  settings: ObserveSettings,
): Observation {
  if (settings.mode === 'cloud-native') {
    // Stryker disable next-line OptionalChaining: equivalent, serving(n) holds only for a node with a probe
    const taskNodes = nodes.filter((n) => serving(n) && n.probe?.taskAffinity === 'any');
    return taskNodes.length >= settings.minTaskNodes
      ? { kind: 'healthy' }
      : {
          kind: 'down',
          why: `${taskNodes.length} ready node(s) with taskAffinity any, fewer than minTaskNodes ${settings.minTaskNodes}`,
        };
  }
  // A quarantined node that answers as a ready primary counts: two of them, or one beside another, are a split.
  // Stryker disable next-line OptionalChaining: equivalent, serving(n) holds only for a node with a probe
  const primaries = nodes.filter((n) => serving(n) && n.probe?.role === 'primary');
  if (primaries.length > 1) {
    return { kind: 'split', primaries: primaries.map((n) => n.instanceId).sort() };
  }
  // Alone, it is no primary to keep or re-house (the plan then refuses to promote beside it).
  const only = isQuarantined(state, primaries[0]?.instanceId) ? undefined : primaries[0];
  if (only && outsideGroups(only)) {
    return {
      kind: 'unhoused',
      primary: only.instanceId,
      why: `${only.instanceId} is the ready primary but outside the primary group (an interrupted election)`,
    };
  }
  if (only && only.target === 'healthy') return { kind: 'healthy', primary: only.instanceId };
  const presumed = only ?? presumedPrimary(nodes, state);
  if (!presumed) return { kind: 'down', why: 'the cluster has no primary instance' };
  // Outside the groups an instance is no target of the ALB at all: its absence there proves nothing; only a
  // host EC2 calls impaired does.
  const albDown = outsideGroups(presumed)
    ? presumed.hostStatus === 'impaired'
    : presumed.target !== 'healthy';
  const probe = presumed.probe;
  const id = presumed.instanceId;
  if (condemned(presumed)) {
    return {
      kind: 'down',
      primary: id,
      why: `the instance is ${presumed.ec2State !== 'running' ? presumed.ec2State : `condemned by Auto Scaling (${presumed.lifecycleState}, ${presumed.health})`}`,
    };
  }
  if (presumed.lifecycleState.startsWith('Pending') && probe?.reachable === true && !probe.ready) {
    // The recorded primary is still joining: its node-bootstrap holds the launch hook and waits for it to be
    // ready (or abandons it, and Auto Scaling terminates it). A node that answers while it starts is not down.
    return {
      kind: 'mixed',
      primary: id,
      why: `it is still joining (${presumed.lifecycleState}): its bootstrap waits for it to be ready`,
    };
  }
  if (!only && probe?.reachable === true && probe.ready && probe.role === 'member') {
    // The presumed primary answers as a member (it joined while another held the role, and that one is gone):
    // the cluster has no primary, whatever the ALB says.
    return { kind: 'down', primary: id, why: 'it runs as a member: the cluster has no primary' };
  }
  const nodeDown = !probe?.reachable || !probe.ready;
  if (albDown && nodeDown) {
    // A presumed primary that is not running was called down above (condemned).
    const nodeWhy = !probe?.reachable ? 'the node is unreachable' : 'its readiness probe fails';
    return { kind: 'down', primary: id, why: `target ${presumed.target} behind the ALB and ${nodeWhy}` };
  }
  return {
    kind: 'mixed',
    primary: id,
    why: albDown
      ? `target ${presumed.target} behind the ALB but the node reports ready`
      : 'healthy behind the ALB but its readiness probe fails',
  };
}

export type Verdict =
  | { readonly verdict: 'confirmed'; readonly primary?: string | undefined; readonly why: string }
  | { readonly verdict: 'false-alarm'; readonly primary?: string | undefined; readonly why: string }
  | { readonly verdict: 'split'; readonly primaries: readonly string[] }
  /** Re-house the running primary (`unhoused`): fence, then move it into the primary group. */
  | { readonly verdict: 'adopt'; readonly primary: string; readonly why: string }
  | { readonly verdict: 'wait'; readonly confirmations: number; readonly why: string };

/**
 * Holistic confirmation over a bounded window: `confirmed` after {@link CONFIRMATIONS_REQUIRED} consecutive
 * `down` rounds (at once when the primary's instance is gone: nothing can bring it back); `false-alarm` as
 * soon as the primary is healthy, or when the window ends without confirmation (no action on mixed signals).
 */
export function confirm(obs: Observation, round: number, confirmationsSoFar: number): Verdict {
  if (obs.kind === 'split') return { verdict: 'split', primaries: obs.primaries };
  if (obs.kind === 'unhoused') return { verdict: 'adopt', primary: obs.primary, why: obs.why };
  if (obs.kind === 'healthy') {
    return { verdict: 'false-alarm', primary: obs.primary, why: 'the primary is ready and healthy' };
  }
  if (obs.kind === 'down') {
    // Not `obs.primary === undefined`: cloud-native `down` (too few task nodes) has no primary either, and a
    // task node restarting must not confirm from one look.
    const gone =
      /the cluster has no primary instance|the instance is (terminated|shutting-down|stopped|condemned)/.test(
        obs.why,
      );
    const confirmations = confirmationsSoFar + 1;
    if (gone || confirmations >= CONFIRMATIONS_REQUIRED) {
      return { verdict: 'confirmed', primary: obs.primary, why: obs.why };
    }
    if (round + 1 >= MAX_CONFIRM_ROUNDS) {
      return { verdict: 'false-alarm', primary: obs.primary, why: `not confirmed in time: ${obs.why}` };
    }
    return { verdict: 'wait', confirmations, why: obs.why };
  }
  if (round + 1 >= MAX_CONFIRM_ROUNDS) {
    return { verdict: 'false-alarm', primary: obs.primary, why: `not confirmed: ${obs.why}` };
  }
  return { verdict: 'wait', confirmations: 0, why: obs.why };
}

/** Parse probe-readiness.sh's JSON line; anything else counts as not ready. */
export function parseProbe(stdout: string | undefined): Probe {
  try {
    const p = JSON.parse((stdout ?? '').trim().split('\n').pop() ?? '') as Record<string, unknown>;
    return {
      reachable: true,
      ready: p.ready === true,
      role: p.role === 'primary' || p.role === 'member' ? p.role : null,
      taskAffinity: p.taskAffinity === 'any' || p.taskAffinity === 'none' ? p.taskAffinity : null,
    };
  } catch {
    return { reachable: true, ready: false, role: null, taskAffinity: null };
  }
}

export const UNREACHABLE: Probe = { reachable: false, ready: false, role: null, taskAffinity: null };

/** One probe as the workflow's Map state returns it (node-command's result, or why there is none). */
export interface ProbeResult {
  readonly instanceId: string;
  readonly stdout?: string | undefined;
  readonly unreachable?: boolean | undefined;
}

/** Nodes with their probe results merged in (a node the Map did not probe counts as unreachable). */
export function withProbes(
  nodes: readonly NodeObservation[],
  probes: readonly ProbeResult[],
): NodeObservation[] {
  const byId = new Map(probes.map((p) => [p.instanceId, p]));
  return nodes.map((n) => {
    const p = byId.get(n.instanceId);
    return {
      ...n,
      probe: !p || p.unreachable || p.stdout === undefined ? UNREACHABLE : parseProbe(p.stdout),
    };
  });
}

/** What each source says about one instance; a source that does not know it says nothing. */
export interface InstanceSightings {
  /** Auto Scaling, when the instance is in one of the cluster's groups. */
  readonly member?:
    | {
        readonly group: 'primary' | 'member';
        readonly az: string;
        readonly state: string;
        readonly health: string;
      }
    | undefined;
  /** EC2, unless it has forgotten the instance (terminated long ago). */
  readonly ec2?: { readonly state: string; readonly az: string } | undefined;
  /** EC2's instance status check, asked of running instances only. */
  readonly hostStatus?: string | undefined;
  /** The ALB target state, when the instance is registered. */
  readonly target?: string | undefined;
}

/** One node from its sightings: outside the groups it is `none`, forgotten by EC2 it counts as terminated. */
export function nodeObservation(instanceId: string, seen: InstanceSightings): NodeObservation {
  const { member: m, ec2: e } = seen;
  return {
    instanceId,
    group: m?.group ?? 'none',
    az: m?.az || e?.az || '',
    lifecycleState: m?.state ?? 'none',
    health: m?.health === 'Unhealthy' ? 'Unhealthy' : 'Healthy',
    target: seen.target ?? 'absent',
    ec2State: e?.state ?? 'terminated',
    hostStatus: seen.hostStatus ?? 'unknown',
  };
}

/**
 * The instances worth probing: every running one but a condemned one on an impaired host (probing it would
 * only wait out SSM's delivery timeout). A primary being scaled in (Terminating:Wait) still serves and must
 * be stopped before another is promoted, and only its probe says so.
 */
export function probeTargets(nodes: readonly NodeObservation[]): string[] {
  return nodes
    .filter((n) => n.ec2State === 'running' && !(condemned(n) && n.hostStatus === 'impaired'))
    .map((n) => n.instanceId);
}
