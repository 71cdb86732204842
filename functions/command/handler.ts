/**
 * node-command's wait: two callers meet on the command's rendezvous item (functions/core/command.ts).
 * - node-command's wait Task (`lambda:invoke.waitForTaskToken`) registers its task token, then completes the
 *   task itself if SSM's event came first or the invocation has already ended.
 * - EventBridge delivers SSM's "EC2 Command Invocation Status-change Notification" for the cluster's
 *   documents: a terminal status is recorded, and a registered token is completed.
 */

import type { GetCommandInvocationResult } from '@aws-sdk/client-ssm';
import * as z from 'zod/mini';
import {
  CLOSED_TASK_ERRORS,
  type Completion,
  completionFor,
  isClusterDocument,
  isTerminal,
  onRegistered,
  onStatusRecorded,
  type RendezvousItem,
  recordStatusUpdate,
  registerTokenUpdate,
  type TerminalStatus,
} from '../core/command';
import { dynamoDoc, dynamoDocSdk } from '../shared/clients/dynamodb';
import { sfn, sfnSdk } from '../shared/clients/sfn';
import { ssm, ssmSdk } from '../shared/clients/ssm';
import { CommandInvocationStatusChangeEventSchema, ManagedNodeIdSchema } from '../shared/command-events';
import { ENV, requireEnv } from '../shared/env';
import { TransientError, ValidationError } from '../shared/errors';
import { type Deps, makeHandler } from '../shared/handler';
import { MetricUnit } from '../shared/powertools';

/** The wait Task's payload: its task token and the command it waits on. */
export const WaitRequestSchema = z.strictObject({
  taskToken: z.string().check(z.minLength(1), z.maxLength(1024)),
  commandId: z.string().check(z.length(36, 'commandId must be an SSM command id (36 characters)')),
  instanceId: ManagedNodeIdSchema,
});
export type WaitRequest = z.infer<typeof WaitRequestSchema>;

export const CommandInputSchema = z.union([WaitRequestSchema, CommandInvocationStatusChangeEventSchema]);
type CommandInput = z.infer<typeof CommandInputSchema>;

/** Emitted when a completion found its task already closed (timed out, or completed by the other half). */
export const LATE_COMPLETION_METRIC = 'CommandCompletionLate';

type Ctx = Pick<Deps<'dynamoDoc' | 'sfn' | 'ssm'>, 'clients' | 'logger' | 'metrics' | 'now'>;

/** The invocation as GetCommandInvocation reports it, or undefined while it is not visible yet. */
async function readInvocation(
  commandId: string,
  instanceId: string,
  ctx: Ctx,
): Promise<GetCommandInvocationResult | undefined> {
  const { GetCommandInvocationCommand } = ssmSdk();
  try {
    return await ctx.clients
      .ssm()
      .send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
  } catch (err) {
    // Right after SendCommand the invocation may not be visible yet (eventual consistency): not ended.
    if ((err as Error).name === 'InvocationDoesNotExist') return undefined;
    throw err;
  }
}

/** Sends the completion; a task already closed is logged and counted, not an error. */
async function complete(token: string, completion: Completion, ctx: Ctx): Promise<boolean> {
  const { SendTaskFailureCommand, SendTaskSuccessCommand } = sfnSdk();
  const client = ctx.clients.sfn();
  try {
    if (completion.kind === 'success') {
      await client.send(
        new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(completion.output) }),
      );
    } else {
      await client.send(
        new SendTaskFailureCommand({ taskToken: token, error: completion.error, cause: completion.cause }),
      );
    }
    return true;
  } catch (err) {
    const name = (err as Error).name;
    if (!CLOSED_TASK_ERRORS.has(name)) throw err;
    ctx.logger.info('task already closed: completion ignored', { error: name });
    ctx.metrics.addMetric(LATE_COMPLETION_METRIC, MetricUnit.Count, 1);
    return false;
  }
}

/** The completion for a terminal status, reading the invocation for its output and details. */
async function completionOf(
  status: TerminalStatus,
  commandId: string,
  instanceId: string,
  ctx: Ctx,
  known?: GetCommandInvocationResult,
): Promise<Completion> {
  const invocation = known ?? (await readInvocation(commandId, instanceId, ctx));
  // Never complete without the output: a probe's answer is its stdout. Not visible yet (eventual
  // consistency): the caller is retried (the wait Task's Retry, or EventBridge's).
  if (invocation === undefined)
    throw new TransientError(`invocation ${commandId} on ${instanceId} not visible yet`);
  return completionFor(status, invocation.StatusDetails, invocation.StandardOutputContent ?? '');
}

async function update(
  params: ReturnType<typeof registerTokenUpdate> | ReturnType<typeof recordStatusUpdate>,
  ctx: Ctx,
): Promise<RendezvousItem> {
  const { UpdateCommand } = dynamoDocSdk();
  const TableName = requireEnv(ENV.stateTable);
  const out = await ctx.clients.dynamoDoc().send(new UpdateCommand({ TableName, ...params }));
  return (out.Attributes ?? {}) as RendezvousItem;
}

/** The wait Task's side: register the token, then complete if the command has already ended. */
export async function registerWait(input: WaitRequest, ctx: Ctx) {
  const cluster = requireEnv(ENV.clusterName);
  const now = (ctx.now ?? Date.now)();
  const { commandId, instanceId, taskToken } = input;
  const item = await update(registerTokenUpdate(cluster, commandId, instanceId, taskToken, now), ctx);
  const decision = onRegistered(item);
  if (decision.action === 'complete') {
    const completion = await completionOf(decision.status, commandId, instanceId, ctx);
    const sent = await complete(taskToken, completion, ctx);
    ctx.logger.info('command had ended before the wait: completed from its event', { commandId, sent });
    return { registered: true, completed: sent, from: 'event' as const };
  }
  const invocation = await readInvocation(commandId, instanceId, ctx);
  if (invocation && isTerminal(invocation.Status)) {
    const completion = await completionOf(invocation.Status, commandId, instanceId, ctx, invocation);
    const sent = await complete(taskToken, completion, ctx);
    ctx.logger.info('command had ended before the wait: completed from its invocation', { commandId, sent });
    return { registered: true, completed: sent, from: 'invocation' as const };
  }
  ctx.logger.info('waiting for the command status event', { commandId, instanceId });
  return { registered: true, completed: false };
}

/** The event's side: record a terminal status, then complete a registered token. */
export async function recordEvent(event: z.infer<typeof CommandInvocationStatusChangeEventSchema>, ctx: Ctx) {
  const cluster = requireEnv(ENV.clusterName);
  const detail = event.detail;
  const documentName = detail['document-name'];
  if (!isClusterDocument(cluster, documentName)) {
    throw new ValidationError(
      `Invalid command status event: detail.document-name is not a ${cluster} document`,
      [{ path: 'detail.document-name', message: `not one of the ${cluster} documents` }],
    );
  }
  const commandId = detail['command-id'];
  const instanceId = detail['instance-id'];
  const status = detail.status;
  if (!isTerminal(status)) return { recorded: false, status };
  const now = (ctx.now ?? Date.now)();
  const item = await update(recordStatusUpdate(cluster, commandId, instanceId, status, now), ctx);
  const decision = onStatusRecorded(item);
  if (decision.action === 'leave-for-the-wait') return { recorded: true, completed: false };
  const completion = await completionOf(status, commandId, instanceId, ctx);
  const sent = await complete(decision.token, completion, ctx);
  ctx.logger.info('command status event completed the wait', { commandId, status, sent });
  return { recorded: true, completed: sent };
}

/** Routes a wait request or an SSM status event (the schema admits exactly one of the two). */
export function command(input: CommandInput, ctx: Ctx): Promise<Record<string, unknown>> {
  return 'detail-type' in input ? recordEvent(input, ctx) : registerWait(input, ctx);
}

export const handler = makeHandler(
  CommandInputSchema,
  { dynamoDoc, sfn, ssm },
  (input, ctx) => command(input, ctx),
  { inputName: 'command wait or status event' },
);
