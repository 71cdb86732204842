/**
 * Operator-driven regional failover (issue 14): an evacuation that depends neither on the sick region nor on
 * us-east-1's Route 53 API, the `route53-api` driver refusing when that API fails, approval then failback, and
 * the drill's report.
 */
import type { Config } from '../../infra/config/schema';
import type { Twin } from '../twin';
import { adoptEveryRegion } from './cert-rotation';
import { GOAL_RATIO } from './regional-automatic';
import {
  enteredState,
  launchRegional,
  RoutingWatch,
  regionalRuns,
  runRegional,
  runText,
  seconds,
  servingNow,
  settle,
  switchCopies,
  switchedOut,
  thePlan,
} from './regional-common';
import { notices } from './regional-safety';
import { clientsAwayAt, clientsBackAt, exclusionFloor, regionalFaults, returnFloor } from './regional-twin';
import { expectThat, MINUTE, type Scenario, type ScenarioResult } from './types';

const withFailover =
  (patch: Partial<Config['failover']>) =>
  (config: Config): Config => ({
    ...config,
    failover: { ...config.failover, ...patch },
  });

/** Window ≤ GOAL_RATIO × floor, as a figure. */
function bounded(
  what: string,
  windowMs: number,
  floor: { floorMs: number; explanation: string },
): ScenarioResult {
  expectThat(
    windowMs <= GOAL_RATIO * floor.floorMs,
    `${what} took ${seconds(windowMs)}, more than ${GOAL_RATIO} × its floor ${seconds(floor.floorMs)} (${floor.explanation})`,
  );
  return {
    [what]: `${seconds(windowMs)} / floor ${seconds(floor.floorMs)} = ${(windowMs / floor.floorMs).toFixed(2)}×`,
  };
}

const route53Calls = (twin: Twin, since: number) =>
  twin.world.apiCalls.filter((c) => c.at >= since && c.service === 'route53').map((c) => c.action);

export const cloudWatchLost: Scenario = {
  name: 'regional-cloudwatch-lost',
  prepare: adoptEveryRegion,
  title:
    'Evacuate a region whose CloudWatch is unreachable; its restore waits until every copy can be written',
  description:
    "eu-west-1's CloudWatch is lost (its API fails, its alarms are insufficient data to Route 53, whose check keeps the copy's last known status). An operator evacuates eu-west-1 from us-east-1: the copy in us-east-1 is written, one copy in ALARM takes the region out (AND), and 95 % of its clients leave within the floor. A restore while eu-west-1's copy cannot be written fails SwitchUnreachable and leaves the region out (safe); once CloudWatch is back the restore brings it in.",
  configure: withFailover({ flipWaitMinutes: 2 }),
  async run(twin, say) {
    const [x, peer] = twin.world.regionNames as [string, string];
    const watch = new RoutingWatch(twin);
    await settle(twin);
    const faults = regionalFaults(twin);
    say(`${x}'s CloudWatch is lost`);
    faults.loseCloudWatch(x);
    await twin.run(MINUTE);
    const startAt = twin.world.clock.now();
    const run = await runRegional(twin, peer, 'evacuate-cw-lost', {
      action: 'evacuate',
      region: x,
      reason: `scene: evacuate ${x} while its CloudWatch is down`,
    });
    expectThat(run.status === 'SUCCEEDED', `the evacuation succeeded (${run.status} ${run.error ?? ''})`);
    expectThat(switchCopies(twin, x)[peer] === 'ALARM', `the copy of ${x}'s switch in ${peer} is in ALARM`);
    await twin.runUntil(
      () => clientsAwayAt(twin, x, startAt) !== undefined,
      10 * MINUTE,
      `95 % of ${x}'s clients away`,
    );
    const result = bounded(
      'start → 95 % clients away',
      (clientsAwayAt(twin, x, startAt) as number) - startAt,
      exclusionFloor(twin, x, 'manual'),
    );
    await twin.run(2 * MINUTE);
    const early = await runRegional(twin, peer, 'restore-cw-lost', {
      action: 'restore',
      region: x,
      reason: 'scene: restore while a copy cannot be written',
    });
    expectThat(
      early.status === 'FAILED',
      `the restore without ${x}'s copy did not succeed (${early.status})`,
    );
    expectThat(
      /SwitchUnreachable/.test(runText(early)),
      `the restore failed SwitchUnreachable (${early.error ?? ''})`,
    );
    // Past the switch alarm's next evaluation: the copy written with 1 must not bring the region back.
    await twin.run(2 * MINUTE);
    expectThat(
      !servingNow(twin).includes(x),
      `${x} stays out after a restore that could not write every copy`,
    );
    say(`restore refused while ${x}'s CloudWatch is down: ${x} stays out`);
    faults.restoreCloudWatch(x);
    await twin.run(MINUTE);
    const backStart = twin.world.clock.now();
    const restore = await runRegional(twin, peer, 'restore-cw-back', {
      action: 'restore',
      region: x,
      reason: 'scene: CloudWatch is back',
    });
    expectThat(
      restore.status === 'SUCCEEDED',
      `the restore succeeded (${restore.status} ${restore.error ?? ''})`,
    );
    await twin.runUntil(
      () => clientsBackAt(twin, x, backStart) !== undefined,
      10 * MINUTE,
      `${x}'s clients back`,
    );
    watch.stop();
    expectThat(watch.fewestServing() >= 1, 'a region served throughout');
    return {
      ...result,
      ...bounded(
        'restore → 95 % clients back',
        (clientsBackAt(twin, x, backStart) as number) - backStart,
        returnFloor(twin, x, 'manual'),
      ),
    };
  },
};

/** The Route 53 API fails; an operator evacuates eu-west-1 from us-east-1 (both drivers share this). */
async function evacuateWithoutRoute53Api(twin: Twin, say: (m: string) => void, name: string) {
  const [x, peer] = twin.world.regionNames as [string, string];
  const watch = new RoutingWatch(twin);
  await settle(twin);
  say("us-east-1's Route 53 API fails (control plane only: checks and DNS go on)");
  regionalFaults(twin).route53ApiDown();
  const since = twin.world.clock.now();
  const run = await runRegional(twin, peer, name, {
    action: 'evacuate',
    region: x,
    reason: 'scene: Route 53 API impaired',
  });
  return { x, peer, run, since, watch };
}

export const route53ApiSwitch: Scenario = {
  name: 'regional-r53-api-down-switch',
  prepare: adoptEveryRegion,
  title: "us-east-1's Route 53 API fails: the cloudwatch-switch driver still evacuates",
  description:
    "With Route 53's API failing (its control plane is in us-east-1), an operator evacuates eu-west-1 with the default cloudwatch-switch driver: it writes only CloudWatch data, makes no Route 53 API call, and eu-west-1 leaves DNS within the floor.",
  async run(twin, say) {
    const { x, run, since, watch } = await evacuateWithoutRoute53Api(twin, say, 'evacuate-r53-down');
    expectThat(run.status === 'SUCCEEDED', `the evacuation succeeded (${run.status} ${run.error ?? ''})`);
    expectThat(
      route53Calls(twin, since).length === 0,
      `no Route 53 API call was made (${route53Calls(twin, since).join(', ')})`,
    );
    await twin.runUntil(
      () => clientsAwayAt(twin, x, since) !== undefined,
      10 * MINUTE,
      `95 % of ${x}'s clients away`,
    );
    const away = (clientsAwayAt(twin, x, since) as number) - since;
    watch.stop();
    return bounded('start → 95 % clients away', away, exclusionFloor(twin, x, 'manual'));
  },
};

export const route53ApiInvert: Scenario = {
  name: 'regional-r53-api-down-invert',
  prepare: adoptEveryRegion,
  title:
    "us-east-1's Route 53 API fails: the route53-api driver refuses and escalates, then works once it is back",
  description:
    "With failover.driver route53-api, the same evacuation needs UpdateHealthCheck on Route 53's control plane: the flip fails ControlPlaneUnavailable, the run escalates (its report says so) and nothing changes: eu-west-1 still serves. When the API is back, the same evacuation inverts eu-west-1's copy check and the region leaves DNS.",
  configure: withFailover({ driver: 'route53-api' }),
  async run(twin, say) {
    const { x, peer, run, since, watch } = await evacuateWithoutRoute53Api(twin, say, 'evacuate-r53-invert');
    expectThat(
      run.status !== 'SUCCEEDED' && /ControlPlaneUnavailable/.test(runText(run)),
      `the run escalated ControlPlaneUnavailable (${run.status} ${run.error ?? ''})`,
    );
    expectThat(
      notices(twin, since, /ControlPlaneUnavailable|control plane/i).length > 0,
      'the escalation was notified',
    );
    await twin.run(2 * MINUTE);
    expectThat(servingNow(twin).includes(x) && !switchedOut(twin, x), `${x} is unchanged and serves`);
    say('Route 53 API back');
    regionalFaults(twin).route53ApiUp();
    await twin.run(11 * MINUTE);
    const again = await runRegional(twin, peer, 'evacuate-r53-back', {
      action: 'evacuate',
      region: x,
      reason: 'scene: API back',
    });
    expectThat(
      again.status === 'SUCCEEDED',
      `the evacuation succeeded once the API was back (${again.status} ${again.error ?? ''})`,
    );
    await twin.runUntil(() => !servingNow(twin).includes(x), 10 * MINUTE, `${x} leaving DNS`);
    watch.stop();
    return { escalated: run.error ?? 'reported' };
  },
};

/** The task token in the approval notice (its `send-task-success --task-token …` command). */
function approvalToken(twin: Twin, since: number): string | undefined {
  const m = notices(twin, since, /send-task-success/).at(-1);
  return m?.message.match(/--task-token\s+'?"?([^'"\s]+)/)?.[1];
}

async function answerApproval(twin: Twin, region: string, since: number, approve: boolean) {
  await twin.runUntil(() => approvalToken(twin, since) !== undefined, 5 * MINUTE, 'the approval request');
  const taskToken = approvalToken(twin, since) as string;
  if (approve)
    await twin.world.call(region, 'sfn', 'SendTaskSuccess', { taskToken, output: '{"approved":true}' });
  else
    await twin.world.call(region, 'sfn', 'SendTaskFailure', {
      taskToken,
      error: 'NotApproved',
      cause: 'scene: rejected',
    });
}

export const approvalFailback: Scenario = {
  name: 'regional-approval-failback',
  prepare: adoptEveryRegion,
  title: 'A manual evacuation with approval (rejected, then approved), then a failback after the wait period',
  description:
    'failover.approvalRequired: a dry run shows the verdict, each check and the expected time to exclusion without asking anyone. A real evacuation waits on a task token; the notice carries the approve and reject commands. Rejected: nothing changes. Asked again and approved: eu-west-1 leaves DNS. A restore right away is refused by the wait period (no approval asked); after it, an approved restore brings eu-west-1 back, timed against its floor.',
  configure: withFailover({ approvalRequired: true, approvalTimeoutMinutes: 5, flipWaitMinutes: 5 }),
  async run(twin, say) {
    const [x, peer] = twin.world.regionNames as [string, string];
    const watch = new RoutingWatch(twin);
    await settle(twin);
    const dry = await runRegional(twin, peer, 'evacuate-dry', {
      action: 'evacuate',
      region: x,
      reason: 'scene: dry run',
      dryRun: true,
    });
    const dryPlan = thePlan(dry);
    expectThat(
      dry.status === 'SUCCEEDED' && dryPlan.verdict === 'go',
      `the dry run's verdict is go (${dry.status}, ${dryPlan.verdict})`,
    );
    expectThat(
      dryPlan.checks.length > 0 && dryPlan.expected.floorSeconds > 0,
      'the dry run shows its checks and the expected time',
    );
    expectThat(
      !enteredState(dry, 'AwaitApproval') && !switchedOut(twin, x),
      'the dry run asked no approval and changed nothing',
    );
    say(`dry run: ${dryPlan.summary}`);
    let since = twin.world.clock.now();
    await launchRegional(twin, peer, 'evacuate-rejected', {
      action: 'evacuate',
      region: x,
      reason: 'scene: rejected',
    });
    await answerApproval(twin, peer, since, false);
    await twin.runUntil(
      () => regionalRuns(twin).find((e) => e.name === 'evacuate-rejected')?.status !== 'RUNNING',
      5 * MINUTE,
      'the rejected run ending',
    );
    expectThat(!switchedOut(twin, x) && servingNow(twin).includes(x), `rejected: ${x} is unchanged`);
    since = twin.world.clock.now();
    await launchRegional(twin, peer, 'evacuate-approved', {
      action: 'evacuate',
      region: x,
      reason: 'scene: approved',
    });
    await answerApproval(twin, peer, since, true);
    const approvedAt = twin.world.clock.now();
    await twin.runUntil(
      () => clientsAwayAt(twin, x, approvedAt) !== undefined,
      10 * MINUTE,
      `95 % of ${x}'s clients away`,
    );
    const away = bounded(
      'approval → 95 % clients away',
      (clientsAwayAt(twin, x, approvedAt) as number) - approvedAt,
      exclusionFloor(twin, x, 'manual'),
    );
    const early = await runRegional(twin, peer, 'restore-early', {
      action: 'restore',
      region: x,
      reason: 'scene: too early',
    });
    const earlyPlan = thePlan(early);
    expectThat(
      earlyPlan.verdict === 'refused' && earlyPlan.checks.some((c) => c.name === 'flip-wait' && !c.ok),
      'a restore within the wait period is refused (flip-wait)',
    );
    await twin.run(twin.world.config.failover.flipWaitMinutes * MINUTE);
    since = twin.world.clock.now();
    await launchRegional(twin, peer, 'restore-approved', {
      action: 'restore',
      region: x,
      reason: 'scene: failback',
    });
    await answerApproval(twin, peer, since, true);
    const restoreAt = twin.world.clock.now();
    await twin.runUntil(
      () => clientsBackAt(twin, x, restoreAt) !== undefined,
      10 * MINUTE,
      `${x}'s clients back`,
    );
    await twin.runUntil(
      () => twin.world.executions.every((e) => e.status !== 'RUNNING'),
      5 * MINUTE,
      'every run ending',
    );
    watch.stop();
    return {
      ...away,
      ...bounded(
        'approval → 95 % clients back',
        (clientsBackAt(twin, x, restoreAt) as number) - restoreAt,
        returnFloor(twin, x, 'manual'),
      ),
    };
  },
};

export const drill: Scenario = {
  name: 'regional-drill',
  prepare: adoptEveryRegion,
  title:
    "The drill: a dry-run evacuation of each region reports its checks, expected time and the switch's state",
  description:
    "What the weekly schedule starts in each region (evacuate itself, dryRun, trigger drill): each run reports the verdict, every readiness check, the expected time until DNS excludes the region and the switch's current state, and changes nothing (no lease, no flip).",
  async run(twin, say) {
    const watch = new RoutingWatch(twin);
    const since = await settle(twin);
    const result: ScenarioResult = {};
    for (const region of twin.world.regionNames) {
      const run = await runRegional(twin, region, `drill-${region}`, {
        action: 'evacuate',
        region,
        reason: 'scheduled drill',
        trigger: 'drill',
        dryRun: true,
      });
      const plan = thePlan(run);
      expectThat(
        run.status === 'SUCCEEDED',
        `the drill of ${region} succeeded (${run.status} ${run.error ?? ''})`,
      );
      expectThat(
        plan.checks.length > 0 && plan.expected.exclusionSeconds > 0,
        `the drill of ${region} reports its checks and expected time`,
      );
      expectThat(
        !enteredState(run, /Acquire|Flip/),
        `the drill of ${region} took no lease and flipped nothing`,
      );
      const report = notices(twin, since, new RegExp(`drill-${region}|drill`, 'i')).filter((m) =>
        m.message.includes(region),
      );
      expectThat(
        report.length > 0 && report.some((m) => /switch/i.test(m.message)),
        `the drill of ${region} was reported with the switch's state`,
      );
      result[`${region} expected exclusion`] = `${plan.expected.exclusionSeconds} s`;
      say(`drill ${region}: ${plan.verdict}; ${plan.summary}`);
    }
    expectThat(
      twin.world.regionNames.every((r) => !switchedOut(twin, r)),
      'no switch changed',
    );
    watch.stop();
    return result;
  },
};

export const REGIONAL_MANUAL_SCENARIOS: readonly Scenario[] = [
  cloudWatchLost,
  route53ApiSwitch,
  route53ApiInvert,
  approvalFailback,
  drill,
];
