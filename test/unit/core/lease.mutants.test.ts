import { acquireUpdate, blocks, renewUpdate, takeoverUpdate } from '../../../functions/core/lease';

const req = {
  cluster: 'prod',
  name: 'cluster',
  owner: 'arn:aws:states:eu-west-1:111122223333:execution:primary-failover:me',
  ttlSeconds: 900,
};
const OTHER = 'arn:aws:states:eu-west-1:111122223333:execution:primary-failover:other';
const NOW = 1_000_000;

describe('lease expiry', () => {
  it('acquire, take over and renew all set the expiry ttlSeconds from now', () => {
    for (const u of [acquireUpdate(req, NOW), takeoverUpdate(req, OTHER, NOW), renewUpdate(req, NOW)]) {
      expect(u.ExpressionAttributeValues[':expiresAt']).toBe(NOW + 900_000);
    }
  });

  it('a lease still blocks others at its expiry millisecond (the acquire condition frees it only after)', () => {
    expect(blocks({ owner: OTHER, expiresAt: NOW }, req.owner, NOW)).toBe(true);
    expect(blocks({ owner: OTHER, expiresAt: NOW - 1 }, req.owner, NOW)).toBe(false);
    expect(blocks({ owner: req.owner, expiresAt: NOW }, req.owner, NOW)).toBe(false);
    expect(acquireUpdate(req, NOW).ConditionExpression).toContain('expiresAt < :now');
  });
});
