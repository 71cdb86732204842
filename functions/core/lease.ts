/**
 * Leases (the cluster partition's `LOCK#<name>` items): a lock held by one owner (a workflow execution ARN)
 * until it releases it or its execution ends, so a crashed holder cannot block the cluster, and a slow one
 * cannot lose its lease while it still acts. Each lease's TTL is at least its holder workflow's
 * TimeoutSeconds (test/infra/leases.test.ts checks every acquire in the ASL), so it cannot run out under a
 * running holder; the holder's status, read before any takeover, is the second line. Acquisition is one
 * conditional write; this module builds the requests and decides, the handler talks to DynamoDB and Step
 * Functions.
 */
import { lockKey } from './keys';

export interface LeaseRequest {
  readonly cluster: string;
  readonly name: string;
  readonly owner: string;
  /** Seconds the lease lasts from now unless renewed. */
  readonly ttlSeconds: number;
}

export interface LeaseItem {
  readonly pk: string;
  readonly sk: string;
  readonly owner: string;
  readonly acquiredAt: number;
  readonly expiresAt: number;
}

export type AcquireResult =
  | {
      readonly acquired: true;
      readonly owner: string;
      readonly expiresAt: number;
      /** Present when the request named a queue: a queue that acquired has not expired. */
      readonly queueExpired?: false;
    }
  | {
      readonly acquired: false;
      readonly holder: string | undefined;
      readonly expiresAt: number | undefined;
      /** When the lease was found held (ISO 8601): where a queue for it begins. */
      readonly checkedAt: string;
      /** Present when the request named a queue: it has waited out its patience or its rounds (give up). */
      readonly queueExpired?: boolean;
    };

/**
 * The conditional update that takes the lease: free, or already ours (a retried acquire by the same execution
 * must not lock itself out). An expired lease is NOT taken here: its holder may still be running (see
 * {@link heldLease}), so a lease held by another owner always goes through {@link takeoverUpdate}. Times are
 * epoch milliseconds.
 */
export function acquireUpdate(req: LeaseRequest, now: number) {
  return {
    Key: lockKey(req.cluster, req.name),
    UpdateExpression:
      'SET #owner = :owner, acquiredAt = if_not_exists(acquiredAt, :now), expiresAt = :expiresAt',
    ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner',
    ExpressionAttributeNames: { '#owner': 'owner' },
    ExpressionAttributeValues: {
      ':owner': req.owner,
      ':now': now,
      ':expiresAt': now + req.ttlSeconds * 1000,
    },
  };
}

/** Take over a lease still held by `staleOwner` (whose execution has ended), only if it still holds it. */
export function takeoverUpdate(req: LeaseRequest, staleOwner: string, now: number) {
  return {
    Key: lockKey(req.cluster, req.name),
    UpdateExpression: 'SET #owner = :owner, acquiredAt = :now, expiresAt = :expiresAt',
    ConditionExpression: '#owner = :stale',
    ExpressionAttributeNames: { '#owner': 'owner' },
    ExpressionAttributeValues: {
      ':owner': req.owner,
      ':stale': staleOwner,
      ':now': now,
      ':expiresAt': now + req.ttlSeconds * 1000,
    },
  };
}

/**
 * The holder's execution as Step Functions reports it (`DescribeExecution`'s status), or `GONE` when Step
 * Functions no longer knows it (deleted, or past its retention).
 */
export type HolderStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'ABORTED'
  | 'PENDING_REDRIVE'
  | 'GONE';

/**
 * What to do with a lease another owner holds. A lease is sized to outlast its holder's execution (its TTL is
 * at least the holder workflow's TimeoutSeconds), and its holder's status decides, not the clock:
 * - the holder ended (any status but RUNNING): take it over at once, expired or not: a crashed election or
 *   bootstrap must not block the cluster for the TTL;
 * - the holder runs: the lease is its, even past `expiresAt`. An expired lease under a running holder means
 *   the sizing rule was broken: that is an alert, never a takeover (two holders would each act).
 */
export function heldLease(
  item: Pick<LeaseItem, 'owner' | 'expiresAt'>,
  holder: HolderStatus,
  now: number,
): 'take-over' | 'busy' | 'expired-under-running-holder' {
  if (holder !== 'RUNNING') return 'take-over';
  return item.expiresAt < now ? 'expired-under-running-holder' : 'busy';
}

/** Release only by the holder: a late release by an owner whose lease expired must not free a successor's. */
export function releaseDelete(req: Pick<LeaseRequest, 'cluster' | 'name' | 'owner'>) {
  return {
    Key: lockKey(req.cluster, req.name),
    ConditionExpression: '#owner = :owner',
    ExpressionAttributeNames: { '#owner': 'owner' },
    ExpressionAttributeValues: { ':owner': req.owner },
  };
}

/** How long a queued acquirer has waited for a lease, and how long it may. */
export interface LeaseQueue {
  /** When the queue began (ISO 8601): the `checkedAt` of the acquire that first found the lease held. */
  readonly since: string;
  /** The queue's patience: a held lease found this long after `since` ends it. */
  readonly seconds: number;
  /** The queue's round counter (the workflow counts its rounds), and the most rounds it may take. */
  readonly round: number;
  readonly rounds: number;
}

/**
 * Whether a queue for a held lease has run out of patience at `now` (epoch ms): `seconds` or more after it
 * began, or its counted rounds used up (the loop's count bound, whatever the clocks say). A queue whose
 * start lies in the future (clock skew) has not run out of time.
 */
export function queueExpired(queue: LeaseQueue, now: number): boolean {
  return queue.round >= queue.rounds || now - Date.parse(queue.since) >= queue.seconds * 1000;
}
