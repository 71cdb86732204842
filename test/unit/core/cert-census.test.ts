import fc from 'fast-check';
import {
  censusProbe,
  PROBE_BATCH,
  ProbeOutputInvalid,
  readProbeBatch,
  type ServedSeen,
  servedState,
} from '../../../functions/core/cert-census';
import { type NodeCertState, renewalPlan } from '../../../functions/core/cert-policy';
import { type ClusterNode, type PlanSettings, planRotation } from '../../../functions/core/cert-rotation';
import { PROBE_TARGETS_MAX, TARGET_IPS_PATTERN } from '../../../infra/ssm-documents';

const NOW = new Date('2026-03-09T10:00:00Z'); // a Monday
const DAY = 86_400_000;
const FP = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const iso = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString();
const ip = (i: number) => `10.0.${Math.floor(i / 200)}.${(i % 200) + 10}`;
const id = (i: number) => `i-0${String(i).padStart(16, '0')}`;

const line = (target: string, ports: { fp: string | null; verified?: boolean; notAfter?: string | null }[]) =>
  JSON.stringify({
    target,
    ports: ports.map((p, k) => ({
      port: k === 0 ? 8082 : 8443,
      fingerprint: p.fp,
      verified: p.fp !== null && (p.verified ?? true),
      notAfter: p.fp === null ? null : (p.notAfter ?? iso(30)),
      error: p.fp === null ? 'unreachable' : (p.verified ?? true) ? null : '21 (unable to verify)',
    })),
  });

describe('censusProbe', () => {
  it('batches agree with the document: the same size, and every batch matches TargetIps', () => {
    expect(PROBE_BATCH).toBe(PROBE_TARGETS_MAX);
    const nodes = Array.from({ length: 60 }, (_, i) => ({
      instanceId: id(i),
      ip: ip(i),
      lifecycleState: 'InService',
      target: 'healthy',
    }));
    const probe = censusProbe(nodes);
    expect(probe.batches.map((b) => b.targets.split(',').length)).toEqual([25, 25, 10]);
    for (const b of probe.batches) expect(b.targets).toMatch(new RegExp(TARGET_IPS_PATTERN));
  });

  it('property: a serving peer; every InService node with an IP once', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            state: fc.constantFrom('InService', 'Pending:Wait', 'Terminating:Wait'),
            target: fc.constantFrom('healthy', 'unhealthy', 'draining', 'unregistered'),
            hasIp: fc.boolean(),
          }),
          { maxLength: 80 },
        ),
        (xs) => {
          const nodes = xs.map((x, i) => ({
            instanceId: id(i),
            ip: x.hasIp ? ip(i) : undefined,
            lifecycleState: x.state,
            target: x.target,
          }));
          const probe = censusProbe(nodes);
          const serving = nodes.filter(
            (n) => n.lifecycleState === 'InService' && n.target === 'healthy' && n.ip,
          );
          if (serving.length === 0) {
            expect(probe).toEqual({ peer: null, batches: [], skipped: 'no serving node to probe from' });
            return;
          }
          expect(serving.map((n) => n.instanceId)).toContain(probe.peer);
          const targets = probe.batches.flatMap((b) => b.targets.split(','));
          const expected = nodes
            .filter((n) => n.lifecycleState === 'InService' && n.ip !== undefined)
            .map((n) => n.ip);
          expect(targets).toEqual(expected);
          for (const b of probe.batches) expect(b.targets.split(',').length).toBeLessThanOrEqual(PROBE_BATCH);
        },
      ),
    );
  });
});

describe('readProbeBatch', () => {
  it('reads each target: distinct fingerprints, the earliest notAfter, the first unverified port', () => {
    const out = [
      line('10.0.0.1', [{ fp: FP }, { fp: FP }]),
      line('10.0.0.2', [
        { fp: FP, notAfter: iso(-1), verified: false },
        { fp: OTHER, notAfter: iso(5) },
      ]),
      line('10.0.0.3', [{ fp: null }, { fp: null }]),
    ].join('\n');
    expect(readProbeBatch(`${out}\n`, '10.0.0.1,10.0.0.2,10.0.0.3')).toEqual([
      { ip: '10.0.0.1', fingerprints: [FP], notAfter: iso(30), error: null },
      { ip: '10.0.0.2', fingerprints: [FP, OTHER], notAfter: iso(-1), error: '8082: 21 (unable to verify)' },
      { ip: '10.0.0.3', fingerprints: [], notAfter: null, error: null },
    ]);
  });

  it('refuses what was not asked, a target twice or missing, and lines that are not the shape', () => {
    const one = line('10.0.0.1', [{ fp: FP }, { fp: FP }]);
    const bad =
      (stdout: string, targets = '10.0.0.1') =>
      () =>
        readProbeBatch(stdout, targets);
    expect(bad(one, '10.0.0.1,10.0.0.2')).toThrow(/no line for 10\.0\.0\.2/);
    expect(bad(line('10.0.0.9', [{ fp: FP }]))).toThrow(/10\.0\.0\.9, which was not asked/);
    expect(bad(`${one}\n${one}`)).toThrow(/answered twice/);
    expect(bad('not json')).toThrow(ProbeOutputInvalid);
    expect(bad('{"target":"10.0.0.1","ports":[]}')).toThrow(/no ports/);
    expect(bad('{"target":"10.0.0.1","ports":[{"port":8082,"fingerprint":"XYZ"}]}')).toThrow(/is not/);
    expect(bad(one, '')).toThrow(/no targets/);
  });

  it('property: what the lines say comes back, in the order asked', () => {
    const portArb = fc.record({
      fp: fc.option(fc.constantFrom(FP, OTHER), { nil: null }),
      verified: fc.boolean(),
      notAfter: fc.integer({ min: -10, max: 90 }).map(iso),
    });
    fc.assert(
      fc.property(
        fc.array(fc.array(portArb, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 25 }),
        (targets) => {
          const ips = targets.map((_, i) => ip(i));
          const seen = readProbeBatch(targets.map((t, i) => line(ip(i), t)).join('\n'), ips.join(','));
          expect(seen.map((s) => s.ip)).toEqual(ips);
          for (const [i, s] of seen.entries()) {
            const answered = (targets[i] ?? []).filter((p) => p.fp !== null);
            expect(new Set(s.fingerprints)).toEqual(new Set(answered.map((p) => p.fp)));
            expect(s.error === null).toBe(answered.every((p) => p.verified));
            if (answered.length > 0) {
              expect(s.notAfter).toBe(answered.map((p) => p.notAfter).sort()[0]);
            }
          }
        },
      ),
    );
  });
});

describe('servedState', () => {
  const seen = (over: Partial<ServedSeen>): ServedSeen => ({
    ip: '10.0.0.1',
    fingerprints: [FP],
    notAfter: iso(30),
    error: null,
    ...over,
  });
  it('names the fingerprint that differs from the record, and nothing for a node no port answered', () => {
    expect(servedState(seen({ fingerprints: [FP, OTHER] }), FP)).toEqual({
      served: OTHER,
      servedNotAfter: iso(30),
    });
    expect(servedState(seen({ error: 'x' }), FP)).toEqual({
      served: FP,
      servedNotAfter: iso(30),
      servedError: 'x',
    });
    expect(servedState(seen({ fingerprints: [] }), FP)).toBeUndefined();
    expect(servedState(undefined, FP)).toBeUndefined();
  });
});

const POLICY = { renewalFraction: 2 / 3, nearExpiryDays: 14 };
const WEEKEND = { days: ['sat', 'sun'] as ('sat' | 'sun')[], startHour: 1, endHour: 5 };
const good = { notBefore: iso(-10), notAfter: iso(80), fingerprint: FP };

describe('renewalPlan with what the probe saw', () => {
  it('an expired or untrusted served certificate renews; expired outside the window, untrusted deferred', () => {
    const nodes: NodeCertState[] = [
      { instanceId: id(1), role: 'member', cert: good, served: OTHER, servedNotAfter: iso(-1) },
      { instanceId: id(2), role: 'member', cert: good, served: FP, servedError: '21 (unable to verify)' },
      { instanceId: id(3), role: 'member', cert: good, served: FP, servedNotAfter: iso(80) },
    ];
    expect(renewalPlan({ nodes, ...POLICY, now: NOW, manual: false }).renew).toEqual([
      { instanceId: id(1), reason: 'expired', outsideWindow: false },
      { instanceId: id(2), reason: 'untrusted', outsideWindow: false },
    ]);
    const outside = renewalPlan({ nodes, ...POLICY, window: WEEKEND, now: NOW, manual: false });
    expect(outside.renew).toEqual([{ instanceId: id(1), reason: 'expired', outsideWindow: true }]);
    expect(outside.deferred.map((d) => [d.instanceId, d.reason])).toEqual([[id(2), 'untrusted']]);
  });

  it('a node out of service renews at once for a broken certificate, never for a due one or on request', () => {
    const out = (n: number, over: Partial<NodeCertState>): NodeCertState => ({
      instanceId: id(n),
      role: 'member',
      cert: good,
      inService: false,
      ...over,
    });
    const nodes = [
      out(1, { served: OTHER }),
      out(2, {}),
      out(3, { cert: { ...good, notBefore: iso(-70), notAfter: iso(20) } }),
      out(4, { cert: undefined }),
      out(5, { served: FP, servedError: 'x' }),
    ];
    const plan = renewalPlan({
      nodes,
      ...POLICY,
      window: WEEKEND,
      now: NOW,
      manual: false,
      requested: [id(1), id(2), id(4), id(5)],
    });
    expect(plan.renew).toEqual([
      { instanceId: id(1), reason: 'mismatch', outsideWindow: true },
      { instanceId: id(4), reason: 'missing', outsideWindow: true },
      { instanceId: id(5), reason: 'untrusted', outsideWindow: true },
    ]);
    expect(plan.deferred).toEqual([]);
  });
});

describe('planRotation with the census', () => {
  const settings: PlanSettings = {
    mode: 'legacy-primary',
    minHealthyNodes: 2,
    maxUnavailable: 1,
    ...POLICY,
    caGeneration: 1,
    perNodeSeconds: 600,
  };
  const record = {
    serial: '01',
    ...good,
    issuer: 1,
    trusted: [1],
    installedAt: NOW.toISOString(),
    execution: 'arn:aws:states:eu-west-1:1:execution:x:y',
  };
  const node = (i: number, over: Partial<ClusterNode> = {}): ClusterNode => ({
    instanceId: id(i),
    role: i === 0 ? 'primary' : 'member',
    ip: ip(i),
    lifecycleState: 'InService',
    target: 'healthy',
    cert: record,
    ...over,
  });
  const seenOf = (entries: [number, Partial<ServedSeen>][]) =>
    new Map(
      entries.map(([i, s]) => [
        ip(i),
        { ip: ip(i), fingerprints: [FP], notAfter: iso(80), error: null, ...s },
      ]),
    );
  const request = { manual: false, caRotation: false };

  it('renews a broken node out of service even at the floor (first, costing nothing); reports one it could not reach', () => {
    const cluster = [node(0), node(1), node(2, { target: 'unhealthy' }), node(3, { target: 'unhealthy' })];
    const seen = seenOf([
      [0, {}],
      [1, {}],
      [2, { fingerprints: [OTHER], notAfter: iso(-1), error: 'x' }],
      [3, { fingerprints: [] }],
    ]);
    const plan = planRotation(cluster, request, settings, { active: 1 }, NOW, { peer: id(0), seen });
    expect(plan.order).toEqual([id(2)]);
    expect(plan.batches[0]?.[0]).toMatchObject({ instanceId: id(2), reason: 'expired', peer: id(0) });
    expect(plan.deferred).toEqual([{ instanceId: id(3), reason: 'not serving (InService, unhealthy)' }]);
    // Without the probe, the same cluster renews nothing (the records are fine).
    expect(planRotation(cluster, request, settings, { active: 1 }, NOW).order).toEqual([]);
  });

  it('a serving node the probe could not reach is reported, not renewed; a mismatch is renewed', () => {
    const cluster = [node(0), node(1), node(2), node(3)];
    const seen = seenOf([
      [0, {}],
      [1, { fingerprints: [] }],
      [2, { fingerprints: [OTHER] }],
      [3, {}],
    ]);
    const plan = planRotation(cluster, request, settings, { active: 1 }, NOW, { peer: id(0), seen });
    expect(plan.order).toEqual([id(2)]);
    expect(plan.batches[0]?.[0]?.reason).toBe('mismatch');
    expect(plan.deferred).toEqual([
      { instanceId: id(1), reason: `the census probe from ${id(0)} could not reach it` },
    ]);
  });

  it('still refuses to take a serving node out when the floor leaves none', () => {
    const cluster = [node(0), node(1, { cert: { ...record, notBefore: iso(-70), notAfter: iso(20) } })];
    const seen = seenOf([
      [0, {}],
      [1, {}],
    ]);
    expect(() => planRotation(cluster, request, settings, { active: 1 }, NOW, { peer: id(0), seen })).toThrow(
      /break the floor/,
    );
  });
});
