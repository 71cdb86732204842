/**
 * When a node's certificate is renewed, and in which order nodes are rotated: pure, so the census, the
 * rotation's plan and the dry run agree. Renewal at `renewalFraction` of the lifetime (cert-manager's default
 * is 2/3); a renewal window (UTC days and hours) keeps planned restarts out of business hours, and a
 * certificate with fewer than `nearExpiryDays` left renews outside it and says so (cert-manager#6754, #9146).
 * (The contract of issue 13, §5; engineer D owns this module.)
 */

const DAY_MS = 86_400_000;
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type WeekDay = (typeof DAYS)[number];

export interface RenewalWindow {
  readonly days: readonly WeekDay[];
  readonly startHour: number;
  /** Exclusive; 24 = midnight. */
  readonly endHour: number;
}

export interface CertTimes {
  readonly notBefore: string;
  readonly notAfter: string;
}

export interface NodeCertState {
  readonly instanceId: string;
  readonly role: 'primary' | 'member';
  readonly cert?: CertTimes & { readonly fingerprint: string };
  /** The fingerprint the node was seen serving. */
  readonly served?: string;
}

export type RenewReason = 'due' | 'expired' | 'near-expiry' | 'mismatch' | 'missing' | 'requested';

export interface RenewalPlan {
  readonly renew: { instanceId: string; reason: RenewReason; outsideWindow: boolean }[];
  readonly deferred: { instanceId: string; reason: RenewReason; until: string }[];
}

/** Whole and fractional days from `now` to `notAfter` (negative once expired). */
export function daysLeft(notAfter: string, now: Date): number {
  return (Date.parse(notAfter) - now.getTime()) / DAY_MS;
}

/** Past `renewalFraction` of the certificate's lifetime. */
export function renewalDue(cert: CertTimes, renewalFraction: number, now: Date): boolean {
  const from = Date.parse(cert.notBefore);
  const to = Date.parse(cert.notAfter);
  return now.getTime() >= from + (to - from) * renewalFraction;
}

/** Inside the renewal window (no window: always). */
export function inWindow(window: RenewalWindow | undefined, now: Date): boolean {
  if (window === undefined) return true;
  const day = DAYS[now.getUTCDay()] as WeekDay;
  const hour = now.getUTCHours();
  return window.days.includes(day) && hour >= window.startHour && hour < window.endHour;
}

/** The next time the window opens (now when inside it or when there is none). */
export function nextWindowOpen(window: RenewalWindow | undefined, now: Date): Date {
  if (inWindow(window, now) || window === undefined) return now;
  const hourStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), now.getUTCHours());
  for (let h = 1; h <= 8 * 24; h++) {
    const t = new Date(hourStart + h * 3_600_000);
    if (inWindow(window, t)) return t;
  }
  throw new Error('the renewal window never opens');
}

/**
 * Which nodes to renew now and which wait for the window. A manual run renews what it asks for (or what is
 * due) regardless of the window; an automatic one defers a due certificate outside the window unless it is
 * expired, near expiry, missing or not the one served.
 */
export function renewalPlan(input: {
  readonly nodes: readonly NodeCertState[];
  readonly window?: RenewalWindow;
  readonly renewalFraction: number;
  readonly nearExpiryDays: number;
  readonly now: Date;
  readonly requested?: readonly string[];
  readonly manual: boolean;
}): RenewalPlan {
  const { now } = input;
  const open = inWindow(input.window, now);
  const out: RenewalPlan = { renew: [], deferred: [] };
  for (const node of input.nodes) {
    const reason = reasonFor(node, input);
    if (reason === undefined) continue;
    const urgent = reason !== 'due' && reason !== 'requested';
    if (open || input.manual || urgent) {
      out.renew.push({ instanceId: node.instanceId, reason, outsideWindow: !open });
    } else {
      out.deferred.push({
        instanceId: node.instanceId,
        reason,
        until: nextWindowOpen(input.window, now).toISOString(),
      });
    }
  }
  return out;
}

function reasonFor(
  node: NodeCertState,
  input: { renewalFraction: number; nearExpiryDays: number; now: Date; requested?: readonly string[] },
): RenewReason | undefined {
  if (input.requested !== undefined && input.requested.length > 0) {
    return input.requested.includes(node.instanceId) ? 'requested' : undefined;
  }
  if (node.cert === undefined) return 'missing';
  const left = daysLeft(node.cert.notAfter, input.now);
  if (left <= 0) return 'expired';
  if (node.served !== undefined && node.served !== node.cert.fingerprint) return 'mismatch';
  if (left < input.nearExpiryDays) return 'near-expiry';
  if (renewalDue(node.cert, input.renewalFraction, input.now)) return 'due';
  return undefined;
}

/** The rollout order: by instance id; in legacy mode the primary last. Deterministic. */
export function rolloutOrder<T extends { instanceId: string; role: 'primary' | 'member' }>(
  nodes: readonly T[],
  mode: 'legacy-primary' | 'cloud-native',
): T[] {
  const sorted = [...nodes].sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  if (mode !== 'legacy-primary') return sorted;
  return [...sorted.filter((n) => n.role !== 'primary'), ...sorted.filter((n) => n.role === 'primary')];
}

/** Rounds of `maxUnavailable` nodes, each taking `perNodeSeconds`. */
export function expectedRotationSeconds(n: number, maxUnavailable: number, perNodeSeconds: number): number {
  if (n <= 0) return 0;
  return Math.ceil(n / Math.max(1, maxUnavailable)) * perNodeSeconds;
}
