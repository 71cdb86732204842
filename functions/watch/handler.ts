/**
 * watch (what triggers primary-failover): every minute, whether the primary group's instance is InService
 * and healthy behind the ALB, published as the `PrimaryHealthy` metric (1 or 0) that the primary-unhealthy
 * alarm watches. A metric rather than a direct start: the alarm's datapoints-to-alarm smooths one failed ALB
 * check, its state changes are visible to operators, and EventBridge routes them to dispatch like any alarm.
 * A primary that is down while a running cert-rotation execution holds the `cluster` lease is a planned
 * restart: the reading is held back, within a bound (functions/core/planned-restart.ts).
 * The datapoint is an embedded-metric-format line (CloudWatch Logs turns it into the metric), not a
 * PutMetricData call: a call a minute cost $0.44 a month per region (docs/performance.md, "Idle cost").
 */
import { PRIMARY_HEALTHY_METRIC } from '../core/failover';
import { PRIMARY_RESTART_PLANNED_METRIC, type WatchVerdict } from '../core/planned-restart';
import { autoScaling, autoScalingSdk } from '../shared/clients/auto-scaling';
import { dynamoDoc } from '../shared/clients/dynamodb';
import { elbv2, elbv2Sdk } from '../shared/clients/elbv2';
import { sfn } from '../shared/clients/sfn';
import { ENV, requireEnv } from '../shared/env';
import { type ScheduledEvent, ScheduledEventSchema } from '../shared/event-envelope';
import { type HandlerContext, makeHandler } from '../shared/handler';
import { emfLine } from './emf';
import { plannedRestart } from './planned';

/** 1 when an InService instance of the primary group is a healthy target, else 0. */
export function primaryHealthy(
  instances: readonly { id: string; state: string }[],
  targets: ReadonlyMap<string, string>,
): 0 | 1 {
  return instances.some((i) => i.state === 'InService' && targets.get(i.id) === 'healthy') ? 1 : 0;
}

/**
 * One look: publish the `PrimaryHealthy` datapoint for the event's minute and return it, or, during a planned
 * restart, `PrimaryRestartPlanned` instead. `write` takes the EMF line (stdout: Lambda sends it to CloudWatch
 * Logs as it is, whatever the function's log format).
 */
export async function watch(
  event: ScheduledEvent,
  ctx: Pick<HandlerContext<'autoScaling' | 'elbv2' | 'dynamoDoc' | 'sfn'>, 'clients' | 'logger'>,
  env?: NodeJS.ProcessEnv,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<{ primaryHealthy: 0 | 1; verdict: WatchVerdict['kind'] }> {
  const { DescribeAutoScalingGroupsCommand } = autoScalingSdk();
  const { DescribeTargetHealthCommand } = elbv2Sdk();
  const cluster = requireEnv(ENV.clusterName, env);
  const group = requireEnv(ENV.primaryAsgName, env);
  const targetGroupArn = requireEnv(ENV.targetGroupArn, env);
  const namespace = requireEnv(ENV.metricNamespace, env);
  const planned = {
    cluster,
    stateTable: requireEnv(ENV.stateTable, env),
    certRotationArn: requireEnv(ENV.certRotationStateMachineArn, env),
  };
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
  const at = new Date(event.time);
  const verdict =
    value === 1 ? ({ kind: 'healthy' } as const) : await plannedRestart(planned, at.getTime(), ctx);
  const held = verdict.kind === 'planned';
  // The event's minute as the datapoint's time, so a late invocation does not smear two minutes into one.
  write(
    emfLine({
      namespace,
      metricName: held ? PRIMARY_RESTART_PLANNED_METRIC : PRIMARY_HEALTHY_METRIC,
      dimensions: { Cluster: cluster, Region: event.region },
      value: held ? 1 : value,
      timestamp: at.getTime(),
    }),
  );
  if (verdict.kind === 'planned') {
    ctx.logger.info('primary down for a planned restart: PrimaryHealthy held back', {
      group,
      owner: verdict.record.owner,
      elapsedSeconds: Math.round(verdict.elapsedMs / 1000),
    });
  } else if (verdict.kind === 'overdue') {
    ctx.logger.error('planned primary restart overdue: publishing unhealthy', {
      group,
      owner: verdict.record.owner,
      elapsedSeconds: Math.round(verdict.elapsedMs / 1000),
    });
  } else if (value === 0) {
    ctx.logger.warn('no healthy primary behind the ALB', { group, instances: instances.length });
  }
  return { primaryHealthy: value, verdict: verdict.kind };
}

export const handler = makeHandler(
  ScheduledEventSchema,
  { autoScaling, elbv2, dynamoDoc, sfn },
  (event, ctx) => watch(event, ctx),
  {
    inputName: 'scheduled event',
  },
);
