/**
 * The routing Lambda's environment, for the CDK stack and the twin's deployment alike: the whole deployment it
 * acts on as one JSON object (functions/routing/settings.ts checks it on every call).
 */
import type { RoutingSettings } from '../functions/routing/settings';
import { ENV } from '../functions/shared/env';
import type { Config, RegionConfig } from './config/schema';
import { clusterReplicationTokenSecretId, REPLICATION_REPOS_MAX } from './ssm-documents';
import {
  canarySwitchAlarmName,
  METRIC_NAMESPACE,
  regionDegradedAlarmName,
  routingQuorum,
  routingVoters,
  switchAlarmName,
} from './stacks/names';

export interface RoutingEnvironmentOptions {
  /** This region's state table (its NODE items carry the nodes' certificates). */
  readonly stateTable: string;
  /** The account (the stack's; a CDK token resolves inside the JSON). Default `config.account`. */
  readonly account?: string;
}

/**
 * The routing Lambda's settings as its deployment in `region` sees them. `tables` names the routing table of
 * every voter (in AWS the same name in each: infra/stacks/names.ts `routingTableName`; in the twin
 * `<cluster>-routing-<region>`, dynalite being one server).
 */
export function routingSettings(
  config: Config,
  region: string | RegionConfig,
  tables: Readonly<Record<string, string>>,
  opts: RoutingEnvironmentOptions,
): RoutingSettings {
  const own = typeof region === 'string' ? region : region.name;
  const canary = config.failover.drill.canaryRecordName !== undefined;
  const voters = routingVoters(config);
  const missing = voters.filter((v) => tables[v] === undefined);
  if (missing.length > 0) throw new Error(`routingEnvironment: no routing table for ${missing.join(', ')}`);
  const account = opts.account ?? config.account;
  if (account === undefined) throw new Error('routingEnvironment: the account is unknown (config.account)');
  const f = config.failover;
  if (f.readiness.replicationRepos.length > REPLICATION_REPOS_MAX)
    throw new Error(
      `failover.readiness.replicationRepos: at most ${REPLICATION_REPOS_MAX} repositories (one ReadReplicationStatus command reads them)`,
    );
  return {
    cluster: config.cluster.name,
    region: own,
    account,
    namespace: METRIC_NAMESPACE,
    regions: config.regions.map((r) => ({
      name: r.name,
      targetGroupArns: r.targetGroupArns,
      primaryAsgName: r.primaryAsgName,
      memberAsgName: r.memberAsgName,
      switchAlarmName: switchAlarmName(config, r.name),
      ...(canary ? { canarySwitchAlarmName: canarySwitchAlarmName(config, r.name) } : {}),
      degradedAlarmName: regionDegradedAlarmName(config, r.name),
    })),
    voters,
    quorum: routingQuorum(config),
    tables: Object.fromEntries(voters.map((v) => [v, tables[v] as string])),
    driver: f.driver,
    minServingRegions: f.minServingRegions,
    flipWaitMinutes: f.flipWaitMinutes,
    restoreHysteresisMinutes: f.restoreHysteresisMinutes,
    noHealthyMinutes: f.degraded.noHealthyMinutes,
    readiness: {
      minCapacityShare: f.readiness.minCapacityShare,
      minCertificateDays: f.readiness.minCertificateDays,
      maxReplicationLagMinutes: f.readiness.maxReplicationLagMinutes,
      replicationRepos: f.readiness.replicationRepos,
      tokenSecretId: clusterReplicationTokenSecretId(config.cluster.name),
      evaluationMinutes: f.readiness.evaluationMinutes,
    },
    cooldownMinutes: config.automation.cooldownMinutes.regionalFailover,
    dailyBudget: config.automation.dailyBudget,
    automationEnabled: config.automation.enabled,
    mode: config.cluster.mode,
    minTaskNodes: config.cluster.minTaskNodes,
    routing: {
      ttlSeconds: config.routing.ttlSeconds,
      healthCheckIntervalSeconds: config.routing.healthCheckIntervalSeconds,
      healthCheckFailureThreshold: config.routing.healthCheckFailureThreshold,
    },
    canary,
    stateTable: opts.stateTable,
  };
}

/** The routing Lambda's environment (AWS_REGION comes from Lambda itself). */
export function routingEnvironment(
  config: Config,
  region: string | RegionConfig,
  tables: Readonly<Record<string, string>>,
  opts: RoutingEnvironmentOptions,
): Record<string, string> {
  return { [ENV.routingSettings]: JSON.stringify(routingSettings(config, region, tables, opts)) };
}
