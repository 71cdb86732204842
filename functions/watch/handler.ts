/**
 * watch (what triggers primary-failover): every minute, whether the primary group's instance is InService
 * and healthy behind the ALB, published as the `PrimaryHealthy` metric (1 or 0) that the primary-unhealthy
 * alarm watches. A metric rather than a direct start: the alarm's datapoints-to-alarm smooths one failed ALB
 * check, its state changes are visible to operators, and EventBridge routes them to dispatch like any alarm.
 */
import { PRIMARY_HEALTHY_METRIC } from '../core/failover';
import { autoScaling, autoScalingSdk } from '../shared/clients/auto-scaling';
import { cloudWatch, cloudWatchSdk } from '../shared/clients/cloudwatch';
import { elbv2, elbv2Sdk } from '../shared/clients/elbv2';
import { ENV, requireEnv } from '../shared/env';
import { type ScheduledEvent, ScheduledEventSchema } from '../shared/event-envelope';
import { type HandlerContext, makeHandler } from '../shared/handler';

/** 1 when an InService instance of the primary group is a healthy target, else 0. */
export function primaryHealthy(
  instances: readonly { id: string; state: string }[],
  targets: ReadonlyMap<string, string>,
): 0 | 1 {
  return instances.some((i) => i.state === 'InService' && targets.get(i.id) === 'healthy') ? 1 : 0;
}

/** One look: publish the `PrimaryHealthy` datapoint for the event's minute and return it. */
export async function watch(
  event: ScheduledEvent,
  ctx: Pick<HandlerContext<'autoScaling' | 'elbv2' | 'cloudWatch'>, 'clients' | 'logger'>,
  env?: NodeJS.ProcessEnv,
): Promise<{ primaryHealthy: 0 | 1 }> {
  const { DescribeAutoScalingGroupsCommand } = autoScalingSdk();
  const { DescribeTargetHealthCommand } = elbv2Sdk();
  const { PutMetricDataCommand } = cloudWatchSdk();
  const cluster = requireEnv(ENV.clusterName, env);
  const group = requireEnv(ENV.primaryAsgName, env);
  const targetGroupArn = requireEnv(ENV.targetGroupArn, env);
  const namespace = requireEnv(ENV.metricNamespace, env);
  const [groups, health] = await Promise.all([
    ctx.clients.autoScaling().send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] })),
    ctx.clients.elbv2().send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })),
  ]);
  const instances = (groups.AutoScalingGroups?.[0]?.Instances ?? []).map((i) => ({
    id: i.InstanceId ?? '',
    state: i.LifecycleState ?? '',
  }));
  const targets = new Map(
    (health.TargetHealthDescriptions ?? []).map((t) => [t.Target?.Id ?? '', t.TargetHealth?.State ?? '']),
  );
  const value = primaryHealthy(instances, targets);
  await ctx.clients.cloudWatch().send(
    new PutMetricDataCommand({
      Namespace: namespace,
      MetricData: [
        {
          MetricName: PRIMARY_HEALTHY_METRIC,
          Dimensions: [
            { Name: 'Cluster', Value: cluster },
            { Name: 'Region', Value: event.region },
          ],
          Timestamp: new Date(event.time),
          Value: value,
          Unit: 'Count',
        },
      ],
    }),
  );
  if (value === 0)
    ctx.logger.warn('no healthy primary behind the ALB', { group, instances: instances.length });
  return { primaryHealthy: value };
}

export const handler = makeHandler(
  ScheduledEventSchema,
  { autoScaling, elbv2, cloudWatch },
  (event, ctx) => watch(event, ctx),
  {
    inputName: 'scheduled event',
  },
);
