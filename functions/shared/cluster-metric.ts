/**
 * The operations metrics (issue 15: `InvalidEvent`, `RunsEnded`, …) carry exactly the dimensions their alarm
 * names, `{ Cluster, Region }` (+ `Outcome` for RunsEnded), and not Powertools' `service`: one alarm then covers
 * every function. Each datapoint is emitted at once (a single-metric EMF line), so it is counted even when the
 * invocation fails or times out afterwards.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { ENV, readEnv } from './env';
import { MetricUnit } from './powertools';

/** `{ Cluster, Region }` of this function, from its environment (`unknown` for what is unset). */
export function clusterDimensions(env?: NodeJS.ProcessEnv): { Cluster: string; Region: string } {
  return {
    Cluster: readEnv(ENV.clusterName, env) || 'unknown',
    Region: readEnv(ENV.awsRegion, env) || 'unknown',
  };
}

/** Emit `name` = `value` (Count) now, with exactly `dimensions`. */
export function emitClusterMetric(
  metrics: Metrics,
  name: string,
  dimensions: Readonly<Record<string, string>>,
  value = 1,
): void {
  const single = metrics.singleMetric();
  single.clearDefaultDimensions();
  single.addDimensions({ ...dimensions });
  single.addMetric(name, MetricUnit.Count, value);
}
