/**
 * The dead-letter queue, for an operator (issue 15 §2): `dead-letters-list` peeks (ReceiveMessage with
 * VisibilityTimeout 0: nothing is hidden or consumed) and summarises each message without its payload;
 * `dead-letters-replay` re-delivers each message's original event to the target it was meant for (only this
 * stack's: REPLAY_TARGETS) and deletes it only once processed. Reading and planning live in
 * functions/core/dead-letters.ts; both ops are audited (functions/core/audit-trail.ts).
 */
import { randomUUID } from 'node:crypto';
import { operatorAuditPut } from '../core/audit-trail';
import {
  type DeadLetter,
  parseDeadLetter,
  parseReplayTargets,
  planReplay,
  type QueueMessage,
  type ReplayPlan,
  summarise,
  type UnreadableLetter,
} from '../core/dead-letters';
import { putAudit } from '../shared/audit';
import { lambdaSdk } from '../shared/clients/lambda';
import { sfnSdk } from '../shared/clients/sfn';
import { sqsSdk } from '../shared/clients/sqs';
import { ENV, requireEnv } from '../shared/env';
import { ConfigurationError } from '../shared/errors';
import type { HandlerContext } from '../shared/handler';
import type { OperationsRequest } from './input';

type Context = Pick<HandlerContext<'dynamoDoc' | 'sqs' | 'lambda' | 'sfn'>, 'clients' | 'logger' | 'metrics'>;

/** SQS's cap on one ReceiveMessage. */
const RECEIVE_BATCH = 10;
/** How long a message being replayed stays hidden: past the longest synchronous replay (a 30 s Lambda). */
export const REPLAY_VISIBILITY_SECONDS = 120;
const DEFAULT_MAX = 10;

const errorName = (err: unknown) => (err as Error | undefined)?.name ?? 'Error';

function replayTargets(): readonly string[] {
  try {
    return parseReplayTargets(requireEnv(ENV.replayTargets));
  } catch (err) {
    if (err instanceof ConfigurationError) throw err;
    throw new ConfigurationError((err as Error).message);
  }
}

/**
 * Up to `max` distinct messages, in batches of ten (bounded: at most ceil(max / 10) + 1 calls; a peek may see
 * the same messages again, so a batch that brings nothing new ends it).
 */
async function receive(ctx: Context, queueUrl: string, max: number, visibility: number) {
  const { ReceiveMessageCommand } = sqsSdk();
  const seen = new Map<string, QueueMessage>();
  for (let call = 0; call <= Math.ceil(max / RECEIVE_BATCH) && seen.size < max; call++) {
    const out = await ctx.clients.sqs().send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(RECEIVE_BATCH, max - seen.size),
        VisibilityTimeout: visibility,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
      }),
    );
    const before = seen.size;
    for (const m of out.Messages ?? []) if (m.MessageId && !seen.has(m.MessageId)) seen.set(m.MessageId, m);
    if (seen.size === before) break;
  }
  return [...seen.values()];
}

async function audit(
  ctx: Context,
  entry: Omit<Parameters<typeof operatorAuditPut>[0], 'cluster' | 'requestId'>,
): Promise<string | undefined> {
  const put = operatorAuditPut({ ...entry, cluster: requireEnv(ENV.clusterName), requestId: randomUUID() });
  try {
    await putAudit(requireEnv(ENV.stateTable), put, ctx);
    return put.Item.sk as string;
  } catch (err) {
    // The op's result is what the operator asked for; a lost audit entry is logged, not a failed op.
    ctx.logger.error('operations audit entry not written', { kind: entry.kind, errorName: errorName(err) });
    return undefined;
  }
}

/** Peek at the queue: each message summarised (shape, target, detail-type and time, error, age). */
export async function deadLettersList(i: OperationsRequest<'dead-letters-list'>, ctx: Context, now: number) {
  const queueUrl = requireEnv(ENV.deadLetterQueueUrl);
  const messages = await receive(ctx, queueUrl, i.max ?? DEFAULT_MAX, 0);
  const letters = messages.map((m) => summarise(parseDeadLetter(m, now)));
  const audited = await audit(ctx, {
    at: now,
    kind: 'dead-letters-list',
    actor: i.actor,
    reason: i.reason,
    outcome: `listed ${letters.length}`,
  });
  return { messages: letters, count: letters.length, audited };
}

/** What happened to one message of a replay. */
interface Replayed {
  readonly messageId: string;
  readonly result: 'replayed' | 'discarded' | 'kept' | 'would-replay' | 'would-discard' | 'failed';
  readonly target?: string;
  readonly reason?: string;
}

/** Re-deliver one message as planned; whether it was processed (then it is deleted), and why not. */
async function deliver(ctx: Context, plan: ReplayPlan): Promise<{ ok: boolean; reason?: string }> {
  if (plan.action === 'invoke') {
    const { InvokeCommand } = lambdaSdk();
    const out = await ctx.clients.lambda().send(
      new InvokeCommand({
        FunctionName: plan.target,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(plan.payload),
      }),
    );
    if (!out.FunctionError) return { ok: true };
    let errorType = out.FunctionError;
    try {
      const body = JSON.parse(new TextDecoder().decode(out.Payload)) as { errorType?: unknown };
      if (typeof body.errorType === 'string') errorType = `${out.FunctionError}: ${body.errorType}`;
    } catch {
      // The payload is not JSON: the FunctionError says enough.
    }
    return { ok: false, reason: `the function failed again (${errorType})` };
  }
  if (plan.action === 'start-execution') {
    const { StartExecutionCommand } = sfnSdk();
    try {
      await ctx.clients
        .sfn()
        .send(
          new StartExecutionCommand({ stateMachineArn: plan.target, name: plan.name, input: plan.input }),
        );
    } catch (err) {
      // Standard workflows are idempotent by name: this message was replayed before (its delete failed).
      if (errorName(err) !== 'ExecutionAlreadyExists') throw err;
    }
    return { ok: true };
  }
  return { ok: plan.action === 'discard' };
}

/**
 * Replay the visible messages (or those named), at most `max`: each one processed is deleted; one that fails
 * stays (visible again after {@link REPLAY_VISIBILITY_SECONDS}) and the result says why. `dryRun` peeks and
 * plans only. Messages received but not named are made visible again at once.
 */
export async function deadLettersReplay(
  i: OperationsRequest<'dead-letters-replay'>,
  ctx: Context,
  now: number,
) {
  const { DeleteMessageCommand, ChangeMessageVisibilityCommand } = sqsSdk();
  const queueUrl = requireEnv(ENV.deadLetterQueueUrl);
  const allowed = replayTargets();
  const dryRun = i.dryRun === true;
  const wanted = i.messageIds === undefined ? undefined : new Set(i.messageIds);
  // Named messages are looked for among up to 50 (the most one request handles).
  const max = i.max ?? (wanted !== undefined ? 50 : DEFAULT_MAX);
  const messages = await receive(ctx, queueUrl, max, dryRun ? 0 : REPLAY_VISIBILITY_SECONDS);
  const results: Replayed[] = [];
  for (const m of messages) {
    const letter: DeadLetter | UnreadableLetter = parseDeadLetter(m, now);
    if (wanted !== undefined && !wanted.has(letter.messageId)) {
      if (!dryRun && m.ReceiptHandle) {
        await ctx.clients
          .sqs()
          .send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: queueUrl,
              ReceiptHandle: m.ReceiptHandle,
              VisibilityTimeout: 0,
            }),
          )
          .catch((err: unknown) =>
            ctx.logger.warn('message not released', {
              messageId: letter.messageId,
              errorName: errorName(err),
            }),
          );
      }
      continue;
    }
    const plan = planReplay(letter, allowed, i.discardStale === true);
    const target = letter.ok ? letter.target : undefined;
    const base = { messageId: letter.messageId, ...(target !== undefined ? { target } : {}) };
    if (plan.action === 'keep') {
      results.push({ ...base, result: 'kept', reason: plan.reason });
      continue;
    }
    if (dryRun) {
      results.push({
        ...base,
        result: plan.action === 'discard' ? 'would-discard' : 'would-replay',
        ...(plan.action === 'discard' ? { reason: plan.reason } : {}),
      });
      continue;
    }
    let outcome: { ok: boolean; reason?: string };
    try {
      outcome = await deliver(ctx, plan);
    } catch (err) {
      outcome = { ok: false, reason: `the replay call failed (${errorName(err)})` };
    }
    if (!outcome.ok) {
      results.push({ ...base, result: 'failed', reason: outcome.reason ?? 'not processed' });
      continue;
    }
    try {
      await ctx.clients.sqs().send(
        new DeleteMessageCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: letter.ok ? letter.receiptHandle : '',
        }),
      );
      results.push({
        ...base,
        result: plan.action === 'discard' ? 'discarded' : 'replayed',
        ...(plan.action === 'discard' ? { reason: plan.reason } : {}),
      });
    } catch (err) {
      // Processed but still queued: a second replay is harmless (a state machine's is the same execution
      // name; a Lambda's is its own idempotent handling of a redelivered event).
      results.push({ ...base, result: 'replayed', reason: `processed, but not deleted (${errorName(err)})` });
    }
  }
  const count = (r: Replayed['result']) => results.filter((x) => x.result === r).length;
  const counts = {
    replayed: count('replayed'),
    discarded: count('discarded'),
    kept: count('kept'),
    failed: count('failed'),
    ...(dryRun ? { wouldReplay: count('would-replay'), wouldDiscard: count('would-discard') } : {}),
  };
  const audited = await audit(ctx, {
    at: now,
    kind: 'dead-letters-replay',
    actor: i.actor,
    reason: i.reason,
    outcome: dryRun
      ? `dry run: would replay ${counts.wouldReplay}, would discard ${counts.wouldDiscard}, keep ${counts.kept}`
      : `replayed ${counts.replayed}, discarded ${counts.discarded}, kept ${counts.kept}, failed ${counts.failed}`,
    details: {
      dryRun,
      messageIds: results.map((r) => `${r.messageId}:${r.result}`),
    },
  });
  ctx.logger.info('dead letters replayed', { ...counts, dryRun });
  return { dryRun, ...counts, results, audited };
}
