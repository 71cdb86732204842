import fc from 'fast-check';
import {
  capacityCheck,
  certificateCheck,
  parseReplicationOutput,
  primaryCheck,
  recordedChecks,
  replicationCheck,
} from '../../../functions/core/regional-readiness';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const MIN = 60_000;
const arbRepo = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/);

describe('replication', () => {
  it('passes exactly when every configured repository completed within the lag, and reports the worst', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(arbRepo, { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 1, max: 120 }),
        (repos, lags, max) => {
          const output = repos
            .map((repo, i) =>
              JSON.stringify({
                repo,
                status: 'ok',
                lastCompleted: new Date(NOW - (lags[i] as number) * MIN).toISOString(),
              }),
            )
            .join('\n');
          const r = replicationCheck(repos, { output }, max, NOW);
          const worst = Math.max(...repos.map((_, i) => lags[i] as number));
          expect(r.check.ok).toBe(worst <= max);
          expect(r.lagMinutes).toBe(worst <= max ? worst : undefined);
        },
      ),
    );
  });

  it('fails a missing, erroring, never-run or failed repository, naming it', () => {
    const ok = (repo: string) =>
      JSON.stringify({ repo, status: 'ok', lastCompleted: new Date(NOW).toISOString() });
    const out = [
      ok('a'),
      JSON.stringify({ repo: 'b', error: 'http 404' }),
      JSON.stringify({ repo: 'c', status: 'never_run', lastCompleted: null }),
      JSON.stringify({ repo: 'd', status: 'error', lastCompleted: new Date(NOW).toISOString() }),
      JSON.stringify({ repo: 'e', status: 'ok', lastCompleted: null }),
    ].join('\n');
    const r = replicationCheck(['a', 'b', 'c', 'd', 'e', 'f'], { output: out }, 60, NOW);
    expect(r.check).toEqual({
      name: 'replication',
      ok: false,
      detail: 'b: http 404; c: status never_run; d: status error; e: never completed; f: not reported',
    });
  });

  it('skips without repositories, and fails when not read or unreadable', () => {
    expect(replicationCheck([], undefined, 60, NOW).check).toEqual({
      name: 'replication',
      ok: true,
      detail: 'skipped: no repositories',
    });
    expect(replicationCheck(['a'], undefined, 60, NOW).check.ok).toBe(false);
    expect(replicationCheck(['a'], { error: 'timed out' }, 60, NOW).check.detail).toContain('timed out');
    expect(replicationCheck(['a'], { output: 'token=secret\n' }, 60, NOW).check).toEqual({
      name: 'replication',
      ok: false,
      detail: 'replication output line 1 is not JSON',
    });
  });

  it('parses one object per line and refuses malformed ones without quoting them', () => {
    expect(parseReplicationOutput('\n{"repo":"a","status":"ok","lastCompleted":null}\n\n')).toEqual([
      { repo: 'a', status: 'ok', lastCompleted: null },
    ]);
    for (const bad of [
      '[1]',
      '{"repo":""}',
      '{"repo":"a","status":3}',
      '{"repo":"a","lastCompleted":5}',
      '{"repo":"a","error":{}}',
      'null',
    ])
      expect(() => parseReplicationOutput(bad)).toThrow(/line 1/);
  });
});

describe('certificates, capacity, primary', () => {
  it('certificates pass exactly when the earliest is valid for minDays', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -10, max: 400 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 30 }),
        (days, min) => {
          const r = certificateCheck(
            days.map((d) => new Date(NOW + d * 86_400_000).toISOString()),
            min,
            NOW,
          );
          expect(r.daysLeft).toBe(Math.min(...days));
          expect(r.check.ok).toBe(Math.min(...days) >= min);
        },
      ),
    );
    expect(certificateCheck(['nonsense'], 1, NOW).check).toMatchObject({ ok: false });
  });

  it('capacity needs share x what the other served, rounded up; with nothing to compare, one node', () => {
    fc.assert(
      fc.property(
        fc.nat(20),
        fc.nat(20),
        fc.double({ min: 0.1, max: 3, noNaN: true }),
        (healthy, needed, share) => {
          const c = capacityCheck(healthy, needed, share);
          if (needed === 0) expect(c.ok).toBe(healthy >= 1);
          else expect(c.ok).toBe(healthy >= Math.ceil(share * needed - 1e-9));
          // More healthy nodes never turn a pass into a failure.
          if (c.ok) expect(capacityCheck(healthy + 1, needed, share).ok).toBe(true);
        },
      ),
    );
    expect(capacityCheck(2, undefined, 1).ok).toBe(true);
  });

  it('primary: legacy needs a healthy primary, cloud-native minTaskNodes healthy nodes', () => {
    expect(primaryCheck('legacy-primary', { primaryHealthy: false, healthyNodes: 5 }, 2).ok).toBe(false);
    expect(primaryCheck('legacy-primary', { primaryHealthy: true, healthyNodes: 1 }, 2).ok).toBe(true);
    expect(primaryCheck('cloud-native', { primaryHealthy: false, healthyNodes: 2 }, 2).ok).toBe(true);
    expect(primaryCheck('cloud-native', { primaryHealthy: true, healthyNodes: 1 }, 2).ok).toBe(false);
  });
});

describe('recordedChecks', () => {
  const record = (minutesAgo: number) => ({
    at: new Date(NOW - minutesAgo * MIN).toISOString(),
    ready: true,
    servingNodes: 2,
    checks: [{ name: 'certificates', ok: true, detail: '80 days' }],
  });

  it('is stale beyond 2 x the evaluation period, fresh within it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 5, max: 200 }), (ago, period) => {
        const [c] = recordedChecks('r', record(ago), ['certificates'], period, NOW);
        expect(c?.ok).toBe(ago <= 2 * period);
        if (ago > 2 * period) expect(c?.detail).toContain('stale');
      }),
    );
  });

  it('fails a check missing from the record, and every check without a record', () => {
    expect(recordedChecks('r', record(1), ['replication'], 60, NOW)[0]?.detail).toBe(
      'not in the last readiness evaluation',
    );
    expect(recordedChecks('r', undefined, ['a', 'b'], 60, NOW).map((c) => c.ok)).toEqual([false, false]);
  });
});
