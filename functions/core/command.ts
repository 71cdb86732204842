/**
 * node-command's wait for an SSM command, without polling: the workflow's wait Task hands the command
 * function a task token (Step Functions' callback pattern), and SSM's "EC2 Command Invocation Status-change
 * Notification" event tells when the invocation has ended (docs/facts.md, "Systems Manager Run Command
 * events" and "Step Functions callbacks"). The two meet on one item of the state table
 * (`COMMAND#<command id>#<instance id>`): each side writes what it knows with one atomic update that returns
 * the whole item, so whichever comes second sees the other's half and completes the task. A token completed
 * twice is harmless (Step Functions answers TaskTimedOut, which is ignored). This module builds the updates and
 * decides; the handler talks to DynamoDB, SSM and Step Functions.
 */
import { commandKey } from './keys';

/**
 * An invocation's terminal statuses: after one of these it never changes again (SSM User Guide,
 * "Understanding command statuses"). Pending, InProgress, Delayed and Cancelling are on the way.
 */
export const TERMINAL_STATUSES = ['Success', 'Failed', 'TimedOut', 'Cancelled'] as const;
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export function isTerminal(status: string | undefined): status is TerminalStatus {
  // Stryker disable next-line StringLiteral: equivalent, any string that is no terminal status does the same
  return (TERMINAL_STATUSES as readonly string[]).includes(status ?? '');
}

/**
 * How long a rendezvous item is kept (the table's `ttl`, epoch seconds): a day, far past node-command's own
 * 900 s bound, so neither half can expire before the other comes.
 */
export const RENDEZVOUS_TTL_SECONDS = 24 * 60 * 60;

/** The error node-command fails with when the command ended in any status but Success. */
export const COMMAND_FAILED = 'CommandFailed';

/** How a task is completed: its output, or the error node-command fails with. */
export type Completion =
  | { readonly kind: 'success'; readonly output: { readonly status: 'Success'; readonly stdout: string } }
  | { readonly kind: 'failure'; readonly error: typeof COMMAND_FAILED; readonly cause: string };

/**
 * The completion for a terminal status: Success carries the command's standard output; every other terminal
 * status (Failed, TimedOut, Cancelled) fails the task with {@link COMMAND_FAILED}, its cause naming the status
 * and SSM's details (never the output: a failed command's stdout is not the workflow's business).
 */
export function completionFor(
  status: TerminalStatus,
  details: string | undefined,
  stdout: string,
): Completion {
  if (status === 'Success') return { kind: 'success', output: { status, stdout } };
  const detail = details && details !== status ? ` (${details})` : '';
  return {
    kind: 'failure',
    error: COMMAND_FAILED,
    cause: `the SSM command ended ${status}${detail} on the node`,
  };
}

/** What the state table holds for one command invocation (either half may be missing). */
export interface RendezvousItem {
  readonly token?: string;
  readonly status?: string;
}

const expiry = (now: number) => Math.floor(now / 1000) + RENDEZVOUS_TTL_SECONDS;

/**
 * The wait's half: records the task token (a later attempt's token replaces an earlier one, whose Task has
 * timed out) and returns the whole item, so the event's half, if it came first, is seen.
 */
export function registerTokenUpdate(
  cluster: string,
  commandId: string,
  instanceId: string,
  token: string,
  now: number,
) {
  return setHalf(commandKey(cluster, commandId, instanceId), 'token', token, now);
}

/**
 * The event's half: records the terminal status and returns the whole item, so a token registered first is
 * seen. A terminal status is final, so a duplicated or replayed event writes the same value.
 */
export function recordStatusUpdate(
  cluster: string,
  commandId: string,
  instanceId: string,
  status: TerminalStatus,
  now: number,
) {
  return setHalf(commandKey(cluster, commandId, instanceId), 'status', status, now);
}

/** One half of the rendezvous: sets `attribute` (and the item's TTL) and returns the whole item. */
function setHalf(
  key: ReturnType<typeof commandKey>,
  attribute: 'token' | 'status',
  value: string,
  now: number,
) {
  return {
    Key: key,
    UpdateExpression: `SET #${attribute} = :${attribute}, #ttl = :ttl`,
    ExpressionAttributeNames: { [`#${attribute}`]: attribute, '#ttl': 'ttl' },
    ExpressionAttributeValues: { [`:${attribute}`]: value, ':ttl': expiry(now) },
    ReturnValues: 'ALL_NEW' as const,
  };
}

/** What the wait does once its token is recorded. */
export type RegisterDecision =
  | { readonly action: 'complete'; readonly status: TerminalStatus }
  | { readonly action: 'check-invocation' };

/**
 * The event came first (a terminal status is recorded): complete at once with it. Otherwise read the
 * invocation once, so an event lost before the token was registered costs one round, not the whole wait.
 */
export function onRegistered(item: RendezvousItem): RegisterDecision {
  return isTerminal(item.status)
    ? { action: 'complete', status: item.status }
    : { action: 'check-invocation' };
}

/** What the event does once its status is recorded. */
export type EventDecision =
  | { readonly action: 'complete'; readonly token: string }
  | { readonly action: 'leave-for-the-wait' };

/** A token is registered: complete it. Otherwise the wait's registration, when it comes, finds the status. */
export function onStatusRecorded(item: RendezvousItem): EventDecision {
  return typeof item.token === 'string' && item.token !== ''
    ? { action: 'complete', token: item.token }
    : { action: 'leave-for-the-wait' };
}

/** Whether an SSM document is one of the cluster's own (`<cluster>-<Document>`). */
export function isClusterDocument(cluster: string, documentName: string): boolean {
  return documentName.startsWith(`${cluster}-`) && documentName.length > cluster.length + 1;
}

/**
 * Step Functions' answers to a completion that comes too late or twice (the Task timed out, the execution
 * ended, or the other half completed it first): nothing is left to do (SendTaskSuccess API reference).
 */
export const CLOSED_TASK_ERRORS: ReadonlySet<string> = new Set([
  'TaskTimedOut',
  'TaskDoesNotExist',
  'InvalidToken',
]);
