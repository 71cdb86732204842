/**
 * The watch knows a planned primary restart (issue 13, item 4). cert-rotation restarts the primary (last, in
 * legacy mode) while it holds the cluster's `cluster` lease, the lease primary-failover also takes: a primary
 * that is down while a running cert-rotation execution holds that lease is being restarted on purpose, and
 * an election would fight the rotation for a node that comes back by itself. For that time the watch
 * publishes no `PrimaryHealthy` datapoint (the primary-unhealthy alarm keeps its state on missing data, so
 * it does not go into ALARM and no failover starts) and publishes `PrimaryRestartPlanned` = 1 instead.
 *
 * Bounded: a planned restart that lasts longer than {@link PLANNED_RESTART_MAX_MS} is no longer planned
 * (the node failed to come back and the rotation's rollback did not bring it back either): the watch
 * publishes `PrimaryHealthy` = 0 again and the alarm fires as for any down primary. The election then waits
 * for the rotation to release the lease (it rolls the node back and stops), as any two runs serialize.
 *
 * The cost (statemachines/primary-failover.md, "Planned restarts of the primary"): in legacy mode the primary alone runs the cluster's tasks, so its
 * planned restart is a gap in those tasks of one restart (drain, stop, start, verify, re-register).
 */

/** The longest planned primary restart: drain (ALB deregistration delay, 300 s by default), stop, start,
 * verify from a peer, re-register and the healthy threshold, with room for a slow JVM start. */
export const PLANNED_RESTART_MAX_MS = 20 * 60_000;

/**
 * Two planned sightings further apart than this are two restarts (a CA rotation's phases each restart the
 * primary within one run): the primary was seen healthy, or not watched, in between.
 */
export const PLANNED_RESTART_GAP_MS = 3 * 60_000;

/** The watch's metric for the minutes it held the unhealthy reading back. */
export const PRIMARY_RESTART_PLANNED_METRIC = 'PrimaryRestartPlanned';

/** The `WATCH#primary-restart` item: the planned restart in progress, as the watch saw it. */
export interface PlannedRestartRecord {
  /** The cert-rotation execution that holds the `cluster` lease. */
  readonly owner: string;
  /** The first minute the primary was seen down under that lease (epoch ms). */
  readonly since: number;
  /** The last such minute. */
  readonly lastSeen: number;
}

/** The `cluster` lease as the watch reads it. */
export interface ClusterLease {
  readonly owner?: string | undefined;
  readonly expiresAt?: number | undefined;
}

/**
 * Whether `executionArn` (`arn:<partition>:states:<region>:<account>:execution:<state machine>:<name>`) is
 * an execution of the state machine `stateMachineArn` (`…:stateMachine:<state machine>`).
 */
export function isExecutionOf(executionArn: string | undefined, stateMachineArn: string): boolean {
  const sm = /^(arn:[^:]+:states:[^:]+:[^:]+):stateMachine:([^:]+)$/.exec(stateMachineArn);
  if (sm === null) throw new Error(`not a state machine ARN: ${JSON.stringify(stateMachineArn)}`);
  if (executionArn === undefined) return false;
  const ex = /^(arn:[^:]+:states:[^:]+:[^:]+):execution:([^:]+):[^:]+$/.exec(executionArn);
  return ex !== null && ex[1] === sm[1] && ex[2] === sm[2];
}

export type WatchVerdict =
  | { readonly kind: 'healthy' }
  | { readonly kind: 'unhealthy' }
  /** Held back: publish `PrimaryRestartPlanned`, not `PrimaryHealthy`; write `record`. */
  | { readonly kind: 'planned'; readonly record: PlannedRestartRecord; readonly elapsedMs: number }
  /** Too long to be planned: publish `PrimaryHealthy` = 0; write `record` (it stays overdue). */
  | { readonly kind: 'overdue'; readonly record: PlannedRestartRecord; readonly elapsedMs: number };

/**
 * What the watch publishes for one minute. `holderRunning`: the lease holder's execution is RUNNING (the
 * watch asks Step Functions only when the lease names a cert-rotation execution).
 */
export function watchVerdict(input: {
  readonly healthy: 0 | 1;
  readonly lease: ClusterLease | undefined;
  readonly holderRunning: boolean;
  readonly record: PlannedRestartRecord | undefined;
  readonly certRotationArn: string;
  readonly now: number;
  readonly maxMs?: number;
}): WatchVerdict {
  const { lease, record, now } = input;
  if (input.healthy === 1) return { kind: 'healthy' };
  const owner = lease?.owner;
  const held =
    owner !== undefined &&
    isExecutionOf(owner, input.certRotationArn) &&
    (lease?.expiresAt ?? 0) > now &&
    input.holderRunning;
  if (!held) return { kind: 'unhealthy' };
  const continues =
    record !== undefined &&
    record.owner === owner &&
    now - record.lastSeen <= PLANNED_RESTART_GAP_MS &&
    now >= record.since;
  const since = continues ? record.since : now;
  const next = { owner, since, lastSeen: now };
  const elapsedMs = now - since;
  return elapsedMs < (input.maxMs ?? PLANNED_RESTART_MAX_MS)
    ? { kind: 'planned', record: next, elapsedMs }
    : { kind: 'overdue', record: next, elapsedMs };
}
