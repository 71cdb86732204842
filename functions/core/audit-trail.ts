/**
 * The audit trail as an operator reads it (issue 15 §6): every decision is an `AUDIT#<ISO time>#<id>` item in
 * the cluster's partition, so one Query (`pk = CLUSTER#c AND sk BETWEEN AUDIT#<from> AND AUDIT#<to>~`) returns
 * it in time order. This module builds that query, normalises the items the writers leave (dispatch, the
 * sweep, report, the signer, routing, operations) into one shape, and builds the operations' own entries.
 */
import { type AuditPut, auditExpiry } from './audit';
import { AUDIT_SK_PREFIX as AUDIT_PREFIX, auditKey, clusterPk } from './keys';

/** The default window of the `audit` op: the last 24 hours. */
export const DEFAULT_AUDIT_WINDOW_MS = 86_400_000;
export const DEFAULT_AUDIT_LIMIT = 100;

/**
 * The Query's key condition for `[since, until]` (inclusive; ISO times or epoch ms). `~` sorts after `#`, so an
 * entry written at exactly `until` (`AUDIT#<until>#<id>`) is inside. Throws when the window is reversed.
 */
export function auditWindow(cluster: string, since: string | number, until: string | number) {
  const from = new Date(since);
  const to = new Date(until);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()))
    throw new Error('since/until must be times');
  if (from > to) throw new Error(`since (${from.toISOString()}) is after until (${to.toISOString()})`);
  return {
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: {
      ':pk': clusterPk(cluster),
      ':from': `${AUDIT_PREFIX}${from.toISOString()}`,
      ':to': `${AUDIT_PREFIX}${to.toISOString()}~`,
    },
    ScanIndexForward: true,
  };
}

/** One audit entry as the `audit` op returns it, whatever wrote it. */
export interface AuditRecord {
  readonly at: string;
  readonly id: string;
  readonly kind: string;
  readonly workflow?: string;
  readonly execution?: string;
  readonly decision?: string;
  readonly outcome?: string;
  readonly actor?: string;
  readonly reason?: string;
  readonly error?: string;
  readonly subject?: string;
  readonly notified?: boolean;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Normalise an audit item: `at` and `id` from its sort key, `kind` from its `kind` or `trigger` (a workflow's
 * own report has neither: `report`), then the fields every writer names the same way. An item that is no audit
 * entry (a sort key outside `AUDIT#`) gives undefined.
 */
export function normaliseAuditItem(item: Readonly<Record<string, unknown>>): AuditRecord | undefined {
  const sk = str(item.sk);
  if (!sk?.startsWith(AUDIT_PREFIX)) return undefined;
  const rest = sk.slice(AUDIT_PREFIX.length);
  const cut = rest.indexOf('#');
  const at = cut < 0 ? rest : rest.slice(0, cut);
  const id = cut < 0 ? '' : rest.slice(cut + 1);
  const execution = str(item.execution) ?? str(item.executionName);
  const decision = str(item.decision) ?? str(item.action) ?? str(item.finding) ?? str(item.phase);
  const fields: Record<string, unknown> = {
    at,
    id,
    kind: str(item.kind) ?? str(item.trigger) ?? 'report',
    workflow: str(item.workflow),
    execution,
    decision,
    outcome: str(item.outcome) ?? str(item.status),
    actor: str(item.actor) ?? str(item.operator),
    reason: str(item.reason) ?? str(item.summary) ?? str(item.detail),
    error: str(item.error),
    subject: str(item.subject) ?? str(item.instanceId) ?? str(item.alarmName),
    notified: typeof item.notified === 'boolean' ? item.notified : undefined,
  };
  return Object.fromEntries(
    Object.entries(fields).filter(([, v]) => v !== undefined),
  ) as unknown as AuditRecord;
}

/** What an operator did through the operations Lambda (dead letters, and the pause's own entries). */
export interface OperatorAudit {
  readonly cluster: string;
  readonly at: number;
  /** Unique per request (the handler's request id). */
  readonly requestId: string;
  readonly kind: string;
  readonly actor?: string | undefined;
  readonly reason?: string | undefined;
  readonly outcome: string;
  /** Plain facts (counts, ids), never a payload. */
  readonly details?: Readonly<Record<string, string | number | boolean | readonly string[]>> | undefined;
}

/** The put of an operator's action: one entry per request (a retried request keeps the first). */
export function operatorAuditPut(a: OperatorAudit): AuditPut {
  return {
    Item: {
      ...auditKey(a.cluster, a.at, `${a.kind}#${a.requestId}`),
      trigger: 'operator',
      kind: a.kind,
      ...(a.actor !== undefined ? { actor: a.actor } : {}),
      ...(a.reason !== undefined ? { reason: a.reason } : {}),
      outcome: a.outcome,
      ...Object.fromEntries(
        Object.entries(a.details ?? {}).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]),
      ),
      ttl: auditExpiry(a.at),
    },
    ConditionExpression: 'attribute_not_exists(sk)',
  };
}

/** The sweep's census of primaries started (or found started) primary-failover: a decision like any other. */
export interface CensusAudit {
  readonly cluster: string;
  /** The sweep's event time and id. */
  readonly eventTime: string;
  readonly eventId: string;
  /** `zero` or `two` (what the census found) and why. */
  readonly census: string;
  readonly why: string;
  readonly executionName: string;
  readonly outcome: 'started' | 'duplicate';
}

/** The put of a census decision: one entry per sweep; a redelivered sweep keeps the first. */
export function censusAuditPut(a: CensusAudit, now: number): AuditPut {
  return {
    Item: {
      ...auditKey(a.cluster, a.eventTime, `${a.eventId}#census`),
      trigger: 'sweep',
      decision: `census-${a.census}`,
      detail: a.why.slice(0, 500),
      workflow: 'primary-failover',
      executionName: a.executionName,
      outcome: a.outcome,
      ttl: auditExpiry(now),
    },
    ConditionExpression: 'attribute_not_exists(sk)',
  };
}
