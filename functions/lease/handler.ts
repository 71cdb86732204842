import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { lockKey } from '../core/keys';
import {
  type AcquireResult,
  acquireUpdate,
  type LeaseItem,
  releaseDelete,
  renewUpdate,
  takeoverUpdate,
} from '../core/lease';
import { ENV, requireEnv } from '../shared/env';
import { type HandlerContext, makeHandler } from '../shared/handler';

/** Called by workflows: take, renew or give back a named lease on the cluster (join lock, cluster lock). */
export const LeaseInputSchema = z.strictObject({
  op: z.enum(['acquire', 'renew', 'release']),
  cluster: z.string().min(1),
  name: z.enum(['join', 'cluster']),
  /** The execution ARN that holds the lease. */
  owner: z.string().startsWith('arn:aws:states:', 'owner must be a Step Functions execution ARN'),
  ttlSeconds: z.number().int().min(30).max(7200).default(900),
  /**
   * Take the lease over when its holder's execution has ended (failed, stopped, timed out) without releasing
   * it, instead of waiting for it to expire: a crashed election must not block the next one for the TTL.
   */
  takeOverIfEnded: z.boolean().default(false),
});
export type LeaseInput = z.infer<typeof LeaseInputSchema>;

const isConditionFailure = (err: unknown) => (err as Error).name === 'ConditionalCheckFailedException';

/** Performs one lease operation against the state table. */
export async function lease(
  input: Omit<LeaseInput, 'takeOverIfEnded'> & { takeOverIfEnded?: boolean },
  ctx: Pick<HandlerContext, 'clients' | 'logger'>,
  now = Date.now(),
) {
  const TableName = requireEnv(ENV.stateTable);
  const doc = ctx.clients.dynamoDoc();
  if (input.op === 'acquire') {
    try {
      const update = acquireUpdate(input, now);
      await doc.send(new UpdateCommand({ TableName, ...update }));
      ctx.logger.info('lease acquired', { lease: input.name, owner: input.owner });
      return {
        acquired: true,
        owner: input.owner,
        expiresAt: update.ExpressionAttributeValues[':expiresAt'],
      } satisfies AcquireResult;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const held = await doc.send(
        new GetCommand({ TableName, Key: lockKey(input.cluster, input.name), ConsistentRead: true }),
      );
      const item = held.Item as LeaseItem | undefined;
      if (input.takeOverIfEnded && item?.owner?.startsWith('arn:aws:states:')) {
        const holder = await ctx.clients
          .sfn()
          .send(new DescribeExecutionCommand({ executionArn: item.owner }))
          .catch((e: Error) => {
            if (e.name === 'ExecutionDoesNotExist') return { status: 'GONE' };
            throw e;
          });
        if (holder.status !== 'RUNNING') {
          try {
            const update = takeoverUpdate(input, item.owner, now);
            await doc.send(new UpdateCommand({ TableName, ...update }));
            ctx.logger.warn('lease taken over from an ended execution', {
              lease: input.name,
              previous: item.owner,
              previousStatus: holder.status,
            });
            return {
              acquired: true,
              owner: input.owner,
              expiresAt: update.ExpressionAttributeValues[':expiresAt'],
              tookOverFrom: item.owner,
            };
          } catch (e) {
            if (!isConditionFailure(e)) throw e;
          }
        }
      }
      ctx.logger.info('lease busy', { lease: input.name, holder: item?.owner, expiresAt: item?.expiresAt });
      return { acquired: false, holder: item?.owner, expiresAt: item?.expiresAt } satisfies AcquireResult;
    }
  }
  if (input.op === 'renew') {
    try {
      await doc.send(new UpdateCommand({ TableName, ...renewUpdate(input, now) }));
      return { renewed: true };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return { renewed: false };
    }
  }
  try {
    await doc.send(new DeleteCommand({ TableName, ...releaseDelete(input) }));
    ctx.logger.info('lease released', { lease: input.name, owner: input.owner });
    return { released: true };
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    // Not ours (expired and taken over, or already released): nothing to give back.
    return { released: false };
  }
}

export const handler = makeHandler(LeaseInputSchema, (input, ctx) => lease(input, ctx), {
  inputName: 'lease request',
});
