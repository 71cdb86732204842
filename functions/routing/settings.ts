/**
 * The routing Lambda's deployment, one JSON object in {@link ENV.routingSettings}: built for CDK and the twin
 * by infra/routing.ts `routingEnvironment`, checked here on every call (a malformed one is a
 * {@link ConfigurationError} naming the field).
 */
import * as z from 'zod/mini';
import { ENV, requireEnv } from '../shared/env';
import { ConfigurationError } from '../shared/errors';
import { formatPath } from '../shared/validation';

const name = z.string().check(z.minLength(1));
const whole = z.int().check(z.gte(0));

export const RoutingSettingsSchema = z.strictObject({
  cluster: name,
  /** The region this Lambda runs in. */
  region: name,
  /** 12 digits (a CDK token until deployment resolves it). */
  account: name,
  /** CloudWatch namespace of the switch and readiness metrics. */
  namespace: name,
  regions: z
    .array(
      z.strictObject({
        name,
        targetGroupArns: z.array(name).check(z.minLength(1)),
        primaryAsgName: name,
        memberAsgName: name,
        /** The switch alarm of this region (one copy of it in every region, same name). */
        switchAlarmName: name,
        /** The canary record's switch alarm of this region, when a canary is configured. */
        canarySwitchAlarmName: z.optional(name),
        /** The region's degraded alarm (in the region itself): the restore hysteresis reads it. */
        degradedAlarmName: name,
      }),
    )
    .check(z.minLength(1)),
  /** The regions holding a routing table (every configured region, then the witness). */
  voters: z.array(name).check(z.minLength(1)),
  quorum: z.int().check(z.gte(1)),
  /** Routing table name per voter region. */
  tables: z.record(z.string(), name),
  driver: z.enum(['cloudwatch-switch', 'route53-api']),
  minServingRegions: z.int().check(z.gte(1)),
  flipWaitMinutes: whole,
  restoreHysteresisMinutes: whole,
  noHealthyMinutes: z.int().check(z.gte(1)),
  readiness: z.strictObject({
    minCapacityShare: z.number().check(z.gt(0)),
    minCertificateDays: whole,
    maxReplicationLagMinutes: z.int().check(z.gte(1)),
    /** At most 20: what one ReadReplicationStatus command reads (infra/ssm-documents REPLICATION_REPOS_MAX). */
    replicationRepos: z.array(name).check(z.maxLength(20)),
    /** The secret ReadReplicationStatus reads on the node (infra/ssm-documents `clusterReplicationTokenSecretId`). */
    tokenSecretId: name,
    evaluationMinutes: z.int().check(z.gte(1)),
  }),
  cooldownMinutes: whole,
  dailyBudget: whole,
  automationEnabled: z.boolean(),
  mode: z.enum(['legacy-primary', 'cloud-native']),
  minTaskNodes: z.int().check(z.gte(1)),
  routing: z.strictObject({
    ttlSeconds: z.int().check(z.gte(1)),
    healthCheckIntervalSeconds: z.int().check(z.gte(1)),
    healthCheckFailureThreshold: z.int().check(z.gte(1)),
  }),
  /** A canary record is configured (live drills flip its switch). */
  canary: z.boolean(),
  /** This region's state table (its NODE items carry the certificates). */
  stateTable: name,
});
export type RoutingSettings = z.infer<typeof RoutingSettingsSchema>;
export type RegionSettings = RoutingSettings['regions'][number];

/** Read and check the settings; cross-field rules (own region configured, a table per voter) included. */
export function loadRoutingSettings(env?: NodeJS.ProcessEnv): RoutingSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(requireEnv(ENV.routingSettings, env));
  } catch (err) {
    if (err instanceof ConfigurationError) throw err;
    throw new ConfigurationError(`${ENV.routingSettings} is not JSON`);
  }
  const parsed = RoutingSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => formatPath(i.path)).join(', ');
    throw new ConfigurationError(`${ENV.routingSettings} is invalid: ${fields}`);
  }
  const s = parsed.data;
  const regions = s.regions.map((r) => r.name);
  if (!regions.includes(s.region))
    throw new ConfigurationError(`${ENV.routingSettings}: region ${s.region} is not among regions`);
  for (const v of s.voters)
    if (s.tables[v] === undefined)
      throw new ConfigurationError(`${ENV.routingSettings}: no routing table for voter ${v}`);
  if (s.quorum !== Math.floor(s.voters.length / 2) + 1)
    throw new ConfigurationError(`${ENV.routingSettings}: quorum must be a majority of the voters`);
  return s;
}

/** The settings of a configured region (the caller has validated the name). */
export function regionOf(s: RoutingSettings, region: string): RegionSettings {
  const r = s.regions.find((x) => x.name === region);
  if (r === undefined) throw new ConfigurationError(`region ${region} is not configured`);
  return r;
}
