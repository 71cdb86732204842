// Issue 13 mutation survivors of functions/core/cert-rotation.ts (docs/testing.md): each test states what the
// specs (statemachines/cert-rotation.md, docs/certificates.md) require of the plan and its summary.
import {
  type ClusterNode,
  certRecordUpdate,
  type PlanSettings,
  pickPeer,
  planRotation,
  planSummary,
  type RotationPlan,
  requestedProblems,
  servedMismatch,
} from '../../../functions/core/cert-rotation';

const NOW = new Date('2026-06-01T10:00:00Z');
const DAY = 86_400_000;
const FP = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
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
const cert = (ageDays: number, issuer = 1, trusted = [1]) => ({
  serial: '01',
  notBefore: new Date(NOW.getTime() - ageDays * DAY).toISOString(),
  notAfter: new Date(NOW.getTime() + (90 - ageDays) * DAY).toISOString(),
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
const renew = { manual: false, caRotation: false };
const seen = (n: ClusterNode, fingerprints: string[]) => ({
  ip: n.ip as string,
  fingerprints,
  notAfter: null,
  error: null,
});
const census = (...entries: ReturnType<typeof seen>[]) => ({
  peer: node(1).instanceId,
  seen: new Map(entries.map((e) => [e.ip, e])),
});

describe('planRotation: what the plan promises', () => {
  it('a renewal plan is kind renew, starts at batch 0, flags the primary, and never holds an empty batch', () => {
    const cluster = [node(0), node(1), node(2), node(3)];
    for (const mode of ['legacy-primary', 'cloud-native'] as const) {
      const plan = planRotation(cluster, renew, settings({ mode }), {}, NOW);
      expect(plan.kind).toBe('renew');
      expect(plan.batch).toEqual({ count: 0 });
      expect(plan.batches.every((b) => b.length > 0)).toBe(true);
      const all = plan.batches.flat();
      expect(all.filter((p) => p.isPrimary).map((p) => p.instanceId)).toEqual([node(0).instanceId]);
      expect(all.filter((p) => p.role === 'member').every((p) => !p.isPrimary)).toBe(true);
    }
    const members = planRotation([node(1), node(2), node(3), node(4)], renew, settings(), {}, NOW);
    expect(members.batches.every((b) => b.length > 0)).toBe(true);
  });

  it('expects the legacy primary alone after the members: (members / width + 1) node times', () => {
    const cluster = [node(0), node(1), node(2), node(3), node(4), node(5)];
    const plan = planRotation(cluster, renew, settings({ maxUnavailable: 2 }), {}, NOW);
    expect(plan.concurrency).toBe(2);
    expect(plan.expectedSeconds).toBe((Math.ceil(5 / 2) + 1) * 600);
  });

  it('a node out of service (Standby, Pending) is never planned, even when a healthy target', () => {
    const cluster = [node(0), node(1), node(2), node(3, { lifecycleState: 'Standby' })];
    const plan = planRotation(cluster, { manual: true, caRotation: false }, settings(), {}, NOW);
    expect(plan.order).not.toContain(node(3).instanceId);
    expect(plan.deferred).toContainEqual({
      instanceId: node(3).instanceId,
      reason: 'not serving (Standby, healthy)',
    });
  });

  it('a node EC2 shows no IP for is deferred with that reason', () => {
    const cluster = [node(0), node(1), node(2), node(3, { ip: undefined })];
    const plan = planRotation(cluster, renew, settings(), {}, NOW);
    expect(plan.deferred).toContainEqual({ instanceId: node(3).instanceId, reason: 'no private IP in EC2' });
  });

  it('a broken node renews only for its certificate: not a due one it serves as recorded, nor one in Standby', () => {
    const sick = node(3, { target: 'unhealthy' });
    const standby = node(4, { lifecycleState: 'Standby', target: 'unused' });
    const cluster = [
      node(0, { cert: cert(1) }),
      node(1, { cert: cert(1) }),
      node(2, { cert: cert(1) }),
      sick,
      standby,
    ];
    const plan = planRotation(
      cluster,
      renew,
      settings(),
      {},
      NOW,
      census(seen(sick, [FP]), seen(standby, [OTHER])),
    );
    expect(plan.order).toEqual([]);
    expect(plan.deferred.map((d) => d.instanceId).sort()).toEqual(
      [sick.instanceId, standby.instanceId].sort(),
    );
  });

  it('a run restricted to named nodes defers only those, also when the probe could not reach another', () => {
    const lost = node(3);
    const cluster = [node(0), node(1), node(2), lost];
    const plan = planRotation(
      cluster,
      { manual: true, caRotation: false, requested: [node(2).instanceId] },
      settings(),
      {},
      NOW,
      census(seen(lost, [])),
    );
    expect(plan.order).toEqual([node(2).instanceId]);
    expect(plan.deferred).toEqual([]);
  });

  it('refuses a plan whose only node has no peer to check its served certificate from', () => {
    expect(() =>
      planRotation([node(1)], { manual: true, caRotation: false }, settings({ minHealthyNodes: 0 }), {}, NOW),
    ).toThrow(`${node(1).instanceId} has no peer to check its served certificate from`);
  });
});

describe('planRotation: a CA rotation', () => {
  const cluster = [node(0, { cert: undefined }), node(1), node(2), node(3)];
  const run = (phase: 'trust' | 'reissue' | 'drop') =>
    planRotation(
      cluster,
      { manual: false, caRotation: false },
      settings({ caGeneration: 2, mode: 'cloud-native' }),
      { active: phase === 'trust' ? 1 : 2, rotation: { from: 1, to: 2, phase } },
      NOW,
    );

  it('trust and reissue name every node not yet done (one with no record included) with the pass as reason', () => {
    const trust = run('trust');
    expect(trust.order).toHaveLength(4);
    expect(trust.batches.flat().every((p) => p.reason === 'ca-trust')).toBe(true);
    const reissue = run('reissue');
    expect(reissue.order).toHaveLength(4);
    expect(reissue.batches.flat().every((p) => p.reason === 'ca-reissue')).toBe(true);
    expect(trust.outsideWindow).toBeUndefined();
  });

  it('the drop phase touches no node, and a run from trust expects both passes', () => {
    const drop = run('drop');
    expect(drop.order).toEqual([]);
    expect(drop.batches).toEqual([]);
    expect(drop.expectedSeconds).toBe(0);
    expect(run('trust').expectedSeconds).toBe(2 * run('reissue').expectedSeconds);
    expect(run('reissue').expectedSeconds).toBe(4 * 600);
  });
});

describe('pickPeer: the node rotated `concurrency` places before', () => {
  it('with two nodes the second is checked from the first; wider rounds look a whole round back', () => {
    expect(pickPeer(1, ['a', 'b'], [], 1)).toBe('a');
    expect(pickPeer(0, ['a', 'b'], [], 1)).toBe('b');
    expect(pickPeer(3, ['a', 'b', 'c', 'd'], [], 2)).toBe('b');
    expect(pickPeer(2, ['a', 'b', 'c', 'd'], [], 2)).toBe('a');
  });
});

describe('servedMismatch: every problem named, port by port', () => {
  it('names each missing port, an error, and a port that serves nothing', () => {
    expect(servedMismatch({ target: '10.0.0.1', ports: [] }, '10.0.0.1', FP)).toBe(
      '8082: not probed; 8443: not probed',
    );
    expect(
      servedMismatch(
        {
          target: '10.0.0.1',
          ports: [
            { port: 8082, fingerprint: FP, verified: true, error: 'certificate has expired' },
            { port: 8443, fingerprint: null, verified: false },
          ],
        },
        '10.0.0.1',
        FP,
      ),
    ).toBe(`8082: certificate has expired; 8443: serves nothing, issued ${FP}`);
  });
});

describe('requestedProblems and the record update', () => {
  it('lists every id of each kind', () => {
    const cluster = [node(0), node(1)];
    const a = node(0).instanceId;
    const b = node(1).instanceId;
    expect(
      requestedProblems([a, a, b, b, 'i-1', 'i-2', 'i-3', 'i-4'], cluster, new Set(['i-3', 'i-4'])),
    ).toBe(
      `nodes: named twice: ${a}, ${b}; unknown instances: i-1, i-2; not in the cluster's groups: i-3, i-4`,
    );
  });
  it('names the cert attribute', () => {
    expect(certRecordUpdate('c', 'i-1', cert(1)).ExpressionAttributeNames).toEqual({ '#cert': 'cert' });
  });
});

describe('planSummary: the plan in one line', () => {
  const plan = (over: Partial<RotationPlan> = {}): RotationPlan => ({
    kind: 'renew',
    phases: [],
    pass: 'renew',
    batches: [],
    batchCount: 0,
    batch: { count: 0 },
    deferred: [],
    concurrency: 1,
    order: [],
    expectedSeconds: 0,
    ...over,
  });
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `n${i}`);

  it('says none for an empty order and nothing deferred', () => {
    expect(planSummary(plan())).toBe(
      '0 node(s) in this order: none; 1 at a time; expected 0 min; deferred: none',
    );
  });

  it('names the order, the width, the minutes, the deferred and the renewals outside the window', () => {
    const text = planSummary(
      plan({
        order: ['a', 'b'],
        concurrency: 2,
        expectedSeconds: 1200,
        deferred: [
          { instanceId: 'c', reason: 'due', until: '2026-06-06T01:00:00.000Z' },
          { instanceId: 'd', reason: 'not serving (Standby, unused)' },
        ],
        outsideWindow: [
          { instanceId: 'a', reason: 'near-expiry' },
          { instanceId: 'b', reason: 'expired' },
        ],
      }),
    );
    expect(text).toBe(
      '2 node(s) in this order: a, b; 2 at a time; expected 20 min; deferred: c (due until 2026-06-06T01:00:00.000Z), d (not serving (Standby, unused)); renewed outside the renewal window: a (near-expiry), b (expired)',
    );
  });

  it('a CA rotation names the phases left', () => {
    expect(planSummary(plan({ kind: 'ca', phases: ['reissue', 'drop'], pass: 'reissue' }))).toMatch(
      /^CA rotation, phases left: reissue, drop; 0 node\(s\)/,
    );
  });

  it('lists 20 nodes in full, and of more the first 20 and the count', () => {
    expect(planSummary(plan({ order: ids(20) }))).toContain(`in this order: ${ids(20).join(', ')}; `);
    expect(planSummary(plan({ order: ids(21) }))).toContain(`in this order: ${ids(20).join(', ')}, … (21); `);
  });

  it('is at most max characters, cut with an ellipsis only when longer', () => {
    const full = planSummary(plan({ order: ids(3) }));
    expect(planSummary(plan({ order: ids(3) }), full.length)).toBe(full);
    const cut = planSummary(plan({ order: ids(3) }), full.length - 1);
    expect(cut).toHaveLength(full.length - 1);
    expect(cut).toBe(`${full.slice(0, full.length - 2)}…`);
  });
});
