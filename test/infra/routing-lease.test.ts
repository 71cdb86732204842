// The routing lease (regional-failover) cannot run out under a running holder: its TTL outlasts what the
// holder does while it holds it. It is deliberately NOT sized to the parent's whole timeout, which includes an
// approval wait of up to a day taken before the lease: a holder whose region is lost (DescribeExecution
// unreachable = still running) would otherwise lock every other region out of routing for a day.
import { REGIONAL_FAILOVER, ROUTING_LEASE_TTL_SECONDS } from '../../infra/regional-failover';
import { definitionText } from '../../infra/workflow-definitions';

interface Retry {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
}
interface St {
  Type: string;
  Next?: string;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { Next: string }[];
  TimeoutSeconds?: number;
  Retry?: Retry[];
  Parameters?: { Payload?: Record<string, unknown>; Input?: Record<string, unknown> };
}
const machine = (name: string) =>
  JSON.parse(definitionText(name)) as { StartAt: string; TimeoutSeconds: number; States: Record<string, St> };
const parent = machine(REGIONAL_FAILOVER);
const child = machine('regional-failover-switch');
const MARGIN_SECONDS = 60;

/** The longest a Task can take with its retries (each attempt its timeout, each pause its capped backoff). */
function worstSeconds(s: St): number {
  const timeout = s.TimeoutSeconds ?? Number.POSITIVE_INFINITY;
  const attempts = Math.max(0, ...(s.Retry ?? []).map((r) => r.MaxAttempts ?? 3));
  const pause = Math.max(0, ...(s.Retry ?? []).map((r) => r.MaxDelaySeconds ?? 3600));
  return (1 + attempts) * timeout + attempts * pause;
}

const successors = (s: St): string[] => [
  ...(s.Next ? [s.Next] : []),
  ...(s.Default ? [s.Default] : []),
  ...(s.Choices ?? []).map((c) => c.Next),
  ...(s.Catch ?? []).map((c) => c.Next),
];

describe('the routing lease (regional-failover)', () => {
  const acquire = parent.States.AcquireRoutingLease;
  const extend = child.States.ExtendRoutingLease;

  it('the parent acquires it as itself with the TTL the spec names, and hands the same TTL to the switch child', () => {
    expect(acquire?.Parameters?.Payload).toMatchObject({
      op: 'acquire',
      'owner.$': '$$.Execution.Id',
      ttlSeconds: ROUTING_LEASE_TTL_SECONDS,
    });
    expect(parent.States.SwitchRegion?.Parameters?.Input).toMatchObject({
      'owner.$': '$$.Execution.Id',
      'epoch.$': '$.lease.epoch',
      ttlSeconds: ROUTING_LEASE_TTL_SECONDS,
    });
  });

  it('the switch child extends it before anything else (Fenced if it was lost)', () => {
    expect(child.StartAt).toBe('ExtendRoutingLease');
    expect(extend?.Parameters?.Payload).toMatchObject({ op: 'extend', 'ttlSeconds.$': '$.ttlSeconds' });
  });

  it('its TTL outlasts the switch child (after the extension) plus the release, with a margin', () => {
    const release = parent.States.ReleaseRoutingLease as St;
    expect(ROUTING_LEASE_TTL_SECONDS).toBeGreaterThanOrEqual(
      child.TimeoutSeconds + (release.TimeoutSeconds ?? Number.POSITIVE_INFINITY) + MARGIN_SECONDS,
    );
    // The parent's Task stops the child at its own timeout: no child outlives it.
    expect(parent.States.SwitchRegion?.TimeoutSeconds).toBeLessThanOrEqual(child.TimeoutSeconds + 60);
  });

  it('its TTL outlasts everything between the acquisition and the extension, retries included', () => {
    // AcquireRoutingLease → PlanUnderLease → LeasedVerdict → SwitchRegion (the child's first state extends).
    const between = worstSeconds(parent.States.PlanUnderLease as St) + worstSeconds(extend as St);
    expect(ROUTING_LEASE_TTL_SECONDS).toBeGreaterThanOrEqual(between + MARGIN_SECONDS);
  });

  it('is much shorter than the parent, whose timeout includes the approval wait (a lost holder region frees it in minutes)', () => {
    expect(parent.TimeoutSeconds).toBeGreaterThan(86_400);
    expect(ROUTING_LEASE_TTL_SECONDS).toBeLessThanOrEqual(1800);
  });

  it('every path from the acquisition reaches the one release, and nothing after the lease ends the run before it', () => {
    const releases = Object.entries(parent.States).filter(([, s]) => s.Parameters?.Payload?.op === 'release');
    expect(releases.map(([n]) => n)).toEqual(['ReleaseRoutingLease']);
    // Walk from the acquisition: every terminal state is reached only through the release or the report that
    // follows it, and the only way to skip the release is the ConcludeRun choice when no epoch was won.
    const seen = new Set<string>();
    const terminalsWithoutRelease: string[] = [];
    const walk = (name: string, released: boolean) => {
      const key = `${name}:${released}`;
      if (seen.has(key)) return;
      seen.add(key);
      const s = parent.States[name] as St;
      const after = released || name === 'ReleaseRoutingLease';
      const next = successors(s).filter(
        // Failing to acquire leaves no lease (NoQuorum releases what it won): that catch is the exception.
        (n) => !(name === 'AcquireRoutingLease' && n === 'LeaseNotTaken'),
      );
      if (next.length === 0 && !after) terminalsWithoutRelease.push(name);
      for (const n of next) {
        // ConcludeRun's default (no epoch) is not taken by a run that holds the lease.
        if (name === 'ConcludeRun' && n === 'ReportRun') continue;
        walk(n, after);
      }
    };
    walk('PlanUnderLease', false);
    expect(terminalsWithoutRelease).toEqual([]);
    expect(parent.States.ConcludeRun?.Choices?.[0]).toEqual({
      Variable: '$.lease.epoch',
      IsPresent: true,
      Next: 'ReleaseRoutingLease',
    });
  });
});
