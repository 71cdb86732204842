/**
 * Events the control plane does not own (issue 11, item 8): another team's lifecycle hook on a cluster group.
 * Each hook on a group emits its own lifecycle event for the same instance (Amazon EC2 Auto Scaling User Guide,
 * "Lifecycle hooks": the instance waits until every hook's action is completed or times out).
 */
import { HOOK_NAMES } from '../../functions/core/lifecycle';
import type { ExecutionRecord } from '../core/world';
import type { Twin } from '../twin';
import { expectThat, MINUTE, type Scenario } from './types';

const regionOf = (twin: Twin) => twin.world.regionNames[0] as string;
const membersOf = (twin: Twin) => twin.layout.regions.get(regionOf(twin))?.memberGroup as string;

/** The other team's launch hook: its owner completes it, or its default (CONTINUE) does after 300 s. */
export const OTHER_TEAM_HOOK = 'other-team-launch';

const inService = (twin: Twin, group: string) =>
  twin.world
    .region(regionOf(twin))
    .autoscaling.groupInstances(group)
    .filter((i) => i.state === 'InService')
    .map((i) => i.id);
const bootstraps = (twin: Twin): ExecutionRecord[] =>
  twin.world.executions.filter((e) => e.stateMachine === 'node-bootstrap');
const settled = (twin: Twin) => twin.world.executions.every((e) => e.status !== 'RUNNING');
const asgLog = (twin: Twin, pattern: RegExp) =>
  twin.world.timeline.entries.filter((e) => e.source === 'asg' && pattern.test(e.message));

export const foreignLaunchHook: Scenario = {
  name: 'foreign-launch-hook',
  // The other team's action ending by its default is the scene's premise, not the control plane's doing.
  premise: [
    { invariant: 'lifecycle-timeout', message: new RegExp(`\\(hook ${OTHER_TEAM_HOOK}, `), count: 1 },
  ],
  title: "Another team's launch hook on the member group: the node joins once, under the project's hook",
  description:
    "Another team puts its own launch hook (other-team-launch, heartbeat 300 s, default CONTINUE) on the member group, then the group scales out by one. Auto Scaling emits one lifecycle event per hook for the new instance. Dispatch refuses the other team's event (counted as ForeignEvent, not thrown, so not retried) and starts node-bootstrap for the project's hook only; the other team's action is left to its owner and ends by its own default when its heartbeat timeout expires. The node joins exactly once: no abandoned launch, no replacement instance.",
  async run(twin, say) {
    const region = regionOf(twin);
    const group = membersOf(twin);
    await twin.run(2 * MINUTE);
    say(`${group}: another team adds the launch hook ${OTHER_TEAM_HOOK} (300 s, default CONTINUE)`);
    await twin.world.call(region, 'autoscaling', 'PutLifecycleHook', {
      AutoScalingGroupName: group,
      LifecycleHookName: OTHER_TEAM_HOOK,
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      HeartbeatTimeout: 300,
      DefaultResult: 'CONTINUE',
    });
    const launchesBefore = asgLog(twin, new RegExp(`^${group}: launching `)).length;
    say(`${group}: desired capacity 2 -> 3`);
    await twin.world.call(region, 'autoscaling', 'SetDesiredCapacity', {
      AutoScalingGroupName: group,
      DesiredCapacity: 3,
    });
    await twin.runUntil(
      () => inService(twin, group).length === 3 && settled(twin),
      90 * MINUTE,
      'the new member in service',
    );
    // Two more sweeps (every 5 minutes): they must find nothing to start.
    await twin.run(11 * MINUTE);

    const launches = asgLog(twin, new RegExp(`^${group}: launching `)).length - launchesBefore;
    expectThat(launches === 1, `one instance launched, none replaced (got ${launches} launches)`);
    expectThat(asgLog(twin, /abandoned/).length === 0, 'no launch was abandoned');
    expectThat(inService(twin, group).length === 3, 'three members in service');

    const runs = bootstraps(twin);
    expectThat(runs.length === 1, `one node-bootstrap (got ${runs.length})`);
    const run = runs[0] as ExecutionRecord;
    const input = run.input as { hookName?: string; instanceId?: string };
    expectThat(run.status === 'SUCCEEDED', `node-bootstrap succeeded (${run.status} ${run.error ?? ''})`);
    expectThat(
      input.hookName === HOOK_NAMES.launch,
      `node-bootstrap ran under ${HOOK_NAMES.launch} (got ${input.hookName})`,
    );

    const otherTimedOut = asgLog(
      twin,
      new RegExp(`timed out for ${input.instanceId} \\(hook ${OTHER_TEAM_HOOK}, .*default result CONTINUE`),
    );
    expectThat(
      otherTimedOut.length === 1,
      `the other team's action ended by its own default (CONTINUE) (got ${otherTimedOut.length})`,
    );
    const projectTimedOut = asgLog(twin, new RegExp(`hook ${HOOK_NAMES.launch}, .*timeout`));
    expectThat(projectTimedOut.length === 0, "the project's own launch action never timed out");

    const refusals = twin.world.outputs.filter(
      (o) => /dispatch/.test(o.source) && o.source.endsWith(':output') && /"rejected"/.test(o.text),
    );
    expectThat(
      refusals.length === 1 && /"reason":"hook"/.test(refusals[0]?.text ?? ''),
      `dispatch refused the other team's event once (got ${refusals.map((r) => r.text).join(', ')})`,
    );
    const failedDeliveries = twin.world
      .region(region)
      .events.deliveries.filter((d) => d.rule.endsWith('lifecycle-events') && d.outcome !== 'succeeded');
    expectThat(failedDeliveries.length === 0, `no lifecycle event delivery failed (so none was retried)`);

    say("the node joined once under the project's hook; the other team's action ended by its own default");
    return { 'bootstrap executions': runs.length, 'refused events': refusals.length };
  },
};

export const FOREIGN_EVENT_SCENARIOS: readonly Scenario[] = [foreignLaunchHook];
