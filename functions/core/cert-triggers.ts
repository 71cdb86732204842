/**
 * The automatic triggers of cert-rotation (issue 13, item 5): the daily census schedule and the
 * `CertificateDaysLeft` alarm, both routed to dispatch, which starts the run under the gates (pause, cooldown
 * `automation.cooldownMinutes.certRotation`, daily budget) recorded in the `GATE#cert-rotation` item. The run
 * itself decides which nodes are due (./cert-policy.ts). Names, the gate's rule and its conditional write.
 */
import { type AuditPut, auditExpiry } from './audit';
import type { UpdateRequest } from './fencing';
import { auditKey, gateKey } from './keys';

/** The parent workflow's name (statemachines/cert-rotation.asl.json), and its gate item's action. */
export const CERT_ROTATION = 'cert-rotation';

/** Published by the reconciler: the minimum days left over the cluster's recorded node certificates. */
export const CERT_DAYS_LEFT_METRIC = 'CertificateDaysLeft';

/** The triggers dispatch starts a run for. */
export type CertAutoTrigger = 'schedule' | 'alarm';

/** The region's certificate-expiry alarm (on {@link CERT_DAYS_LEFT_METRIC}). */
export const certAlarmName = (cluster: string, region: string): string =>
  `${cluster}-${region}-certificate-expiry`;

/** The daily census schedule's EventBridge rule. */
export const censusRuleName = (cluster: string): string => `${cluster}-cert-census`;

/**
 * `cert-rotation-<trigger>-<UTC yyyymmddHHMM>` of the triggering event's time (the alarm's state change, the
 * schedule's minute): a redelivered event finds its execution, two triggers of the same minute do not collide.
 */
export function certRotationExecutionName(trigger: CertAutoTrigger, time: string): string {
  const t = Date.parse(time);
  if (!Number.isFinite(t)) throw new Error(`event time is not an ISO time: ${JSON.stringify(time)}`);
  const stamp = new Date(t).toISOString().replace(/[-:T]/g, '').slice(0, 12);
  return `${CERT_ROTATION}-${trigger}-${stamp}`;
}

/** The `GATE#cert-rotation` item: the last automatic start and the day's count. */
export interface CertGateRecord {
  readonly lastStartAt?: number | undefined;
  /** UTC day (`YYYY-MM-DD`) `count` refers to. */
  readonly day?: string | undefined;
  readonly count?: number | undefined;
  /** The execution name the last start recorded (a redelivery of its event passes the gate again). */
  readonly execution?: string | undefined;
}

export interface CertGateSettings {
  readonly cooldownMs: number;
  readonly dailyBudget: number;
  /** config `automation.enabled`. */
  readonly automationEnabled: boolean;
}

export type CertGateDecision =
  | { readonly allow: true; readonly repeat: boolean }
  | { readonly allow: false; readonly rule: 'paused' | 'cooldown' | 'budget'; readonly reason: string };

const utcDay = (at: number) => new Date(at).toISOString().slice(0, 10);

/**
 * Whether an automatic run named `execution` may start at `now`. The gate item already naming it means a
 * redelivery of the event that recorded it: allowed (`repeat`), the start then answers `duplicate` or starts
 * what the first delivery could not. Otherwise refused while paused, within the cooldown of the last start,
 * and past the day's budget.
 */
export function certGateDecision(
  execution: string,
  record: CertGateRecord | undefined,
  settings: CertGateSettings,
  now: number,
): CertGateDecision {
  if (!settings.automationEnabled) {
    return {
      allow: false,
      rule: 'paused',
      reason: 'automation is paused (automation.enabled is false, or an operator paused it)',
    };
  }
  if (record?.execution === execution) return { allow: true, repeat: true };
  const last = record?.lastStartAt;
  if (last !== undefined && now - last < settings.cooldownMs) {
    return {
      allow: false,
      rule: 'cooldown',
      reason: `${record?.execution ?? 'the previous run'} started ${Math.floor((now - last) / 1000)} s ago, within the ${settings.cooldownMs / 60_000}-minute cooldown`,
    };
  }
  const used = record?.day === utcDay(now) ? (record.count ?? 0) : 0;
  if (used >= settings.dailyBudget) {
    return {
      allow: false,
      rule: 'budget',
      reason: `${used} automatic cert-rotation run(s) today reached the daily budget of ${settings.dailyBudget}`,
    };
  }
  return { allow: true, repeat: false };
}

/**
 * Record a start in the gate item, only if the item is still what the gate decided on (no other trigger
 * recorded a start in between): two triggers at once start one run.
 */
export function certGateUpdate(
  cluster: string,
  execution: string,
  previous: CertGateRecord | undefined,
  now: number,
): UpdateRequest {
  const day = utcDay(now);
  const used = previous?.day === day ? (previous.count ?? 0) : 0;
  const last = previous?.lastStartAt;
  return {
    Key: gateKey(cluster, CERT_ROTATION),
    UpdateExpression: 'SET lastStartAt = :at, #day = :day, #count = :count, execution = :me',
    ConditionExpression: last === undefined ? 'attribute_not_exists(lastStartAt)' : 'lastStartAt = :previous',
    ExpressionAttributeNames: { '#day': 'day', '#count': 'count' },
    ExpressionAttributeValues: {
      ':at': now,
      ':day': day,
      ':count': used + 1,
      ':me': execution,
      ...(last === undefined ? {} : { ':previous': last }),
    },
  };
}

/** What dispatch decided on one trigger. */
export interface CertTriggerAudit {
  readonly cluster: string;
  readonly trigger: CertAutoTrigger;
  readonly eventTime: string;
  readonly eventId: string;
  readonly detailType: string;
  readonly executionName: string;
  readonly outcome: 'started' | 'duplicate' | 'gated';
  /** For `gated`: the gate's rule and reason. */
  readonly rule?: 'paused' | 'cooldown' | 'budget';
  readonly reason?: string;
}

/**
 * The audit entry of a trigger: one per event (its id); a redelivery keeps the first delivery's entry unless
 * it started the run.
 */
export function certTriggerAuditPut(a: CertTriggerAudit, now: number): AuditPut {
  const Item = {
    ...auditKey(a.cluster, a.eventTime, a.eventId),
    trigger: a.trigger,
    detailType: a.detailType,
    workflow: CERT_ROTATION,
    executionName: a.executionName,
    outcome: a.outcome,
    ...(a.rule !== undefined ? { rule: a.rule } : {}),
    ...(a.reason !== undefined ? { reason: a.reason } : {}),
    ttl: auditExpiry(now),
  };
  return a.outcome === 'started' ? { Item } : { Item, ConditionExpression: 'attribute_not_exists(sk)' };
}
