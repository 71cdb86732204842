/**
 * Failed and superseded candidates are quarantined, never forgotten (issue 11, items 2 and 4). A candidate whose
 * promotion half-succeeded may run as the primary where nobody sees it; a candidate promoted by a run that
 * another election overtook is a primary nobody will record. Either is demoted (primary: false written,
 * Artifactory stopped) or, when that cannot be confirmed, stopped at the hypervisor, and kept in the cluster's
 * STATE item until it is terminated or an operator releases it. The invariants (never two primaries, counting
 * a partitioned node) are checked by the caller throughout.
 */
import type { ExecutionRecord } from '../core/world';
import type { Twin } from '../twin';
import {
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
  thePrimary,
} from './primary-failover';
import { expectThat, MINUTE, type Scenario } from './types';

/** A run's phase children, at any depth. */
const descendants = (e: ExecutionRecord): ExecutionRecord[] =>
  (e.children ?? []).flatMap((c) => [c, ...descendants(c)]);

/** The candidate attempts of every failover run that reached `state`, with their candidate. */
function attemptsAt(twin: Twin, state: string): { run: ExecutionRecord; candidate: string }[] {
  return failovers(twin).flatMap((run) =>
    descendants(run)
      .filter((c) => c.stateMachine === 'primary-failover-candidate' && entered(c, state))
      .map((c) => ({
        run,
        candidate: (c.input as { candidate: { instanceId: string } }).candidate.instanceId,
      })),
  );
}

/** What a run's quarantine phases ended with, by instance. */
function quarantineOutcomes(run: ExecutionRecord): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of descendants(run).filter((d) => d.stateMachine === 'primary-failover-quarantine')) {
    const o = c.output as { outcome?: string; instanceId?: string } | undefined;
    if (o?.instanceId) out.set(o.instanceId, `${c.status} ${o.outcome ?? ''}`.trim());
    else out.set((c.input as { instanceId: string }).instanceId, c.status);
  }
  return out;
}

/** Invoke the region's failover Lambda as a workflow would, inside the twin's clock. */
async function invokeFailover(twin: Twin, payload: Record<string, unknown>): Promise<unknown> {
  const fn = twin.controlPlane.get(regionOf(twin))?.failoverFunctionArn as string;
  let answer: { ok: unknown } | { err: Error } | undefined;
  // The handler's I/O and timers run on virtual time: the call is awaited by running the twin.
  void twin.lambda.invoke(fn, payload).then(
    (ok) => {
      answer = { ok };
    },
    (err: Error) => {
      answer = { err };
    },
  );
  await twin.runUntil(
    () => answer !== undefined,
    MINUTE,
    `the failover Lambda answering ${String(payload.op)}`,
  );
  const a = answer as { ok: unknown } | { err: Error };
  if ('err' in a) throw a.err;
  return a.ok;
}

interface Observed {
  readonly nodes: { instanceId: string; ec2State: string; group: string }[];
  readonly state: { quarantine?: Record<string, { reason: string; run: string; fence: string }> };
  readonly probeTargets: string[];
}

/** What the failover Lambda's `observe` (every run's first look) sees now. */
const observed = async (twin: Twin) => (await invokeFailover(twin, { op: 'observe' })) as Observed;

/** Checks that `node` is quarantined for `reason` by `run`, fenced as `fence`, and that observe looks at it. */
async function expectQuarantined(
  twin: Twin,
  node: string,
  expected: { reason: string; run: string; fence: string },
): Promise<Observed> {
  const seen = await observed(twin);
  const entry = seen.state.quarantine?.[node];
  expectThat(
    entry !== undefined,
    `${node} is quarantined in the STATE item (quarantine: ${JSON.stringify(seen.state.quarantine ?? null)})`,
  );
  expectThat(
    entry?.reason === expected.reason && entry.run === expected.run && entry.fence === expected.fence,
    `${node} is quarantined as ${JSON.stringify(expected)} (got ${JSON.stringify(entry)})`,
  );
  expectThat(
    seen.nodes.some((n) => n.instanceId === node),
    `observe looks at the quarantined ${node} although it is in no group`,
  );
  return seen;
}

/** The safety promise first: never two primaries so far (the invariant counts a partitioned node). */
function expectOnePrimaryAtATime(twin: Twin): void {
  twin.invariants.check();
  const two = twin.invariants.violations.find((v) => v.invariant === 'single-primary');
  expectThat(
    two === undefined,
    `never two primaries (${two?.message} at T+${minutes((two?.at ?? 0) - twin.world.clock.startAt)})`,
  );
}

/** How the half-promoted candidate goes wrong, by seed: cut off by a partition, or its verification failing. */
const HALF_PROMOTED = ['partitioned', 'unverified'] as const;

export const candidateHalfPromoted: Scenario = {
  name: 'primary-candidate-half-promoted',
  title:
    'A candidate whose promotion half-succeeds is demoted or stopped at the hypervisor and stays quarantined',
  description:
    'The primary dies. The first candidate is promoted (primary: true, restarting) but its promotion cannot be confirmed: on even seeds a network partition cuts it off while it restarts (it runs as the primary inside the partition; the promotion command never answers); on odd seeds every readiness probe of it fails while it runs as the primary. The run puts it away before trying the next candidate: a node that answers is demoted (primary: false written, Artifactory stopped); a partitioned one is stopped at the hypervisor and the run waits until EC2 reports it stopped. The failed candidate stays quarantined in the STATE item, observe keeps looking at it, and the run says so. Never two primaries, counting the partitioned one.',
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    const region = regionOf(twin);
    const ec2 = twin.world.region(region).ec2;
    const variant = HALF_PROMOTED[twin.options.seed % HALF_PROMOTED.length] as (typeof HALF_PROMOTED)[number];
    const old = thePrimary(twin);
    say(`the host of the primary ${old} dies`);
    const crashedAt = twin.world.clock.now();
    ec2.crash(old);
    if (variant === 'partitioned') {
      // Cut off once the promotion command runs on the node: it restarts as the primary inside the partition,
      // and its answer never comes back.
      const restarting = () =>
        attemptsAt(twin, 'PromoteCandidate').find(({ candidate: c }) =>
          ['stopping', 'starting'].includes(ec2.instance(c)?.node.status ?? ''),
        );
      await twin.runUntil(
        () => restarting() !== undefined,
        30 * MINUTE,
        'a candidate restarting as the primary',
      );
      const { candidate } = restarting() as { candidate: string };
      say(`${candidate} restarts as the primary and is cut off by a network partition`);
      ec2.partition(candidate);
    } else {
      await twin.runUntil(
        () => attemptsAt(twin, 'InitVerify').length > 0,
        30 * MINUTE,
        'a candidate promoted',
      );
      const { candidate } = attemptsAt(twin, 'InitVerify')[0] as { candidate: string };
      say(`${candidate} restarts as the primary, but every readiness probe of it fails`);
      twin.world.faults.ssmCommand({
        region,
        document: `${twin.world.config.cluster.name}-ProbeReadiness`,
        instanceId: candidate,
        times: 30,
        outcome: 'Failed',
      });
    }
    const { run, candidate } = attemptsAt(twin, 'PromoteCandidate')[0] as {
      run: ExecutionRecord;
      candidate: string;
    };
    await twin.runUntil(
      () => readyPrimaries(twin).some((p) => p !== old && p !== candidate),
      60 * MINUTE,
      'another candidate promoted',
    );
    const gap = twin.world.clock.now() - crashedAt;
    await twin.runUntil(
      () => recovered(twin) && settled(twin),
      60 * MINUTE,
      'the primary group holding the primary',
    );
    // What the operator and the cluster see first; how the workflow got there after.
    expectOnePrimaryAtATime(twin);
    const fence = variant === 'partitioned' ? 'stopped' : 'demoted';
    const inst = ec2.instance(candidate);
    expectThat(
      variant === 'partitioned'
        ? inst?.state === 'stopped'
        : inst?.node.status === 'stopped' && inst.node.systemYaml?.role === 'member',
      `${candidate} is out of service (EC2 ${inst?.state}, Artifactory ${inst?.node.status}, system.yaml ${inst?.node.systemYaml?.role})`,
    );
    await expectQuarantined(twin, candidate, { reason: 'candidate-failed', run: run.executionArn, fence });
    const told = twin.world
      .region(region)
      .sns.messages.some((m) => m.message.includes(`${candidate} was`) && m.message.includes('quarantined'));
    expectThat(told, `the run's notification names the quarantined ${candidate}`);
    expectThat(endedAs(run, 'succeeded'), `the run recovered (${run.status} ${outcomeOf(run)})`);
    expectThat(entered(run, 'CandidateFailed'), `the run put ${candidate} away before the next candidate`);
    const ended = quarantineOutcomes(run).get(candidate);
    expectThat(ended === `SUCCEEDED ${fence}`, `${candidate}'s quarantine ended ${fence} (got ${ended})`);
    expectCleanEnd(twin);
    say(
      `${candidate} is ${fence} and quarantined; ${thePrimary(twin)} is the primary ${minutes(gap)} after the crash`,
    );
    return { variant, 'time without a ready primary': minutes(gap), gapMs: gap };
  },
};

/** The scene's stand-in for another election's execution (its fence and escalation go through the Lambda). */
const otherElection = (twin: Twin) =>
  `arn:aws:states:${regionOf(twin)}:${twin.world.accountId}:execution:${twin.world.config.cluster.name}-primary-failover:scene-other-election`;

/** The epoch a run fenced, from its history. */
function fencedEpoch(e: ExecutionRecord): number | undefined {
  for (const h of e.history) {
    const m = /"fence":\{"epoch":(\d+)/.exec(JSON.stringify(h));
    if (m) return Number(m[1]);
  }
  return undefined;
}

export const supersededPromotion: Scenario = {
  name: 'primary-superseded-promotion',
  title: 'A run overtaken after promoting its candidate demotes it, quarantines it, and tells the operator',
  description:
    "An operator's handover stops the old primary and promotes a member. While the member restarts as the primary, another election takes the epoch and gives up (the scene plays it through the failover Lambda, as a run that outlived this one's lease would). The handover's commit is refused as stale: nobody will ever record its candidate, which runs as the primary. The run demotes it (primary: false written, Artifactory stopped), quarantines it and notifies; Auto Scaling's replacement of the old primary then claims the role. Never two primaries.",
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    const region = regionOf(twin);
    const cluster = twin.world.config.cluster.name;
    const old = thePrimary(twin);
    const at = twin.world.clock.now();
    await launchFailover(twin, 'handover-overtaken', {
      cluster,
      region,
      reason: 'maintenance of the primary host',
    });
    const handover = () => failovers(twin).find((e) => e.name === 'handover-overtaken') as ExecutionRecord;
    await twin.runUntil(
      () => attemptsAt(twin, 'InitVerify').length > 0,
      20 * MINUTE,
      'the candidate promoted',
    );
    const { candidate } = attemptsAt(twin, 'InitVerify')[0] as { candidate: string };
    const epoch = fencedEpoch(handover());
    expectThat(epoch !== undefined, 'the handover fenced an epoch');
    say(
      `${candidate} restarts as the primary; another election takes epoch ${(epoch ?? 0) + 1} and gives up`,
    );
    const other = otherElection(twin);
    await invokeFailover(twin, { op: 'fence', cluster, execution: other, expectedEpoch: epoch, plan: {} });
    await invokeFailover(twin, { op: 'escalate', cluster, execution: other, epoch: (epoch ?? 0) + 1 });
    await twin.runUntil(() => handover().status !== 'RUNNING', 40 * MINUTE, 'the handover ending');
    const run = handover();
    // What the operator and the cluster see first; how the workflow got there after.
    const node = twin.world.region(region).ec2.instance(candidate)?.node;
    expectThat(
      node?.isPrimary() === false && node.systemYaml?.role === 'member',
      `${candidate} no longer runs as the primary (Artifactory ${node?.status}, system.yaml ${node?.systemYaml?.role})`,
    );
    await expectQuarantined(twin, candidate, {
      reason: 'superseded',
      run: run.executionArn,
      fence: 'demoted',
    });
    const told = twin.world
      .region(region)
      .sns.messages.some((m) => /superseded/.test(m.subject ?? '') && m.message.includes(candidate));
    expectThat(told, `the operator was told the superseded run quarantined ${candidate}`);
    expectThat(entered(run, 'CommitElection'), 'the handover verified its candidate and tried to commit it');
    expectThat(outcomeOf(run) === 'superseded', `the handover was superseded (${outcomeOf(run)})`);
    expectThat(entered(run, 'QuarantineSuperseded'), `the superseded handover put ${candidate} away`);
    const ended = quarantineOutcomes(run).get(candidate);
    expectThat(ended === 'SUCCEEDED demoted', `${candidate} was demoted (got ${ended})`);
    await twin.runUntil(
      () => readyPrimaries(twin).some((p) => p !== old && p !== candidate),
      40 * MINUTE,
      "Auto Scaling's replacement claiming the primary role",
    );
    const gap = twin.world.clock.now() - at;
    await twin.runUntil(
      () => recovered(twin) && settled(twin),
      40 * MINUTE,
      'the primary group holding the primary',
    );
    expectOnePrimaryAtATime(twin);
    expectCleanEnd(twin);
    say(
      `${candidate} demoted and quarantined; ${thePrimary(twin)} claimed the role ${minutes(gap)} after the handover began`,
    );
    return { 'time without a ready primary': minutes(gap), gapMs: gap };
  },
};

export const PRIMARY_QUARANTINE_SCENARIOS: readonly Scenario[] = [candidateHalfPromoted, supersededPromotion];
