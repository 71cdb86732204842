/**
 * Pause means pause. With `automation.enabled: false` the control plane takes no remediation of its own: no
 * failover is started by an alarm, the sweep or a replacement, and an automatic primary-failover run (node-drain's
 * handover) only observes and reports, without the cluster lock. Lifecycle hooks are still answered (they
 * answer Auto Scaling's own actions; leaving them would let their default results act) and an operator's
 * manual run is never held. This module names what a paused control plane found, decides when the operator
 * is told (once per incident), and builds the conditional writes that make "once" hold across Lambdas.
 */
import type { FailoverTrigger } from './failover';
import type { UpdateRequest } from './fencing';
import { noticeKey } from './keys';

/** Whether a run is held by the pause: automatic (any trigger but `manual`) while automation is disabled. */
export function heldByPause(trigger: FailoverTrigger, automationEnabled: boolean): boolean {
  return !automationEnabled && trigger !== 'manual';
}

/**
 * The kinds of incident a paused control plane reports, as the operator sees them; each is notified once
 * per incident. `no-primary` is every way the primary group ends up without a serving primary (the alarm,
 * the census, a run that confirmed the primary down, found it outside the group, or saw it being
 * terminated): the sightings differ in detail, not in what the operator must do.
 */
export const PAUSED_FINDINGS = [
  'no-primary',
  'two-primaries',
  'too-few-task-nodes',
  'suspended-processes',
  'region-degraded',
] as const;
export type PausedFinding = (typeof PAUSED_FINDINGS)[number];

/** One line per finding, for the notice's subject. */
export const FINDING_TEXT: Readonly<Record<PausedFinding, string>> = {
  'no-primary': 'no primary in the primary group',
  'two-primaries': 'two primaries',
  'too-few-task-nodes': 'too few task nodes',
  'suspended-processes': 'scaling processes left suspended',
  'region-degraded': 'region degraded, not evacuated',
};

/**
 * What a held primary-failover run found, from its verdict; undefined for a verdict that needs no action
 * (a false alarm, a drained member), which is not an incident.
 */
export function findingOfVerdict(
  verdict: { readonly verdict: string },
  mode: string | undefined,
): PausedFinding | undefined {
  switch (verdict.verdict) {
    case 'split':
      return 'two-primaries';
    case 'adopt':
      return 'no-primary';
    case 'confirmed':
      return mode === 'cloud-native' ? 'too-few-task-nodes' : 'no-primary';
    default:
      return undefined;
  }
}

/** The reconciler's census of primaries as a finding. */
export const findingOfCensus = (kind: 'zero' | 'two'): PausedFinding =>
  kind === 'zero' ? 'no-primary' : 'two-primaries';

/**
 * An incident is an episode of one finding: it lasts while the finding keeps being seen (the sweep sees a
 * lasting one every 5 minutes) and ends when it has not been seen for this long. The sweep's census is
 * blind for up to 30 minutes while a dead election's fence is fresh, so the gap must be longer than that.
 */
export const PAUSED_INCIDENT_QUIET_MS = 60 * 60_000;

/** Notice records outlive their last sighting by this long (DynamoDB TTL), far beyond the quiet gap. */
export const NOTICE_RETENTION_DAYS = 7;

/** The `NOTICE#<finding>` item as read back. */
export interface NoticeRecord {
  readonly lastSeenAt?: number | undefined;
}

/**
 * The rule: a sighting at `now` is notified if and only if the same finding was not seen in the quiet gap
 * before it (never seen, or last seen more than {@link PAUSED_INCIDENT_QUIET_MS} earlier). Every other
 * sighting is audited and counted, not notified. {@link noticeClaim} is this rule as a conditional write.
 */
export function noticeDue(record: NoticeRecord | undefined, now: number): boolean {
  const last = record?.lastSeenAt;
  return last === undefined || last < now - PAUSED_INCIDENT_QUIET_MS;
}

const ttlOf = (now: number) => Math.floor(now / 1000) + NOTICE_RETENTION_DAYS * 86_400;

/**
 * Claim the notice of a sighting: succeeds only when {@link noticeDue} holds for the stored record, so of two
 * sightings racing in different Lambdas exactly one notifies. It starts a new incident (repeats 0).
 */
export function noticeClaim(
  req: { readonly cluster: string; readonly finding: PausedFinding; readonly source: string },
  now: number,
): UpdateRequest {
  return {
    Key: noticeKey(req.cluster, req.finding),
    UpdateExpression:
      'SET lastSeenAt = :now, firstSeenAt = :now, notifiedAt = :now, repeats = :zero, #source = :source, #ttl = :ttl',
    ConditionExpression: 'attribute_not_exists(lastSeenAt) OR lastSeenAt < :quietSince',
    ExpressionAttributeNames: { '#source': 'source', '#ttl': 'ttl' },
    ExpressionAttributeValues: {
      ':now': now,
      ':zero': 0,
      ':source': req.source,
      ':ttl': ttlOf(now),
      ':quietSince': now - PAUSED_INCIDENT_QUIET_MS,
    },
  };
}

/** A sighting of an incident already notified: it keeps the incident open and is counted. */
export function noticeRepeat(
  req: { readonly cluster: string; readonly finding: PausedFinding },
  now: number,
): UpdateRequest {
  return {
    Key: noticeKey(req.cluster, req.finding),
    UpdateExpression: 'SET lastSeenAt = :now, #ttl = :ttl ADD repeats :one',
    ExpressionAttributeNames: { '#ttl': 'ttl' },
    ExpressionAttributeValues: { ':now': now, ':one': 1, ':ttl': ttlOf(now) },
  };
}

/**
 * Give back a claim whose notification could not be sent, so the next sighting notifies instead of being
 * taken for a repeat. Only the claim made at `claimedAt` is given back.
 */
export function noticeRelease(
  req: { readonly cluster: string; readonly finding: PausedFinding },
  claimedAt: number,
): UpdateRequest {
  return {
    Key: noticeKey(req.cluster, req.finding),
    UpdateExpression: 'REMOVE #last, #notified',
    ConditionExpression: '#notified = :claimedAt',
    ExpressionAttributeNames: { '#last': 'lastSeenAt', '#notified': 'notifiedAt' },
    ExpressionAttributeValues: { ':claimedAt': claimedAt },
  };
}

/** The scaling processes only primary-failover suspends (under the cluster lock), by group. */
export const FAILOVER_SUSPENSIONS = [
  { group: 'primary', process: 'Launch' },
  { group: 'member', process: 'HealthCheck' },
] as const;
export type Suspension = (typeof FAILOVER_SUSPENSIONS)[number];

/** The cluster lock as the sweep reads it, and whether its holder's execution still runs. */
export interface LockView {
  readonly owner?: string | undefined;
  readonly expiresAt?: number | undefined;
  /** From DescribeExecution; undefined when not asked (no live lease). */
  readonly holderRunning?: boolean | undefined;
}

/** Whether a live run holds the cluster lock: a lease not expired whose holder is not known to have ended. */
export const lockHeld = (lock: LockView | undefined, now: number): boolean =>
  lock?.owner !== undefined && (lock.expiresAt ?? 0) >= now && lock.holderRunning !== false;

/**
 * The suspensions a run left behind: Launch on the primary group or HealthCheck on the member group while no
 * live run holds the cluster lock (only primary-failover suspends them, and only under the lock, so a run
 * that ended without its cleanup left them, unless an operator suspended them by hand). While paused they
 * stay: resuming them is a change, and Launch suspended keeps Auto Scaling from replacing the primary, so
 * the operator is told.
 */
export function leftoverSuspensions(
  suspended: { readonly primary: readonly string[]; readonly member: readonly string[] },
  lock: LockView | undefined,
  now: number,
): Suspension[] {
  if (lockHeld(lock, now)) return [];
  return FAILOVER_SUSPENSIONS.filter((s) => suspended[s.group].includes(s.process));
}

/** One line for the operator: `Launch on group-a and HealthCheck on group-b`. */
export function describeSuspensions(
  leftovers: readonly Suspension[],
  groupNames: { readonly primary: string; readonly member: string },
): string {
  return leftovers.map((s) => `${s.process} on ${groupNames[s.group]}`).join(' and ');
}

/** What the operator can do about each finding while paused. */
const ADVICE: Readonly<Record<PausedFinding, string>> = {
  'no-primary':
    'Check the primary. To recover, start primary-failover by hand (a dry run first), or resume automation.',
  'two-primaries':
    'Two nodes may act as the primary. Start primary-failover by hand (a dry run first): it demotes the extra one.',
  'too-few-task-nodes':
    'Start primary-failover by hand (a dry run first) to give cluster tasks to more nodes.',
  'suspended-processes':
    'While they stay suspended Auto Scaling cannot replace the primary (Launch) or replace unhealthy members (HealthCheck). A manual primary-failover run resumes them first; or resume them by hand (aws autoscaling resume-processes).',
  'region-degraded':
    'Route 53 still sends this region its share of clients. To evacuate it, start regional-failover by hand in another region (action evacuate, a dry run first: README, "Regional failover"), or resume automation (automation.enabled true and no operator pause).',
};

/** The notice of a finding: SNS subject (under 100 characters) and body. */
export function pausedNotice(n: {
  readonly cluster: string;
  readonly region: string;
  readonly finding: PausedFinding;
  /** What was seen, by whom. */
  readonly detail: string;
}): { subject: string; message: string } {
  const subject = `[${n.cluster}/${n.region}] automation paused: ${FINDING_TEXT[n.finding]}`;
  return {
    subject: subject.length > 99 ? `${subject.slice(0, 98)}…` : subject,
    message: [
      `${n.detail}`,
      'Automation is paused (automation.enabled is false, or an operator paused it: operations Lambda, op pause-status): the control plane starts no failover and changes nothing on its own; lifecycle hooks are still answered and manual runs still act.',
      ADVICE[n.finding],
      `You are told once per incident: later sightings are audited and counted, not e-mailed, until this finding has not been seen for ${PAUSED_INCIDENT_QUIET_MS / 60_000} minutes.`,
    ].join('\n'),
  };
}
