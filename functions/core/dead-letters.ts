/**
 * The region's dead-letter queue (issue 15) holds two kinds of message:
 * - a Lambda on-failure destination record ("Capturing records of Lambda asynchronous invocations"): the body
 *   is `{ version, timestamp, requestContext: { requestId, functionArn, condition, approximateInvokeCount },
 *   requestPayload, responseContext, responsePayload }`; the original event is `requestPayload`;
 * - an EventBridge target's undelivered event ("Using dead-letter queues to process undelivered events in
 *   EventBridge"): the body is the event, the message attributes say why (`RULE_ARN`, `TARGET_ARN`,
 *   `ERROR_CODE`, `ERROR_MESSAGE`, `EXHAUSTED_RETRY_CONDITION`, `RETRY_ATTEMPTS`).
 *
 * This module reads either (or rejects it with a reason), and plans its replay: only to a target on the
 * stack's allow-list, a Lambda by a synchronous Invoke (so the outcome is known), a state machine by
 * StartExecution; a past scheduled tick is stale, deleted only on request, never replayed.
 */
import { clip, redact } from './report';

/** An SQS message as ReceiveMessage returns it (the fields read here). */
export interface QueueMessage {
  readonly MessageId?: string | undefined;
  readonly ReceiptHandle?: string | undefined;
  readonly Body?: string | undefined;
  readonly Attributes?: Readonly<Record<string, string | undefined>> | undefined;
  readonly MessageAttributes?:
    | Readonly<Record<string, { readonly StringValue?: string | undefined } | undefined>>
    | undefined;
}

export type TargetKind = 'function' | 'state-machine';

/** A dead letter understood: where it was going, what failed, and the event to deliver again. */
export interface DeadLetter {
  readonly ok: true;
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly shape: 'lambda-destination' | 'eventbridge-dlq';
  /** The target's ARN, a function's without its version or alias. */
  readonly target: string;
  readonly targetKind: TargetKind | 'other';
  /** The original event (a destination record's `requestPayload`, an EventBridge message's body). */
  readonly event: unknown;
  readonly detailType?: string | undefined;
  readonly eventTime?: string | undefined;
  /** One line, redacted and clipped: why it was not delivered. */
  readonly error: string;
  /** Seconds since the message was sent to the queue, when SQS says when. */
  readonly ageSeconds?: number | undefined;
  /** A `Scheduled Event` (a past tick of a schedule): stale, never replayed. */
  readonly scheduled: boolean;
}

/** A message that is neither shape, with the reason (it stays in the queue). */
export interface UnreadableLetter {
  readonly ok: false;
  readonly messageId: string;
  readonly reason: string;
}

const FUNCTION_ARN =
  /^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64})(:[A-Za-z0-9$_-]+)?$/;
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

/** The target ARN as the allow-list names it (a function without its qualifier), and its kind. */
export function normaliseTarget(arn: string): { target: string; kind: TargetKind | 'other' } {
  const fn = FUNCTION_ARN.exec(arn);
  if (fn?.[1]) return { target: fn[1], kind: 'function' };
  if (STATE_MACHINE_ARN.test(arn)) return { target: arn, kind: 'state-machine' };
  return { target: arn, kind: 'other' };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const line = (s: string) => redact(clip(s.replace(/\s+/g, ' ').trim(), 300));

/**
 * The event's detail-type and time, and whether it is a past scheduled tick: a `Scheduled Event`, or, for a
 * state machine target, a body that is no event at all (the readiness and drill schedules give their state
 * machines a constant input instead of the event: such a message is a past tick too, never replayed).
 */
function eventFacts(event: unknown, kind: TargetKind | 'other') {
  const e = isObject(event) ? event : {};
  const detailType = text(e['detail-type']);
  return {
    detailType,
    eventTime: text(e.time),
    scheduled:
      (detailType === 'Scheduled Event' && e.source === 'aws.events') ||
      (kind === 'state-machine' && detailType === undefined),
  };
}

function ageOf(m: QueueMessage, now: number): number | undefined {
  const sent = Number(m.Attributes?.SentTimestamp);
  return Number.isFinite(sent) && sent > 0 ? Math.max(0, Math.floor((now - sent) / 1000)) : undefined;
}

/** Read one message (see the module comment); anything else is an {@link UnreadableLetter} with its reason. */
export function parseDeadLetter(m: QueueMessage, now: number): DeadLetter | UnreadableLetter {
  const messageId = text(m.MessageId) ?? '(no message id)';
  const bad = (reason: string): UnreadableLetter => ({ ok: false, messageId, reason });
  const receiptHandle = text(m.ReceiptHandle);
  if (!text(m.MessageId) || !receiptHandle) return bad('not an SQS message (no MessageId or ReceiptHandle)');
  let body: unknown;
  try {
    body = JSON.parse(m.Body ?? '');
  } catch {
    return bad('the body is not JSON');
  }
  const attr = (name: string) => text(m.MessageAttributes?.[name]?.StringValue);
  const base = { ok: true as const, messageId, receiptHandle, ageSeconds: ageOf(m, now) };

  const targetArn = attr('TARGET_ARN');
  if (targetArn !== undefined) {
    if (!isObject(body)) return bad('an EventBridge dead letter whose body is not an event object');
    const { target, kind } = normaliseTarget(targetArn);
    const code = attr('ERROR_CODE') ?? 'no error code';
    const message = attr('ERROR_MESSAGE');
    const condition = attr('EXHAUSTED_RETRY_CONDITION');
    const attempts = attr('RETRY_ATTEMPTS');
    return {
      ...base,
      shape: 'eventbridge-dlq',
      target,
      targetKind: kind,
      event: body,
      ...eventFacts(body, kind),
      error: line(
        `${code}${message ? `: ${message}` : ''}${
          condition ? ` (${condition}${attempts ? `, ${attempts} retries` : ''})` : ''
        }`,
      ),
    };
  }

  if (isObject(body) && isObject(body.requestContext)) {
    const ctx = body.requestContext;
    const functionArn = text(ctx.functionArn);
    if (functionArn === undefined) return bad('a destination record without requestContext.functionArn');
    if (!('requestPayload' in body)) return bad('a destination record without requestPayload');
    const { target, kind } = normaliseTarget(functionArn);
    const condition = text(ctx.condition) ?? 'no condition';
    const count = typeof ctx.approximateInvokeCount === 'number' ? ctx.approximateInvokeCount : undefined;
    const response = isObject(body.responseContext) ? body.responseContext : {};
    const payload = isObject(body.responsePayload) ? body.responsePayload : {};
    const failure = [text(response.functionError), text(payload.errorType), text(payload.errorMessage)]
      .filter((s) => s !== undefined)
      .join(': ');
    return {
      ...base,
      shape: 'lambda-destination',
      target,
      targetKind: kind,
      event: body.requestPayload,
      ...eventFacts(body.requestPayload, kind),
      error: line(
        `${condition}${count !== undefined ? ` after ${count} attempt(s)` : ''}${failure ? `: ${failure}` : ''}`,
      ),
    };
  }
  return bad('neither a Lambda destination record nor an EventBridge dead letter (no TARGET_ARN attribute)');
}

/** What a replay does with one message. */
export type ReplayPlan =
  | { readonly action: 'invoke'; readonly target: string; readonly payload: string }
  | {
      readonly action: 'start-execution';
      readonly target: string;
      readonly input: string;
      /** Deterministic: a second replay of the same message is `ExecutionAlreadyExists`, not a second run. */
      readonly name: string;
    }
  | { readonly action: 'discard'; readonly reason: string }
  | { readonly action: 'keep'; readonly reason: string };

/**
 * The replay of one message. Never a target outside `allowed` (this stack's event-driven functions and
 * scheduled state machines, as normalised ARNs); a stale scheduled tick is deleted only when `discardStale`.
 */
export function planReplay(
  letter: DeadLetter | UnreadableLetter,
  allowed: readonly string[],
  discardStale: boolean,
): ReplayPlan {
  if (!letter.ok) return { action: 'keep', reason: `unreadable: ${letter.reason}` };
  if (letter.scheduled) {
    return discardStale
      ? { action: 'discard', reason: 'stale scheduled event (a past tick), deleted on request' }
      : {
          action: 'keep',
          reason: 'stale scheduled event (a past tick): not replayed; ask with discardStale to delete it',
        };
  }
  if (letter.targetKind === 'other' || !allowed.includes(letter.target)) {
    return { action: 'keep', reason: `target ${letter.target} is not one of this stack's replay targets` };
  }
  const event = JSON.stringify(letter.event);
  if (letter.targetKind === 'function') return { action: 'invoke', target: letter.target, payload: event };
  return {
    action: 'start-execution',
    target: letter.target,
    input: event,
    name: `replay-${letter.messageId.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 80),
  };
}

/**
 * Parse `REPLAY_TARGETS` (JSON `{ functions: [ARN], stateMachines: [ARN] }`, infra/operations.ts) into
 * normalised targets; anything else throws an error naming the entry, so a misconfigured function replays
 * nothing.
 */
export function parseReplayTargets(json: string): readonly string[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('REPLAY_TARGETS is not JSON');
  }
  if (!isObject(raw) || !Array.isArray(raw.functions) || !Array.isArray(raw.stateMachines)) {
    throw new Error('REPLAY_TARGETS must be { functions: [ARN], stateMachines: [ARN] }');
  }
  const read = (list: unknown[], key: string, kind: TargetKind) =>
    list.map((arn, i) => {
      const t = typeof arn === 'string' ? normaliseTarget(arn) : undefined;
      if (t?.kind !== kind) throw new Error(`REPLAY_TARGETS.${key}[${i}] is not a ${kind} ARN`);
      return t.target;
    });
  return [
    ...read(raw.functions, 'functions', 'function'),
    ...read(raw.stateMachines, 'stateMachines', 'state-machine'),
  ];
}

/** The summary `dead-letters-list` shows of one message: never the payload. */
export function summarise(letter: DeadLetter | UnreadableLetter) {
  if (!letter.ok) return { messageId: letter.messageId, shape: 'unreadable' as const, reason: letter.reason };
  return {
    messageId: letter.messageId,
    shape: letter.shape,
    target: letter.target,
    ...(letter.detailType !== undefined ? { detailType: letter.detailType } : {}),
    ...(letter.eventTime !== undefined ? { eventTime: letter.eventTime } : {}),
    error: letter.error,
    ...(letter.ageSeconds !== undefined ? { ageSeconds: letter.ageSeconds } : {}),
    ...(letter.scheduled ? { stale: true } : {}),
  };
}
