/**
 * The audit log's items (`AUDIT#<time>#<id>` in the cluster's partition): what dispatch and the reconciler
 * decided about each event, and when the entry expires.
 */
import { auditKey } from './keys';
import type { LifecycleDecision } from './lifecycle';
import type { PausedFinding } from './paused';

/** Audit entries are kept 90 days (DynamoDB TTL on `ttl`, epoch seconds). */
export const AUDIT_RETENTION_DAYS = 90;

/** The `ttl` of an entry written at `now` (epoch ms): epoch seconds {@link AUDIT_RETENTION_DAYS} later. */
export function auditExpiry(now: number): number {
  return Math.floor(now / 1000) + AUDIT_RETENTION_DAYS * 86_400;
}

export type AuditOutcome = 'started' | 'duplicate' | 'completed' | 'error';

export interface AuditEntry {
  readonly trigger: 'event' | 'sweep';
  readonly cluster: string;
  /** The triggering event's time and id; the sk makes one entry per event (and instance, for a sweep). */
  readonly eventTime: string;
  readonly eventKey: string;
  readonly detailType: string;
  readonly instanceId: string;
  readonly group: string;
  readonly decision: LifecycleDecision;
  readonly outcome: AuditOutcome;
  /** For `error`: the error's name only (messages can quote input). */
  readonly error?: string;
}

/** The audit item of a lifecycle decision, expiring after {@link AUDIT_RETENTION_DAYS}. */
export function auditItem(entry: AuditEntry, now: number): Record<string, unknown> {
  const d = entry.decision;
  return {
    ...auditKey(entry.cluster, entry.eventTime, entry.eventKey),
    trigger: entry.trigger,
    detailType: entry.detailType,
    instanceId: entry.instanceId,
    group: entry.group,
    decision: d.kind,
    ...(d.kind === 'start' ? { workflow: d.workflow, executionName: d.executionName } : {}),
    outcome: entry.outcome,
    ...(entry.error !== undefined ? { error: entry.error } : {}),
    ttl: auditExpiry(now),
  };
}

/** A PutItem request without its table. */
export interface AuditPut {
  readonly Item: Record<string, unknown>;
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeValues?: Record<string, string>;
}

/**
 * The put of a lifecycle audit entry. A redelivered event (same id, so same sk) must not replace what the
 * first delivery recorded with `duplicate`, only an `error` it left behind; a later `started`/`completed`
 * always wins.
 */
export function auditPut(entry: AuditEntry, now: number): AuditPut {
  const Item = auditItem(entry, now);
  return entry.outcome === 'duplicate'
    ? {
        Item,
        ConditionExpression: 'attribute_not_exists(sk) OR outcome = :error',
        ExpressionAttributeValues: { ':error': 'error' },
      }
    : { Item };
}

/** A primary-unhealthy alarm dispatch started (or found) primary-failover for, or held while paused. */
export type AlarmAudit = {
  readonly cluster: string;
  readonly eventTime: string;
  readonly eventId: string;
  readonly detailType: string;
  readonly alarmName: string;
} & (
  | { readonly outcome: 'started' | 'duplicate'; readonly executionName: string }
  /** Automation paused: no execution; whether this sighting notified the operator (once per incident). */
  | { readonly outcome: 'paused'; readonly notified: boolean }
);

/**
 * The put of an alarm's audit entry: as for lifecycle events, a redelivery keeps the first `started`, and
 * a redelivered `paused` event (a repeat, never notified) keeps the first delivery's entry.
 */
export function alarmAuditPut(a: AlarmAudit, now: number): AuditPut {
  const Item = {
    ...auditKey(a.cluster, a.eventTime, a.eventId),
    trigger: 'alarm',
    detailType: a.detailType,
    alarmName: a.alarmName,
    workflow: 'primary-failover',
    ...(a.outcome === 'paused' ? { notified: a.notified } : { executionName: a.executionName }),
    outcome: a.outcome,
    ttl: auditExpiry(now),
  };
  return a.outcome === 'started' ? { Item } : { Item, ConditionExpression: 'attribute_not_exists(sk)' };
}

/** What the sweep found while automation is paused, and whether it notified the operator. */
export interface PausedSweepAudit {
  readonly cluster: string;
  readonly eventTime: string;
  readonly eventKey: string;
  readonly finding: PausedFinding;
  readonly detail: string;
  readonly notified: boolean;
}

/** The put of a paused sweep's finding: one entry per sweep and finding; a redelivery keeps the first. */
export function pausedSweepAuditPut(a: PausedSweepAudit, now: number): AuditPut {
  return {
    Item: {
      ...auditKey(a.cluster, a.eventTime, `${a.eventKey}#${a.finding}`),
      trigger: 'sweep',
      finding: a.finding,
      detail: a.detail,
      outcome: 'paused',
      notified: a.notified,
      ttl: auditExpiry(now),
    },
    ConditionExpression: 'attribute_not_exists(sk)',
  };
}

/** What the signer did: a leaf issued or refused, a CA generation's certificate made, a CA rotation phase. */
export type CertificateAudit = {
  readonly cluster: string;
  /** When (ISO or epoch ms); with `id` the entry's sort key. */
  readonly at: string | number;
  /** The execution that asked (absent for a `ca` op called outside a workflow). */
  readonly execution?: string;
} & (
  | {
      readonly kind: 'certificate-issued';
      readonly instanceId: string;
      readonly serial: string;
      readonly notAfter: string;
      readonly fingerprint: string;
      readonly issuer: number;
    }
  | {
      readonly kind: 'certificate-refused';
      readonly instanceId: string;
      readonly check: string;
      readonly reason: string;
    }
  | {
      readonly kind: 'ca-created';
      readonly generation: number;
      readonly serial: string;
      readonly notAfter: string;
      readonly fingerprint: string;
    }
  | {
      readonly kind: 'ca-phase';
      readonly phase: string;
      readonly active: number;
      readonly trusted: readonly number[];
    }
);

/**
 * The put of a signer audit entry. Its id names the kind and what it is about (the serial of an issued leaf,
 * the instance of a refusal, the generation of a CA, the phase), so a retried invocation at the same instant
 * writes the same entry once.
 */
export function certificateAuditPut(a: CertificateAudit, now: number): AuditPut {
  const { cluster, at, ...rest } = a;
  const subject =
    rest.kind === 'certificate-issued'
      ? rest.serial
      : rest.kind === 'certificate-refused'
        ? rest.instanceId
        : rest.kind === 'ca-created'
          ? `G${rest.generation}`
          : rest.phase;
  return {
    Item: {
      ...auditKey(cluster, at, `${rest.kind}#${subject}`),
      trigger: 'signer',
      ...rest,
      ...(rest.kind === 'ca-phase' ? { trusted: [...rest.trusted] } : {}),
      ttl: auditExpiry(now),
    },
    ConditionExpression: 'attribute_not_exists(sk)',
  };
}
