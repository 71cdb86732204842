import * as z from 'zod/mini';
import { lockKey } from '../core/keys';
import {
  type AcquireResult,
  acquireUpdate,
  type HolderStatus,
  heldLease,
  type LeaseItem,
  queueExpired,
  releaseDelete,
  takeoverUpdate,
} from '../core/lease';
import { dynamoDoc, dynamoDocSdk } from '../shared/clients/dynamodb';
import { sfn } from '../shared/clients/sfn';
import { ENV, requireEnv } from '../shared/env';
import { LeaseHeld } from '../shared/errors';
import { IsoTimeSchema } from '../shared/event-envelope';
import { executionStatus } from '../shared/executions';
import { type HandlerContext, makeHandler } from '../shared/handler';
import { MetricUnit } from '../shared/powertools';

/**
 * The longest lease: a lease outlives its holder's execution (no other workflow of ours runs longer than 2 h);
 * cert-rotation, which may run for days, has its `rotation` lease extended by every node's child instead (an acquire by its owner).
 */
export const MAX_LEASE_SECONDS = 3 * 60 * 60;

const leaseTarget = {
  cluster: z.string().check(z.minLength(1)),
  /** `rotation`: one cert-rotation run per cluster, extended as each node starts (an acquire by its owner). */
  name: z.enum(['join', 'cluster', 'rotation']),
  /** The execution ARN that holds the lease. */
  owner: z.string().check(z.startsWith('arn:aws:states:', 'owner must be a Step Functions execution ARN')),
};

/** Called by workflows: take or give back a named lease on the cluster (join lock, cluster lock). */
export const LeaseInputSchema = z.discriminatedUnion('op', [
  z
    .strictObject({
      op: z.literal('acquire'),
      ...leaseTarget,
      /** At least the holder workflow's TimeoutSeconds: the lease must not run out while its holder runs. */
      ttlSeconds: z.int().check(z.gte(30)).check(z.lte(MAX_LEASE_SECONDS)),
      /**
       * What a held lease answers: `return` (the default) `{ acquired: false }`, the answer a workflow's wait
       * loop branches on with a Choice; `fail` a {@link LeaseHeld} error, for a caller to which a held lease
       * means something went wrong (cert-rotation-node extending its parent's rotation lease). A held lease
       * a workflow waits for is never an error: the function's error alarm means something failed.
       */
      whenHeld: z.optional(z.enum(['return', 'fail'])),
      /**
       * A queue's start, patience and round count (not with `whenHeld: "fail"`): the answer then says
       * `queueExpired`, true when the lease is still held `seconds` after `since` or at the queue's last round
       * (the workflow ends its queue on it), false otherwise (and false when acquired).
       */
      queue: z.optional(
        z.strictObject({
          since: IsoTimeSchema,
          seconds: z.int().check(z.gte(1)).check(z.lte(MAX_LEASE_SECONDS)),
          /** This poll's round (counted by the workflow, from 1) and the most rounds the queue may take. */
          round: z.int().check(z.gte(1)),
          rounds: z.int().check(z.gte(1), z.lte(100)),
        }),
      ),
    })
    .check(
      z.refine((r) => r.queue === undefined || r.whenHeld !== 'fail', {
        message: 'a queue is answered with queueExpired, not with whenHeld: "fail"',
        path: ['queue'],
      }),
    ),
  z.strictObject({
    op: z.literal('release'),
    ...leaseTarget,
    /** Ignored: a release may carry its acquire's payload. */
    ttlSeconds: z.optional(z.int()),
    /** Ignored, as `ttlSeconds`. */
    whenHeld: z.optional(z.enum(['return', 'fail'])),
  }),
]);
export type LeaseInput = z.infer<typeof LeaseInputSchema>;

/** Emitted when a lease ran out while its holder still runs: the TTL sizing rule was broken somewhere. */
export const LEASE_EXPIRED_UNDER_HOLDER_METRIC = 'LeaseExpiredUnderRunningHolder';

const isConditionFailure = (err: unknown) => (err as Error).name === 'ConditionalCheckFailedException';

/** Performs one lease operation against the state table. */
export async function lease(
  input: LeaseInput,
  ctx: Pick<HandlerContext<'dynamoDoc' | 'sfn'>, 'clients' | 'logger' | 'metrics'>,
  now = Date.now(),
) {
  const { DeleteCommand, GetCommand, UpdateCommand } = dynamoDocSdk();
  const TableName = requireEnv(ENV.stateTable);
  const doc = ctx.clients.dynamoDoc();
  if (input.op === 'release') {
    try {
      await doc.send(new DeleteCommand({ TableName, ...releaseDelete(input) }));
      ctx.logger.info('lease released', { lease: input.name, owner: input.owner });
      return { released: true };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      // Not ours (taken over after our execution was seen ended, or already released): nothing to give back.
      return { released: false };
    }
  }
  try {
    const update = acquireUpdate(input, now);
    await doc.send(new UpdateCommand({ TableName, ...update }));
    ctx.logger.info('lease acquired', { lease: input.name, owner: input.owner });
    return {
      acquired: true,
      owner: input.owner,
      expiresAt: update.ExpressionAttributeValues[':expiresAt'],
      ...queueAnswer(input, false),
    } satisfies AcquireResult;
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
  const held = await doc.send(
    new GetCommand({ TableName, Key: lockKey(input.cluster, input.name), ConsistentRead: true }),
  );
  const item = held.Item as LeaseItem | undefined;
  // Released between our write and our read: the next attempt of the workflow's wait loop takes it.
  if (item === undefined) return busy(input, undefined, undefined, now);
  // Every holder is an execution (the schema says so); an item written otherwise cannot be asked about, and
  // only its expiry then tells that it has ended.
  const status: HolderStatus = item.owner?.startsWith('arn:aws:states:')
    ? await executionStatus(item.owner, ctx)
    : item.expiresAt < now
      ? 'GONE'
      : 'RUNNING';
  const verdict = heldLease(item, status, now);
  if (verdict === 'take-over') {
    try {
      const update = takeoverUpdate(input, item.owner, now);
      await doc.send(new UpdateCommand({ TableName, ...update }));
      ctx.logger.warn('lease taken over from an ended execution', {
        lease: input.name,
        previous: item.owner,
        previousStatus: status,
      });
      return {
        acquired: true,
        owner: input.owner,
        expiresAt: update.ExpressionAttributeValues[':expiresAt'],
        tookOverFrom: item.owner,
        ...queueAnswer(input, false),
      };
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      // Someone else took it over first: busy.
    }
  }
  if (verdict === 'expired-under-running-holder') {
    ctx.logger.error('lease expired under a running holder: not taken over', {
      lease: input.name,
      holder: item.owner,
      expiresAt: item.expiresAt,
      requester: input.owner,
    });
    ctx.metrics.addMetric(LEASE_EXPIRED_UNDER_HOLDER_METRIC, MetricUnit.Count, 1);
  } else {
    ctx.logger.info('lease busy', { lease: input.name, holder: item.owner, expiresAt: item.expiresAt });
  }
  return busy(input, item.owner, item.expiresAt, now);
}

type LeaseQueueOf = NonNullable<Extract<LeaseInput, { op: 'acquire' }>['queue']>;

/** With a `queue`, every answer says whether the queue has waited out its patience (never once acquired). */
function queueAnswer<E extends boolean>(
  input: Extract<LeaseInput, { op: 'acquire' }>,
  expired: E,
): { queueExpired?: E; queue?: LeaseQueueOf } {
  // The queue's round and start come back with the answer, so the workflow carries them into its next poll.
  return input.queue === undefined ? {} : { queueExpired: expired, queue: input.queue };
}

/**
 * A held lease's answer: the result (with a `queue`, whether it has waited out its patience), or with
 * `whenHeld: "fail"` a {@link LeaseHeld} error naming the holder.
 */
function busy(
  input: Extract<LeaseInput, { op: 'acquire' }>,
  holder: string | undefined,
  expiresAt: number | undefined,
  now: number,
): AcquireResult {
  const result = { acquired: false, holder, expiresAt, checkedAt: new Date(now).toISOString() } as const;
  if (input.whenHeld === 'fail')
    throw new LeaseHeld(
      `lease ${input.name} of ${input.cluster} is held${result.holder === undefined ? '' : ` by ${result.holder}`}`,
      result.holder,
    );
  return {
    ...result,
    ...queueAnswer(input, input.queue !== undefined && queueExpired(input.queue, now)),
  };
}

export const handler = makeHandler(LeaseInputSchema, { dynamoDoc, sfn }, (input, ctx) => lease(input, ctx), {
  inputName: 'lease request',
});
