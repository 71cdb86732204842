/**
 * Issue 13, item 4: the watch knows a planned primary restart. cert-rotation restarts the primary while it
 * holds the cluster's `cluster` lease; the watch then holds `PrimaryHealthy` back (publishing
 * `PrimaryRestartPlanned`), so the primary-unhealthy alarm does not start a failover that would fight the
 * rotation. The same restart without the lease is a down primary as any other: the alarm fires and
 * primary-failover starts, as before.
 *
 * A stand-in replaces the deployed cert-rotation (certRotationArn) and holds the lease: an execution that only waits (a running
 * execution of the state machine the watch is told about), while the scene restarts the primary the way a
 * rotation does (deregister, drain, stop, start, ready, register). The real rotation's primary restart, with
 * an alarm run meeting its lock, is the scene cert-rotation-vs-failover.
 */
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { lockKey } from '../../functions/core/keys';
import { PRIMARY_RESTART_PLANNED_METRIC } from '../../functions/core/planned-restart';
import { CERT_ROTATION } from '../../infra/cert-triggers';
import { primaryAlarmName } from '../../infra/primary-failover';
import type { Twin } from '../twin';
import {
  failovers,
  layoutOf,
  minutes,
  readyPrimaries,
  regionOf,
  settled,
  thePrimary,
} from './primary-failover';
import { expectThat, MINUTE, type Scenario } from './types';

/** The stand-in holder: waits longer than any restart, and is stopped by the scene when the restart is done. */
const STAND_IN = JSON.stringify({
  Comment:
    'Stand-in for cert-rotation in the planned-restart scenes: a running execution that holds the lease.',
  StartAt: 'HoldWhileTheSceneRestarts',
  States: { HoldWhileTheSceneRestarts: { Type: 'Wait', Seconds: 7200, End: true } },
});

async function targetState(twin: Twin, id: string): Promise<string | undefined> {
  const out = (await twin.world.call(regionOf(twin), 'elbv2', 'DescribeTargetHealth', {
    TargetGroupArn: layoutOf(twin).targetGroupArn,
  })) as { TargetHealthDescriptions?: { Target?: { Id?: string }; TargetHealth?: { State?: string } }[] };
  return out.TargetHealthDescriptions?.find((t) => t.Target?.Id === id)?.TargetHealth?.State;
}

/** Runs the twin a minute at a time until `state` is what the target reports. */
async function untilTarget(twin: Twin, id: string, state: string | undefined, what: string): Promise<void> {
  for (let waited = 0; (await targetState(twin, id)) !== state; waited += MINUTE) {
    expectThat(waited < 10 * MINUTE, `${what} within 10 minutes (target ${await targetState(twin, id)})`);
    await twin.run(MINUTE);
  }
}

/**
 * The cert-rotation state machine's ARN in the first region, with the stand-in deployed under that name (in
 * every region) in place of the workflow: these scenes are about what holds the lease and what starts a run, not about the
 * run (the real one is the cert-rotation scenes').
 */
export function certRotationArn(twin: Twin): string {
  // In every region: the other region's census starts its own run.
  for (const region of twin.world.regionNames)
    twin.sfnIn(region).createStateMachine(CERT_ROTATION, STAND_IN, {});
  return twin.sfnIn(regionOf(twin)).arnOf(CERT_ROTATION);
}

/** Starts a running cert-rotation execution and writes the `cluster` lease in its name, as a rotation takes it. */
async function holdClusterLease(twin: Twin): Promise<string> {
  const region = regionOf(twin);
  const out = (await twin.world.call(region, 'sfn', 'StartExecution', {
    stateMachineArn: certRotationArn(twin),
    name: 'cert-rotation-manual-planned-restart',
    input: JSON.stringify({ trigger: 'manual', reason: 'planned primary restart scene' }),
  })) as { executionArn: string };
  const now = twin.world.clock.now();
  await documents(twin).send(
    new PutCommand({
      TableName: layoutOf(twin).stateTable,
      Item: {
        ...lockKey(twin.world.config.cluster.name, 'cluster'),
        owner: out.executionArn,
        acquiredAt: now,
        expiresAt: now + 2 * 60 * MINUTE,
      },
    }),
  );
  return out.executionArn;
}

export const documents = (twin: Twin) =>
  DynamoDBDocumentClient.from(twin.dynamo.client(regionOf(twin), { sdkRetries: false }));

/** The primary's restart as a rotation does it: deregister and drain, stop, start, ready, register, healthy. */
async function restartPrimary(twin: Twin, primary: string, say: (m: string) => void): Promise<number> {
  const region = regionOf(twin);
  const { targetGroupArn } = layoutOf(twin);
  const cluster = twin.world.config.cluster.name;
  const started = twin.world.clock.now();
  say(`${primary} is deregistered from the target group and drains`);
  await twin.world.call(region, 'elbv2', 'DeregisterTargets', {
    TargetGroupArn: targetGroupArn,
    Targets: [{ Id: primary, Port: 8082 }],
  });
  await untilTarget(twin, primary, undefined, 'the primary drained');
  say(`Artifactory on ${primary} is stopped and started again`);
  await twin.world.call(region, 'ssm', 'SendCommand', {
    DocumentName: `${cluster}-StopArtifactory`,
    InstanceIds: [primary],
  });
  await twin.runUntil(
    () => twin.world.region(region).ec2.instance(primary)?.node.status === 'stopped',
    5 * MINUTE,
    'the primary stopped',
  );
  await twin.world.call(region, 'ssm', 'SendCommand', {
    DocumentName: `${cluster}-StartArtifactory`,
    InstanceIds: [primary],
  });
  await twin.runUntil(() => readyPrimaries(twin).includes(primary), 10 * MINUTE, 'the primary ready again');
  await twin.world.call(region, 'elbv2', 'RegisterTargets', {
    TargetGroupArn: targetGroupArn,
    Targets: [{ Id: primary, Port: 8082 }],
  });
  await untilTarget(twin, primary, 'healthy', 'the primary healthy');
  return twin.world.clock.now() - started;
}

/** The sum of a metric's datapoints since `from` in the first region. */
async function metricSum(twin: Twin, name: string, from: number): Promise<number> {
  const out = (await twin.world.call(regionOf(twin), 'cloudwatch', 'GetMetricStatistics', {
    Namespace: 'ArtifactoryHA',
    MetricName: name,
    Dimensions: [
      { Name: 'Cluster', Value: twin.world.config.cluster.name },
      { Name: 'Region', Value: regionOf(twin) },
    ],
    StartTime: new Date(from),
    EndTime: new Date(twin.world.clock.now()),
    Period: 60,
    Statistics: ['Sum'],
  })) as { Datapoints?: { Sum?: number }[] };
  return (out.Datapoints ?? []).reduce((n, d) => n + (d.Sum ?? 0), 0);
}

export const plannedPrimaryRestart: Scenario = {
  name: 'planned-primary-restart',
  title: 'A planned restart of the primary under a cert-rotation lease starts no failover',
  description:
    "A cert-rotation execution holds the cluster lease and restarts the primary as a rotation does: deregistered, drained for the ALB's 300 s, Artifactory stopped and started, registered again, healthy. For all those minutes no healthy primary is behind the ALB, which would put the primary-unhealthy alarm into ALARM after two. The watch sees the lease and the running holder and publishes PrimaryRestartPlanned instead of PrimaryHealthy: the alarm keeps its state and no primary-failover starts. The cost is the restart itself: a gap in cluster tasks of one restart.",
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    const region = regionOf(twin);
    const primary = thePrimary(twin);
    const holder = await holdClusterLease(twin);
    say(`a cert-rotation execution holds the cluster lease; it restarts the primary ${primary}`);
    const from = twin.world.clock.now();
    let alarmed = false;
    const watchAlarm = setInterval(() => {
      alarmed ||=
        twin.world.region(region).cloudwatch.alarmState(primaryAlarmName(twin.world.config, region)) ===
        'ALARM';
    }, 30_000);
    const restartMs = await restartPrimary(twin, primary, say);
    await documents(twin).send(
      new DeleteCommand({
        TableName: layoutOf(twin).stateTable,
        Key: lockKey(twin.world.config.cluster.name, 'cluster'),
      }),
    );
    await twin.world.call(region, 'sfn', 'StopExecution', { executionArn: holder, cause: 'restart done' });
    await twin.run(5 * MINUTE);
    clearInterval(watchAlarm);
    const planned = await metricSum(twin, PRIMARY_RESTART_PLANNED_METRIC, from);
    expectThat(
      failovers(twin).length === 0,
      `no primary-failover started (${failovers(twin)
        .map((e) => e.name)
        .join(', ')})`,
    );
    expectThat(!alarmed, 'the primary-unhealthy alarm never went into ALARM');
    expectThat(
      restartMs > 3 * MINUTE,
      `the restart kept the primary out of the ALB long enough to alarm (${minutes(restartMs)})`,
    );
    expectThat(
      planned >= 3,
      `the watch published PrimaryRestartPlanned for the restart (${planned} minutes)`,
    );
    expectThat(thePrimary(twin) === primary, `${primary} is still the one ready primary`);
    await twin.runUntil(() => settled(twin), 10 * MINUTE, 'every run ending');
    say(
      `the primary was out of the ALB for ${minutes(restartMs)}; the watch held ${planned} readings back; no failover`,
    );
    return { 'planned restart': minutes(restartMs), 'readings held back': planned };
  },
};

export const unplannedPrimaryRestart: Scenario = {
  name: 'unplanned-primary-restart',
  title: 'The same restart of the primary without the lease: the alarm starts primary-failover as before',
  description:
    'The same restart of the primary, but nobody holds the cluster lease: it is a down primary like any other. The watch publishes PrimaryHealthy 0, the primary-unhealthy alarm goes into ALARM after two minutes, and dispatch starts primary-failover (trigger alarm), which confirms on the nodes and acts as it always has.',
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    const primary = thePrimary(twin);
    say(`nobody holds the cluster lease; ${primary} is restarted the same way`);
    const from = twin.world.clock.now();
    let firstAt: number | undefined;
    const watchStarts = setInterval(() => {
      if (firstAt === undefined && failovers(twin).length > 0) firstAt = twin.world.clock.now();
    }, 30_000);
    await restartPrimary(twin, primary, say).catch((err: unknown) => {
      // The failover the alarm started may act on the node first; what matters here is that it started.
      say(`the restart did not complete as planned: ${(err as Error).message}`);
    });
    clearInterval(watchStarts);
    await twin.runUntil(() => failovers(twin).length > 0, 10 * MINUTE, 'a primary-failover starting');
    firstAt ??= twin.world.clock.now();
    const tookMs = firstAt - from;
    const first = failovers(twin)[0];
    expectThat(
      first?.name.startsWith('primary-failover-alarm-') === true,
      `the alarm started it (${first?.name})`,
    );
    say(`${first?.name} started ${minutes(tookMs)} after the primary left the ALB`);
    expectThat(
      tookMs <= 5 * MINUTE,
      `the failover started within 5 minutes of the restart (${minutes(tookMs)})`,
    );
    await twin.runUntil(() => settled(twin), 60 * MINUTE, 'every run ending');
    await twin.runUntil(() => readyPrimaries(twin).length === 1, 30 * MINUTE, 'one ready primary');
    return { 'alarm to failover': minutes(tookMs) };
  },
};

export const PLANNED_RESTART_SCENARIOS: readonly Scenario[] = [
  plannedPrimaryRestart,
  unplannedPrimaryRestart,
];
