import type { CloudWatchRegion } from '@aws-sdk/client-route-53';
import type { Config, RegionConfig } from '../infra/config/schema';
import {
  CANARY_SERVING_METRIC,
  canarySwitchAlarmName,
  METRIC_NAMESPACE,
  REGION_SERVING_METRIC,
  routingVoters,
  switchAlarmName,
  switchCopyRegions,
} from '../infra/stacks/names';
import type { RegionLayout, TwinRuntime, WorldLayout } from './layout';
import { registerProjectDocuments } from './services/documents';
import type { Elbv2Sim } from './services/elbv2';

/**
 * Application Load Balancer target group defaults (ELB user guide, "Health checks for Application Load
 * Balancer target groups": interval 30 s, healthy threshold 5, unhealthy threshold 2; "Deregistration
 * delay": 300 s).
 */
const ALB_TARGET_GROUP_DEFAULTS = {
  healthCheckIntervalSeconds: 30,
  healthyThresholdCount: 5,
  unhealthyThresholdCount: 2,
  deregistrationDelaySeconds: 300,
};

/**
 * The twin's DynamoDB table names in a region (CDK lets CloudFormation name the real ones). The routing table
 * has one deterministic name in every region on AWS (`routingTableName`); dynalite is one server for every
 * region, so the twin suffixes the region.
 */
export function tableNames(config: Config, region: string) {
  return {
    stateTable: `${config.cluster.name}-state-${region}`,
    routingTable: `${config.cluster.name}-routing-${region}`,
  };
}

/**
 * The routing tables of the quorum's voters (every configured region, then the witness): what the routing
 * Lambda is given as `tables`.
 */
export function routingTables(config: Config): Record<string, string> {
  return Object.fromEntries(routingVoters(config).map((r) => [r, tableNames(config, r).routingTable]));
}

/**
 * Creates the state table of every region and the routing table of every voter (the witness region too: it
 * is no World region, it has only this table, and `faults.regionDown(witness)` fails its calls) in dynalite,
 * as the control-plane and witness stacks define them. Runs on real time, before the virtual clock is
 * installed: only the twin's driver may await I/O on virtual time.
 */
export async function createTables(twin: TwinRuntime): Promise<void> {
  for (const region of twin.world.regionNames) {
    const { stateTable } = tableNames(twin.world.config, region);
    await twin.dynamo.createTable(region, stateTable, { sortKey: 'sk', ttlAttribute: 'ttl' });
  }
  for (const [region, table] of Object.entries(routingTables(twin.world.config)))
    await twin.dynamo.createTable(region, table, { sortKey: 'sk' });
}

/**
 * Builds the seed architecture the config describes, in every region: the cluster's two Auto Scaling groups
 * (1 primary + `members` members, already serving at t=0), the ALB target group, the master and join keys in
 * Secrets Manager, the project's SSM documents, the notification topic, and
 * the same switch alarm, health checks and latency records the CDK stacks create (names from
 * infra/stacks/names.ts, settings from the config, so the twin and the deployment cannot drift apart).
 */
export async function buildWorld(
  twin: TwinRuntime,
  opts: { members?: number; controlPlane?: boolean } = {},
): Promise<WorldLayout> {
  const { world } = twin;
  const config = world.config;
  const regions = new Map<string, RegionLayout>();
  // Every region's control-plane stack holds a copy of every region's switch alarm (and canary switch), so the
  // copies exist before any health check refers to them.
  for (const rc of config.regions) putSwitchCopies(twin, config, rc.name);
  world.route53.createHostedZone(config.routing.hostedZoneId);
  for (const rc of config.regions) {
    regions.set(rc.name, await buildRegion(twin, config, rc, opts.members ?? 2, opts.controlPlane ?? true));
  }
  return { regions, routingTables: routingTables(config) };
}

/** The switch alarms ControlPlaneStack creates in `inRegion`: one copy per configured region (and canary). */
function putSwitchCopies(twin: TwinRuntime, config: Config, inRegion: string): void {
  const cw = twin.world.region(inRegion).cloudwatch;
  const copy = (name: string, metricName: string, switched: string) =>
    cw.putAlarm({
      name,
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensions: { Cluster: config.cluster.name, Region: switched },
      statistic: 'Minimum',
      periodSeconds: 60,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: 1,
      comparison: 'LessThanThreshold',
      treatMissingData: 'ignore',
    });
  for (const switched of config.regions.map((r) => r.name)) {
    copy(switchAlarmName(config, switched), REGION_SERVING_METRIC, switched);
    if (config.failover.drill.canaryRecordName !== undefined)
      copy(canarySwitchAlarmName(config, switched), CANARY_SERVING_METRIC, switched);
  }
}

/**
 * Health checks of one record in region X as GlobalRoutingStack defines them: the endpoint check, one
 * CLOUDWATCH_METRIC check per copy of X's switch alarm (LastKnownStatus: a lost CloudWatch region keeps each
 * copy's last state; a new check with no data is healthy), and the flat calculated check that ANDs them.
 */
function recordChecks(
  twin: TwinRuntime,
  config: Config,
  endpoint: string,
  alarmName: string,
): { copies: Record<string, string>; calculated: string } {
  const copies: Record<string, string> = {};
  for (const copyRegion of switchCopyRegions(config)) {
    copies[copyRegion] = twin.world.route53.createHealthCheck({
      Type: 'CLOUDWATCH_METRIC',
      AlarmIdentifier: { Region: copyRegion as CloudWatchRegion, Name: alarmName },
      InsufficientDataHealthStatus: 'LastKnownStatus',
    });
  }
  const children = [endpoint, ...switchCopyRegions(config).map((r) => copies[r] as string)];
  const calculated = twin.world.route53.createHealthCheck({
    Type: 'CALCULATED',
    ChildHealthChecks: children,
    HealthThreshold: children.length,
  });
  return { copies, calculated };
}

async function buildRegion(
  twin: TwinRuntime,
  config: Config,
  rc: RegionConfig,
  members: number,
  controlPlane: boolean,
): Promise<RegionLayout> {
  const { world } = twin;
  const r = world.region(rc.name);
  const cluster = config.cluster.name;
  const rng = world.rng.fork(`setup/${rc.name}`);

  const masterKeySecret = `${cluster}/master-key`;
  const joinKeySecret = `${cluster}/join-key`;
  r.secretsmanager.putSecret(masterKeySecret, rng.hex(64));
  r.secretsmanager.putSecret(joinKeySecret, rng.hex(32));
  registerProjectDocuments(r.ssm, cluster);

  const targetGroupArn = rc.targetGroupArns[0] as string;
  r.elbv2.createTargetGroup({ arn: targetGroupArn, ...ALB_TARGET_GROUP_DEFAULTS });

  const { stateTable } = tableNames(config, rc.name);
  const topicArn = r.sns.createTopic(`${cluster}-control-plane`);

  const switchAlarm = switchAlarmName(config, rc.name);
  const unhealthyTargetsAlarm = `${cluster}-${rc.name}-unhealthy-targets`;
  r.cloudwatch.putAlarm({
    name: unhealthyTargetsAlarm,
    namespace: 'AWS/ApplicationELB',
    metricName: 'UnHealthyHostCount',
    dimensions: (r.services.elbv2 as Elbv2Sim).metricDimensions(targetGroupArn),
    statistic: 'Maximum',
    periodSeconds: 60,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    threshold: 0,
    comparison: 'GreaterThanThreshold',
    treatMissingData: 'notBreaching',
  });

  // Health checks and the latency record exactly as GlobalRoutingStack defines them.
  world.route53.registerAlb(rc.alb.dnsName, rc.name);
  const endpoint = world.route53.createHealthCheck({
    Type: 'HTTPS',
    FullyQualifiedDomainName: rc.alb.dnsName,
    Port: 443,
    ResourcePath: rc.alb.healthPath,
    EnableSNI: true,
    RequestInterval: config.routing.healthCheckIntervalSeconds,
    FailureThreshold: config.routing.healthCheckFailureThreshold,
  });
  const main = recordChecks(twin, config, endpoint, switchAlarm);
  world.route53.createLatencyRecord({
    name: config.routing.recordName,
    setIdentifier: rc.name,
    region: rc.name,
    value: rc.alb.dnsName,
    healthCheckId: main.calculated,
    hostedZoneId: config.routing.hostedZoneId,
    ttl: config.routing.ttlSeconds,
  });
  const canaryName = config.failover.drill.canaryRecordName;
  const canary =
    canaryName === undefined
      ? undefined
      : recordChecks(twin, config, endpoint, canarySwitchAlarmName(config, rc.name));
  if (canaryName !== undefined && canary) {
    world.route53.createLatencyRecord({
      name: canaryName,
      setIdentifier: rc.name,
      region: rc.name,
      value: rc.alb.dnsName,
      healthCheckId: canary.calculated,
      hostedZoneId: config.routing.hostedZoneId,
      ttl: config.routing.ttlSeconds,
    });
  }

  // The seed deployment's groups: a one-instance primary group and the members, ELB health checks.
  const common = {
    azs: r.azs,
    targetGroupArns: rc.targetGroupArns,
    healthCheckType: 'ELB' as const,
    healthCheckGracePeriodSeconds: 900,
    // With the control plane, new nodes wait for node-bootstrap; without it, the seed's user data configures them.
    bootstrap: controlPlane ? ('none' as const) : ('user-data' as const),
  };
  r.autoscaling.createGroup({
    ...common,
    name: rc.primaryAsgName,
    min: 1,
    max: 1,
    desired: 1,
    role: 'primary',
  });
  r.autoscaling.createGroup({
    ...common,
    name: rc.memberAsgName,
    min: members,
    max: members + 4,
    desired: members,
    role: 'member',
  });

  return {
    region: rc.name,
    primaryGroup: rc.primaryAsgName,
    memberGroup: rc.memberAsgName,
    targetGroupArn,
    albDnsName: rc.alb.dnsName,
    stateTable,
    topicArn,
    masterKeySecret,
    joinKeySecret,
    switchAlarm,
    unhealthyTargetsAlarm,
    healthChecks: {
      endpoint,
      switch: main.copies[rc.name] as string,
      calculated: main.calculated,
      copies: main.copies,
    },
    ...(canary ? { canaryHealthChecks: canary } : {}),
  };
}
