/**
 * Automatic regional failover (issue 14, "Scenes"): a region's ALB lost, a brownout, a flapping region. Each
 * starts from the region's degraded alarm through dispatch, which starts regional-failover in the first peer
 * region; the scene bounds the time until DNS and 95 % of the clients leave the region by its floor.
 */
import type { Config } from '../../infra/config/schema';
import type { Twin } from '../twin';
import { adoptEveryRegion } from './cert-rotation';
import {
  degradedState,
  planOf,
  RoutingWatch,
  regionalRuns,
  seconds,
  servingNow,
  settle,
  switchedOut,
  switchFlips,
} from './regional-common';
import { clientsAwayAt, clientsBackAt, exclusionFloor, regionalFaults, returnFloor } from './regional-twin';
import { expectThat, MINUTE, type Scenario, type ScenarioResult } from './types';

/** The goal: DNS and the clients leave the region within 1.2 × the floor. */
export const GOAL_RATIO = 1.2;

/** Short windows so the scenes stay cheap in virtual time: hysteresis and cooldown of 10 min. */
export const quickRestore = (config: Config): Config => ({
  ...config,
  failover: { ...config.failover, restoreHysteresisMinutes: 10, automaticRestore: true },
  automation: {
    ...config.automation,
    cooldownMinutes: { ...config.automation.cooldownMinutes, regionalFailover: 10 },
  },
});

const sick = (twin: Twin) => twin.world.regionNames[0] as string;
const peer = (twin: Twin) => twin.world.regionNames[1] as string;

/** Automatic runs about `region` (trigger automatic, evacuate or restore). */
const automaticRuns = (twin: Twin, region: string, action: 'evacuate' | 'restore') =>
  regionalRuns(twin).filter((e) => {
    const i = e.input as { trigger?: string; action?: string; region?: string };
    return i.trigger === 'automatic' && i.action === action && i.region === region;
  });

/** Waits for the automatic evacuation of `region`, then for DNS and 95 % of its clients to leave it. */
async function awaitEvacuation(twin: Twin, region: string, faultAt: number, withinMs: number) {
  await twin.runUntil(
    () =>
      automaticRuns(twin, region, 'evacuate').some((e) => e.status === 'SUCCEEDED') &&
      switchedOut(twin, region),
    withinMs,
    `the automatic evacuation of ${region}`,
  );
  const run = automaticRuns(twin, region, 'evacuate').find((e) => e.status === 'SUCCEEDED');
  expectThat(run !== undefined, `an automatic evacuation of ${region} succeeded`);
  expectThat(
    run?.region === peer(twin),
    `the evacuation ran in the first peer region ${peer(twin)} (ran in ${run?.region})`,
  );
  await twin.runUntil(
    () => clientsAwayAt(twin, region, faultAt) !== undefined,
    5 * MINUTE,
    `95 % of the clients leaving ${region}`,
  );
  return run;
}

/** Asserts window ≤ GOAL_RATIO × floor and returns the figures. */
function bound(what: string, windowMs: number, floorMs: number, explanation: string): ScenarioResult {
  expectThat(
    windowMs <= GOAL_RATIO * floorMs,
    `${what} took ${seconds(windowMs)}, more than ${GOAL_RATIO} × its floor ${seconds(floorMs)} (${explanation})`,
  );
  return { [what]: `${seconds(windowMs)} / floor ${seconds(floorMs)} = ${(windowMs / floorMs).toFixed(2)}×` };
}

export const regionLoss: Scenario = {
  name: 'regional-region-loss',
  prepare: adoptEveryRegion,
  title: "A region's ALB is lost: automatic evacuation, then automatic failback after the hysteresis window",
  description:
    "eu-west-1's load balancer is lost: Route 53's endpoint checkers fail it and its ALB metrics stop, so its degraded alarm fires (no healthy host, missing data breaching); dispatch starts regional-failover in us-east-1, which switches eu-west-1 off in the switch copies. Reported: fault → DNS exclusion and fault → 95 % of clients away against the floor. When the ALB returns, eu-west-1 stays out (our switch holds it) until its degraded alarm has been OK for the hysteresis window; the automatic restore brings it back, timed against its floor.",
  configure: quickRestore,
  async run(twin, say) {
    const x = sick(twin);
    const watch = new RoutingWatch(twin);
    await settle(twin);
    const faults = regionalFaults(twin);
    say(`${x}'s ALB is lost`);
    const faultAt = twin.world.clock.now();
    faults.loseAlb(x);
    const run = await awaitEvacuation(twin, x, faultAt, 20 * MINUTE);
    const dnsAt = watch.firstAfter(faultAt, (s) => !s.serving.includes(x)) as number;
    const awayAt = clientsAwayAt(twin, x, faultAt) as number;
    const floor = exclusionFloor(twin, x, 'alb-lost');
    say(
      `DNS left ${x} ${seconds(dnsAt - faultAt)} after the fault, 95 % of its clients ${seconds(awayAt - faultAt)}`,
    );
    const plan = run ? planOf(run) : undefined;
    const result: ScenarioResult = {
      ...bound('fault → 95 % clients away', awayAt - faultAt, floor.floorMs, floor.explanation),
      'fault → DNS exclusion': seconds(dnsAt - faultAt),
      'fault → evacuated (switch)': seconds(
        (switchFlips(twin, x).find((f) => f.out)?.at ?? faultAt) - faultAt,
      ),
      'plan: expected floor': plan ? `${plan.expected.floorSeconds} s` : 'no plan',
    };
    // The ALB comes back: our switch keeps the region out until the hysteresis window has passed.
    say(`${x}'s ALB is back`);
    const backAt = twin.world.clock.now();
    faults.restoreAlb(x);
    await twin.runUntil(() => degradedState(twin, x) === 'OK', 15 * MINUTE, `${x}'s degraded alarm clearing`);
    const okAt = twin.world.clock.now();
    const hysteresisMs = twin.world.config.failover.restoreHysteresisMinutes * MINUTE;
    await twin.runUntil(() => servingNow(twin).includes(x), hysteresisMs + 15 * MINUTE, `${x} back in DNS`);
    const returnedAt = twin.world.clock.now();
    expectThat(
      returnedAt - okAt >= hysteresisMs,
      `${x} came back ${seconds(returnedAt - okAt)} after its alarm cleared, before the ${seconds(hysteresisMs)} hysteresis window`,
    );
    await twin.runUntil(
      () => clientsBackAt(twin, x, okAt) !== undefined,
      5 * MINUTE,
      `95 % of ${x}'s clients back`,
    );
    const back = returnFloor(twin, x, 'automatic');
    const restore = automaticRuns(twin, x, 'restore').find((e) => e.status === 'SUCCEEDED');
    expectThat(restore !== undefined, `an automatic restore of ${x} succeeded`);
    await twin.runUntil(
      () => twin.world.executions.every((e) => e.status !== 'RUNNING'),
      10 * MINUTE,
      'every run ending',
    );
    watch.stop();
    expectThat(watch.fewestServing(faultAt) >= 1, 'at least one region served throughout');
    say(`${x} serves again, ${seconds(returnedAt - backAt)} after its ALB came back`);
    return {
      ...result,
      ...bound(
        'alarm OK → 95 % clients back',
        (clientsBackAt(twin, x, okAt) as number) - okAt,
        back.floorMs,
        back.explanation,
      ),
    };
  },
};

/**
 * No automatic restore: an evacuated region receives no requests, so a brownout's 5xx share cannot be seen and
 * its degraded alarm turns OK although the brownout goes on (a restore would be blind to it).
 */
export const noAutomaticRestore = (config: Config): Config => ({
  ...config,
  failover: { ...config.failover, automaticRestore: false },
});

export const brownout: Scenario = {
  name: 'regional-brownout',
  prepare: adoptEveryRegion,
  title: 'A brownout: 30 % of requests fail with 5xx while the health path answers 200',
  description:
    "eu-west-1 answers a share of its requests with 5xx while its health path still answers 200, so Route 53's endpoint checks keep it in DNS. Its degraded alarm (5xx share above failover.degraded.max5xxPercent) fires; dispatch starts regional-failover in us-east-1, which switches eu-west-1 off. Only the control plane can take the region out here: fault → 95 % of clients away is bounded by 1.2 × the floor (alarm evaluation + switch alarm period + TTL). No automatic restore: without traffic an evacuated region shows no 5xx.",
  configure: noAutomaticRestore,
  async run(twin, say) {
    const x = sick(twin);
    const watch = new RoutingWatch(twin);
    await settle(twin);
    say(`${x} answers 30 % of its requests with 5xx; its health path still answers 200`);
    const faultAt = twin.world.clock.now();
    regionalFaults(twin).brownout(x, 0.3);
    const run = await awaitEvacuation(twin, x, faultAt, 20 * MINUTE);
    const dnsAt = watch.firstAfter(faultAt, (s) => !s.serving.includes(x)) as number;
    const awayAt = clientsAwayAt(twin, x, faultAt) as number;
    const floor = exclusionFloor(twin, x, 'brownout');
    expectThat(
      switchedOut(twin, x),
      `our switch has ${x} out (its endpoint check is healthy: nothing else excludes it)`,
    );
    watch.stop();
    say(`DNS left ${x} ${seconds(dnsAt - faultAt)} after the brownout began`);
    const plan = run ? planOf(run) : undefined;
    return {
      ...bound('fault → 95 % clients away', awayAt - faultAt, floor.floorMs, floor.explanation),
      'fault → DNS exclusion': seconds(dnsAt - faultAt),
      'plan: expected floor': plan ? `${plan.expected.floorSeconds} s` : 'no plan',
    };
  },
};

export const flapping: Scenario = {
  name: 'regional-flapping',
  prepare: adoptEveryRegion,
  title: 'A flapping region: evacuated once and held out, no ping-pong',
  description:
    "eu-west-1's ALB is lost for 9 minutes, back for 4, three times over. Route 53's endpoint checks alone would take it out and put it back each time (ping-pong). The first episode evacuates it; our switch holds it out while it flaps (each recovery is shorter than the hysteresis window, the restores refuse when the alarm is back in ALARM), so it never returns to DNS mid-flap; the switch flips once out and, once the region has stayed healthy for the hysteresis window, once in, never twice within failover.flipWaitMinutes.",
  configure: quickRestore,
  async run(twin, say) {
    const x = sick(twin);
    const watch = new RoutingWatch(twin);
    const start = await settle(twin);
    const faults = regionalFaults(twin);
    for (let i = 1; i <= 3; i++) {
      say(`episode ${i}: ${x}'s ALB is lost`);
      faults.loseAlb(x);
      await twin.run(9 * MINUTE);
      faults.restoreAlb(x);
      await twin.run(4 * MINUTE);
    }
    const flappedUntil = twin.world.clock.now();
    const during = switchFlips(twin, x).filter((f) => f.at >= start && f.at <= flappedUntil);
    expectThat(
      during.length === 1 && during[0]?.out === true,
      `${x} was switched out once while it flapped (flips: ${during.map((f) => (f.out ? 'out' : 'in')).join(', ') || 'none'})`,
    );
    const leftAt = watch.firstAfter(start, (s) => !s.serving.includes(x)) as number;
    const backMidFlap = watch.firstAfter(leftAt, (s) => s.serving.includes(x));
    expectThat(
      backMidFlap === undefined || backMidFlap > flappedUntil,
      `${x} came back into DNS ${seconds((backMidFlap ?? 0) - start)} into the scene, while it still flapped (ping-pong)`,
    );
    const hysteresisMs = twin.world.config.failover.restoreHysteresisMinutes * MINUTE;
    await twin.runUntil(
      () => servingNow(twin).includes(x),
      hysteresisMs + 20 * MINUTE,
      `${x} restored after it stopped flapping`,
    );
    await twin.runUntil(
      () => twin.world.executions.every((e) => e.status !== 'RUNNING'),
      10 * MINUTE,
      'every run ending',
    );
    const flips = switchFlips(twin, x).filter((f) => f.at >= start);
    const waitMs = twin.world.config.failover.flipWaitMinutes * MINUTE;
    for (let i = 1; i < flips.length; i++) {
      const gap = (flips[i]?.at as number) - (flips[i - 1]?.at as number);
      expectThat(
        gap >= waitMs,
        `two flips of ${x} ${seconds(gap)} apart, within the ${seconds(waitMs)} wait period`,
      );
    }
    expectThat(flips.length === 2, `${x} flipped out once and in once (flips: ${flips.length})`);
    watch.stop();
    const restores = automaticRuns(twin, x, 'restore');
    say(
      `${flips.length} flips; ${restores.length} automatic restore runs, ${automaticRuns(twin, x, 'evacuate').length} evacuation runs`,
    );
    return {
      flips: flips.length,
      'evacuation runs': automaticRuns(twin, x, 'evacuate').length,
      'restore runs': restores.length,
    };
  },
};

export const REGIONAL_AUTOMATIC_SCENARIOS: readonly Scenario[] = [regionLoss, brownout, flapping];
