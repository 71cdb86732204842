/**
 * What primary-failover does once the failure is confirmed: which nodes may be promoted, in which order, and
 * the plan (promote, demote, escalate or nothing) with the steps the workflow will take.
 */
import type { ClusterState } from './failover';
import { type NodeObservation, outsideGroups, serving } from './failover-observe';
import type { ClusterMode } from './lifecycle';
import { isQuarantined, quarantinedIds, quarantineOf, untrustedQuarantined } from './quarantine';

/** At most this many candidates are tried after fencing before the run escalates. */
export const MAX_CANDIDATES = 3;

/**
 * Whether a node may become the primary (legacy) or take cluster tasks (cloud-native): InService and
 * healthy in the member group, running, healthy behind the ALB, and its readiness probe OK.
 */
export function eligible(n: NodeObservation, excluded: ReadonlySet<string>): boolean {
  if (n.group === 'none') return orphan(n, excluded);
  // A member on its way out (`Detaching`) may be an operator's doing: only the recorded candidate of an
  // interrupted election is taken over (see plan).
  // Stryker disable next-line ConditionalExpression: equivalent, a Detaching node also fails the InService check
  if (outsideGroups(n)) return false;
  return (
    !excluded.has(n.instanceId) &&
    n.group === 'member' &&
    n.lifecycleState === 'InService' &&
    n.health === 'Healthy' &&
    n.ec2State === 'running' &&
    n.target === 'healthy' &&
    n.probe?.reachable === true &&
    n.probe.ready === true &&
    n.probe.role !== 'primary'
  );
}

/**
 * A node an interrupted election detached and left outside both groups (it is found through the state item's
 * `candidate`): running and ready as a member. It is no target of the ALB any more, so that is not asked.
 */
function orphan(n: NodeObservation, excluded: ReadonlySet<string>): boolean {
  return (
    !excluded.has(n.instanceId) &&
    n.group === 'none' &&
    n.ec2State === 'running' &&
    n.probe?.reachable === true &&
    n.probe.ready === true &&
    n.probe.role !== 'primary'
  );
}

/**
 * The candidates to promote, best first, at most {@link MAX_CANDIDATES}: eligible nodes, those in another
 * AZ than the failed primary first (an AZ that just lost its primary may be losing more), then by instance id
 * (a deterministic tie-break: two runs over the same cluster choose the same node). In cloud-native mode
 * only nodes that do not run tasks yet are candidates.
 */
export function chooseCandidates(
  nodes: readonly NodeObservation[],
  opts: { readonly failedAz?: string | undefined; readonly exclude?: readonly string[]; mode: ClusterMode },
): string[] {
  const excluded = new Set(opts.exclude ?? []);
  // Stryker disable next-line OptionalChaining: equivalent, it is asked of eligible nodes only, which have a probe
  const free = (n: NodeObservation) => opts.mode === 'legacy-primary' || n.probe?.taskAffinity !== 'any';
  return nodes
    .filter((n) => eligible(n, excluded))
    .filter(free)
    .sort((a, b) => {
      // An orphan of an interrupted election first: it is already detached, and otherwise it would leak.
      const orphaned = Number(b.group === 'none') - Number(a.group === 'none');
      if (orphaned !== 0) return orphaned;
      const az = Number(a.az === opts.failedAz) - Number(b.az === opts.failedAz);
      return az !== 0 ? az : a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0;
    })
    .slice(0, MAX_CANDIDATES)
    .map((n) => n.instanceId);
}

/** What the workflow does after confirmation. */
export type Plan =
  | {
      readonly action: 'promote';
      readonly mode: ClusterMode;
      /** Tried in order until `needed` promotions succeeded. */
      readonly candidates: readonly string[];
      /**
       * Per candidate, what it takes (legacy): `detach-promote` for a member, `promote` for an orphan already
       * outside the groups, `adopt` for the running primary outside the primary group (only the group move).
       * Cloud-native: always `promote`.
       */
      readonly candidateSteps: readonly CandidateStep[];
      readonly needed: number;
      /** Legacy: the primary being replaced (stopped and marked unhealthy when fencing), if any. */
      readonly failedPrimary?: string | undefined;
      readonly failedAz?: string | undefined;
      /** Whether the failed primary answered its probe (then it is stopped before anything else). */
      readonly failedPrimaryReachable: boolean;
      /**
       * Whether EC2's status checks call the failed primary's host impaired: such a host (condemned or
       * crashed) is taken as down, as node-bootstrap's claim takes it; one that passes its status checks but
       * cannot be reached may be partitioned and still serving, so it is stopped at the hypervisor.
       */
      readonly failedPrimaryHostImpaired: boolean;
      readonly steps: readonly string[];
    }
  | {
      readonly action: 'demote';
      readonly mode: ClusterMode;
      readonly keep: string;
      readonly demote: readonly string[];
      readonly steps: readonly string[];
    }
  | {
      readonly action: 'escalate' | 'none';
      readonly mode: ClusterMode;
      readonly reason: string;
      readonly steps: readonly string[];
    };

export type CandidateStep = 'detach-promote' | 'promote' | 'adopt';

export class CandidateError extends Error {
  override readonly name = 'CandidateRejected';
}

/** What {@link plan} is asked to plan for. */
export interface PlanInput {
  readonly mode: ClusterMode;
  readonly minTaskNodes: number;
  readonly split?: readonly string[] | undefined;
  readonly failedPrimary?: string | undefined;
  readonly candidate?: string | undefined;
  /** The ready primary to re-house (verdict `adopt`). */
  readonly adopt?: string | undefined;
}

/**
 * The plan for a confirmed failure (or a planned handover, or a split). A requested candidate (manual run)
 * must be eligible, else {@link CandidateError} naming why; it is then the only candidate (the operator's
 * choice is not silently replaced).
 */
export function plan(
  nodes: readonly NodeObservation[],
  state: ClusterState | undefined,
  input: PlanInput,
): Plan {
  const mode = input.mode;
  if (mode === 'legacy-primary' && input.adopt !== undefined) return adoptPlan(input.adopt);
  if (mode === 'legacy-primary' && input.split && input.split.length > 1) {
    return demotePlan(nodes, state, input.split);
  }
  const untrusted = untrustedQuarantined(nodes, state);
  if (mode === 'legacy-primary' && untrusted.length > 0) {
    return {
      action: 'escalate',
      mode,
      reason: `quarantined ${untrusted.join(', ')} may run as a primary (it answers as one, or it is unreachable on a live host without a confirmed demotion): promoting anyone beside it could make two. Stop it, or release it and re-run`,
      steps: ['notify the operator', 'promote nobody'],
    };
  }
  const failed = nodes.find((n) => n.instanceId === input.failedPrimary);
  const failedAz = failed?.az;
  let needed = 1;
  if (mode === 'cloud-native') {
    // Stryker disable next-line OptionalChaining: equivalent, serving(n) holds only for a node with a probe
    const taskNodes = nodes.filter((n) => serving(n) && n.probe?.taskAffinity === 'any').length;
    needed = Math.max(0, input.minTaskNodes - taskNodes);
    if (needed === 0) {
      return {
        action: 'none',
        mode,
        reason: `${taskNodes} task node(s) already, minTaskNodes ${input.minTaskNodes}`,
        steps: [],
      };
    }
  }
  const inFlux = interruptedCandidate(nodes, state, input);
  const candidates =
    input.candidate !== undefined
      ? requestedCandidate(nodes, state, input.candidate, inFlux, input)
      : chosenCandidates(nodes, state, failedAz, inFlux, input);
  if (candidates.length === 0) {
    return {
      action: 'escalate',
      mode,
      reason: 'no eligible candidate (a ready, healthy, InService member)',
      steps: ['notify the operator', 'leave recovery to Auto Scaling'],
    };
  }
  return {
    action: 'promote',
    mode,
    candidates,
    candidateSteps: candidates.map((id) => candidateStep(nodes, id, mode)),
    needed,
    failedPrimary: input.failedPrimary,
    failedAz,
    failedPrimaryReachable: failed?.probe?.reachable === true,
    failedPrimaryHostImpaired: failed?.hostStatus === 'impaired',
    steps: promoteSteps(mode, candidates, needed, input.failedPrimary),
  };
}

/** Re-house the running primary an interrupted election left outside the primary group (legacy). */
function adoptPlan(adopt: string): Plan {
  return {
    action: 'promote',
    mode: 'legacy-primary',
    candidates: [adopt],
    candidateSteps: ['adopt'],
    needed: 1,
    failedPrimaryReachable: false,
    failedPrimaryHostImpaired: false,
    steps: [
      'bump the epoch (fence)',
      'suspend Launch on the primary group',
      `verify ${adopt} is ready as the primary (it already is: an interrupted election promoted it)`,
      `move ${adopt} into the primary group (attach)`,
      'resume Launch on the primary group',
      'record the primary',
    ],
  };
}

/**
 * Two or more ready primaries (legacy): keep the recorded one if it is among them, else the one in the
 * primary group, else the lowest id; demote the others. A quarantined one is kept only when every one is.
 */
function demotePlan(
  nodes: readonly NodeObservation[],
  state: ClusterState | undefined,
  split: readonly string[],
): Plan {
  const trusted = split.filter((id) => !isQuarantined(state, id));
  const keepable = trusted.length > 0 ? trusted : split;
  const inGroup = nodes.find((n) => keepable.includes(n.instanceId) && n.group === 'primary');
  const keep =
    (state?.primary !== undefined && keepable.includes(state.primary) ? state.primary : undefined) ??
    inGroup?.instanceId ??
    ([...keepable].sort()[0] as string);
  const demote = split.filter((id) => id !== keep);
  return {
    action: 'demote',
    mode: 'legacy-primary',
    keep,
    demote,
    steps: [
      'bump the epoch (fence)',
      `demote ${demote.join(', ')} (primary: false, restart)`,
      `record ${keep} as the primary`,
    ],
  };
}

/**
 * The last fence's candidate, detached and still running (ready or not): an interrupted election may be
 * restarting it as the primary right now. Promoting anyone else could start a second primary beside it;
 * taking it over (promote again, verify) cannot.
 */
function interruptedCandidate(
  nodes: readonly NodeObservation[],
  state: ClusterState | undefined,
  input: PlanInput,
): NodeObservation | undefined {
  return nodes.find(
    (n) =>
      input.mode === 'legacy-primary' &&
      n.instanceId === state?.candidate &&
      n.instanceId !== input.failedPrimary &&
      !isQuarantined(state, n.instanceId) &&
      outsideGroups(n) &&
      n.ec2State === 'running',
  );
}

/** The operator's candidate, alone, or {@link CandidateError} naming why it cannot be promoted. */
function requestedCandidate(
  nodes: readonly NodeObservation[],
  state: ClusterState | undefined,
  candidate: string,
  inFlux: NodeObservation | undefined,
  input: PlanInput,
): string[] {
  const entry = quarantineOf(state)[candidate];
  if (entry !== undefined) {
    throw new CandidateError(
      `candidate ${candidate} is quarantined (${entry.reason}, by ${entry.run}, fence ${entry.fence}): release it first`,
    );
  }
  if (inFlux && inFlux.instanceId !== candidate) {
    throw new CandidateError(
      `candidate ${candidate} cannot be promoted while ${inFlux.instanceId}, the candidate of an interrupted election, may be restarting as the primary: name ${inFlux.instanceId} or leave candidate out`,
    );
  }
  const requested = nodes.find((n) => n.instanceId === candidate);
  const why = inFlux ? undefined : rejectReason(requested, input.failedPrimary, input.mode);
  if (why !== undefined) throw new CandidateError(`candidate ${candidate} ${why}`);
  return [candidate];
}

/** The best eligible candidates, the interrupted election's candidate first when there is one. */
function chosenCandidates(
  nodes: readonly NodeObservation[],
  state: ClusterState | undefined,
  failedAz: string | undefined,
  inFlux: NodeObservation | undefined,
  input: PlanInput,
): string[] {
  // A quarantined node is never a candidate, whatever it answers.
  const candidates = chooseCandidates(nodes, {
    failedAz,
    exclude: [...(input.failedPrimary ? [input.failedPrimary] : []), ...quarantinedIds(state)],
    mode: input.mode,
  });
  if (inFlux && !candidates.includes(inFlux.instanceId)) {
    return [inFlux.instanceId, ...candidates].slice(0, MAX_CANDIDATES);
  }
  return candidates;
}

/** What promoting a candidate takes: a member is detached first (legacy); anyone else is only promoted. */
function candidateStep(nodes: readonly NodeObservation[], id: string, mode: ClusterMode): CandidateStep {
  return mode === 'legacy-primary' && nodes.some((n) => n.instanceId === id && !outsideGroups(n))
    ? 'detach-promote'
    : 'promote';
}

/** The promotion's steps, for the audit and the operator. */
function promoteSteps(
  mode: ClusterMode,
  candidates: readonly string[],
  needed: number,
  failedPrimary: string | undefined,
): string[] {
  if (mode === 'cloud-native') {
    return [
      'bump the epoch (fence)',
      `set taskAffinity any on ${needed} of ${candidates.join(', ')} (restart, readiness)`,
      'record the task nodes',
    ];
  }
  return [
    'bump the epoch (fence)',
    'suspend Launch on the primary group',
    ...(failedPrimary
      ? [`stop Artifactory on ${failedPrimary} if reachable`, `mark ${failedPrimary} unhealthy`]
      : []),
    `promote ${candidates[0]} (primary: true, restart, readiness)`,
    `move ${candidates[0]} from the member group to the primary group (detach, attach)`,
    'resume Launch on the primary group',
    'record the new primary',
  ];
}

/** Why a requested candidate cannot be promoted; undefined when it can. */
function rejectReason(
  n: NodeObservation | undefined,
  failedPrimary: string | undefined,
  mode: ClusterMode,
): string | undefined {
  if (!n) return 'is not an instance of the cluster in this region';
  if (n.instanceId === failedPrimary) return 'is the primary being replaced';
  if (n.group === 'primary') return 'is not in the member group';
  if (outsideGroups(n)) {
    if (!orphan(n, new Set())) return 'is outside the groups and not a ready member';
    // Stryker disable next-line OptionalChaining: equivalent, an orphan has a probe
    if (mode === 'cloud-native' && n.probe?.taskAffinity === 'any') return 'already runs cluster tasks';
    return undefined;
  }
  if (n.lifecycleState !== 'InService' || n.health !== 'Healthy') {
    return `is ${n.lifecycleState}/${n.health}, not InService/Healthy`;
  }
  if (n.ec2State !== 'running') return `is ${n.ec2State}`;
  if (n.target !== 'healthy') return `is ${n.target} behind the ALB`;
  if (n.probe?.reachable !== true) return 'did not answer its readiness probe';
  if (n.probe.ready !== true) return 'is not ready';
  if (mode === 'legacy-primary' && n.probe.role === 'primary') return 'is already a primary';
  if (mode === 'cloud-native' && n.probe.taskAffinity === 'any') return 'already runs cluster tasks';
  return undefined;
}
