/**
 * Leases that cannot run out under a running holder (issue 11, item 3). An election may legitimately take
 * longer than half an hour (three candidates whose promotion commands hang until node-command gives up); the
 * cluster lock and the election's fence must still be its own until it ends, so that no second run acts
 * beside it.
 */
import type { ExecutionRecord } from '../core/world';
import type { Twin } from '../twin';
import {
  entered,
  expectCleanEnd,
  failovers,
  minutes,
  outcomeOf,
  recovered,
  regionOf,
  settled,
  startFailover,
  thePrimary,
} from './primary-failover';
import { expectThat, MINUTE, type Scenario } from './types';

interface Held {
  readonly run: string;
  readonly from: number;
  readonly to: number;
}

/**
 * When each primary-failover run held the cluster lock: from the AcquireClusterLock that answered `acquired`
 * until it entered ReleaseClusterLock (or ended without releasing).
 */
export function clusterLockHolds(twin: Twin): Held[] {
  const out: Held[] = [];
  for (const e of failovers(twin)) {
    const took = e.history.find(
      (h) =>
        h.type === 'StateExited' &&
        h.state === 'AcquireClusterLock' &&
        (h.data as { state?: { output?: { lock?: { acquired?: boolean } } } })?.state?.output?.lock
          ?.acquired === true,
    );
    if (!took) continue;
    const released = e.history.find((h) => h.type === 'StateEntered' && h.state === 'ReleaseClusterLock');
    out.push({
      run: e.name,
      from: took.at,
      to: released?.at ?? e.stoppedAt ?? twin.world.clock.now(),
    });
  }
  return out;
}

/** Two runs that held the cluster lock at the same time, if any. */
export function overlappingHolds(holds: readonly Held[]): [Held, Held] | undefined {
  for (const a of holds) {
    for (const b of holds) {
      if (a !== b && a.from < b.from && b.from < a.to) return [a, b];
    }
  }
  return undefined;
}

const duration = (e: ExecutionRecord, now: number) => (e.stoppedAt ?? now) - e.startedAt;

/** The first run that tried a candidate: the election. */
const electionOf = (twin: Twin) => failovers(twin).find((e) => entered(e, 'TryCandidate'));

/** When the operator loses patience: past the old 30-minute cluster lock. */
const IMPATIENT_AFTER_MS = 31 * MINUTE;

export const primarySlowElection: Scenario = {
  name: 'primary-slow-election',
  title:
    'An election that takes longer than half an hour keeps its lock and its fence: no second run acts beside it',
  description:
    "The primary is partitioned, and the promotion command of every candidate hangs on its node (SSM: InProgress until node-command gives up after 10 minutes). The election stops the old primary at the hypervisor, tries three candidates one after the other, and runs well past 30 minutes. After 31 minutes an operator starts a run by hand. The cluster lock is sized to outlast the workflow's own timeout and is taken over only from an execution that has ended: the run by hand finds it held and changes nothing. The election ends by promoting a member, or escalates and tells the operator, whose next run does.",
  members: 3,
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    const region = regionOf(twin);
    const cluster = twin.world.config.cluster.name;
    const old = thePrimary(twin);
    twin.world.faults.ssmCommand({
      region,
      document: `${cluster}-SetPrimaryRole`,
      times: 3,
      outcome: 'TimedOut',
    });
    say(`the primary ${old} is partitioned; the next three promotion commands hang on their nodes`);
    const cutAt = twin.world.clock.now();
    twin.world.region(region).ec2.partition(old);
    await twin.runUntil(() => electionOf(twin) !== undefined, 30 * MINUTE, 'an election starting');
    const election = electionOf(twin) as ExecutionRecord;
    await twin.runUntil(
      () =>
        twin.world.clock.now() >= election.startedAt + IMPATIENT_AFTER_MS || election.status !== 'RUNNING',
      IMPATIENT_AFTER_MS + MINUTE,
      'the election running for 31 minutes',
    );
    expectThat(
      election.status === 'RUNNING',
      `the election still runs after 31 minutes (it ${election.status})`,
    );

    // An impatient operator starts a run by hand while the election still runs.
    say(`the election has run for 31 minutes; the operator starts primary-failover by hand`);
    const impatient = await startFailover(twin, 'impatient', {
      cluster,
      region,
      reason: 'the election is taking too long',
    });
    expectThat(
      !entered(impatient, 'FenceEpoch'),
      'the run by hand did not fence beside the running election',
    );
    await twin.runUntil(() => election.status !== 'RUNNING', 60 * MINUTE, 'the election ending');
    const took = duration(election, twin.world.clock.now());
    const outcome = outcomeOf(election) ?? election.status;
    expectThat(
      outcome === 'succeeded' || outcome === 'escalated',
      `the election promoted a member or escalated (it ${outcome})`,
    );
    await twin.run(15 * MINUTE); // the census sweeps again after the election
    const overlap = overlappingHolds(clusterLockHolds(twin));
    expectThat(
      overlap === undefined,
      overlap
        ? `${overlap[1].run} took the cluster lock at T+${minutes(overlap[1].from - cutAt)} while ${overlap[0].run} still held it`
        : '',
    );
    say(`the election ${outcome} after ${minutes(took)}, holding the lock alone`);
    let recoveredBy = election;
    if (outcome === 'escalated') {
      // The operator was told; once the commands answer again, the operator runs primary-failover by hand.
      const manual = await startFailover(twin, 'after-escalation', {
        cluster,
        region,
        reason: 'the election escalated: promotion commands hung',
      });
      expectThat(outcomeOf(manual) === 'succeeded', `the operator's run succeeded (it ${outcomeOf(manual)})`);
      recoveredBy = manual;
    }
    await twin.runUntil(
      () => recovered(twin) && settled(twin),
      60 * MINUTE,
      'the primary group holding the primary',
    );
    // The run that recovered ends once its new primary is ready and in the primary group.
    const gap = (recoveredBy.stoppedAt ?? twin.world.clock.now()) - cutAt;
    expectCleanEnd(twin);
    say(`${thePrimary(twin)} is the primary, in the primary group ${minutes(gap)} after the partition`);
    return {
      'election (lock held alone)': minutes(took),
      'runs that held the lock': clusterLockHolds(twin).length,
      'time to a primary in the primary group': minutes(gap),
    };
  },
};

export const LEASE_SCENARIOS: readonly Scenario[] = [primarySlowElection];
