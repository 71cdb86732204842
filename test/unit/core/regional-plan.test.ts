import fc from 'fast-check';
import {
  expectedTimes,
  FORCEABLE_CHECKS,
  flipWaitCheck,
  gateAfterFlip,
  gateCheck,
  hysteresisCheck,
  minServingCheck,
  stillDegradedCheck,
  verdictOf,
} from '../../../functions/core/regional-plan';
import type { Check } from '../../../functions/core/regional-readiness';
import {
  type CopyState,
  copiesSettled,
  latestRecord,
  type RegionObservation,
  servingAfter,
  servingCount,
  servingMap,
  switchOn,
} from '../../../functions/core/regional-serving';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const REGIONS = ['r0', 'r1', 'r2', 'r3'];
const arbCopy = fc.constantFrom<CopyState>('OK', 'ALARM', 'INSUFFICIENT_DATA', 'unreachable');
const arbObservations = fc.integer({ min: 1, max: 4 }).chain((n) =>
  fc.tuple(
    ...REGIONS.slice(0, n).map((region) =>
      fc.record({
        region: fc.constant(region),
        copies: fc
          .array(arbCopy, { minLength: n, maxLength: n })
          .map((states) => states.map((state, i) => ({ region: REGIONS[i] as string, state }))),
        recorded: fc.option(fc.boolean(), { nil: undefined }),
        healthyTargets: fc.option(fc.nat(4), { nil: undefined }),
      }),
    ),
  ),
);

describe('serving', () => {
  it('a region serves only with its switch on in every known copy and a healthy target', () => {
    fc.assert(
      fc.property(arbObservations, (obs: RegionObservation[]) => {
        const map = servingMap(obs);
        for (const o of obs) {
          const anyAlarm = o.copies.some((c) => c.state === 'ALARM');
          // A recorded off counts whatever the copies say (they lag a flip by up to one alarm period).
          expect(switchOn(o)).toBe(!anyAlarm && o.recorded !== false);
          expect(map[o.region] === 'serving').toBe(switchOn(o) && (o.healthyTargets ?? 0) >= 1);
        }
        expect(servingCount(map)).toBeLessThanOrEqual(obs.length);
      }),
    );
  });

  it('an evacuation never counts the region; a restore never lowers the count', () => {
    fc.assert(
      fc.property(arbObservations, fc.nat(3), fc.boolean(), (obs, i, healthy) => {
        const map = servingMap(obs);
        const region = (obs[i % obs.length] as RegionObservation).region;
        const ev = servingAfter(map, 'evacuate', region, healthy);
        const others = obs.filter((o) => o.region !== region && map[o.region] === 'serving').length;
        expect(ev).toBe(others);
        expect(servingAfter(map, 'restore', region, healthy)).toBe(others + (healthy ? 1 : 0));
      }),
    );
  });

  it('settles an evacuation on any ALARM copy, a restore only when every copy is known and none in ALARM', () => {
    fc.assert(
      fc.property(fc.array(arbCopy, { maxLength: 4 }), (states) => {
        const copies = states.map((state) => ({ state }));
        expect(copiesSettled(copies, false)).toBe(states.includes('ALARM'));
        expect(copiesSettled(copies, true)).toBe(
          states.length > 0 && states.every((s) => s === 'OK' || s === 'INSUFFICIENT_DATA'),
        );
      }),
    );
  });

  it('takes the record with the highest epoch, the latest change on a tie', () => {
    expect(
      latestRecord([
        { epoch: 2, changedAt: '2026-01-02' },
        undefined,
        { epoch: 3, changedAt: '2026-01-01' },
        { epoch: 3, changedAt: '2026-01-03' },
      ]),
    ).toEqual({ epoch: 3, changedAt: '2026-01-03' });
    expect(latestRecord([undefined])).toBeUndefined();
  });
});

const arbCheck = fc.record({
  name: fc.constantFrom(
    'min-serving-regions',
    'flip-wait',
    'gate',
    'hysteresis',
    'capacity',
    'primary',
    'certificates',
    'replication',
  ),
  ok: fc.boolean(),
  detail: fc.constant('d'),
});

describe('verdictOf', () => {
  const PENDABLE = ['hysteresis', 'flip-wait'] as const;
  it('refuses what neither force nor time passes; waits only when allowed; force is a break-glass over readiness', () => {
    fc.assert(
      fc.property(
        fc.array(arbCheck, { maxLength: 8 }),
        fc.boolean(),
        fc.boolean(),
        fc.dictionary(fc.constantFrom(...PENDABLE), fc.integer({ min: NOW, max: NOW + 3_600_000 })),
        fc.boolean(),
        (checks: Check[], force, alreadyDone, until, canWait) => {
          const pending = new Map(Object.entries(until));
          const v = verdictOf({ checks, force, alreadyDone, pending, canWait });
          if (alreadyDone) return expect(v.verdict).toBe('nothing-to-do');
          const failed = checks.filter((c) => !c.ok);
          const forced = (c: Check) => force && FORCEABLE_CHECKS.has(c.name);
          const waits = (c: Check) => canWait && pending.has(c.name);
          const hard = failed.filter((c) => !forced(c) && !waits(c));
          expect(v.verdict === 'refused').toBe(hard.length > 0);
          if (v.verdict === 'wait') {
            const waiting = failed.filter(waits);
            expect(waiting.length).toBeGreaterThan(0);
            expect(v.waitUntil).toBe(Math.max(...waiting.map((c) => pending.get(c.name) as number)));
          } else expect(v.waitUntil).toBeUndefined();
          if (v.verdict === 'go') {
            for (const c of failed) expect(forced(c)).toBe(true);
            expect(v.breakGlass).toBe(failed.length > 0);
          } else expect(v.breakGlass).toBe(false);
          if (failed.some((c) => c.name === 'min-serving-regions' || c.name === 'gate'))
            expect(v.verdict).toBe('refused');
          if (failed.length === 0) expect(v.verdict).toBe('go');
        },
      ),
    );
  });

  it('never plans an evacuation below minServingRegions (the safety rule end to end)', () => {
    fc.assert(
      fc.property(
        arbObservations,
        fc.nat(3),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        (obs, i, min, force) => {
          const map = servingMap(obs);
          const region = (obs[i % obs.length] as RegionObservation).region;
          const after = servingAfter(map, 'evacuate', region, true);
          const v = verdictOf({
            checks: [minServingCheck(after, min, 'evacuate')],
            force,
            alreadyDone: false,
          });
          if (v.verdict === 'go') expect(after).toBeGreaterThanOrEqual(min);
          else expect(after).toBeLessThan(min);
        },
      ),
    );
  });
});

describe('flip wait, gate, hysteresis', () => {
  it('the wait between flips passes exactly waitMinutes after the last change', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 7_200_000 }), (wait, ago) => {
        const r = flipWaitCheck(new Date(NOW - ago).toISOString(), wait, NOW);
        expect(r.check.ok).toBe(ago >= wait * 60_000);
        if (!r.check.ok) expect(r.until).toBe(NOW - ago + wait * 60_000);
      }),
    );
    expect(flipWaitCheck(undefined, 10, NOW).check.ok).toBe(true);
  });

  it('the gate refuses when paused, within the cooldown, or past the budget, and counts per UTC day', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 0, max: 5 }),
        fc.option(fc.integer({ min: 0, max: 200 * 60_000 }), { nil: undefined }),
        fc.nat(6),
        (on, cooldown, budget, ago, count) => {
          const record = ago === undefined ? undefined : { lastAt: NOW - ago, day: '2026-06-01', count };
          const c = gateCheck(
            record,
            { automationEnabled: on, cooldownMinutes: cooldown, dailyBudget: budget },
            NOW,
          );
          const expected =
            on &&
            (ago === undefined || ago >= cooldown * 60_000) &&
            (record === undefined ? 0 : count) < budget;
          expect(c.ok).toBe(expected);
        },
      ),
    );
    expect(gateAfterFlip({ lastAt: 1, day: '2026-05-31', count: 4 }, NOW)).toEqual({
      lastAt: NOW,
      day: '2026-06-01',
      count: 1,
    });
    expect(gateAfterFlip({ day: '2026-06-01', count: 4 }, NOW).count).toBe(5);
    // A restore is counted but starts no cooldown, and the cooldown never holds a restore back.
    expect(gateAfterFlip({ lastAt: 7, day: '2026-06-01', count: 1 }, NOW, 'restore')).toEqual({
      lastAt: 7,
      day: '2026-06-01',
      count: 2,
    });
    expect(gateAfterFlip(undefined, NOW, 'restore')).toEqual({ day: '2026-06-01', count: 1 });
    const settings = { automationEnabled: true, cooldownMinutes: 60, dailyBudget: 5 };
    const recent = { lastAt: NOW - 60_000, day: '2026-06-01', count: 1 };
    expect(gateCheck(recent, settings, NOW, 'evacuate').ok).toBe(false);
    expect(gateCheck(recent, settings, NOW, 'restore').ok).toBe(true);
    expect(gateCheck(recent, { ...settings, automationEnabled: false }, NOW, 'restore').ok).toBe(false);
  });

  it('the hysteresis waits while OK for less than the window, refuses otherwise unless healthy long enough', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('OK' as const, 'ALARM' as const, 'INSUFFICIENT_DATA' as const),
        fc.integer({ min: 0, max: 7_200_000 }),
        fc.integer({ min: 0, max: 90 }),
        (state, ago, window) => {
          const h = hysteresisCheck({ state, since: NOW - ago }, window, NOW);
          if (state !== 'OK') return expect(h.refuse && !h.check.ok).toBe(true);
          expect(h.refuse).toBe(false);
          expect(h.check.ok).toBe(ago >= window * 60_000);
          if (!h.check.ok) expect(h.waitUntil).toBe(NOW - ago + window * 60_000);
        },
      ),
    );
    expect(hysteresisCheck(undefined, 30, NOW).refuse).toBe(true);
  });

  it('an automatic evacuation goes on while the region is degraded, without data or unreadable, not once OK', () => {
    expect(stillDegradedCheck({ state: 'ALARM', since: NOW }).ok).toBe(true);
    expect(stillDegradedCheck({ state: 'INSUFFICIENT_DATA', since: NOW }).ok).toBe(true);
    expect(stillDegradedCheck(undefined)).toMatchObject({
      ok: true,
      detail: expect.stringContaining('unreadable'),
    });
    expect(stillDegradedCheck({ state: 'OK', since: NOW }).ok).toBe(false);
  });
});

describe('expectedTimes', () => {
  it('floor = alarm evaluation (automatic) + 60 + interval x threshold + TTL; exclusion by driver', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('cloudwatch-switch' as const, 'route53-api' as const),
        fc.constantFrom(10, 30),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 60 }),
        fc.constantFrom('manual' as const, 'automatic' as const, 'drill' as const),
        (driver, interval, threshold, ttl, noHealthy, trigger) => {
          const t = expectedTimes(
            {
              driver,
              ttlSeconds: ttl,
              healthCheckIntervalSeconds: interval,
              healthCheckFailureThreshold: threshold,
              noHealthyMinutes: noHealthy,
            },
            trigger,
          );
          const alarm = trigger === 'automatic' ? noHealthy * 60 : 0;
          expect(t.floorSeconds).toBe(alarm + 60 + interval * threshold + ttl);
          expect(t.exclusionSeconds).toBe(
            (driver === 'cloudwatch-switch' ? 60 : 0) + interval * threshold + ttl,
          );
          expect(t.explanation).toContain(`${ttl}-s TTL`);
        },
      ),
    );
  });
});
