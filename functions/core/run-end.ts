/**
 * Every run ends reported (issue 15). Step Functions emits a status event when an execution ends; the report
 * Lambda receives those that ended FAILED, TIMED_OUT or ABORTED. A ROOT run (started by dispatch, a schedule or
 * an operator) is counted (`RunsEnded {Cluster, Region, Outcome}`) and, when it did not report itself (no
 * `reportedAt` on its `REPORTED#` marker), notified and audited. A CHILD run (started `.sync` by a parent that
 * catches it) is audited only: its parent reports the run. Which is which comes from `RUN_BOUNDS`
 * (infra/operations.ts `WORKFLOW_RUNS`); a state machine missing from it is treated as a root, so an unknown
 * run is over-reported rather than lost.
 *
 * The report's delivery does not depend on one call: the metric is counted first, then the audit write and the
 * publish are each attempted; only when nothing got through does the Lambda fail ({@link deliveryVerdict}).
 */
import * as z from 'zod/mini';
import { type AuditPut, auditExpiry } from './audit';
import { auditKey, reportedKey } from './keys';
import { clip, redact } from './report';

/** The statuses a run can end in that the operator must hear about (the run-status rule's filter). */
export const RUN_END_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;
export type RunEndStatus = (typeof RUN_END_STATUSES)[number];

/** The metric of ended root runs, dimensions `{ Cluster, Region, Outcome }` (infra/stacks/names.ts). */
export const RUNS_ENDED_METRIC = 'RunsEnded';

/** How long a `REPORTED#` marker is kept: longer than a status event can arrive late (DLQ replay, 14 days). */
export const MARKER_RETENTION_DAYS = 30;

/** One workflow's state machine in `RUN_BOUNDS`: root or child, and the longest a healthy run takes. */
export interface RunBound {
  readonly workflow: string;
  readonly arn: string;
  readonly root: boolean;
  readonly boundSeconds: number;
}

/** A state machine ARN; group 3 is its name. */
export const STATE_MACHINE_ARN =
  /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;
/** An execution ARN (Standard workflows); group 3 is its state machine's name, group 4 the execution's. */
export const EXECUTION_ARN =
  /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):execution:([A-Za-z0-9_-]{1,80}):([A-Za-z0-9_-]{1,80})$/;

const RunBoundsSchema = z.array(
  z.strictObject({
    workflow: z.string().check(z.minLength(1)),
    arn: z.string().check(z.regex(STATE_MACHINE_ARN, 'must be a state machine ARN')),
    root: z.boolean(),
    boundSeconds: z.int().check(z.gt(0)),
  }),
);

/**
 * `RUN_BOUNDS` (JSON `[{ workflow, arn, root, boundSeconds }]`) read strictly: anything else throws an error
 * naming what is wrong (the handler turns it into a ConfigurationError), so a misconfigured function fails on
 * its first event instead of misreporting runs.
 */
export function parseRunBounds(text: string): readonly RunBound[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error('RUN_BOUNDS is not JSON');
  }
  const parsed = z.safeParse(RunBoundsSchema, raw);
  if (!parsed.success) {
    // zod reports at least one issue for a failed parse.
    const [first] = parsed.error.issues as [z.core.$ZodIssue];
    throw new Error(`RUN_BOUNDS is invalid at [${first.path.join('.')}]: ${first.message}`);
  }
  const seen = new Set<string>();
  for (const b of parsed.data) {
    if (seen.has(b.arn)) throw new Error(`RUN_BOUNDS names ${b.arn} twice`);
    seen.add(b.arn);
  }
  return parsed.data;
}

/** What the report Lambda reads from a Step Functions status event (`detail`, plus the event's region). */
export interface RunStatusChange {
  readonly region: string;
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: string;
  /** Epoch ms. */
  readonly startDate: number;
  readonly stopDate?: number | null | undefined;
  readonly error?: string | null | undefined;
  readonly cause?: string | null | undefined;
}

export type RunEnd =
  | { readonly kind: 'ignored'; readonly reason: string }
  | {
      readonly kind: 'root' | 'child';
      readonly workflow: string;
      readonly status: RunEndStatus;
      /** False when the state machine is missing from RUN_BOUNDS (treated as a root). */
      readonly known: boolean;
    };

const isEndStatus = (s: string): s is RunEndStatus => (RUN_END_STATUSES as readonly string[]).includes(s);

/** Root, child, or nothing to do (a RUNNING or SUCCEEDED event: the twin and AWS emit every change). */
export function classifyRunEnd(change: RunStatusChange, bounds: readonly RunBound[]): RunEnd {
  if (!isEndStatus(change.status)) {
    return { kind: 'ignored', reason: `status ${change.status} is not a failed end` };
  }
  const bound = bounds.find((b) => b.arn === change.stateMachineArn);
  if (bound === undefined) {
    // Its name (the ARN's last part) stands for the workflow.
    const workflow = change.stateMachineArn.split(':').at(-1) as string;
    return { kind: 'root', workflow, status: change.status, known: false };
  }
  return {
    kind: bound.root ? 'root' : 'child',
    workflow: bound.workflow,
    status: change.status,
    known: true,
  };
}

/** An UpdateItem request without its table. */
export interface MarkerUpdate {
  readonly Key: { readonly pk: string; readonly sk: string };
  readonly UpdateExpression: string;
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ExpressionAttributeValues: Record<string, string | number>;
  readonly ReturnValues?: 'ALL_NEW';
}

const markerTtl = (now: number) => Math.floor(now / 1000) + MARKER_RETENTION_DAYS * 86_400;

/** The normal report path's mark: the run told the operator what it had to (`reportedAt`). */
export function selfReportMark(
  cluster: string,
  executionArn: string,
  workflow: string,
  outcome: string,
  now: number,
): MarkerUpdate {
  return {
    Key: reportedKey(cluster, executionArn),
    UpdateExpression: 'SET reportedAt = :now, workflow = :workflow, outcome = :outcome, #ttl = :ttl',
    ExpressionAttributeNames: { '#ttl': 'ttl' },
    ExpressionAttributeValues: {
      ':now': now,
      ':workflow': workflow,
      ':outcome': outcome,
      ':ttl': markerTtl(now),
    },
  };
}

/**
 * The status path's claim on a root run's end: only the first status event of an execution succeeds (a
 * duplicate fails the condition and changes nothing). ALL_NEW tells whether the run had reported itself.
 */
export function runEndClaim(
  cluster: string,
  change: Pick<RunStatusChange, 'executionArn'>,
  status: RunEndStatus,
  now: number,
): MarkerUpdate {
  return {
    Key: reportedKey(cluster, change.executionArn),
    UpdateExpression: 'SET endedStatus = :status, endedAt = :now, #ttl = if_not_exists(#ttl, :ttl)',
    ConditionExpression: 'attribute_not_exists(endedStatus)',
    ExpressionAttributeNames: { '#ttl': 'ttl' },
    ExpressionAttributeValues: { ':status': status, ':now': now, ':ttl': markerTtl(now) },
    ReturnValues: 'ALL_NEW',
  };
}

/** Give back the claim made at `claimedAt` (nothing was delivered), so the event's retry reports it. */
export function runEndRelease(cluster: string, executionArn: string, claimedAt: number): MarkerUpdate {
  return {
    Key: reportedKey(cluster, executionArn),
    UpdateExpression: 'REMOVE endedStatus, endedAt',
    ConditionExpression: 'endedAt = :at',
    ExpressionAttributeValues: { ':at': claimedAt },
  };
}

/** Whether the marker's attributes (after the claim) say the run reported itself. */
export function reportedItself(attributes: Readonly<Record<string, unknown>> | undefined): boolean {
  return typeof attributes?.reportedAt === 'number';
}

/** `Error: Cause`, the cause redacted and clipped; undefined when the event carries neither. */
export function runEndError(change: Pick<RunStatusChange, 'error' | 'cause'>): string | undefined {
  const error = change.error ?? undefined;
  const cause = change.cause ?? undefined;
  if (!error && !cause) return undefined;
  const text = `${error ?? 'no error name'}${cause ? `: ${redact(clip(cause, 500))}` : ''}`;
  return redact(text);
}

const ended = (end: Extract<RunEnd, { kind: 'root' | 'child' }>) =>
  end.kind === 'root' ? 'not-reported' : 'child-ended';

/**
 * The audit entry of a run's end seen from its status event: one per execution and status (a duplicate event
 * keeps the first entry). `notified` is set for a root run that did not report itself.
 */
export function runEndAudit(
  cluster: string,
  change: RunStatusChange,
  end: Extract<RunEnd, { kind: 'root' | 'child' }>,
  notified: boolean | undefined,
  now: number,
): AuditPut {
  const at = change.stopDate ?? now;
  const error = runEndError(change);
  const machine = change.stateMachineArn.split(':').at(-1) as string;
  return {
    Item: {
      ...auditKey(cluster, at, `${machine}:${change.name}#${end.status}`),
      trigger: 'run-status',
      workflow: end.workflow,
      execution: change.executionArn,
      region: change.region,
      status: end.status,
      root: end.kind === 'root',
      outcome: ended(end),
      startedAt: new Date(change.startDate).toISOString(),
      ...(error !== undefined ? { error } : {}),
      ...(notified !== undefined ? { notified } : {}),
      ttl: auditExpiry(now),
    },
    ConditionExpression: 'attribute_not_exists(sk)',
  };
}

const ADVICE: Record<RunEndStatus, string> = {
  TIMED_OUT:
    'The run outlived its TimeoutSeconds (a lost callback or a wait that never ended). Read its last states in the execution history; a lease it held expires by itself.',
  FAILED:
    'The run failed outside its own error handling (for example its Report step failed). Read the execution history, then rerun it if the work is still needed.',
  ABORTED:
    'Someone or something stopped the run (StopExecution). Check that this was intended; work it left half done is found by the next sweep.',
};

/** The notification of a root run that ended without reporting itself. */
export function runEndNotice(
  cluster: string,
  change: RunStatusChange,
  end: Extract<RunEnd, { kind: 'root' | 'child' }>,
  now: number,
) {
  const error = runEndError(change);
  const stop = change.stopDate ?? now;
  const minutes = Math.max(0, Math.round((stop - change.startDate) / 60_000));
  const subject = clip(
    `[${cluster}/${change.region}] ${end.workflow} run ${end.status}${error ? `: ${error}` : ''}`,
    // SNS: a subject is "less than 100 characters long".
    99,
  );
  const message = [
    `${end.workflow} run ${change.name} ended ${end.status} in ${change.region} (cluster ${cluster}) at ${new Date(stop).toISOString()}, after ${minutes} min, without reporting its outcome.`,
    ...(error ? [`Error: ${error}`] : []),
    ...(end.known ? [] : ['This state machine is not in RUN_BOUNDS: it was reported as a root run.']),
    ADVICE[end.status],
    `Execution: ${change.executionArn}`,
  ].join('\n');
  return { subject, message };
}

/** One channel of a report: attempted and succeeded, attempted and failed, or not needed. */
export type Attempt = 'ok' | 'failed' | 'skipped';

/**
 * Whether a report got through: `undelivered` (the Lambda throws, so its errors alarm fires and the caller
 * retries) only when neither the audit write nor the publish succeeded; `partial` when one of the attempted
 * channels failed; `delivered` otherwise. The metric, counted first, is not a channel here.
 */
export function deliveryVerdict(audit: Attempt, publish: Attempt): 'delivered' | 'partial' | 'undelivered' {
  if (audit !== 'ok' && publish !== 'ok') return 'undelivered';
  return audit === 'failed' || publish === 'failed' ? 'partial' : 'delivered';
}

/**
 * Whether the normal report path kept its promise, so a later failed end of the run need not be notified
 * again: the operator was told (when the outcome is notified), or the outcome was audited (when it is not).
 */
export function reportKept(notify: boolean, audit: Attempt, publish: Attempt): boolean {
  return notify ? publish === 'ok' : audit === 'ok';
}
