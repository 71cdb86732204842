/**
 * Amazon SNS in one region: standard topics the control plane publishes notifications to. Subscriptions
 * and delivery are not modelled; every published message is captured for assertions and the secret scan.
 *
 * Modelled from the Amazon SNS API Reference (and the SDK v3 model of @aws-sdk/client-sns):
 * - CreateTopic: names of 1-256 ASCII letters, digits, hyphens and underscores (a FIFO topic ends in
 *   `.fifo`); idempotent ("if the requester already owns a topic with the specified name, that topic's ARN
 *   is returned without creating a new topic").
 * - ListTopics: "Each call returns a limited list of topics, up to 100", with NextToken.
 * - Publish: TopicArn, or TargetArn/PhoneNumber (not modelled); "a message can be at most 256 KiB in size
 *   (262,144 bytes, not 262,144 characters)" and SNS "validates the combined size of the message body and
 *   message attributes ... and returns an InvalidParameter error if the limit is exceeded"; a Subject is
 *   "UTF-8 text with no line breaks or control characters, and less than 100 characters long";
 *   MessageStructure `json` needs a JSON object with a top-level string "default"; an unknown topic is
 *   NotFound ("Indicates that the requested resource does not exist"). Error names are the SDK v3 ones
 *   (NotFoundException, InvalidParameterException, InvalidParameterValueException).
 */
import type { ApiHandler, SimContext, SimService, SnsContract, SnsMessage } from '../core/contracts';
import { AwsError, NotModelledError } from '../core/errors';
import { uuid } from './events';

/** Publish: 256 KiB, body and attributes together. */
export const MAX_MESSAGE_BYTES = 262_144;
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const FIFO_TOPIC_NAME = /^[A-Za-z0-9_-]{1,251}\.fifo$/;
const LIST_TOPICS_PAGE = 100;

const invalidParameter = (message: string) =>
  new AwsError('InvalidParameterException', message, { status: 400 });
const invalidParameterValue = (message: string) =>
  new AwsError('InvalidParameterValueException', message, { status: 400 });
const notFound = (message: string) => new AwsError('NotFoundException', message, { status: 404 });

interface MessageAttributeValue {
  DataType?: string;
  StringValue?: string;
  BinaryValue?: Uint8Array;
}

interface PublishInput {
  TopicArn?: string;
  TargetArn?: string;
  PhoneNumber?: string;
  Message?: string;
  Subject?: string;
  MessageStructure?: string;
  MessageAttributes?: Record<string, MessageAttributeValue>;
  MessageDeduplicationId?: string;
  MessageGroupId?: string;
}

export class SnsSim implements SimService, SnsContract {
  readonly service = 'sns' as const;
  readonly api: Readonly<Record<string, ApiHandler>>;
  private readonly topics = new Map<string, string>();
  private readonly published: SnsMessage[] = [];

  constructor(private readonly ctx: SimContext) {
    this.api = {
      CreateTopic: (input: { Name?: string; Attributes?: Record<string, string> }) =>
        this.createTopicAction(input),
      ListTopics: (input: { NextToken?: string }) => this.listTopics(input),
      Publish: (input: PublishInput) => this.publish(input),
    };
  }

  get messages(): readonly SnsMessage[] {
    return this.published;
  }

  createTopic(name: string): string {
    if (!TOPIC_NAME.test(name) && !FIFO_TOPIC_NAME.test(name)) {
      throw invalidParameter('Invalid parameter: Topic Name');
    }
    if (name.endsWith('.fifo')) throw new NotModelledError('the twin does not model SNS FIFO topics');
    const existing = this.topics.get(name);
    if (existing) return existing;
    const arn = `arn:aws:sns:${this.ctx.region}:${this.ctx.world.accountId}:${name}`;
    this.topics.set(name, arn);
    this.ctx.timeline.add(this.ctx.region, 'sns', `topic ${name} created`);
    return arn;
  }

  private createTopicAction(input: { Name?: string; Attributes?: Record<string, string> }): {
    TopicArn: string;
  } {
    if (input.Name === undefined) throw invalidParameter('Invalid parameter: Name');
    if (input.Attributes?.FifoTopic === 'true')
      throw new NotModelledError('the twin does not model SNS FIFO topics');
    return { TopicArn: this.createTopic(input.Name) };
  }

  private listTopics(input: { NextToken?: string }): { Topics: { TopicArn: string }[]; NextToken?: string } {
    const arns = [...this.topics.values()].sort();
    const offset = input.NextToken === undefined ? 0 : Number(input.NextToken);
    if (!Number.isInteger(offset) || offset < 0) throw invalidParameter('Invalid parameter: NextToken');
    const Topics = arns.slice(offset, offset + LIST_TOPICS_PAGE).map((TopicArn) => ({ TopicArn }));
    const next = offset + LIST_TOPICS_PAGE;
    return next < arns.length ? { Topics, NextToken: String(next) } : { Topics };
  }

  private publish(input: PublishInput): { MessageId: string } {
    if (input.TargetArn !== undefined || input.PhoneNumber !== undefined) {
      throw new NotModelledError('the twin models Publish to topics only (not TargetArn or PhoneNumber)');
    }
    if (input.TopicArn === undefined) {
      throw invalidParameter(
        'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
      );
    }
    const topicArn = input.TopicArn;
    const parts = topicArn.split(':');
    if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'sns' || !parts[5]) {
      throw invalidParameter('Invalid parameter: TopicArn');
    }
    if (parts[3] !== this.ctx.region || parts[4] !== this.ctx.world.accountId) {
      // A regional endpoint only knows its own region's topics.
      throw invalidParameter('Invalid parameter: TopicArn');
    }
    if (this.topics.get(parts[5]) !== topicArn) throw notFound('Topic does not exist');

    const message = input.Message;
    if (message === undefined || message.length === 0)
      throw invalidParameter('Invalid parameter: Empty message');
    const subject = input.Subject;
    if (subject !== undefined) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what the rule rejects.
      if (subject.length === 0 || subject.length >= 100 || /[\u0000-\u001f\u007f]/.test(subject)) {
        throw invalidParameter('Invalid parameter: Subject');
      }
    }
    if (input.MessageStructure !== undefined) {
      if (input.MessageStructure !== 'json') throw invalidParameter('Invalid parameter: MessageStructure');
      let body: unknown;
      try {
        body = JSON.parse(message);
      } catch {
        throw invalidParameter('Invalid parameter: Message Structure - JSON message body failed to parse');
      }
      if (
        typeof body !== 'object' ||
        body === null ||
        typeof (body as Record<string, unknown>).default !== 'string'
      ) {
        throw invalidParameter(
          'Invalid parameter: Message Structure - No default entry in JSON message body',
        );
      }
    }
    if (input.MessageGroupId !== undefined || input.MessageDeduplicationId !== undefined) {
      throw new NotModelledError(
        'the twin does not model MessageGroupId / MessageDeduplicationId (FIFO topics)',
      );
    }
    const attributes = validateAttributes(input.MessageAttributes ?? {});
    const size = Buffer.byteLength(message, 'utf8') + attributesSize(input.MessageAttributes ?? {});
    if (size > MAX_MESSAGE_BYTES) {
      throw invalidParameter(
        `Invalid parameter: Message too long (${size} bytes; the limit is ${MAX_MESSAGE_BYTES})`,
      );
    }

    const messageId = uuid(this.ctx.rng);
    this.published.push({ at: this.ctx.clock.now(), messageId, topicArn, subject, message, attributes });
    // The timeline shows the subject only: a message body may be long, and is the secret scan's business.
    this.ctx.timeline.add(
      this.ctx.region,
      'sns',
      `published to ${parts[5]}${subject === undefined ? ' (no subject)' : `: ${subject}`}`,
      { topicArn, messageId },
    );
    return { MessageId: messageId };
  }
}

/**
 * SNS message attributes: a DataType of String, String.Array, Number or Binary (optionally with a custom
 * `.suffix`), and the matching value (Amazon SNS Developer Guide, "Amazon SNS message attributes").
 */
function validateAttributes(
  attrs: Record<string, MessageAttributeValue>,
): Record<string, { DataType: string; StringValue?: string }> {
  const out: Record<string, { DataType: string; StringValue?: string }> = {};
  for (const [name, value] of Object.entries(attrs)) {
    const type = value.DataType ?? '';
    const base = type.startsWith('String.Array') ? 'String.Array' : type.split('.')[0];
    if (!type || !['String', 'String.Array', 'Number', 'Binary'].includes(base ?? '')) {
      throw invalidParameterValue(`The message attribute '${name}' has an invalid message attribute type.`);
    }
    if (base === 'Binary' ? value.BinaryValue === undefined : !value.StringValue) {
      throw invalidParameterValue(
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
      );
    }
    if (base === 'Number' && !Number.isFinite(Number(value.StringValue))) {
      throw invalidParameterValue(
        `The message attribute '${name}' with type 'Number' must be a valid number.`,
      );
    }
    out[name] =
      value.StringValue === undefined
        ? { DataType: type }
        : { DataType: type, StringValue: value.StringValue };
  }
  return out;
}

function attributesSize(attrs: Record<string, MessageAttributeValue>): number {
  let n = 0;
  for (const [name, value] of Object.entries(attrs)) {
    n += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType ?? '', 'utf8');
    n += value.StringValue === undefined ? 0 : Buffer.byteLength(value.StringValue, 'utf8');
    n += value.BinaryValue?.byteLength ?? 0;
  }
  return n;
}
