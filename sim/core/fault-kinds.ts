/**
 * The kinds of fault the twin injects (sim/core/faults.ts), and the checks a fault's options pass before
 * anything is recorded.
 */
import type { ServiceName } from './contracts';

/**
 * Who makes a call, where the twin can tell: `workflow` for a Step Functions optimized integration (the
 * `dynamodb:` Tasks), `handler` for a Lambda handler's SDK client. A fault limited to one caller lets a scene
 * aim at the workflows' Retry blocks or at the SDK's own retries.
 */
export type Caller = 'workflow' | 'handler';

export interface ApiFault {
  readonly service: ServiceName;
  readonly action: string | '*';
  readonly region: string | '*';
  readonly caller: Caller | '*';
  /** The resource the fault is aimed at ('*': any call; else only calls that name it, see beforeResourceCall). */
  readonly resource: string | '*';
  /** Remaining calls it applies to (Infinity for a fraction-based fault). */
  remaining: number;
  /** Probability per matching call (1 = every call while `remaining` lasts). */
  readonly fraction: number;
  readonly make: (service: ServiceName, action: string) => Error;
}

export interface Counted<T> {
  readonly match: T;
  remaining: number;
}

/**
 * How an injected SSM fault ends a command invocation: `Failed` (the script exits non-zero), `TimedOut` (it
 * runs past the document's execution timeout: TimedOut / ExecutionTimedOut), or `Hang` (the agent took the
 * command but the node never answers: InProgress until the command expires, then DeliveryTimedOut).
 */
export type SsmFaultOutcome = 'Failed' | 'TimedOut' | 'Hang';

/**
 * How an injected fault fails a Lambda invocation: `throttle` (Lambda.TooManyRequestsException, 429),
 * `service-error` (Lambda.ServiceException, 500), `timeout` (the invocation hangs until the function's timeout:
 * Sandbox.Timedout), `function-error` (the function fails at once with an unhandled `Error`, as a handler that
 * throws on its first line or a broken deployment does: a function error, counted in `Errors`, retried by
 * Lambda's asynchronous queue; the handler does not run, so nothing it would change changes).
 */
export type LambdaFaultMode = 'throttle' | 'service-error' | 'timeout' | 'function-error';
export const LAMBDA_FAULT_MODES: readonly LambdaFaultMode[] = [
  'throttle',
  'service-error',
  'timeout',
  'function-error',
];

/**
 * How an injected fault bends the ALB's health check of a target against the node's own state: `fail` (the
 * check never reaches the node, e.g. a security group or listener fault: Target.Timeout while the node is
 * ready) or `pass` (the health path answers 200 as soon as the router listens, before Artifactory is ready).
 */
export type AlbHealthFault = 'fail' | 'pass';

/**
 * Certificate faults on one node (sim/services/tls.ts consults them): `csr-wrong-ip` (MakeCsr puts another IP
 * in the CSR: a node whose idea of its own address is wrong), `cert-start-fails` (Artifactory fails to start
 * with a certificate other than the one it served before: a bad key, a chain the router rejects),
 * `served-cert-stale` (a start keeps serving the certificate served before: the router did not pick up the
 * new files).
 */
export type CertificateFaultKind = 'csr-wrong-ip' | 'cert-start-fails' | 'served-cert-stale';
export const CERTIFICATE_FAULT_KINDS: readonly CertificateFaultKind[] = [
  'csr-wrong-ip',
  'cert-start-fails',
  'served-cert-stale',
];

/** The IP a `csr-wrong-ip` CSR names unless told: TEST-NET-1 (RFC 5737), never a node's. */
export const DEFAULT_WRONG_IP = '192.0.2.10';

/** A fault's count and fraction, checked before anything is recorded: a bad one changes nothing. */
export function checkAmount(opts: { times?: number | undefined; fraction?: number | undefined }): void {
  if (opts.times !== undefined && !(Number.isInteger(opts.times) && opts.times > 0))
    throw new Error(`a fault's times must be a positive integer (got ${opts.times})`);
  if (opts.fraction !== undefined && !(opts.fraction > 0 && opts.fraction <= 1))
    throw new Error(`a fault's fraction must be in (0, 1] (got ${opts.fraction})`);
}

/** A region name as AWS spells them: a regional fault on a misspelt region would silently never bite. */
export function checkRegion(region: string): void {
  if (typeof region !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region))
    throw new Error(`not a region name: ${String(region)}`);
}

/** How a fault's amount reads on the timeline. */
export function describe(opts: { times?: number; fraction?: number; region?: string }): string {
  const parts = [];
  if (opts.times !== undefined) parts.push(`${opts.times} call(s)`);
  if (opts.fraction !== undefined) parts.push(`${Math.round(opts.fraction * 100)}% of calls`);
  parts.push(opts.region ? `in ${opts.region}` : 'in every region');
  return parts.join(', ');
}
