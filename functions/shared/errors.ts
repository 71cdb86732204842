/**
 * Typed errors thrown by handlers and domain code.
 *
 * Step Functions matches `Retry`/`Catch` on the Lambda `errorType`, which the Node.js runtime takes from
 * `error.name`. Every class therefore pins `name` to a string literal (bundlers may rename classes), and the
 * ASL refers to the same strings through {@link ErrorNames}.
 */

/** The `name` of each typed error, for use in ASL `ErrorEquals` lists. */
export const ErrorNames = {
  Validation: 'ValidationError',
  Configuration: 'ConfigurationError',
  Conflict: 'ConflictError',
  NotFound: 'NotFoundError',
  Transient: 'TransientError',
  SafetyViolation: 'SafetyViolationError',
  LeaseHeld: 'LeaseHeld',
  CsrRefused: 'CsrRefused',
  CaPhaseRefused: 'CaPhaseRefused',
  RoutingLeaseBusy: 'RoutingLeaseBusy',
  NoQuorum: 'NoQuorum',
  Fenced: 'Fenced',
  SwitchUnreachable: 'SwitchUnreachable',
  ControlPlaneUnavailable: 'ControlPlaneUnavailable',
  /** Thrown by the regional-failover-switch workflow itself (a Fail state), never by a Lambda. */
  RuleBroken: 'RuleBroken',
  NotSettled: 'NotSettled',
  NotApproved: 'NotApproved',
} as const;

export type ErrorName = (typeof ErrorNames)[keyof typeof ErrorNames];

/** One problem found while validating input: a dotted field path and a message without the input value. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Input (an event or a task payload) does not match its schema. Never retried: the input will not change. */
export class ValidationError extends Error {
  override readonly name = ErrorNames.Validation;
  readonly issues: readonly ValidationIssue[];

  constructor(message: string, issues: readonly ValidationIssue[], options?: ErrorOptions) {
    super(message, options);
    this.issues = issues;
  }
}

/** Required configuration (usually an environment variable) is missing or empty. */
export class ConfigurationError extends Error {
  override readonly name = ErrorNames.Configuration;
}

/** A conditional write lost: someone else changed the item first (e.g. a lease or fencing token moved on). */
export class ConflictError extends Error {
  override readonly name = ErrorNames.Conflict;
}

/** A resource the operation needs does not exist (instance gone, record missing). */
export class NotFoundError extends Error {
  override readonly name = ErrorNames.NotFound;
}

/**
 * A lease acquired with `whenHeld: "fail"` is held by a running execution, where that means something went
 * wrong (cert-rotation-node: its parent's rotation lease held by another). A workflow that waits for a lease
 * acquires with the default `whenHeld: "return"` and branches on `acquired`: a wait is never a function error.
 */
export class LeaseHeld extends Error {
  override readonly name = ErrorNames.LeaseHeld;
  readonly holder: string | undefined;

  constructor(message: string, holder: string | undefined, options?: ErrorOptions) {
    super(message, options);
    this.holder = holder;
  }
}

/**
 * The signer refused a CSR (a check failed: the message names it and the values). Audited; nothing was issued.
 * Never retried: the same CSR fails the same check.
 */
export class CsrRefused extends Error {
  override readonly name = ErrorNames.CsrRefused;
  readonly check: string;

  constructor(check: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.check = check;
  }
}

/** A CA rotation phase asked out of order; the message names the current phase. */
export class CaPhaseRefused extends Error {
  override readonly name = ErrorNames.CaPhaseRefused;
  readonly current: string;

  constructor(current: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.current = current;
  }
}

/** The routing lease is held by a running execution (regional-failover): the run is busy elsewhere. */
export class RoutingLeaseBusy extends Error {
  override readonly name = ErrorNames.RoutingLeaseBusy;
  readonly holder: string | undefined;

  constructor(message: string, holder: string | undefined, options?: ErrorOptions) {
    super(message, options);
    this.holder = holder;
  }
}

/**
 * Fewer than a majority of the routing tables answered (or accepted): the routing lease cannot be held, or a
 * record cannot be made durable. What was won is given back first.
 */
export class NoQuorum extends Error {
  override readonly name = ErrorNames.NoQuorum;
}

/** A newer epoch holds the routing lease: this run was superseded and changed nothing. */
export class Fenced extends Error {
  override readonly name = ErrorNames.Fenced;
}

/** A region's switch could not be set in enough copies (evacuate: none outside it; restore: not all). */
export class SwitchUnreachable extends Error {
  override readonly name = ErrorNames.SwitchUnreachable;
}

/** Route 53's API (its control plane, in us-east-1) failed: the route53-api driver cannot flip. */
export class ControlPlaneUnavailable extends Error {
  override readonly name = ErrorNames.ControlPlaneUnavailable;
}

/** A failure expected to clear by itself (throttling, a node still starting); safe to retry with backoff. */
export class TransientError extends Error {
  override readonly name = ErrorNames.Transient;
}

export interface SafetyViolationOptions extends ErrorOptions {
  /** Identifier of the safety rule that refused the action, for logs and alarms. */
  rule?: string;
}

/** A safety rule refused an action (e.g. it would drop the cluster below quorum). Never retried blindly. */
export class SafetyViolationError extends Error {
  override readonly name = ErrorNames.SafetyViolation;
  readonly rule: string | undefined;

  constructor(message: string, options?: SafetyViolationOptions) {
    super(message, options);
    this.rule = options?.rule;
  }
}

/**
 * Throttling errors the SDK retries by name although it models them as client faults without `$retryable`,
 * DynamoDB's among them (Amazon DynamoDB Developer Guide, _Error handling with DynamoDB_: throttling is
 * retryable; the SDK's list is `THROTTLING_ERROR_CODES` in @smithy/service-error-classification).
 */
const THROTTLING_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'LimitExceededException',
  'TransactionInProgressException',
]);

/**
 * Whether retrying the failed operation may succeed: a {@link TransientError}, or an AWS SDK error the SDK
 * itself marks retryable (`$retryable`), names as throttling, or blames on the service (`$fault: 'server'`).
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof TransientError) return true;
  if (typeof err !== 'object' || err === null) return false;
  const sdk = err as { $retryable?: unknown; $fault?: unknown; name?: unknown };
  if (sdk.$retryable !== undefined || sdk.$fault === 'server') return true;
  return sdk.$fault !== undefined && typeof sdk.name === 'string' && THROTTLING_ERROR_NAMES.has(sdk.name);
}
