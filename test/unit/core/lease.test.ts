import { DescribeExecutionCommand, ExecutionDoesNotExist } from '@aws-sdk/client-sfn';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import 'aws-sdk-client-mock-jest';
import fc from 'fast-check';
import { lockKey } from '../../../functions/core/keys';
import { type HolderStatus, heldLease } from '../../../functions/core/lease';
import { LEASE_EXPIRED_UNDER_HOLDER_METRIC, LeaseInputSchema, lease } from '../../../functions/lease/handler';
import { executionArn, leaseFixture } from './lease-fixture';

const TABLE = 'lease-test';
const OWNERS = ['a', 'b', 'c'].map(executionArn);

const { ctx, metricsSeen, sfnMock, doc: docClient } = leaseFixture(TABLE);

type Op = { op: 'acquire' | 'release'; owner: number; advance: number; ends: boolean };

describe('heldLease (pure)', () => {
  const statuses: HolderStatus[] = [
    'RUNNING',
    'SUCCEEDED',
    'FAILED',
    'TIMED_OUT',
    'ABORTED',
    'PENDING_REDRIVE',
    'GONE',
  ];
  it('takes over exactly when the holder is not running, and never from a running one, expired or not', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...statuses),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        (status, expiresAt, now) => {
          const v = heldLease({ owner: 'x', expiresAt }, status, now);
          if (status !== 'RUNNING') expect(v).toBe('take-over');
          else expect(v).toBe(expiresAt < now ? 'expired-under-running-holder' : 'busy');
        },
      ),
    );
  });
});

describe('leases on real conditional writes', () => {
  it('match a reference model, and never let two owners hold the same lease', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record<Op>({
            op: fc.constantFrom('acquire', 'release'),
            owner: fc.integer({ min: 0, max: 2 }),
            advance: fc.integer({ min: 0, max: 400_000 }),
            // Whether the current holder's execution has ended by the time of this op.
            ends: fc.boolean(),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        async (ops) => {
          const cluster = `c${run++}`;
          let now = 1_000_000;
          let model: { owner: string; expiresAt: number } | undefined;
          const ended = new Set<string>();
          sfnMock.reset();
          sfnMock
            .on(DescribeExecutionCommand)
            .callsFake(async ({ executionArn }: { executionArn: string }) => ({
              status: ended.has(executionArn) ? 'FAILED' : 'RUNNING',
            }));
          for (const o of ops) {
            now += o.advance;
            const owner = OWNERS[o.owner] as string;
            if (o.ends && model) ended.add(model.owner);
            const out = (await lease(
              { op: o.op, cluster, name: 'join', owner, ttlSeconds: 300 },
              ctx,
              now,
            )) as Record<string, unknown>;
            if (o.op === 'acquire') {
              // Free, ours, or its holder ended: the clock alone never frees a lease.
              const expected = model === undefined || model.owner === owner || ended.has(model.owner);
              expect(out.acquired).toBe(expected);
              if (expected) {
                model = { owner, expiresAt: now + 300_000 };
                ended.delete(owner);
              } else expect(out.holder).toBe(model?.owner);
            } else {
              const expected = model?.owner === owner;
              expect(out.released).toBe(expected);
              if (expected) model = undefined;
            }
            // What DynamoDB holds is what the model holds: one item, one owner.
            const stored = await docClient().send(
              new GetCommand({ TableName: TABLE, Key: lockKey(cluster, 'join'), ConsistentRead: true }),
            );
            expect(stored.Item?.owner).toBe(model?.owner);
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 30_000); // real round trips to dynalite: slow on a loaded 2-core machine

  it('never takes an expired lease from a running holder: that is an alert', async () => {
    const [a, b] = OWNERS as [string, string];
    const now = 5_000_000;
    sfnMock.on(DescribeExecutionCommand, { executionArn: a }).resolves({ status: 'RUNNING' });
    await lease({ op: 'acquire', cluster: 'slow', name: 'join', owner: a, ttlSeconds: 60 }, ctx, now);

    await expect(
      lease({ op: 'acquire', cluster: 'slow', name: 'join', owner: b, ttlSeconds: 60 }, ctx, now + 61_000),
    ).resolves.toEqual({
      acquired: false,
      holder: a,
      expiresAt: now + 60_000,
      checkedAt: new Date(now + 61_000).toISOString(),
    });
    expect(metricsSeen).toEqual([LEASE_EXPIRED_UNDER_HOLDER_METRIC]);
    // Still a's: its release frees it.
    await expect(
      lease({ op: 'release', cluster: 'slow', name: 'join', owner: a }, ctx, now + 62_000),
    ).resolves.toEqual({ released: true });
  });

  it('says busy, with no alert, while a running holder’s lease is valid', async () => {
    const [a, b] = OWNERS as [string, string];
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    await lease({ op: 'acquire', cluster: 'valid', name: 'join', owner: a, ttlSeconds: 60 }, ctx, 1_000);
    await expect(
      lease({ op: 'acquire', cluster: 'valid', name: 'join', owner: b, ttlSeconds: 60 }, ctx, 2_000),
    ).resolves.toMatchObject({ acquired: false, holder: a });
    expect(metricsSeen).toEqual([]);
  });

  it('lets the holder acquire again (a retried Task) without asking Step Functions', async () => {
    const [a] = OWNERS as [string];
    await lease({ op: 'acquire', cluster: 'again', name: 'join', owner: a, ttlSeconds: 60 }, ctx, 1_000);
    await expect(
      lease({ op: 'acquire', cluster: 'again', name: 'join', owner: a, ttlSeconds: 60 }, ctx, 90_000),
    ).resolves.toMatchObject({ acquired: true, expiresAt: 150_000 });
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 0);
  });

  it('does not free a successor’s lease on a late release', async () => {
    const [a, b] = OWNERS as [string, string];
    sfnMock.on(DescribeExecutionCommand, { executionArn: a }).resolves({ status: 'ABORTED' });
    await lease({ op: 'acquire', cluster: 'late', name: 'join', owner: a, ttlSeconds: 60 }, ctx, 1_000);
    await lease({ op: 'acquire', cluster: 'late', name: 'join', owner: b, ttlSeconds: 60 }, ctx, 2_000);
    await expect(
      lease({ op: 'release', cluster: 'late', name: 'join', owner: a }, ctx, 3_000),
    ).resolves.toEqual({
      released: false,
    });
    await expect(
      lease({ op: 'acquire', cluster: 'late', name: 'join', owner: b, ttlSeconds: 60 }, ctx, 4_000),
    ).resolves.toMatchObject({ acquired: true });
  });
});

describe('bad lease requests change nothing', () => {
  it.each<[string, unknown]>([
    ['an acquire without a TTL', { op: 'acquire', cluster: 'c', name: 'join', owner: OWNERS[0] }],
    [
      'a TTL longer than any workflow',
      { op: 'acquire', cluster: 'c', name: 'join', owner: OWNERS[0], ttlSeconds: 20_000 },
    ],
    [
      'a renew (leases are sized, not renewed)',
      { op: 'renew', cluster: 'c', name: 'join', owner: OWNERS[0], ttlSeconds: 60 },
    ],
    [
      'an owner that is not an execution',
      { op: 'acquire', cluster: 'c', name: 'join', owner: 'me', ttlSeconds: 60 },
    ],
    [
      'a held lease answered otherwise than returning or failing',
      { op: 'acquire', cluster: 'c', name: 'join', owner: OWNERS[0], ttlSeconds: 60, whenHeld: 'wait' },
    ],
    [
      'a queue whose start is no timestamp',
      {
        op: 'acquire',
        cluster: 'c',
        name: 'join',
        owner: OWNERS[0],
        ttlSeconds: 60,
        queue: { since: 'yesterday', seconds: 60, round: 1, rounds: 6 },
      },
    ],
    [
      'a queue on an acquire that fails when held (a queue is answered with queueExpired)',
      {
        op: 'acquire',
        cluster: 'c',
        name: 'join',
        owner: OWNERS[0],
        ttlSeconds: 60,
        whenHeld: 'fail',
        queue: { since: '2026-01-01T00:00:00Z', seconds: 60, round: 1, rounds: 6 },
      },
    ],
    [
      'a queue without patience',
      {
        op: 'acquire',
        cluster: 'c',
        name: 'join',
        owner: OWNERS[0],
        ttlSeconds: 60,
        queue: { since: '2026-01-01T00:00:00Z', seconds: 0, round: 1, rounds: 6 },
      },
    ],
    [
      'a queue without a round count',
      {
        op: 'acquire',
        cluster: 'c',
        name: 'join',
        owner: OWNERS[0],
        ttlSeconds: 60,
        queue: { since: '2026-01-01T00:00:00Z', seconds: 60 },
      },
    ],
    [
      'a queue at round 0',
      {
        op: 'acquire',
        cluster: 'c',
        name: 'join',
        owner: OWNERS[0],
        ttlSeconds: 60,
        queue: { since: '2026-01-01T00:00:00Z', seconds: 60, round: 0, rounds: 6 },
      },
    ],
    [
      'an unknown field',
      { op: 'acquire', cluster: 'c', name: 'join', owner: OWNERS[0], ttlSeconds: 60, takeOverIfEnded: true },
    ],
  ])('rejects %s', (_what, input) => {
    expect(LeaseInputSchema.safeParse(input).success).toBe(false);
  });
});

describe('a lease left behind by an execution that ended', () => {
  const [holder, next] = OWNERS as [string, string];
  const acquire = (cluster: string, owner: string, now: number) =>
    lease({ op: 'acquire', cluster, name: 'cluster', owner, ttlSeconds: 1800 }, ctx, now);
  const holderOf = async (cluster: string) =>
    (
      await docClient().send(
        new GetCommand({ TableName: TABLE, Key: lockKey(cluster, 'cluster'), ConsistentRead: true }),
      )
    ).Item;

  it.each(['FAILED', 'TIMED_OUT', 'ABORTED', 'SUCCEEDED'])(
    'takes over the lease of a %s holder before it expires',
    async (status) => {
      const cluster = `ended-${status}`;
      const now = 9_000_000;
      await acquire(cluster, holder, now);
      sfnMock.on(DescribeExecutionCommand, { executionArn: holder }).resolves({ status: status as 'FAILED' });

      await expect(acquire(cluster, next, now + 60_000)).resolves.toEqual({
        acquired: true,
        owner: next,
        expiresAt: now + 60_000 + 1_800_000,
        tookOverFrom: holder,
      });
      expect(await holderOf(cluster)).toMatchObject({ owner: next, acquiredAt: now + 60_000 });
      expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 1);
      // The previous holder cannot release what is no longer its lease.
      expect(await lease({ op: 'release', cluster, name: 'cluster', owner: holder }, ctx, now)).toEqual({
        released: false,
      });
    },
  );

  it('takes over from a holder Step Functions no longer knows', async () => {
    const cluster = 'ended-gone';
    await acquire(cluster, holder, 1_000);
    sfnMock
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));

    await expect(acquire(cluster, next, 2_000)).resolves.toMatchObject({
      acquired: true,
      tookOverFrom: holder,
    });
  });

  it('leaves a RUNNING holder’s lease alone', async () => {
    const cluster = 'running';
    await acquire(cluster, holder, 1_000);
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });

    await expect(acquire(cluster, next, 2_000)).resolves.toEqual({
      acquired: false,
      holder,
      expiresAt: 1_000 + 1_800_000,
      checkedAt: expect.any(String),
    });
    expect(await holderOf(cluster)).toMatchObject({ owner: holder });
  });

  it('does not take a lease someone else took over in the meantime', async () => {
    const cluster = 'raced';
    const third = OWNERS[2] as string;
    await acquire(cluster, holder, 1_000);
    // While this acquire asks about the ended holder, a third execution takes the lease over first.
    sfnMock.on(DescribeExecutionCommand).callsFake(async () => {
      await docClient().send(
        new PutCommand({
          TableName: TABLE,
          Item: {
            ...lockKey(cluster, 'cluster'),
            owner: third,
            acquiredAt: 1_500,
            expiresAt: 1_500 + 1_800_000,
          },
        }),
      );
      return { status: 'FAILED' };
    });

    await expect(acquire(cluster, next, 2_000)).resolves.toMatchObject({ acquired: false, holder });
    expect(await holderOf(cluster)).toMatchObject({ owner: third });
  });

  it('lets a Step Functions error fail the acquire (the workflow retries it)', async () => {
    const cluster = 'sfn-down';
    await acquire(cluster, holder, 1_000);
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    sfnMock.on(DescribeExecutionCommand).rejects(throttled);

    await expect(acquire(cluster, next, 2_000)).rejects.toBe(throttled);
    expect(await holderOf(cluster)).toMatchObject({ owner: holder });
  });
});
