/**
 * The `plan` op: every check an evacuation or a restore must pass, the verdict, the serving map before and
 * after, and the expected time until DNS excludes the region. Read-only: a plan changes nothing.
 */
import { routingGateKey } from '../core/keys';
import {
  expectedTimes,
  flipWaitCheck,
  gateCheck,
  hysteresisCheck,
  minServingCheck,
  type RoutingGateRecord,
  stillDegradedCheck,
  verdictOf,
} from '../core/regional-plan';
import { type Check, capacityCheck, primaryCheck, recordedChecks } from '../core/regional-readiness';
import { servingAfter, servingMap, switchOn } from '../core/regional-serving';
import { dynamoDocIn } from '../shared/clients/dynamodb';
import { readPause } from '../shared/pause';
import type { OpInput } from './input';
import {
  degradedAlarm,
  observeRegions,
  primaryInstances,
  type RoutingCtx,
  readinessRecord,
  switchRecord,
} from './observe';
import { type RoutingSettings, regionOf } from './settings';
import { readEveryVoter, values } from './tables';

export interface Plan {
  readonly action: 'evacuate' | 'restore';
  readonly region: string;
  readonly trigger: 'manual' | 'automatic' | 'drill';
  readonly force: boolean;
  readonly dryRun: boolean;
  readonly canary: boolean;
  readonly driver: RoutingSettings['driver'];
  readonly verdict: 'go' | 'refused' | 'nothing-to-do' | 'wait';
  readonly reasons: string[];
  readonly breakGlass: boolean;
  readonly checks: Check[];
  readonly serving: Record<string, 'serving' | 'evacuated' | 'unknown'>;
  readonly servingAfter: number;
  readonly waitUntil?: string;
  readonly expected: { exclusionSeconds: number; floorSeconds: number; explanation: string };
  readonly summary: string;
}

/** Whether automatic changes may act: `automation.enabled` and this region's copy of the global pause. */
async function automationActive(s: RoutingSettings): Promise<boolean> {
  if (!s.automationEnabled) return false;
  const home = { cluster: s.cluster, region: s.region, voters: s.voters, tables: s.tables, quorum: s.quorum };
  const item = await readPause(home, dynamoDocIn(s.region));
  return item?.paused !== true;
}

/** The latest gate record among the reachable routing tables. */
async function gateRecord(s: RoutingSettings): Promise<RoutingGateRecord | undefined> {
  let best: RoutingGateRecord | undefined;
  for (const g of values(await readEveryVoter<RoutingGateRecord>(s, routingGateKey(s.cluster))))
    if (g !== undefined && (best === undefined || (g.lastAt ?? 0) > (best.lastAt ?? 0))) best = g;
  return best;
}

/** Readiness of the regions that would take the traffic (evacuate: the others serving; restore: the region). */
async function readinessChecks(
  s: RoutingSettings,
  action: 'evacuate' | 'restore',
  region: string,
  receiving: readonly string[],
  healthy: Map<string, Set<string> | undefined>,
  now: number,
): Promise<Check[]> {
  const checks: Check[] = [];
  const count = (r: string) => healthy.get(r)?.size ?? 0;
  const records = new Map(
    await Promise.all(
      [...new Set([region, ...s.regions.map((r) => r.name)])].map(
        async (r) => [r, await readinessRecord(s, r)] as const,
      ),
    ),
  );
  if (action === 'evacuate') {
    // What the evacuated region served: now, or as last evaluated (a sick region serves little right now).
    const served = Math.max(count(region), records.get(region)?.servingNodes ?? 0);
    const receivingHealthy = receiving.reduce((n, r) => n + count(r), 0);
    checks.push({
      ...capacityCheck(receivingHealthy, served, s.readiness.minCapacityShare),
      region: receiving.join(',') || '(none)',
    });
  } else {
    const others = s.regions
      .filter((r) => r.name !== region)
      .map((r) => records.get(r.name)?.servingNodes ?? 0);
    checks.push({
      ...capacityCheck(count(region), Math.max(0, ...others), s.readiness.minCapacityShare),
      region,
    });
  }
  for (const r of receiving) {
    const primaries = s.mode === 'legacy-primary' ? await primaryInstances(regionOf(s, r)) : [];
    const ids = healthy.get(r);
    checks.push({
      ...primaryCheck(
        s.mode,
        { primaryHealthy: (primaries ?? []).some((p) => ids?.has(p) === true), healthyNodes: ids?.size ?? 0 },
        s.minTaskNodes,
      ),
      region: r,
    });
    const recorded = recordedChecks(
      r,
      records.get(r),
      s.readiness.replicationRepos.length === 0 ? ['certificates'] : ['certificates', 'replication'],
      s.readiness.evaluationMinutes,
      now,
    );
    checks.push(...recorded);
    if (s.readiness.replicationRepos.length === 0)
      checks.push({ name: 'replication', region: r, ok: true, detail: 'skipped: no repositories' });
  }
  return checks;
}

/** Plan an evacuation or a restore of `input.region`. */
export async function plan(input: OpInput<'plan'>, s: RoutingSettings, ctx: RoutingCtx): Promise<Plan> {
  const now = ctx.now();
  const canary = input.canary === true;
  const force = input.force === true;
  const { observations, healthy } = await observeRegions(s, canary);
  const serving = servingMap(observations);
  const target = observations.find((o) => o.region === input.region);
  const on = target === undefined ? true : switchOn(target);
  const alreadyDone = input.action === 'evacuate' ? !on : on;
  const regionHealthy = (healthy.get(input.region)?.size ?? 0) >= 1;
  const after = servingAfter(serving, input.action, input.region, regionHealthy);
  const checks: Check[] = [minServingCheck(after, s.minServingRegions, input.action)];
  // Checks that pass by themselves at a known time: an automatic run waits for them (the parent's Wait).
  const pending = new Map<string, number>();
  if (!canary) {
    const record = await switchRecord(s, input.region);
    const w = flipWaitCheck(record?.changedAt, s.flipWaitMinutes, now);
    checks.push(w.check);
    if (w.until !== undefined) pending.set('flip-wait', w.until);
  }
  const automatic = input.trigger === 'automatic';
  // The global pause holds automatic runs at the gate and a drill's live canary flip; an operator's run, and a
  // drill's dry run (it changes nothing), never read it.
  const liveDrill = input.trigger === 'drill' && input.dryRun !== true;
  const active = automatic || liveDrill ? await automationActive(s) : true;
  if (automatic)
    checks.push(gateCheck(await gateRecord(s), { ...s, automationEnabled: active }, now, input.action));
  if (liveDrill && !active)
    checks.push({ name: 'gate', ok: false, detail: 'automation is paused: the live drill flips nothing' });
  if (automatic) {
    const alarm = await degradedAlarm(regionOf(s, input.region));
    if (input.action === 'restore') {
      const h = hysteresisCheck(alarm, s.restoreHysteresisMinutes, now);
      checks.push({ ...h.check, region: input.region });
      if (h.waitUntil !== undefined) pending.set('hysteresis', h.waitUntil);
    } else checks.push({ ...stillDegradedCheck(alarm), region: input.region });
  }
  const receiving =
    input.action === 'evacuate'
      ? s.regions.map((r) => r.name).filter((r) => r !== input.region && serving[r] === 'serving')
      : [input.region];
  checks.push(...(await readinessChecks(s, input.action, input.region, receiving, healthy, now)));
  const v = verdictOf({ checks, alreadyDone, force, pending, canWait: automatic });
  const expected = expectedTimes(
    {
      driver: s.driver,
      ttlSeconds: s.routing.ttlSeconds,
      healthCheckIntervalSeconds: s.routing.healthCheckIntervalSeconds,
      healthCheckFailureThreshold: s.routing.healthCheckFailureThreshold,
      noHealthyMinutes: s.noHealthyMinutes,
    },
    input.trigger,
  );
  const servingNow = Object.entries(serving)
    .map(([r, st]) => `${r} ${st}`)
    .join(', ');
  const summary = [
    `${input.action} ${input.region}${canary ? ' (canary record)' : ''} (${input.trigger}${force ? ', forced' : ''}${input.dryRun === true ? ', dry run' : ''}): ${v.verdict}`,
    v.reasons.length > 0 ? `because ${v.reasons.join('; ')}` : undefined,
    `now: ${servingNow}; ${after} region(s) serving after`,
    `expected DNS exclusion ${expected.exclusionSeconds} s after the flip (floor ${expected.floorSeconds} s)`,
    v.breakGlass ? 'BREAK-GLASS: readiness overridden by force' : undefined,
  ]
    .filter((x) => x !== undefined)
    .join('. ');
  ctx.logger.info('regional plan', {
    action: input.action,
    region: input.region,
    verdict: v.verdict,
    execution: input.execution,
  });
  return {
    action: input.action,
    region: input.region,
    trigger: input.trigger,
    force,
    dryRun: input.dryRun === true,
    canary,
    driver: s.driver,
    verdict: v.verdict,
    reasons: v.reasons,
    breakGlass: v.breakGlass,
    checks,
    serving,
    servingAfter: after,
    ...(v.verdict === 'wait' && v.waitUntil !== undefined
      ? { waitUntil: new Date(v.waitUntil).toISOString() }
      : {}),
    expected,
    summary: summary.slice(0, 2000),
  };
}
