/**
 * Who holds the primary role when no election is looking: the role a launching node claims (node-bootstrap)
 * and the reconciler's census of primaries, from the state item and what AWS reports, without probing a node.
 */
import { type ClusterState, fenceInForce } from './failover';
import type { ClusterMode } from './lifecycle';

/**
 * The role a launching node of the primary group takes (node-bootstrap's claim). It becomes the primary only
 * when no election is under way and no other live instance holds the role or may act as the primary (a
 * quarantined node EC2 runs whose demotion was not confirmed); otherwise it joins as a member
 * (the election's group swap, or the reconciler, deals with it). Member-group nodes are always members.
 *
 * `askAgain`: the only obstacle is a peer of the primary group Auto Scaling is already replacing (condemned,
 * on a host that still runs) while no primary is recorded. Nothing deals with a member left in the primary
 * group then (after an escalation the census sees its instance there and is content), so node-bootstrap asks
 * again, in bounded rounds, until the peer is gone, rather than joining as a member for good.
 */
export function bootstrapRole(
  input: {
    readonly instanceId: string;
    readonly groupRole: 'primary' | 'member';
    readonly mode: ClusterMode;
    /** Whether the recorded primary's instance is still running. */
    readonly recordedPrimaryRunning: boolean;
    /**
     * With no primary recorded (a cluster that never elected or claimed, e.g. one the seed deployment
     * started): whether another instance of the primary group is still live. It may be the primary, serving
     * where the control plane cannot see it (a partition), so the newcomer must not take the role beside it.
     */
    readonly livePeerInPrimaryGroup?: boolean;
    /**
     * Whether every such live peer is one Auto Scaling has condemned (Unhealthy, or Terminating) on a host
     * that still runs: on its way out, so the newcomer may ask again once it is gone.
     */
    readonly livePeersLeaving?: boolean;
    /** Whether the fencing execution (the state's `owner`) still runs; undefined when unknown. */
    readonly fenceOwnerRunning?: boolean | undefined;
    /**
     * Quarantined instances (other than this one) that may still act as a primary where nobody sees them:
     * EC2 runs them and their demotion was never confirmed (quarantine.ts `mayActAsPrimary`).
     */
    readonly quarantinedLive?: readonly string[];
  },
  state: ClusterState | undefined,
  now: number,
): {
  readonly role: 'primary' | 'member';
  readonly claim: boolean;
  readonly reason: string;
  readonly askAgain: boolean;
} {
  if (input.mode === 'cloud-native' || input.groupRole === 'member') {
    return { role: input.groupRole, claim: false, askAgain: false, reason: 'role of its group' };
  }
  if (state && fenceInForce(state, now, input.fenceOwnerRunning)) {
    return {
      role: 'member',
      claim: false,
      askAgain: false,
      reason: `an election (epoch ${state.epoch}) is under way`,
    };
  }
  const quarantined = (input.quarantinedLive ?? []).filter((id) => id !== input.instanceId);
  if (quarantined.length > 0) {
    return {
      role: 'member',
      claim: false,
      askAgain: false,
      reason: `quarantined ${quarantined.join(', ')} may still act as the primary (running, demotion not confirmed)`,
    };
  }
  if (
    state?.primary !== undefined &&
    state.primary !== input.instanceId &&
    state.phase !== 'escalated' &&
    input.recordedPrimaryRunning
  ) {
    return {
      role: 'member',
      claim: false,
      askAgain: false,
      reason: `${state.primary} holds the primary role`,
    };
  }
  if (state?.primary === undefined && input.livePeerInPrimaryGroup === true) {
    const leaving = input.livePeersLeaving === true;
    return {
      role: 'member',
      claim: false,
      askAgain: leaving,
      reason: leaving
        ? 'no primary is recorded and another instance of the primary group, which Auto Scaling is replacing, is still live'
        : 'no primary is recorded and another instance of the primary group is still live',
    };
  }
  return { role: 'primary', claim: true, askAgain: false, reason: 'no other live primary' };
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
  /** Epoch ms; with it, a fence older than STALE_FENCE_MS no longer hides the census. */
  now?: number,
  /** Whether the fencing execution still runs (see {@link fenceInForce}); undefined when unknown. */
  fenceOwnerRunning?: boolean,
): Census {
  const inService = (xs: readonly { id: string; state: string }[]) =>
    xs.filter((x) => x.state === 'InService');
  const arriving = groups.primary.filter((x) => x.state.startsWith('Pending'));
  const primaryInService = inService(groups.primary);
  const recorded = state?.phase === 'escalated' ? undefined : state?.primary;
  const recordedInMembers = recorded !== undefined && inService(groups.member).some((x) => x.id === recorded);
  if (fenceInForce(state, now, fenceOwnerRunning)) {
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
