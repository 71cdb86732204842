/**
 * What workflows tell the operator and the audit log when they finish: every outcome is audited and every
 * one the operator must act on is notified. One pure function turns a workflow outcome into the audit item,
 * the notification and the metric, so wording, redaction and retention live in one place.
 */
import { auditExpiry } from './audit';
import { auditKey } from './keys';
import type { PausedFinding } from './paused';

export type Outcome =
  | 'succeeded'
  | 'failed'
  | 'compensated'
  | 'skipped'
  | 'no-handover'
  | 'false-alarm'
  | 'refused'
  | 'dry-run'
  | 'superseded'
  | 'escalated'
  | 'handover-started'
  | 'not-approved'
  | 'reverted';

/** Outcomes the operator does not need to hear about (audited only). */
const QUIET: readonly Outcome[] = [
  'succeeded',
  'skipped',
  'false-alarm',
  'dry-run',
  'superseded',
  'handover-started',
];

export interface WorkflowOutcome {
  readonly cluster: string;
  readonly region: string;
  readonly workflow: string;
  /** The execution ARN (who acted). */
  readonly execution: string;
  readonly outcome: Outcome;
  /** What the workflow acted on, e.g. the instance id. */
  readonly subject: string;
  /** One line: what happened and what the operator should do, if anything. */
  readonly summary: string;
  /** The error Step Functions caught, if any (`{ Error, Cause }`). */
  readonly error?: { readonly Error?: string | undefined; readonly Cause?: string | undefined } | undefined;
  /** Override whether the operator is notified (default: every outcome but the quiet ones). */
  readonly notify?: boolean | undefined;
  /**
   * Set when automation is paused and the run was held: the kind of incident it found. The operator is
   * notified once per incident (functions/core/paused.ts); a repeat is audited and counted only.
   */
  readonly incident?: PausedFinding | undefined;
  /** Plain facts the audit item carries beside the summary (e.g. a regional run's trigger and break-glass). */
  readonly details?: Readonly<Record<string, string | number | boolean>> | undefined;
}

/** PEM blocks, JWT-shaped tokens and long hex/base64 runs never leave in a notification or audit entry. */
export function redact(text: string): string {
  return text
    .replace(
      /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
      '[redacted private key]',
    )
    .replace(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*/g, '[redacted token]')
    .replace(/\b[0-9a-fA-F]{32,}\b/g, '[redacted]')
    .replace(/[A-Za-z0-9+/]{40,}={0,2}/g, '[redacted]');
}

/** `s` cut to `n` characters, the last one an ellipsis when cut. */
export const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

type CaughtError = { readonly Error?: string | undefined; readonly Cause?: string | undefined };

/** The error of the child execution a `States.TaskFailed` describes, if it describes one. */
function childError(e: CaughtError): CaughtError | undefined {
  if (e.Error !== 'States.TaskFailed' || !e.Cause?.startsWith('{')) return undefined;
  let described: Record<string, unknown>;
  try {
    described = JSON.parse(e.Cause) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const inner = described.error ?? described.Error;
  const cause = described.cause ?? described.Cause;
  return typeof inner === 'string'
    ? { Error: inner, Cause: typeof cause === 'string' ? cause : undefined }
    : undefined;
}

/**
 * The error that actually ended a phase. A `.sync` child that fails reaches its parent as `States.TaskFailed`
 * whose Cause is the child's DescribeExecution output; the child's own error (e.g. `NodeNotReady`) is what
 * the operator needs, and it may itself wrap a grandchild's (bounded depth). Anything else is returned as is.
 */
export function innermostError(error: CaughtError): CaughtError {
  let e = error;
  for (let depth = 0; depth < 5; depth++) {
    const inner = childError(e);
    if (!inner) return e;
    e = inner;
  }
  return e;
}

/** The audit item, the SNS subject and body, and the metric name for one outcome at `now` (epoch ms). */
export function renderOutcome(o: WorkflowOutcome, now: number) {
  const at = new Date(now).toISOString();
  const executionName = o.execution.split(':').pop() ?? o.execution;
  const caught = o.error ? innermostError(o.error) : undefined;
  const error = caught?.Error
    ? `${caught.Error}${caught.Cause ? `: ${redact(clip(caught.Cause, 500))}` : ''}`
    : undefined;
  const audit = {
    ...auditKey(o.cluster, at, executionName),
    workflow: o.workflow,
    execution: o.execution,
    region: o.region,
    subject: o.subject,
    outcome: o.outcome,
    summary: redact(o.summary),
    ...(error ? { error } : {}),
    ...(o.incident !== undefined ? { incident: o.incident } : {}),
    ...(o.details ?? {}),
    ttl: auditExpiry(now),
  };
  const notify = o.notify ?? !QUIET.includes(o.outcome);
  // SNS: a subject is "less than 100 characters long" (Publish; a 100-character one is InvalidParameter).
  const subject = clip(`[${o.cluster}/${o.region}] ${o.workflow} ${o.outcome}: ${o.subject}`, 99);
  const message = [
    `${o.workflow} ${o.outcome} for ${o.subject} in ${o.region} (cluster ${o.cluster}) at ${at}.`,
    redact(o.summary),
    ...(error ? [`Error: ${error}`] : []),
    `Execution: ${o.execution}`,
  ].join('\n');
  const metric = `${o.workflow.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase())}${o.outcome.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase())}`;
  return { audit, notify, subject, message, metric };
}
