/**
 * Faults in what the control plane is told (issue 11), against the real workflows, each scene asserting a
 * bound: an ALB whose health checks disagree with the node (a security group that blocks them from a ready
 * primary; a health path that answers 200 before the node is ready), lifecycle and alarm events EventBridge
 * loses, and events a throttled dispatch Lambda never takes until EventBridge's retries give up.
 */
import { SWEEP_MINUTES } from '../../infra/node-lifecycle';
import type { ExecutionRecord } from '../core/world';
import { EC2_TIMING } from '../services/ec2';
import { SSM_TIMING } from '../services/ssm';
import type { Twin } from '../twin';
import { expectReadinessWaitBound, readinessWaits } from './bounds';
import {
  CRASH_GAP_FACTOR,
  crashAndRecover,
  crashFloor,
  expectCleanEnd,
  failovers,
  layoutOf,
  minutes,
  outcomeOf,
  readyPrimaries,
  regionOf,
  settled,
  thePrimary,
} from './primary-failover';
import { promotedRuns, untilRecovered } from './twin-faults';
import { expectThat, MINUTE, type Scenario } from './types';

export const albRejectsReadyPrimary: Scenario = {
  name: 'alb-rejects-ready-primary',
  title: 'The ALB calls the ready primary unhealthy (security group fault): one planned handover, bounded',
  description:
    "A security group change stops the ALB's health checks from reaching the primary, which is ready and answers SSM. The ALB marks it unhealthy and Auto Scaling's ELB health check condemns it: it will be terminated whatever the control plane does. The right answer is one planned handover: stop the old primary through SSM, promote a member, move it into the primary group; no second election from the alarm, never two primaries, the window bounded by the ALB's detection and one stop and restart.",
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    const region = regionOf(twin);
    const old = thePrimary(twin);
    say(
      `a security group change cuts the ALB's health checks to the primary ${old}; the node itself is fine`,
    );
    const at = twin.world.clock.now();
    twin.world.faults.albHealth({ region, instanceId: old, mode: 'fail' });
    await twin.runUntil(
      () => readyPrimaries(twin).some((p) => p !== old),
      30 * MINUTE,
      'a new ready primary',
    );
    const gaps = twin.invariants.primaryGaps.filter(
      (g) => g.region === region && g.end !== undefined && g.end >= at,
    );
    const without = gaps.reduce((t, g) => t + ((g.end as number) - Math.max(g.start, at)), 0);
    const promoted = readyPrimaries(twin).find((p) => p !== old) as string;
    // The window opens when the old primary's graceful stop begins (it served until then) and cannot close
    // before that stop ends and the member has restarted as the primary (fencing order), as the seed drew them.
    const ec2 = twin.world.region(region).ec2;
    const oldStop = ec2.instance(old)?.node.drawnTimings.find((t) => t.kind === 'stop' && t.at >= at);
    expectThat(
      oldStop !== undefined,
      `the old primary ${old} was stopped gracefully (it still answered SSM)`,
    );
    const floor = crashFloor(twin, at, promoted);
    const floorMs = (oldStop?.ms ?? 0) + floor.restartMs;
    const bound = CRASH_GAP_FACTOR * floorMs;
    expectThat(
      without <= bound,
      `no ready primary for ${minutes(without)}, at most ${CRASH_GAP_FACTOR}x the floor ${minutes(floorMs)} (the old primary's stop, the member's restart)`,
    );
    await untilRecovered(twin, 60 * MINUTE);
    twin.world.faults.clearAlbHealth(region, old);
    const ok = promotedRuns(twin);
    expectThat(ok.length === 1, `exactly one election (${ok.map((e) => e.name).join(', ')})`);
    expectCleanEnd(twin);
    const outcomes = failovers(twin).map(
      (e) => `${e.name.replace(/^primary-failover-/, '')}: ${outcomeOf(e)}`,
    );
    say(
      `${thePrimary(twin)} took over after ${minutes(without)} without a ready primary; runs: ${outcomes.join('; ')}`,
    );
    return {
      'time without a ready primary': minutes(without),
      gapMs: without,
      'floor (seed)': minutes(floorMs),
      'window / floor': (without / floorMs).toFixed(2),
      elections: ok.length,
    };
  },
};

export const crashEventsLost: Scenario = {
  name: 'primary-crash-events-lost',
  title: "The primary dies and EventBridge loses the replacement's launch event and the alarm's state change",
  description:
    "EventBridge delivers Auto Scaling's and CloudWatch's events best-effort. The primary's host dies; the launch event of Auto Scaling's replacement and the primary-unhealthy alarm's state-change event are both lost, so neither starts primary-failover. The reconciler's sweep finds the replacement waiting and bootstraps it; the old primary's drain starts a handover; a ready primary comes back within a bound of the sweep's period.",
  async run(twin, say) {
    const region = regionOf(twin);
    const faults = twin.world.faults;
    faults.event({ region, detailType: 'EC2 Instance-launch Lifecycle Action', mode: 'lose', times: 1 });
    faults.event({ region, detailType: 'CloudWatch Alarm State Change', mode: 'lose', times: 1 });
    const result = await crashAndRecover(twin, say, 40 * MINUTE);
    // Nothing starts an election: the sweep finds Auto Scaling's replacement waiting (at most one sweep
    // period after it launched, once it has booted and registered with SSM) and bootstraps it; with no
    // election under way and the recorded primary gone, it claims the role. Its floor: the ALB's detection and
    // its own start, as drawn; the sweep's period, the boot and the SSM registration on top.
    const promoted = readyPrimaries(twin)[0] as string;
    const floor = crashFloor(twin, result.crashedAt, promoted);
    const bound =
      CRASH_GAP_FACTOR * (floor.detectionMs + floor.restartMs) +
      SWEEP_MINUTES * MINUTE +
      EC2_TIMING.boot[1] +
      SSM_TIMING.registration[1];
    expectThat(
      result.gapMs <= bound,
      `a ready primary within the sweep's bound (${minutes(result.gapMs)} > ${minutes(bound)})`,
    );
    await untilRecovered(twin, 60 * MINUTE);
    const lost = twin.world
      .region(region)
      .events.deliveries.filter((d) => d.outcome === 'lost')
      .map((d) => d.rule);
    expectThat(
      lost.some((r) => r.endsWith('lifecycle-events')),
      `the launch event was lost (${lost.join(', ')})`,
    );
    // The alarm fires only if no primary is back two minutes after the ALB noticed; if it did, it was lost.
    const alarmDelivered = twin.world
      .region(region)
      .events.deliveries.filter((d) => d.rule.endsWith('primary-alarm') && d.outcome !== 'lost');
    expectThat(
      alarmDelivered.length === 0,
      `no alarm state change reached dispatch (${alarmDelivered.length})`,
    );
    const swept = twin.world.executions.filter(
      (e) => e.stateMachine === 'node-bootstrap' && e.name.endsWith(promoted) && e.status === 'SUCCEEDED',
    );
    expectThat(swept.length === 1, `the sweep bootstrapped the replacement ${promoted} (${swept.length})`);
    expectThat(
      promotedRuns(twin).length === 0,
      `no election: the replacement claimed the role (${promotedRuns(twin)
        .map((e) => e.name)
        .join(', ')})`,
    );
    const outcomes = failovers(twin).map(
      (e) => `${e.name.replace(/^primary-failover-/, '')}: ${outcomeOf(e)}`,
    );
    expectCleanEnd(twin);
    say(
      `lost: ${lost.join(', ')}; runs: ${outcomes.join('; ')}; ${thePrimary(twin)} is the primary after ${minutes(result.gapMs)}`,
    );
    return {
      'time without a ready primary': minutes(result.gapMs),
      gapMs: result.gapMs,
      bound: minutes(bound),
    };
  },
};

const membersOf = (twin: Twin) => layoutOf(twin).memberGroup;
const inService = (twin: Twin, group: string) =>
  twin.world
    .region(regionOf(twin))
    .autoscaling.groupInstances(group)
    .filter((i) => i.state === 'InService')
    .map((i) => i.id);
const enteredAt = (e: ExecutionRecord, state: string) =>
  e.history.find((h) => h.type === 'StateEntered' && h.state === state)?.at;

export const albPassesUnreadyNode: Scenario = {
  name: 'alb-passes-unready-node',
  title:
    "The ALB calls a node healthy before it is ready: the bootstrap still waits for the node's own readiness",
  description:
    "The ALB's health path answers 200 as soon as a node's router listens, before Artifactory is ready. The member group grows by one and the new node's start stalls: it never becomes ready. node-bootstrap registers a target only once the node's own readiness probe answers OK, so the ALB never gets to call the stalled node healthy, and it is never put in service; after its bounded wait (3 probes waiting on the node) the launch is abandoned and the replacement joins, registered and put in service only once its node is ready (the ALB's early 200 then agrees with it).",
  async run(twin, say) {
    const region = regionOf(twin);
    const group = membersOf(twin);
    await twin.run(2 * MINUTE);
    twin.world.faults.albHealth({ region, mode: 'pass' });
    twin.world.faults.stallNextBoots(region, 1);
    say(`${group}: desired capacity 2 -> 3; the new node's start stalls while the ALB answers 200 early`);
    await twin.world.call(region, 'autoscaling', 'SetDesiredCapacity', {
      AutoScalingGroupName: group,
      DesiredCapacity: 3,
    });
    await twin.runUntil(
      () =>
        inService(twin, group).length === 3 &&
        twin.world.executions.some((e) => e.stateMachine === 'node-bootstrap' && e.status === 'FAILED') &&
        settled(twin),
      120 * MINUTE,
      'the stalled node abandoned and its replacement in service',
    );
    twin.world.faults.clearAlbHealth(region);
    const ec2 = twin.world.region(region).ec2;
    const boots = twin.world.executions.filter((e) => e.stateMachine === 'node-bootstrap');
    const failed = boots.find((e) => e.status === 'FAILED') as ExecutionRecord;
    const stalled = String((failed.input as { instanceId?: string }).instanceId);
    // The fault would bite a target registered while its node starts (the ALB answers 200 early): the stalled
    // node is never registered, so the ALB never calls it healthy.
    const elbSaw = (id: string, what: string) =>
      twin.world.timeline.entries.some(
        (x) => x.source === 'elb' && x.message.startsWith(`${id} `) && x.message.includes(what),
      );
    expectThat(
      !elbSaw(stalled, 'registered with') && !elbSaw(stalled, '-> healthy'),
      `the never-ready ${stalled} was never registered with the target group nor called healthy`,
    );
    expectThat(
      enteredAt(failed, 'AbandonLaunch') !== undefined && enteredAt(failed, 'CompleteLaunch') === undefined,
      `${stalled}'s launch was abandoned, never completed`,
    );
    const wait = readinessWaits(twin, region).find((w) => w.instanceId === stalled);
    expectThat(
      wait?.execution.error === 'NodeNotReady',
      `its readiness wait ran out (${wait?.execution.error})`,
    );
    for (const e of boots.filter((b) => b.status === 'SUCCEEDED')) {
      const id = String((e.input as { instanceId?: string }).instanceId);
      const start = ec2
        .instance(id)
        ?.node.drawnTimings.filter((t) => t.kind === 'start')
        .at(-1);
      const completed = enteredAt(e, 'CompleteLaunch') ?? 0;
      expectThat(
        start !== undefined && completed >= start.at + start.ms,
        `${id} was put in service only once ready (completed ${Math.round((completed - (start?.at ?? 0) - (start?.ms ?? 0)) / 1000)} s after)`,
      );
    }
    const bound = expectReadinessWaitBound(twin, region);
    say(`${stalled} was never registered and was abandoned; the replacement joined once ready`);
    return {
      'readiness waits': bound.waits,
      'abandoned after': minutes((failed.stoppedAt ?? 0) - failed.startedAt),
    };
  },
};

export const lostTerminateEvents: Scenario = {
  name: 'lost-terminate-events',
  title: 'Two members are scaled in and their terminate events never reach dispatch: the sweep drains them',
  description:
    "The member group grows from 2 to 4, then shrinks back to 2. EventBridge loses one terminate lifecycle event (best-effort delivery); for the other, Lambda's Invoke API refuses EventBridge's asynchronous invocation of dispatch (throttled) on every attempt until EventBridge's retry policy gives up. Both instances wait in Terminating:Wait until the reconciler's sweep (every 5 minutes) starts node-drain for them under the same deterministic names: drained, stopped and completed well inside the hook's heartbeat timeout.",
  async run(twin, say) {
    const region = regionOf(twin);
    const group = membersOf(twin);
    const faults = twin.world.faults;
    await twin.run(2 * MINUTE);
    await twin.world.call(region, 'autoscaling', 'SetDesiredCapacity', {
      AutoScalingGroupName: group,
      DesiredCapacity: 4,
    });
    await twin.runUntil(
      () => inService(twin, group).length === 4 && settled(twin),
      90 * MINUTE,
      'four members',
    );
    faults.event({ region, detailType: 'EC2 Instance-terminate Lifecycle Action', mode: 'lose', times: 1 });
    // EventBridge's asynchronous Invoke of dispatch is refused (429) on every attempt of the rule's retry policy
    // (up to 4 retries: 5 attempts; a later dispatch event meets what is left and is retried within seconds).
    // A throttle of the function itself would not do: Lambda accepts the event and its asynchronous queue
    // retries the throttle for up to the event's maximum age.
    faults.throttle({
      service: 'lambda',
      action: 'Invoke',
      region,
      resource: `${twin.world.config.cluster.name}-dispatch`,
      times: 5,
    });
    say(`${group}: desired capacity 4 -> 2; both terminate events are lost to the control plane`);
    const at = twin.world.clock.now();
    await twin.world.call(region, 'autoscaling', 'SetDesiredCapacity', {
      AutoScalingGroupName: group,
      DesiredCapacity: 2,
    });
    const drains = () =>
      twin.world.executions.filter((e) => e.stateMachine === 'node-drain' && e.startedAt >= at);
    await twin.runUntil(
      () =>
        drains().length === 2 &&
        settled(twin) &&
        twin.world.region(region).autoscaling.groupInstances(group).length === 2,
      60 * MINUTE,
      'both members drained and removed',
    );
    const dropped = twin.world
      .region(region)
      .events.deliveries.filter(
        (d) =>
          d.rule.endsWith('lifecycle-events') &&
          (d.outcome === 'lost' || d.outcome === 'dropped' || d.outcome === 'dead-lettered'),
      );
    expectThat(
      dropped.length === 2,
      `both terminate events were lost, dropped or dead-lettered (${dropped.map((d) => d.outcome).join(', ')})`,
    );
    const sweepMs = SWEEP_MINUTES * MINUTE;
    let slowest = 0;
    for (const d of drains()) {
      expectThat(d.status === 'SUCCEEDED', `${d.name} succeeded (${d.status} ${d.error ?? ''})`);
      // Auto Scaling's own record of when the instance began waiting on the terminate hook.
      const id = String((d.input as { instanceId?: string }).instanceId);
      const waiting = twin.world.timeline.entries.find(
        (x) => x.source === 'asg' && x.at >= at && x.message.includes(`${id} Terminating:Wait`),
      )?.at;
      expectThat(waiting !== undefined, `${id} waited on the terminate hook`);
      const after = d.startedAt - (waiting as number);
      slowest = Math.max(slowest, after);
      // The first sweep after the instance began waiting starts it (the reconciler's run takes seconds).
      expectThat(
        after <= sweepMs + MINUTE,
        `${d.name} started ${minutes(after)} after ${id} began waiting (bound: one sweep period, ${minutes(sweepMs)})`,
      );
    }
    const recovered = twin.world.outputs.filter((o) =>
      o.text.includes('lost lifecycle event recovered'),
    ).length;
    expectThat(recovered >= 2, `the sweep reported both recoveries (${recovered})`);
    say(
      `the sweep started both drains within ${minutes(slowest)} of the hook; no lifecycle action timed out`,
    );
    return { 'drain started after the hook': minutes(slowest) };
  },
};

export const TWIN_SIGNAL_FAULT_SCENARIOS: readonly Scenario[] = [
  albRejectsReadyPrimary,
  albPassesUnreadyNode,
  crashEventsLost,
  lostTerminateEvents,
];
