/**
 * The sweep's `CertificateDaysLeft` (issue 13, item 5): the minimum days left over the certificates recorded
 * on the cluster's node records (`NODE#<instance>.cert.notAfter`, written by cert-rotation and node-bootstrap
 * after the served certificate was verified), published each sweep with the watch's namespace and dimensions
 * (`Cluster`, `Region`). The certificate-expiry alarm watches its Minimum and dispatch starts cert-rotation.
 * Only records of instances in the cluster's groups count (a record a lost drain left behind would otherwise
 * hold the metric down until it fired the alarm for a node that no longer exists); a node without a recorded
 * certificate is not counted (its days left are unknown: the census renews it as `missing`). No record with a
 * certificate: nothing is published (the alarm keeps its state on missing data).
 */
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { minDaysLeft } from '../core/cert-policy';
import { CERT_DAYS_LEFT_METRIC } from '../core/cert-triggers';
import { clusterPk, instanceOfNodeSk, NODE_SK_PREFIX } from '../core/keys';
import { cloudWatchSdk } from '../shared/clients/cloudwatch';
import { dynamoDocSdk } from '../shared/clients/dynamodb';
import { ENV, requireEnv } from '../shared/env';
import type { ScheduledEvent } from '../shared/event-envelope';
import type { LifecycleConfig } from '../shared/lifecycle-config';
import type { SweepDeps } from './paused';

/** What the sweep published: the minimum days left, over how many recorded certificates (of how many nodes). */
export interface CertificateCensus {
  readonly daysLeft?: number;
  readonly recorded: number;
  readonly nodes: number;
}

/** Every node record of the cluster (Query, all pages). */
async function nodeRecords(config: LifecycleConfig, deps: SweepDeps): Promise<Record<string, unknown>[]> {
  const { QueryCommand } = dynamoDocSdk();
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.clients.dynamoDoc().send(
      new QueryCommand({
        TableName: config.stateTable,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :node)',
        ExpressionAttributeValues: { ':pk': clusterPk(config.cluster), ':node': NODE_SK_PREFIX },
        ConsistentRead: true,
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** Publish `CertificateDaysLeft` for the sweep's minute (see the module comment). */
export async function publishCertificateDaysLeft(
  event: ScheduledEvent,
  config: LifecycleConfig,
  groups: readonly AutoScalingGroup[],
  deps: SweepDeps,
): Promise<CertificateCensus> {
  const { PutMetricDataCommand } = cloudWatchSdk();
  const namespace = requireEnv(ENV.metricNamespace, deps.env);
  const members = new Set(groups.flatMap((g) => (g.Instances ?? []).map((i) => i.InstanceId ?? '')));
  const records = (await nodeRecords(config, deps)).filter((r) => {
    const id = instanceOfNodeSk(String(r.sk ?? ''));
    return id !== undefined && members.has(id);
  });
  const now = new Date((deps.now ?? Date.now)());
  const daysLeft = minDaysLeft(records as { cert?: { notAfter?: unknown } }[], now);
  const recorded = records.filter(
    (r) => typeof (r.cert as { notAfter?: unknown })?.notAfter === 'string',
  ).length;
  if (daysLeft === undefined) return { recorded, nodes: members.size };
  await deps.clients.cloudWatch().send(
    new PutMetricDataCommand({
      Namespace: namespace,
      MetricData: [
        {
          MetricName: CERT_DAYS_LEFT_METRIC,
          Dimensions: [
            { Name: 'Cluster', Value: config.cluster },
            { Name: 'Region', Value: event.region },
          ],
          Timestamp: new Date(event.time),
          Value: daysLeft,
          Unit: 'None',
        },
      ],
    }),
  );
  if (recorded < members.size) {
    deps.logger.info('nodes without a recorded certificate are not counted', {
      recorded,
      nodes: members.size,
    });
  }
  return { daysLeft, recorded, nodes: members.size };
}
