/**
 * Issue 11, items 7 and 10: no lifecycle wait outlasts the hook's heartbeat timeout, even when SSM is slow;
 * every restart of Artifactory (a join, a promotion) takes the cluster join lock and holds it until the node is
 * ready, so no two nodes ever start at once (JFrog: nodes must not start in parallel). Both are read from the
 * twin's own state (restart-checks.ts): Auto Scaling's lifecycle log and the nodes' status logs.
 */

import { HOOKS } from '../../infra/node-lifecycle';
import { documentNames } from '../../infra/ssm-documents';
import type { ExecutionRecord } from '../core/world';
import type { Twin } from '../twin';
import { joinLockPolls } from './costs';
import {
  crashAndRecover,
  endedAs,
  entered,
  expectCleanEnd,
  failovers,
  layoutOf,
  minutes,
  recovered,
  regionOf,
  settled,
} from './primary-failover';
import { expectSerialStarts, longestHeartbeatGap } from './restart-checks';
import { expectThat, MINUTE, type Scenario } from './types';

/** The hook's heartbeat timeout less the margin test/infra/heartbeats.test.ts keeps below it. */
const HEARTBEAT_BOUND_MS = ((HOOKS[0]?.heartbeatTimeoutSeconds ?? 0) - 120) * 1000;

const bootstraps = (twin: Twin): ExecutionRecord[] =>
  twin.world.executions.filter((e) => e.stateMachine === 'node-bootstrap');

const inService = (twin: Twin, group: string) =>
  twin.world
    .region(regionOf(twin))
    .autoscaling.groupInstances(group)
    .filter((i) => i.state === 'InService').length;

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

export const slowSsmBootstrap: Scenario = {
  name: 'slow-ssm-bootstrap',
  title: 'Slow SSM commands during a bootstrap: the launch hook never times out',
  description:
    "A member joins while SSM is slow on it: the configure document's first two runs hang past their 300 s execution timeout (SSM ends them TimedOut) and the start document's run takes 290 s. node-bootstrap runs each configure attempt, and the start, right after a lifecycle heartbeat, so the launch hook (900 s heartbeat timeout) never expires: the third configure attempt succeeds, the node joins and its launch is completed with CONTINUE.",
  async run(twin, say) {
    const region = regionOf(twin);
    const group = layoutOf(twin).memberGroup;
    const docs = documentNames(twin.world.config.cluster.name);
    await twin.run(2 * MINUTE);
    twin.world.faults.slowSsmCommand({ region, document: docs.configureNode, times: 2, seconds: 400 });
    twin.world.faults.slowSsmCommand({ region, document: docs.startArtifactory, times: 1, seconds: 290 });
    say(`${group}: desired capacity 2 -> 3, while SSM runs slowly on the new node`);
    await twin.world.call(region, 'autoscaling', 'SetDesiredCapacity', {
      AutoScalingGroupName: group,
      DesiredCapacity: 3,
    });
    await twin.runUntil(
      () => inService(twin, group) === 3 && settled(twin),
      90 * MINUTE,
      'the new member in service',
    );
    const timedOut = twin.world.timeline.find('asg', /lifecycle action timed out/);
    expectThat(
      timedOut.length === 0,
      `no lifecycle action timed out (${timedOut.map((e) => `${minutes(e.at - twin.world.clock.startAt)}: ${e.message}`).join('; ')})`,
    );
    const boots = bootstraps(twin);
    expectThat(
      boots.length === 1 && boots[0]?.status === 'SUCCEEDED',
      `one bootstrap, succeeded (${boots.map((b) => `${b.name} ${b.status} ${b.error ?? ''}`).join(', ')})`,
    );
    const { instanceId } = (boots[0] as ExecutionRecord).input as { instanceId: string };
    // The faults bit: two configure runs ended TimedOut, and the start was slow.
    const ssmTimeouts = twin.world.timeline.find('ssm', `${docs.configureNode} on ${instanceId}: TimedOut`);
    expectThat(ssmTimeouts.length === 2, `two configure runs timed out (got ${ssmTimeouts.length})`);
    const gap = longestHeartbeatGap(twin, instanceId);
    expectThat(
      gap <= HEARTBEAT_BOUND_MS,
      `the launch hook of ${instanceId} went ${seconds(gap)} without a heartbeat (bound ${seconds(HEARTBEAT_BOUND_MS)})`,
    );
    expectSerialStarts(twin);
    say(`${instanceId} joined; the longest wait without a heartbeat was ${seconds(gap)}`);
    return { 'longest heartbeat gap': seconds(gap), heartbeatGapMs: gap };
  },
};

export const promotionDuringJoin: Scenario = {
  name: 'promotion-during-join',
  title: "A promotion coincides with replacement nodes' starts: the restarts take turns",
  description:
    "The primary's host dies, and the promotion's restart will be slow (its SetPrimaryRole run takes 45 s longer). Auto Scaling replaces the primary in the primary group (that replacement joins as a member, or is scaled in by the group move while it waits), and the member detached for promotion is replaced in the member group: nodes join while the candidate restarts as the primary. The promotion takes the cluster join lock around its restart, until the candidate is ready in its role; the joins queue for it, and every start runs alone (JFrog: nodes must not start in parallel), each under the lock until its node is ready.",
  async run(twin, say) {
    const docs = documentNames(twin.world.config.cluster.name);
    // The promotion's restart is slow (its SetPrimaryRole run takes 45 s longer): the member group's
    // replacement, launched when the candidate is detached, reaches its start before the candidate is ready.
    // (Not slower: a promotion that outlasts the detach's deregistration delay meets a race of the group move,
    // which attaches the new primary before the primary group's shrink to 0 has taken effect.)
    twin.world.faults.slowSsmCommand({
      region: regionOf(twin),
      document: docs.setPrimaryRole,
      times: 1,
      seconds: 45,
    });
    const result = await crashAndRecover(twin, say, 40 * MINUTE);
    await twin.runUntil(
      () => recovered(twin) && inService(twin, layoutOf(twin).memberGroup) === 2 && settled(twin),
      90 * MINUTE,
      'the primary group holding the primary and two members in service',
    );
    const starts = expectSerialStarts(twin);
    const ok = failovers(twin).filter((e) => endedAs(e, 'succeeded'));
    expectThat(ok.length === 1, `one failover promoted a member (got ${ok.length})`);
    expectThat(
      ok.every((e) => entered(e, 'AcquirePromotionJoinLock') && entered(e, 'ReleasePromotionJoinLock')),
      'the promotion took and gave back the join lock',
    );
    // The primary group's replacement may be scaled in by the group move while it waits: only the member
    // group's joins must all succeed.
    const memberGroup = layoutOf(twin).memberGroup;
    const failed = bootstraps(twin).filter(
      (e) => (e.input as { groupName?: string }).groupName === memberGroup && e.status !== 'SUCCEEDED',
    );
    expectThat(
      failed.length === 0,
      `every join into ${memberGroup} succeeded (${failed.map((e) => `${e.name}: ${e.error}`).join(', ')})`,
    );
    expectThat(starts >= 2, `the promotion's restart and at least one join (got ${starts} starts)`);
    const queued = bootstraps(twin).filter(
      (e) => (e.input as { groupName?: string }).groupName === memberGroup && joinLockPolls(e) > 0,
    );
    expectThat(queued.length >= 1, "the member group's replacement queued for the join lock");
    expectCleanEnd(twin);
    say(`${starts} starts, one at a time: the promotion's, then ${starts - 1} join(s)`);
    return { ...result, starts, 'joins that queued': queued.length };
  },
};

export const NODE_RESTART_SCENARIOS: readonly Scenario[] = [slowSsmBootstrap, promotionDuringJoin];
