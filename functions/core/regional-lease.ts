/**
 * The routing lease: one `LEASE` item per routing table (every configured region's and the witness's), held
 * when a majority of those tables (the voters) accepted the holder's conditional write. Its epoch is 1 + the
 * highest epoch any reachable voter shows, so two holders never share an epoch, and every write to a region's
 * switch or to the gate carries it (fencing). A release keeps the epoch (it only removes the holder): a deleted
 * item would let the next epoch repeat an old one. This module decides and builds the requests; the routing
 * Lambda (functions/routing/lease.ts) reads and writes the tables.
 *
 * DynamoDB conditional writes are per item (Amazon DynamoDB Developer Guide, "Condition expressions"), so the
 * fencing of `SWITCH#`/`GATE#` items is two-fold: the writer reads the `LEASE` item of the quorum first (its
 * epoch and holder must still be the writer's), and the write itself is conditional on the item's own epoch
 * never being above the writer's (a fencing token: a superseded writer can never overwrite its successor's
 * record). docs/facts.md, "Routing lease".
 */

import { routingLeaseKey } from './keys';
import type { HolderStatus } from './lease';

/** A routing table's `LEASE` item as read (absent fields: never held, or released). */
export interface RoutingLeaseItem {
  readonly holder?: string | undefined;
  readonly epoch?: number | undefined;
  /** Epoch milliseconds. */
  readonly expiresAt?: number | undefined;
}

/** One voter's read: its item (undefined = no item yet), or unreachable. */
export type VoterRead =
  | { readonly region: string; readonly reachable: true; readonly item: RoutingLeaseItem | undefined }
  | { readonly region: string; readonly reachable: false; readonly error: string };

/** The majority of `voters` voters. */
export function majority(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/** The highest epoch any reachable voter shows (0 when none holds one). */
export function highestEpoch(reads: readonly VoterRead[]): number {
  let max = 0;
  for (const r of reads) {
    if (r.reachable && r.item?.epoch !== undefined && r.item.epoch > max) max = r.item.epoch;
  }
  return max;
}

/** Who holds the lease in a read: another owner (with its status to ask), ourselves, or nobody. */
export type AcquirePlan =
  | { readonly kind: 'no-quorum'; readonly reachable: number; readonly quorum: number }
  /** Another execution holds the lease in a reachable voter: ask Step Functions about `holder` first. */
  | { readonly kind: 'ask'; readonly holder: string }
  | {
      readonly kind: 'write';
      readonly epoch: number;
      /** Our own lease already (a retried acquire): the epoch is kept. */
      readonly renew: boolean;
    };

/**
 * What an acquire does after reading every voter. Fewer reachable voters than the quorum: no write at all.
 * Held by `owner` in a quorum of reachable voters with the highest epoch: renew that epoch (a retried acquire).
 * A voter held by another owner (the holder with the highest epoch first): ask whether it still runs.
 * Otherwise write epoch 1 + the highest seen.
 */
export function planAcquire(
  reads: readonly VoterRead[],
  owner: string,
  quorum: number,
  ended: ReadonlySet<string> = new Set(),
): AcquirePlan {
  const reachable = reads.filter((r) => r.reachable);
  if (reachable.length < quorum) return { kind: 'no-quorum', reachable: reachable.length, quorum };
  const max = highestEpoch(reads);
  // Ours in a majority at the highest epoch: nobody can hold a newer one, whatever stale holder a minority names.
  const ours = reachable.filter((r) => r.reachable && r.item?.holder === owner && r.item.epoch === max);
  if (max > 0 && ours.length >= quorum) return { kind: 'write', epoch: max, renew: true };
  const others = reachable
    .map((r) => (r.reachable ? r.item : undefined))
    .filter((i): i is RoutingLeaseItem => i?.holder !== undefined && i.holder !== owner)
    .filter((i) => !ended.has(i.holder as string))
    .sort((a, b) => (b.epoch ?? 0) - (a.epoch ?? 0));
  const other = others[0];
  if (other !== undefined) return { kind: 'ask', holder: other.holder as string };
  return { kind: 'write', epoch: max + 1, renew: false };
}

/**
 * What to do about another holder once Step Functions answered: an ended holder (any status but RUNNING) is
 * taken over, expired or not; a running one keeps its lease, even expired (the TTL is sized to outlast its
 * execution: an expired lease under a running holder is an alert, never a takeover). A holder whose region
 * could not be asked counts as running.
 */
export function otherHolderVerdict(
  item: Pick<RoutingLeaseItem, 'expiresAt'>,
  status: HolderStatus | 'UNREACHABLE',
  now: number,
): 'take-over' | 'busy' | 'expired-under-running-holder' {
  if (status !== 'RUNNING' && status !== 'UNREACHABLE') return 'take-over';
  return (item.expiresAt ?? 0) < now ? 'expired-under-running-holder' : 'busy';
}

/**
 * The conditional write of our lease into one voter, given what we read there: the item must be unchanged
 * since (same holder, same epoch, or still absent), so two concurrent acquirers cannot both win a voter.
 */
export function leaseWrite(
  cluster: string,
  read: RoutingLeaseItem | undefined,
  req: { readonly owner: string; readonly epoch: number; readonly ttlSeconds: number },
  now: number,
) {
  const values: Record<string, unknown> = {
    ':holder': req.owner,
    ':epoch': req.epoch,
    ':expiresAt': now + req.ttlSeconds * 1000,
    ':now': now,
  };
  let condition: string;
  if (read === undefined) condition = 'attribute_not_exists(pk)';
  else {
    const parts: string[] = [];
    if (read.holder === undefined) parts.push('attribute_not_exists(holder)');
    else {
      parts.push('holder = :readHolder');
      values[':readHolder'] = read.holder;
    }
    if (read.epoch === undefined) parts.push('attribute_not_exists(epoch)');
    else {
      parts.push('epoch = :readEpoch');
      values[':readEpoch'] = read.epoch;
    }
    condition = parts.join(' AND ');
  }
  return {
    Key: routingLeaseKey(cluster),
    UpdateExpression: 'SET holder = :holder, epoch = :epoch, expiresAt = :expiresAt, acquiredAt = :now',
    ConditionExpression: condition,
    ExpressionAttributeValues: values,
  };
}

/** Extend our lease in one voter: only while it is still ours at our epoch. */
export function extendWrite(
  cluster: string,
  req: { readonly owner: string; readonly epoch: number; readonly ttlSeconds: number },
  now: number,
) {
  return {
    Key: routingLeaseKey(cluster),
    UpdateExpression: 'SET expiresAt = :expiresAt',
    ConditionExpression: 'holder = :holder AND epoch = :epoch',
    ExpressionAttributeValues: {
      ':holder': req.owner,
      ':epoch': req.epoch,
      ':expiresAt': now + req.ttlSeconds * 1000,
    },
  };
}

/** Give our lease back in one voter: the holder goes, the epoch stays (the next epoch must be higher). */
export function releaseWrite(cluster: string, req: { readonly owner: string; readonly epoch: number }) {
  return {
    Key: routingLeaseKey(cluster),
    UpdateExpression: 'REMOVE holder SET expiresAt = :zero',
    ConditionExpression: 'holder = :holder AND epoch = :epoch',
    ExpressionAttributeValues: { ':holder': req.owner, ':epoch': req.epoch, ':zero': 0 },
  };
}

/** One voter's answer to a write: accepted, refused by its condition (lost), or unreachable. */
export type WriteOutcome = 'ok' | 'lost' | 'unreachable';

/**
 * A quorum write's verdict: held with a majority; `fenced` when a voter refused and no majority accepted (the
 * lease or the record moved on); `no-quorum` when too few voters answered at all.
 */
export function quorumVerdict(
  outcomes: readonly WriteOutcome[],
  quorum: number,
): 'held' | 'fenced' | 'no-quorum' {
  const ok = outcomes.filter((o) => o === 'ok').length;
  if (ok >= quorum) return 'held';
  return outcomes.includes('lost') ? 'fenced' : 'no-quorum';
}

/**
 * The fencing check before a switch or gate write: every reachable voter's `LEASE` must show our epoch and
 * holder or an older epoch (a voter we did not win); one showing a higher epoch, or our epoch under another
 * holder, means we were superseded. A quorum of voters must show us as the holder.
 */
export function fenceVerdict(
  reads: readonly VoterRead[],
  owner: string,
  epoch: number,
  quorum: number,
): { readonly verdict: 'ours' | 'fenced' | 'no-quorum'; readonly detail: string } {
  let confirmed = 0;
  for (const r of reads) {
    if (!r.reachable) continue;
    const e = r.item?.epoch ?? 0;
    if (e > epoch)
      return { verdict: 'fenced', detail: `${r.region} holds epoch ${e}, above ours (${epoch})` };
    if (e === epoch && r.item?.holder !== owner)
      return {
        verdict: 'fenced',
        detail: `${r.region} shows epoch ${epoch} ${r.item?.holder === undefined ? 'released' : `held by ${r.item.holder}`}`,
      };
    if (e === epoch) confirmed++;
  }
  if (confirmed >= quorum) return { verdict: 'ours', detail: `${confirmed} voter(s) confirm epoch ${epoch}` };
  return {
    verdict: 'no-quorum',
    detail: `only ${confirmed} voter(s) confirm epoch ${epoch}; the quorum is ${quorum}`,
  };
}

/**
 * The condition that fences a `SWITCH#`/`GATE#` write by its own item: the item's epoch (the last writer's) is
 * never above ours.
 */
export const FENCED_ITEM_CONDITION = 'attribute_not_exists(epoch) OR epoch <= :epoch';
