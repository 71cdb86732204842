/**
 * Leases (the cluster partition's `LOCK#<name>` items): a lock held by one owner (a workflow execution ARN)
 * until it is released or expires, so a crashed holder cannot block the cluster forever. Acquisition is one
 * conditional write; this module builds the requests and reads the answers, the handler talks to DynamoDB.
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
  | { readonly acquired: true; readonly owner: string; readonly expiresAt: number }
  | { readonly acquired: false; readonly holder: string | undefined; readonly expiresAt: number | undefined };

/**
 * The conditional update that takes the lease: free, expired, or already ours (a retried acquire by the
 * same execution must not lock itself out). Times are epoch milliseconds.
 */
export function acquireUpdate(req: LeaseRequest, now: number) {
  return {
    Key: lockKey(req.cluster, req.name),
    UpdateExpression:
      'SET #owner = :owner, acquiredAt = if_not_exists(acquiredAt, :now), expiresAt = :expiresAt',
    ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR #owner = :owner',
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

/** Renewal only by the holder, and only while it still holds the lease. */
export function renewUpdate(req: LeaseRequest, now: number) {
  return {
    Key: lockKey(req.cluster, req.name),
    UpdateExpression: 'SET expiresAt = :expiresAt',
    ConditionExpression: '#owner = :owner AND expiresAt >= :now',
    ExpressionAttributeNames: { '#owner': 'owner' },
    ExpressionAttributeValues: {
      ':owner': req.owner,
      ':now': now,
      ':expiresAt': now + req.ttlSeconds * 1000,
    },
  };
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

/** Whether `item` blocks `owner` at `now`. */
export function blocks(
  item: Pick<LeaseItem, 'owner' | 'expiresAt'> | undefined,
  owner: string,
  now: number,
): boolean {
  return item !== undefined && item.owner !== owner && item.expiresAt >= now;
}
