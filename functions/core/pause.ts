/**
 * The global pause (issue 15): one `PAUSE` item in every voter's routing table (every configured region and the
 * witness: infra/stacks/names.ts `routingVoters`), so a pause survives the loss of any minority of regions and
 * every region reads it locally. A change (`pause`/`resume`) writes every copy with version = 1 + the highest
 * version seen, each write conditional on the copy holding a lower version, and is done when a majority
 * accepted. Any majority of copies then includes one that holds it, so a reader of a majority takes the highest
 * version it sees; the sweep copies that version into its own region's copy (a region unreachable at pause
 * time converges within one sweep). The effective pause is `automation.enabled: false` (the deploy-time pause)
 * or the item's `paused`. This module decides and builds the requests; functions/shared/pause.ts reads and
 * writes the tables.
 */
import { auditExpiry } from './audit';
import { auditKey, pauseKey, type TableKey } from './keys';

/** The `PAUSE` item (no item yet: never paused, version 0). */
export interface PauseItem {
  readonly paused: boolean;
  readonly reason: string;
  /** Who changed it (hactl sends its STS caller ARN). */
  readonly actor: string;
  /** Epoch milliseconds of the change. */
  readonly changedAt: number;
  /** +1 per change; a copy is only ever written over a lower version. */
  readonly version: number;
  /** Epoch milliseconds of the last reminder sent while paused (claimed by the sweep). */
  readonly remindedAt?: number | undefined;
}

/** One voter's copy as read: its item (undefined = none yet), or the error that kept it unread. */
export type PauseRead =
  | { readonly region: string; readonly reachable: true; readonly item: PauseItem | undefined }
  | { readonly region: string; readonly reachable: false; readonly error: string };

/** How one copy answered a conditional write. */
export type CopyOutcome = 'written' | 'newer' | 'unreachable';

/** The effective pause: the deploy-time switch off, or the item paused. */
export function effectivePause(automationEnabled: boolean, item: PauseItem | undefined): boolean {
  return !automationEnabled || item?.paused === true;
}

/** The majority of `voters` copies. */
export function majority(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/** The version of a copy (0 when it has none). */
export const versionOf = (item: PauseItem | undefined): number => item?.version ?? 0;

/**
 * The state a read of the copies shows: the item with the highest version among the reachable copies, when at
 * least `quorum` answered (fewer: no verdict, since a change a majority accepted may be in the ones that did not
 * answer). Two items of one version (two operators racing) resolve to the paused one: pausing is the safe side.
 */
export function quorumPause(
  reads: readonly PauseRead[],
  quorum: number,
):
  | { readonly kind: 'ok'; readonly item: PauseItem | undefined; readonly version: number }
  | { readonly kind: 'no-quorum'; readonly reachable: number } {
  const items = reads.flatMap((r) => (r.reachable ? [r.item] : []));
  if (items.length < quorum) return { kind: 'no-quorum', reachable: items.length };
  let best: PauseItem | undefined;
  for (const item of items) {
    if (item === undefined) continue;
    const v = versionOf(best);
    if (item.version > v || (item.version === v && item.paused && best?.paused !== true)) best = item;
  }
  return { kind: 'ok', item: best, version: versionOf(best) };
}

/** What an operator asks. */
export interface PauseChange {
  readonly paused: boolean;
  readonly actor: string;
  readonly reason: string;
}

/** The item a change writes: version = 1 + the highest version any reachable copy holds. */
export function nextPause(reads: readonly PauseRead[], change: PauseChange, now: number): PauseItem {
  let highest = 0;
  for (const r of reads) if (r.reachable && versionOf(r.item) > highest) highest = versionOf(r.item);
  return {
    paused: change.paused,
    actor: change.actor,
    reason: change.reason,
    changedAt: now,
    version: highest + 1,
  };
}

/** A conditional put: the item replaces a copy only when that copy is absent or holds a lower version. */
export interface PutRequest {
  readonly Item: Readonly<Record<string, unknown>>;
  readonly ConditionExpression: string;
  readonly ExpressionAttributeNames: Readonly<Record<string, string>>;
  readonly ExpressionAttributeValues: Readonly<Record<string, unknown>>;
}

/** The write of `item` into one copy (a change, or the sweep's repair). */
export function pauseWrite(cluster: string, item: PauseItem): PutRequest {
  const key: TableKey = pauseKey(cluster);
  return {
    Item: { ...key, ...item },
    ConditionExpression: 'attribute_not_exists(#version) OR #version < :version',
    ExpressionAttributeNames: { '#version': 'version' },
    ExpressionAttributeValues: { ':version': item.version },
  };
}

/** A change is done when a majority of copies accepted it. */
export function changeDone(outcomes: readonly CopyOutcome[], quorum: number): boolean {
  return outcomes.filter((o) => o === 'written').length >= quorum;
}

/**
 * The sweep's repair of its own region's copy: the winner of a majority read when it is newer than the local
 * copy; undefined when nothing is to be written (no majority answered, or the local copy is current).
 */
export function repairOf(
  local: PauseItem | undefined,
  reads: readonly PauseRead[],
  quorum: number,
): PauseItem | undefined {
  const q = quorumPause(reads, quorum);
  if (q.kind !== 'ok' || q.item === undefined) return undefined;
  return q.version > versionOf(local) ? q.item : undefined;
}

const HOUR_MS = 3_600_000;

/** A conditional update of one copy. */
export interface ClaimRequest {
  readonly Key: TableKey;
  readonly UpdateExpression: string;
  readonly ConditionExpression: string;
  readonly ExpressionAttributeNames: Readonly<Record<string, string>>;
  readonly ExpressionAttributeValues: Readonly<Record<string, unknown>>;
}

/** When the next reminder is due: `hours` after the last reminder, or after the pause when none was sent. */
export function reminderDueAt(item: PauseItem, hours: number): number {
  return (item.remindedAt ?? item.changedAt) + hours * HOUR_MS;
}

/** Whether the sweep should try to claim a reminder now: paused (by the item) and the period has passed. */
export function reminderDue(item: PauseItem | undefined, hours: number, now: number): boolean {
  return item?.paused === true && now >= reminderDueAt(item, hours);
}

/**
 * The claim of a reminder in one copy: only the same pause (its version, still paused) whose last reminder (or
 * the pause itself) is at least a period old. The sweep sends the reminder when a majority accepted, so of two
 * sweeps racing at most one sends it per period cluster-wide.
 */
export function reminderClaim(cluster: string, item: PauseItem, hours: number, now: number): ClaimRequest {
  const since = now - hours * HOUR_MS;
  return {
    Key: pauseKey(cluster),
    UpdateExpression: 'SET #reminded = :now',
    ConditionExpression:
      '#version = :version AND #paused = :true AND (attribute_not_exists(#reminded) OR #reminded <= :since) AND #changed <= :since',
    ExpressionAttributeNames: {
      '#reminded': 'remindedAt',
      '#version': 'version',
      '#paused': 'paused',
      '#changed': 'changedAt',
    },
    ExpressionAttributeValues: { ':now': now, ':version': item.version, ':true': true, ':since': since },
  };
}

/**
 * What a sweep publishes as `AutomationPaused`: 1 while the effective pause holds; 0 once, on the sweep that
 * sees it end (the item resumed within the last `sweepMs`, a sweep interval: a duplicate 0 is harmless); else
 * nothing (a custom metric costs only while it has data).
 */
export function pauseMetric(
  automationEnabled: boolean,
  item: PauseItem | undefined,
  now: number,
  sweepMs: number,
): 0 | 1 | undefined {
  if (effectivePause(automationEnabled, item)) return 1;
  if (item !== undefined && now - item.changedAt < sweepMs) return 0;
  return undefined;
}

/** The pause as one line for a notification or a log (`paused by <actor>: <reason>`). */
export function describePause(item: PauseItem | undefined, automationEnabled: boolean): string {
  const parts: string[] = [];
  if (!automationEnabled) parts.push('automation.enabled is false (deploy-time pause)');
  if (item?.paused === true) parts.push(`paused by ${item.actor}: ${item.reason}`);
  return parts.length > 0 ? parts.join('; ') : 'not paused';
}

/** The audit entry of a change (`AUDIT#<time>#pause-v<version>` in the cluster's partition of the state table). */
export function pauseAuditItem(
  cluster: string,
  item: PauseItem,
  copies: readonly { readonly region: string; readonly outcome: CopyOutcome }[],
): Record<string, unknown> {
  return {
    ...auditKey(cluster, item.changedAt, `pause-v${item.version}`),
    kind: 'pause',
    trigger: 'operator',
    decision: item.paused ? 'pause' : 'resume',
    outcome: 'completed',
    actor: item.actor,
    reason: item.reason,
    version: item.version,
    copies: copies.map((c) => `${c.region}:${c.outcome}`).join(' '),
    ttl: auditExpiry(item.changedAt),
  };
}

/** The topic notification of a change (one per change): who, why, and what it holds back. */
export function pauseNotice(
  cluster: string,
  item: PauseItem,
  written: readonly string[],
): { subject: string; message: string } {
  const what = item.paused ? 'paused' : 'resumed';
  const subject = `[${cluster}] automation ${what} by ${item.actor}`;
  return {
    subject: subject.length > 99 ? `${subject.slice(0, 98)}…` : subject,
    message: [
      `Automation was ${what} by ${item.actor} at ${new Date(item.changedAt).toISOString()} (version ${item.version}).`,
      `Reason: ${item.reason}`,
      item.paused
        ? 'Until it is resumed, no alarm, schedule or sweep changes anything: what they find is reported once per incident. Lifecycle hooks are still answered, and manual runs still act.'
        : 'Alarms, schedules and the sweep act again.',
      `Copies written: ${written.join(', ')}.`,
    ].join('\n'),
  };
}

/** The reminder while paused. */
export function reminderNotice(
  cluster: string,
  item: PauseItem,
  now: number,
): { subject: string; message: string } {
  const hours = Math.floor((now - item.changedAt) / HOUR_MS);
  return {
    subject: `[${cluster}] automation still paused (${hours} h)`.slice(0, 99),
    message: [
      `Automation has been paused for ${hours} hours, since ${new Date(item.changedAt).toISOString()}, by ${item.actor}.`,
      `Reason: ${item.reason}`,
      'No alarm, schedule or sweep changes anything until it is resumed (operations Lambda, op resume).',
    ].join('\n'),
  };
}
