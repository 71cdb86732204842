/**
 * What the routing Lambda reads about the regions: each switch's copy alarms (CloudWatch in every copy region),
 * the routing tables' records, the ALBs' healthy targets, the primaries, the degraded alarm. Every read goes to
 * the region it is about through a pinned client, and a region that cannot be read is reported as such, never
 * guessed. Route 53's API is never read here.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';
import { readinessKey, switchKey } from '../core/keys';
import type { DegradedAlarm } from '../core/regional-plan';
import type { ReadinessRecord } from '../core/regional-readiness';
import { type CopyState, latestRecord, type RegionObservation } from '../core/regional-serving';
import { autoScalingIn, autoScalingSdk } from '../shared/clients/auto-scaling';
import { cloudWatchIn, cloudWatchSdk } from '../shared/clients/cloudwatch';
import { elbv2In, elbv2Sdk } from '../shared/clients/elbv2';
import type { Deps } from '../shared/handler';
import type { RegionSettings, RoutingSettings } from './settings';
import { readEveryVoter, values } from './tables';

/** What every op receives: logging, metrics, a clock and the (global) Route 53 client. */
export type RoutingCtx = Pick<Deps, 'logger' | 'metrics'> & {
  readonly now: () => number;
  readonly route53: () => Route53Client;
};

/** A region's `SWITCH#<region>` record. */
export interface SwitchRecord {
  readonly serving: boolean;
  readonly epoch: number;
  readonly changedAt: string;
  readonly by?: string;
  readonly reason?: string;
  readonly trigger?: string;
}

/** The switch alarm a flip of `region` watches: the real one, or the canary record's. */
export function switchAlarmOf(r: RegionSettings, canary: boolean): string {
  return canary ? (r.canarySwitchAlarmName ?? r.switchAlarmName) : r.switchAlarmName;
}

/**
 * Every copy region's view of every region's switch alarm: one DescribeAlarms per copy region. A copy region
 * that does not answer, or lacks the alarm, is `unreachable` for that copy.
 */
export async function copyStates(
  s: RoutingSettings,
  canary: boolean,
): Promise<Map<string, { region: string; state: CopyState }[]>> {
  const { DescribeAlarmsCommand } = cloudWatchSdk();
  const names = s.regions.map((r) => switchAlarmOf(r, canary));
  const byCopy = await Promise.all(
    s.regions.map(async (copy) => {
      try {
        const out = await cloudWatchIn(copy.name).send(new DescribeAlarmsCommand({ AlarmNames: names }));
        return { copy: copy.name, alarms: out.MetricAlarms ?? [] };
      } catch {
        return { copy: copy.name, alarms: undefined };
      }
    }),
  );
  const out = new Map<string, { region: string; state: CopyState }[]>();
  for (const r of s.regions) {
    const alarm = switchAlarmOf(r, canary);
    out.set(
      r.name,
      byCopy.map(({ copy, alarms }) => {
        const found = alarms?.find((a) => a.AlarmName === alarm)?.StateValue;
        return {
          region: copy,
          state: found === 'OK' || found === 'ALARM' || found === 'INSUFFICIENT_DATA' ? found : 'unreachable',
        };
      }),
    );
  }
  return out;
}

/** The latest `SWITCH#<region>` record among the reachable routing tables. */
export async function switchRecord(s: RoutingSettings, region: string): Promise<SwitchRecord | undefined> {
  return latestRecord(values(await readEveryVoter<SwitchRecord>(s, switchKey(s.cluster, region))));
}

/** The latest `READINESS#<region>` record among the reachable routing tables (by `at`). */
export async function readinessRecord(
  s: RoutingSettings,
  region: string,
): Promise<ReadinessRecord | undefined> {
  const found = values(await readEveryVoter<ReadinessRecord>(s, readinessKey(s.cluster, region)));
  let best: ReadinessRecord | undefined;
  for (const r of found) if (r !== undefined && (best === undefined || r.at > best.at)) best = r;
  return best;
}

/** The healthy targets' ids in the region's target groups, or undefined when its ALB could not be read. */
export async function healthyTargets(r: RegionSettings): Promise<Set<string> | undefined> {
  const { DescribeTargetHealthCommand } = elbv2Sdk();
  try {
    const ids = new Set<string>();
    for (const TargetGroupArn of r.targetGroupArns) {
      const out = await elbv2In(r.name).send(new DescribeTargetHealthCommand({ TargetGroupArn }));
      for (const d of out.TargetHealthDescriptions ?? [])
        if (d.TargetHealth?.State === 'healthy' && d.Target?.Id) ids.add(d.Target.Id);
    }
    return ids;
  } catch {
    return undefined;
  }
}

/** The InService instances of the region's primary group (legacy), or undefined when unreadable. */
export async function primaryInstances(r: RegionSettings): Promise<string[] | undefined> {
  const { DescribeAutoScalingGroupsCommand } = autoScalingSdk();
  try {
    const out = await autoScalingIn(r.name).send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [r.primaryAsgName] }),
    );
    return (out.AutoScalingGroups?.[0]?.Instances ?? [])
      .filter((i) => i.LifecycleState === 'InService' && i.InstanceId)
      .map((i) => i.InstanceId as string)
      .sort();
  } catch {
    return undefined;
  }
}

/** The region's degraded alarm as its own CloudWatch shows it, or undefined when unreadable. */
export async function degradedAlarm(r: RegionSettings): Promise<DegradedAlarm | undefined> {
  const { DescribeAlarmsCommand } = cloudWatchSdk();
  try {
    const out = await cloudWatchIn(r.name).send(
      new DescribeAlarmsCommand({ AlarmNames: [r.degradedAlarmName] }),
    );
    const a = out.MetricAlarms?.[0] ?? out.CompositeAlarms?.[0];
    const state = a?.StateValue;
    if (state !== 'OK' && state !== 'ALARM' && state !== 'INSUFFICIENT_DATA') return undefined;
    // The last change of StateValue (StateUpdatedTimestamp also moves when only the reason changes).
    const since =
      (a as { StateTransitionedTimestamp?: Date }).StateTransitionedTimestamp ?? a?.StateUpdatedTimestamp;
    return since === undefined ? undefined : { state, since: since.getTime() };
  } catch {
    return undefined;
  }
}

/** Everything the serving rules need about every region, with each region's healthy target ids. */
export async function observeRegions(
  s: RoutingSettings,
  canary: boolean,
): Promise<{ observations: RegionObservation[]; healthy: Map<string, Set<string> | undefined> }> {
  const [copies, records, healthy] = await Promise.all([
    copyStates(s, canary),
    // The canary's switch has no record: its copies alone tell.
    canary
      ? Promise.resolve(s.regions.map(() => undefined))
      : Promise.all(s.regions.map((r) => switchRecord(s, r.name))),
    Promise.all(s.regions.map((r) => healthyTargets(r))),
  ]);
  const healthyBy = new Map(s.regions.map((r, i) => [r.name, healthy[i]]));
  const observations = s.regions.map((r, i) => ({
    region: r.name,
    copies: copies.get(r.name) ?? [],
    recorded: records[i]?.serving,
    healthyTargets: healthy[i]?.size,
  }));
  return { observations, healthy: healthyBy };
}
