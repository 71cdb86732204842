import { METRIC_NAMESPACE, REGION_SERVING_METRIC, switchAlarmName } from '../../infra/stacks/names';
import { expectThat, MINUTE, type Scenario } from './types';

/** The world's own behaviour, before any workflow acts: a lost member is replaced by Auto Scaling alone. */
export const memberCrash: Scenario = {
  name: 'member-crash',
  title: 'A member node dies; AWS replaces it on its own',
  description:
    'The default world (2 regions, 1 primary + 2 members each) settles; then the host of a member node in the first region dies. The ALB marks the target unhealthy, the unhealthy-targets alarm fires, Auto Scaling replaces the instance, the new node bootstraps from user data and the alarm clears. No control-plane workflow is involved.',
  controlPlane: false,
  async run(twin, say) {
    const region = twin.world.regionNames[0] ?? '';
    const r = twin.world.region(region);
    await twin.run(5 * MINUTE);
    const members = r.autoscaling.groupInstances(twin.layout.regions.get(region)?.memberGroup ?? '');
    const victim = members[0]?.id;
    expectThat(victim !== undefined, 'the member group has instances');
    say(`the host of member ${victim} dies`);
    r.ec2.crash(victim as string);
    const alarm = twin.layout.regions.get(region)?.unhealthyTargetsAlarm ?? '';
    await twin.runUntil(
      () => r.cloudwatch.alarmState(alarm) === 'ALARM',
      15 * MINUTE,
      'the unhealthy-targets alarm firing',
    );
    say(`alarm ${alarm} is in ALARM`);
    await twin.runUntil(
      () =>
        r.autoscaling
          .groupInstances(twin.layout.regions.get(region)?.memberGroup ?? '')
          .every((i) => i.id !== victim),
      30 * MINUTE,
      'Auto Scaling replacing the dead member',
    );
    say('Auto Scaling replaced the dead member');
    await twin.runUntil(() => r.cloudwatch.alarmState(alarm) === 'OK', 60 * MINUTE, 'the alarm clearing');
    say('the replacement joined the cluster and the alarm cleared');
    return undefined;
  },
};

/** The regional switch, flipped by hand: no workflow, only the data plane (CloudWatch, then Route 53's health checks). */
export const switchByHand: Scenario = {
  name: 'region-switch',
  title: 'Take a region out of DNS through the switch metric, and put it back',
  description:
    "Publishing RegionServing=0 (CloudWatch's regional data plane) puts the region's switch alarm in ALARM; Route 53's CLOUDWATCH_METRIC check turns unhealthy, the calculated check with it, and resolvers near that region are answered with the other region. Publishing 1 brings it back. This is the mechanism regional-failover drives.",
  controlPlane: false,
  async run(twin, say) {
    const [first, second] = twin.world.regionNames;
    if (!first || !second) throw new Error('region-switch needs two regions');
    const { config } = twin.world;
    const cw = twin.world.region(first).cloudwatch;
    const record = config.routing.recordName;
    await twin.run(5 * MINUTE);
    expectThat(
      twin.world.route53.resolve(record, first)?.region === first,
      `${first} answers for itself before the switch`,
    );
    const publish = (value: number) =>
      twin.world.call(first, 'cloudwatch', 'PutMetricData', {
        Namespace: METRIC_NAMESPACE,
        MetricData: [
          {
            MetricName: REGION_SERVING_METRIC,
            Dimensions: [
              { Name: 'Cluster', Value: config.cluster.name },
              { Name: 'Region', Value: first },
            ],
            Value: value,
          },
        ],
      });
    say(`publish ${REGION_SERVING_METRIC}=0 for ${first}`);
    const flippedAt = twin.world.clock.now();
    await publish(0);
    await twin.runUntil(
      () => twin.world.route53.resolve(record, first)?.region === second,
      10 * MINUTE,
      `${first} leaving DNS`,
    );
    const outAfter = twin.world.clock.now() - flippedAt;
    say(
      `resolvers in ${first} now get ${second} (switch alarm ${cw.alarmState(switchAlarmName(config, first))})`,
    );
    say(`publish ${REGION_SERVING_METRIC}=1 for ${first}`);
    const restoredAt = twin.world.clock.now();
    await publish(1);
    await twin.runUntil(
      () => twin.world.route53.resolve(record, first)?.region === first,
      10 * MINUTE,
      `${first} back in DNS`,
    );
    const inAfter = twin.world.clock.now() - restoredAt;
    say(`${first} answers again`);
    return {
      'time to leave DNS': `${Math.round(outAfter / 1000)} s`,
      'time to return': `${Math.round(inAfter / 1000)} s`,
    };
  },
};
