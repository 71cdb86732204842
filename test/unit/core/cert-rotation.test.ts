import fc from 'fast-check';
import {
  type ClusterNode,
  caPhases,
  certRecordUpdate,
  MAX_ROUND_WIDTH,
  type PlanSettings,
  pickPeer,
  planRotation,
  planSummary,
  requestedProblems,
  SERVED_PORTS,
  safeConcurrency,
  servedMismatch,
} from '../../../functions/core/cert-rotation';

const NOW = new Date('2026-06-01T10:00:00Z');
const DAY = 86_400_000;
const FP = 'a'.repeat(64);
const settings = (over: Partial<PlanSettings> = {}): PlanSettings => ({
  mode: 'legacy-primary',
  minHealthyNodes: 2,
  maxUnavailable: 1,
  renewalFraction: 2 / 3,
  nearExpiryDays: 14,
  caGeneration: 1,
  perNodeSeconds: 600,
  ...over,
});
const cert = (ageDays: number, lifetime = 90, issuer = 1, trusted = [1]) => ({
  serial: '01',
  notBefore: new Date(NOW.getTime() - ageDays * DAY).toISOString(),
  notAfter: new Date(NOW.getTime() + (lifetime - ageDays) * DAY).toISOString(),
  fingerprint: FP,
  issuer,
  trusted,
  installedAt: NOW.toISOString(),
  execution: 'arn:aws:states:eu-west-1:1:execution:x:y',
});
const node = (i: number, over: Partial<ClusterNode> = {}): ClusterNode => ({
  instanceId: `i-0${String(i).padStart(16, '0')}`,
  role: i === 0 ? 'primary' : 'member',
  ip: `10.0.0.${i + 10}`,
  lifecycleState: 'InService',
  target: 'healthy',
  cert: cert(70),
  ...over,
});

const clusterArb = fc
  .array(
    fc.record({
      age: fc.integer({ min: 0, max: 100 }),
      serving: fc.boolean(),
      ip: fc.boolean(),
      hasCert: fc.boolean(),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((xs) =>
    xs.map((x, i) =>
      node(i, {
        target: x.serving ? 'healthy' : 'unhealthy',
        ip: x.ip || i < 2 ? `10.0.0.${i + 10}` : undefined,
        cert: x.hasCert ? cert(x.age) : undefined,
      }),
    ),
  );

describe('safeConcurrency', () => {
  it('never takes out more than maxUnavailable (nor 40), nor so many that the healthy left go under the floor', () => {
    fc.assert(
      fc.property(
        fc.nat(500),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 100 }),
        (h, min, k) => {
          const c = safeConcurrency(h, min, k);
          expect(c).toBeGreaterThanOrEqual(0);
          expect(c).toBeLessThanOrEqual(Math.min(k, MAX_ROUND_WIDTH));
          if (c > 0) expect(h - c).toBeGreaterThanOrEqual(min);
          if (h - min >= 1) expect(c).toBeGreaterThanOrEqual(1);
        },
      ),
    );
  });
});

describe('planRotation', () => {
  it('plans only serving nodes, each once, with a live peer other than itself, the legacy primary alone and last', () => {
    fc.assert(
      fc.property(
        clusterArb,
        fc.constantFrom<PlanSettings['mode']>('legacy-primary', 'cloud-native'),
        fc.integer({ min: 1, max: 4 }),
        (cluster, mode, k) => {
          let plan: ReturnType<typeof planRotation>;
          try {
            plan = planRotation(
              cluster,
              { manual: true, caRotation: false },
              settings({ mode, maxUnavailable: k }),
              {},
              NOW,
            );
          } catch (err) {
            // Only when the floor leaves no node to take out, or no peer exists.
            expect((err as Error).name).toBe('FloorWouldBreak');
            return;
          }
          const live = cluster.filter((n) => n.target === 'healthy');
          const all = plan.batches.flat();
          expect(plan.batchCount).toBe(plan.batches.length);
          for (const b of plan.batches) expect(b.length).toBeLessThanOrEqual(plan.concurrency);
          expect(new Set(all.map((p) => p.instanceId)).size).toBe(all.length);
          for (const p of all) {
            expect(live.map((n) => n.instanceId)).toContain(p.instanceId);
            expect(p.peer).not.toBe(p.instanceId);
            expect(live.map((n) => n.instanceId)).toContain(p.peer);
          }
          expect(all.map((p) => p.instanceId)).toEqual(plan.order);
          const primary = all.find((p) => p.isPrimary);
          if (mode === 'legacy-primary' && primary) {
            // The primary alone, in the last round.
            expect(plan.batches[plan.batches.length - 1]).toEqual([primary]);
          }
          if (all.length > 0) expect(live.length - plan.concurrency).toBeGreaterThanOrEqual(2);
          expect(plan.concurrency).toBeLessThanOrEqual(k);
        },
      ),
    );
  });

  it('renews the due ones (past 2/3 of the lifetime) and leaves the young ones', () => {
    const cluster = [node(0), node(1, { cert: cert(10) }), node(2), node(3, { cert: cert(5) })];
    const plan = planRotation(cluster, { manual: false, caRotation: false }, settings(), {}, NOW);
    expect(plan.order).toEqual([node(2).instanceId, node(0).instanceId]);
    expect(plan.batches.map((b) => b.map((p) => p.instanceId))).toEqual([
      [node(2).instanceId],
      [node(0).instanceId],
    ]);
    // The untouched serving nodes are the peers.
    expect(plan.batches[0]?.[0]?.peer).toBe(node(1).instanceId);
    expect(plan.pass).toBe('renew');
    expect(plan.expectedSeconds).toBe(1200);
    expect(planSummary(plan)).toContain('2 node(s) in this order');
  });

  it('restricts a run to the requested nodes, renewed whether due or not', () => {
    const cluster = [node(0), node(1, { cert: cert(1) }), node(2), node(3)];
    const plan = planRotation(
      cluster,
      { manual: true, requested: [node(1).instanceId], caRotation: false },
      settings(),
      {},
      NOW,
    );
    expect(plan.order).toEqual([node(1).instanceId]);
  });

  it('refuses (FloorWouldBreak) when no node can leave without going under the floor', () => {
    const cluster = [node(0), node(1)];
    expect(() => planRotation(cluster, { manual: true, caRotation: false }, settings(), {}, NOW)).toThrow(
      /break the floor/,
    );
  });

  it('defers a node out of service and one EC2 shows no IP for', () => {
    const cluster = [node(0), node(1), node(2, { target: 'draining' }), node(3, { ip: undefined }), node(4)];
    const plan = planRotation(cluster, { manual: true, caRotation: false }, settings(), {}, NOW);
    expect(plan.deferred.map((d) => d.instanceId).sort()).toEqual(
      [node(2).instanceId, node(3).instanceId].sort(),
    );
    expect(plan.order).not.toContain(node(3).instanceId);
  });

  it('plans a CA rotation from the phase the PKI item records, only the nodes not done yet', () => {
    const cluster = [
      node(0, { cert: cert(1, 90, 1, [1, 2]) }),
      node(1, { cert: cert(1, 90, 2, [1, 2]) }),
      node(2, { cert: cert(1, 90, 1, [1]) }),
      node(3, { cert: cert(1, 90, 1, [1, 2]) }),
    ];
    const trust = planRotation(
      cluster,
      { manual: false, caRotation: true },
      settings({ caGeneration: 2 }),
      { active: 1 },
      NOW,
    );
    expect(trust.kind).toBe('ca');
    expect(trust.phases).toEqual(['trust', 'reissue', 'drop']);
    expect(trust.order).toEqual([node(2).instanceId]);
    expect(trust.pass).toBe('trust');
    const reissue = planRotation(
      cluster,
      { manual: false, caRotation: false },
      settings({ caGeneration: 2 }),
      { active: 2, rotation: { from: 1, to: 2, phase: 'reissue' } },
      NOW,
    );
    expect(reissue.phases).toEqual(['reissue', 'drop']);
    expect(reissue.order).toEqual([node(2).instanceId, node(3).instanceId, node(0).instanceId]);
    expect(reissue.pass).toBe('reissue');
  });
});

describe('caPhases', () => {
  it('resumes a recorded rotation, starts one only when asked and a newer generation is deployed', () => {
    expect(caPhases({ from: 1, to: 2, phase: 'trust' }, 1, 2, false)).toEqual(['trust', 'reissue', 'drop']);
    expect(caPhases({ from: 1, to: 2, phase: 'reissue' }, 2, 2, false)).toEqual(['reissue', 'drop']);
    expect(caPhases({ from: 1, to: 2, phase: 'drop' }, 2, 2, false)).toEqual(['drop']);
    expect(caPhases(undefined, 1, 2, true)).toEqual(['trust', 'reissue', 'drop']);
    expect(caPhases(undefined, 1, 2, false)).toEqual([]);
    expect(caPhases(undefined, 2, 2, true)).toEqual([]);
  });
});

describe('pickPeer', () => {
  it('prefers an untouched node, else the one rotated before, else the last', () => {
    expect(pickPeer(0, ['a', 'b'], ['u'], 1)).toBe('u');
    expect(pickPeer(1, ['a', 'b', 'c'], [], 1)).toBe('a');
    expect(pickPeer(0, ['a', 'b', 'c'], [], 1)).toBe('c');
    expect(pickPeer(0, ['a'], [], 1)).toBeUndefined();
  });
});

describe('servedMismatch', () => {
  const ok = {
    target: '10.0.0.1',
    ports: SERVED_PORTS.map((port) => ({ port, fingerprint: FP, verified: true })),
  };
  it('accepts exactly both ports serving the issued fingerprint, verified by the peer', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            port: fc.constantFrom(8082, 8443, 443),
            fingerprint: fc.constantFrom(FP, 'b'.repeat(64), null),
            verified: fc.boolean(),
            error: fc.constantFrom(null, 'connection refused'),
          }),
          { maxLength: 3 },
        ),
        (ports) => {
          const why = servedMismatch({ target: '10.0.0.1', ports }, '10.0.0.1', FP);
          const good = SERVED_PORTS.every((p) => {
            const x = ports.find((y) => y.port === p);
            return x !== undefined && !x.error && x.fingerprint === FP && x.verified;
          });
          expect(why === undefined).toBe(good);
        },
      ),
    );
    expect(servedMismatch(ok, '10.0.0.1', FP)).toBeUndefined();
  });
  it('names the port and both fingerprints, and a probe of another address', () => {
    const stale = {
      ...ok,
      ports: [
        { port: 8082, fingerprint: FP, verified: true },
        { port: 8443, fingerprint: 'b'.repeat(64), verified: true },
      ],
    };
    expect(servedMismatch(stale, '10.0.0.1', FP)).toBe(`8443: serves ${'b'.repeat(64)}, issued ${FP}`);
    expect(servedMismatch(ok, '10.0.0.2', FP)).toMatch(/not 10.0.0.2/);
  });
});

describe('requestedProblems and the record', () => {
  it('names duplicates, unknown instances and instances outside the groups', () => {
    const cluster = [node(0), node(1)];
    expect(requestedProblems([node(0).instanceId], cluster, new Set())).toBeUndefined();
    expect(
      requestedProblems(
        [node(0).instanceId, node(0).instanceId, 'i-0ffffffffffffffff', 'i-0eeeeeeeeeeeeeeee'],
        cluster,
        new Set(['i-0eeeeeeeeeeeeeeee']),
      ),
    ).toBe(
      `nodes: named twice: ${node(0).instanceId}; unknown instances: i-0ffffffffffffffff; not in the cluster's groups: i-0eeeeeeeeeeeeeeee`,
    );
  });
  it("writes the cert attribute of the node's record, and nothing else", () => {
    const u = certRecordUpdate('c', 'i-1', cert(1));
    expect(u.UpdateExpression).toBe('SET #cert = :cert');
    expect(u.Key).toEqual({ pk: 'CLUSTER#c', sk: 'NODE#i-1' });
    expect(u.ExpressionAttributeValues[':cert'].fingerprint).toBe(FP);
  });
});

describe('the report of renewals outside the renewal window (issue 13: "renews even outside the window and says so")', () => {
  // NOW is a Monday, 10:00 UTC; the window is the weekend's early hours.
  const window = { days: ['sat', 'sun'] as ('sat' | 'sun')[], startHour: 1, endHour: 5 };
  const request = { manual: false, caRotation: false };
  it('names the near-expiry node it renews outside the window, and defers the due one', () => {
    const cluster = [node(0, { cert: cert(10) }), node(1, { cert: cert(80) }), node(2, { cert: cert(65) })];
    const plan = planRotation(cluster, request, settings({ window }), {}, NOW);
    expect(plan.order).toEqual([cluster[1]?.instanceId]);
    expect(plan.outsideWindow).toEqual([{ instanceId: cluster[1]?.instanceId, reason: 'near-expiry' }]);
    expect(planSummary(plan)).toContain(
      `; renewed outside the renewal window: ${cluster[1]?.instanceId} (near-expiry)`,
    );
    expect(planSummary(plan)).toContain(`${cluster[2]?.instanceId} (due until 2026-06-06T01:00:00.000Z)`);
  });
  it('says nothing of the window inside it, or without one', () => {
    const cluster = [node(0, { cert: cert(10) }), node(1, { cert: cert(80) }), node(2, { cert: cert(10) })];
    const plan = planRotation(cluster, request, settings(), {}, NOW);
    expect(plan.outsideWindow).toBeUndefined();
    expect(planSummary(plan)).not.toContain('outside the renewal window');
  });
});
