import { acquireUpdate, heldLease, takeoverUpdate } from '../../../functions/core/lease';

const req = {
  cluster: 'prod',
  name: 'cluster',
  owner: 'arn:aws:states:eu-west-1:111122223333:execution:primary-failover:me',
  ttlSeconds: 900,
};
const OTHER = 'arn:aws:states:eu-west-1:111122223333:execution:primary-failover:other';
const NOW = 1_000_000;

describe('lease expiry', () => {
  it('acquire and take over both set the expiry ttlSeconds from now', () => {
    for (const u of [acquireUpdate(req, NOW), takeoverUpdate(req, OTHER, NOW)]) {
      expect(u.ExpressionAttributeValues[':expiresAt']).toBe(NOW + 900_000);
    }
  });

  it('the clock alone never frees a lease: the acquire condition does not read the expiry', () => {
    expect(acquireUpdate(req, NOW).ConditionExpression).toBe('attribute_not_exists(pk) OR #owner = :owner');
    expect(takeoverUpdate(req, OTHER, NOW).ConditionExpression).toBe('#owner = :stale');
  });

  it('a running holder’s lease is still valid at its expiry millisecond, expired one after', () => {
    expect(heldLease({ owner: OTHER, expiresAt: NOW }, 'RUNNING', NOW)).toBe('busy');
    expect(heldLease({ owner: OTHER, expiresAt: NOW - 1 }, 'RUNNING', NOW)).toBe(
      'expired-under-running-holder',
    );
    expect(heldLease({ owner: OTHER, expiresAt: NOW + 1 }, 'GONE', NOW)).toBe('take-over');
  });
});
