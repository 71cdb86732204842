/**
 * Powertools singletons. One Logger, Metrics and Tracer per execution environment, shared by the handler
 * wrapper and domain code, so keys, dimensions and segments stay consistent within an invocation.
 *
 * Service name comes from `POWERTOOLS_SERVICE_NAME`, log level from `POWERTOOLS_LOG_LEVEL` (or Lambda's
 * advanced logging controls), tracing from `POWERTOOLS_TRACE_ENABLED`; the Tracer is a no-op outside Lambda.
 * Event payloads are never logged: the handler wrapper passes `logEvent: false`, which overrides
 * `POWERTOOLS_LOGGER_LOG_EVENT`, because lifecycle tokens and alarm data do not belong in logs.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { ENV, readEnv } from './env';

export const DEFAULT_METRICS_NAMESPACE = 'ArtifactoryHA';

export const logger = new Logger();

export const metrics = new Metrics({
  namespace: readEnv(ENV.powertoolsMetricsNamespace) || DEFAULT_METRICS_NAMESPACE,
});

export const tracer = new Tracer();

export { MetricUnit };

export interface Powertools {
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
}
