/**
 * What the operations scenes (issue 15) share: when an alarm fired and whether its action names the region's
 * topic, the dead-letter queue as SQS shows it, the operations Lambda invoked as an operator would, and the
 * bounds the scenes assert, each derived from its mechanism.
 */
import { deadLetterQueueName, METRIC_NAMESPACE } from '../../infra/stacks/names';
import type { Twin } from '../twin';
import { regionOf } from './primary-failover';
import { expectThat, MINUTE } from './types';

// ---- Bounds (docs/twin.md "Windows and floors" lists them with these derivations)

/**
 * The evaluation latency of a 300-s alarm: AWS evaluates alarms every minute over the latest complete period,
 * so a datapoint is seen at most one period after its own minute plus the minute of evaluation (the twin
 * evaluates at period boundaries: at most one period).
 */
export const PERIOD_ALARM_LATENCY_MS = 5 * MINUTE + MINUTE;

/**
 * The dead-letters alarm after a message arrives: SQS pushes its queue metrics to CloudWatch at one-minute
 * intervals ("Available CloudWatch metrics for Amazon SQS"), so the first datapoint that counts the message is up
 * to a minute later; then the 300-s alarm's latency.
 */
export const DEAD_LETTERS_ALARM_BOUND_MS = MINUTE + PERIOD_ALARM_LATENCY_MS;

/**
 * watch-silent (`PrimaryHealthy` SampleCount, 60 s, 3 of 3, missing data breaching) after the watch's last
 * datapoint: the last tick may be up to one watch period (1 min) before the death, then three empty 60-s
 * periods, and CloudWatch's evaluation range reaches two periods further back than the evaluation periods
 * (twin: N + 2 periods, docs/twin.md), plus the minute of evaluation: 1 + (3 + 2) + 1 = 7 min.
 */
export const WATCH_SILENT_BOUND_MS = MINUTE + (3 + 2) * MINUTE + MINUTE;

/**
 * Lambda's asynchronous invocation of a failing function, up to the on-failure destination: three attempts
 * (MaximumRetryAttempts 2) of `attemptSeconds` each (0 for a function that fails at once, its timeout for one
 * that hangs), with ~1 min then ~2 min between them ("Lambda retries the function twice more, waiting one
 * minute between the first two attempts, and two minutes between the second and third"), plus one minute for
 * the record's delivery and any lag of the queue.
 */
export function asyncDestinationBoundMs(attemptSeconds: number): number {
  return 3 * attemptSeconds * 1000 + (1 + 2) * MINUTE + MINUTE;
}

/**
 * EventBridge's delivery to a target that does not accept the event, up to its DLQ: RetryPolicy
 * `maximumRetryAttempts: 4` with exponential back-off (EventBridge does not publish its schedule; the twin's is
 * full jitter from 1 s, doubling: ≤ 1 + 2 + 4 + 8 s) plus the delivery latency; 2 minutes covers both.
 */
export const EVENTBRIDGE_DLQ_BOUND_MS = 2 * MINUTE;

/**
 * A root run's status event to its notification: Step Functions emits it when the run ends, EventBridge
 * delivers it (seconds), the report Lambda runs once; one minute covers it without a retry.
 */
export const STATUS_REPORT_BOUND_MS = MINUTE;

// ---- Alarms

/** When the alarm `name` went to ALARM at or after `since` (the twin's CloudWatch records every transition). */
export function firedAt(twin: Twin, region: string, name: string, since: number): number | undefined {
  return twin.world.timeline.entries.find(
    (e) =>
      e.at >= since &&
      e.region === region &&
      e.source === 'cw' &&
      e.message.startsWith(`alarm ${name}: `) &&
      e.message.endsWith('-> ALARM'),
  )?.at;
}

/** Runs until the alarm fires (at most `withinMs` after `since`); returns when it did. */
export async function untilFired(twin: Twin, name: string, since: number, withinMs: number): Promise<number> {
  const region = regionOf(twin);
  const left = since + withinMs - twin.world.clock.now();
  if (firedAt(twin, region, name, since) === undefined)
    await twin.runUntil(
      () => firedAt(twin, region, name, since) !== undefined,
      Math.max(left, 1),
      `the alarm ${name} firing (bound ${Math.round(withinMs / 1000)} s after +${Math.round((since - twin.world.clock.startAt) / 1000)} s)`,
    );
  const at = firedAt(twin, region, name, since) as number;
  expectThat(
    at - since <= withinMs,
    `${name} fired ${Math.round((at - since) / 1000)} s after its cause (bound ${Math.round(withinMs / 1000)} s)`,
  );
  return at;
}

/** The sum of a custom metric of the cluster between two times (GetMetricStatistics, one-minute periods). */
export async function metricSum(
  twin: Twin,
  metricName: string,
  dimensions: Record<string, string>,
  from: number,
  to: number,
): Promise<number> {
  const region = regionOf(twin);
  const out = (await twin.world.call(region, 'cloudwatch', 'GetMetricStatistics', {
    Namespace: METRIC_NAMESPACE,
    MetricName: metricName,
    Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
    StartTime: new Date(Math.floor(from / MINUTE) * MINUTE),
    EndTime: new Date(Math.ceil(to / MINUTE) * MINUTE + MINUTE),
    Period: 60,
    Statistics: ['Sum'],
  })) as { Datapoints?: { Sum?: number }[] };
  return (out.Datapoints ?? []).reduce((t, d) => t + (d.Sum ?? 0), 0);
}

// ---- The dead-letter queue

/**
 * One message of the dead-letter queue as SQS returns it (peeked: VisibilityTimeout 0): its body, and its
 * system attributes (SentTimestamp, ...) and message attributes (EventBridge's RULE_ARN, TARGET_ARN, ...) in
 * one map.
 */
export interface DeadLetter {
  readonly messageId: string;
  readonly body: Record<string, unknown>;
  readonly attributes: Record<string, string>;
}

async function queueUrl(twin: Twin): Promise<string> {
  const out = (await twin.world.call(regionOf(twin), 'sqs', 'GetQueueUrl', {
    QueueName: deadLetterQueueName(twin.world.config),
  })) as { QueueUrl?: string };
  return out.QueueUrl as string;
}

/** Every message in the queue, peeked (VisibilityTimeout 0: they stay visible to the next reader). */
export async function peekDeadLetters(twin: Twin): Promise<DeadLetter[]> {
  const url = await queueUrl(twin);
  const seen = new Map<string, DeadLetter>();
  // ReceiveMessage returns at most 10 and may return fewer than are visible: ask until a call adds nothing.
  for (let i = 0; i < 20; i++) {
    const out = (await twin.world.call(regionOf(twin), 'sqs', 'ReceiveMessage', {
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 0,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    })) as {
      Messages?: {
        MessageId?: string;
        Body?: string;
        Attributes?: Record<string, string>;
        MessageAttributes?: Record<string, { StringValue?: string }>;
      }[];
    };
    const before = seen.size;
    for (const m of out.Messages ?? []) {
      const attributes: Record<string, string> = { ...(m.Attributes ?? {}) };
      for (const [k, v] of Object.entries(m.MessageAttributes ?? {})) attributes[k] = v.StringValue ?? '';
      seen.set(m.MessageId as string, {
        messageId: m.MessageId as string,
        body: JSON.parse(m.Body ?? '{}') as Record<string, unknown>,
        attributes,
      });
    }
    if (seen.size === before) break;
  }
  return [...seen.values()];
}

/** A Lambda destination record's fields the scenes read ("Capturing records of Lambda asynchronous invocations"). */
export interface DestinationRecord {
  readonly requestContext: { functionArn: string; condition: string; approximateInvokeCount: number };
  readonly requestPayload: Record<string, unknown>;
  readonly responseContext?: { functionError?: string };
}

export const isDestinationRecord = (m: DeadLetter): boolean =>
  typeof (m.body as { requestContext?: unknown }).requestContext === 'object';

/** The original event a dead letter holds: a destination record's requestPayload, or EventBridge's body. */
export const eventOf = (m: DeadLetter): Record<string, unknown> =>
  isDestinationRecord(m) ? (m.body as unknown as DestinationRecord).requestPayload : m.body;

export const detailTypeOf = (m: DeadLetter): string => String(eventOf(m)['detail-type'] ?? '');

// ---- The operations Lambda, as an operator invokes it (`aws lambda invoke`)

/** The region's operations function's ARN. */
export const operationsArn = (twin: Twin): string =>
  twin.lambda.arnOf(regionOf(twin), `${twin.world.config.cluster.name}-operations`);

/**
 * Invokes the operations Lambda (RequestResponse) inside the twin's clock: its I/O and SDK back-off run on
 * virtual time, so the call is awaited by running the twin. Throws what the function threw.
 */
export async function operate(twin: Twin, payload: Record<string, unknown>): Promise<unknown> {
  let answer: { ok: unknown } | { err: Error } | undefined;
  void twin.lambda.invoke(operationsArn(twin), payload).then(
    (ok) => {
      answer = { ok };
    },
    (err: Error) => {
      answer = { err };
    },
  );
  await twin.runUntil(
    () => answer !== undefined,
    3 * MINUTE,
    `the operations Lambda answering ${payload.op}`,
  );
  const a = answer as { ok: unknown } | { err: Error };
  if ('err' in a) throw a.err;
  return a.ok;
}

/** Failed invocations of one of the region's functions (by short name) since `since`, as Lambda ran them. */
export const failedInvocations = (twin: Twin, fn: string, since: number) =>
  twin.lambda.invocations.filter(
    (i) =>
      i.at >= since &&
      i.region === regionOf(twin) &&
      i.functionName === `${twin.world.config.cluster.name}-${fn}` &&
      i.error !== undefined,
  );
