// Issue 13, item 5: the renewal policy (due, near expiry, window, order, duration).
import fc from 'fast-check';
import {
  checkWindow,
  daysLeft,
  expectedRotationSeconds,
  inWindow,
  minDaysLeft,
  type NodeCertState,
  nextWindowOpen,
  type RenewalWindow,
  renewalDue,
  renewalPlan,
  renewReason,
  rolloutOrder,
  type WeekDay,
} from '../../../functions/core/cert-policy';

const DAY = 86_400_000;
// Tuesday 2026-03-10 12:00 UTC.
const NOW = new Date(Date.UTC(2026, 2, 10, 12));
const iso = (t: number) => new Date(t).toISOString();
const cert = (issuedDaysAgo: number, lifetimeDays = 90, fingerprint = 'aa') => ({
  notBefore: iso(NOW.getTime() - issuedDaysAgo * DAY),
  notAfter: iso(NOW.getTime() + (lifetimeDays - issuedDaysAgo) * DAY),
  fingerprint,
});
const POLICY = { renewalFraction: 2 / 3, nearExpiryDays: 14 };
// Saturday and Sunday, 01:00-05:00 UTC.
const WEEKEND: RenewalWindow = { days: ['sat', 'sun'], startHour: 1, endHour: 5 };
const DAYS: WeekDay[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

const windowArb = fc
  .record({
    days: fc.uniqueArray(fc.constantFrom(...DAYS), { minLength: 1, maxLength: 7 }),
    startHour: fc.integer({ min: 0, max: 23 }),
    span: fc.integer({ min: 1, max: 24 }),
  })
  .map(({ days, startHour, span }) => ({ days, startHour, endHour: Math.min(24, startHour + span) }));
const nowArb = fc
  .integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2028, 0, 1) })
  .map((t) => new Date(Math.floor(t / 1000) * 1000));
const nodeArb = (id: string): fc.Arbitrary<NodeCertState> =>
  fc
    .record({
      instanceId: fc.constant(id),
      role: fc.constantFrom('primary' as const, 'member' as const),
      cert: fc.option(
        fc.record({
          issued: fc.integer({ min: -5, max: 120 }),
          fingerprint: fc.constantFrom('aa', 'bb'),
        }),
        { nil: undefined },
      ),
      served: fc.option(fc.constantFrom('aa', 'bb'), { nil: undefined }),
    })
    .map(({ instanceId, role, cert: c, served }) => ({
      instanceId,
      role,
      served,
      cert: c === undefined ? undefined : cert(c.issued, 90, c.fingerprint),
    }));
const IDS = ['i-0000000000000000a', 'i-0000000000000000b', 'i-0000000000000000c', 'i-0000000000000000d'];
const nodesArb = fc.subarray(IDS, { minLength: 0 }).chain((ids) => fc.tuple(...ids.map(nodeArb)));

describe('daysLeft and renewalDue', () => {
  it('counts fractional days, negative once expired', () => {
    expect(daysLeft(iso(NOW.getTime() + 1.5 * DAY), NOW)).toBe(1.5);
    expect(daysLeft(iso(NOW.getTime() - DAY), NOW)).toBe(-1);
  });
  it('is due exactly at the fraction of the lifetime', () => {
    expect(renewalDue(cert(59), 2 / 3, NOW)).toBe(false);
    expect(renewalDue(cert(60), 2 / 3, NOW)).toBe(true);
    expect(renewalDue(cert(61), 2 / 3, NOW)).toBe(true);
  });
  it('refuses bad input with a clear error', () => {
    expect(() => daysLeft('soon', NOW)).toThrow('notAfter is not an ISO time: "soon"');
    expect(() => daysLeft(iso(0), new Date(Number.NaN))).toThrow('now is not a valid Date');
    expect(() => renewalDue(cert(1), 1, NOW)).toThrow('renewalFraction must be in (0, 1), got 1');
    expect(() => renewalDue({ notBefore: iso(DAY), notAfter: iso(DAY) }, 0.5, NOW)).toThrow(
      'is not after notBefore',
    );
  });
  it('is monotonic: once due, due later too', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 120 }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        (d, f) => {
          const c = cert(0);
          const at = new Date(NOW.getTime() + d * DAY);
          if (renewalDue(c, f, at)) expect(renewalDue(c, f, new Date(at.getTime() + DAY))).toBe(true);
        },
      ),
    );
  });
});

describe('the window', () => {
  it('is UTC days and hours, endHour exclusive, 24 = midnight', () => {
    expect(inWindow(WEEKEND, new Date(Date.UTC(2026, 2, 14, 1)))).toBe(true); // Saturday 01:00
    expect(inWindow(WEEKEND, new Date(Date.UTC(2026, 2, 14, 4, 59)))).toBe(true);
    expect(inWindow(WEEKEND, new Date(Date.UTC(2026, 2, 14, 5)))).toBe(false);
    expect(inWindow(WEEKEND, NOW)).toBe(false); // Tuesday
    expect(inWindow(undefined, NOW)).toBe(true);
    const late: RenewalWindow = { days: ['tue'], startHour: 22, endHour: 24 };
    expect(inWindow(late, new Date(Date.UTC(2026, 2, 10, 23, 59)))).toBe(true);
    expect(inWindow(late, new Date(Date.UTC(2026, 2, 11, 0)))).toBe(false); // Wednesday 00:00
  });
  it('opens next on the first listed day at the start hour', () => {
    expect(nextWindowOpen(WEEKEND, NOW).toISOString()).toBe('2026-03-14T01:00:00.000Z');
    const today: RenewalWindow = { days: ['tue'], startHour: 18, endHour: 20 };
    expect(nextWindowOpen(today, NOW).toISOString()).toBe('2026-03-10T18:00:00.000Z');
    const past: RenewalWindow = { days: ['tue'], startHour: 2, endHour: 4 };
    expect(nextWindowOpen(past, NOW).toISOString()).toBe('2026-03-17T02:00:00.000Z');
    expect(nextWindowOpen(undefined, NOW)).toEqual(NOW);
  });
  it('refuses a window that can never be met', () => {
    expect(() => checkWindow({ days: [], startHour: 1, endHour: 2 })).toThrow('must name at least one day');
    expect(() => checkWindow({ days: ['mon', 'xyz' as WeekDay], startHour: 1, endHour: 2 })).toThrow(
      'unknown days: xyz',
    );
    expect(() => checkWindow({ days: ['mon'], startHour: 5, endHour: 5 })).toThrow(
      'endHour must be an integer in 6-24',
    );
    expect(() => checkWindow({ days: ['mon'], startHour: 24, endHour: 24 })).toThrow(
      'startHour must be an integer 0-23',
    );
    expect(() => inWindow({ days: ['mon'], startHour: 3, endHour: 25 }, NOW)).toThrow('endHour');
  });
  it('nextWindowOpen is in the window, not before now, and no in-window minute exists before it', () => {
    fc.assert(
      fc.property(windowArb, nowArb, (w, now) => {
        const open = nextWindowOpen(w, now);
        expect(inWindow(w, open)).toBe(true);
        expect(open.getTime()).toBeGreaterThanOrEqual(now.getTime());
        expect(open.getTime() - now.getTime()).toBeLessThanOrEqual(7 * DAY);
        // Whole minutes strictly between now and open (hours are the window's grain: check each hour's start
        // and its last minute).
        for (let t = Math.ceil(now.getTime() / 3_600_000) * 3_600_000; t < open.getTime(); t += 3_600_000) {
          expect(inWindow(w, new Date(t))).toBe(false);
          if (t - 60_000 > now.getTime()) expect(inWindow(w, new Date(t - 60_000))).toBe(false);
        }
      }),
    );
  });
});

describe('renewalPlan', () => {
  const [A, B, C, D] = IDS as [string, string, string, string];
  const nodes: NodeCertState[] = [
    { instanceId: A, role: 'primary', cert: cert(10) },
    { instanceId: B, role: 'member', cert: cert(65) },
    { instanceId: C, role: 'member', cert: cert(80) },
    { instanceId: D, role: 'member', cert: cert(91) },
  ];
  it('renews due, near-expiry and expired nodes inside the window', () => {
    const plan = renewalPlan({ nodes, ...POLICY, now: NOW, manual: false });
    expect(plan).toEqual({
      renew: [
        { instanceId: B, reason: 'due', outsideWindow: false },
        { instanceId: C, reason: 'near-expiry', outsideWindow: false },
        { instanceId: D, reason: 'expired', outsideWindow: false },
      ],
      deferred: [],
      inWindow: true,
    });
  });
  it('outside the window defers due nodes to the next open and renews near-expiry ones, saying so', () => {
    const plan = renewalPlan({ nodes, ...POLICY, window: WEEKEND, now: NOW, manual: false });
    expect(plan.renew).toEqual([
      { instanceId: C, reason: 'near-expiry', outsideWindow: true },
      { instanceId: D, reason: 'expired', outsideWindow: true },
    ]);
    expect(plan.deferred).toEqual([{ instanceId: B, reason: 'due', until: '2026-03-14T01:00:00.000Z' }]);
    expect(plan.inWindow).toBe(false);
  });
  it('finds mismatched and missing certificates; defers them outside the window', () => {
    const odd: NodeCertState[] = [
      { instanceId: A, role: 'member', cert: cert(10), served: 'bb' },
      { instanceId: B, role: 'member' },
      { instanceId: C, role: 'member', cert: cert(10), served: 'aa' },
    ];
    expect(renewalPlan({ nodes: odd, ...POLICY, now: NOW, manual: false }).renew).toEqual([
      { instanceId: A, reason: 'mismatch', outsideWindow: false },
      { instanceId: B, reason: 'missing', outsideWindow: false },
    ]);
    expect(renewalPlan({ nodes: odd, ...POLICY, window: WEEKEND, now: NOW, manual: false }).deferred).toEqual(
      [
        { instanceId: A, reason: 'mismatch', until: '2026-03-14T01:00:00.000Z' },
        { instanceId: B, reason: 'missing', until: '2026-03-14T01:00:00.000Z' },
      ],
    );
  });
  it('a manual run ignores the window; requested nodes restrict the run and renew regardless', () => {
    const plan = renewalPlan({
      nodes,
      ...POLICY,
      window: WEEKEND,
      now: NOW,
      manual: true,
      requested: [A, B],
    });
    expect(plan.renew).toEqual([
      { instanceId: A, reason: 'requested', outsideWindow: true },
      { instanceId: B, reason: 'due', outsideWindow: true },
    ]);
    expect(plan.deferred).toEqual([]);
  });
  it('refuses bad input with a clear error', () => {
    const base = { nodes, ...POLICY, now: NOW, manual: true };
    expect(() => renewalPlan({ ...base, requested: ['i-0000000000000000f'] })).toThrow(
      'requested nodes are not in the cluster: i-0000000000000000f',
    );
    expect(() => renewalPlan({ ...base, requested: [A, A] })).toThrow(`requested lists ${A} more than once`);
    expect(() => renewalPlan({ ...base, nodes: [...nodes, nodes[0] as NodeCertState] })).toThrow(
      `nodes lists ${A} more than once`,
    );
    expect(() => renewalPlan({ ...base, nearExpiryDays: 0 })).toThrow(
      'nearExpiryDays must be an integer >= 1',
    );
  });
  it('properties: near expiry and expiry are never deferred; no node both renewed and deferred', () => {
    fc.assert(
      fc.property(
        nodesArb,
        fc.option(windowArb, { nil: undefined }),
        nowArb,
        fc.boolean(),
        (ns, window, now, manual) => {
          const plan = renewalPlan({ nodes: ns, ...POLICY, window, now, manual });
          const renewed = plan.renew.map((r) => r.instanceId);
          const deferred = plan.deferred.map((r) => r.instanceId);
          expect(renewed.filter((id) => deferred.includes(id))).toEqual([]);
          for (const d of plan.deferred) {
            expect(['expired', 'near-expiry']).not.toContain(d.reason);
            expect(manual).toBe(false);
            expect(inWindow(window, new Date(d.until))).toBe(true);
          }
          for (const r of plan.renew) expect(r.outsideWindow).toBe(!inWindow(window, now));
          // Every node with a reason of its own is in exactly one list.
          for (const n of ns) {
            const own = renewReason(n, POLICY, now);
            expect(own === undefined ? 0 : 1).toBe(
              Number(renewed.includes(n.instanceId)) + Number(deferred.includes(n.instanceId)),
            );
          }
        },
      ),
    );
  });
});

describe('boundaries', () => {
  const node = (c: NodeCertState['cert']): NodeCertState => ({ instanceId: 'i-a', role: 'member', cert: c });
  it('expires at notAfter itself; near expiry is strictly under nearExpiryDays', () => {
    const at = (left: number) => ({
      notBefore: iso(NOW.getTime() - DAY),
      notAfter: iso(NOW.getTime() + left * DAY),
      fingerprint: 'aa',
    });
    expect(renewReason(node(at(0)), POLICY, NOW)).toBe('expired');
    expect(renewReason(node(at(14)), { renewalFraction: 0.99, nearExpiryDays: 14 }, NOW)).toBeUndefined();
    expect(renewReason(node(at(13.99)), { renewalFraction: 0.99, nearExpiryDays: 14 }, NOW)).toBe(
      'near-expiry',
    );
  });
  it('accepts the smallest settings and refuses just past them', () => {
    expect(() => renewalDue(cert(1), 0, NOW)).toThrow('renewalFraction must be in (0, 1), got 0');
    expect(renewalPlan({ nodes: [], ...POLICY, nearExpiryDays: 1, now: NOW, manual: false }).renew).toEqual(
      [],
    );
    expect(expectedRotationSeconds(2, 1, 0)).toBe(0);
    expect(() => expectedRotationSeconds(2, 1, -1)).toThrow(
      'perNodeSeconds must be a finite number >= 0, got -1',
    );
    expect(() => checkWindow({ days: ['mon'], startHour: -1, endHour: 2 })).toThrow(
      'startHour must be an integer 0-23, got -1',
    );
    expect(() => checkWindow({ days: ['mon'], startHour: 1.5, endHour: 2 })).toThrow(
      'startHour must be an integer 0-23, got 1.5',
    );
    expect(() => daysLeft(5 as unknown as string, NOW)).toThrow('notAfter is not an ISO time: 5');
    expect(() => renewalDue({ notBefore: 'x', notAfter: iso(0) }, 0.5, NOW)).toThrow(
      'notBefore is not an ISO time',
    );
  });
  it('an empty requested list restricts nothing; error messages list every offender', () => {
    const due = { instanceId: 'i-a', role: 'member' as const, cert: cert(70) };
    expect(
      renewalPlan({ nodes: [due], ...POLICY, now: NOW, manual: false, requested: [] }).renew,
    ).toHaveLength(1);
    expect(() =>
      renewalPlan({ nodes: [due], ...POLICY, now: NOW, manual: true, requested: ['i-x', 'i-y'] }),
    ).toThrow('requested nodes are not in the cluster: i-x, i-y');
    expect(() => checkWindow({ days: ['x' as WeekDay, 'y' as WeekDay], startHour: 1, endHour: 2 })).toThrow(
      'unknown days: x, y',
    );
    expect(() =>
      rolloutOrder([due, due, { ...due, instanceId: 'i-b' }, { ...due, instanceId: 'i-b' }], 'cloud-native'),
    ).toThrow('nodes lists i-a, i-b more than once');
  });
  it('a window open now opens now; ties in minDaysLeft keep the value', () => {
    const always: RenewalWindow = { days: DAYS, startHour: 0, endHour: 24 };
    expect(nextWindowOpen(always, NOW)).toEqual(NOW);
    expect(
      minDaysLeft(
        [{ cert: { notAfter: iso(NOW.getTime() + DAY) } }, { cert: { notAfter: iso(NOW.getTime() + DAY) } }],
        NOW,
      ),
    ).toBe(1);
    expect(minDaysLeft([{ cert: { notAfter: 5 } }], NOW)).toBeUndefined();
  });
});

describe('rolloutOrder', () => {
  it('puts the primary last in legacy mode and sorts by id', () => {
    const ns = [
      { instanceId: 'i-b', role: 'member' as const },
      { instanceId: 'i-a', role: 'primary' as const },
      { instanceId: 'i-c', role: 'member' as const },
    ];
    expect(rolloutOrder(ns, 'legacy-primary').map((n) => n.instanceId)).toEqual(['i-b', 'i-c', 'i-a']);
    expect(rolloutOrder(ns, 'cloud-native').map((n) => n.instanceId)).toEqual(['i-a', 'i-b', 'i-c']);
    expect(() => rolloutOrder([...ns, ns[0] as (typeof ns)[number]], 'legacy-primary')).toThrow(
      'nodes lists i-b more than once',
    );
  });
  it('is a deterministic permutation with every primary after every member (legacy)', () => {
    fc.assert(
      fc.property(nodesArb, (ns) => {
        const shuffled = [...ns].reverse();
        const order = rolloutOrder(ns, 'legacy-primary');
        expect(rolloutOrder(shuffled, 'legacy-primary')).toEqual(order);
        expect([...order].sort((a, b) => a.instanceId.localeCompare(b.instanceId))).toEqual(
          [...ns].sort((a, b) => a.instanceId.localeCompare(b.instanceId)),
        );
        const firstPrimary = order.findIndex((n) => n.role === 'primary');
        if (firstPrimary >= 0)
          expect(order.slice(firstPrimary).every((n) => n.role === 'primary')).toBe(true);
      }),
    );
  });
});

describe('expectedRotationSeconds and minDaysLeft', () => {
  it('rounds up to whole rounds of maxUnavailable', () => {
    expect(expectedRotationSeconds(6, 1, 300)).toBe(1800);
    expect(expectedRotationSeconds(5, 2, 300)).toBe(900);
    expect(expectedRotationSeconds(0, 1, 300)).toBe(0);
    expect(() => expectedRotationSeconds(-1, 1, 300)).toThrow('n must be an integer >= 0, got -1');
    expect(() => expectedRotationSeconds(3, 0, 300)).toThrow('maxUnavailable must be an integer >= 1, got 0');
    expect(() => expectedRotationSeconds(3, 1, Number.NaN)).toThrow('perNodeSeconds must be a finite number');
  });
  it('property: the minimum over the valid notAfters, undefined when there is none', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: -400, max: 400 }), { nil: undefined }), { maxLength: 8 }),
        (lefts) => {
          const records = lefts.map((l) =>
            l === undefined ? {} : { cert: { notAfter: iso(NOW.getTime() + l * DAY) } },
          );
          const valid = lefts.filter((l): l is number => l !== undefined);
          expect(minDaysLeft(records, NOW)).toBe(valid.length === 0 ? undefined : Math.min(...valid));
        },
      ),
    );
  });
  it('takes the minimum over the records that hold a certificate', () => {
    expect(minDaysLeft([{ cert: cert(80) }, {}, { cert: cert(10) }, { cert: { notAfter: 'x' } }], NOW)).toBe(
      10,
    );
    expect(minDaysLeft([{}, { cert: undefined }], NOW)).toBeUndefined();
    expect(minDaysLeft([{ cert: cert(100) }], NOW)).toBe(-10);
  });
});
