/**
 * Primary re-election and recovery (DESIGN §3.2 primary-failover, principles 3 and 5): every decision the
 * primary-failover workflow and node-bootstrap take about the primary, as pure functions of what was
 * observed. The handler gathers the observations (Auto Scaling, the ALB, EC2, the state table, the nodes'
 * readiness probes) and writes the results; nothing here talks to AWS or reads a clock.
 */
import type { ClusterMode } from './lifecycle';

/**
 * What started the run. `replacement`: the primary group launched an instance (Auto Scaling replacing a
 * primary it found unhealthy): the earliest sign that the primary is gone.
 */
/** The watch's metric: 1 when the primary group's instance is InService and healthy behind the ALB. */
export const PRIMARY_HEALTHY_METRIC = 'PrimaryHealthy';

/** The region's primary-unhealthy alarm (created by the stack, recognised by dispatch). */
export function primaryAlarmName(cluster: string, region: string): string {
  return `${cluster}-${region}-primary-unhealthy`;
}

export type FailoverTrigger = 'alarm' | 'drain' | 'reconciler' | 'manual' | 'replacement';

/** At most this many candidates are tried after fencing before the run escalates. */
export const MAX_CANDIDATES = 3;
/** Confirmation: consecutive observations that must agree the primary is down. */
export const CONFIRMATIONS_REQUIRED = 2;
/** Confirmation: observations made at most (one every CONFIRM_INTERVAL_SECONDS) before calling it a false alarm. */
export const MAX_CONFIRM_ROUNDS = 6;
export const CONFIRM_INTERVAL_SECONDS = 20;
/** A fence older than this whose execution never committed or escalated is abandoned (the cluster lock's TTL). */
export const STALE_FENCE_MS = 30 * 60_000;

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

/** The cluster's `STATE` item (DESIGN §3.1). */
export interface ClusterState {
  readonly epoch: number;
  readonly primary?: string | undefined;
  /** `fenced`: an election is under way; `committed`/`claimed`: `primary` holds the role; `escalated`: gave up. */
  readonly phase?: 'fenced' | 'committed' | 'claimed' | 'escalated' | undefined;
  readonly owner?: string | undefined;
  /** Epoch ms of the last fence. */
  readonly fencedAt?: number | undefined;
  /**
   * The instance the fencing execution is promoting (written before it is detached): if that execution dies,
   * the next run finds it outside the groups and adopts it instead of leaving it orphaned.
   */
  readonly candidate?: string | undefined;
}

/** The `GATE#primary-failover` item: the last automatic or manual election and the day's count. */
export interface GateRecord {
  readonly lastElectionAt?: number | undefined;
  /** UTC day (`YYYY-MM-DD`) `count` refers to. */
  readonly day?: string | undefined;
  readonly count?: number | undefined;
}

export interface GateSettings {
  readonly cooldownMs: number;
  readonly dailyBudget: number;
  /** The global switch for alarm-driven actions (config `automation.enabled`). */
  readonly automationEnabled: boolean;
}

export type GateDecision =
  | { readonly allow: true; readonly note?: string }
  | { readonly allow: false; readonly rule: 'cooldown' | 'budget' | 'paused'; readonly reason: string };

const utcDay = (at: number) => new Date(at).toISOString().slice(0, 10);

/**
 * The anti-flapping gate (DESIGN principle 5). Automatic elections are refused while automation is paused,
 * within the cooldown of the previous election, and past the day's budget. A manual run is refused within the
 * cooldown unless forced; it is not counted against the budget. A planned handover (the primary is being
 * scaled in while healthy) passes the cooldown and the budget: refusing it would leave the cluster without a
 * primary, the outcome the gate exists to prevent. It still respects the pause.
 */
export function gateDecision(
  run: { readonly trigger: FailoverTrigger; readonly planned: boolean; readonly force: boolean },
  record: GateRecord | undefined,
  settings: GateSettings,
  now: number,
): GateDecision {
  const manual = run.trigger === 'manual';
  if (!manual && !settings.automationEnabled) {
    return { allow: false, rule: 'paused', reason: 'automation is paused (automation.enabled is false)' };
  }
  if (run.planned && !manual) return { allow: true, note: 'planned handover' };
  const last = record?.lastElectionAt;
  const sinceLast = last === undefined ? Number.POSITIVE_INFINITY : now - last;
  if (sinceLast < settings.cooldownMs) {
    const minutes = Math.ceil((settings.cooldownMs - sinceLast) / 60_000);
    const reason = `the previous election was ${Math.floor(sinceLast / 1000)} s ago, within the ${settings.cooldownMs / 60_000}-minute cooldown (${minutes} min left)`;
    if (!manual) return { allow: false, rule: 'cooldown', reason };
    if (!run.force)
      return { allow: false, rule: 'cooldown', reason: `${reason}; pass force: true to override` };
    return { allow: true, note: `forced inside the cooldown: ${reason}` };
  }
  if (!manual) {
    const used = record?.day === utcDay(now) ? (record.count ?? 0) : 0;
    if (used >= settings.dailyBudget) {
      return {
        allow: false,
        rule: 'budget',
        reason: `${used} automatic election(s) today reached the daily budget of ${settings.dailyBudget}`,
      };
    }
  }
  return { allow: true };
}

/**
 * The gate record after an election at `now` (written with the fence). Every election starts the cooldown;
 * only automatic ones count against the daily budget (the gate never charges an operator's run to it).
 */
export function recordElection(
  record: GateRecord | undefined,
  now: number,
  automatic = true,
): Required<GateRecord> {
  const day = utcDay(now);
  const used = record?.day === day ? (record.count ?? 0) : 0;
  return { lastElectionAt: now, day, count: automatic ? used + 1 : used };
}

/**
 * Outside the groups, or on its way out (`Detaching`: Auto Scaling waits out the target's deregistration
 * delay first): an election detached it.
 */
export const outsideGroups = (n: NodeObservation) =>
  n.group === 'none' || n.lifecycleState.startsWith('Detach');

/** A node that answers its readiness probe and serves behind the ALB. */
const serving = (n: NodeObservation) => n.ec2State === 'running' && n.probe?.ready === true;

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
    const taskNodes = nodes.filter((n) => serving(n) && n.probe?.taskAffinity === 'any');
    return taskNodes.length >= settings.minTaskNodes
      ? { kind: 'healthy' }
      : {
          kind: 'down',
          why: `${taskNodes.length} ready node(s) with taskAffinity any, fewer than minTaskNodes ${settings.minTaskNodes}`,
        };
  }
  const primaries = nodes.filter((n) => serving(n) && n.probe?.role === 'primary');
  if (primaries.length > 1) {
    return { kind: 'split', primaries: primaries.map((n) => n.instanceId).sort() };
  }
  const only = primaries[0];
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
  if (!only && probe?.reachable === true && probe.ready && probe.role === 'member') {
    // The presumed primary answers as a member (it joined while another held the role, and that one is gone):
    // the cluster has no primary, whatever the ALB says.
    return { kind: 'down', primary: id, why: 'it runs as a member: the cluster has no primary' };
  }
  const nodeDown = !probe?.reachable || !probe.ready;
  if (albDown && nodeDown) {
    const nodeWhy =
      presumed.ec2State !== 'running'
        ? `the instance is ${presumed.ec2State}`
        : !probe?.reachable
          ? 'the node is unreachable'
          : 'its readiness probe fails';
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

/**
 * Whether a node may become the primary (legacy) or take cluster tasks (cloud-native): InService and
 * healthy in the member group, running, healthy behind the ALB, and its readiness probe OK.
 */
export function eligible(n: NodeObservation, excluded: ReadonlySet<string>): boolean {
  if (n.group === 'none') return orphan(n, excluded);
  // A member on its way out (`Detaching`) may be an operator's doing: only the recorded candidate of an
  // interrupted election is taken over (see plan).
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
  return nodes
    .filter((n) => eligible(n, excluded))
    .filter((n) => opts.mode === 'legacy-primary' || n.probe?.taskAffinity !== 'any')
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

/**
 * The plan for a confirmed failure (or a planned handover, or a split). A requested candidate (manual run)
 * must be eligible, else {@link CandidateError} naming why; it is then the only candidate (the operator's
 * choice is not silently replaced).
 */
export function plan(
  nodes: readonly NodeObservation[],
  state: ClusterState | undefined,
  input: {
    readonly mode: ClusterMode;
    readonly minTaskNodes: number;
    readonly split?: readonly string[] | undefined;
    readonly failedPrimary?: string | undefined;
    readonly candidate?: string | undefined;
    /** The ready primary to re-house (verdict `adopt`). */
    readonly adopt?: string | undefined;
  },
): Plan {
  const mode = input.mode;
  if (mode === 'legacy-primary' && input.adopt !== undefined) {
    return {
      action: 'promote',
      mode,
      candidates: [input.adopt],
      candidateSteps: ['adopt'],
      needed: 1,
      failedPrimaryReachable: false,
      steps: [
        'bump the epoch (fence)',
        'suspend Launch on the primary group',
        `verify ${input.adopt} is ready as the primary (it already is: an interrupted election promoted it)`,
        `move ${input.adopt} into the primary group (attach)`,
        'resume Launch on the primary group',
        'record the primary',
      ],
    };
  }
  if (mode === 'legacy-primary' && input.split && input.split.length > 1) {
    const split = input.split;
    const inGroup = nodes.find((n) => split.includes(n.instanceId) && n.group === 'primary');
    const keep =
      (state?.primary !== undefined && split.includes(state.primary) ? state.primary : undefined) ??
      inGroup?.instanceId ??
      ([...split].sort()[0] as string);
    const demote = split.filter((id) => id !== keep);
    return {
      action: 'demote',
      mode,
      keep,
      demote,
      steps: [
        'bump the epoch (fence)',
        `demote ${demote.join(', ')} (primary: false, restart)`,
        `record ${keep} as the primary`,
      ],
    };
  }

  const failed = nodes.find((n) => n.instanceId === input.failedPrimary);
  const failedAz = failed?.az;
  let needed = 1;
  if (mode === 'cloud-native') {
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
  // The last fence's candidate, detached and still running (ready or not): an interrupted election may be
  // restarting it as the primary right now. Promoting anyone else could start a second primary beside it;
  // taking it over (promote again, verify) cannot.
  const inFlux = nodes.find(
    (n) =>
      mode === 'legacy-primary' &&
      n.instanceId === state?.candidate &&
      n.instanceId !== input.failedPrimary &&
      outsideGroups(n) &&
      n.ec2State === 'running',
  );
  let candidates: string[];
  if (input.candidate !== undefined) {
    if (inFlux && inFlux.instanceId !== input.candidate) {
      throw new CandidateError(
        `candidate ${input.candidate} cannot be promoted while ${inFlux.instanceId}, the candidate of an interrupted election, may be restarting as the primary: name ${inFlux.instanceId} or leave candidate out`,
      );
    }
    const requested = nodes.find((n) => n.instanceId === input.candidate);
    const why = inFlux ? undefined : rejectReason(requested, input.failedPrimary, mode);
    if (why !== undefined) throw new CandidateError(`candidate ${input.candidate} ${why}`);
    candidates = [input.candidate];
  } else {
    candidates = chooseCandidates(nodes, {
      failedAz,
      exclude: input.failedPrimary ? [input.failedPrimary] : [],
      mode,
    });
    if (inFlux && !candidates.includes(inFlux.instanceId)) {
      candidates = [inFlux.instanceId, ...candidates].slice(0, MAX_CANDIDATES);
    }
  }
  if (candidates.length === 0) {
    return {
      action: 'escalate',
      mode,
      reason: 'no eligible candidate (a ready, healthy, InService member)',
      steps: ['notify the operator', 'leave recovery to Auto Scaling'],
    };
  }
  const steps =
    mode === 'legacy-primary'
      ? [
          'bump the epoch (fence)',
          'suspend Launch on the primary group',
          ...(input.failedPrimary
            ? [
                `stop Artifactory on ${input.failedPrimary} if reachable`,
                `mark ${input.failedPrimary} unhealthy`,
              ]
            : []),
          `promote ${candidates[0]} (primary: true, restart, readiness)`,
          `move ${candidates[0]} from the member group to the primary group (detach, attach)`,
          'resume Launch on the primary group',
          'record the new primary',
        ]
      : [
          'bump the epoch (fence)',
          `set taskAffinity any on ${needed} of ${candidates.join(', ')} (restart, readiness)`,
          'record the task nodes',
        ];
  const stepOf = (id: string): CandidateStep =>
    mode === 'legacy-primary' && nodes.some((n) => n.instanceId === id && !outsideGroups(n))
      ? 'detach-promote'
      : 'promote';
  return {
    action: 'promote',
    mode,
    candidates,
    candidateSteps: candidates.map(stepOf),
    needed,
    failedPrimary: input.failedPrimary,
    failedAz,
    failedPrimaryReachable: failed?.probe?.reachable === true,
    steps,
  };
}

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

/**
 * The role a launching node of the primary group takes (node-bootstrap's claim). It becomes the primary only
 * when no election is under way and no other live instance holds the role; otherwise it joins as a member
 * (the election's group swap, or the reconciler, deals with it). Member-group nodes are always members.
 */
export function bootstrapRole(
  input: {
    readonly instanceId: string;
    readonly groupRole: 'primary' | 'member';
    readonly mode: ClusterMode;
    /** Whether the recorded primary's instance is still running. */
    readonly recordedPrimaryRunning: boolean;
  },
  state: ClusterState | undefined,
  now: number,
): { readonly role: 'primary' | 'member'; readonly claim: boolean; readonly reason: string } {
  if (input.mode === 'cloud-native' || input.groupRole === 'member') {
    return { role: input.groupRole, claim: false, reason: 'role of its group' };
  }
  if (state?.phase === 'fenced' && now - (state.fencedAt ?? 0) < STALE_FENCE_MS) {
    return { role: 'member', claim: false, reason: `an election (epoch ${state.epoch}) is under way` };
  }
  if (
    state?.primary !== undefined &&
    state.primary !== input.instanceId &&
    state.phase !== 'escalated' &&
    input.recordedPrimaryRunning
  ) {
    return { role: 'member', claim: false, reason: `${state.primary} holds the primary role` };
  }
  return { role: 'primary', claim: true, reason: 'no other live primary' };
}

/** What the reconciler's sweep finds about the primary from Auto Scaling and the state item alone. */
export type Census = { readonly kind: 'ok' } | { readonly kind: 'zero' | 'two'; readonly why: string };

/**
 * Zero primaries: nothing in the primary group is InService or on its way, and the recorded primary is not
 * InService anywhere. Two: the recorded primary is InService outside the primary group while the primary
 * group holds another InService instance, or the primary group holds more than one.
 */
export function primaryCensus(
  groups: {
    readonly primary: readonly { readonly id: string; readonly state: string }[];
    readonly member: readonly { readonly id: string; readonly state: string }[];
  },
  state: ClusterState | undefined,
  /** Epoch ms; with it, a fence older than {@link STALE_FENCE_MS} (its execution died) no longer hides the census. */
  now?: number,
): Census {
  const inService = (xs: readonly { id: string; state: string }[]) =>
    xs.filter((x) => x.state === 'InService');
  const arriving = groups.primary.filter((x) => x.state.startsWith('Pending'));
  const primaryInService = inService(groups.primary);
  const recorded = state?.phase === 'escalated' ? undefined : state?.primary;
  const recordedInMembers = recorded !== undefined && inService(groups.member).some((x) => x.id === recorded);
  if (state?.phase === 'fenced' && (now === undefined || now - (state.fencedAt ?? 0) < STALE_FENCE_MS)) {
    return { kind: 'ok' };
  }
  if (primaryInService.length > 1) {
    return { kind: 'two', why: `${primaryInService.length} instances InService in the primary group` };
  }
  if (recordedInMembers && primaryInService.length === 1 && primaryInService[0]?.id !== recorded) {
    return {
      kind: 'two',
      why: `the recorded primary ${recorded} is in the member group while ${primaryInService[0]?.id} is InService in the primary group`,
    };
  }
  if (primaryInService.length === 0 && arriving.length === 0 && !recordedInMembers) {
    return { kind: 'zero', why: 'no instance InService or launching in the primary group' };
  }
  const housed = primaryInService[0]?.id;
  if (recorded !== undefined && housed !== undefined && housed !== recorded && !recordedInMembers) {
    // Joined as a member while the recorded primary held the role; that one is in no group any more.
    return {
      kind: 'zero',
      why: `the primary group's ${housed} is not the recorded primary ${recorded}, which is in neither group`,
    };
  }
  return { kind: 'ok' };
}

/**
 * Deterministic execution names (≤ 80 characters): one run per alarm transition, per drained instance, per
 * reconciler sweep; a repeated event finds the execution already there.
 */
export function failoverExecutionName(trigger: Exclude<FailoverTrigger, 'manual'>, key: string): string {
  const safe = key.replace(/[^A-Za-z0-9_-]/g, '-');
  return `primary-failover-${trigger}-${safe}`.slice(0, 80);
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
