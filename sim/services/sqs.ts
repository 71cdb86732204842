/**
 * Amazon SQS in one region: standard queues only (the control plane's dead-letter queue), as the SDK's `sqs`
 * client and AWS services (EventBridge's dead-letter queues, Lambda's on-failure destinations) use them.
 *
 * Modelled from the Amazon SQS API Reference and Developer Guide:
 * - CreateQueue / GetQueueUrl: the URL `https://sqs.<region>.amazonaws.com/<account>/<name>`; names 1-80 of
 *   `[A-Za-z0-9_-]`; attributes MessageRetentionPeriod 60-1,209,600 s (default 345,600: 4 days), VisibilityTimeout
 *   0-43,200 s (default 30), KmsMasterKeyId (SSE-KMS). An unknown queue is `QueueDoesNotExist`.
 * - SendMessage: body 1 byte to 256 KiB, at most 10 message attributes (DataType String, Number or Binary);
 *   MD5OfMessageBody is the hex MD5 of the body (the SDK checks it). DelaySeconds other than 0 is not modelled.
 * - ReceiveMessage: MaxNumberOfMessages 1-10 (default 1), VisibilityTimeout 0-43,200 (default: the queue's; 0
 *   leaves the messages visible, a peek), WaitTimeSeconds 0-20: the twin answers at once (short polling with
 *   the whole queue sampled), so a wait only matters when the queue is empty and the twin returns no messages
 *   without waiting (said in docs/twin.md). Each receive gives a new receipt handle and counts
 *   ApproximateReceiveCount; MD5OfBody is the hex MD5 of the body.
 * - DeleteMessage: "You must provide the most recently received receipt handle ... otherwise, the request
 *   succeeds, but the message might not be deleted": a stale handle of a message still stored deletes nothing;
 *   a handle the queue never issued is `ReceiptHandleIsInvalid`.
 * - ChangeMessageVisibility: 0-43,200 s from now, only for a message in flight under its latest handle
 *   (`MessageNotInflight` otherwise).
 * - Retention: a message older than MessageRetentionPeriod is deleted.
 * - GetQueueAttributes: ApproximateNumberOfMessages (visible), ApproximateNumberOfMessagesNotVisible (in flight),
 *   ApproximateNumberOfMessagesDelayed (0), QueueArn, MessageRetentionPeriod, VisibilityTimeout, KmsMasterKeyId.
 * - Metrics ("Available CloudWatch metrics for Amazon SQS",
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html):
 *   "CloudWatch metrics for your Amazon SQS queues are automatically collected and pushed to CloudWatch at
 *   one-minute intervals"; a queue is active (and has metrics) for up to six hours after its last API call or
 *   message, so an untouched queue holding messages stops publishing after six hours. The twin publishes
 *   `AWS/SQS` ApproximateNumberOfMessagesVisible, ApproximateNumberOfMessagesNotVisible,
 *   ApproximateAgeOfOldestMessage and NumberOfMessagesSent `{QueueName}` each minute while active.
 */
import { createHash } from 'node:crypto';
import type { SimContext, SimService, SqsContract, SqsMessageAttribute } from '../core/contracts';
import { AwsError, NotModelledError } from '../core/errors';

const MINUTE = 60_000;
const ACTIVE_MS = 6 * 60 * MINUTE;
const DEFAULT_RETENTION_S = 345_600;
const DEFAULT_VISIBILITY_S = 30;
const MAX_BODY_BYTES = 256 * 1024;
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, SqsMessageAttribute>>;
  readonly sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt: number | undefined;
  /** The latest receipt handle (undefined: never received). */
  handle: string | undefined;
}

interface Queue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly retentionSeconds: number;
  readonly visibilityTimeoutSeconds: number;
  readonly kmsKeyId: string | undefined;
  readonly createdAt: number;
  readonly messages: StoredMessage[];
  /** Every receipt handle this queue issued (to tell a stale one from an invalid one). */
  readonly issued: Set<string>;
  lastActivity: number;
  sentThisMinute: number;
}

const invalidParameter = (message: string) => new AwsError('InvalidParameterValue', message, { status: 400 });
const missing = (name: string) =>
  new AwsError('MissingParameter', `The request must contain the parameter ${name}.`, { status: 400 });

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

function intIn(value: unknown, name: string, lo: number, hi: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < lo || n > hi)
    throw invalidParameter(
      `Value ${String(value)} for parameter ${name} is invalid. Reason: must be between ${lo} and ${hi}.`,
    );
  return n;
}

export class SqsSim implements SimService, SqsContract {
  readonly service = 'sqs' as const;
  readonly api;
  private readonly queues = new Map<string, Queue>();
  private cancelMetrics: (() => void) | undefined;
  private seq = 0;

  constructor(private readonly ctx: SimContext) {
    this.api = {
      CreateQueue: (input: { QueueName?: string; Attributes?: Record<string, string> }) =>
        this.apiCreateQueue(input),
      GetQueueUrl: (input: { QueueName?: string }) => ({ QueueUrl: this.require(input.QueueName).url }),
      SendMessage: (input: SendMessageInput) => this.apiSend(input),
      ReceiveMessage: (input: ReceiveMessageInput) => this.apiReceive(input),
      DeleteMessage: (input: { QueueUrl?: string; ReceiptHandle?: string }) => this.apiDelete(input),
      ChangeMessageVisibility: (input: {
        QueueUrl?: string;
        ReceiptHandle?: string;
        VisibilityTimeout?: number;
      }) => this.apiChangeVisibility(input),
      GetQueueAttributes: (input: { QueueUrl?: string; AttributeNames?: string[] }) =>
        this.apiAttributes(input),
    };
  }

  // ---------------------------------------------------------------- contract

  createQueue(spec: {
    name: string;
    retentionSeconds?: number;
    visibilityTimeoutSeconds?: number;
    kmsKeyId?: string;
  }): { url: string; arn: string } {
    if (!QUEUE_NAME.test(spec.name))
      throw invalidParameter(
        `Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length (got ${JSON.stringify(spec.name)})`,
      );
    const retention = intIn(
      spec.retentionSeconds,
      'MessageRetentionPeriod',
      60,
      1_209_600,
      DEFAULT_RETENTION_S,
    );
    const visibility = intIn(
      spec.visibilityTimeoutSeconds,
      'VisibilityTimeout',
      0,
      43_200,
      DEFAULT_VISIBILITY_S,
    );
    const existing = this.queues.get(spec.name);
    if (existing) {
      // CreateQueue: an existing queue with the same attributes returns its URL; different ones are an error.
      if (
        existing.retentionSeconds !== retention ||
        existing.visibilityTimeoutSeconds !== visibility ||
        existing.kmsKeyId !== spec.kmsKeyId
      )
        throw new AwsError(
          'QueueNameExists',
          `A queue named ${spec.name} already exists with different attributes`,
          { status: 400 },
        );
      return { url: existing.url, arn: existing.arn };
    }
    const now = this.ctx.clock.now();
    const queue: Queue = {
      name: spec.name,
      url: `https://sqs.${this.ctx.region}.amazonaws.com/${this.ctx.world.accountId}/${spec.name}`,
      arn: `arn:aws:sqs:${this.ctx.region}:${this.ctx.world.accountId}:${spec.name}`,
      retentionSeconds: retention,
      visibilityTimeoutSeconds: visibility,
      kmsKeyId: spec.kmsKeyId,
      createdAt: now,
      messages: [],
      issued: new Set(),
      lastActivity: now,
      sentThisMinute: 0,
    };
    this.queues.set(spec.name, queue);
    this.ctx.timeline.add(
      this.ctx.region,
      'sqs',
      `queue ${spec.name} created${spec.kmsKeyId ? ' (SSE-KMS)' : ''}`,
    );
    this.cancelMetrics ??= this.ctx.clock.every(MINUTE, () => this.publishMetrics(), MINUTE - (now % MINUTE));
    return { url: queue.url, arn: queue.arn };
  }

  queueUrl(nameOrArn: string): string | undefined {
    return this.find(nameOrArn)?.url;
  }

  /** Whether the queue is encrypted with a KMS key (SSE-KMS), and which. */
  kmsKeyOf(nameOrArn: string): string | undefined {
    return this.find(nameOrArn)?.kmsKeyId;
  }

  send(
    queueRef: string,
    body: string,
    attributes: Readonly<Record<string, SqsMessageAttribute>> = {},
  ): { messageId: string } {
    const queue = this.require(queueRef);
    if (body.length === 0) throw missing('MessageBody');
    if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES)
      throw invalidParameter(
        `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_BODY_BYTES} bytes.`,
      );
    const names = Object.keys(attributes);
    if (names.length > 10)
      throw invalidParameter(
        `Number of message attributes [${names.length}] exceeds the allowed maximum [10].`,
      );
    for (const [name, a] of Object.entries(attributes)) {
      if (!/^(String|Number|Binary)(\..+)?$/.test(a.DataType ?? ''))
        throw invalidParameter(`The type of message (user) attribute '${name}' is invalid.`);
      if (a.StringValue === undefined && a.BinaryValue === undefined)
        throw invalidParameter(
          `The message attribute '${name}' must contain a non-empty value of type '${a.DataType}'.`,
        );
    }
    const now = this.ctx.clock.now();
    this.expire(queue, now);
    const id = this.uuid();
    queue.messages.push({
      id,
      body,
      attributes: structuredClone(attributes),
      sentAt: now,
      visibleAt: now,
      receiveCount: 0,
      firstReceivedAt: undefined,
      handle: undefined,
    });
    queue.lastActivity = now;
    queue.sentThisMinute++;
    this.ctx.timeline.add(
      this.ctx.region,
      'sqs',
      `message ${id} sent to ${queue.name} (${queue.messages.length} stored)`,
    );
    return { messageId: id };
  }

  messages(
    queueRef: string,
  ): readonly { body: string; attributes: Readonly<Record<string, SqsMessageAttribute>> }[] {
    const queue = this.require(queueRef);
    this.expire(queue, this.ctx.clock.now());
    return queue.messages.map((m) => ({ body: m.body, attributes: m.attributes }));
  }

  // ---------------------------------------------------------------- API

  private apiCreateQueue(input: { QueueName?: string; Attributes?: Record<string, string> }): {
    QueueUrl: string;
  } {
    if (!input.QueueName) throw missing('QueueName');
    const attrs = input.Attributes ?? {};
    for (const key of Object.keys(attrs)) {
      if (!['MessageRetentionPeriod', 'VisibilityTimeout', 'KmsMasterKeyId'].includes(key))
        throw new NotModelledError(`the twin does not model the SQS queue attribute ${key}`);
    }
    const out = this.createQueue({
      name: input.QueueName,
      ...(attrs.MessageRetentionPeriod !== undefined
        ? { retentionSeconds: Number(attrs.MessageRetentionPeriod) }
        : {}),
      ...(attrs.VisibilityTimeout !== undefined
        ? { visibilityTimeoutSeconds: Number(attrs.VisibilityTimeout) }
        : {}),
      ...(attrs.KmsMasterKeyId !== undefined ? { kmsKeyId: attrs.KmsMasterKeyId } : {}),
    });
    return { QueueUrl: out.url };
  }

  private apiSend(input: SendMessageInput): Record<string, string> {
    if (!input.QueueUrl) throw missing('QueueUrl');
    if (input.MessageBody === undefined) throw missing('MessageBody');
    if (input.DelaySeconds !== undefined && input.DelaySeconds !== 0)
      throw new NotModelledError('the twin does not model SQS message timers (DelaySeconds other than 0)');
    const { messageId } = this.send(input.QueueUrl, input.MessageBody, input.MessageAttributes ?? {});
    return { MessageId: messageId, MD5OfMessageBody: md5(input.MessageBody) };
  }

  private apiReceive(input: ReceiveMessageInput): { Messages?: Record<string, unknown>[] } {
    if (!input.QueueUrl) throw missing('QueueUrl');
    const queue = this.require(input.QueueUrl);
    const max = intIn(input.MaxNumberOfMessages, 'MaxNumberOfMessages', 1, 10, 1);
    const visibility = intIn(
      input.VisibilityTimeout,
      'VisibilityTimeout',
      0,
      43_200,
      queue.visibilityTimeoutSeconds,
    );
    intIn(input.WaitTimeSeconds, 'WaitTimeSeconds', 0, 20, 0);
    const now = this.ctx.clock.now();
    this.expire(queue, now);
    queue.lastActivity = now;
    const wantAttrs = new Set([
      ...(input.AttributeNames ?? []),
      ...(input.MessageSystemAttributeNames ?? []),
    ]);
    const wantMsgAttrs = input.MessageAttributeNames ?? [];
    const picked = queue.messages.filter((m) => m.visibleAt <= now).slice(0, max);
    const Messages = picked.map((m) => {
      m.receiveCount++;
      m.firstReceivedAt ??= now;
      m.visibleAt = now + visibility * 1000;
      m.handle = `${m.id}#${this.uuid()}`;
      queue.issued.add(m.handle);
      const system: Record<string, string> = {
        SentTimestamp: String(m.sentAt),
        ApproximateReceiveCount: String(m.receiveCount),
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt),
        SenderId: this.ctx.world.accountId,
      };
      const all = wantAttrs.has('All');
      const Attributes = Object.fromEntries(Object.entries(system).filter(([k]) => all || wantAttrs.has(k)));
      const allMsg = wantMsgAttrs.includes('All') || wantMsgAttrs.includes('.*');
      const MessageAttributes = Object.fromEntries(
        Object.entries(m.attributes).filter(
          ([k]) =>
            allMsg || wantMsgAttrs.some((w) => w === k || (w.endsWith('.*') && k.startsWith(w.slice(0, -1)))),
        ),
      );
      return {
        MessageId: m.id,
        ReceiptHandle: m.handle,
        MD5OfBody: md5(m.body),
        Body: m.body,
        ...(Object.keys(Attributes).length ? { Attributes } : {}),
        ...(Object.keys(MessageAttributes).length ? { MessageAttributes } : {}),
      };
    });
    return Messages.length ? { Messages } : {};
  }

  private apiDelete(input: { QueueUrl?: string; ReceiptHandle?: string }): Record<string, never> {
    if (!input.QueueUrl) throw missing('QueueUrl');
    if (!input.ReceiptHandle) throw missing('ReceiptHandle');
    const queue = this.require(input.QueueUrl);
    const now = this.ctx.clock.now();
    queue.lastActivity = now;
    if (!queue.issued.has(input.ReceiptHandle))
      throw new AwsError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${input.ReceiptHandle}" is not a valid receipt handle.`,
        { status: 400 },
      );
    const i = queue.messages.findIndex((m) => m.handle === input.ReceiptHandle);
    if (i >= 0) {
      const [m] = queue.messages.splice(i, 1);
      this.ctx.timeline.add(
        this.ctx.region,
        'sqs',
        `message ${m?.id} deleted from ${queue.name} (${queue.messages.length} left)`,
      );
    }
    return {};
  }

  private apiChangeVisibility(input: {
    QueueUrl?: string;
    ReceiptHandle?: string;
    VisibilityTimeout?: number;
  }): Record<string, never> {
    if (!input.QueueUrl) throw missing('QueueUrl');
    if (!input.ReceiptHandle) throw missing('ReceiptHandle');
    if (input.VisibilityTimeout === undefined) throw missing('VisibilityTimeout');
    const queue = this.require(input.QueueUrl);
    const seconds = intIn(input.VisibilityTimeout, 'VisibilityTimeout', 0, 43_200, 0);
    const now = this.ctx.clock.now();
    queue.lastActivity = now;
    if (!queue.issued.has(input.ReceiptHandle))
      throw new AwsError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${input.ReceiptHandle}" is not a valid receipt handle.`,
        { status: 400 },
      );
    const m = queue.messages.find((x) => x.handle === input.ReceiptHandle);
    if (!m || m.visibleAt <= now)
      throw new AwsError('MessageNotInflight', 'The message referred to is not in flight.', { status: 400 });
    m.visibleAt = now + seconds * 1000;
    return {};
  }

  private apiAttributes(input: { QueueUrl?: string; AttributeNames?: string[] }): {
    Attributes: Record<string, string>;
  } {
    if (!input.QueueUrl) throw missing('QueueUrl');
    const queue = this.require(input.QueueUrl);
    const now = this.ctx.clock.now();
    this.expire(queue, now);
    const counts = this.counts(queue, now);
    const all: Record<string, string> = {
      QueueArn: queue.arn,
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
      ApproximateNumberOfMessagesDelayed: '0',
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      MessageRetentionPeriod: String(queue.retentionSeconds),
      VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
      DelaySeconds: '0',
      ...(queue.kmsKeyId ? { KmsMasterKeyId: queue.kmsKeyId } : { SqsManagedSseEnabled: 'false' }),
    };
    const names = input.AttributeNames ?? [];
    const Attributes = names.includes('All')
      ? all
      : Object.fromEntries(Object.entries(all).filter(([k]) => names.includes(k)));
    return { Attributes };
  }

  // ---------------------------------------------------------------- internals

  private counts(queue: Queue, now: number): { visible: number; inFlight: number; oldestAgeS: number } {
    let visible = 0;
    let inFlight = 0;
    for (const m of queue.messages) {
      if (m.visibleAt <= now) visible++;
      else inFlight++;
    }
    const oldest = queue.messages[0];
    return { visible, inFlight, oldestAgeS: oldest ? Math.floor((now - oldest.sentAt) / 1000) : 0 };
  }

  private publishMetrics(): void {
    const now = this.ctx.clock.now();
    const cw = this.ctx.world.region(this.ctx.region).cloudwatch;
    if (this.ctx.world.faults.isRegionDown(this.ctx.region)) return;
    for (const queue of this.queues.values()) {
      this.expire(queue, now);
      if (now - queue.lastActivity > ACTIVE_MS) continue;
      const { visible, inFlight, oldestAgeS } = this.counts(queue, now);
      const dims = { QueueName: queue.name };
      cw.putMetric('AWS/SQS', 'ApproximateNumberOfMessagesVisible', dims, visible);
      cw.putMetric('AWS/SQS', 'ApproximateNumberOfMessagesNotVisible', dims, inFlight);
      cw.putMetric('AWS/SQS', 'ApproximateAgeOfOldestMessage', dims, oldestAgeS);
      cw.putMetric('AWS/SQS', 'NumberOfMessagesSent', dims, queue.sentThisMinute);
      queue.sentThisMinute = 0;
    }
  }

  private expire(queue: Queue, now: number): void {
    const limit = now - queue.retentionSeconds * 1000;
    while (queue.messages.length && (queue.messages[0]?.sentAt ?? now) <= limit) {
      const m = queue.messages.shift();
      this.ctx.timeline.add(
        this.ctx.region,
        'sqs',
        `message ${m?.id} expired from ${queue.name} (retention)`,
      );
    }
  }

  private find(ref: string | undefined): Queue | undefined {
    if (!ref) return undefined;
    const name = ref.startsWith('https://')
      ? ref.split('/').pop()
      : ref.startsWith('arn:')
        ? ref.split(':').pop()
        : ref;
    const queue = name === undefined ? undefined : this.queues.get(name);
    // A URL or ARN of another region or account names no queue here.
    if (queue && ref.startsWith('https://') && ref !== queue.url) return undefined;
    if (queue && ref.startsWith('arn:') && ref !== queue.arn) return undefined;
    return queue;
  }

  private require(ref: string | undefined): Queue {
    const queue = this.find(ref);
    if (!queue)
      throw new AwsError('QueueDoesNotExist', 'The specified queue does not exist.', { status: 400 });
    return queue;
  }

  private uuid(): string {
    const h = this.ctx.rng.fork(`m${this.seq++}`).hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

interface SendMessageInput {
  QueueUrl?: string;
  MessageBody?: string;
  DelaySeconds?: number;
  MessageAttributes?: Record<string, SqsMessageAttribute>;
}

interface ReceiveMessageInput {
  QueueUrl?: string;
  MaxNumberOfMessages?: number;
  VisibilityTimeout?: number;
  WaitTimeSeconds?: number;
  AttributeNames?: string[];
  MessageSystemAttributeNames?: string[];
  MessageAttributeNames?: string[];
}
