/**
 * Lambda's asynchronous invocation in the twin (what EventBridge, and `Invoke` with InvocationType Event, use),
 * and the Lambda `Invoke` API for SDK clients.
 *
 * Modelled from the AWS Lambda Developer Guide:
 * - "How Lambda handles errors and retries with asynchronous invocation"
 *   (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html): the event is queued and
 *   accepted at once; "If the function returns an error, by default Lambda attempts to run it two more times,
 *   with a one-minute wait between the first two attempts, and two minutes between the second and third
 *   attempts. Function errors include errors returned by the function's code and errors returned by the
 *   function's runtime, such as timeouts." Throttling (429) and system errors (500) return the event to the
 *   queue and are retried "for up to 6 hours by default", the interval growing exponentially "from 1 second
 *   after the first attempt to a maximum of 5 minutes" (they do not use up MaximumRetryAttempts).
 * - "Configuring error handling settings" (invocation-async-configuring.html): MaximumRetryAttempts 0-2 (default
 *   2), MaximumEventAgeInSeconds 60-21,600 (default 21,600, 6 hours).
 * - "Capturing records of Lambda asynchronous invocations" (invocation-async-retain-records.html): an event that
 *   fails every attempt, or grows too old, goes to the on-failure destination as an invocation record (version,
 *   timestamp, requestContext{requestId, functionArn, condition RetriesExhausted|EventAgeExceeded,
 *   approximateInvokeCount}, requestPayload, responseContext{statusCode, executedVersion, functionError},
 *   responsePayload); without a destination it is discarded.
 * - AWS/Lambda `AsyncEventsReceived` and `AsyncEventsDropped` ("Types of metrics for Lambda functions",
 *   monitoring-metrics-types.html): dropped counts an event discarded without a successful run, "If you
 *   configure a dead-letter queue or OnFailure destination, then events are sent there before they're dropped".
 * - Invoke API (API reference): RequestResponse answers 200 with the function's result as Payload, or with
 *   `FunctionError: "Unhandled"` and the error object `{errorType, errorMessage, trace}` as Payload when the
 *   function fails; Event answers 202 once queued; an unknown function is `ResourceNotFoundException` (404), a
 *   throttle `TooManyRequestsException` (429), Lambda's own failure `ServiceException` (500).
 */
import type { BusEvent, EventTarget, SimService } from '../core/contracts';
import { AwsError, NotModelledError } from '../core/errors';
import type { World } from '../core/world';
import { FunctionError } from './lambda-errors';

/** What the asynchronous queue needs of the twin's Lambda (sim/runner/lambda.ts). */
export interface LambdaRunner {
  invoke(functionArnOrName: string, payload: unknown, executionArn?: string): Promise<unknown>;
  lookup(
    functionArnOrName: string,
    region?: string,
  ): { readonly arn: string; readonly name: string; readonly region: string } | undefined;
  readonly async: LambdaAsync;
}

const MINUTE = 60_000;
const THROTTLE_CAP_MS = 5 * MINUTE;
/** The waits before the second and third attempts after a function error. */
const FUNCTION_ERROR_WAITS_MS = [MINUTE, 2 * MINUTE];

export interface EventInvokeConfig {
  /** 0-2 (default 2). */
  readonly maximumRetryAttempts?: number;
  /** 60-21600 (default 21600). */
  readonly maximumEventAgeSeconds?: number;
  /** The on-failure destination: an SQS queue ARN (or name, in the function's region). */
  readonly onFailure?: string;
}

/** The fate of one asynchronously invoked event. */
export interface AsyncEventRecord {
  readonly requestId: string;
  readonly functionArn: string;
  readonly acceptedAt: number;
  attempts: number;
  outcome: 'queued' | 'succeeded' | 'to-destination' | 'dropped';
  condition?: 'RetriesExhausted' | 'EventAgeExceeded';
  lastError?: string;
  endedAt?: number;
}

const THROTTLED = new Set(['Lambda.TooManyRequestsException', 'Lambda.ServiceException']);

export class LambdaAsync {
  private readonly configs = new Map<
    string,
    Required<Omit<EventInvokeConfig, 'onFailure'>> & EventInvokeConfig
  >();
  /** Every accepted event and what became of it. */
  readonly events: AsyncEventRecord[] = [];
  private seq = 0;

  constructor(
    private readonly world: World,
    private readonly lambda: LambdaRunner,
  ) {}

  /** PutFunctionEventInvokeConfig: replaces the function's asynchronous invocation settings (unset = default). */
  putFunctionEventInvokeConfig(functionArn: string, config: EventInvokeConfig): void {
    const fn = this.lambda.lookup(functionArn);
    if (!fn)
      throw new AwsError('ResourceNotFoundException', `Function not found: ${functionArn}`, { status: 404 });
    const retries = config.maximumRetryAttempts ?? 2;
    const age = config.maximumEventAgeSeconds ?? 21_600;
    if (!Number.isInteger(retries) || retries < 0 || retries > 2)
      throw new AwsError('InvalidParameterValueException', 'MaximumRetryAttempts must be between 0 and 2', {
        status: 400,
      });
    if (!Number.isInteger(age) || age < 60 || age > 21_600)
      throw new AwsError(
        'InvalidParameterValueException',
        'MaximumEventAgeInSeconds must be between 60 and 21600',
        { status: 400 },
      );
    if (
      config.onFailure !== undefined &&
      !/^arn:aws:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}$/.test(config.onFailure)
    )
      throw new NotModelledError(
        `the twin models only SQS queue ARNs as on-failure destinations (got ${config.onFailure})`,
      );
    this.configs.set(fn.arn, {
      maximumRetryAttempts: retries,
      maximumEventAgeSeconds: age,
      ...(config.onFailure ? { onFailure: config.onFailure } : {}),
    });
    this.world.timeline.add(
      fn.region,
      'lambda',
      `${fn.name}: async config retries ${retries}, max age ${age} s${config.onFailure ? `, on failure → ${config.onFailure}` : ''}`,
    );
  }

  configOf(functionArn: string): {
    maximumRetryAttempts: number;
    maximumEventAgeSeconds: number;
    onFailure?: string;
  } {
    return this.configs.get(functionArn) ?? { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 };
  }

  /**
   * Invoke with InvocationType Event: accepted (and queued) unless the function does not exist, its region is
   * down, or an injected fault on the `lambda:Invoke` API (throttle, 5xx) refuses the request, which throws as
   * the API would so the caller (EventBridge) retries or dead-letters it.
   */
  invokeAsync(functionArnOrName: string, payload: unknown, region?: string): { requestId: string } {
    const fn = this.lambda.lookup(functionArnOrName, region);
    const where = fn?.region ?? region ?? functionArnOrName.split(':')[3] ?? '';
    if (this.world.faults.isRegionDown(where))
      throw new AwsError('ServiceUnavailable', `lambda in ${where} is unavailable (region lost)`, {
        status: 503,
      });
    const fault =
      this.world.faults.beforeCall(where, 'lambda', 'Invoke') ??
      this.world.faults.beforeResourceCall(where, 'lambda', 'Invoke', fn?.name ?? functionArnOrName);
    if (fault) throw fault;
    if (!fn)
      throw new AwsError('ResourceNotFoundException', `Function not found: ${functionArnOrName}`, {
        status: 404,
      });
    const requestId = `${this.world.rng.fork(`async${this.seq++}`).hex(8)}-async`;
    const record: AsyncEventRecord = {
      requestId,
      functionArn: fn.arn,
      acceptedAt: this.world.clock.now(),
      attempts: 0,
      outcome: 'queued',
    };
    this.events.push(record);
    this.world
      .region(fn.region)
      .cloudwatch.putMetric('AWS/Lambda', 'AsyncEventsReceived', { FunctionName: fn.name }, 1);
    const copy = structuredClone(payload);
    this.world.clock.after(0, () => void this.attempt(record, copy, 0, 0));
    return { requestId };
  }

  /** A rule target that invokes the function asynchronously (what EventBridge does for a Lambda target). */
  target(functionArn: string): EventTarget {
    const deliver = async (event: BusEvent) => {
      this.invokeAsync(functionArn, event);
    };
    return Object.assign(deliver, { targetArn: functionArn });
  }

  private async attempt(
    record: AsyncEventRecord,
    payload: unknown,
    functionErrors: number,
    throttles: number,
  ): Promise<void> {
    const fn = this.lambda.lookup(record.functionArn);
    if (!fn) return;
    const config = this.configOf(fn.arn);
    record.attempts++;
    let error: FunctionError | undefined;
    if (this.world.faults.isRegionDown(fn.region)) {
      error = new FunctionError('Lambda.ServiceException', `lambda in ${fn.region} is unavailable`, fn.name);
    } else {
      try {
        await this.lambda.invoke(fn.arn, payload);
      } catch (err) {
        error =
          err instanceof FunctionError
            ? err
            : new FunctionError((err as Error).name || 'Error', (err as Error).message, fn.name);
      }
    }
    const now = this.world.clock.now();
    if (error === undefined) {
      record.outcome = 'succeeded';
      record.endedAt = now;
      return;
    }
    record.lastError = error.name;
    const throttled = THROTTLED.has(error.name);
    let delay: number;
    if (throttled) {
      delay = Math.min(THROTTLE_CAP_MS, 1000 * 2 ** Math.min(throttles, 20));
    } else {
      if (functionErrors >= config.maximumRetryAttempts)
        return this.fail(record, payload, error, 'RetriesExhausted');
      delay = FUNCTION_ERROR_WAITS_MS[functionErrors] ?? 2 * MINUTE;
    }
    if (now + delay - record.acceptedAt > config.maximumEventAgeSeconds * 1000)
      return this.fail(record, payload, error, 'EventAgeExceeded');
    this.world.timeline.add(
      fn.region,
      'lambda',
      `async ${fn.name} (${record.requestId}) attempt ${record.attempts} failed: ${error.name}; retry in ${Math.round(delay / 1000)} s`,
    );
    this.world.clock.after(
      delay,
      () =>
        void this.attempt(
          record,
          payload,
          functionErrors + (throttled ? 0 : 1),
          throttles + (throttled ? 1 : 0),
        ),
    );
  }

  private fail(
    record: AsyncEventRecord,
    payload: unknown,
    error: FunctionError,
    condition: 'RetriesExhausted' | 'EventAgeExceeded',
  ): void {
    const fn = this.lambda.lookup(record.functionArn);
    if (!fn) return;
    const now = this.world.clock.now();
    record.condition = condition;
    record.endedAt = now;
    const cw = this.world.region(fn.region).cloudwatch;
    cw.putMetric('AWS/Lambda', 'AsyncEventsDropped', { FunctionName: fn.name }, 1);
    const config = this.configOf(fn.arn);
    const throttled = THROTTLED.has(error.name);
    const destinationRecord = {
      version: '1.0',
      timestamp: new Date(now).toISOString(),
      requestContext: {
        requestId: record.requestId,
        functionArn: `${fn.arn}:$LATEST`,
        condition,
        approximateInvokeCount: record.attempts,
      },
      requestPayload: payload,
      responseContext: throttled
        ? {
            statusCode: error.name === 'Lambda.TooManyRequestsException' ? 429 : 500,
            executedVersion: '$LATEST',
          }
        : { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      ...(throttled
        ? {}
        : { responsePayload: { errorType: error.name, errorMessage: error.message, trace: [] } }),
    };
    const destination = config.onFailure;
    if (destination === undefined) {
      record.outcome = 'dropped';
      this.world.timeline.add(
        fn.region,
        'lambda',
        `async ${fn.name} (${record.requestId}) dropped: ${condition} (no destination)`,
      );
      return;
    }
    const queueRegion = destination.split(':')[3] ?? fn.region;
    try {
      if (this.world.faults.isRegionDown(queueRegion)) throw new Error(`region ${queueRegion} is down`);
      this.world.region(queueRegion).sqs.send(destination, JSON.stringify(destinationRecord));
      record.outcome = 'to-destination';
      this.world.timeline.add(
        fn.region,
        'lambda',
        `async ${fn.name} (${record.requestId}) ${condition}: record sent to ${destination}`,
      );
    } catch (err) {
      record.outcome = 'dropped';
      this.world.timeline.add(
        fn.region,
        'lambda',
        `async ${fn.name} (${record.requestId}) dropped: destination failed (${(err as Error).message})`,
      );
    }
  }
}

/** The Lambda `Invoke` API of one region, for SDK clients (the `lambda` service of the twin). */
export function lambdaApi(world: World, lambda: LambdaRunner, region: string): SimService {
  const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value ?? null));
  return {
    service: 'lambda',
    api: {
      Invoke: async (input: {
        FunctionName?: string;
        InvocationType?: string;
        Payload?: Uint8Array | string;
        Qualifier?: string;
      }) => {
        if (!input.FunctionName)
          throw new AwsError('ValidationException', 'FunctionName is required', { status: 400 });
        const fn = lambda.lookup(input.FunctionName, region);
        if (!fn)
          throw new AwsError('ResourceNotFoundException', `Function not found: ${input.FunctionName}`, {
            status: 404,
          });
        // The world's entry point applied the API's general faults; those aimed at this function apply here.
        const aimed = world.faults.beforeResourceCall(region, 'lambda', 'Invoke', fn.name);
        if (aimed) throw aimed;
        const text =
          input.Payload === undefined
            ? '{}'
            : typeof input.Payload === 'string'
              ? input.Payload
              : new TextDecoder().decode(input.Payload);
        let payload: unknown;
        try {
          payload = JSON.parse(text === '' ? '{}' : text);
        } catch {
          throw new AwsError('InvalidRequestContentException', 'Could not parse request body into json', {
            status: 400,
          });
        }
        const type = input.InvocationType ?? 'RequestResponse';
        if (type === 'Event') {
          lambda.async.invokeAsync(fn.arn, payload);
          return { StatusCode: 202, Payload: new Uint8Array() };
        }
        if (type !== 'RequestResponse')
          throw world.notModelledCall(
            region,
            new NotModelledError(`the twin does not model Invoke with InvocationType ${type}`),
          );
        try {
          const result = await lambda.invoke(fn.arn, payload);
          return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: encode(result) };
        } catch (err) {
          const e = err as Error;
          if (e.name === 'Lambda.TooManyRequestsException')
            throw new AwsError('TooManyRequestsException', 'Rate Exceeded.', {
              status: 429,
              throttling: true,
            });
          if (e.name === 'Lambda.ServiceException')
            throw new AwsError('ServiceException', e.message, { status: 500 });
          return {
            StatusCode: 200,
            ExecutedVersion: '$LATEST',
            FunctionError: 'Unhandled',
            Payload: encode({ errorType: e.name, errorMessage: e.message, trace: [] }),
          };
        }
      },
    },
  };
}
