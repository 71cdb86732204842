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

/** The metric a live drill flips instead of {@link REGION_SERVING_METRIC}: the canary record's switch. */
export const CANARY_SERVING_METRIC = 'CanaryServing';

/**
 * Where region `switched`'s switch lives: a copy of its switch alarm in EVERY configured region (same name in
 * each; an alarm name is unique per region), over {@link REGION_SERVING_METRIC} with dimensions
 * `{ Cluster, Region: switched }` published in that copy's region. The region's health is the AND of every copy
 * (statemachines/regional-failover.md, "Where the switch lives").
 */
export function switchCopyRegions(config: Config): string[] {
  return config.regions.map((r) => r.name);
}

/** The canary record's switch alarm for region `region` (copies like the real switch), when a canary is configured. */
export function canarySwitchAlarmName(config: Config, region: string): string {
  return `${config.cluster.name}-${region}-canary-serving`;
}

/** The region's health alarm (in the region itself) whose ALARM starts an automatic evacuation of it. */
export function regionDegradedAlarmName(config: Config, region: string): string {
  return `${config.cluster.name}-${region}-region-degraded`;
}

/** The metric the readiness evaluation publishes in each region: 1 = it could take over, 0 = it could not. */
export const REGION_READY_METRIC = 'RegionReady';

/** The alarm (in the region itself) on {@link REGION_READY_METRIC}: the region could not take over. */
export function readinessAlarmName(config: Config, region: string): string {
  return `${config.cluster.name}-${region}-not-ready`;
}

/**
 * The routing table: one per configured region and one in the witness region, the same name in each, so any
 * region's control plane can address every copy (`arn:aws:dynamodb:<region>:<account>:table/<name>`).
 */
export function routingTableName(config: Config): string {
  return `${config.cluster.name}-routing`;
}

/** The regions holding a routing table: every configured region, then the witness (the quorum's voters). */
export function routingVoters(config: Config): string[] {
  const names = config.regions.map((r) => r.name);
  return config.failover.witnessRegion === undefined ? names : [...names, config.failover.witnessRegion];
}

/** A majority of {@link routingVoters}. */
export function routingQuorum(config: Config): number {
  return Math.floor(routingVoters(config).length / 2) + 1;
}

/**
 * Workflows a control plane in another region starts or inspects get a fixed name (the others keep CDK's), so
 * `arn:aws:states:<region>:<account>:stateMachine:<name>` is known in every region.
 */
export function fixedStateMachineName(config: Config, workflow: 'regional-failover'): string {
  return `${config.cluster.name}-${workflow}`;
}

export function witnessStackName(config: Config): string {
  return `${config.cluster.name}-routing-witness`;
}
