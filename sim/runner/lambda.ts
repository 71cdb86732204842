import type { Context } from 'aws-lambda';
import { loadMiddy } from '../../functions/shared/handler';
import type { SimService } from '../core/contracts';
import type { LambdaFaultMode } from '../core/faults';
import type { World } from '../core/world';
import { type Invocation, invocationStore, patchOutput, patchProcessEnv } from './invocation';
import { type EventInvokeConfig, LambdaAsync, lambdaApi } from './lambda-async';
import { FunctionError } from './lambda-errors';

export type Handler = (event: unknown, context: Context) => Promise<unknown>;

export interface FunctionSpec {
  readonly name: string;
  readonly region: string;
  /** Loads the real handler module's `handler` export (the same code Lambda runs). */
  readonly load: () => Handler;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
}

/** The memory every control-plane function gets (infra/constructs/control-plane-function.ts's default). */
export const FUNCTION_MEMORY_MB = 512;

/**
 * One request to a function, as Lambda bills it (https://aws.amazon.com/lambda/pricing/: requests, and the
 * duration from the time the code begins executing until it returns or otherwise terminates, rounded up to the
 * nearest 1 ms, times the memory): virtual time, so a lower bound (a handler takes virtual time only while it
 * waits on the twin's clock; a hung one runs to its timeout).
 */
export interface LambdaInvocation {
  readonly at: number;
  readonly region: string;
  readonly functionName: string;
  readonly memoryMb: number;
  readonly durationMs: number;
  /** The execution whose Task invoked it (absent: an event, a schedule or a test). */
  readonly executionArn?: string;
  readonly error?: string;
}

export { FunctionError };

/**
 * Lambda in the twin: runs the real handler modules with a Lambda context on the virtual clock, their own
 * environment and region (see invocation.ts), captures what they log, and turns Powertools' EMF metric lines
 * into CloudWatch datapoints as Lambda's log pipeline does.
 */
export class LambdaSim {
  private readonly functions = new Map<
    string,
    FunctionSpec & { arn: string; handler?: Handler; coldStart: boolean }
  >();
  private requests = 0;
  /** Every request that ran (a hung one included); a throttled or refused one (429, 500) ran nothing. */
  readonly invocations: LambdaInvocation[] = [];

  /** Asynchronous invocation: Lambda's event queue, its retries and on-failure destinations (lambda-async.ts). */
  readonly async: LambdaAsync;

  constructor(private readonly world: World) {
    patchProcessEnv();
    patchOutput();
    this.async = new LambdaAsync(world, this);
  }

  /** Invoke with InvocationType Event (see LambdaAsync.invokeAsync): throws when Lambda does not accept it. */
  invokeAsync(functionArnOrName: string, payload: unknown, region?: string): { requestId: string } {
    return this.async.invokeAsync(functionArnOrName, payload, region);
  }

  /** PutFunctionEventInvokeConfig (MaximumRetryAttempts, MaximumEventAgeInSeconds, on-failure destination). */
  putFunctionEventInvokeConfig(functionArn: string, config: EventInvokeConfig): void {
    this.async.putFunctionEventInvokeConfig(functionArn, config);
  }

  /** An EventBridge rule target for the function: an asynchronous invocation. */
  target(functionArn: string): ReturnType<LambdaAsync['target']> {
    return this.async.target(functionArn);
  }

  /** The Lambda API (Invoke) of one region, for the SDK's `lambda` client. */
  apiFor(region: string): SimService {
    return lambdaApi(this.world, this, region);
  }

  register(spec: FunctionSpec): string {
    const arn = `arn:aws:lambda:${spec.region}:${this.world.accountId}:function:${spec.name}`;
    this.functions.set(arn, { ...spec, arn, coldStart: true });
    return arn;
  }

  arnOf(region: string, name: string): string {
    return `arn:aws:lambda:${region}:${this.world.accountId}:function:${name}`;
  }

  /**
   * Invokes synchronously (RequestResponse); throws FunctionError when the handler throws or times out.
   * `executionArn` names the execution whose Task invokes it (for the per-run cost).
   */
  async invoke(functionArnOrName: string, payload: unknown, executionArn?: string): Promise<unknown> {
    const at = this.world.clock.now();
    let error: string | undefined;
    try {
      return await this.invokeOnce(functionArnOrName, payload);
    } catch (err) {
      error = (err as Error).name;
      throw err;
    } finally {
      const fn = this.functions.get(functionArnOrName.replace(/:(\$LATEST|\d+)$/, ''));
      if (fn) this.publishInvocationMetrics(fn, error);
      if (fn && error !== 'Lambda.TooManyRequestsException' && error !== 'Lambda.ServiceException')
        this.invocations.push({
          at,
          region: fn.region,
          functionName: fn.name,
          memoryMb: FUNCTION_MEMORY_MB,
          durationMs: this.world.clock.now() - at,
          ...(executionArn !== undefined ? { executionArn } : {}),
          ...(error !== undefined ? { error } : {}),
        });
    }
  }

  private async invokeOnce(functionArnOrName: string, payload: unknown): Promise<unknown> {
    const fn = this.functions.get(functionArnOrName.replace(/:(\$LATEST|\d+)$/, ''));
    if (!fn)
      throw new FunctionError(
        'Lambda.ResourceNotFoundException',
        `Function not found: ${functionArnOrName}`,
        functionArnOrName,
      );
    const clock = this.world.clock;
    const fault = this.world.faults.takeLambdaFault(fn.region, fn.name);
    if (fault !== undefined) return this.injected(fault, fn);
    if (fn.coldStart) {
      // A cold start's module loading is real I/O: the handler kit imports the ESM-only middy on its first
      // call, which virtual time must wait for (as Lambda's init phase does not count toward the timeout).
      await clock.track(() => loadMiddy());
    }
    fn.handler ??= fn.load();
    const handler = fn.handler;
    const deadline = clock.now() + fn.timeoutSeconds * 1000;
    const requestId = `${this.world.rng.fork(`req${this.requests++}`).hex(8)}-twin`;
    const invocation: Invocation = {
      region: fn.region,
      functionName: fn.name,
      env: {
        AWS_REGION: fn.region,
        AWS_LAMBDA_FUNCTION_NAME: fn.name,
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        ...fn.environment,
      },
      lines: [],
    };
    const context = {
      functionName: fn.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: fn.arn,
      memoryLimitInMB: String(FUNCTION_MEMORY_MB),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${fn.name}`,
      logStreamName: `twin/${requestId}`,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - clock.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    } as Context;
    fn.coldStart = false;

    const timeout = new Promise<never>((_, reject) =>
      clock.after(fn.timeoutSeconds * 1000, () =>
        reject(
          new FunctionError(
            'Sandbox.Timedout',
            `Task timed out after ${fn.timeoutSeconds}.00 seconds`,
            fn.name,
          ),
        ),
      ),
    );
    try {
      const result = await Promise.race([
        invocationStore.run(invocation, () => handler(structuredClone(payload), context)),
        timeout,
      ]);
      this.capture(fn.region, fn.name, invocation.lines, result);
      return result;
    } catch (err) {
      this.capture(fn.region, fn.name, invocation.lines, undefined);
      const e = err as Error;
      if (e instanceof FunctionError) throw e;
      // Step Functions reports a function error by the error's type (its name) and message.
      throw new FunctionError(e.name || 'Error', e.message, fn.name);
    } finally {
      timeout.catch(() => undefined);
    }
  }

  /**
   * An injected Lambda fault, as Step Functions reports it from the optimized integration (Step Functions
   * developer guide, "Handle Lambda service exceptions"): the service's 500 `ServiceException` and the 429
   * `TooManyRequestsException` come back at once as `Lambda.<name>`, before any handler code runs; a hung
   * invocation (its handler stuck in init or on a call that never answers) fails only when the function's
   * timeout elapses, as `Sandbox.Timedout` (an unhandled function error: Step Functions retries it only when a
   * Retry names it or States.ALL / States.TaskFailed).
   */
  private async injected(fault: LambdaFaultMode, fn: FunctionSpec): Promise<never> {
    if (fault === 'throttle')
      throw new FunctionError('Lambda.TooManyRequestsException', 'Rate Exceeded.', fn.name);
    if (fault === 'service-error')
      throw new FunctionError(
        'Lambda.ServiceException',
        'Lambda was unable to process the request (injected 500)',
        fn.name,
      );
    if (fault === 'function-error')
      throw new FunctionError('Error', 'injected function error (the handler did not run)', fn.name);
    await new Promise<void>((resolve) => this.world.clock.after(fn.timeoutSeconds * 1000, resolve));
    throw new FunctionError(
      'Sandbox.Timedout',
      `Task timed out after ${fn.timeoutSeconds}.00 seconds`,
      fn.name,
    );
  }

  /**
   * AWS/Lambda metrics {FunctionName} ("Types of metrics for Lambda functions",
   * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html): `Invocations` counts every time
   * the function code is invoked, function errors included, but not a throttled request or another invocation
   * error (the 500); `Errors` counts invocations that end in a function error, errors the code throws and the
   * runtime's (timeouts) alike; `Throttles` counts throttled invocation requests.
   */
  private publishInvocationMetrics(fn: FunctionSpec, error: string | undefined): void {
    const cw = this.world.region(fn.region).cloudwatch;
    const dims = { FunctionName: fn.name };
    if (error === 'Lambda.TooManyRequestsException') {
      cw.putMetric('AWS/Lambda', 'Throttles', dims, 1);
      return;
    }
    if (error === 'Lambda.ServiceException' || error === 'Lambda.ResourceNotFoundException') return;
    cw.putMetric('AWS/Lambda', 'Invocations', dims, 1);
    cw.putMetric('AWS/Lambda', 'Errors', dims, error === undefined ? 0 : 1);
  }

  /** A registered function by name or ARN (qualifier ignored), as `region`'s Lambda resolves it. */
  lookup(functionArnOrName: string, region?: string): (FunctionSpec & { arn: string }) | undefined {
    const ref = functionArnOrName.replace(/:(\$LATEST|\d+)$/, '');
    if (ref.startsWith('arn:')) return this.functions.get(ref);
    return region === undefined ? undefined : this.functions.get(this.arnOf(region, ref));
  }

  private capture(region: string, name: string, lines: string[], result: unknown): void {
    const at = this.world.clock.now();
    for (const line of lines) {
      this.world.outputs.push({ at, region, source: `lambda:${name}`, text: line });
      this.publishEmf(region, line);
    }
    if (result !== undefined) {
      this.world.outputs.push({ at, region, source: `lambda:${name}:output`, text: JSON.stringify(result) });
    }
  }

  /** CloudWatch embedded metric format: Lambda's log pipeline turns these lines into metrics. */
  private publishEmf(region: string, line: string): void {
    if (!line.includes('"_aws"')) return;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const aws = doc._aws as
      | { CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] }
      | undefined;
    for (const directive of aws?.CloudWatchMetrics ?? []) {
      const dims = Object.fromEntries((directive.Dimensions[0] ?? []).map((d) => [d, String(doc[d])]));
      for (const m of directive.Metrics) {
        const value = doc[m.Name];
        for (const v of Array.isArray(value) ? value : [value]) {
          if (typeof v === 'number')
            this.world.region(region).cloudwatch.putMetric(directive.Namespace, m.Name, dims, v);
        }
      }
    }
  }
}
