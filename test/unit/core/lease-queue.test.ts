import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import 'aws-sdk-client-mock-jest';
import fc from 'fast-check';
import { lockKey } from '../../../functions/core/keys';
import { queueExpired } from '../../../functions/core/lease';
import { handler, LEASE_EXPIRED_UNDER_HOLDER_METRIC, lease } from '../../../functions/lease/handler';
import { LeaseHeld, ValidationError } from '../../../functions/shared/errors';
import { executionArn, leaseFixture } from './lease-fixture';

/** The lease function's queue options (`queue`, `whenHeld: "fail"`) on real conditional writes (dynalite). */
const TABLE = 'lease-queue-test';
const OWNERS = ['a', 'b'].map(executionArn);

const { ctx, metricsSeen, sfnMock, doc: docClient } = leaseFixture(TABLE);

describe('queueExpired (pure)', () => {
  it('is true exactly from `seconds` after the queue began, or from its last counted round', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: 1, max: 10_800 }),
        fc.integer({ min: -10_000_000, max: 20_000_000 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        (since, seconds, elapsed, round, rounds) => {
          const queue = { since: new Date(since).toISOString(), seconds, round, rounds };
          expect(queueExpired(queue, since + elapsed)).toBe(elapsed >= seconds * 1000 || round >= rounds);
        },
      ),
    );
  });
});

describe('whenHeld: "fail" (a workflow that queues by retrying its acquire)', () => {
  const [a, b] = OWNERS as [string, string];
  const acquire = (cluster: string, owner: string, now: number) =>
    lease({ op: 'acquire', cluster, name: 'join', owner, ttlSeconds: 60, whenHeld: 'fail' }, ctx, now);
  const holderOf = async (cluster: string) =>
    (
      await docClient().send(
        new GetCommand({ TableName: TABLE, Key: lockKey(cluster, 'join'), ConsistentRead: true }),
      )
    ).Item;

  it('takes a free lease, and fails a held one with LeaseHeld naming its holder, changing nothing', async () => {
    await expect(acquire('queue', a, 1_000)).resolves.toMatchObject({ acquired: true, owner: a });
    sfnMock.on(DescribeExecutionCommand, { executionArn: a }).resolves({ status: 'RUNNING' });
    const err: unknown = await acquire('queue', b, 2_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LeaseHeld);
    expect(err).toMatchObject({ name: 'LeaseHeld', holder: a });
    expect((err as Error).message).toContain(a);
    expect(await holderOf('queue')).toMatchObject({ owner: a, acquiredAt: 1_000 });
    expect(metricsSeen).toEqual([]);
    // Once a releases, b's next poll takes it.
    await lease({ op: 'release', cluster: 'queue', name: 'join', owner: a, whenHeld: 'fail' }, ctx, 3_000);
    await expect(acquire('queue', b, 4_000)).resolves.toMatchObject({ acquired: true, owner: b });
  });

  it('still takes over from an ended holder, and fails (with the alert) under an expired running one', async () => {
    await acquire('queue-ended', a, 1_000);
    sfnMock.on(DescribeExecutionCommand, { executionArn: a }).resolves({ status: 'FAILED' });
    await expect(acquire('queue-ended', b, 2_000)).resolves.toMatchObject({
      acquired: true,
      tookOverFrom: a,
    });

    await acquire('queue-expired', a, 1_000);
    sfnMock.on(DescribeExecutionCommand, { executionArn: a }).resolves({ status: 'RUNNING' });
    await expect(acquire('queue-expired', b, 62_000)).rejects.toThrow(LeaseHeld);
    expect(metricsSeen).toEqual([LEASE_EXPIRED_UNDER_HOLDER_METRIC]);
    expect(await holderOf('queue-expired')).toMatchObject({ owner: a });
  });

  it('answers a queue with queueExpired, never an error: false while it waits, true once its patience or rounds are out', async () => {
    await acquire('queue-patience', a, 1_000);
    sfnMock.on(DescribeExecutionCommand, { executionArn: a }).resolves({ status: 'RUNNING' });
    const queued = (now: number, round = 1) =>
      lease(
        {
          op: 'acquire',
          cluster: 'queue-patience',
          name: 'join',
          owner: b,
          ttlSeconds: 60,
          queue: { since: new Date(2_000).toISOString(), seconds: 30, round, rounds: 6 },
        },
        ctx,
        now,
      );
    await expect(queued(31_999)).resolves.toEqual({
      acquired: false,
      holder: a,
      expiresAt: 61_000,
      checkedAt: new Date(31_999).toISOString(),
      queueExpired: false,
      // The queue comes back with the answer: the workflow carries its round and start on.
      queue: { since: new Date(2_000).toISOString(), seconds: 30, round: 1, rounds: 6 },
    });
    await expect(queued(32_000)).resolves.toMatchObject({ acquired: false, holder: a, queueExpired: true });
    // The counted bound ends it too, whatever the time: round 6 of 6 is the last.
    await expect(queued(10_000, 5)).resolves.toMatchObject({ acquired: false, queueExpired: false });
    await expect(queued(10_000, 6)).resolves.toMatchObject({ acquired: false, queueExpired: true });
    expect(await holderOf('queue-patience')).toMatchObject({ owner: a, acquiredAt: 1_000 });
    // Free again: the expired queue's poll still takes it (patience ends waiting, not acquiring).
    await lease({ op: 'release', cluster: 'queue-patience', name: 'join', owner: a }, ctx, 40_000);
    await expect(queued(41_000)).resolves.toMatchObject({ acquired: true, owner: b, queueExpired: false });
    // Without a queue, the answer has no queueExpired.
    await expect(
      lease({ op: 'acquire', cluster: 'queue-none', name: 'join', owner: a, ttlSeconds: 60 }, ctx, 42_000),
    ).resolves.not.toHaveProperty('queueExpired');
  });

  it('refuses a queue with whenHeld: "fail" (ValidationError, before any call)', async () => {
    const context = { functionName: 'lease', awsRequestId: 'r' } as unknown as Context;
    const bad = {
      op: 'acquire',
      cluster: 'queue-fail',
      name: 'join',
      owner: a,
      ttlSeconds: 60,
      whenHeld: 'fail',
      queue: { since: new Date(2_000).toISOString(), seconds: 30, round: 1, rounds: 6 },
    };
    const err: unknown = await handler(bad, context).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual(['queue']);
    expect(await holderOf('queue-fail')).toBeUndefined();
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 0);
  });

  it('is refused by the handler with a ValidationError when it is neither, before any call', async () => {
    const context = { functionName: 'lease', awsRequestId: 'r' } as unknown as Context;
    const bad = {
      op: 'acquire',
      cluster: 'queue-bad',
      name: 'join',
      owner: a,
      ttlSeconds: 60,
      whenHeld: 'wait',
    };
    const err: unknown = await handler(bad, context).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual(['whenHeld']);
    expect(await holderOf('queue-bad')).toBeUndefined();
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 0);
  });
});
