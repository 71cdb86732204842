/**
 * Regional-failover's decisions: the safety rules (at least `minServingRegions` serve after any change, a wait
 * between flips of the same region), the anti-flapping gate of automatic runs, the restore hysteresis, how a
 * plan's checks become a verdict (with `force` as a break-glass over readiness, never over the last-region
 * rule), and the expected time until DNS excludes a region. Pure; the routing Lambda gathers the facts.
 */
import type { Check } from './regional-readiness';

export type RegionalAction = 'evacuate' | 'restore';
export type RegionalTrigger = 'manual' | 'automatic' | 'drill';
export type Verdict = 'go' | 'refused' | 'nothing-to-do' | 'wait';

/** Checks that may be overridden by a manual `force` (readiness, and the wait between flips). */
export const FORCEABLE_CHECKS: ReadonlySet<string> = new Set([
  'capacity',
  'primary',
  'certificates',
  'replication',
  'flip-wait',
]);

/** The last-region rule: after the action at least `min` regions serve. Never overridden. */
export function minServingCheck(after: number, min: number, action: RegionalAction): Check {
  return {
    name: 'min-serving-regions',
    ok: after >= min,
    detail: `${after} region(s) would serve after the ${action === 'evacuate' ? 'evacuation' : 'restore'} (minimum ${min})`,
  };
}

/**
 * The wait between two flips of the same region (ARC's wait-period rule): `waitMinutes` since its switch last
 * changed. Never flipped: passes.
 */
export function flipWaitCheck(
  changedAt: string | undefined,
  waitMinutes: number,
  now: number,
): { readonly check: Check; readonly until?: number } {
  if (changedAt === undefined)
    return { check: { name: 'flip-wait', ok: true, detail: 'the switch was never flipped' } };
  const changed = Date.parse(changedAt);
  const until = changed + waitMinutes * 60_000;
  if (!Number.isFinite(changed) || now >= until)
    return {
      check: {
        name: 'flip-wait',
        ok: true,
        detail: `last flipped ${changedAt}, more than ${waitMinutes} min ago`,
      },
    };
  return {
    check: {
      name: 'flip-wait',
      ok: false,
      detail: `last flipped ${changedAt}; the ${waitMinutes}-minute wait between flips ends ${new Date(until).toISOString()}`,
    },
    until,
  };
}

/** The `GATE#regional-failover` item: the last automatic flip and the day's count. */
export interface RoutingGateRecord {
  readonly lastAt?: number | undefined;
  readonly day?: string | undefined;
  readonly count?: number | undefined;
  readonly epoch?: number | undefined;
}

export interface RoutingGateSettings {
  readonly automationEnabled: boolean;
  readonly cooldownMinutes: number;
  readonly dailyBudget: number;
}

const utcDay = (at: number) => new Date(at).toISOString().slice(0, 10);

/**
 * The anti-flapping gate of automatic runs: paused, or past the day's budget: refused; an automatic evacuation
 * also within the cooldown since the last one (`lastAt`). An automatic restore is held back by its hysteresis
 * instead: a cooldown from the evacuation it undoes would outlast the alarm's OK transition that started it.
 */
export function gateCheck(
  record: RoutingGateRecord | undefined,
  s: RoutingGateSettings,
  now: number,
  action: RegionalAction = 'evacuate',
): Check {
  if (!s.automationEnabled)
    return {
      name: 'gate',
      ok: false,
      detail: 'automation is paused (automation.enabled is false, or an operator paused it)',
    };
  const last = record?.lastAt;
  if (action === 'evacuate' && last !== undefined && now - last < s.cooldownMinutes * 60_000)
    return {
      name: 'gate',
      ok: false,
      detail: `the previous automatic evacuation was ${Math.floor((now - last) / 1000)} s ago, within the ${s.cooldownMinutes}-minute cooldown`,
    };
  const used = record?.day === utcDay(now) ? (record.count ?? 0) : 0;
  if (used >= s.dailyBudget)
    return {
      name: 'gate',
      ok: false,
      detail: `the day's budget of ${s.dailyBudget} automatic action(s) is used up (${used})`,
    };
  return {
    name: 'gate',
    ok: true,
    detail: `automation on, outside the cooldown, ${used} of ${s.dailyBudget} used today`,
  };
}

/** The gate item's fields after an automatic flip at `now`: counted; an evacuation also starts the cooldown. */
export function gateAfterFlip(
  record: RoutingGateRecord | undefined,
  now: number,
  action: RegionalAction = 'evacuate',
) {
  const day = utcDay(now);
  const count = (record?.day === day ? (record.count ?? 0) : 0) + 1;
  const lastAt = action === 'evacuate' ? now : record?.lastAt;
  return { ...(lastAt === undefined ? {} : { lastAt }), day, count };
}

/** The degraded alarm of the region to restore, as its own CloudWatch shows it (undefined: unreadable). */
export interface DegradedAlarm {
  readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  /** When it entered that state (epoch ms). */
  readonly since: number;
}

/**
 * The restore hysteresis (automatic restores): the region's degraded alarm must have been OK for
 * `windowMinutes`. OK for less: wait until then. In ALARM, without data, or unreadable: refused.
 */
export function hysteresisCheck(
  alarm: DegradedAlarm | undefined,
  windowMinutes: number,
  now: number,
): { readonly check: Check; readonly waitUntil?: number; readonly refuse: boolean } {
  if (alarm === undefined)
    return {
      check: { name: 'hysteresis', ok: false, detail: "the region's degraded alarm could not be read" },
      refuse: true,
    };
  if (alarm.state !== 'OK')
    return {
      check: { name: 'hysteresis', ok: false, detail: `the region's degraded alarm is ${alarm.state}` },
      refuse: true,
    };
  const until = alarm.since + windowMinutes * 60_000;
  if (now >= until)
    return {
      check: {
        name: 'hysteresis',
        ok: true,
        detail: `healthy since ${new Date(alarm.since).toISOString()}, at least ${windowMinutes} min`,
      },
      refuse: false,
    };
  return {
    check: {
      name: 'hysteresis',
      ok: false,
      detail: `healthy since ${new Date(alarm.since).toISOString()}; the ${windowMinutes}-minute window ends ${new Date(until).toISOString()}`,
    },
    waitUntil: until,
    refuse: false,
  };
}

/**
 * An automatic evacuation acts only on a region still degraded when it plans (it may have waited, or been
 * started late): its degraded alarm in ALARM, or unreadable (the region's CloudWatch lost: the evacuation must
 * not depend on it), or without data. Back to OK: refused, nothing to evacuate for.
 */
export function stillDegradedCheck(alarm: DegradedAlarm | undefined): Check {
  if (alarm === undefined)
    return {
      name: 'still-degraded',
      ok: true,
      detail: "the region's degraded alarm is unreadable (its CloudWatch is lost): evacuating without it",
    };
  return alarm.state === 'OK'
    ? { name: 'still-degraded', ok: false, detail: "the region's degraded alarm is OK again" }
    : {
        name: 'still-degraded',
        ok: true,
        detail: `the region's degraded alarm is ${alarm.state} since ${new Date(alarm.since).toISOString()}`,
      };
}

/** How a plan's checks become its verdict. */
export interface VerdictInput {
  readonly checks: readonly Check[];
  /** The switch is already in the desired state. */
  readonly alreadyDone: boolean;
  /** A manual `force`. */
  readonly force: boolean;
  /**
   * Failing checks that pass by themselves at a known time (epoch ms), by check name: the hysteresis window, the
   * wait between flips. Only a run that may wait (`canWait`: an automatic one) waits for them.
   */
  readonly pending?: ReadonlyMap<string, number>;
  readonly canWait?: boolean;
}

/**
 * The verdict: `nothing-to-do` when the switch is already there; `refused` when a check failed that neither
 * `force` overrides nor time passes; `wait` (until the latest pending time) when only pending checks fail and
 * the run may wait; otherwise `go`, with `breakGlass` when `force` overrode a failing check.
 */
export function verdictOf(input: VerdictInput): {
  readonly verdict: Verdict;
  readonly reasons: string[];
  readonly breakGlass: boolean;
  readonly waitUntil?: number;
} {
  if (input.alreadyDone)
    return {
      verdict: 'nothing-to-do',
      reasons: ['the switch is already in the requested state'],
      breakGlass: false,
    };
  const failed = input.checks.filter((c) => !c.ok);
  const label = (c: Check) => `${c.name}${c.region === undefined ? '' : ` (${c.region})`}: ${c.detail}`;
  const waits = (c: Check) => input.canWait === true && input.pending?.has(c.name) === true;
  const forced = (c: Check) => input.force && FORCEABLE_CHECKS.has(c.name);
  const hard = failed.filter((c) => !waits(c) && !forced(c));
  if (hard.length > 0) return { verdict: 'refused', reasons: hard.map(label), breakGlass: false };
  const pending = failed.filter(waits);
  if (pending.length > 0)
    return {
      verdict: 'wait',
      reasons: pending.map(label),
      breakGlass: false,
      waitUntil: Math.max(...pending.map((c) => input.pending?.get(c.name) ?? 0)),
    };
  const overridden = failed.filter(forced);
  return {
    verdict: 'go',
    reasons: overridden.map((c) => `forced over ${label(c)}`),
    breakGlass: overridden.length > 0,
  };
}

export interface TimingSettings {
  readonly driver: 'cloudwatch-switch' | 'route53-api';
  readonly ttlSeconds: number;
  readonly healthCheckIntervalSeconds: number;
  readonly healthCheckFailureThreshold: number;
  /** The degraded alarm's no-healthy-target evaluation (minutes): what an automatic run waited for first. */
  readonly noHealthyMinutes: number;
}

/** The switch alarm's period: one standard-resolution minute (Route 53 supports only those). */
export const SWITCH_ALARM_PERIOD_SECONDS = 60;

/**
 * Expected time until clients resolve away from the region. The floor: the degraded alarm's evaluation
 * (automatic runs only) + the switch alarm's period + the health checkers' interval × failure threshold + the
 * record's TTL. `exclusionSeconds`: from the flip, what the driver adds up to (cloudwatch-switch: the switch
 * alarm, then the checkers, then the TTL; route53-api: the checkers see the inverted check, then the TTL).
 */
export function expectedTimes(
  s: TimingSettings,
  trigger: RegionalTrigger,
): { readonly exclusionSeconds: number; readonly floorSeconds: number; readonly explanation: string } {
  const checkers = s.healthCheckIntervalSeconds * s.healthCheckFailureThreshold;
  const alarm = trigger === 'automatic' ? s.noHealthyMinutes * 60 : 0;
  const floorSeconds = alarm + SWITCH_ALARM_PERIOD_SECONDS + checkers + s.ttlSeconds;
  const exclusionSeconds =
    s.driver === 'cloudwatch-switch'
      ? SWITCH_ALARM_PERIOD_SECONDS + checkers + s.ttlSeconds
      : checkers + s.ttlSeconds;
  const parts = [
    ...(alarm > 0 ? [`the degraded alarm's ${s.noHealthyMinutes}-minute evaluation (${alarm} s)`] : []),
    `the switch alarm's ${SWITCH_ALARM_PERIOD_SECONDS}-s period`,
    `${s.healthCheckFailureThreshold} health checks ${s.healthCheckIntervalSeconds} s apart (${checkers} s)`,
    `the record's ${s.ttlSeconds}-s TTL in resolvers`,
  ];
  const driver =
    s.driver === 'cloudwatch-switch'
      ? `after the flip, cloudwatch-switch waits for the switch alarm, the checkers and the TTL: ${exclusionSeconds} s`
      : `after the flip, route53-api waits for the checkers to see the inverted check and the TTL: ${exclusionSeconds} s`;
  return {
    exclusionSeconds,
    floorSeconds,
    explanation: `floor ${floorSeconds} s = ${parts.join(' + ')}; ${driver}`,
  };
}
