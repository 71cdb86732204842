/**
 * Fencing the old primary for real (never two primaries): a primary the control plane cannot reach may still
 * be alive and serving the clients inside its partition. A graceful SSM stop cannot reach it, so it must be
 * stopped at the hypervisor (EC2 StopInstances with Force), and nobody is promoted until EC2 reports it
 * stopped. The invariants count a partitioned primary as a primary.
 */
import type { Twin } from '../twin';
import {
  entered,
  expectCleanEnd,
  failovers,
  minutes,
  outcomeOf,
  readyPrimaries,
  recovered,
  regionOf,
  settled,
  startFailover,
  thePrimary,
} from './primary-failover';
import { expectThat, MINUTE, type Scenario } from './types';

/** The runs that fenced the old primary at the hypervisor. */
const forceStopped = (twin: Twin) => failovers(twin).filter((e) => entered(e, 'ForceStopOldPrimary'));

export const primaryPartitioned: Scenario = {
  name: 'primary-partitioned',
  title:
    'The primary is cut off from the network but alive: it is stopped at the hypervisor before a member is promoted',
  description:
    'A network partition isolates the primary: its host and Artifactory keep running (status checks pass) and it still acts as the primary for the clients inside the partition, but SSM and the ALB cannot reach it. The ALB marks it unhealthy, Auto Scaling starts replacing it, and primary-failover runs. The graceful stop cannot be delivered, so the run stops the instance with EC2 StopInstances (Force) and waits until EC2 reports it stopped; only then is a member promoted. Never two primaries, counting the partitioned one.',
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    const region = regionOf(twin);
    const ec2 = twin.world.region(region).ec2;
    const old = thePrimary(twin);
    say(`the primary ${old} is partitioned: alive, serving inside the partition, unreachable from outside`);
    const at = twin.world.clock.now();
    ec2.partition(old);
    // The promise here is safety: the partitioned primary is stopped at the hypervisor before anyone is
    // promoted, and never two primaries (the invariants count the partitioned node). Liveness is reported,
    // not promised: a promotion restart can still collide with a joining member's start (JFrog: nodes must
    // not start in parallel), which costs the candidate; with every candidate lost the run escalates, and
    // then nothing notices a member sitting in the primary group (known limits, listed in the README).
    const met = await twin.run(90 * MINUTE, () => readyPrimaries(twin).some((p) => p !== old));
    const state = ec2.instance(old)?.state;
    expectThat(
      state !== 'running' && state !== 'pending',
      `the partitioned primary was stopped (it is ${state})`,
    );
    expectThat(
      forceStopped(twin).length >= 1,
      'a run stopped the old primary at the hypervisor (EC2 StopInstances, Force)',
    );
    if (!met) {
      const told = failovers(twin).some((e) => ['escalated', 'failed'].includes(outcomeOf(e) ?? ''));
      expectThat(told, 'without a new primary, a run escalated and the operator was told');
      say(
        'no new primary within 90 min: every candidate collided with a joining member (escalated, notified)',
      );
      return { 'time without a ready primary': 'over 90 min (escalated)' };
    }
    const gap = twin.world.clock.now() - at;
    await twin.runUntil(
      () => recovered(twin) && settled(twin),
      60 * MINUTE,
      'the primary group holding the primary',
    );
    expectCleanEnd(twin);
    say(
      `${thePrimary(twin)} is the primary ${minutes(gap)} after the partition; the old one was stopped first`,
    );
    return { 'time without a ready primary': minutes(gap), gapMs: gap };
  },
};

/** How long the scene allows the split brain it injects to last (detection by an operator's run, demotion). */
const SPLIT_BRAIN_BOUND_MS = 10 * MINUTE;

export const primarySplitBrain: Scenario = {
  name: 'primary-split-brain',
  title: 'A split brain inside the cooldown: the extra primary is demoted, the gate does not hold it back',
  description:
    "Right after an election (its cooldown running), a member is made a primary by mistake: two primaries. An operator's run (no force) finds the split brain: demoting extra primaries is a safety action, so neither the cooldown nor the budget refuses it; it is fenced like an election but does not start a new cooldown. The extra primary is demoted, the recorded one kept.",
  configure: (config) => ({
    ...config,
    automation: {
      ...config.automation,
      cooldownMinutes: { ...config.automation.cooldownMinutes, primaryFailover: 120 },
    },
  }),
  injected: [{ invariant: 'single-primary', withinMs: SPLIT_BRAIN_BOUND_MS }],
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    const region = regionOf(twin);
    const cluster = twin.world.config.cluster.name;
    const handover = await startFailover(twin, 'handover', {
      cluster,
      region,
      reason: 'planned maintenance of the primary host',
    });
    expectThat(
      outcomeOf(handover) === 'succeeded',
      `the handover elected a primary (${outcomeOf(handover)})`,
    );
    await twin.runUntil(() => recovered(twin) && settled(twin), 30 * MINUTE, 'the handover settling');
    const kept = thePrimary(twin);
    const rogue = twin.world
      .region(region)
      .ec2.instances()
      .find((i) => i.state === 'running' && i.reachable && i.node.ready() && i.id !== kept)?.id as string;
    say(`inside the cooldown, ${rogue} is made a primary by mistake: two primaries`);
    await twin.world.call(region, 'ssm', 'SendCommand', {
      DocumentName: `${cluster}-SetPrimaryRole`,
      InstanceIds: [rogue],
      Parameters: { Role: ['primary'], ClusterMode: ['legacy-primary'] },
    });
    await twin.runUntil(() => readyPrimaries(twin).length === 2, 10 * MINUTE, 'the split brain');
    const run = await startFailover(twin, 'split-brain', {
      cluster,
      region,
      reason: 'two nodes answer as the primary',
    });
    expectThat(outcomeOf(run) === 'succeeded', `the run demoted the extra primary (${outcomeOf(run)})`);
    expectThat(entered(run, 'DemoteExtraPrimary'), 'the extra primary was demoted');
    await twin.runUntil(() => readyPrimaries(twin).length === 1, 10 * MINUTE, 'one primary again');
    expectThat(thePrimary(twin) === kept, `the recorded primary ${kept} was kept`);
    await twin.runUntil(() => settled(twin), 30 * MINUTE, 'every run ending');
    expectCleanEnd(twin);
    say(`${rogue} demoted inside the cooldown; ${kept} is the only primary`);
    return { 'split brain resolved': 'yes' };
  },
};

export const PRIMARY_FENCING_SCENARIOS: readonly Scenario[] = [primaryPartitioned, primarySplitBrain];
