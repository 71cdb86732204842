/**
 * Quarantine: the nodes an election put out of service without being able to trust them again. A candidate
 * that failed its attempt may be half-promoted (its `system.yaml` says `primary: true`, its process may run
 * as the primary), and a candidate promoted by a run that was then superseded is a primary nobody recorded.
 * Each is demoted (`primary: false` written, Artifactory stopped) or, when that cannot be confirmed, stopped at
 * the hypervisor, and it is kept in the cluster's `STATE` item (`quarantine`, a map of instance id → entry) until
 * EC2 reports it terminated or an operator releases it: never forgotten by a commit or an escalation. Observe
 * probes the quarantined nodes, node-bootstrap's claim will not take the role beside one that may still act
 * as the primary, and no candidate pick chooses one. This module holds the rules; functions/core/fencing.ts
 * builds the conditional writes.
 */
import { type AuditPut, auditExpiry } from './audit';
import type { ClusterState, QuarantineEntry } from './failover';
import { auditKey } from './keys';

/** The quarantine map of a state item (empty when it has none). */
export function quarantineOf(
  state: Pick<ClusterState, 'quarantine'> | undefined,
): Readonly<Record<string, QuarantineEntry>> {
  return state?.quarantine ?? {};
}

/** Whether `instanceId` is quarantined. */
export function isQuarantined(
  state: Pick<ClusterState, 'quarantine'> | undefined,
  instanceId: string | undefined,
): boolean {
  return instanceId !== undefined && Object.hasOwn(quarantineOf(state), instanceId);
}

/** The quarantined instance ids, sorted. */
export function quarantinedIds(state: Pick<ClusterState, 'quarantine'> | undefined): string[] {
  return Object.keys(quarantineOf(state)).sort();
}

/**
 * Whether a quarantined node may act as a primary where nobody sees it (node-bootstrap's claim cannot probe
 * it): EC2 runs it, or is starting it, and its demotion was never confirmed. A node stopped at the hypervisor
 * and started again boots with the `system.yaml` its failed promotion wrote.
 */
export function mayActAsPrimary(entry: QuarantineEntry, ec2State: string | undefined): boolean {
  return (ec2State === 'running' || ec2State === 'pending') && entry.fence !== 'demoted';
}

/**
 * Why `execution` may not quarantine `instanceId` now, or undefined when it may: the node is the recorded
 * primary, or it is the candidate of the election that holds the epoch now (still fenced). A superseded run
 * then leaves the node to that election, which verifies, adopts or quarantines it itself. The conditional
 * write (fencing.ts `quarantineUpdate`) checks exactly this.
 */
export function quarantineRefusal(
  state: ClusterState | undefined,
  req: { readonly instanceId: string; readonly execution: string },
): string | undefined {
  if (state?.primary === req.instanceId) {
    return `${req.instanceId} is the recorded primary (epoch ${state.epoch}, ${state.phase ?? 'no phase'})`;
  }
  if (state?.candidate === req.instanceId && state.owner !== req.execution && state.phase === 'fenced') {
    return `${req.instanceId} is the candidate of the election that holds epoch ${state.epoch} (${state.owner})`;
  }
  return undefined;
}

/** What {@link untrustedQuarantined} looks at in a node observation. */
export interface ObservedNode {
  readonly instanceId: string;
  readonly ec2State: string;
  readonly hostStatus?: string | undefined;
  readonly probe?:
    | {
        readonly reachable: boolean;
        readonly ready: boolean;
        readonly role: 'primary' | 'member' | null;
      }
    | undefined;
}

/**
 * The quarantined nodes nobody may promote another primary beside (sorted): one that answers as a ready
 * primary, and one that runs unreachable on a host EC2 does not call impaired without a confirmed demotion (it
 * may be the primary inside a partition, as an unfenced old primary may be).
 */
export function untrustedQuarantined(
  nodes: readonly ObservedNode[],
  state: Pick<ClusterState, 'quarantine'> | undefined,
): string[] {
  const q = quarantineOf(state);
  return nodes
    .filter((n) => {
      const entry = q[n.instanceId];
      if (entry === undefined || n.ec2State !== 'running') return false;
      const answersAsPrimary = n.probe?.reachable === true && n.probe.ready && n.probe.role === 'primary';
      const unseen = n.probe?.reachable !== true && n.hostStatus !== 'impaired' && entry.fence !== 'demoted';
      return answersAsPrimary || unseen;
    })
    .map((n) => n.instanceId)
    .sort();
}

/**
 * The quarantined nodes EC2 reports terminated (or has forgotten): they can never act again, so the next
 * fence drops them from the record.
 */
export function prunable(
  nodes: readonly { readonly instanceId: string; readonly ec2State: string }[],
  state: Pick<ClusterState, 'quarantine'> | undefined,
): string[] {
  return nodes
    .filter((n) => n.ec2State === 'terminated' && isQuarantined(state, n.instanceId))
    .map((n) => n.instanceId)
    .sort();
}

/** What an operator's release of a quarantined node checks: the entry it releases, or why it cannot. */
export function releaseCheck(
  state: ClusterState | undefined,
  instanceId: string,
): { readonly entry: QuarantineEntry } | { readonly error: string } {
  const entry = quarantineOf(state)[instanceId];
  if (entry !== undefined) return { entry };
  const ids = quarantinedIds(state);
  return {
    error: `${instanceId} is not quarantined (${ids.length === 0 ? 'no node is' : `quarantined: ${ids.join(', ')}`})`,
  };
}

/** An operator's release of one quarantined node, as audited. */
export interface QuarantineRelease {
  readonly cluster: string;
  readonly instanceId: string;
  readonly operator: string;
  readonly reason: string;
  readonly entry: QuarantineEntry;
}

/** The audit entry of a release (kept like every audit entry): who released which node, why, and what it was. */
export function releaseAuditPut(r: QuarantineRelease, now: number): AuditPut {
  return {
    Item: {
      ...auditKey(r.cluster, now, `release-quarantine-${r.instanceId}`),
      trigger: 'operator',
      action: 'release-quarantine',
      instanceId: r.instanceId,
      operator: r.operator,
      reason: r.reason,
      quarantinedFor: r.entry.reason,
      quarantinedBy: r.entry.run,
      quarantinedAt: new Date(r.entry.since).toISOString(),
      fence: r.entry.fence,
      outcome: 'released',
      ttl: auditExpiry(now),
    },
    ConditionExpression: 'attribute_not_exists(sk)',
  };
}
