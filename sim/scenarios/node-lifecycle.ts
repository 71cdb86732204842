import type { ExecutionRecord } from '../core/world';
import type { Twin } from '../twin';
import { expectReadinessWaitBound } from './bounds';
import { expectSerialStarts } from './restart-checks';
import { expectThat, MINUTE, type Scenario, type ScenarioResult } from './types';

const regionOf = (twin: Twin) => twin.world.regionNames[0] as string;
const membersOf = (twin: Twin) => twin.layout.regions.get(regionOf(twin))?.memberGroup as string;

function inService(twin: Twin, group: string): string[] {
  return twin.world
    .region(regionOf(twin))
    .autoscaling.groupInstances(group)
    .filter((i) => i.state === 'InService')
    .map((i) => i.id);
}

async function setDesired(twin: Twin, group: string, desired: number): Promise<void> {
  await twin.world.call(regionOf(twin), 'autoscaling', 'SetDesiredCapacity', {
    AutoScalingGroupName: group,
    DesiredCapacity: desired,
  });
}

const bootstraps = (twin: Twin): ExecutionRecord[] =>
  twin.world.executions.filter((e) => e.stateMachine === 'node-bootstrap');
const drains = (twin: Twin): ExecutionRecord[] =>
  twin.world.executions.filter((e) => e.stateMachine === 'node-drain');
const enteredAt = (e: ExecutionRecord, state: string) =>
  e.history.find((h) => h.type === 'StateEntered' && h.state === state)?.at;

/** The joins were serial up to the moment each node was ready, under the join lock (restart-checks.ts). */
function expectSerialJoins(twin: Twin): void {
  expectSerialStarts(twin, regionOf(twin));
}

function oneExecutionPerInstance(list: ExecutionRecord[]): void {
  const names = list.map((e) => e.name);
  expectThat(new Set(names).size === names.length, `duplicate executions: ${names.join(', ')}`);
}

const settled = (twin: Twin) => twin.world.executions.every((e) => e.status !== 'RUNNING');

const minutes = (ms: number) => `${(ms / MINUTE).toFixed(1)} min`;

/** Every readiness wait of the scene kept its bound (sim/scenarios/bounds.ts); reported with the slowest. */
function readinessBound(twin: Twin): ScenarioResult {
  const { waits, slowestMs } = expectReadinessWaitBound(twin, regionOf(twin));
  return { 'readiness waits': waits, 'slowest notice': `${Math.round(slowestMs / 1000)} s after serving` };
}

export const scaleOut: Scenario = {
  name: 'scale-out',
  title: 'Scale out by 3 at once: nodes join one after the other',
  description:
    'Desired capacity of the member group goes from 2 to 5. Three launch lifecycle actions arrive together; dispatch starts three node-bootstrap executions; they queue on the cluster join lock (JFrog: nodes must not start in parallel), each configures its node through SSM, starts Artifactory, waits for readiness and a healthy target, completes its lifecycle action and releases the lock.',
  async run(twin, say) {
    const group = membersOf(twin);
    await twin.run(2 * MINUTE);
    say(`${group}: desired capacity 2 -> 5`);
    const start = twin.world.clock.now();
    await setDesired(twin, group, 5);
    await twin.runUntil(
      () => inService(twin, group).length === 5 && settled(twin),
      120 * MINUTE,
      'five members in service',
    );
    expectSerialJoins(twin);
    oneExecutionPerInstance(bootstraps(twin));
    expectThat(
      bootstraps(twin).length === 3 && bootstraps(twin).every((e) => e.status === 'SUCCEEDED'),
      'three bootstraps succeeded',
    );
    say('all five members are in service; the three joins never overlapped');
    return {
      'time to 5 members': minutes(twin.world.clock.now() - start),
      'bootstrap executions': 3,
      ...readinessBound(twin),
    };
  },
};

export const bootNeverReady: Scenario = {
  name: 'boot-never-ready',
  title: 'A new node never becomes ready: abandoned, replaced, lock released',
  description:
    "The next boot stalls (Artifactory never answers its readiness probe). node-bootstrap waits, bounded, then compensates: releases the join lock, deregisters the target, abandons the launch (Auto Scaling terminates the instance and launches a replacement), audits and notifies. The replacement's bootstrap then succeeds.",
  async run(twin, say) {
    const group = membersOf(twin);
    const region = regionOf(twin);
    await twin.run(2 * MINUTE);
    twin.world.faults.stallNextBoots(region, 1);
    say(`${group}: desired capacity 2 -> 3, the new node's boot will stall`);
    await setDesired(twin, group, 3);
    await twin.runUntil(
      () =>
        bootstraps(twin).some((e) => e.status === 'FAILED') &&
        inService(twin, group).length === 3 &&
        settled(twin),
      180 * MINUTE,
      'the stalled node abandoned and its replacement in service',
    );
    const failed = bootstraps(twin).find((e) => e.status === 'FAILED') as ExecutionRecord;
    expectThat(
      failed.error === 'BootstrapFailed',
      `the failed bootstrap ended BootstrapFailed (got ${failed.error})`,
    );
    expectThat(
      enteredAt(failed, 'ReleaseJoinLockAfterFailure') !== undefined,
      'the join lock was released on the failure path',
    );
    expectThat(enteredAt(failed, 'AbandonLaunch') !== undefined, 'the launch was abandoned');
    const notices = twin.world
      .region(region)
      .sns.messages.filter((m) => /node-bootstrap failed/.test(m.subject ?? ''));
    expectThat(notices.length === 1, `the operator was notified once (got ${notices.length})`);
    expectSerialJoins(twin);
    say(`operator notified: "${notices[0]?.subject}"`);
    return {
      'failed bootstraps': 1,
      'members in service': inService(twin, group).length,
      ...readinessBound(twin),
    };
  },
};

export const ssmFailsOnce: Scenario = {
  name: 'ssm-fails-once',
  title: 'The configure command fails once: retried, then the node joins',
  description:
    "The first run of the configure document on the new node ends Failed. The node-command child fails; node-bootstrap's Retry runs it again, and the node joins.",
  async run(twin, say) {
    const group = membersOf(twin);
    const region = regionOf(twin);
    await twin.run(2 * MINUTE);
    twin.world.faults.ssmCommand({
      region,
      document: `${twin.world.config.cluster.name}-ConfigureNode`,
      times: 1,
      outcome: 'Failed',
    });
    await setDesired(twin, group, 3);
    await twin.runUntil(
      () => inService(twin, group).length === 3 && settled(twin),
      90 * MINUTE,
      'the new member in service',
    );
    const commands = twin.world.executions.filter((e) => e.stateMachine === 'node-command');
    expectThat(
      commands.some((e) => e.status === 'FAILED' && e.error === 'CommandFailed'),
      'one configure command failed',
    );
    expectThat(
      bootstraps(twin).length === 1 && bootstraps(twin)[0]?.status === 'SUCCEEDED',
      'the one bootstrap succeeded',
    );
    say('the configure command failed once and was retried; the node joined');
    return { 'node-command runs': commands.length, ...readinessBound(twin) };
  },
};

export const lostLaunchEvent: Scenario = {
  name: 'lost-launch-event',
  title: 'A launch event is lost: the sweep finds the waiting instance',
  description:
    "EventBridge loses the launch lifecycle event (Auto Scaling delivers them best-effort). The instance waits in Pending:Wait; the reconciler's sweep (every 5 minutes) finds it, starts node-bootstrap under the same deterministic name, and the node joins well before the 900 s heartbeat timeout.",
  async run(twin, say) {
    const group = membersOf(twin);
    const region = regionOf(twin);
    await twin.run(2 * MINUTE);
    twin.world.faults.event({
      region,
      detailType: 'EC2 Instance-launch Lifecycle Action',
      mode: 'lose',
      times: 1,
    });
    const start = twin.world.clock.now();
    await setDesired(twin, group, 3);
    await twin.runUntil(
      () => bootstraps(twin).length === 1,
      15 * MINUTE,
      'the sweep starting node-bootstrap',
    );
    const recoveredAfter = (bootstraps(twin)[0] as ExecutionRecord).startedAt - start;
    expectThat(
      recoveredAfter < 900_000,
      `recovered within the heartbeat timeout (after ${minutes(recoveredAfter)})`,
    );
    await twin.runUntil(
      () => inService(twin, group).length === 3 && settled(twin),
      90 * MINUTE,
      'the new member in service',
    );
    say(`the sweep recovered the lost event after ${minutes(recoveredAfter)}`);
    return { 'recovered after': minutes(recoveredAfter), ...readinessBound(twin) };
  },
};

export const duplicatedEvent: Scenario = {
  name: 'duplicated-event',
  title: 'A launch event arrives twice: one execution',
  description:
    'EventBridge delivers the launch event twice (at-least-once delivery). Dispatch derives the same execution name both times; the second StartExecution is answered ExecutionAlreadyExists or returns the running execution, so exactly one node-bootstrap runs.',
  async run(twin, say) {
    const group = membersOf(twin);
    const region = regionOf(twin);
    await twin.run(2 * MINUTE);
    twin.world.faults.event({
      region,
      detailType: 'EC2 Instance-launch Lifecycle Action',
      mode: 'duplicate',
      times: 1,
    });
    await setDesired(twin, group, 3);
    await twin.runUntil(
      () => inService(twin, group).length === 3 && settled(twin),
      90 * MINUTE,
      'the new member in service',
    );
    const deliveries = twin.world
      .region(region)
      .events.deliveries.filter((d) => d.rule.endsWith('lifecycle-events'));
    expectThat(bootstraps(twin).length === 1, `one bootstrap (got ${bootstraps(twin).length})`);
    say(
      `the event was delivered ${new Set(deliveries.map((d) => `${d.eventId}/${d.copy}`)).size} times; one node-bootstrap ran`,
    );
    return { 'bootstrap executions': bootstraps(twin).length, ...readinessBound(twin) };
  },
};

export const scaleIn: Scenario = {
  name: 'scale-in',
  title: 'A member is scaled in: drained and removed',
  description:
    'The member group grows from 2 to 3 (its minimum is 2), then shrinks back to 2: the terminating member goes through node-drain (deregistered from the ALB, drained, Artifactory stopped gracefully, its record removed, CONTINUE).',
  async run(twin, say) {
    const group = membersOf(twin);
    await twin.run(2 * MINUTE);
    await setDesired(twin, group, 3);
    await twin.runUntil(
      () => inService(twin, group).length === 3 && settled(twin),
      90 * MINUTE,
      'three members',
    );
    say(`${group}: desired capacity 3 -> 2`);
    const start = twin.world.clock.now();
    await setDesired(twin, group, 2);
    await twin.runUntil(
      () =>
        drains(twin).length === 1 &&
        settled(twin) &&
        twin.world.region(regionOf(twin)).autoscaling.groupInstances(group).length === 2,
      60 * MINUTE,
      'the member drained and removed',
    );
    const drain = drains(twin)[0] as ExecutionRecord;
    expectThat(drain.status === 'SUCCEEDED', `node-drain succeeded (${drain.status} ${drain.error ?? ''})`);
    expectThat(enteredAt(drain, 'StopArtifactory') !== undefined, 'Artifactory was stopped gracefully');
    say('the member was drained, stopped and removed');
    return {
      'scale-in took': minutes(twin.world.clock.now() - start),
      ...readinessBound(twin),
    } satisfies ScenarioResult;
  },
};

export const throttledScaleOut: Scenario = {
  name: 'throttled-scale-out',
  title: 'Scale out by 2 while 30% of Auto Scaling calls are throttled',
  description:
    'Every Auto Scaling API call has a 30% chance of being throttled. Heartbeats and lifecycle completions are retried with jittered back-off; both nodes join, each through exactly one bootstrap, each lifecycle action completed once.',
  async run(twin, say) {
    const group = membersOf(twin);
    const region = regionOf(twin);
    await twin.run(2 * MINUTE);
    twin.world.faults.throttle({ service: 'autoscaling', region, fraction: 0.3 });
    // The scene's own call is throttled too; like any operator tool it retries (bounded).
    for (let attempt = 1; ; attempt++) {
      try {
        await setDesired(twin, group, 4);
        break;
      } catch (err) {
        if ((err as Error).name !== 'Throttling' || attempt >= 10) throw err;
        await twin.run(1000 * attempt);
      }
    }
    await twin.runUntil(
      () => inService(twin, group).length === 4 && settled(twin),
      150 * MINUTE,
      'four members in service',
    );
    oneExecutionPerInstance(bootstraps(twin));
    expectThat(
      bootstraps(twin).every((e) => e.status === 'SUCCEEDED'),
      'every bootstrap succeeded',
    );
    const completions = twin.world.apiCalls.filter((c) => c.action === 'CompleteLifecycleAction' && !c.error);
    expectThat(completions.length === 2, `each lifecycle action completed once (got ${completions.length})`);
    const throttled = twin.world.apiCalls.filter(
      (c) => c.service === 'autoscaling' && c.error === 'Throttling',
    ).length;
    twin.world.faults.clearApiFaults();
    say(`${throttled} Auto Scaling calls were throttled; both nodes joined`);
    return { 'throttled calls': throttled, ...readinessBound(twin) };
  },
};

export const NODE_LIFECYCLE_SCENARIOS: readonly Scenario[] = [
  scaleOut,
  bootNeverReady,
  ssmFailsOnce,
  lostLaunchEvent,
  duplicatedEvent,
  scaleIn,
  throttledScaleOut,
];
