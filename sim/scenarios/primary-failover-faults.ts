/**
 * Primary re-election under harder faults (never two primaries; automation that cannot make things worse): a
 * flapping primary, a candidate that fails its promotion, the primary scaled in, the primary's AZ lost, and
 * the election's own execution dying mid-way. Each scene checks its own outcome; the invariants (never two
 * primaries, above all) are checked by the caller after every scene.
 */
import type { Config } from '../../infra/config/schema';
import type { ExecutionRecord } from '../core/world';
import type { Twin } from '../twin';
import {
  crashAndRecover,
  endedAs,
  entered,
  expectCleanEnd,
  failovers,
  launchFailover,
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

const promoted = (twin: Twin) => failovers(twin).filter((e) => endedAs(e, 'succeeded'));
const azOf = (twin: Twin, id: string) => twin.world.region(regionOf(twin)).ec2.instance(id)?.az ?? '';
const startedAt = (e: ExecutionRecord) => e.startedAt;

async function untilRecovered(twin: Twin, within: number): Promise<void> {
  await twin.runUntil(
    () => recovered(twin) && settled(twin),
    within,
    'the primary group holding one ready primary',
  );
}

const FLAP_COOLDOWN_MINUTES = 30;

export const primaryFlapping: Scenario = {
  name: 'primary-flapping',
  title: 'A flapping primary: the second automatic election within the cooldown is refused',
  description: `The primary dies and a member is elected. The new primary dies too, well inside the cooldown (${FLAP_COOLDOWN_MINUTES} minutes in this scene's config; 15 by default): the automatic runs (alarm, Auto Scaling's replacement) are refused by the anti-flapping gate and the operator is notified; nothing is fenced. Auto Scaling's replacement, which claims the role through the epoch, brings the primary back on its own.`,
  configure: (config: Config): Config => ({
    ...config,
    automation: {
      ...config.automation,
      cooldownMinutes: { ...config.automation.cooldownMinutes, primaryFailover: FLAP_COOLDOWN_MINUTES },
    },
  }),
  async run(twin, say) {
    const first = await crashAndRecover(twin, say, 30 * MINUTE);
    await untilRecovered(twin, 60 * MINUTE);
    const elected = promoted(twin);
    expectThat(elected.length === 1, `one election so far (got ${elected.length})`);
    const electionAt = (elected[0] as ExecutionRecord).startedAt;
    const second = thePrimary(twin);
    const crashedAt = twin.world.clock.now();
    say(`the new primary ${second} dies too, ${minutes(crashedAt - electionAt)} after the election`);
    twin.world.region(regionOf(twin)).ec2.crash(second);
    const refused = () =>
      failovers(twin).filter((e) => startedAt(e) >= crashedAt && outcomeOf(e) === 'refused');
    await twin.runUntil(() => refused().length > 0, 15 * MINUTE, 'an automatic run refused by the gate');
    await twin.runUntil(
      () => readyPrimaries(twin).some((p) => p !== second),
      40 * MINUTE,
      'Auto Scaling bringing a primary back',
    );
    await untilRecovered(twin, 30 * MINUTE);
    const withinCooldown = failovers(twin).filter(
      (e) => entered(e, 'FenceEpoch') && startedAt(e) < electionAt + FLAP_COOLDOWN_MINUTES * MINUTE,
    );
    expectThat(
      withinCooldown.length === 1,
      `one fenced election inside the cooldown (${withinCooldown.length})`,
    );
    const told = twin.world
      .region(regionOf(twin))
      .sns.messages.some((m) => m.at >= crashedAt && /cooldown/.test(`${m.subject ?? ''} ${m.message}`));
    expectThat(told, 'the operator was told of the refusal (cooldown)');
    expectCleanEnd(twin);
    say(
      `${refused().length} automatic run(s) refused; ${thePrimary(twin)} is the primary again (Auto Scaling)`,
    );
    return { 'first crash: no ready primary': String(first['time without a ready primary']) };
  },
};

export const candidateFails: Scenario = {
  name: 'primary-candidate-fails',
  title: 'The chosen candidate fails its promotion: it is quarantined and the next candidate is promoted',
  description:
    "The primary dies. The first candidate's SetPrimaryRole (Role=primary) command fails. The workflow quarantines that candidate (demoted, or stopped at the hypervisor), counts the attempt and promotes the next candidate (bounded by MAX_CANDIDATES), which becomes the primary and is moved into the primary group; the epoch still belongs to the same run.",
  async run(twin, say) {
    const region = regionOf(twin);
    twin.world.faults.ssmCommand({
      region,
      document: `${twin.world.config.cluster.name}-SetPrimaryRole`,
      times: 1,
      outcome: 'Failed',
    });
    const result = await crashAndRecover(twin, say, 40 * MINUTE);
    await untilRecovered(twin, 60 * MINUTE);
    const ok = promoted(twin);
    expectThat(ok.length === 1, `one run promoted a member (got ${ok.length})`);
    const run = ok[0] as ExecutionRecord;
    expectThat(entered(run, 'CandidateFailed'), 'the first candidate failed and was stopped');
    const picks = run.history.filter((h) => h.type === 'StateEntered' && h.state === 'PickCandidate').length;
    expectThat(picks === 2, `the run tried two candidates (got ${picks})`);
    expectThat(!entered(run, 'EscalateRun'), 'no escalation: the second candidate succeeded');
    expectCleanEnd(twin);
    say(`the second candidate ${thePrimary(twin)} is the primary`);
    return result;
  },
};

export const primaryScaleIn: Scenario = {
  name: 'primary-scale-in',
  title: 'The primary is scaled in: node-drain hands over to a member before it goes',
  description:
    "An operator (or an instance refresh) terminates the primary through Auto Scaling. The terminate hook starts node-drain, which starts primary-failover as a planned handover: no confirmation wait, past the cooldown. A member is promoted while the old primary still serves; the old primary finishes draining and is terminated; Auto Scaling's replacement joins as a member and is scaled in by the group move.",
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    const old = thePrimary(twin);
    const region = regionOf(twin);
    const at = twin.world.clock.now();
    say(`the primary ${old} is terminated through Auto Scaling`);
    await twin.world.call(region, 'autoscaling', 'TerminateInstanceInAutoScalingGroup', {
      InstanceId: old,
      ShouldDecrementDesiredCapacity: false,
    });
    await twin.runUntil(
      () => readyPrimaries(twin).some((p) => p !== old),
      30 * MINUTE,
      'a member promoted by the handover',
    );
    const gap = twin.invariants.primaryGaps.filter((g) => g.region === region && g.start >= at);
    await untilRecovered(twin, 60 * MINUTE);
    // Two triggers race: Auto Scaling launches the replacement as the termination starts (trigger
    // `replacement`, the primary is condemned: no confirmation needed) and node-drain starts the planned
    // handover once the target has drained. Whichever runs first promotes; the other finds the lock held or
    // nothing left to do.
    const ok = promoted(twin);
    expectThat(ok.length === 1, `one failover promoted a member (got ${ok.length})`);
    const h = ok[0] as ExecutionRecord;
    expectThat(
      /-(drain|replacement)-/.test(h.name),
      `the handover was started by node-drain or the replacement (${h.name})`,
    );
    expectThat(!entered(h, 'WaitToConfirm'), 'no confirmation wait for a primary being scaled in');
    expectThat(
      twin.world.region(region).ec2.instance(old)?.state !== 'running',
      'the old primary was terminated after its drain',
    );
    expectCleanEnd(twin);
    const without = gap.reduce((t, g) => t + ((g.end ?? twin.world.clock.now()) - g.start), 0);
    say(`${thePrimary(twin)} took over; ${minutes(without)} without a ready primary`);
    return { 'time without a ready primary': minutes(without), gapMs: without };
  },
};

export const primaryAzLoss: Scenario = {
  name: 'primary-az-loss',
  title: "The primary's AZ is lost: a member in another AZ is promoted",
  // Surviving an AZ with cluster.minHealthyNodes 2 takes members in the other AZs to spare: with 2 members
  // the promotion itself leaves one serving node (the capacity invariant says so).
  members: 3,
  description:
    'Three members, the primary among them in one AZ. The AZ of the primary fails: every instance there becomes unreachable. Confirmation finds the primary unreachable and unhealthy behind the ALB; candidate choice prefers members outside the lost AZ; the new primary is in another AZ and is moved into the primary group. The AZ comes back at the end.',
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    const region = regionOf(twin);
    const old = thePrimary(twin);
    const az = azOf(twin, old);
    say(`AZ ${az} (primary ${old}) is lost`);
    const at = twin.world.clock.now();
    twin.world.faults.azDown(region, az);
    await twin.runUntil(
      () => readyPrimaries(twin).some((p) => p !== old && azOf(twin, p) !== az),
      40 * MINUTE,
      'a ready primary in another AZ',
    );
    const gap = twin.world.clock.now() - at;
    const primary = readyPrimaries(twin).find((p) => p !== old) as string;
    expectThat(azOf(twin, primary) !== az, `the new primary ${primary} is outside ${az}`);
    await untilRecovered(twin, 60 * MINUTE);
    expectThat(promoted(twin).length === 1, `one failover promoted a member (${promoted(twin).length})`);
    twin.world.faults.azUp(region, az);
    await twin.run(10 * MINUTE);
    await untilRecovered(twin, 30 * MINUTE);
    expectCleanEnd(twin);
    say(
      `${thePrimary(twin)} in ${azOf(twin, thePrimary(twin))} is the primary, ${minutes(gap)} after the loss`,
    );
    return { 'time without a ready primary': minutes(gap), gapMs: gap };
  },
};

/**
 * Where the election's execution dies, by seed: before the promotion, while the candidate restarts as the
 * primary, and in the group move with the primary group shrunk to 0 and Launch suspended. (Once the candidate
 * is attached, the primary is housed and healthy: an operator's re-run is then a new handover.)
 */
const CRASH_POINTS = [
  'MarkOldPrimaryUnhealthy',
  'AssertFenceBeforePromote',
  'PromoteCandidate',
  'VerifyCandidate',
  'CommitElection',
  'ShrinkPrimaryGroup',
  'DescribeCandidateGroup',
] as const;

export const electionCrash: Scenario = {
  name: 'primary-election-crash',
  title: 'The election execution dies mid-way: a re-run converges and the stale execution is fenced out',
  description:
    "An operator's election is stopped (as if its execution crashed) at a point the seed picks: before the promotion, or in the middle of the group move with Launch suspended and the primary group shrunk. The operator starts it again: the re-run takes over the dead run's cluster lock, fences a new epoch and either elects (nothing was promoted yet) or adopts the node the dead run promoted (found through the state item) and finishes the group move. The dead run's epoch can no longer commit.",
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    const cluster = twin.world.config.cluster.name;
    const region = regionOf(twin);
    const point = CRASH_POINTS[twin.options.seed % CRASH_POINTS.length] as string;
    const before = thePrimary(twin);
    await launchFailover(twin, 'manual-interrupted', {
      cluster,
      region,
      reason: 'maintenance of the primary host',
    });
    const dying = () => failovers(twin).find((e) => e.name === 'manual-interrupted') as ExecutionRecord;
    await twin.runUntil(() => entered(dying(), point), 20 * MINUTE, `the election reaching ${point}`);
    const dead = dying();
    await twin.world.call(region, 'sfn', 'StopExecution', {
      executionArn: dead.executionArn,
      error: 'Crashed',
      cause: 'scene: the execution dies',
    });
    const last = [...dead.history].reverse().find((h) => h.type === 'StateEntered')?.state;
    say(`the election dies in ${last ?? point}`);
    await twin.run(MINUTE);
    // The operator re-runs it; while another run holds the cluster lock (the old primary's drain starts one)
    // the re-run reports the cluster busy, and the operator tries again when that one has ended.
    let rerun: ExecutionRecord | undefined;
    for (let attempt = 1; attempt <= 3; attempt++) {
      rerun = await startFailover(twin, `manual-rerun-${attempt}`, {
        cluster,
        region,
        reason: 'the previous run died; converge',
        // Inside the cooldown the dead run started: an operator's re-run must say so.
        force: true,
      });
      if (outcomeOf(rerun) !== 'skipped') break;
      await twin.runUntil(() => settled(twin), 30 * MINUTE, 'the other run ending');
    }
    const r = rerun as ExecutionRecord;
    expectThat(
      endedAs(r, 'succeeded'),
      `the re-run converged (${r.status} ${r.error ?? ''} ${r.cause?.slice(0, 200) ?? ''})`,
    );
    await untilRecovered(twin, 60 * MINUTE);
    const adopted = r.history.some((h) => /"step":"adopt"/.test(JSON.stringify(h)));
    // The dead run's epoch is stale: its commit is refused (a redriven or resumed copy can change nothing).
    const epochOf = (e: ExecutionRecord) => {
      const fenced = e.history.find((h) => /"fence":\{"epoch":\d+/.test(JSON.stringify(h)));
      const m = fenced ? /"fence":\{"epoch":(\d+)/.exec(JSON.stringify(fenced)) : null;
      return m ? Number(m[1]) : undefined;
    };
    const deadEpoch = epochOf(dead);
    const fn = twin.controlPlane.get(region)?.failoverFunctionArn as string;
    if (deadEpoch !== undefined) {
      // Invoked as a redriven copy of the dead run would be, inside the twin's clock: the handler's I/O and
      // timers run on virtual time, so the call is awaited by running the twin, not beside it.
      let answer: string | undefined;
      void twin.lambda
        .invoke(fn, {
          op: 'commit',
          cluster,
          execution: dead.executionArn,
          epoch: deadEpoch,
          primary: before,
        })
        .then(
          (out) => JSON.stringify(out),
          (err: Error) => `${err.name}: ${err.message}`,
        )
        .then((t) => {
          answer = t;
        });
      await twin.runUntil(() => answer !== undefined, MINUTE, "the dead run's commit answering");
      const text = answer ?? '';
      expectThat(
        /StaleEpoch/.test(text),
        `the dead run's commit is refused as stale (got ${text.slice(0, 200)})`,
      );
    }
    expectThat(thePrimary(twin) !== before || adopted, 'the handover completed');
    expectCleanEnd(twin);
    say(
      `re-run ${adopted ? 'adopted the promoted node and finished the group move' : 'elected'}: ${thePrimary(twin)} is the primary; the dead run's epoch ${deadEpoch ?? '(none)'} is refused`,
    );
    return { 'crash point': point, 're-run': adopted ? 'adopted' : 'elected' };
  },
};

/** Ready nodes running cluster tasks (`taskAffinity: any`) in the first region. */
const taskNodes = (twin: Twin) =>
  twin.world
    .region(regionOf(twin))
    .ec2.instances()
    .filter((i) => i.state === 'running' && i.reachable && i.node.ready() && i.node.taskAffinity === 'any')
    .map((i) => i.id);

export const cloudNativeTaskNodes: Scenario = {
  name: 'primary-cloud-native',
  title: 'Cloud-native: the same workflow keeps minTaskNodes nodes running cluster tasks',
  description:
    "A cloud-native cluster (Artifactory 7.17.4+: no single primary) with minTaskNodes 2. An operator has taken both members off cluster tasks (taskAffinity none, restarted with the member group's health checks suspended), leaving one task node. A primary-failover run confirms too few task nodes, fences, suspends HealthCheck on the member group, sets taskAffinity any on a member (restart in place, readiness), commits and resumes HealthCheck: two task nodes, no primary, no group move.",
  configure: (config: Config): Config => ({
    ...config,
    cluster: { ...config.cluster, mode: 'cloud-native', minTaskNodes: 2 },
  }),
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    const region = regionOf(twin);
    const memberGroup = twin.layout.regions.get(region)?.memberGroup as string;
    const asg = twin.world.region(region).autoscaling;
    const members = asg.groupInstances(memberGroup).map((i) => i.id);
    const healthChecks = (action: 'SuspendProcesses' | 'ResumeProcesses') =>
      twin.world.call(region, 'autoscaling', action, {
        AutoScalingGroupName: memberGroup,
        ScalingProcesses: ['HealthCheck'],
      });
    await healthChecks('SuspendProcesses');
    for (const id of members) {
      await twin.world.call(region, 'ssm', 'SendCommand', {
        DocumentName: `${twin.world.config.cluster.name}-SetPrimaryRole`,
        InstanceIds: [id],
        Parameters: { Role: ['member'], ClusterMode: ['cloud-native'] },
      });
      await twin.runUntil(
        () =>
          twin.world.region(region).ec2.instance(id)?.node.ready() === true && !taskNodes(twin).includes(id),
        10 * MINUTE,
        `${id} back without cluster tasks`,
      );
    }
    await twin.run(2 * MINUTE);
    await healthChecks('ResumeProcesses');
    expectThat(taskNodes(twin).length === 1, `one task node left (${taskNodes(twin).join(', ')})`);
    say(
      `the operator took ${members.join(', ')} off cluster tasks: one task node is left, minTaskNodes is 2`,
    );
    const run = await startFailover(twin, 'task-nodes', {
      cluster: twin.world.config.cluster.name,
      region,
      reason: 'too few nodes run cluster tasks',
    });
    expectThat(
      endedAs(run, 'succeeded') && entered(run, 'CommitTaskNodes'),
      `the run restored the task nodes (${run.status} ${run.error ?? ''})`,
    );
    expectThat(!entered(run, 'ShrinkPrimaryGroup') && !entered(run, 'DetachCandidate'), 'no group move');
    expectThat(entered(run, 'ResumeHealthCheck'), 'HealthCheck resumed on the member group');
    expectThat(!asg.isSuspended(memberGroup, 'HealthCheck'), 'HealthCheck is not left suspended');
    expectThat(taskNodes(twin).length >= 2, `two task nodes (${taskNodes(twin).join(', ')})`);
    expectThat(readyPrimaries(twin).length === 0, 'no legacy primary appeared');
    await twin.runUntil(() => settled(twin), 30 * MINUTE, 'every run settling');
    say(`${taskNodes(twin).join(', ')} run cluster tasks; nothing was moved between groups`);
    return { 'task nodes': taskNodes(twin).length };
  },
};

export const PRIMARY_FAILOVER_FAULT_SCENARIOS: readonly Scenario[] = [
  primaryFlapping,
  candidateFails,
  primaryScaleIn,
  primaryAzLoss,
  electionCrash,
  cloudNativeTaskNodes,
];
