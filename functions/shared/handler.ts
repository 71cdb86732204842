/**
 * The wrapper every Lambda handler goes through: Powertools logging context and metrics (no ColdStart metric),
 * then validation of the raw event against a zod schema before any domain code runs.
 *
 * Errors are rethrown untouched so Step Functions can match `Retry`/`Catch` on their `name`, with one
 * exception: an AWS error the SDK calls retryable (throttling, 5xx) that outlasted the SDK's own retries
 * becomes a {@link TransientError} (the original as its `cause`), which every workflow's Lambda `Retry`
 * names. Domain errors and client errors (`ConditionalCheckFailedException` included) pass as they are.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import type { z } from 'zod/mini';
import type { ClientName, Clients } from './clients/base';
import { clusterDimensions, emitClusterMetric } from './cluster-metric';
import { isRetryable, TransientError, ValidationError } from './errors';
import { logger as defaultLogger, metrics as defaultMetrics, type Powertools } from './powertools';
import { parseOrThrow } from './validation';

/**
 * Metric emitted (count 1) for every event that fails validation, with dimensions exactly `{ Cluster, Region }`
 * (no `service`), so the one `invalid-events` alarm of a region covers every function.
 */
export const INVALID_EVENT_METRIC = 'InvalidEvent';

/**
 * What a domain function receives besides its validated event. `C` names the clients it may call: the handler
 * passes exactly those to {@link makeHandler}, and the type checker holds every function it calls to them.
 */
export interface HandlerContext<C extends ClientName = ClientName> extends Powertools {
  /** The Lambda invocation context. */
  lambda: Context;
  /** Aborted shortly before the Lambda times out, so long polls can stop cleanly. */
  signal: AbortSignal;
  clients: Pick<Clients, C>;
}

/**
 * What domain code takes from the handler context (with the clients `C` it calls), plus a clock (epoch
 * milliseconds; default `Date.now`) and an environment (default the process's) that tests and the twin replace.
 */
export type Deps<C extends ClientName = ClientName> = Pick<
  HandlerContext<C>,
  'clients' | 'logger' | 'metrics'
> & {
  now?: () => number;
  env?: NodeJS.ProcessEnv;
};

export interface HandlerOptions {
  /** What the schema validates, for log lines and error messages. Default `event`. */
  inputName?: string;
  /** Replace the shared Powertools instances (tests). */
  powertools?: Partial<Powertools>;
}

/** The Lambda entry point {@link makeHandler} returns. */
export type LambdaHandler<TResult> = (event: unknown, context: Context) => Promise<TResult>;

// @middy/core is ESM-only. A dynamic import is resolved with the `import` condition by TypeScript, esbuild
// (which bundles it) and Node alike, where a static import in this CommonJS module would not type-check.
// One import per process: every handler (and the twin, which waits for it as real I/O) shares the promise, so a
// handler's first call finds it settled.
const importMiddy = () => import('@middy/core');
let middyModule: ReturnType<typeof importMiddy> | undefined;
export const loadMiddy = () => {
  middyModule ??= importMiddy();
  return middyModule;
};

/**
 * Build a Lambda handler that validates its event with `schema` and then calls `fn` with the typed event and
 * `clients`: the getters (from functions/shared/clients/*) of the only clients the function may use, so its
 * bundle holds only their SDK packages.
 *
 * A malformed event never reaches `fn`: the handler logs the failing field paths (not their values),
 * emits the {@link INVALID_EVENT_METRIC} metric (at once, `{ Cluster, Region }`) and throws a {@link ValidationError} naming those paths.
 */
export function makeHandler<TEvent, TResult, C extends ClientName>(
  schema: z.core.$ZodType<TEvent>,
  clients: Pick<Clients, C>,
  fn: (event: TEvent, ctx: HandlerContext<C>) => Promise<TResult>,
  opts: HandlerOptions = {},
): LambdaHandler<TResult> {
  const logger = opts.powertools?.logger ?? defaultLogger;
  const metrics = opts.powertools?.metrics ?? defaultMetrics;
  const inputName = opts.inputName ?? 'event';

  const build = async (): Promise<LambdaHandler<TResult>> => {
    const { default: middy } = await loadMiddy();
    return middy(async (event: unknown, context: Context, { signal }: { signal: AbortSignal }) =>
      // The validation middleware has already replaced the raw event with the schema's output.
      fn(event as TEvent, { lambda: context, signal, logger, metrics, clients }).catch((err: unknown) => {
        throw asTransient(err);
      }),
    )
      .use(injectLambdaContext(logger, { logEvent: false, resetKeys: true }))
      .use(logMetrics(metrics, { captureColdStartMetric: false }))
      .use({
        before: (request: { event: unknown }) => {
          try {
            request.event = parseOrThrow(schema, request.event, inputName);
          } catch (err) {
            if (err instanceof ValidationError) {
              logger.error(`Invalid ${inputName}`, { errorName: err.name, issues: err.issues });
              emitClusterMetric(metrics, INVALID_EVENT_METRIC, clusterDimensions());
            }
            throw err;
          }
        },
      });
  };

  let handler: Promise<LambdaHandler<TResult>> | undefined;
  return async (event, context) => {
    handler ??= build();
    return (await handler)(event, context);
  };
}

/**
 * An AWS error worth retrying (see {@link isRetryable}) as a {@link TransientError} naming it; any other error
 * (a TransientError already, a domain error, a client error) as it is.
 */
export function asTransient(err: unknown): unknown {
  if (err instanceof TransientError || !isRetryable(err)) return err;
  const { name, message } = err as Error;
  return new TransientError(`${name}: ${message}`, { cause: err });
}
