/**
 * The safety rules of regional failover (issue 14, "What must be true" 3 and 4): the last serving region is
 * never evacuated (both regions sick; a three-region cluster with minServingRegions 2), and readiness refuses an
 * evacuation the peer cannot absorb until an operator forces it (a break-glass, audited).
 */
import type { Config, RegionConfig } from '../../infra/config/schema';
import type { Twin } from '../twin';
import { adoptEveryRegion } from './cert-rotation';
import { noAutomaticRestore } from './regional-automatic';
import {
  enteredState,
  RoutingWatch,
  regionalRuns,
  runReadiness,
  runRegional,
  servingNow,
  settle,
  switchedOut,
  thePlan,
} from './regional-common';
import { regionalFaults } from './regional-twin';
import { expectThat, MINUTE, type Scenario } from './types';

/** SNS messages published in any region since `since` whose subject or body matches `pattern`. */
export const notices = (twin: Twin, since: number, pattern: RegExp) =>
  twin.world.regionNames.flatMap((r) =>
    twin.world
      .region(r)
      .sns.messages.filter((m) => m.at >= since && pattern.test(`${m.subject ?? ''}\n${m.message}`)),
  );

const automaticEvacuations = (twin: Twin, region: string) =>
  regionalRuns(twin).filter((e) => {
    const i = e.input as { trigger?: string; action?: string; region?: string };
    return i.trigger === 'automatic' && i.action === 'evacuate' && i.region === region;
  });

const allEnded = (twin: Twin) => twin.world.executions.every((e) => e.status !== 'RUNNING');

export const bothSick: Scenario = {
  name: 'regional-both-sick',
  prepare: adoptEveryRegion,
  title: 'Both regions brown out: one is evacuated, the last serving region never is',
  description:
    'Both regions answer half their requests with 5xx (health paths still 200). Both degraded alarms fire and dispatch starts an evacuation of each. The routing lease serializes them: the first takes its region out; the second finds that evacuating the other would leave no region serving and is refused (min-serving-regions, which force never overrides), and its report explains that if the last region fails too Route 53 fails open. At no moment does our action leave zero regions serving. (No cooldown here, so that the anti-flapping gate does not hide the rule under test.)',
  configure: (config) => {
    const c = noAutomaticRestore(config);
    return {
      ...c,
      automation: {
        ...c.automation,
        cooldownMinutes: { ...c.automation.cooldownMinutes, regionalFailover: 0 },
      },
    };
  },
  async run(twin, say) {
    const [a, b] = twin.world.regionNames as [string, string];
    const watch = new RoutingWatch(twin);
    const start = await settle(twin);
    say('both regions brown out');
    regionalFaults(twin).brownout(a, 0.5);
    regionalFaults(twin).brownout(b, 0.5);
    await twin.runUntil(
      () =>
        automaticEvacuations(twin, a).some((e) => e.status !== 'RUNNING') &&
        automaticEvacuations(twin, b).some((e) => e.status !== 'RUNNING'),
      25 * MINUTE,
      'an automatic evacuation of each region ending',
    );
    await twin.runUntil(() => allEnded(twin), 15 * MINUTE, 'every run ending');
    const out = [a, b].filter((r) => switchedOut(twin, r));
    expectThat(out.length === 1, `exactly one region is switched out (out: ${out.join(', ') || 'none'})`);
    const kept = out[0] === a ? b : a;
    const refused = automaticEvacuations(twin, kept).filter((e) => e.status !== 'RUNNING');
    expectThat(refused.length > 0, `the evacuation of ${kept} ended`);
    for (const e of refused) {
      const plan = thePlan(e);
      expectThat(plan.verdict === 'refused', `${e.name} was refused (verdict ${plan.verdict})`);
      expectThat(
        plan.checks.some((c) => c.name === 'min-serving-regions' && !c.ok),
        `${e.name} was refused by min-serving-regions (checks: ${plan.checks.map((c) => `${c.name}:${c.ok}`).join(', ')})`,
      );
    }
    expectThat(servingNow(twin).includes(kept), `${kept}, the last serving region, still serves`);
    const explained = notices(twin, start, /fail-open|fails? open/i);
    expectThat(
      explained.length > 0,
      'a report explains fail-open (Route 53 answers every record when none is healthy)',
    );
    watch.stop();
    expectThat(watch.fewestServing(start) >= 1, 'a region served throughout');
    say(`${out[0]} evacuated; ${kept} kept as the last serving region`);
    return { evacuated: out[0] as string, kept, refusals: refused.length };
  },
};

/** A third region, in the example config's shape (its own ALB and target group). */
const thirdRegion = (config: Config): RegionConfig => {
  const base = config.regions[0] as RegionConfig;
  return {
    ...base,
    name: 'ap-southeast-2',
    targetGroupArns: [
      'arn:aws:elasticloadbalancing:ap-southeast-2:111122223333:targetgroup/artifactory-prod/00aa11bb22cc33dd',
    ],
    alb: {
      ...base.alb,
      arn: 'arn:aws:elasticloadbalancing:ap-southeast-2:111122223333:loadbalancer/app/artifactory-prod/3c4d5e6f7a8b9c0d',
      dnsName: 'artifactory-prod-5555555555.ap-southeast-2.elb.amazonaws.com',
    },
  };
};

export const threeRegions: Scenario = {
  name: 'regional-three-regions',
  prepare: adoptEveryRegion,
  title: 'Three regions, minServingRegions 2: one evacuation goes, the second is refused, even forced',
  description:
    'A three-region cluster (no witness: three voters) with failover.minServingRegions 2. eu-west-1 browns out and is evacuated automatically (two regions still serve). us-east-1 browns out next: its evacuation would leave one region serving and is refused; an operator forcing it is refused too (force overrides readiness, never the serving minimum).',
  configure: (config) => {
    const { witnessRegion: _w, ...failover } = config.failover;
    return {
      ...config,
      regions: [...config.regions, thirdRegion(config)],
      failover: { ...failover, minServingRegions: 2, automaticRestore: false },
    };
  },
  async run(twin, say) {
    const [a, b, c] = twin.world.regionNames as [string, string, string];
    const watch = new RoutingWatch(twin);
    const start = await settle(twin);
    say(`${a} browns out`);
    regionalFaults(twin).brownout(a, 0.5);
    await twin.runUntil(
      () => automaticEvacuations(twin, a).some((e) => e.status === 'SUCCEEDED') && switchedOut(twin, a),
      20 * MINUTE,
      `the automatic evacuation of ${a}`,
    );
    say(`${a} evacuated; ${b} browns out`);
    regionalFaults(twin).brownout(b, 0.5);
    await twin.runUntil(
      () => automaticEvacuations(twin, b).some((e) => e.status !== 'RUNNING'),
      20 * MINUTE,
      `the automatic evacuation of ${b} ending`,
    );
    const auto = automaticEvacuations(twin, b).find((e) => e.status !== 'RUNNING');
    const plan = auto ? thePlan(auto) : undefined;
    expectThat(
      plan?.verdict === 'refused',
      `the automatic evacuation of ${b} was refused (verdict ${plan?.verdict})`,
    );
    const forced = await runRegional(twin, c, 'force-evacuate-b', {
      action: 'evacuate',
      region: b,
      reason: 'scene: operator forces the second evacuation',
      force: true,
    });
    const forcedPlan = thePlan(forced);
    expectThat(
      forcedPlan.verdict === 'refused',
      `the forced evacuation of ${b} was refused (verdict ${forcedPlan.verdict})`,
    );
    expectThat(
      forcedPlan.checks.some((x) => x.name === 'min-serving-regions' && !x.ok),
      'force did not override min-serving-regions',
    );
    expectThat(!enteredState(forced, /Flip/), 'the forced run flipped nothing');
    await twin.runUntil(() => allEnded(twin), 15 * MINUTE, 'every run ending');
    expectThat(!switchedOut(twin, b) && !switchedOut(twin, c), `${b} and ${c} are still switched in`);
    expectThat(servingNow(twin).length >= 2, `two regions serve (${servingNow(twin).join(', ')})`);
    watch.stop();
    expectThat(watch.fewestServing(start) >= 2, 'at least two regions served throughout');
    return { serving: servingNow(twin).join(', ') };
  },
};

export const readinessForce: Scenario = {
  name: 'regional-readiness-force',
  prepare: adoptEveryRegion,
  title: 'Readiness refuses: the peer lacks capacity; then a forced evacuation (break-glass)',
  description:
    "Two of us-east-1's three nodes die and its readiness evaluation records it. An operator's evacuation of eu-west-1 is refused naming the capacity check (us-east-1 could not absorb what eu-west-1 serves) and changes nothing. The operator forces it: the capacity failure becomes a break-glass (verdict go, audited in the report), eu-west-1 leaves DNS. Auto Scaling replaces the dead nodes meanwhile.",
  async run(twin, say) {
    const [x, peer] = twin.world.regionNames as [string, string];
    const watch = new RoutingWatch(twin);
    const start = await settle(twin);
    const r = twin.world.region(peer);
    const members = r.autoscaling.groupInstances(twin.layout.regions.get(peer)?.memberGroup ?? '');
    for (const m of members) r.ec2.crash(m.id);
    say(`${members.length} members of ${peer} die`);
    await twin.run(2 * MINUTE);
    await runReadiness(twin, peer);
    const refused = await runRegional(twin, peer, 'evacuate-refused', {
      action: 'evacuate',
      region: x,
      reason: 'scene: operator evacuates while the peer is short of nodes',
    });
    const plan = thePlan(refused);
    expectThat(plan.verdict === 'refused', `the evacuation was refused (verdict ${plan.verdict})`);
    expectThat(
      plan.checks.some((c) => c.name === 'capacity' && !c.ok),
      `the capacity check failed (checks: ${plan.checks.map((c) => `${c.name}:${c.ok}`).join(', ')})`,
    );
    expectThat(!switchedOut(twin, x) && servingNow(twin).includes(x), `${x} is unchanged`);
    say(`refused: ${plan.reasons.join('; ')}`);
    const forced = await runRegional(twin, peer, 'evacuate-forced', {
      action: 'evacuate',
      region: x,
      reason: 'scene: operator forces it (break-glass)',
      force: true,
    });
    const forcedPlan = thePlan(forced);
    expectThat(
      forced.status === 'SUCCEEDED',
      `the forced evacuation succeeded (${forced.status} ${forced.error ?? ''})`,
    );
    expectThat(forcedPlan.breakGlass && forcedPlan.verdict === 'go', 'the forced plan is a break-glass go');
    expectThat(notices(twin, start, /break[- ]glass/i).length > 0, 'the break-glass is reported');
    await twin.runUntil(() => !servingNow(twin).includes(x), 5 * MINUTE, `${x} leaving DNS`);
    await twin.runUntil(() => allEnded(twin), 30 * MINUTE, 'every run ending (the replacements joined)');
    watch.stop();
    return { refusedFor: plan.reasons.join('; ') };
  },
};

export const REGIONAL_SAFETY_SCENARIOS: readonly Scenario[] = [bothSick, threeRegions, readinessForce];
