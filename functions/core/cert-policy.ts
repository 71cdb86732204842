/**
 * The renewal policy of cert-rotation (issue 13, item 5): which nodes a run renews, which it defers to the
 * renewal window, in what order, and how long it should take. Pure: the `certs` Lambda feeds it the node
 * records (`cert`, written after the served certificate was verified) and the fingerprints the peers saw.
 *
 * Decisions (docs/certificates.md, "The renewal policy"):
 * - a certificate is due at `renewalFraction` of its lifetime (cert-manager renews at 2/3);
 * - `expired` and `near-expiry` (fewer than `nearExpiryDays` left) renew even outside the window, and the
 *   plan says so (`outsideWindow: true`): the restart costs less than the outage of an expired certificate;
 * - `due`, `mismatch` (the served fingerprint differs from the record) and `missing` (no recorded
 *   certificate) are planned work: outside the window an automatic run defers them to the next window open;
 * - a manual run ignores the window (an operator who starts a run at 14:00 means it), and still reports
 *   `outsideWindow`;
 * - `requested` nodes (a run's `nodes`) restrict the run to them, and each renews whether due or not;
 * - what the census's probe saw: a served certificate past its notAfter is `expired`, one other than the
 *   record's is `mismatch`, one the peer could not verify is `untrusted`;
 * - a node out of service (InService, not a healthy target) renews only when its certificate is what breaks
 *   it (expired, mismatch, missing, untrusted), whatever the window: it serves no one, its restart costs no
 *   capacity, and without a renewal only Auto Scaling would ever replace it.
 */

export type WeekDay = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** config `certificates.renewalWindow`: days and hours in UTC; `endHour` exclusive, 24 = midnight. */
export interface RenewalWindow {
  readonly days: readonly WeekDay[];
  readonly startHour: number;
  readonly endHour: number;
}

export interface CertDates {
  readonly notBefore: string;
  readonly notAfter: string;
}

export interface NodeCertState {
  readonly instanceId: string;
  readonly role: 'primary' | 'member';
  readonly cert?: (CertDates & { readonly fingerprint: string }) | undefined;
  /** The fingerprint a peer saw served (ProbeServedCertificate), when probed. */
  readonly served?: string | undefined;
  /** The served certificate's notAfter, as the probe read it. */
  readonly servedNotAfter?: string | undefined;
  /** The peer could not verify the served certificate with its trusted CA files (openssl's reason). */
  readonly servedError?: string | undefined;
  /**
   * False when the node is InService but not a healthy target: it serves no one, so its renewal costs no
   * capacity and waits for no window; it renews only when its certificate is what breaks it (expired,
   * mismatch, missing, untrusted), as the probe saw it. Default true.
   */
  readonly inService?: boolean | undefined;
}

export type RenewReason =
  | 'due'
  | 'expired'
  | 'near-expiry'
  | 'mismatch'
  | 'missing'
  | 'untrusted'
  | 'requested';

export interface RenewalPlanInput {
  readonly nodes: readonly NodeCertState[];
  readonly window?: RenewalWindow | undefined;
  readonly renewalFraction: number;
  readonly nearExpiryDays: number;
  readonly now: Date;
  /** An operator's `nodes`: only these are considered, and each renews whether due or not. */
  readonly requested?: readonly string[] | undefined;
  /** A manual run ignores the window. */
  readonly manual: boolean;
}

export interface RenewalPlan {
  readonly renew: { instanceId: string; reason: RenewReason; outsideWindow: boolean }[];
  readonly deferred: { instanceId: string; reason: RenewReason; until: string }[];
  /** Whether `now` is inside the window (true when there is none). */
  readonly inWindow: boolean;
}

export type ClusterMode = 'legacy-primary' | 'cloud-native';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** `Date.getUTCDay()` order. */
const WEEK: readonly WeekDay[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
/** Reasons that renew outside the window: the node is broken, or about to be. */
const URGENT: ReadonlySet<RenewReason> = new Set(['expired', 'near-expiry']);
/** Reasons that say the certificate itself breaks the node: the only ones a node out of service renews for. */
const BROKEN: ReadonlySet<RenewReason> = new Set(['expired', 'mismatch', 'missing', 'untrusted']);

function time(iso: string, what: string): number {
  const t = Date.parse(iso);
  if (typeof iso !== 'string' || !Number.isFinite(t)) {
    throw new Error(`${what} is not an ISO time: ${JSON.stringify(iso)}`);
  }
  return t;
}

function instant(now: Date): number {
  const t = now instanceof Date ? now.getTime() : Number.NaN;
  if (!Number.isFinite(t)) throw new Error(`now is not a valid Date: ${String(now)}`);
  return t;
}

/** Throws a clear error when the window cannot be met (the config schema checks the same). */
export function checkWindow(window: RenewalWindow): void {
  const { days, startHour, endHour } = window;
  if (!Array.isArray(days) || days.length === 0) {
    throw new Error('renewalWindow.days must name at least one day');
  }
  const unknown = days.filter((d) => !WEEK.includes(d));
  if (unknown.length > 0) throw new Error(`renewalWindow.days holds unknown days: ${unknown.join(', ')}`);
  if (!Number.isInteger(startHour) || startHour < 0 || startHour > 23) {
    throw new Error(`renewalWindow.startHour must be an integer 0-23, got ${startHour}`);
  }
  if (!Number.isInteger(endHour) || endHour <= startHour || endHour > 24) {
    throw new Error(`renewalWindow.endHour must be an integer in ${startHour + 1}-24, got ${endHour}`);
  }
}

/** Days from `now` to `notAfter` (fractional; negative once expired). */
export function daysLeft(notAfter: string, now: Date): number {
  return (time(notAfter, 'notAfter') - instant(now)) / DAY_MS;
}

/** Whether `renewalFraction` of the certificate's lifetime has passed at `now`. */
export function renewalDue(cert: CertDates, renewalFraction: number, now: Date): boolean {
  if (!(renewalFraction > 0 && renewalFraction < 1)) {
    throw new Error(`renewalFraction must be in (0, 1), got ${renewalFraction}`);
  }
  const from = time(cert.notBefore, 'notBefore');
  const to = time(cert.notAfter, 'notAfter');
  if (to <= from) throw new Error(`notAfter (${cert.notAfter}) is not after notBefore (${cert.notBefore})`);
  return instant(now) >= from + renewalFraction * (to - from);
}

/** Whether `now` is inside the window; no window: always. */
export function inWindow(window: RenewalWindow | undefined, now: Date): boolean {
  const t = instant(now);
  if (window === undefined) return true;
  checkWindow(window);
  const d = new Date(t);
  const hour = d.getUTCHours();
  return (
    window.days.includes(WEEK[d.getUTCDay()] as WeekDay) && hour >= window.startHour && hour < window.endHour
  );
}

/**
 * The first moment at or after `now` inside the window: `now` itself when it is inside (or there is no
 * window), else the next start hour on a listed day (within 7 days, as every window names a day).
 */
export function nextWindowOpen(window: RenewalWindow | undefined, now: Date): Date {
  const t = instant(now);
  if (window === undefined || inWindow(window, now)) return new Date(t);
  const midnight = Math.floor(t / DAY_MS) * DAY_MS;
  for (let day = 0; day <= 7; day += 1) {
    const open = midnight + day * DAY_MS + window.startHour * HOUR_MS;
    const weekday = WEEK[new Date(open).getUTCDay()] as WeekDay;
    if (open > t && window.days.includes(weekday)) return new Date(open);
  }
  /* c8 ignore next */
  throw new Error('unreachable: a checked window opens within 8 days');
}

/** Why a node renews on its own (no operator request), or undefined when it does not. */
export function renewReason(
  node: NodeCertState,
  policy: { readonly renewalFraction: number; readonly nearExpiryDays: number },
  now: Date,
): Exclude<RenewReason, 'requested'> | undefined {
  if (node.cert === undefined) return 'missing';
  const left = daysLeft(node.cert.notAfter, now);
  if (left <= 0) return 'expired';
  if (node.servedNotAfter !== undefined && daysLeft(node.servedNotAfter, now) <= 0) return 'expired';
  if (left < policy.nearExpiryDays) return 'near-expiry';
  if (node.served !== undefined && node.served !== node.cert.fingerprint) return 'mismatch';
  if (node.servedError !== undefined) return 'untrusted';
  if (renewalDue(node.cert, policy.renewalFraction, now)) return 'due';
  return undefined;
}

function uniqueIds(ids: readonly string[], what: string): void {
  const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (twice.length > 0) throw new Error(`${what} lists ${[...new Set(twice)].join(', ')} more than once`);
}

/**
 * The run's plan: every node that renews (and why, and whether outside the window) and every node deferred
 * to the next window open. Nodes keep their input order; `rolloutOrder` orders the renewals.
 */
export function renewalPlan(input: RenewalPlanInput): RenewalPlan {
  const { nodes, window, requested, manual, now } = input;
  if (!(Number.isInteger(input.nearExpiryDays) && input.nearExpiryDays >= 1)) {
    throw new Error(`nearExpiryDays must be an integer >= 1, got ${input.nearExpiryDays}`);
  }
  uniqueIds(
    nodes.map((n) => n.instanceId),
    'nodes',
  );
  const known = new Set(nodes.map((n) => n.instanceId));
  if (requested !== undefined) {
    uniqueIds(requested, 'requested');
    const unknown = requested.filter((id) => !known.has(id));
    if (unknown.length > 0) throw new Error(`requested nodes are not in the cluster: ${unknown.join(', ')}`);
  }
  const open = inWindow(window, now);
  const until = open ? undefined : nextWindowOpen(window, now).toISOString();
  const renew: RenewalPlan['renew'] = [];
  const deferred: RenewalPlan['deferred'] = [];
  for (const node of nodes) {
    const asked = requested?.includes(node.instanceId) ?? false;
    if (requested !== undefined && requested.length > 0 && !asked) continue;
    const own = renewReason(node, input, now);
    if (node.inService === false) {
      // Out of service: renewed only for a certificate that breaks it, at once (it serves no one).
      if (own !== undefined && BROKEN.has(own)) {
        renew.push({ instanceId: node.instanceId, reason: own, outsideWindow: !open });
      }
      continue;
    }
    const reason: RenewReason | undefined = own ?? (asked ? 'requested' : undefined);
    if (reason === undefined) continue;
    if (until === undefined || manual || URGENT.has(reason)) {
      renew.push({ instanceId: node.instanceId, reason, outsideWindow: !open });
    } else {
      deferred.push({ instanceId: node.instanceId, reason, until });
    }
  }
  return { renew, deferred, inWindow: open };
}

/**
 * The order a rollout restarts nodes in: by instance id, and in legacy mode the primary last (its restart
 * is a gap in cluster tasks; every member renewed before it keeps the cluster serving if the run stops).
 */
export function rolloutOrder<T extends { readonly instanceId: string; readonly role: 'primary' | 'member' }>(
  nodes: readonly T[],
  mode: ClusterMode,
): T[] {
  uniqueIds(
    nodes.map((n) => n.instanceId),
    'nodes',
  );
  const rank = (n: T) => (mode === 'legacy-primary' && n.role === 'primary' ? 1 : 0);
  return [...nodes].sort(
    (a, b) => rank(a) - rank(b) || (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0),
  );
}

/** The expected duration of a rotation of `n` nodes: ceil(n / maxUnavailable) rounds of `perNodeSeconds`. */
export function expectedRotationSeconds(n: number, maxUnavailable: number, perNodeSeconds: number): number {
  if (!(Number.isInteger(n) && n >= 0)) throw new Error(`n must be an integer >= 0, got ${n}`);
  if (!(Number.isInteger(maxUnavailable) && maxUnavailable >= 1)) {
    throw new Error(`maxUnavailable must be an integer >= 1, got ${maxUnavailable}`);
  }
  if (!(Number.isFinite(perNodeSeconds) && perNodeSeconds >= 0)) {
    throw new Error(`perNodeSeconds must be a finite number >= 0, got ${perNodeSeconds}`);
  }
  return Math.ceil(n / maxUnavailable) * perNodeSeconds;
}

/**
 * The cluster's `CertificateDaysLeft`: the minimum days left over the node records that hold a certificate,
 * or undefined when none does. A node without a record is not counted: its days left are unknown, and
 * counting it as 0 would fire the expiry alarm for every node bootstrapped before certificates existed (the
 * census renews it as `missing` instead).
 */
export function minDaysLeft(
  records: readonly { readonly cert?: { readonly notAfter?: unknown } | undefined }[],
  now: Date,
): number | undefined {
  let min: number | undefined;
  for (const r of records) {
    const notAfter = r.cert?.notAfter;
    if (typeof notAfter !== 'string' || !Number.isFinite(Date.parse(notAfter))) continue;
    const left = daysLeft(notAfter, now);
    if (min === undefined || left < min) min = left;
  }
  return min;
}
