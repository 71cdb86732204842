/**
 * Amazon EventBridge, one region's default event bus: AWS services' events, custom events (PutEvents),
 * pattern rules and schedule rules, each with one target and the target retry policy.
 *
 * Modelled from the AWS EventBridge User Guide and API Reference:
 * - Event structure ("Event structure reference", eb-events-structure): version "0", a version 4 UUID id,
 *   detail-type, source, 12-digit account, time, region, resources (ARNs), detail (a JSON object).
 * - Delivery is asynchronous and, for AWS service events such as Auto Scaling's, best effort
 *   ("Amazon EC2 Auto Scaling events", events-ref-autoscaling: "Delivery type: Best effort"); the twin adds a
 *   seeded 0-2 s latency and applies injected lost / duplicated / delayed event faults.
 * - Target retries ("How EventBridge retries delivering events", eb-rule-retry-policy): by default
 *   EventBridge retries for 24 hours and up to 185 times with exponential back off and jitter; once the
 *   retries are exhausted the event is dropped. RetryPolicy (API reference): MaximumRetryAttempts 0-185,
 *   MaximumEventAgeInSeconds 60-86400.
 * - Dead-letter queues ("Using dead-letter queues to process undelivered events in EventBridge",
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html): a target's DLQ is a standard SQS
 *   queue in the rule's region; an event whose retries are exhausted goes there instead of being dropped, the
 *   event itself as the body, with the message attributes RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE,
 *   EXHAUSTED_RETRY_CONDITION (MaximumRetryAttempts | MaximumEventAgeInSeconds) and RETRY_ATTEMPTS. "For
 *   errors that result from missing permissions to a target, or if a target resource no longer exists, no
 *   retry attempts will happen": such an event goes straight to the DLQ (without EXHAUSTED_RETRY_CONDITION).
 *   AWS does not list its ERROR_CODE values; the twin's are RESOURCE_NOT_FOUND, THROTTLING and SDK_CLIENT_ERROR
 *   (any other failure of the target call), with the error's name and message as ERROR_MESSAGE. If the DLQ
 *   cannot take the message (missing queue, region lost) the event is dropped.
 * - A Lambda target is invoked asynchronously ("Amazon EventBridge (CloudWatch Events)" in the Lambda guide,
 *   services-cloudwatchevents): the target succeeds once Lambda accepts the event; the function's own errors
 *   are retried by Lambda's asynchronous queue (sim/runner/lambda-async.ts), never by EventBridge.
 * - Schedules ("Rate expressions reference", "Cron expressions reference"): rate(value unit) with minute,
 *   hour or day units (singular for 1, plural otherwise); cron with six fields in UTC, at minute granularity.
 *   A scheduled rule delivers source `aws.events`, detail-type `Scheduled Event`, detail `{}` and the rule's
 *   ARN in resources (the AWS sample in test/fixtures/events/eventbridge-scheduled-event.json).
 * - PutEvents (API reference; "Calculating PutEvents event entry size"): 1-10 entries; Source, DetailType
 *   and Detail are required per entry (else the entry fails with InvalidArgument); Detail must be a JSON
 *   object (MalformedDetail); sources beginning with "aws." are reserved for AWS services
 *   (NotAuthorizedForSourceException); entries are at most 256 KB by the documented size calculation.
 * - DescribeRule / EnableRule / DisableRule fail with ResourceNotFoundException for an unknown rule;
 *   ListRules returns at most 100 rules per page. Enabling or disabling takes a short while to apply to
 *   incoming events (EnableRule API reference), so the twin matches rules when an event is ingested.
 */
import type {
  ApiHandler,
  BusEvent,
  EventBridgeContract,
  EventBridgeRetryPolicy,
  EventDelivery,
  EventTarget,
  EventTargetOptions,
  SimContext,
  SimService,
  SqsMessageAttribute,
} from '../core/contracts';
import { AwsError, NotModelledError } from '../core/errors';
import { type EventPattern, matches, validatePattern } from '../core/event-pattern';

/** The default retry policy: 185 retries within 24 hours (eb-rule-retry-policy). */
export const DEFAULT_RETRY_POLICY: EventBridgeRetryPolicy = {
  maximumRetryAttempts: 185,
  maximumEventAgeSeconds: 86_400,
};

/**
 * Back-off between retries. AWS publishes the bounds (185 retries, 24 h) and "exponential back off and
 * jitter" but not the base or the cap; the twin uses full jitter over 1 s x 2^n, capped at 10 minutes
 * ("Exponential Backoff And Jitter", AWS Architecture Blog, which the retry page links).
 */
const RETRY_BASE_MS = 1_000;
const RETRY_CAP_MS = 10 * 60_000;
/** Ingestion-to-target latency of one delivery. */
const MAX_DELIVERY_LATENCY_MS = 2_000;
/** PutEvents: 1-10 entries per request (API reference), 256 KB in all ("Amazon EventBridge quotas"). */
const MAX_PUT_EVENTS_ENTRIES = 10;
const MAX_ENTRY_BYTES = 256 * 1024;
const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;

type RuleState = 'ENABLED' | 'DISABLED';

interface Rule {
  readonly name: string;
  readonly arn: string;
  readonly pattern: EventPattern | undefined;
  readonly scheduleExpression: string | undefined;
  readonly description: string | undefined;
  readonly retryPolicy: EventBridgeRetryPolicy;
  readonly target: EventTarget;
  readonly deadLetterQueue: string | undefined;
  state: RuleState;
  cancelSchedule: (() => void) | undefined;
}

const resourceNotFound = (message: string) =>
  new AwsError('ResourceNotFoundException', message, { status: 400 });
const validationException = (message: string) =>
  new AwsError('ValidationException', message, { status: 400 });

export class EventBridgeSim implements SimService, EventBridgeContract {
  readonly service = 'events' as const;
  readonly api: Readonly<Record<string, ApiHandler>>;
  private readonly emittedEvents: BusEvent[] = [];
  private readonly deliveryLog: EventDelivery[] = [];
  private readonly rules = new Map<string, Rule>();

  constructor(private readonly ctx: SimContext) {
    this.api = {
      PutEvents: (input: PutEventsInput) => this.putEvents(input),
      DescribeRule: (input: { Name?: string; EventBusName?: string }) => this.describeRule(input),
      ListRules: (input: ListRulesInput) => this.listRules(input),
      EnableRule: (input: { Name?: string; EventBusName?: string }) => this.setState(input, 'ENABLED'),
      DisableRule: (input: { Name?: string; EventBusName?: string }) => this.setState(input, 'DISABLED'),
      TestEventPattern: (input: { EventPattern?: string; Event?: string }) => this.testEventPattern(input),
    };
  }

  get emitted(): readonly BusEvent[] {
    return this.emittedEvents;
  }

  get deliveries(): readonly EventDelivery[] {
    return this.deliveryLog;
  }

  /** ARN of a rule on the default bus. */
  ruleArn(name: string): string {
    return `arn:aws:events:${this.ctx.region}:${this.ctx.world.accountId}:rule/${name}`;
  }

  emit(event: {
    source: string;
    detailType: string;
    detail: Record<string, unknown>;
    resources?: readonly string[];
  }): void {
    this.ingest(event.source, event.detailType, event.detail, event.resources ?? [], this.ctx.clock.now());
  }

  putRule(
    rule: {
      name: string;
      pattern: Record<string, unknown>;
      target: EventTarget;
    } & EventTargetOptions,
  ): void {
    validatePattern(rule.pattern);
    this.store({
      name: rule.name,
      pattern: structuredClone(rule.pattern),
      scheduleExpression: undefined,
      description: rule.description,
      retryPolicy: rule.retryPolicy,
      target: rule.target,
      deadLetterQueue: rule.deadLetterQueue,
    });
  }

  putSchedule(
    rule: ({ everyMs: number } | { scheduleExpression: string }) & {
      name: string;
      target: EventTarget;
    } & EventTargetOptions,
  ): void {
    const expression = 'everyMs' in rule ? rateExpressionFor(rule.everyMs) : rule.scheduleExpression;
    const schedule = parseScheduleExpression(expression);
    const stored = this.store({
      name: rule.name,
      pattern: undefined,
      scheduleExpression: expression,
      description: rule.description,
      retryPolicy: rule.retryPolicy,
      target: rule.target,
      deadLetterQueue: rule.deadLetterQueue,
    });
    const fire = (at: number) => {
      // A disabled rule does not run (PutRule API reference, State: DISABLED).
      if (stored.state === 'DISABLED') return;
      this.ingest('aws.events', 'Scheduled Event', {}, [stored.arn], at, [stored]);
    };
    if (schedule.kind === 'rate') {
      // "A rate expression starts when you create the scheduled event rule" (eb-rate-expressions).
      stored.cancelSchedule = this.ctx.clock.every(schedule.everyMs, () => fire(this.ctx.clock.now()));
    } else {
      let cancelled = false;
      let cancelTimer: () => void = () => undefined;
      const arm = () => {
        const next = nextCronTime(schedule, this.ctx.clock.now());
        if (next === undefined || cancelled) return;
        cancelTimer = this.ctx.clock.after(next - this.ctx.clock.now(), () => {
          fire(next);
          arm();
        });
      };
      arm();
      stored.cancelSchedule = () => {
        cancelled = true;
        cancelTimer();
      };
    }
  }

  private store(spec: {
    name: string;
    pattern: EventPattern | undefined;
    scheduleExpression: string | undefined;
    description: string | undefined;
    retryPolicy: EventBridgeRetryPolicy | undefined;
    target: EventTarget;
    deadLetterQueue: string | undefined;
  }): Rule {
    if (!RULE_NAME.test(spec.name)) {
      throw validationException(`Rule name ${JSON.stringify(spec.name)} must match [.\\-_A-Za-z0-9]{1,64}`);
    }
    // The DLQ is a standard SQS queue in the rule's own region (eb-rule-dlq).
    if (
      spec.deadLetterQueue !== undefined &&
      this.ctx.world.region(this.ctx.region).sqs.queueUrl(spec.deadLetterQueue) === undefined
    ) {
      throw validationException(
        `Rule ${spec.name}: the dead-letter queue ${spec.deadLetterQueue} is not a queue in ${this.ctx.region}`,
      );
    }
    const retryPolicy = spec.retryPolicy ?? DEFAULT_RETRY_POLICY;
    const { maximumRetryAttempts: attempts, maximumEventAgeSeconds: age } = retryPolicy;
    if (!Number.isInteger(attempts) || attempts < 0 || attempts > 185) {
      throw validationException('RetryPolicy.MaximumRetryAttempts must be an integer between 0 and 185');
    }
    if (!Number.isInteger(age) || age < 60 || age > 86_400) {
      throw validationException(
        'RetryPolicy.MaximumEventAgeInSeconds must be an integer between 60 and 86400',
      );
    }
    // PutRule "creates or updates": a replaced schedule stops firing.
    this.rules.get(spec.name)?.cancelSchedule?.();
    const rule: Rule = {
      ...spec,
      arn: this.ruleArn(spec.name),
      retryPolicy,
      state: 'ENABLED',
      cancelSchedule: undefined,
    };
    this.rules.set(spec.name, rule);
    const what = spec.pattern
      ? `pattern ${JSON.stringify(spec.pattern)}`
      : `schedule ${spec.scheduleExpression}`;
    this.ctx.timeline.add(this.ctx.region, 'events', `rule ${spec.name} put (${what})`);
    return rule;
  }

  /** Records the event, applies event faults and schedules delivery to the rules it matches. */
  private ingest(
    source: string,
    detailType: string,
    detail: Record<string, unknown>,
    resources: readonly string[],
    at: number,
    scheduledFor?: readonly Rule[],
  ): BusEvent {
    const event: BusEvent = {
      version: '0',
      id: uuid(this.ctx.rng),
      'detail-type': detailType,
      source,
      account: this.ctx.world.accountId,
      // EventBridge writes whole seconds, e.g. "2017-12-22T18:43:48Z".
      time: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.ctx.region,
      resources: [...resources],
      detail: structuredClone(detail),
    };
    this.emittedEvents.push(event);
    const targets =
      scheduledFor ??
      [...this.rules.values()].filter((r) => r.state === 'ENABLED' && r.pattern && matches(r.pattern, event));
    this.ctx.timeline.add(
      this.ctx.region,
      'events',
      `${detailType} from ${source} (${event.id}) matches ${targets.length ? targets.map((r) => r.name).join(', ') : 'no rule'}`,
    );
    if (targets.length === 0) return event;

    // Only events some rule would deliver consume an injected fault, so a fault bites the event under test.
    const fault = this.ctx.world.faults.takeEventFault(this.ctx.region, detailType);
    if (fault?.mode === 'lose') {
      this.ctx.timeline.add(this.ctx.region, 'events', `${detailType} (${event.id}) lost (injected fault)`);
      for (const rule of targets) this.log(event, rule, 0, 1, 'lost');
      return event;
    }
    // The retry policy's maximum event age runs from ingestion (a PutEvents entry may carry an older Time).
    const ingestedAt = this.ctx.clock.now();
    const copies = fault?.mode === 'duplicate' ? 2 : 1;
    const extraDelay = fault?.mode === 'delay' ? fault.delayMs : 0;
    if (fault) {
      const how = fault.mode === 'duplicate' ? 'delivered twice' : `delayed by ${fault.delayMs} ms`;
      this.ctx.timeline.add(this.ctx.region, 'events', `${detailType} (${event.id}) ${how} (injected fault)`);
    }
    for (let copy = 1; copy <= copies; copy++) {
      for (const rule of targets) {
        const latency = this.ctx.rng.between(0, MAX_DELIVERY_LATENCY_MS);
        this.ctx.clock.after(extraDelay + latency, () => {
          void this.attempt(event, rule, 1, copy, ingestedAt);
        });
      }
    }
    return event;
  }

  private async attempt(
    event: BusEvent,
    rule: Rule,
    attempt: number,
    copy: number,
    ingestedAt: number,
  ): Promise<void> {
    let error: string | undefined;
    let cause: unknown;
    if (this.ctx.world.faults.isRegionDown(this.ctx.region)) {
      error = `region ${this.ctx.region} is unavailable`;
    } else {
      try {
        // The target gets its own copy: nothing it does changes the recorded event.
        await Promise.resolve().then(() => rule.target(structuredClone(event)));
      } catch (err) {
        cause = err;
        error = describeError(err);
      }
    }
    const suffix = attempt > 1 ? ` (attempt ${attempt})` : '';
    if (error === undefined) {
      this.log(event, rule, attempt, copy, 'succeeded');
      this.ctx.timeline.add(
        this.ctx.region,
        'events',
        `${event['detail-type']} (${event.id}) delivered to rule ${rule.name}${suffix}`,
      );
      return;
    }
    this.log(event, rule, attempt, copy, 'failed', error);
    this.ctx.timeline.add(
      this.ctx.region,
      'events',
      `target of rule ${rule.name} failed on ${event['detail-type']} (${event.id})${suffix}: ${error}`,
    );
    const retriesUsed = attempt - 1;
    const code = errorCode(cause);
    if (code === 'RESOURCE_NOT_FOUND') {
      // No retry for a target that no longer exists (eb-rule-dlq).
      this.giveUp(event, rule, attempt, copy, error, code, undefined);
      return;
    }
    const exp = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.min(retriesUsed, 30));
    const delay = this.ctx.rng.between(0, exp);
    const now = this.ctx.clock.now();
    const tooOld = now + delay - ingestedAt > rule.retryPolicy.maximumEventAgeSeconds * 1000;
    if (retriesUsed >= rule.retryPolicy.maximumRetryAttempts || tooOld) {
      this.giveUp(
        event,
        rule,
        attempt,
        copy,
        error,
        code,
        tooOld ? 'MaximumEventAgeInSeconds' : 'MaximumRetryAttempts',
      );
      return;
    }
    this.ctx.clock.after(delay, () => {
      void this.attempt(event, rule, attempt + 1, copy, ingestedAt);
    });
  }

  /** Retries are over (or pointless): the event goes to the target's dead-letter queue, or is dropped. */
  private giveUp(
    event: BusEvent,
    rule: Rule,
    attempt: number,
    copy: number,
    error: string,
    code: string,
    condition: 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds' | undefined,
  ): void {
    const why =
      condition === undefined
        ? 'not retried (the target does not exist)'
        : condition === 'MaximumEventAgeInSeconds'
          ? 'maximum event age reached'
          : `${attempt - 1} retries exhausted`;
    if (rule.deadLetterQueue !== undefined) {
      const str = (v: string): SqsMessageAttribute => ({ DataType: 'String', StringValue: v });
      const attributes: Record<string, SqsMessageAttribute> = {
        RULE_ARN: str(rule.arn),
        TARGET_ARN: str(rule.target.targetArn ?? 'unknown'),
        ERROR_CODE: str(code),
        ERROR_MESSAGE: str(error),
        RETRY_ATTEMPTS: str(String(attempt - 1)),
        ...(condition !== undefined ? { EXHAUSTED_RETRY_CONDITION: str(condition) } : {}),
      };
      try {
        if (this.ctx.world.faults.isRegionDown(this.ctx.region))
          throw new Error(`region ${this.ctx.region} is unavailable`);
        this.ctx.world
          .region(this.ctx.region)
          .sqs.send(rule.deadLetterQueue, JSON.stringify(event), attributes);
        this.log(event, rule, attempt, copy, 'dead-lettered', error);
        this.ctx.timeline.add(
          this.ctx.region,
          'events',
          `${event['detail-type']} (${event.id}) sent to the DLQ of rule ${rule.name}: ${why}`,
        );
        return;
      } catch (err) {
        error = `${error}; the DLQ failed: ${describeError(err)}`;
      }
    }
    this.log(event, rule, attempt, copy, 'dropped', error);
    this.ctx.timeline.add(
      this.ctx.region,
      'events',
      `${event['detail-type']} (${event.id}) dropped for rule ${rule.name}: ${why}`,
    );
  }

  private log(
    event: BusEvent,
    rule: Rule,
    attempt: number,
    copy: number,
    outcome: EventDelivery['outcome'],
    error?: string,
  ): void {
    this.deliveryLog.push({
      at: this.ctx.clock.now(),
      eventId: event.id,
      detailType: event['detail-type'],
      rule: rule.name,
      attempt,
      copy,
      outcome,
      ...(error === undefined ? {} : { error }),
    });
  }

  // ---------------------------------------------------------------- API actions

  private putEvents(input: PutEventsInput): { FailedEntryCount: number; Entries: PutEventsResultEntry[] } {
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_PUT_EVENTS_ENTRIES) {
      throw validationException(
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_PUT_EVENTS_ENTRIES}`,
      );
    }
    if (input.EndpointId !== undefined)
      throw new NotModelledError('the twin does not model global endpoints (PutEvents EndpointId)');
    // "The total entry size must be less than 256KB" (eb-putevent-size), computed as documented.
    if (entries.reduce((n, e) => n + entrySize(e), 0) > MAX_ENTRY_BYTES) {
      throw validationException('Total size of the entries in the request is over the limit.');
    }
    const results = entries.map((entry): PutEventsResultEntry => {
      this.requireDefaultBus(entry.EventBusName);
      if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
        return {
          ErrorCode: 'InvalidArgument',
          ErrorMessage: 'Parameters Source, DetailType and Detail are required.',
        };
      }
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      if (entry.Source.startsWith('aws.')) {
        return {
          ErrorCode: 'NotAuthorizedForSourceException',
          ErrorMessage: 'Not authorized for the source.',
        };
      }
      const at = entry.Time === undefined ? this.ctx.clock.now() : new Date(entry.Time).getTime();
      if (Number.isNaN(at))
        return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Time is not valid.' };
      const event = this.ingest(
        entry.Source,
        entry.DetailType,
        detail as Record<string, unknown>,
        entry.Resources ?? [],
        at,
      );
      return { EventId: event.id };
    });
    return { FailedEntryCount: results.filter((r) => r.ErrorCode !== undefined).length, Entries: results };
  }

  private describeRule(input: { Name?: string; EventBusName?: string }): Record<string, string> {
    const rule = this.requireRule(input);
    return {
      Name: rule.name,
      Arn: rule.arn,
      ...(rule.pattern ? { EventPattern: JSON.stringify(rule.pattern) } : {}),
      ...(rule.scheduleExpression ? { ScheduleExpression: rule.scheduleExpression } : {}),
      State: rule.state,
      ...(rule.description === undefined ? {} : { Description: rule.description }),
      EventBusName: 'default',
      CreatedBy: this.ctx.world.accountId,
    };
  }

  private listRules(input: ListRulesInput): { Rules: Record<string, string>[]; NextToken?: string } {
    this.requireDefaultBus(input.EventBusName);
    const limit = input.Limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      throw validationException('Limit must be between 1 and 100');
    const offset = input.NextToken === undefined ? 0 : Number(input.NextToken);
    if (!Number.isInteger(offset) || offset < 0) throw validationException('The NextToken is not valid.');
    const names = [...this.rules.keys()].filter((n) => n.startsWith(input.NamePrefix ?? '')).sort();
    const page = names.slice(offset, offset + limit);
    const Rules = page.map((name) => {
      const { CreatedBy: _createdBy, ...rest } = this.describeRule({ Name: name });
      return rest;
    });
    return offset + limit < names.length ? { Rules, NextToken: String(offset + limit) } : { Rules };
  }

  private setState(input: { Name?: string; EventBusName?: string }, state: RuleState): Record<string, never> {
    const rule = this.requireRule(input);
    if (rule.state !== state) {
      rule.state = state;
      this.ctx.timeline.add(
        this.ctx.region,
        'events',
        `rule ${rule.name} ${state === 'ENABLED' ? 'enabled' : 'disabled'}`,
      );
    }
    return {};
  }

  private testEventPattern(input: { EventPattern?: string; Event?: string }): { Result: boolean } {
    if (input.EventPattern === undefined || input.Event === undefined) {
      throw validationException('EventPattern and Event are required');
    }
    let pattern: unknown;
    let event: unknown;
    try {
      pattern = JSON.parse(input.EventPattern);
    } catch {
      throw new AwsError('InvalidEventPatternException', 'Event pattern is not valid. Reason: not JSON');
    }
    try {
      event = JSON.parse(input.Event);
    } catch {
      throw validationException('Parameter Event is not valid.');
    }
    validatePattern(pattern);
    return { Result: matches(pattern, event) };
  }

  private requireRule(input: { Name?: string; EventBusName?: string }): Rule {
    this.requireDefaultBus(input.EventBusName);
    const rule = input.Name === undefined ? undefined : this.rules.get(input.Name);
    if (!rule) throw resourceNotFound(`Rule ${input.Name ?? ''} does not exist on EventBus default.`);
    return rule;
  }

  private requireDefaultBus(name: string | undefined): void {
    const defaultArn = `arn:aws:events:${this.ctx.region}:${this.ctx.world.accountId}:event-bus/default`;
    if (name !== undefined && name !== 'default' && name !== defaultArn) {
      throw new NotModelledError(`the twin models only the default event bus (got ${name})`);
    }
  }
}

interface PutEventsRequestEntry {
  Time?: Date | string | number;
  Source?: string;
  Resources?: string[];
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  TraceHeader?: string;
}

interface PutEventsInput {
  Entries?: PutEventsRequestEntry[];
  EndpointId?: string;
}

interface PutEventsResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

interface ListRulesInput {
  NamePrefix?: string;
  EventBusName?: string;
  NextToken?: string;
  Limit?: number;
}

/** "Calculating PutEvents event entry size": Time 14 bytes; Source, DetailType, Detail, Resources as UTF-8. */
function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (s: string | undefined) => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8'));
  return (
    (entry.Time === undefined ? 0 : 14) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((n, r) => n + bytes(r), 0)
  );
}

/** The DLQ's ERROR_CODE for a failed target call (see the header: AWS does not list the values). */
function errorCode(err: unknown): string {
  const name = (err as { name?: string } | undefined)?.name ?? '';
  if (/ResourceNotFound|DoesNotExist|NotFound/.test(name)) return 'RESOURCE_NOT_FOUND';
  if (/Throttl|TooManyRequests/.test(name)) return 'THROTTLING';
  return 'SDK_CLIENT_ERROR';
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** A version 4 UUID drawn from the service's seeded stream (RFC 4122: version nibble 4, variant 10xx). */
export function uuid(rng: { hex(length: number): string; int(min: number, max: number): number }): string {
  const h = rng.hex(32);
  const variant = (8 + rng.int(0, 3)).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// ---------------------------------------------------------------- schedule expressions

const MINUTE_MS = 60_000;
const UNIT_MS = { minute: MINUTE_MS, hour: 60 * MINUTE_MS, day: 24 * 60 * MINUTE_MS } as const;

export type Schedule = { readonly kind: 'rate'; readonly everyMs: number } | CronSchedule;

export interface CronSchedule {
  readonly kind: 'cron';
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly dayOfMonth: DayOfMonth;
  readonly months: ReadonlySet<number>;
  readonly dayOfWeek: DayOfWeek;
  readonly years: ReadonlySet<number>;
}

type DayOfMonth =
  | { readonly any: true }
  | {
      readonly any: false;
      readonly days: ReadonlySet<number>;
      readonly last: boolean;
      readonly lastWeekday: boolean;
      readonly nearestWeekday: readonly number[];
    };
type DayOfWeek =
  | { readonly any: true }
  | {
      readonly any: false;
      readonly days: ReadonlySet<number>;
      readonly nth: readonly { day: number; n: number }[];
      readonly lastOf: readonly number[];
    };

const invalidSchedule = (expression: string, why: string) =>
  validationException(`Parameter ScheduleExpression is not valid: ${JSON.stringify(expression)} (${why}).`);

/** The `rate(...)` expression for a period in whole minutes, hours or days. */
export function rateExpressionFor(everyMs: number): string {
  if (!Number.isInteger(everyMs) || everyMs < MINUTE_MS || everyMs % MINUTE_MS !== 0) {
    throw validationException(`a rate schedule is whole minutes, at least 1 minute (got ${everyMs} ms)`);
  }
  for (const unit of ['day', 'hour', 'minute'] as const) {
    if (everyMs % UNIT_MS[unit] === 0) {
      const n = everyMs / UNIT_MS[unit];
      return `rate(${n} ${unit}${n === 1 ? '' : 's'})`;
    }
  }
  throw validationException(`no rate expression for ${everyMs} ms`);
}

/** Parses `rate(value unit)` or `cron(min hour day-of-month month day-of-week year)`. */
export function parseScheduleExpression(expression: string): Schedule {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2] ?? '';
    const singular = unit.replace(/s$/, '') as keyof typeof UNIT_MS;
    // "If the value is equal to 1, then the unit must be singular. If the value is greater than 1, the unit
    // must be plural." (eb-rate-expressions)
    if (n < 1) throw invalidSchedule(expression, 'the value must be a positive number');
    if ((n === 1) !== (unit === singular))
      throw invalidSchedule(expression, 'unit must be singular for 1 and plural otherwise');
    return { kind: 'rate', everyMs: n * UNIT_MS[singular] };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) throw invalidSchedule(expression, 'expected rate(...) or cron(...)');
  const fields = (cron[1] ?? '').trim().split(/\s+/);
  if (fields.length !== 6) throw invalidSchedule(expression, 'cron expressions have six fields');
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  // "You can't specify the Day-of-month and Day-of-week fields in the same cron expression. If you specify a
  // value or a * in one of the fields, you must use a ? in the other."
  if ((dom === '?') === (dow === '?'))
    throw invalidSchedule(expression, 'exactly one of day-of-month and day-of-week must be ?');
  return {
    kind: 'cron',
    minutes: numberField(expression, min, 0, 59),
    hours: numberField(expression, hour, 0, 23),
    dayOfMonth: dom === '?' ? { any: true } : dayOfMonthField(expression, dom),
    months: numberField(expression, month, 1, 12, MONTHS),
    dayOfWeek: dow === '?' ? { any: true } : dayOfWeekField(expression, dow),
    years: numberField(expression, year, 1970, 2199),
  };
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** `,` lists, `-` ranges, `*` all, `/` increments (from a start value or range), names where allowed. */
function numberField(
  expression: string,
  text: string,
  lo: number,
  hi: number,
  names?: readonly string[],
): Set<number> {
  const out = new Set<number>();
  const value = (s: string): number => {
    const named = names?.indexOf(s.toUpperCase()) ?? -1;
    const n = named >= 0 ? named + lo : /^\d+$/.test(s) ? Number(s) : Number.NaN;
    if (!(n >= lo && n <= hi))
      throw invalidSchedule(expression, `${JSON.stringify(s)} is outside ${lo}-${hi}`);
    return n;
  };
  for (const item of text.split(',')) {
    const [range = '', stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1)
      throw invalidSchedule(expression, `bad increment in ${JSON.stringify(item)}`);
    let from: number;
    let to: number;
    if (range === '*') {
      from = lo;
      to = hi;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      from = value(a);
      to = value(b);
    } else {
      from = value(range);
      to = stepText === undefined ? from : hi;
    }
    if (from > to) throw invalidSchedule(expression, `empty range ${JSON.stringify(item)}`);
    for (let n = from; n <= to; n += step) out.add(n);
  }
  return out;
}

function dayOfMonthField(expression: string, text: string): DayOfMonth {
  const days = new Set<number>();
  const nearestWeekday: number[] = [];
  let last = false;
  let lastWeekday = false;
  const plain: string[] = [];
  for (const item of text.split(',')) {
    if (item === 'L') last = true;
    else if (item === 'LW') lastWeekday = true;
    else if (/^\d+W$/.test(item)) {
      const n = Number(item.slice(0, -1));
      if (n < 1 || n > 31) throw invalidSchedule(expression, `${item} is outside 1-31`);
      nearestWeekday.push(n);
    } else plain.push(item);
  }
  if (plain.length) for (const d of numberField(expression, plain.join(','), 1, 31)) days.add(d);
  return { any: false, days, last, lastWeekday, nearestWeekday };
}

function dayOfWeekField(expression: string, text: string): DayOfWeek {
  const days = new Set<number>();
  const nth: { day: number; n: number }[] = [];
  const lastOf: number[] = [];
  const plain: string[] = [];
  const weekday = (s: string) => [...numberField(expression, s, 1, 7, WEEKDAYS)][0] ?? 0;
  for (const item of text.split(',')) {
    const hash = /^(\w+)#([1-5])$/.exec(item);
    const lastMatch = /^(\w+)L$/.exec(item);
    if (hash) {
      // "If you use the '#' character, you can define only one expression in the day-of-week field."
      if (text.includes(',')) throw invalidSchedule(expression, "'#' allows a single day-of-week expression");
      nth.push({ day: weekday(hash[1] ?? ''), n: Number(hash[2]) });
    } else if (item === 'L') lastOf.push(7);
    else if (lastMatch) lastOf.push(weekday(lastMatch[1] ?? ''));
    else plain.push(item);
  }
  if (plain.length) for (const d of numberField(expression, plain.join(','), 1, 7, WEEKDAYS)) days.add(d);
  return { any: false, days, nth, lastOf };
}

/** The first minute strictly after `after` (UTC) that the cron schedule selects, if any before 2200. */
export function nextCronTime(schedule: CronSchedule, after: number): number | undefined {
  const start = new Date(Math.floor(after / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
  const minutes = [...schedule.minutes].sort((a, b) => a - b);
  const hours = [...schedule.hours].sort((a, b) => a - b);
  let day = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
  for (let i = 0; i < 366 * 30; i++, day += UNIT_MS.day) {
    const d = new Date(day);
    const year = d.getUTCFullYear();
    if (year > 2199) return undefined;
    if (!schedule.years.has(year) || !schedule.months.has(d.getUTCMonth() + 1) || !dayMatches(schedule, d))
      continue;
    for (const h of hours) {
      for (const m of minutes) {
        const t = day + h * UNIT_MS.hour + m * MINUTE_MS;
        if (t >= start.getTime()) return t;
      }
    }
  }
  return undefined;
}

function dayMatches(schedule: CronSchedule, d: Date): boolean {
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  const date = d.getUTCDate();
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const dow = d.getUTCDay() + 1; // cron day-of-week: 1 = SUN ... 7 = SAT
  const dom = schedule.dayOfMonth;
  if (!dom.any) {
    const weekdayNear = (target: number) =>
      nearestWeekday(year, month, Math.min(target, lastDay), lastDay) === date;
    return (
      dom.days.has(date) ||
      (dom.last && date === lastDay) ||
      (dom.lastWeekday && weekdayNear(lastDay)) ||
      dom.nearestWeekday.some((n) => n <= lastDay && weekdayNear(n))
    );
  }
  const wk = schedule.dayOfWeek;
  if (wk.any) return true;
  return (
    wk.days.has(dow) ||
    wk.nth.some(({ day, n }) => day === dow && Math.ceil(date / 7) === n) ||
    wk.lastOf.some((day) => day === dow && date + 7 > lastDay)
  );
}

/** `nW`: the weekday closest to day n, without leaving the month. */
function nearestWeekday(year: number, month: number, n: number, lastDay: number): number {
  const dow = new Date(Date.UTC(year, month, n)).getUTCDay();
  if (dow === 6) return n === 1 ? 3 : n - 1;
  if (dow === 0) return n === lastDay ? n - 2 : n + 1;
  return n;
}
