/**
 * dispatch's automatic regional failover, as pure decisions: which action a change of the region's degraded
 * alarm asks for, the execution's deterministic name and input, and the audit entry. The workflow itself
 * (regional-failover) plans, gates (cooldown, budget), takes the routing lease and refuses what the safety
 * rules forbid: dispatch only chooses where to start it.
 */
import { type AuditPut, auditExpiry } from './audit';
import { auditKey } from './keys';

export type RegionalAction = 'evacuate' | 'restore';

/**
 * What a state change of the degraded alarm asks for: ALARM → evacuate; OK coming from ALARM → restore when
 * `automaticRestore` (else `manual-restore`: restores are the operator's); anything else → undefined (not an
 * event dispatch acts on: OK from INSUFFICIENT_DATA is a fresh alarm's first evaluation, not a recovery).
 */
export function regionalActionOf(
  state: string,
  previous: string,
  automaticRestore: boolean,
): RegionalAction | 'manual-restore' | undefined {
  if (state === 'ALARM') return 'evacuate';
  if (state === 'OK' && previous === 'ALARM') return automaticRestore ? 'restore' : 'manual-restore';
  return undefined;
}

/**
 * `<action>-<region>-<state change, epoch seconds>`: a redelivered event, or the same change seen twice, finds
 * its execution (ExecutionAlreadyExists). At most 8 + 1 + 14 + 1 + 10 characters, within Step Functions' 80.
 */
export function regionalExecutionName(action: RegionalAction, region: string, eventTime: string): string {
  const at = Date.parse(eventTime);
  if (Number.isNaN(at)) throw new Error(`not a time: ${JSON.stringify(eventTime)}`);
  return `${action}-${region}-${Math.floor(at / 1000)}`;
}

/** regional-failover's input for an automatic run (statemachines/regional-failover.md). */
export function regionalInput(
  action: RegionalAction,
  region: string,
  alarmName: string,
  stateReason?: string,
) {
  const why = stateReason ?? (action === 'evacuate' ? 'the region is degraded' : 'the region recovered');
  return {
    action,
    region,
    trigger: 'automatic' as const,
    reason: `${alarmName} is ${action === 'evacuate' ? 'in ALARM' : 'OK again'}: ${why}`.slice(0, 500),
  };
}

/** What dispatch did with one change of the degraded alarm. */
export type RegionalAudit = {
  readonly cluster: string;
  readonly eventTime: string;
  readonly eventId: string;
  readonly alarmName: string;
  readonly action: RegionalAction | 'manual-restore';
} & (
  | {
      readonly outcome: 'started' | 'duplicate';
      readonly executionName: string;
      /** The peer region whose regional-failover accepted the start. */
      readonly startedIn: string;
      /** Peers tried before it, each with the error name that made dispatch move on. */
      readonly skipped: readonly { readonly region: string; readonly error: string }[];
    }
  | { readonly outcome: 'paused'; readonly notified: boolean }
  | { readonly outcome: 'manual-only' }
  | {
      readonly outcome: 'error';
      readonly executionName: string;
      readonly skipped: readonly { readonly region: string; readonly error: string }[];
    }
);

/**
 * The put of the audit entry: one per event (its id); a redelivery never overwrites a `started` entry with
 * `duplicate`, and replaces an `error` left by a failed delivery.
 */
export function regionalAuditPut(a: RegionalAudit, now: number): AuditPut {
  const { cluster, eventTime, eventId, ...rest } = a;
  const Item = {
    ...auditKey(cluster, eventTime, eventId),
    trigger: 'alarm',
    workflow: 'regional-failover',
    ...rest,
    ...('skipped' in rest ? { skipped: rest.skipped.map((s) => ({ ...s })) } : {}),
    ttl: auditExpiry(now),
  };
  return a.outcome === 'started'
    ? { Item }
    : {
        Item,
        ConditionExpression: 'attribute_not_exists(sk) OR outcome = :error',
        ExpressionAttributeValues: { ':error': 'error' },
      };
}
