/**
 * Epoch fencing on the cluster's `STATE` item, as conditional DynamoDB updates. `fence` (an election) and
 * `claim` (a launching primary) take the next epoch only from the epoch they observed; every later write of
 * an election (record its candidate, commit, escalate) is conditioned on the epoch AND its owner, so a stale
 * or redriven execution can never promote, move or record anything. This module builds the requests and
 * judges the state read back; the failover Lambda sends them.
 */
import type { ClusterState, QuarantineEntry, QuarantineFence, QuarantineReason } from './failover';
import { FAILOVER_GATE, type GateRecord, recordElection } from './failover-gate';
import { gateKey, stateKey, type TableKey } from './keys';

/** An UpdateItem request without its table. */
export interface UpdateRequest {
  readonly Key: TableKey;
  readonly UpdateExpression: string;
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames: Readonly<Record<string, string>>;
  readonly ExpressionAttributeValues: Readonly<Record<string, AttributeValue>>;
}

/** A value an update sends: a string, a number, a quarantine entry or a map of them. */
export type AttributeValue = string | number | QuarantineEntry | Readonly<Record<string, QuarantineEntry>>;

/** The state item's attribute holding the quarantine map, and the names of one entry in it. */
const QUARANTINE = '#q';
const quarantineNames = (instanceId: string) => ({ [QUARANTINE]: 'quarantine', '#node': instanceId });

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
 * succeeds again. `failedPrimary` is recorded ('' when none). The quarantine map is created empty when the
 * item has none (so the election can add to it), and the quarantined nodes the election saw terminated
 * (`prune`) are dropped from it: the only removals besides an operator's release.
 */
export function fenceUpdate(
  req: {
    readonly cluster: string;
    readonly execution: string;
    readonly expectedEpoch: number;
    readonly failedPrimary?: string | undefined;
    readonly prune?: readonly string[] | undefined;
  },
  now: number,
): UpdateRequest {
  const prune = [...new Set(req.prune ?? [])];
  const pruned = Object.fromEntries(prune.map((id, i) => [`#p${i}`, id]));
  return {
    Key: stateKey(req.cluster),
    UpdateExpression:
      'SET epoch = :next, phase = :fenced, #owner = :me, fencedAt = :now, failedPrimary = :failed' +
      (prune.length > 0
        ? ` REMOVE ${Object.keys(pruned)
            .map((p) => `${QUARANTINE}.${p}`)
            .join(', ')}`
        : `, ${QUARANTINE} = if_not_exists(${QUARANTINE}, :noQuarantine)`),
    ConditionExpression:
      '(attribute_not_exists(epoch) AND :expected = :zero) OR epoch = :expected OR (epoch = :next AND #owner = :me)',
    ExpressionAttributeNames: { '#owner': 'owner', [QUARANTINE]: 'quarantine', ...pruned },
    ExpressionAttributeValues: {
      ':next': req.expectedEpoch + 1,
      ':expected': req.expectedEpoch,
      ':zero': 0,
      ':fenced': 'fenced',
      ':me': req.execution,
      ':now': now,
      ':failed': req.failedPrimary ?? '',
      ...(prune.length > 0 ? {} : { ':noQuarantine': {} }),
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
 * Only while the election still holds the epoch, fenced or committed, and never a quarantined instance.
 */
export function candidateUpdate(hold: EpochHold, candidate: string): UpdateRequest {
  const o = owned(hold);
  return {
    Key: o.Key,
    ConditionExpression: `${o.ConditionExpression} AND phase IN (:fenced, :committed) AND attribute_not_exists(${QUARANTINE}.#node)`,
    ExpressionAttributeNames: { ...o.ExpressionAttributeNames, ...quarantineNames(candidate) },
    UpdateExpression: 'SET candidate = :candidate',
    ExpressionAttributeValues: {
      ...o.values,
      ':candidate': candidate,
      ':fenced': 'fenced',
      ':committed': 'committed',
    },
  };
}

/**
 * Commit the election; with `primary`, record it as the primary and forget the candidate it was. The
 * quarantine map is not touched: a failed candidate stays quarantined.
 */
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
 * Give the election up. Its failed candidates stay quarantined (the quarantine map is not touched): none is a
 * candidate any more, so the next run does not take one over.
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

/**
 * The condition under which `execution` may quarantine the node `:node`: it is not the recorded primary, and
 * it is not the candidate of another election that holds the epoch now (see quarantine.ts
 * `quarantineRefusal`, which says the same in words). Not conditioned on the epoch: a superseded run must
 * still be able to quarantine the node it promoted.
 */
const MAY_QUARANTINE =
  '(attribute_not_exists(#primary) OR #primary <> :node) AND (attribute_not_exists(candidate) OR candidate <> :node OR #owner = :me OR attribute_not_exists(phase) OR phase <> :fenced)';

/** What {@link quarantineUpdate} records: the node, why, and the election that quarantines it. */
export interface QuarantineRequest extends EpochHold {
  readonly instanceId: string;
  readonly reason: QuarantineReason;
}

const newEntry = (req: QuarantineRequest, now: number): QuarantineEntry => ({
  reason: req.reason,
  run: req.execution,
  epoch: req.epoch,
  since: now,
  fence: 'pending',
});

const quarantineValues = (req: QuarantineRequest) => ({
  ':node': req.instanceId,
  ':me': req.execution,
  ':fenced': 'fenced',
});

/**
 * Quarantine a node before it is demoted or stopped (`fence: pending`), in the item's quarantine map (which
 * every fence creates). A node already quarantined keeps its first entry. Refused (the condition fails) when
 * the map is missing or {@link MAY_QUARANTINE} does not hold.
 */
export function quarantineUpdate(req: QuarantineRequest, now: number): UpdateRequest {
  return {
    Key: stateKey(req.cluster),
    UpdateExpression: `SET ${QUARANTINE}.#node = if_not_exists(${QUARANTINE}.#node, :entry)`,
    ConditionExpression: `attribute_exists(${QUARANTINE}) AND ${MAY_QUARANTINE}`,
    ExpressionAttributeNames: {
      ...quarantineNames(req.instanceId),
      '#primary': 'primary',
      '#owner': 'owner',
    },
    ExpressionAttributeValues: { ...quarantineValues(req), ':entry': newEntry(req, now) },
  };
}

/**
 * {@link quarantineUpdate} for an item written before quarantine existed (no map yet): the map with this one
 * entry. Only on an item that holds an epoch. (A SET on a key of a map the item does not hold fails, and one
 * expression cannot create the map and set a key in it: docs/facts.md, DynamoDB.)
 */
export function quarantineFirstUpdate(req: QuarantineRequest, now: number): UpdateRequest {
  return {
    Key: stateKey(req.cluster),
    UpdateExpression: `SET ${QUARANTINE} = :entries`,
    ConditionExpression: `attribute_exists(epoch) AND attribute_not_exists(${QUARANTINE}) AND ${MAY_QUARANTINE}`,
    ExpressionAttributeNames: { [QUARANTINE]: 'quarantine', '#primary': 'primary', '#owner': 'owner' },
    ExpressionAttributeValues: {
      ...quarantineValues(req),
      ':entries': { [req.instanceId]: newEntry(req, now) },
    },
  };
}

/** Record how a quarantined node was put out of service; only while it is still quarantined. */
export function quarantineFenceUpdate(
  req: { readonly cluster: string; readonly instanceId: string; readonly fence: QuarantineFence },
  now: number,
): UpdateRequest {
  return {
    Key: stateKey(req.cluster),
    UpdateExpression: `SET ${QUARANTINE}.#node.fence = :fence, ${QUARANTINE}.#node.fencedAt = :now`,
    ConditionExpression: `attribute_exists(${QUARANTINE}.#node)`,
    ExpressionAttributeNames: quarantineNames(req.instanceId),
    ExpressionAttributeValues: { ':fence': req.fence, ':now': now },
  };
}

/**
 * An operator's release: remove the node from quarantine, only if its entry is still the one the operator's
 * request was checked against (same run, same time).
 */
export function releaseUpdate(req: {
  readonly cluster: string;
  readonly instanceId: string;
  readonly entry: Pick<QuarantineEntry, 'run' | 'since'>;
}): UpdateRequest {
  return {
    Key: stateKey(req.cluster),
    UpdateExpression: `REMOVE ${QUARANTINE}.#node`,
    ConditionExpression: `${QUARANTINE}.#node.run = :run AND ${QUARANTINE}.#node.since = :since`,
    ExpressionAttributeNames: quarantineNames(req.instanceId),
    ExpressionAttributeValues: { ':run': req.entry.run, ':since': req.entry.since },
  };
}
