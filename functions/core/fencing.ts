/**
 * Epoch fencing on the cluster's `STATE` item, as conditional DynamoDB updates. `fence` (an election) and
 * `claim` (a launching primary) take the next epoch only from the epoch they observed; every later write of
 * an election (record its candidate, commit, escalate) is conditioned on the epoch AND its owner, so a stale
 * or redriven execution can never promote, move or record anything. This module builds the requests and
 * judges the state read back; the failover Lambda sends them.
 */
import type { ClusterState } from './failover';
import { FAILOVER_GATE, type GateRecord, recordElection } from './failover-gate';
import { gateKey, stateKey, type TableKey } from './keys';

/** An UpdateItem request without its table. */
export interface UpdateRequest {
  readonly Key: TableKey;
  readonly UpdateExpression: string;
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames: Readonly<Record<string, string>>;
  readonly ExpressionAttributeValues: Readonly<Record<string, string | number>>;
}

/** The condition of every write by the election that holds the epoch. */
export const OWNER_CONDITION = 'epoch = :epoch AND #owner = :me';

/** An election's hold on the cluster: the epoch it fenced and its execution ARN. */
export interface EpochHold {
  readonly cluster: string;
  readonly epoch: number;
  readonly execution: string;
}

const owned = (hold: EpochHold) => ({
  Key: stateKey(hold.cluster),
  ConditionExpression: OWNER_CONDITION,
  ExpressionAttributeNames: { '#owner': 'owner' },
  values: { ':epoch': hold.epoch, ':me': hold.execution },
});

/**
 * Take epoch `expectedEpoch + 1` for `execution`: only from the epoch observed (or from nothing, for
 * epoch 0). A retried call of the same execution whose first answer was lost finds its own fence and
 * succeeds again. `failedPrimary` is recorded ('' when none).
 */
export function fenceUpdate(
  req: {
    readonly cluster: string;
    readonly execution: string;
    readonly expectedEpoch: number;
    readonly failedPrimary?: string | undefined;
  },
  now: number,
): UpdateRequest {
  return {
    Key: stateKey(req.cluster),
    UpdateExpression:
      'SET epoch = :next, phase = :fenced, #owner = :me, fencedAt = :now, failedPrimary = :failed',
    ConditionExpression:
      '(attribute_not_exists(epoch) AND :expected = :zero) OR epoch = :expected OR (epoch = :next AND #owner = :me)',
    ExpressionAttributeNames: { '#owner': 'owner' },
    ExpressionAttributeValues: {
      ':next': req.expectedEpoch + 1,
      ':expected': req.expectedEpoch,
      ':zero': 0,
      ':fenced': 'fenced',
      ':me': req.execution,
      ':now': now,
      ':failed': req.failedPrimary ?? '',
    },
  };
}

/** Whether the gate already counts this execution's election (a retried fence must not count it twice). */
export function electionRecorded(
  gate: { readonly execution?: string } | undefined,
  execution: string,
): boolean {
  return gate?.execution === execution;
}

/**
 * Record an election in the gate item (after its fence succeeded): it starts the cooldown, and counts against
 * the day's budget when `budgeted`. Unconditional: the fence already decided who elects.
 */
export function gateElectionUpdate(
  req: { readonly cluster: string; readonly execution: string; readonly budgeted: boolean },
  previous: GateRecord | undefined,
  now: number,
): UpdateRequest {
  const next = recordElection(previous, now, req.budgeted);
  return {
    Key: gateKey(req.cluster, FAILOVER_GATE),
    UpdateExpression: 'SET lastElectionAt = :at, #day = :day, #count = :count, execution = :me',
    ExpressionAttributeNames: { '#day': 'day', '#count': 'count' },
    ExpressionAttributeValues: {
      ':at': next.lastElectionAt,
      ':day': next.day,
      ':count': next.count,
      ':me': req.execution,
    },
  };
}

/** Whether `state` still belongs to the election: its epoch, its owner, still fenced or committed. */
export function holdsEpoch(state: ClusterState | undefined, hold: Omit<EpochHold, 'cluster'>): boolean {
  return (
    state !== undefined &&
    Number(state.epoch) === hold.epoch &&
    state.owner === hold.execution &&
    (state.phase === 'fenced' || state.phase === 'committed')
  );
}

/**
 * Record the instance about to be detached and promoted, so a re-run can find it if this execution dies.
 * Only while the election still holds the epoch, fenced or committed.
 */
export function candidateUpdate(hold: EpochHold, candidate: string): UpdateRequest {
  const o = owned(hold);
  return {
    Key: o.Key,
    ConditionExpression: `${o.ConditionExpression} AND phase IN (:fenced, :committed)`,
    ExpressionAttributeNames: o.ExpressionAttributeNames,
    UpdateExpression: 'SET candidate = :candidate',
    ExpressionAttributeValues: {
      ...o.values,
      ':candidate': candidate,
      ':fenced': 'fenced',
      ':committed': 'committed',
    },
  };
}

/** Commit the election; with `primary`, record it as the primary and forget the candidate it was. */
export function commitUpdate(
  hold: EpochHold & { readonly primary?: string | undefined },
  now: number,
): UpdateRequest {
  const o = owned(hold);
  const primary = hold.primary;
  return {
    Key: o.Key,
    ConditionExpression: o.ConditionExpression,
    UpdateExpression:
      primary !== undefined
        ? 'SET phase = :committed, committedAt = :now, #primary = :primary REMOVE candidate'
        : 'SET phase = :committed, committedAt = :now',
    ExpressionAttributeNames: {
      ...o.ExpressionAttributeNames,
      ...(primary !== undefined ? { '#primary': 'primary' } : {}),
    },
    ExpressionAttributeValues: {
      ...o.values,
      ':committed': 'committed',
      ':now': now,
      ...(primary !== undefined ? { ':primary': primary } : {}),
    },
  };
}

/**
 * Give the election up. Its candidates were stopped and are kept for investigation: none is a candidate any
 * more, so the next run does not take one over.
 */
export function escalateUpdate(hold: EpochHold, now: number): UpdateRequest {
  const o = owned(hold);
  return {
    Key: o.Key,
    ConditionExpression: o.ConditionExpression,
    ExpressionAttributeNames: o.ExpressionAttributeNames,
    UpdateExpression: 'SET phase = :escalated, escalatedAt = :now REMOVE candidate',
    ExpressionAttributeValues: { ...o.values, ':escalated': 'escalated', ':now': now },
  };
}

/**
 * node-bootstrap's claim of the primary role for `instanceId`: epoch `expectedEpoch + 1`, only from the epoch
 * observed. A retried claim of the same instance and execution succeeds again.
 */
export function claimUpdate(
  req: {
    readonly cluster: string;
    readonly instanceId: string;
    readonly execution: string;
    readonly expectedEpoch: number;
  },
  now: number,
): UpdateRequest {
  return {
    Key: stateKey(req.cluster),
    UpdateExpression: 'SET epoch = :next, phase = :claimed, #primary = :me, #owner = :exec, claimedAt = :now',
    ConditionExpression:
      '(attribute_not_exists(epoch) AND :expected = :zero) OR epoch = :expected OR (#primary = :me AND #owner = :exec)',
    ExpressionAttributeNames: { '#primary': 'primary', '#owner': 'owner' },
    ExpressionAttributeValues: {
      ':next': req.expectedEpoch + 1,
      ':expected': req.expectedEpoch,
      ':zero': 0,
      ':claimed': 'claimed',
      ':me': req.instanceId,
      ':exec': req.execution,
      ':now': now,
    },
  };
}
