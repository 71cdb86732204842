import type { Config } from '../config/schema';

/** CloudWatch namespace of every metric the control plane publishes. */
export const METRIC_NAMESPACE = 'ArtifactoryHA';

/** The metric Route 53 watches through the switch alarm: 1 = the region serves, 0 = evacuated. */
export const REGION_SERVING_METRIC = 'RegionServing';

/**
 * The switch alarm's name. The regional stack creates it and the global stack's health check references it
 * by name and region, so both derive it here (CloudFormation cannot reference across regions).
 */
export function switchAlarmName(config: Config, region: string): string {
  return `${config.cluster.name}-${region}-region-serving`;
}

export function controlPlaneStackName(config: Config, region: string): string {
  return `${config.cluster.name}-control-plane-${region}`;
}

export function globalRoutingStackName(config: Config): string {
  return `${config.cluster.name}-global-routing`;
}
