/**
 * The readiness evaluation of the region this Lambda runs in (regional-readiness, on a schedule):
 * `readiness-target` names the node whose replication status the ReadReplicationStatus document reads, and
 * `assess` runs the region's checks, records `READINESS#<region>` in every reachable routing table and publishes
 * `RegionReady`.
 */
import { clusterPk, NODE_SK_PREFIX, readinessKey } from '../core/keys';
import {
  type Check,
  capacityCheck,
  certificateCheck,
  primaryCheck,
  type ReadinessRecord,
  replicationCheck,
} from '../core/regional-readiness';
import { cloudWatchIn, cloudWatchSdk } from '../shared/clients/cloudwatch';
import { dynamoDocIn, dynamoDocSdk } from '../shared/clients/dynamodb';
import type { OpInput } from './input';
import { healthyTargets, primaryInstances, type RoutingCtx, readinessRecord } from './observe';
import { type RoutingSettings, regionOf } from './settings';
import { eachVoter, okRegions } from './tables';

/** The metric the evaluation publishes (infra/stacks/names.ts REGION_READY_METRIC). */
export const REGION_READY_METRIC = 'RegionReady';

/**
 * The node to read replication status on: legacy, the primary (if it is a healthy target); cloud-native, the
 * first healthy node. Skipped when no repository is configured, or no such node exists (assess then reports
 * the replication check as not read). With a node, the document's parameters as SendCommand takes them.
 */
export async function readinessTarget(input: OpInput<'readiness-target'>, s: RoutingSettings) {
  const target = await pickTarget(input, s);
  if (target.instanceId === undefined) return target;
  return {
    ...target,
    parameters: {
      RepoKeys: [s.readiness.replicationRepos.join(',')],
      TokenSecretId: [s.readiness.tokenSecretId],
    },
  };
}

async function pickTarget(
  input: OpInput<'readiness-target'>,
  s: RoutingSettings,
): Promise<{ instanceId?: string; skip: boolean; reason: string }> {
  if (s.readiness.replicationRepos.length === 0)
    return { skip: true, reason: 'skipped: no repositories (failover.readiness.replicationRepos is empty)' };
  const r = regionOf(s, input.region);
  const healthy = await healthyTargets(r);
  if (healthy === undefined)
    return { skip: true, reason: `the target health of ${r.name} could not be read` };
  if (s.mode === 'legacy-primary') {
    const primary = (await primaryInstances(r))?.find((id) => healthy.has(id));
    return primary === undefined
      ? { skip: true, reason: `no healthy primary in ${r.name}` }
      : { instanceId: primary, skip: false, reason: 'the primary node' };
  }
  const node = [...healthy].sort()[0];
  return node === undefined
    ? { skip: true, reason: `no healthy node in ${r.name}` }
    : { instanceId: node, skip: false, reason: 'a healthy task node' };
}

/** The earliest certificates of this region's healthy nodes, from its own state table's NODE items. */
async function nodeCertificates(s: RoutingSettings, healthy: ReadonlySet<string>): Promise<string[]> {
  const { QueryCommand } = dynamoDocSdk();
  const out: string[] = [];
  let start: Record<string, unknown> | undefined;
  // Bounded: a page holds up to 1 MB of node items; 20 pages is far beyond any cluster.
  for (let page = 0; page < 20; page++) {
    const res = await dynamoDocIn(s.region).send(
      new QueryCommand({
        TableName: s.stateTable,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :node)',
        ExpressionAttributeValues: { ':pk': clusterPk(s.cluster), ':node': NODE_SK_PREFIX },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of res.Items ?? []) {
      const id = String(item.sk).slice(NODE_SK_PREFIX.length);
      const notAfter = (item.cert as { notAfter?: unknown } | undefined)?.notAfter;
      if (healthy.has(id) && typeof notAfter === 'string') out.push(notAfter);
    }
    start = res.LastEvaluatedKey;
    if (start === undefined) break;
  }
  return out;
}

/** Evaluate this region's readiness, record it and publish it. */
export async function assess(input: OpInput<'assess'>, s: RoutingSettings, ctx: RoutingCtx) {
  const now = ctx.now();
  const r = regionOf(s, input.region);
  const healthy = (await healthyTargets(r)) ?? new Set<string>();
  const others = await Promise.all(
    s.regions.filter((x) => x.name !== r.name).map((x) => readinessRecord(s, x.name)),
  );
  const largest = Math.max(0, ...others.map((o) => o?.servingNodes ?? 0));
  const primaries = s.mode === 'legacy-primary' ? ((await primaryInstances(r)) ?? []) : [];
  const certs = certificateCheck(await nodeCertificates(s, healthy), s.readiness.minCertificateDays, now);
  const replication = replicationCheck(
    s.readiness.replicationRepos,
    input.replication,
    s.readiness.maxReplicationLagMinutes,
    now,
  );
  const checks: Check[] = [
    capacityCheck(healthy.size, largest, s.readiness.minCapacityShare),
    primaryCheck(
      s.mode,
      { primaryHealthy: primaries.some((p) => healthy.has(p)), healthyNodes: healthy.size },
      s.minTaskNodes,
    ),
    certs.check,
    replication.check,
  ].map((c) => ({ ...c, region: r.name }));
  const ready = checks.every((c) => c.ok);
  const record: ReadinessRecord = {
    at: new Date(now).toISOString(),
    ready,
    checks,
    servingNodes: healthy.size,
    minCertificateDays: certs.daysLeft,
    replicationLagMinutes: replication.lagMinutes,
  };
  const { PutCommand } = dynamoDocSdk();
  const answers = await eachVoter(s, async (TableName, region) => {
    await dynamoDocIn(region).send(
      new PutCommand({ TableName, Item: { ...readinessKey(s.cluster, r.name), ...record } }),
    );
  });
  const { PutMetricDataCommand } = cloudWatchSdk();
  await cloudWatchIn(r.name).send(
    new PutMetricDataCommand({
      Namespace: s.namespace,
      MetricData: [
        {
          MetricName: REGION_READY_METRIC,
          Dimensions: [
            { Name: 'Cluster', Value: s.cluster },
            { Name: 'Region', Value: r.name },
          ],
          Value: ready ? 1 : 0,
          Unit: 'Count',
        },
      ],
    }),
  );
  ctx.logger.info('readiness assessed', { region: r.name, ready, failed: checks.filter((c) => !c.ok) });
  return { region: r.name, ready, checks, recordedIn: okRegions(answers) };
}
