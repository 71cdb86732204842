import type { CloudWatchRegion } from '@aws-sdk/client-route-53';
import type { Config, RegionConfig } from '../infra/config/schema';
import {
  albMetricDimensions,
  type DegradedAlarmSpec,
  type MetricAlarmSpec,
  type RoutingRecordSpec,
  readinessAlarmSpec,
  regionDegradedAlarmSpec,
  routingRecords,
  switchCopiesIn,
} from '../infra/regional-routing';
import { clusterReplicationTokenSecretId } from '../infra/ssm-documents';
import { routingVoters, switchAlarmName } from '../infra/stacks/names';
import type { AlarmSpec } from './core/contracts';
import type { RegionLayout, TwinRuntime, WorldLayout } from './layout';
import { registerProjectDocuments } from './services/documents';
import { DEFAULT_REQUESTS_PER_MINUTE, type Elbv2Sim } from './services/elbv2';

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

/**
 * The switch alarm copies ControlPlaneStack creates in `inRegion`: one per configured region's switch, per kind
 * (serving, and canary when configured), from infra/regional-routing.ts as the stack itself.
 */
function putSwitchCopies(twin: TwinRuntime, config: Config, inRegion: string): void {
  const cw = twin.world.region(inRegion).cloudwatch;
  for (const copy of switchCopiesIn(config, inRegion)) cw.putAlarm(metricAlarm(copy.alarm));
}

function metricAlarm(spec: MetricAlarmSpec): AlarmSpec {
  return { ...spec, dimensions: { ...spec.dimensions } };
}

/** The degraded alarm's metric math, in the twin CloudWatch's shape (sim/services/cloudwatch-math.ts). */
function mathAlarm(spec: DegradedAlarmSpec): AlarmSpec {
  return {
    name: spec.name,
    namespace: '',
    metricName: '',
    dimensions: {},
    statistic: 'Maximum',
    periodSeconds: spec.periodSeconds,
    evaluationPeriods: spec.evaluationPeriods,
    datapointsToAlarm: spec.datapointsToAlarm,
    threshold: spec.threshold,
    comparison: spec.comparison,
    treatMissingData: spec.treatMissingData,
    math: {
      expression: spec.expression,
      metrics: spec.metrics.map((m) => ({ ...m, dimensions: { ...m.dimensions } })),
    },
  };
}

/**
 * The world's premise is a deployment already serving at t=0, but its CloudWatch would start empty: an alarm
 * whose missing data breaches (the degraded and readiness alarms) would then fire at its first evaluation, as a
 * real alarm would over a region with no history. So the twin writes the history a serving, ready region has
 * (its ALB's healthy targets and requests each minute, and the readiness evaluation's RegionReady = 1 each
 * period) over the evaluation ranges before t=0; everything after t=0 is the world's own.
 */
function seedHistory(
  twin: TwinRuntime,
  region: string,
  degraded: DegradedAlarmSpec,
  readiness: MetricAlarmSpec,
  nodes: number,
): void {
  const cw = twin.world.region(region).cloudwatch;
  const now = twin.world.clock.now();
  const minutes = degraded.evaluationPeriods + 2;
  for (let k = 1; k <= minutes; k++) {
    const at = now - k * 60_000;
    for (const m of degraded.metrics) {
      const value =
        m.metricName === 'HealthyHostCount'
          ? nodes
          : m.metricName === 'RequestCount'
            ? DEFAULT_REQUESTS_PER_MINUTE
            : 0;
      // ELB reports counts only when nonzero (sim/services/elbv2.ts, [Metrics]).
      if (value > 0) cw.putMetric(m.namespace, m.metricName, m.dimensions, value, at);
    }
  }
  for (let k = 1; k <= readiness.evaluationPeriods + 2; k++)
    cw.putMetric(
      readiness.namespace,
      readiness.metricName,
      readiness.dimensions,
      1,
      now - k * readiness.periodSeconds * 1000,
    );
}

/**
 * The health checks and latency record of one routing record as GlobalRoutingStack creates them: one CLOUDWATCH_METRIC
 * check per copy of the region's switch (LastKnownStatus: a lost CloudWatch region keeps each copy's last state;
 * a new check with no data is healthy), and the flat calculated check that ANDs the endpoint check and the copies.
 */
function buildRecord(
  twin: TwinRuntime,
  spec: RoutingRecordSpec,
  endpoint: string,
): { copies: Record<string, string>; calculated: string } {
  const route53 = twin.world.route53;
  const copies: Record<string, string> = {};
  for (const copy of spec.copies) {
    copies[copy.copyRegion] = route53.createHealthCheck({
      Type: 'CLOUDWATCH_METRIC',
      AlarmIdentifier: { Region: copy.copyRegion as CloudWatchRegion, Name: copy.alarmName },
      InsufficientDataHealthStatus: copy.insufficientDataHealthStatus,
    });
  }
  const calculated = route53.createHealthCheck({
    Type: 'CALCULATED',
    ChildHealthChecks: [endpoint, ...spec.copies.map((c) => copies[c.copyRegion] as string)],
    HealthThreshold: spec.healthThreshold,
  });
  route53.createLatencyRecord({
    name: spec.recordName,
    setIdentifier: spec.region,
    region: spec.region,
    value: spec.target,
    healthCheckId: calculated,
    hostedZoneId: twin.world.config.routing.hostedZoneId,
    ttl: spec.ttlSeconds,
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
  // The replication API's access token (ReadReplicationStatus reads it on the node); its own random stream,
  // so the setup's other draws are unchanged.
  r.secretsmanager.putSecret(
    clusterReplicationTokenSecretId(cluster),
    world.rng.fork(`setup/${rc.name}/replication-token`).hex(40),
  );
  registerProjectDocuments(r.ssm, cluster);

  const targetGroupArn = rc.targetGroupArns[0] as string;
  const elbv2 = r.services.elbv2 as Elbv2Sim;
  // The ALB the config names, so its metrics carry the LoadBalancer dimension the degraded alarm reads.
  elbv2.useLoadBalancerArn(rc.alb.arn);
  r.elbv2.createTargetGroup({ arn: targetGroupArn, ...ALB_TARGET_GROUP_DEFAULTS });

  const { stateTable } = tableNames(config, rc.name);
  const topicArn = r.sns.createTopic(`${cluster}-control-plane`);

  const switchAlarm = switchAlarmName(config, rc.name);
  const unhealthyTargetsAlarm = `${cluster}-${rc.name}-unhealthy-targets`;
  r.cloudwatch.putAlarm({
    name: unhealthyTargetsAlarm,
    namespace: 'AWS/ApplicationELB',
    metricName: 'UnHealthyHostCount',
    dimensions: elbv2.metricDimensions(targetGroupArn),
    statistic: 'Maximum',
    periodSeconds: 60,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    threshold: 0,
    comparison: 'GreaterThanThreshold',
    treatMissingData: 'notBreaching',
  });
  // The region's degraded alarm (metric math over its ALB; dispatch evacuates on it) and readiness alarm.
  const degradedAlarm = regionDegradedAlarmSpec(config, rc.name, albMetricDimensions(rc));
  r.cloudwatch.putAlarm(mathAlarm(degradedAlarm));
  const readinessAlarm = readinessAlarmSpec(config, rc.name);
  r.cloudwatch.putAlarm(metricAlarm(readinessAlarm));
  seedHistory(twin, rc.name, degradedAlarm, readinessAlarm, members + 1);

  // Health checks and the latency record exactly as GlobalRoutingStack defines them.
  world.route53.registerAlb(rc.alb.dnsName, rc.name);
  const records = routingRecords(config).filter((spec) => spec.region === rc.name);
  const serving = records.find((spec) => spec.kind === 'serving') as RoutingRecordSpec;
  const ep = serving.endpoint;
  const endpoint = world.route53.createHealthCheck({
    Type: 'HTTPS',
    FullyQualifiedDomainName: ep.fullyQualifiedDomainName,
    Port: ep.port,
    ResourcePath: ep.resourcePath,
    EnableSNI: ep.enableSni,
    RequestInterval: ep.requestInterval,
    FailureThreshold: ep.failureThreshold,
  });
  const main = buildRecord(twin, serving, endpoint);
  const canarySpec = records.find((spec) => spec.kind === 'canary');
  const canary = canarySpec ? buildRecord(twin, canarySpec, endpoint) : undefined;

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
    degradedAlarm: degradedAlarm.name,
    readinessAlarm: readinessAlarm.name,
    healthChecks: {
      endpoint,
      switch: main.copies[rc.name] as string,
      calculated: main.calculated,
      copies: main.copies,
    },
    ...(canary ? { canaryHealthChecks: canary } : {}),
  };
}
