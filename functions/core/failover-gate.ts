/**
 * The anti-flapping gate of primary-failover: a cooldown between elections, a daily budget of automatic ones
 * and a global pause, so a flapping signal cannot re-elect the primary over and over.
 */
import type { FailoverTrigger } from './failover';

/** The action whose gate item (`GATE#primary-failover`) records elections. */
export const FAILOVER_GATE = 'primary-failover';

/** The `GATE#primary-failover` item: the last automatic or manual election and the day's count. */
export interface GateRecord {
  readonly lastElectionAt?: number | undefined;
  /** UTC day (`YYYY-MM-DD`) `count` refers to. */
  readonly day?: string | undefined;
  readonly count?: number | undefined;
}

/** The gate's fields after an election: all of them set. */
export interface ElectionRecord {
  readonly lastElectionAt: number;
  readonly day: string;
  readonly count: number;
}

export interface GateSettings {
  readonly cooldownMs: number;
  readonly dailyBudget: number;
  /** The global switch for alarm-driven actions (config `automation.enabled`). */
  readonly automationEnabled: boolean;
}

export type GateDecision =
  | { readonly allow: true; readonly note?: string }
  | { readonly allow: false; readonly rule: 'cooldown' | 'budget' | 'paused'; readonly reason: string };

const utcDay = (at: number) => new Date(at).toISOString().slice(0, 10);

/**
 * The anti-flapping gate. Automatic elections are refused while automation is paused, within the cooldown of
 * the previous election, and past the day's budget. A manual run is refused within the cooldown unless
 * forced; it is not counted against the budget. A planned handover (the primary is being scaled in while
 * healthy) passes the cooldown and the budget: refusing it would leave the cluster without a primary, the
 * outcome the gate exists to prevent. Demoting extra primaries (`safety`: a split brain) is a safety action,
 * not remediation: cooldown and budget never refuse it either. Both still respect the pause.
 */
export function gateDecision(
  run: {
    readonly trigger: FailoverTrigger;
    readonly planned: boolean;
    readonly force: boolean;
    /** Demoting extra primaries (a split brain), not an election. */
    readonly safety?: boolean;
  },
  record: GateRecord | undefined,
  settings: GateSettings,
  now: number,
): GateDecision {
  const manual = run.trigger === 'manual';
  if (!manual && !settings.automationEnabled) {
    return {
      allow: false,
      rule: 'paused',
      reason: 'automation is paused (automation.enabled is false, or an operator paused it)',
    };
  }
  if (run.safety === true)
    return { allow: true, note: 'split brain: demotion is never held back by the cooldown or the budget' };
  if (run.planned && !manual) return { allow: true, note: 'planned handover' };
  const last = record?.lastElectionAt;
  const sinceLast = last === undefined ? Number.POSITIVE_INFINITY : now - last;
  if (sinceLast < settings.cooldownMs) {
    const minutes = Math.ceil((settings.cooldownMs - sinceLast) / 60_000);
    const reason = `the previous election was ${Math.floor(sinceLast / 1000)} s ago, within the ${settings.cooldownMs / 60_000}-minute cooldown (${minutes} min left)`;
    if (!manual) return { allow: false, rule: 'cooldown', reason };
    if (!run.force)
      return { allow: false, rule: 'cooldown', reason: `${reason}; pass force: true to override` };
    return { allow: true, note: `forced inside the cooldown: ${reason}` };
  }
  if (!manual) {
    const used = record?.day === utcDay(now) ? (record.count ?? 0) : 0;
    if (used >= settings.dailyBudget) {
      return {
        allow: false,
        rule: 'budget',
        reason: `${used} automatic election(s) today reached the daily budget of ${settings.dailyBudget}`,
      };
    }
  }
  return { allow: true };
}

/**
 * The gate record after an election at `now` (written with the fence). Every election starts the cooldown;
 * only automatic ones count against the daily budget (the gate never charges an operator's run to it).
 */
export function recordElection(
  record: GateRecord | undefined,
  now: number,
  automatic = true,
): ElectionRecord {
  const day = utcDay(now);
  const used = record?.day === day ? (record.count ?? 0) : 0;
  return { lastElectionAt: now, day, count: automatic ? used + 1 : used };
}
