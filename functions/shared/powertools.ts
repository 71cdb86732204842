/**
 * Powertools singletons. One Logger and one Metrics per execution environment, shared by the handler wrapper
 * and domain code, so keys and dimensions stay consistent within an invocation.
 *
 * Service name comes from `POWERTOOLS_SERVICE_NAME`, log level from `POWERTOOLS_LOG_LEVEL` (or Lambda's
 * advanced logging controls). No Tracer: it brings the X-Ray SDK into every bundle and its load into every
 * cold start, for a segment the workflows' histories and the functions' metrics already tell
 * (docs/performance.md, "Tracing").
 * Event payloads are never logged: the handler wrapper passes `logEvent: false`, which overrides
 * `POWERTOOLS_LOGGER_LOG_EVENT`, because lifecycle tokens and alarm data do not belong in logs.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ENV, readEnv } from './env';

export const DEFAULT_METRICS_NAMESPACE = 'ArtifactoryHA';

export const logger = new Logger();

export const metrics = new Metrics({
  namespace: readEnv(ENV.powertoolsMetricsNamespace) || DEFAULT_METRICS_NAMESPACE,
});

export { MetricUnit };

export interface Powertools {
  logger: Logger;
  metrics: Metrics;
}
