/**
 * Primary re-election and recovery: what the primary-failover workflow, node-bootstrap and the reconciler
 * share about the cluster's primary. Fencing rests on one epoch per cluster: an election bumps it with a
 * conditional write and only the execution that owns it may promote, move or record anything, so a stale or
 * redriven execution can never act.
 *
 * The decisions are pure functions of what was observed, one module per step: failover-observe (classify
 * and confirm), failover-assess, failover-gate (anti-flapping), failover-plan, failover-decide,
 * failover-outcome (how a run ends), election-census (the sweep and the bootstrap claim) and fencing (the
 * conditional writes). Nothing in core talks to AWS or reads a clock.
 */

/** The watch's metric: 1 when the primary group's instance is InService and healthy behind the ALB. */
export const PRIMARY_HEALTHY_METRIC = 'PrimaryHealthy';

/** The region's primary-unhealthy alarm (created by the stack, recognised by dispatch). */
export function primaryAlarmName(cluster: string, region: string): string {
  return `${cluster}-${region}-primary-unhealthy`;
}

/**
 * What started the run. `replacement`: the primary group launched an instance (Auto Scaling replacing a
 * primary it found unhealthy): the earliest sign that the primary is gone.
 */
export type FailoverTrigger = 'alarm' | 'drain' | 'reconciler' | 'manual' | 'replacement';

/**
 * When the fencing execution's status cannot be read, a fence younger than this still stands. It outlasts
 * primary-failover's own TimeoutSeconds (90 min), so no running election is ever taken for abandoned
 * (test/infra/leases.test.ts checks it against the ASL). Normally the status decides: see {@link fenceInForce}.
 */
export const STALE_FENCE_MS = 95 * 60_000;

/**
 * Whether an election's fence still holds the cluster (no claim beside it, no census under it). The fencing
 * execution's status decides when it is known: running, the fence stands whatever its age; ended (without
 * committing or escalating: it crashed, timed out or was stopped), it is abandoned at once. Unknown, its age
 * decides, against {@link STALE_FENCE_MS}.
 */
export function fenceInForce(
  state: ClusterState | undefined,
  now: number | undefined,
  ownerRunning: boolean | undefined,
): boolean {
  if (state?.phase !== 'fenced') return false;
  if (ownerRunning !== undefined) return ownerRunning;
  return now === undefined || now - (state.fencedAt ?? 0) < STALE_FENCE_MS;
}

/** The cluster's `STATE` item: who holds the epoch, and the primary it recorded. */
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
  /**
   * Nodes an election put out of service and can no longer trust (functions/core/quarantine.ts), by instance
   * id. Written by the fence (created empty), the quarantine op and an operator's release; never removed by a
   * commit or an escalation.
   */
  readonly quarantine?: Readonly<Record<string, QuarantineEntry>> | undefined;
}

/** Why a node was quarantined. */
export type QuarantineReason = 'candidate-failed' | 'superseded';
export const QUARANTINE_REASONS: readonly QuarantineReason[] = ['candidate-failed', 'superseded'];

/**
 * How the node was put out of service. `pending`: recorded, not yet (or not known to be) touched; `demoted`:
 * SetPrimaryRole (member) restarted Artifactory with `primary: false`; `stopped`: EC2 reported the instance
 * stopped or terminated after a forced stop; `unconfirmed`: neither could be confirmed.
 */
export type QuarantineFence = 'pending' | 'demoted' | 'stopped' | 'unconfirmed';
export const QUARANTINE_FENCES: readonly QuarantineFence[] = ['pending', 'demoted', 'stopped', 'unconfirmed'];

/** One quarantined node. */
export interface QuarantineEntry {
  readonly reason: QuarantineReason;
  /** The execution that quarantined it. */
  readonly run: string;
  /** The epoch that execution had fenced. */
  readonly epoch: number;
  /** Epoch ms it was quarantined. */
  readonly since: number;
  readonly fence: QuarantineFence;
  /** Epoch ms the fence was last recorded. */
  readonly fencedAt?: number | undefined;
}

/**
 * An entry as read from the table, numbers as numbers. A field it does not recognise reads as the most
 * cautious value (`pending`: the node may still act as a primary), never as no entry.
 */
function toQuarantineEntry(raw: unknown): QuarantineEntry {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  return {
    reason: QUARANTINE_REASONS.find((x) => x === r.reason) ?? 'candidate-failed',
    run: typeof r.run === 'string' ? r.run : 'unknown',
    epoch: Number(r.epoch ?? 0),
    since: Number(r.since ?? 0),
    fence: QUARANTINE_FENCES.find((x) => x === r.fence) ?? 'pending',
    ...(r.fencedAt !== undefined ? { fencedAt: Number(r.fencedAt) } : {}),
  };
}

/** The state item as read from the table: a numeric epoch and only the fields it holds; undefined if none. */
export function toClusterState(raw: ClusterState | undefined): ClusterState | undefined {
  return (
    raw && {
      epoch: Number(raw.epoch ?? 0),
      ...(raw.primary !== undefined ? { primary: raw.primary } : {}),
      ...(raw.phase !== undefined ? { phase: raw.phase } : {}),
      ...(raw.owner !== undefined ? { owner: raw.owner } : {}),
      ...(raw.fencedAt !== undefined ? { fencedAt: Number(raw.fencedAt) } : {}),
      ...(raw.candidate !== undefined ? { candidate: raw.candidate } : {}),
      ...(raw.quarantine !== undefined
        ? {
            quarantine: Object.fromEntries(
              Object.entries(raw.quarantine).map(([id, e]) => [id, toQuarantineEntry(e)]),
            ),
          }
        : {}),
    }
  );
}

/**
 * Deterministic execution names (≤ 80 characters): one run per alarm transition, per drained instance, per
 * reconciler sweep; a repeated event finds the execution already there.
 */
export function failoverExecutionName(trigger: Exclude<FailoverTrigger, 'manual'>, key: string): string {
  const safe = key.replace(/[^A-Za-z0-9_-]/g, '-');
  return `primary-failover-${trigger}-${safe}`.slice(0, 80);
}
