import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { bootstrapRole, primaryCensus } from '../../../functions/core/election-census';
import {
  type ClusterState,
  type FailoverTrigger,
  failoverExecutionName,
  fenceInForce,
  STALE_FENCE_MS,
} from '../../../functions/core/failover';
import {
  type GateRecord,
  type GateSettings,
  gateDecision,
  recordElection,
} from '../../../functions/core/failover-gate';
import {
  CONFIRM_INTERVAL_SECONDS,
  CONFIRMATIONS_REQUIRED,
  condemned,
  confirm,
  MAX_CONFIRM_ROUNDS,
  type NodeObservation,
  type Observation,
  observe,
  type Probe,
  parseProbe,
  presumedPrimary,
  UNREACHABLE,
  type Verdict,
} from '../../../functions/core/failover-observe';
import {
  CandidateError,
  chooseCandidates,
  eligible,
  MAX_CANDIDATES,
  plan,
} from '../../../functions/core/failover-plan';
import type { ClusterMode } from '../../../functions/core/lifecycle';

const RUNS = { numRuns: 200 };
const MIN = 60_000;
const DAY = 86_400_000;
/** 2026-03-10T12:00:00Z: midday, so small offsets stay on the same UTC day. */
const NOON = Date.UTC(2026, 2, 10, 12);

// --- arbitraries ------------------------------------------------------------------------------------------

/** A small pool of ids so that generated clusters reuse, exclude and collide on them. */
const IDS = [
  'i-0000000000000000a',
  'i-0000000000000000b',
  'i-0000000000000000c',
  'i-0000000000000000d',
  'i-0000000000000000e',
  'i-0000000000000000f',
  'i-00000000000000010',
  'i-00000000000000011',
] as const;
const AZS = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] as const;
const id = fc.constantFrom(...IDS);
const az = fc.constantFrom(...AZS);
const mode = fc.constantFrom<ClusterMode>('legacy-primary', 'cloud-native');

const probe: fc.Arbitrary<Probe | undefined> = fc.option(
  fc.record<Probe>({
    reachable: fc.boolean(),
    ready: fc.boolean(),
    role: fc.constantFrom('primary', 'member', null),
    taskAffinity: fc.constantFrom('any', 'none', null),
  }),
  { nil: undefined },
);

/** Any node, in any state. */
const anyNode = (instanceId: fc.Arbitrary<string>) =>
  fc.record<NodeObservation>({
    instanceId,
    group: fc.constantFrom('primary', 'member', 'none'),
    az,
    lifecycleState: fc.constantFrom(
      'InService',
      'Pending',
      'Pending:Wait',
      'Terminating:Wait',
      'Standby',
      'none',
    ),
    health: fc.constantFrom('Healthy', 'Unhealthy'),
    target: fc.constantFrom('healthy', 'unhealthy', 'initial', 'draining', 'absent'),
    ec2State: fc.constantFrom('running', 'pending', 'stopping', 'stopped', 'shutting-down', 'terminated'),
    probe,
  });

/** A node that is eligible unless one field was flipped; most generated clusters then have candidates. */
const nearlyEligibleNode = (instanceId: fc.Arbitrary<string>) =>
  fc
    .record({
      instanceId,
      az,
      taskAffinity: fc.constantFrom<'any' | 'none' | null>('any', 'none', null),
      flip: fc.constantFrom(
        'none',
        'none',
        'none',
        'group',
        'state',
        'health',
        'target',
        'ec2',
        'probe',
        'role',
      ),
    })
    .map(({ instanceId, az, taskAffinity, flip }): NodeObservation => {
      const n: NodeObservation = {
        instanceId,
        group: flip === 'group' ? 'primary' : 'member',
        az,
        lifecycleState: flip === 'state' ? 'Pending:Wait' : 'InService',
        health: flip === 'health' ? 'Unhealthy' : 'Healthy',
        target: flip === 'target' ? 'unhealthy' : 'healthy',
        ec2State: flip === 'ec2' ? 'stopping' : 'running',
        probe: {
          reachable: flip !== 'probe',
          ready: flip !== 'probe',
          role: flip === 'role' ? 'primary' : 'member',
          taskAffinity,
        },
      };
      return n;
    });

/** A cluster: distinct instance ids, any mix of states. */
const cluster = fc.uniqueArray(fc.oneof(anyNode(id), nearlyEligibleNode(id), nearlyEligibleNode(id)), {
  selector: (n) => n.instanceId,
  maxLength: IDS.length,
});

const clusterState: fc.Arbitrary<ClusterState | undefined> = fc.option(
  fc.record<ClusterState>(
    {
      epoch: fc.nat({ max: 20 }),
      primary: fc.option(id, { nil: undefined }),
      phase: fc.constantFrom('fenced', 'committed', 'claimed', 'escalated', undefined),
      owner: fc.option(fc.constantFrom('arn:aws:states:eu-west-1:111122223333:execution:f:a'), {
        nil: undefined,
      }),
      fencedAt: fc.option(fc.integer({ min: NOON - 2 * STALE_FENCE_MS, max: NOON + MIN }), {
        nil: undefined,
      }),
    },
    { requiredKeys: ['epoch'] },
  ),
  { nil: undefined },
);

const automaticTrigger = fc.constantFrom<FailoverTrigger>('alarm', 'reconciler', 'drain', 'replacement');
const settings = fc.record<GateSettings>({
  cooldownMs: fc.integer({ min: 1, max: 120 }).map((m) => m * MIN),
  dailyBudget: fc.integer({ min: 0, max: 5 }),
  automationEnabled: fc.boolean(),
});

const sameAzFirst = (
  ids: readonly string[],
  nodes: readonly NodeObservation[],
  failedAz: string | undefined,
) => ids.map((i) => nodes.find((n) => n.instanceId === i)?.az === failedAz);

// --- chooseCandidates -------------------------------------------------------------------------------------

describe('chooseCandidates', () => {
  const input = fc.record({
    nodes: cluster,
    failedPrimary: fc.option(id, { nil: undefined }),
    failedAz: fc.option(az, { nil: undefined }),
    mode,
  });

  it('returns only eligible nodes, never the failed primary nor a duplicate, at most MAX_CANDIDATES', () => {
    fc.assert(
      fc.property(input, ({ nodes, failedPrimary, failedAz, mode }) => {
        const exclude = failedPrimary ? [failedPrimary] : [];
        const chosen = chooseCandidates(nodes, { failedAz, exclude, mode });
        expect(chosen.length).toBeLessThanOrEqual(MAX_CANDIDATES);
        expect(new Set(chosen).size).toBe(chosen.length);
        if (failedPrimary) expect(chosen).not.toContain(failedPrimary);
        for (const c of chosen) {
          const n = nodes.find((x) => x.instanceId === c);
          expect(n).toBeDefined();
          expect(eligible(n as NodeObservation, new Set(exclude))).toBe(true);
          // Eligible means: a ready, healthy, InService member that is not a primary already, or a ready node
          // an interrupted election left outside the groups (no longer a target of the ALB).
          if (n?.group === 'none') {
            expect(n).toMatchObject({ ec2State: 'running', probe: { reachable: true, ready: true } });
          } else {
            expect(n).toMatchObject({
              group: 'member',
              lifecycleState: 'InService',
              health: 'Healthy',
              ec2State: 'running',
              target: 'healthy',
              probe: { reachable: true, ready: true },
            });
          }
          expect(n?.probe?.role).not.toBe('primary');
          // Cloud-native: a node that already runs cluster tasks adds nothing.
          if (mode === 'cloud-native') expect(n?.probe?.taskAffinity).not.toBe('any');
        }
      }),
      RUNS,
    );
  });

  it('puts every node of another AZ than the failed primary before those of its AZ, then orders by id', () => {
    fc.assert(
      fc.property(input, ({ nodes, failedPrimary, failedAz, mode }) => {
        const all = chooseCandidates(nodes, {
          failedAz,
          exclude: failedPrimary ? [failedPrimary] : [],
          mode,
        });
        // Orphans of an interrupted election come first (their own property below); the AZ rule orders the rest.
        const orphans = all.filter((c) => nodes.find((n) => n.instanceId === c)?.group === 'none');
        expect(all.slice(0, orphans.length)).toEqual(orphans);
        const chosen = all.slice(orphans.length);
        const sameAz = sameAzFirst(chosen, nodes, failedAz);
        // Once a same-AZ candidate appears, no other-AZ candidate follows it...
        const firstSame = sameAz.indexOf(true);
        if (firstSame >= 0) expect(sameAz.slice(firstSame).every(Boolean)).toBe(true);
        // ...and a same-AZ node is chosen only when the other AZs had too few candidates.
        const pool = nodes.filter(
          (n) =>
            eligible(n, new Set(failedPrimary ? [failedPrimary] : [])) &&
            (mode === 'legacy-primary' || n.probe?.taskAffinity !== 'any'),
        );
        const otherAz = pool.filter((n) => n.az !== failedAz && n.group !== 'none').length;
        if (firstSame >= 0) expect(firstSame).toBe(Math.min(otherAz, MAX_CANDIDATES - orphans.length));
        // Within each class, the tie-break is the instance id.
        for (const cls of [false, true]) {
          const ids = chosen.filter((_, i) => sameAz[i] === cls);
          expect(ids).toEqual([...ids].sort());
        }
      }),
      RUNS,
    );
  });

  it('is deterministic: any order of the same observations gives the same candidates', () => {
    fc.assert(
      fc.property(
        input.chain((i) =>
          fc.tuple(
            fc.constant(i),
            fc.shuffledSubarray(i.nodes, { minLength: i.nodes.length, maxLength: i.nodes.length }),
          ),
        ),
        ([{ nodes, failedPrimary, failedAz, mode }, shuffled]) => {
          const opts = { failedAz, exclude: failedPrimary ? [failedPrimary] : [], mode };
          expect(chooseCandidates(shuffled, opts)).toEqual(chooseCandidates(nodes, opts));
        },
      ),
      RUNS,
    );
  });

  it('finds a candidate if and only if some node is eligible', () => {
    fc.assert(
      fc.property(input, ({ nodes, failedPrimary, failedAz, mode }) => {
        const exclude = failedPrimary ? [failedPrimary] : [];
        const some = nodes.some(
          (n) =>
            eligible(n, new Set(exclude)) && (mode === 'legacy-primary' || n.probe?.taskAffinity !== 'any'),
        );
        expect(chooseCandidates(nodes, { failedAz, exclude, mode }).length > 0).toBe(some);
      }),
      RUNS,
    );
  });
});

// --- the gate ---------------------------------------------------------------------------------------------

describe('gateDecision (anti-flapping)', () => {
  const withinCooldown = (s: GateSettings) => fc.integer({ min: 0, max: s.cooldownMs - 1 });

  it('never refuses demoting extra primaries (a split brain) on cooldown or budget; only the pause holds it', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<FailoverTrigger>('alarm', 'reconciler', 'manual', 'replacement', 'drain'),
        settings,
        fc.integer({ min: 0, max: 10 * 86_400_000 }),
        fc.nat({ max: 50 }),
        fc.boolean(),
        (trigger, s, since, count, force) => {
          const d = gateDecision(
            { trigger, planned: false, force, safety: true },
            { lastElectionAt: NOON - since, day: new Date(NOON).toISOString().slice(0, 10), count },
            s,
            NOON,
          );
          if (d.allow) return;
          expect(d.rule).toBe('paused');
          expect(trigger).not.toBe('manual');
          expect(s.automationEnabled).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it('refuses an automatic election within the cooldown of the previous one', () => {
    fc.assert(
      fc.property(
        automaticTrigger,
        settings.chain((s) => fc.tuple(fc.constant({ ...s, automationEnabled: true }), withinCooldown(s))),
        fc.boolean(),
        (trigger, [s, since], force) => {
          const d = gateDecision(
            { trigger, planned: false, force },
            { lastElectionAt: NOON - since },
            s,
            NOON,
          );
          expect(d).toMatchObject({ allow: false, rule: 'cooldown' });
        },
      ),
      RUNS,
    );
  });

  it('refuses a manual election within the cooldown unless forced, and never pauses or budgets it', () => {
    fc.assert(
      fc.property(
        settings.chain((s) => fc.tuple(fc.constant(s), withinCooldown(s))),
        fc.boolean(),
        fc.nat({ max: 10 }),
        ([s, since], force, count) => {
          const record: GateRecord = { lastElectionAt: NOON - since, day: '2026-03-10', count };
          const d = gateDecision({ trigger: 'manual', planned: false, force }, record, s, NOON);
          if (force) expect(d.allow).toBe(true);
          else expect(d).toMatchObject({ allow: false, rule: 'cooldown' });
          // Out of the cooldown a manual run is allowed whatever the pause and the budget say.
          const later = gateDecision(
            { trigger: 'manual', planned: false, force },
            record,
            s,
            NOON - since + s.cooldownMs,
          );
          expect(later.allow).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('lets a planned handover through the cooldown and the budget, but not through the pause', () => {
    fc.assert(
      fc.property(
        settings,
        fc.nat({ max: 10 }),
        fc.integer({ min: 0, max: 120 * MIN }),
        fc.boolean(),
        (s, count, since, force) => {
          const record: GateRecord = { lastElectionAt: NOON - since, day: '2026-03-10', count };
          const d = gateDecision({ trigger: 'drain', planned: true, force }, record, s, NOON);
          if (s.automationEnabled) expect(d.allow).toBe(true);
          else expect(d).toMatchObject({ allow: false, rule: 'paused' });
        },
      ),
      RUNS,
    );
  });

  it('refuses every automatic election while automation is paused', () => {
    fc.assert(
      fc.property(automaticTrigger, settings, fc.boolean(), (trigger, s, planned) => {
        const d = gateDecision(
          { trigger, planned, force: true },
          undefined,
          { ...s, automationEnabled: false },
          NOON,
        );
        expect(d).toMatchObject({ allow: false, rule: 'paused' });
      }),
      RUNS,
    );
  });

  it('counts the budget per UTC day: the day’s elections exhaust it, the next UTC day starts afresh', () => {
    fc.assert(
      fc.property(
        // Elections at increasing times over about three days.
        fc.array(fc.integer({ min: 1, max: 20 * 3_600_000 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 5 }),
        (gaps, dailyBudget) => {
          let at = Date.UTC(2026, 2, 10, 0, 30);
          let record: GateRecord | undefined;
          const times: number[] = [];
          for (const gap of gaps) {
            at += gap;
            times.push(at);
            record = recordElection(record, at);
          }
          const last = times.at(-1) as number;
          const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);
          const sameDay = times.filter((t) => dayOf(t) === dayOf(last)).length;
          expect(record).toEqual({ lastElectionAt: last, day: dayOf(last), count: sameDay });

          const s: GateSettings = { cooldownMs: 1, dailyBudget, automationEnabled: true };
          const endOfDay = Date.parse(`${dayOf(last)}T23:59:59.999Z`);
          const later = Math.min(last + 1, endOfDay);
          const d = gateDecision({ trigger: 'alarm', planned: false, force: false }, record, s, later);
          if (sameDay >= dailyBudget) expect(d).toMatchObject({ allow: false, rule: 'budget' });
          else expect(d.allow).toBe(true);
          const nextDay = gateDecision(
            { trigger: 'alarm', planned: false, force: false },
            record,
            s,
            endOfDay + 1,
          );
          expect(nextDay.allow).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('allows the first election ever and refuses at the budget boundary exactly', () => {
    const s: GateSettings = { cooldownMs: 60 * MIN, dailyBudget: 2, automationEnabled: true };
    const run = { trigger: 'alarm' as const, planned: false, force: false };
    expect(gateDecision(run, undefined, s, NOON)).toEqual({ allow: true });
    expect(
      gateDecision(run, { lastElectionAt: NOON - 61 * MIN, day: '2026-03-10', count: 1 }, s, NOON).allow,
    ).toBe(true);
    expect(
      gateDecision(run, { lastElectionAt: NOON - 61 * MIN, day: '2026-03-10', count: 2 }, s, NOON),
    ).toMatchObject({
      allow: false,
      rule: 'budget',
    });
    // Yesterday's count does not count today.
    expect(
      gateDecision(run, { lastElectionAt: NOON - DAY, day: '2026-03-09', count: 9 }, s, NOON).allow,
    ).toBe(true);
  });
});

// --- confirmation -----------------------------------------------------------------------------------------

/** A primary-group node in a given condition, plus two ready members. */
function world(primary: Partial<NodeObservation>, extra: NodeObservation[] = []): NodeObservation[] {
  return [
    {
      instanceId: 'i-0000000000000000a',
      group: 'primary',
      az: 'eu-west-1a',
      lifecycleState: 'InService',
      health: 'Healthy',
      target: 'healthy',
      ec2State: 'running',
      probe: { reachable: true, ready: true, role: 'primary', taskAffinity: 'any' },
      ...primary,
    },
    member('i-0000000000000000b', 'eu-west-1b'),
    member('i-0000000000000000c', 'eu-west-1a'),
    ...extra,
  ];
}

function member(instanceId: string, zone: string, p: Partial<Probe> = {}): NodeObservation {
  return {
    instanceId,
    group: 'member',
    az: zone,
    lifecycleState: 'InService',
    health: 'Healthy',
    target: 'healthy',
    ec2State: 'running',
    probe: { reachable: true, ready: true, role: 'member', taskAffinity: 'none', ...p },
  };
}

describe('observe (holistic)', () => {
  it('classifies the primary from the ALB’s view and the node’s own', () => {
    const cfg = { mode: 'legacy-primary' as const, minTaskNodes: 1 };
    expect(observe(world({}), undefined, cfg)).toEqual({ kind: 'healthy', primary: 'i-0000000000000000a' });
    // ALB unhealthy but the node says ready: signals disagree, no action.
    expect(observe(world({ target: 'unhealthy' }), undefined, cfg)).toMatchObject({ kind: 'mixed' });
    // ALB healthy but the probe fails: mixed too.
    expect(observe(world({ probe: { ...UNREACHABLE, reachable: true } }), undefined, cfg)).toMatchObject({
      kind: 'mixed',
    });
    expect(observe(world({ target: 'unhealthy', probe: UNREACHABLE }), undefined, cfg)).toMatchObject({
      kind: 'down',
      primary: 'i-0000000000000000a',
      why: expect.stringContaining('unreachable'),
    });
    expect(
      observe(world({ target: 'unused', ec2State: 'stopped', probe: UNREACHABLE }), undefined, cfg),
    ).toMatchObject({
      kind: 'down',
      primary: 'i-0000000000000000a',
      why: expect.stringContaining('stopped'),
    });
    // The ALB and the node agree it serves: healthy, whatever Auto Scaling's health says (drain hands over).
    expect(
      observe(world({ health: 'Unhealthy' }, []), { epoch: 1, primary: 'i-0000000000000000a' }, cfg),
    ).toMatchObject({
      kind: 'healthy',
    });
    // Once the ALB drops it too, Auto Scaling's verdict stands (it will not come back), even if the node is ready.
    expect(
      observe(
        world({ health: 'Unhealthy', target: 'unhealthy' }),
        { epoch: 1, primary: 'i-0000000000000000a' },
        cfg,
      ),
    ).toMatchObject({ kind: 'down', why: expect.stringContaining('condemned') });
    // A terminated primary is no primary at all.
    expect(
      observe(world({ target: 'absent', ec2State: 'terminated', probe: UNREACHABLE }), undefined, cfg),
    ).toEqual({
      kind: 'down',
      why: 'the cluster has no primary instance',
    });
    expect(
      observe(
        world({}, [{ ...member('i-0000000000000000d', 'eu-west-1c', { role: 'primary' }), group: 'member' }]),
        undefined,
        cfg,
      ),
    ).toEqual({ kind: 'split', primaries: ['i-0000000000000000a', 'i-0000000000000000d'] });
    expect(observe([member('i-0000000000000000b', 'eu-west-1b')], undefined, cfg)).toMatchObject({
      kind: 'down',
    });
  });

  it('presumes the recorded primary while it exists, else the primary group’s instance', () => {
    const nodes = world({});
    expect(presumedPrimary(nodes, { epoch: 3, primary: 'i-0000000000000000b' })?.instanceId).toBe(
      'i-0000000000000000b',
    );
    expect(presumedPrimary(nodes, { epoch: 3, primary: 'i-0000000000000000f' })?.instanceId).toBe(
      'i-0000000000000000a',
    );
    expect(presumedPrimary(nodes, undefined)?.instanceId).toBe('i-0000000000000000a');
    // Auto Scaling's replacement, still launching, is not the incumbent.
    const replacing = world({
      instanceId: 'i-0000000000000000e',
      lifecycleState: 'Pending:Wait',
      probe: UNREACHABLE,
    });
    expect(presumedPrimary(replacing, undefined)).toBeUndefined();
  });

  it('does not call a recorded primary still joining (Pending:Wait, answering, not ready yet) down', () => {
    const cfg = { mode: 'legacy-primary' as const, minTaskNodes: 1 };
    const recorded = { epoch: 2, primary: 'i-0000000000000000e' };
    const starting = { reachable: true, ready: false, role: 'primary' as const, taskAffinity: null };
    const joining = world({
      instanceId: 'i-0000000000000000e',
      lifecycleState: 'Pending:Wait',
      target: 'absent',
      probe: starting,
    });
    expect(observe(joining, recorded, cfg)).toEqual({
      kind: 'mixed',
      primary: 'i-0000000000000000e',
      why: 'it is still joining (Pending:Wait): its bootstrap waits for it to be ready',
    });
    // Unprobed (SSM could not be asked), it is not known to be joining: the usual rules apply.
    const unprobed = world({
      instanceId: 'i-0000000000000000e',
      lifecycleState: 'Pending:Wait',
      target: 'absent',
      probe: undefined,
    });
    expect(observe(unprobed, recorded, cfg)).not.toMatchObject({ kind: 'mixed' });
    // Unreachable, condemned or in service, the usual rules apply.
    const lost = world({
      instanceId: 'i-0000000000000000e',
      lifecycleState: 'Pending:Wait',
      target: 'absent',
      probe: UNREACHABLE,
    });
    expect(observe(lost, recorded, cfg)).toMatchObject({ kind: 'down' });
    const condemnedJoin = world({
      instanceId: 'i-0000000000000000e',
      lifecycleState: 'Pending:Wait',
      health: 'Unhealthy',
      target: 'absent',
      probe: starting,
    });
    expect(observe(condemnedJoin, recorded, cfg)).toMatchObject({
      kind: 'down',
      why: expect.stringContaining('condemned'),
    });
    const inService = world({ instanceId: 'i-0000000000000000e', target: 'unhealthy', probe: starting });
    expect(observe(inService, recorded, cfg)).toMatchObject({ kind: 'down' });
  });

  it('counts task nodes in cloud-native mode', () => {
    const nodes = [
      member('i-0000000000000000b', 'eu-west-1b', { taskAffinity: 'any' }),
      member('i-0000000000000000c', 'eu-west-1a', { taskAffinity: 'any', ready: false }),
      member('i-0000000000000000d', 'eu-west-1a'),
    ];
    expect(observe(nodes, undefined, { mode: 'cloud-native', minTaskNodes: 1 })).toEqual({ kind: 'healthy' });
    expect(observe(nodes, undefined, { mode: 'cloud-native', minTaskNodes: 2 })).toMatchObject({
      kind: 'down',
    });
  });
});

describe('confirm (bounded confirmation window)', () => {
  const observed = fc.record({
    nodes: cluster,
    state: clusterState,
    mode,
    minTaskNodes: fc.integer({ min: 1, max: 3 }),
  });

  it('never confirms from a single down round unless the primary’s instance is gone', () => {
    fc.assert(
      fc.property(
        observed,
        fc.nat({ max: MAX_CONFIRM_ROUNDS - 1 }),
        ({ nodes, state, mode, minTaskNodes }, round) => {
          const obs = observe(nodes, state, { mode, minTaskNodes });
          const v = confirm(obs, round, 0);
          if (v.verdict !== 'confirmed') return;
          // Only legacy mode has a primary instance that can be gone; nothing else confirms on one look.
          expect(mode).toBe('legacy-primary');
          // The node observe judged: the one ready primary, else the presumed one.
          const ready = nodes.filter(
            (n) => n.ec2State === 'running' && n.probe?.ready && n.probe.role === 'primary',
          );
          const judged = ready.length === 1 ? ready[0] : presumedPrimary(nodes, state);
          expect(judged === undefined || condemned(judged)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('calls it a false alarm as soon as the primary is healthy, whatever came before', () => {
    fc.assert(
      fc.property(
        fc.option(id, { nil: undefined }),
        fc.nat({ max: MAX_CONFIRM_ROUNDS + 3 }),
        fc.nat({ max: 5 }),
        (primary, round, confirmations) => {
          expect(confirm({ kind: 'healthy', primary }, round, confirmations)).toMatchObject({
            verdict: 'false-alarm',
            primary,
          });
        },
      ),
      RUNS,
    );
  });

  const observation: fc.Arbitrary<Observation> = fc.oneof(
    fc.record({ kind: fc.constant('healthy' as const), primary: fc.option(id, { nil: undefined }) }),
    fc.record({
      kind: fc.constant('down' as const),
      primary: id,
      why: fc.constantFrom('target unhealthy behind the ALB and the node is unreachable'),
    }),
    fc.record({
      kind: fc.constant('mixed' as const),
      primary: id,
      why: fc.constant('target unhealthy behind the ALB but the node reports ready'),
    }),
  );

  it('always ends within MAX_CONFIRM_ROUNDS, confirming only after consecutive down rounds', () => {
    fc.assert(
      fc.property(
        fc.array(observation, { minLength: MAX_CONFIRM_ROUNDS, maxLength: MAX_CONFIRM_ROUNDS }),
        (rounds) => {
          let confirmations = 0;
          let verdict: Verdict | undefined;
          let round = 0;
          for (; round < rounds.length; round++) {
            verdict = confirm(rounds[round] as Observation, round, confirmations);
            if (verdict.verdict !== 'wait') break;
            confirmations = verdict.confirmations;
          }
          expect(round).toBeLessThan(MAX_CONFIRM_ROUNDS);
          expect(verdict?.verdict).not.toBe('wait');
          if (verdict?.verdict === 'confirmed') {
            const lastRounds = rounds.slice(round + 1 - CONFIRMATIONS_REQUIRED, round + 1);
            expect(lastRounds).toHaveLength(CONFIRMATIONS_REQUIRED);
            expect(lastRounds.every((o) => o.kind === 'down')).toBe(true);
          }
        },
      ),
      RUNS,
    );
  });

  it('confirms at once when the primary’s instance is terminated, and reports a split as is', () => {
    const cfg = { mode: 'legacy-primary' as const, minTaskNodes: 1 };
    const stopped = observe(
      world({ ec2State: 'stopped', target: 'unused', probe: UNREACHABLE }),
      undefined,
      cfg,
    );
    expect(confirm(stopped, 0, 0)).toMatchObject({ verdict: 'confirmed', primary: 'i-0000000000000000a' });
    const gone = observe(
      world({ ec2State: 'terminated', target: 'absent', probe: UNREACHABLE }),
      undefined,
      cfg,
    );
    expect(confirm(gone, 0, 0)).toMatchObject({ verdict: 'confirmed', primary: undefined });
    const hung = observe(world({ target: 'unhealthy', probe: UNREACHABLE }), undefined, cfg);
    expect(confirm(hung, 0, 0)).toMatchObject({ verdict: 'wait', confirmations: 1 });
    expect(confirm(hung, 1, 1)).toMatchObject({ verdict: 'confirmed' });
    expect(confirm({ kind: 'split', primaries: ['a', 'b'] }, 0, 0)).toEqual({
      verdict: 'split',
      primaries: ['a', 'b'],
    });
  });

  it('does not confirm a cloud-native shortfall of task nodes from one look (a restarting node)', () => {
    const nodes = [member('i-0000000000000000b', 'eu-west-1b', { taskAffinity: 'any', ready: false })];
    const obs = observe(nodes, undefined, { mode: 'cloud-native', minTaskNodes: 1 });
    expect(confirm(obs, 0, 0)).toMatchObject({ verdict: 'wait', confirmations: 1 });
    expect(confirm(obs, 1, 1)).toMatchObject({ verdict: 'confirmed' });
  });
});

// --- plan -------------------------------------------------------------------------------------------------

describe('plan', () => {
  const legacy = { mode: 'legacy-primary' as const, minTaskNodes: 1 };

  it('keeps the recorded primary on a split and demotes the others', () => {
    const split = ['i-0000000000000000a', 'i-0000000000000000d'];
    const nodes = world({}, [member('i-0000000000000000d', 'eu-west-1c', { role: 'primary' })]);
    expect(plan(nodes, { epoch: 4, primary: 'i-0000000000000000d' }, { ...legacy, split })).toMatchObject({
      action: 'demote',
      keep: 'i-0000000000000000d',
      demote: ['i-0000000000000000a'],
    });
    // No recorded primary among them: the primary group's instance stays.
    expect(plan(nodes, { epoch: 4, primary: 'i-0000000000000000f' }, { ...legacy, split })).toMatchObject({
      action: 'demote',
      keep: 'i-0000000000000000a',
      demote: ['i-0000000000000000d'],
    });
    // Neither: the lowest id, deterministically.
    const bothMembers = nodes.map((n) => ({ ...n, group: 'member' as const }));
    expect(plan(bothMembers, undefined, { ...legacy, split: [...split].reverse() })).toMatchObject({
      keep: 'i-0000000000000000a',
      demote: ['i-0000000000000000d'],
    });
  });

  it('promotes a member of another AZ first, never the failed primary', () => {
    const nodes = world({ target: 'unhealthy', probe: UNREACHABLE });
    const p = plan(nodes, undefined, { ...legacy, failedPrimary: 'i-0000000000000000a' });
    expect(p).toMatchObject({
      action: 'promote',
      candidates: ['i-0000000000000000b', 'i-0000000000000000c'],
      needed: 1,
      failedPrimary: 'i-0000000000000000a',
      failedAz: 'eu-west-1a',
      failedPrimaryReachable: false,
    });
    // A hung primary that still answers SSM is stopped before anything else.
    const hung = world({ target: 'unhealthy', probe: { ...UNREACHABLE, reachable: true } });
    expect(plan(hung, undefined, { ...legacy, failedPrimary: 'i-0000000000000000a' })).toMatchObject({
      failedPrimaryReachable: true,
    });
  });

  it('takes a requested eligible candidate as the only one', () => {
    const nodes = world({ target: 'unhealthy', probe: UNREACHABLE });
    expect(
      plan(nodes, undefined, {
        ...legacy,
        failedPrimary: 'i-0000000000000000a',
        candidate: 'i-0000000000000000c',
      }),
    ).toMatchObject({ action: 'promote', candidates: ['i-0000000000000000c'] });
  });

  it.each([
    ['unknown to the cluster', 'i-0000000000000000f', 'is not an instance of the cluster'],
    ['the failed primary', 'i-0000000000000000a', 'is the primary being replaced'],
    ['not ready', 'i-0000000000000000d', 'is not ready'],
    ['out of service', 'i-0000000000000000e', 'not InService/Healthy'],
  ])('refuses a requested candidate that is %s with CandidateError naming why', (_what, candidate, why) => {
    const nodes = world({ target: 'unhealthy', probe: UNREACHABLE }, [
      member('i-0000000000000000d', 'eu-west-1c', { ready: false }),
      { ...member('i-0000000000000000e', 'eu-west-1c'), lifecycleState: 'Standby' },
    ]);
    const attempt = () =>
      plan(nodes, undefined, { ...legacy, failedPrimary: 'i-0000000000000000a', candidate });
    expect(attempt).toThrow(CandidateError);
    expect(attempt).toThrow(why);
    try {
      attempt();
    } catch (err) {
      expect((err as Error).name).toBe('CandidateRejected');
    }
  });

  it('escalates when no member is eligible', () => {
    const nodes = world({ target: 'unhealthy', probe: UNREACHABLE }).map((n) =>
      n.group === 'member' ? { ...n, target: 'unhealthy' } : n,
    );
    expect(plan(nodes, undefined, { ...legacy, failedPrimary: 'i-0000000000000000a' })).toMatchObject({
      action: 'escalate',
    });
  });

  it('in cloud-native mode asks for the missing task nodes only, among nodes that do not run tasks yet', () => {
    const nodes = [
      member('i-0000000000000000b', 'eu-west-1b', { taskAffinity: 'any' }),
      member('i-0000000000000000c', 'eu-west-1a'),
      member('i-0000000000000000d', 'eu-west-1c'),
      member('i-0000000000000000e', 'eu-west-1c', { taskAffinity: 'any', ready: false }),
    ];
    const native = { mode: 'cloud-native' as const };
    expect(plan(nodes, undefined, { ...native, minTaskNodes: 3 })).toMatchObject({
      action: 'promote',
      needed: 2,
      candidates: ['i-0000000000000000c', 'i-0000000000000000d'],
    });
    expect(plan(nodes, undefined, { ...native, minTaskNodes: 1 })).toMatchObject({ action: 'none' });
    expect(() =>
      plan(nodes, undefined, { ...native, minTaskNodes: 2, candidate: 'i-0000000000000000b' }),
    ).toThrow('already runs cluster tasks');
  });
});

// --- node-bootstrap's claim -------------------------------------------------------------------------------

describe('fenceInForce', () => {
  const fenced = (fencedAt: number): ClusterState => ({ epoch: 3, phase: 'fenced', owner: 'x', fencedAt });
  it('follows the fencing execution when its status is known, however old the fence; its age only when not', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 * STALE_FENCE_MS }),
        fc.option(fc.boolean(), { nil: undefined }),
        (age, running) => {
          const inForce = fenceInForce(fenced(NOON - age), NOON, running);
          expect(inForce).toBe(running ?? age < STALE_FENCE_MS);
        },
      ),
    );
  });
  it('never holds without a fence, and always holds when the time is unknown and the status too', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(undefined, 'committed', 'claimed', 'escalated' as const),
        fc.option(fc.boolean(), { nil: undefined }),
        (phase, running) => {
          expect(fenceInForce({ epoch: 1, ...(phase ? { phase } : {}) }, NOON, running)).toBe(false);
        },
      ),
    );
    expect(fenceInForce(fenced(0), undefined, undefined)).toBe(true);
  });
  it('outlasts primary-failover’s own timeout when it must fall back on age', () => {
    const asl = JSON.parse(
      readFileSync(path.join(__dirname, '../../../statemachines/primary-failover.asl.json'), 'utf8'),
    ) as { TimeoutSeconds: number };
    expect(STALE_FENCE_MS).toBeGreaterThan(asl.TimeoutSeconds * 1000);
  });
});

describe('bootstrapRole', () => {
  const ME = 'i-00000000000000011';
  const claimInput = fc.record({
    state: clusterState,
    recordedPrimaryRunning: fc.boolean(),
    now: fc.integer({ min: NOON - STALE_FENCE_MS, max: NOON + STALE_FENCE_MS }),
    mode,
    groupRole: fc.constantFrom<'primary' | 'member'>('primary', 'member'),
  });
  /** The claim that matters: a launching node of the legacy primary group. */
  const primaryGroupClaim = claimInput.map((i) => ({
    ...i,
    mode: 'legacy-primary' as const,
    groupRole: 'primary' as const,
  }));

  it('never grants the primary role while a fresh fence exists', () => {
    fc.assert(
      fc.property(primaryGroupClaim, fc.integer({ min: 0, max: STALE_FENCE_MS - 1 }), (i, age) => {
        const state: ClusterState = { ...(i.state ?? { epoch: 1 }), phase: 'fenced', fencedAt: i.now - age };
        const r = bootstrapRole({ instanceId: ME, ...i }, state, i.now);
        expect(r.role).not.toBe('primary');
        expect(r.claim).toBe(false);
      }),
      RUNS,
    );
  });

  it('never grants the primary role while another live recorded primary exists', () => {
    fc.assert(
      fc.property(primaryGroupClaim, fc.constantFrom(...IDS.slice(0, 7)), (i, other) => {
        fc.pre(i.state?.phase !== 'escalated');
        const state: ClusterState = { ...(i.state ?? { epoch: 1 }), primary: other };
        const r = bootstrapRole({ instanceId: ME, ...i, recordedPrimaryRunning: true }, state, i.now);
        expect(r.role).not.toBe('primary');
        expect(r.claim).toBe(false);
      }),
      RUNS,
    );
  });

  it('never grants the primary role beside a live instance of the primary group when no primary is recorded', () => {
    fc.assert(
      fc.property(primaryGroupClaim, (i) => {
        const state: ClusterState | undefined = i.state ? { ...i.state, primary: undefined } : undefined;
        const r = bootstrapRole({ instanceId: ME, ...i, livePeerInPrimaryGroup: true }, state, i.now);
        expect(r.role).toBe('member');
        expect(r.claim).toBe(false);
      }),
      RUNS,
    );
    // Alone in its group (a fresh cluster, or the old primary dead), it claims.
    expect(
      bootstrapRole(
        {
          instanceId: ME,
          groupRole: 'primary',
          mode: 'legacy-primary',
          recordedPrimaryRunning: false,
          livePeerInPrimaryGroup: false,
        },
        undefined,
        NOON,
      ).role,
    ).toBe('primary');
  });

  it('asks again exactly when the one obstacle is a live peer Auto Scaling is replacing, and never claims beside it', () => {
    fc.assert(
      fc.property(
        claimInput,
        fc.boolean(),
        fc.boolean(),
        fc.option(fc.constantFrom(...IDS.slice(0, 3)), { nil: undefined }),
        (i, livePeer, leaving, quarantined) => {
          const state: ClusterState | undefined = i.state ? { ...i.state, primary: undefined } : undefined;
          const r = bootstrapRole(
            {
              instanceId: ME,
              ...i,
              livePeerInPrimaryGroup: livePeer,
              livePeersLeaving: leaving,
              quarantinedLive: quarantined ? [quarantined] : [],
            },
            state,
            i.now,
          );
          const onlyObstacle =
            i.mode === 'legacy-primary' &&
            i.groupRole === 'primary' &&
            !fenceInForce(state, i.now, undefined) &&
            quarantined === undefined &&
            livePeer &&
            leaving;
          expect(r.askAgain).toBe(onlyObstacle);
          if (r.askAgain) expect(r).toMatchObject({ role: 'member', claim: false });
          if (livePeer && i.mode === 'legacy-primary' && i.groupRole === 'primary')
            expect(r.role).toBe('member');
        },
      ),
      RUNS,
    );
    // With a primary recorded, a leaving peer is no reason to ask again: the census sees a member housed in
    // the primary group instead of the recorded primary, and the reconciler acts.
    expect(
      bootstrapRole(
        {
          instanceId: ME,
          groupRole: 'primary',
          mode: 'legacy-primary',
          recordedPrimaryRunning: true,
          livePeerInPrimaryGroup: true,
          livePeersLeaving: true,
        },
        { epoch: 3, phase: 'committed', primary: 'i-0000000000000000a' },
        NOON,
      ),
    ).toMatchObject({ role: 'member', claim: false, askAgain: false });
  });

  it('claims only for the primary group in legacy mode, and then exactly when it becomes the primary', () => {
    fc.assert(
      fc.property(claimInput, (i) => {
        const r = bootstrapRole({ instanceId: ME, ...i }, i.state, i.now);
        expect(r.claim).toBe(
          r.role === 'primary' && i.mode === 'legacy-primary' && i.groupRole === 'primary',
        );
        if (i.mode === 'cloud-native' || i.groupRole === 'member') expect(r.role).toBe(i.groupRole);
      }),
      RUNS,
    );
  });

  it('claims on a fresh cluster, after a stale fence, after an escalation, or over a dead recorded primary', () => {
    const input = { instanceId: ME, groupRole: 'primary' as const, mode: 'legacy-primary' as const };
    expect(bootstrapRole({ ...input, recordedPrimaryRunning: false }, undefined, NOON)).toMatchObject({
      role: 'primary',
      claim: true,
    });
    const staleFence: ClusterState = {
      epoch: 5,
      phase: 'fenced',
      fencedAt: NOON - STALE_FENCE_MS,
      primary: 'i-0000000000000000a',
    };
    expect(bootstrapRole({ ...input, recordedPrimaryRunning: false }, staleFence, NOON).claim).toBe(true);
    expect(bootstrapRole({ ...input, recordedPrimaryRunning: true }, staleFence, NOON).claim).toBe(false);
    const escalated: ClusterState = { epoch: 5, phase: 'escalated', primary: 'i-0000000000000000a' };
    expect(bootstrapRole({ ...input, recordedPrimaryRunning: true }, escalated, NOON).claim).toBe(true);
    const committed: ClusterState = { epoch: 5, phase: 'committed', primary: 'i-0000000000000000a' };
    expect(bootstrapRole({ ...input, recordedPrimaryRunning: false }, committed, NOON).claim).toBe(true);
    // Its own recorded role (a retried bootstrap) is claimed again.
    expect(
      bootstrapRole({ ...input, recordedPrimaryRunning: true }, { ...committed, primary: ME }, NOON).claim,
    ).toBe(true);
  });
});

// --- the reconciler's census ------------------------------------------------------------------------------

describe('primaryCensus', () => {
  const P = 'i-0000000000000000a';
  const M = 'i-0000000000000000b';
  const R = 'i-0000000000000000c';
  const inService = (x: string) => ({ id: x, state: 'InService' });

  it.each<[string, Parameters<typeof primaryCensus>[0], ClusterState | undefined, 'ok' | 'zero' | 'two']>([
    ['one primary', { primary: [inService(P)], member: [inService(M)] }, { epoch: 1, primary: P }, 'ok'],
    ['a fresh cluster with its primary', { primary: [inService(P)], member: [] }, undefined, 'ok'],
    ['an empty primary group', { primary: [], member: [inService(M)] }, { epoch: 1, primary: P }, 'zero'],
    [
      'only a terminating primary',
      { primary: [{ id: P, state: 'Terminating:Wait' }], member: [inService(M)] },
      undefined,
      'zero',
    ],
    [
      'a replacement launching',
      { primary: [{ id: R, state: 'Pending:Wait' }], member: [inService(M)] },
      undefined,
      'ok',
    ],
    ['two in the primary group', { primary: [inService(P), inService(R)], member: [] }, undefined, 'two'],
    [
      'the recorded primary in the member group and another in the primary group',
      { primary: [inService(R)], member: [inService(M)] },
      { epoch: 2, phase: 'committed', primary: M },
      'two',
    ],
    [
      'the recorded primary in the member group, the primary group empty (swap pending)',
      { primary: [], member: [inService(M)] },
      { epoch: 2, phase: 'committed', primary: M },
      'ok',
    ],
    [
      'an escalated election whose recorded primary is a member',
      { primary: [inService(R)], member: [inService(M)] },
      { epoch: 2, phase: 'escalated', primary: M },
      'ok',
    ],
    [
      'a member-joined instance in the primary group while the recorded primary is in no group',
      { primary: [inService(R)], member: [inService(M)] },
      { epoch: 3, phase: 'committed', primary: P },
      'zero',
    ],
    [
      'the recorded primary housed in the primary group',
      { primary: [inService(P)], member: [inService(M)] },
      { epoch: 3, phase: 'claimed', primary: P },
      'ok',
    ],
    [
      'an election under way',
      { primary: [], member: [inService(M)] },
      { epoch: 2, phase: 'fenced', fencedAt: NOON - MIN },
      'ok',
    ],
  ])('%s', (_what, groups, state, kind) => {
    expect(primaryCensus(groups, state, NOON).kind).toBe(kind);
  });

  it('does not let an abandoned fence (older than the lock’s TTL) hide a missing primary forever', () => {
    const abandoned: ClusterState = { epoch: 2, phase: 'fenced', fencedAt: NOON - STALE_FENCE_MS - 1 };
    expect(primaryCensus({ primary: [], member: [inService(M)] }, abandoned, NOON).kind).toBe('zero');
  });
});

// --- names and probes -------------------------------------------------------------------------------------

describe('failoverExecutionName', () => {
  it('is deterministic, at most 80 characters of Step Functions’ allowed set', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('alarm', 'drain', 'reconciler', 'replacement') as fc.Arbitrary<
          Exclude<FailoverTrigger, 'manual'>
        >,
        fc.string({ maxLength: 120 }),
        (trigger, key) => {
          const name = failoverExecutionName(trigger, key);
          expect(name).toBe(failoverExecutionName(trigger, key));
          expect(name.length).toBeLessThanOrEqual(80);
          expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
          expect(name.startsWith(`primary-failover-${trigger}-`)).toBe(true);
        },
      ),
      RUNS,
    );
  });
});

describe('parseProbe', () => {
  it('never reports ready from output that is not the probe’s JSON with ready: true', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.constant(undefined)), (stdout) => {
        const p = parseProbe(stdout);
        expect(p.reachable).toBe(true);
        expect([null, 'primary', 'member']).toContain(p.role);
        expect([null, 'any', 'none']).toContain(p.taskAffinity);
        if (p.ready) {
          const last = JSON.parse((stdout ?? '').trim().split('\n').pop() ?? '') as { ready?: unknown };
          expect(last.ready).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it.each([
    [undefined],
    [''],
    ['Artifactory is starting'],
    ['null'],
    ['[true]'],
    ['{"ready":"true","role":"primary"}'],
    ['{"ready":1}'],
    ['{"ready":true'],
  ])('reads %p as not ready', (stdout) => {
    expect(parseProbe(stdout).ready).toBe(false);
  });

  it('reads the last line of a good report', () => {
    expect(parseProbe('curl: warming up\n{"ready":true,"role":"primary","taskAffinity":"any"}\n')).toEqual({
      reachable: true,
      ready: true,
      role: 'primary',
      taskAffinity: 'any',
    });
    expect(parseProbe('{"ready":true,"role":"boss","taskAffinity":"some"}')).toEqual({
      reachable: true,
      ready: true,
      role: null,
      taskAffinity: null,
    });
  });
});

describe('the workflow and the core agree on the confirmation bound', () => {
  it("primary-failover-confirm's ConfirmRoundsLeft guard stops at MAX_CONFIRM_ROUNDS", () => {
    const asl = JSON.parse(
      readFileSync(path.join(__dirname, '../../../statemachines/primary-failover-confirm.asl.json'), 'utf8'),
    ) as { States: Record<string, { Choices?: { NumericGreaterThanEquals?: number }[] }> };
    expect(asl.States.ConfirmRoundsLeft?.Choices?.[0]?.NumericGreaterThanEquals).toBe(MAX_CONFIRM_ROUNDS);
    expect((asl.States.WaitToConfirm as { Seconds?: number } | undefined)?.Seconds).toBe(
      CONFIRM_INTERVAL_SECONDS,
    );
  });
});

// --- an interrupted election: the unhoused primary and the orphaned candidate ---------------------------

describe('an interrupted election (unhoused primary, orphaned candidate)', () => {
  const legacy = { mode: 'legacy-primary' as const, minTaskNodes: 1 };
  const ORPHAN = 'i-0000000000000000d';
  const TARGETS = ['healthy', 'unhealthy', 'initial', 'draining', 'unused', 'absent'] as const;

  /** A node outside both groups as the snapshot builds it (no lifecycle, no ALB target), in some condition. */
  function outside(instanceId: string, p: Partial<Probe> = {}, n: Partial<NodeObservation> = {}) {
    return {
      instanceId,
      group: 'none',
      az: 'eu-west-1c',
      lifecycleState: 'none',
      health: 'Healthy',
      target: 'absent',
      ec2State: 'running',
      probe: { reachable: true, ready: true, role: 'member', taskAffinity: 'none', ...p },
      ...n,
    } satisfies NodeObservation;
  }

  /** An orphan (or an unhoused primary, flip `role`) unless one field was flipped. */
  const nearlyOrphanNode = (instanceId: fc.Arbitrary<string>) =>
    fc
      .record({
        instanceId,
        az,
        target: fc.constantFrom(...TARGETS),
        lifecycleState: fc.constantFrom('none', 'Detaching', 'InService'),
        health: fc.constantFrom<'Healthy' | 'Unhealthy'>('Healthy', 'Unhealthy'),
        taskAffinity: fc.constantFrom<'any' | 'none' | null>('any', 'none', null),
        flip: fc.constantFrom('none', 'none', 'ec2', 'reachable', 'ready', 'role', 'role'),
      })
      .map(
        ({ flip, taskAffinity, ...n }): NodeObservation => ({
          ...n,
          group: 'none',
          ec2State: flip === 'ec2' ? 'stopped' : 'running',
          probe: {
            reachable: flip !== 'reachable',
            ready: flip !== 'ready' && flip !== 'reachable',
            role: flip === 'role' ? 'primary' : 'member',
            taskAffinity,
          },
        }),
      );
  /** Clusters where orphans and unhoused primaries are common. */
  const mixedCluster = fc.uniqueArray(fc.oneof(anyNode(id), nearlyEligibleNode(id), nearlyOrphanNode(id)), {
    selector: (n) => n.instanceId,
    maxLength: IDS.length,
  });
  const servingPrimaries = (nodes: readonly NodeObservation[]) =>
    nodes.filter((n) => n.ec2State === 'running' && n.probe?.ready === true && n.probe.role === 'primary');
  const isOrphan = (n: NodeObservation, excluded: ReadonlySet<string>) =>
    !excluded.has(n.instanceId) &&
    n.group === 'none' &&
    n.ec2State === 'running' &&
    n.probe?.reachable === true &&
    n.probe.ready === true &&
    n.probe.role !== 'primary';

  describe('observe and confirm', () => {
    it.each(TARGETS)(
      'reports the one ready primary outside the groups as unhoused whatever its ALB target (%s)',
      (target) => {
        // The election stopped the old primary, promoted the candidate and died before the group move.
        const nodes = world({ ec2State: 'stopped', target: 'unused', probe: UNREACHABLE }, [
          outside(ORPHAN, { role: 'primary' }, { target }),
        ]);
        const obs = observe(nodes, { epoch: 3, primary: 'i-0000000000000000a', phase: 'fenced' }, legacy);
        expect(obs).toEqual({ kind: 'unhoused', primary: ORPHAN, why: expect.stringContaining(ORPHAN) });
        // Adopted at once: no confirmation rounds for a node that is fine.
        expect(confirm(obs, 0, 0)).toEqual({
          verdict: 'adopt',
          primary: ORPHAN,
          why: (obs as { why: string }).why,
        });
      },
    );

    it('is unhoused exactly when the one serving primary is outside the groups, and then adopts at once', () => {
      fc.assert(
        fc.property(
          mixedCluster,
          clusterState,
          fc.nat({ max: MAX_CONFIRM_ROUNDS + 2 }),
          fc.nat({ max: 5 }),
          (nodes, state, round, confirmations) => {
            const obs = observe(nodes, state, legacy);
            const primaries = servingPrimaries(nodes);
            const unhoused = primaries.length === 1 && primaries[0]?.group === 'none';
            expect(obs.kind === 'unhoused').toBe(unhoused);
            if (obs.kind !== 'unhoused') return;
            expect(obs.primary).toBe(primaries[0]?.instanceId);
            for (const [r, c] of [
              [0, 0],
              [round, confirmations],
            ] as const) {
              expect(confirm(obs, r, c)).toEqual({ verdict: 'adopt', primary: obs.primary, why: obs.why });
            }
          },
        ),
        RUNS,
      );
    });

    it('never reports unhoused in cloud-native mode, and a second ready primary makes it a split', () => {
      const nodes = world({}, [outside(ORPHAN, { role: 'primary' })]);
      expect(observe(nodes, undefined, legacy)).toEqual({
        kind: 'split',
        primaries: ['i-0000000000000000a', ORPHAN],
      });
      fc.assert(
        fc.property(
          mixedCluster,
          clusterState,
          fc.integer({ min: 1, max: 3 }),
          (nodes, state, minTaskNodes) => {
            expect(observe(nodes, state, { mode: 'cloud-native', minTaskNodes }).kind).not.toBe('unhoused');
          },
        ),
        RUNS,
      );
    });

    it('does not call a ready primary in a group unhoused (a member-group primary is healthy behind the ALB)', () => {
      const nodes = world({ ec2State: 'terminated', target: 'absent', probe: UNREACHABLE }, [
        member(ORPHAN, 'eu-west-1c', { role: 'primary' }),
      ]);
      expect(observe(nodes, undefined, legacy)).toEqual({ kind: 'healthy', primary: ORPHAN });
    });
  });

  describe('plan', () => {
    it('adopts the unhoused primary: only it, only the group move, nothing failed, nothing to stop', () => {
      fc.assert(
        fc.property(
          mixedCluster,
          clusterState,
          id,
          fc.integer({ min: 1, max: 3 }),
          (nodes, state, adopt, n) => {
            const p = plan(nodes, state, { mode: 'legacy-primary', minTaskNodes: n, adopt });
            expect(p).toMatchObject({
              action: 'promote',
              mode: 'legacy-primary',
              candidates: [adopt],
              candidateSteps: ['adopt'],
              needed: 1,
              failedPrimaryReachable: false,
            });
            if (p.action !== 'promote') throw new Error('unreachable');
            expect(p.failedPrimary).toBeUndefined();
            expect(p.failedAz).toBeUndefined();
            // The old primary is not stopped or marked unhealthy; the adopted one is not promoted again.
            expect(p.steps.join('; ')).not.toMatch(/stop Artifactory|mark .* unhealthy|primary: true/);
            expect(p.steps.join('; ')).toContain(`move ${adopt} into the primary group`);
          },
        ),
        RUNS,
      );
    });

    it('gives every candidate its step: detach-promote for a member, promote for an orphan or in cloud-native', () => {
      fc.assert(
        fc.property(
          mixedCluster,
          clusterState,
          mode,
          fc.option(id, { nil: undefined }),
          fc.option(id, { nil: undefined }),
          fc.integer({ min: 1, max: 3 }),
          (nodes, state, mode, failedPrimary, candidate, minTaskNodes) => {
            let p: ReturnType<typeof plan>;
            try {
              p = plan(nodes, state, { mode, minTaskNodes, failedPrimary, candidate });
            } catch (err) {
              expect(err).toBeInstanceOf(CandidateError);
              return;
            }
            if (p.action !== 'promote') return;
            expect(p.candidateSteps).toHaveLength(p.candidates.length);
            p.candidates.forEach((c, i) => {
              const group = nodes.find((n) => n.instanceId === c)?.group;
              const expected =
                mode === 'cloud-native' ? 'promote' : group === 'member' ? 'detach-promote' : 'promote';
              expect(p.candidateSteps[i]).toBe(expected);
              // Whatever the mode, a candidate is a member or an orphan, never a node of the primary group.
              expect(group === 'member' || group === 'none').toBe(true);
            });
          },
        ),
        RUNS,
      );
    });

    it('orders an orphan first and promotes it without a detach; members after it are detached', () => {
      // The orphan sits in the failed primary's AZ and has the highest id: it still comes first.
      const nodes = world({ target: 'unhealthy', probe: UNREACHABLE }, [
        outside('i-00000000000000011', {}, { az: 'eu-west-1a' }),
      ]);
      expect(plan(nodes, undefined, { ...legacy, failedPrimary: 'i-0000000000000000a' })).toMatchObject({
        action: 'promote',
        candidates: ['i-00000000000000011', 'i-0000000000000000b', 'i-0000000000000000c'],
        candidateSteps: ['promote', 'detach-promote', 'detach-promote'],
      });
      const native = plan(nodes, undefined, { mode: 'cloud-native', minTaskNodes: 2 });
      expect(native).toMatchObject({ action: 'promote', candidateSteps: ['promote', 'promote', 'promote'] });
    });

    it('accepts a requested orphan (a promote step), and refuses a requested node outside the groups that is not ready', () => {
      const nodes = world({ target: 'unhealthy', probe: UNREACHABLE }, [
        outside(ORPHAN),
        outside('i-0000000000000000e', { ready: false }),
        outside('i-0000000000000000f', { role: 'primary' }),
      ]);
      const failedPrimary = 'i-0000000000000000a';
      expect(plan(nodes, undefined, { ...legacy, failedPrimary, candidate: ORPHAN })).toMatchObject({
        action: 'promote',
        candidates: [ORPHAN],
        candidateSteps: ['promote'],
      });
      for (const candidate of ['i-0000000000000000e', 'i-0000000000000000f']) {
        expect(() => plan(nodes, undefined, { ...legacy, failedPrimary, candidate })).toThrow(CandidateError);
        expect(() => plan(nodes, undefined, { ...legacy, failedPrimary, candidate })).toThrow(
          'outside the groups',
        );
      }
    });
  });

  describe('eligible and chooseCandidates', () => {
    it('takes an orphan as eligible without the ALB or Auto Scaling (target absent, lifecycle none)', () => {
      const orphan = outside(ORPHAN);
      expect(orphan).toMatchObject({ target: 'absent', lifecycleState: 'none' });
      expect(eligible(orphan, new Set())).toBe(true);
      expect(eligible({ ...orphan, health: 'Unhealthy', target: 'draining' }, new Set())).toBe(true);
      expect(eligible(orphan, new Set([ORPHAN]))).toBe(false);
      expect(eligible(outside(ORPHAN, { ready: false }), new Set())).toBe(false);
      expect(eligible(outside(ORPHAN, { reachable: false }), new Set())).toBe(false);
      expect(eligible(outside(ORPHAN, { role: 'primary' }), new Set())).toBe(false);
      expect(eligible(outside(ORPHAN, {}, { ec2State: 'stopped' }), new Set())).toBe(false);
      expect(eligible(outside(ORPHAN, {}, { probe: undefined }), new Set())).toBe(false);
      // The same relaxed node inside the member group is not eligible: there the ALB and Auto Scaling count.
      expect(eligible({ ...orphan, group: 'member' }, new Set())).toBe(false);
    });

    it('finds a node outside the groups eligible exactly when it runs, answers ready and is no primary', () => {
      fc.assert(
        fc.property(
          fc.oneof(anyNode(id), nearlyOrphanNode(id)).map((n) => ({ ...n, group: 'none' as const })),
          fc.uniqueArray(id, { maxLength: 2 }),
          (n, exclude) => {
            const excluded = new Set(exclude);
            expect(eligible(n, excluded)).toBe(isOrphan(n, excluded));
          },
        ),
        RUNS,
      );
    });

    it('puts every orphan before every member-group candidate, taking as many orphans as fit', () => {
      fc.assert(
        fc.property(
          mixedCluster,
          fc.option(id, { nil: undefined }),
          fc.option(az, { nil: undefined }),
          mode,
          (nodes, failedPrimary, failedAz, mode) => {
            const exclude = failedPrimary ? [failedPrimary] : [];
            const chosen = chooseCandidates(nodes, { failedAz, exclude, mode });
            const groups = chosen.map((c) => nodes.find((n) => n.instanceId === c)?.group);
            const firstMember = groups.indexOf('member');
            if (firstMember >= 0) expect(groups.slice(firstMember).every((g) => g === 'member')).toBe(true);
            const orphans = nodes.filter(
              (n) =>
                isOrphan(n, new Set(exclude)) &&
                (mode === 'legacy-primary' || n.probe?.taskAffinity !== 'any'),
            );
            expect(groups.filter((g) => g === 'none')).toHaveLength(Math.min(orphans.length, MAX_CANDIDATES));
          },
        ),
        RUNS,
      );
    });
  });

  describe('the gate and the budget', () => {
    it('gates a repair like an election: refused in the cooldown unless a manual run forces it', () => {
      const s: GateSettings = { cooldownMs: 60 * MIN, dailyBudget: 10, automationEnabled: true };
      const record: GateRecord = { lastElectionAt: NOON - MIN, day: '2026-03-10', count: 1 };
      // gateDecision has no notion of a repair: the run is judged by its trigger alone.
      expect(
        gateDecision({ trigger: 'reconciler', planned: false, force: false }, record, s, NOON),
      ).toMatchObject({
        allow: false,
        rule: 'cooldown',
      });
      expect(gateDecision({ trigger: 'manual', planned: false, force: true }, record, s, NOON).allow).toBe(
        true,
      );
    });

    const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);

    it('recordElection starts the cooldown always, counts only automatic elections, per UTC day', () => {
      fc.assert(
        fc.property(
          fc.option(
            fc.record<GateRecord>({
              lastElectionAt: fc.option(fc.integer({ min: NOON - 2 * DAY, max: NOON }), { nil: undefined }),
              day: fc.constantFrom('2026-03-08', '2026-03-09', '2026-03-10', '2026-03-11', undefined),
              count: fc.option(fc.nat({ max: 9 }), { nil: undefined }),
            }),
            { nil: undefined },
          ),
          fc.integer({ min: NOON - DAY, max: NOON + DAY }),
          fc.constantFrom(true, false, undefined),
          (record, now, automatic) => {
            const r =
              automatic === undefined ? recordElection(record, now) : recordElection(record, now, automatic);
            const used = record?.day === dayOf(now) ? (record.count ?? 0) : 0;
            expect(r).toEqual({
              lastElectionAt: now,
              day: dayOf(now),
              // The default is an automatic election.
              count: automatic === false ? used : used + 1,
            });
          },
        ),
        RUNS,
      );
    });

    it('spends the daily budget on automatic elections only, over a sequence across UTC days', () => {
      fc.assert(
        fc.property(
          fc.array(fc.record({ gap: fc.integer({ min: 1, max: 20 * 3_600_000 }), automatic: fc.boolean() }), {
            minLength: 1,
            maxLength: 12,
          }),
          (elections) => {
            let at = Date.UTC(2026, 2, 10, 0, 30);
            let record: GateRecord | undefined;
            const done: { at: number; automatic: boolean }[] = [];
            for (const { gap, automatic } of elections) {
              at += gap;
              done.push({ at, automatic });
              record = recordElection(record, at, automatic);
            }
            const automaticToday = done.filter((e) => e.automatic && dayOf(e.at) === dayOf(at)).length;
            expect(record).toEqual({ lastElectionAt: at, day: dayOf(at), count: automaticToday });
          },
        ),
        RUNS,
      );
    });
  });
});

describe('observe: a presumed primary that answers as a member', () => {
  const node = (over: Partial<NodeObservation>): NodeObservation => ({
    instanceId: 'i-0000000000000000a',
    group: 'primary',
    az: 'eu-west-1a',
    lifecycleState: 'InService',
    health: 'Healthy',
    target: 'healthy',
    ec2State: 'running',
    probe: { reachable: true, ready: true, role: 'member', taskAffinity: null },
    ...over,
  });
  const settings = { mode: 'legacy-primary' as const, minTaskNodes: 2 };

  it('is down (the cluster has no primary), even healthy behind the ALB', () => {
    const obs = observe([node({})], { epoch: 3, primary: 'i-0000000000000000f' }, settings);
    expect(obs).toMatchObject({ kind: 'down', primary: 'i-0000000000000000a' });
    // Not confirmed from one look: a restarting node could answer as a member for a moment.
    expect(confirm(obs, 0, 0).verdict).toBe('wait');
    expect(confirm(obs, 1, 1).verdict).toBe('confirmed');
  });

  it('stays healthy when it answers as the primary', () => {
    const primary = node({ probe: { reachable: true, ready: true, role: 'primary', taskAffinity: null } });
    expect(observe([primary], undefined, settings).kind).toBe('healthy');
  });
});

describe('safety around an interrupted election', () => {
  const settings = { mode: 'legacy-primary' as const, minTaskNodes: 2 };
  const U = 'i-0000000000000000u';
  const M = 'i-0000000000000000b';
  const member = (id: string, over: Partial<NodeObservation> = {}): NodeObservation => ({
    instanceId: id,
    group: 'member',
    az: 'eu-west-1b',
    lifecycleState: 'InService',
    health: 'Healthy',
    target: 'healthy',
    ec2State: 'running',
    probe: { reachable: true, ready: true, role: 'member', taskAffinity: null },
    ...over,
  });
  const unhoused = (over: Partial<NodeObservation>) =>
    member(U, { group: 'none', lifecycleState: 'none', target: 'absent', probe: UNREACHABLE, ...over });

  it('does not call a recorded primary outside the groups down for its absence from the ALB alone', () => {
    const state = { epoch: 4, phase: 'committed' as const, primary: U };
    // Unreachable for SSM, but its host passes EC2's checks: it may still run as the primary.
    expect(observe([unhoused({ hostStatus: 'ok' }), member(M)], state, settings).kind).toBe('mixed');
    // Its host impaired: down.
    expect(observe([unhoused({ hostStatus: 'impaired' }), member(M)], state, settings).kind).toBe('down');
  });

  it('refuses a manual candidate while the recorded candidate of a dead run may be restarting', () => {
    const inFlux = unhoused({ probe: { reachable: true, ready: false, role: null, taskAffinity: null } });
    const state = { epoch: 4, phase: 'fenced' as const, candidate: U };
    expect(() => plan([inFlux, member(M)], state, { ...settings, candidate: M })).toThrow(CandidateError);
    expect(() => plan([inFlux, member(M)], state, { ...settings, candidate: M })).toThrow(
      /interrupted election/,
    );
    // Naming it, or leaving the choice to the plan, takes it over first.
    expect(plan([inFlux, member(M)], state, { ...settings, candidate: U })).toMatchObject({
      candidates: [U],
    });
    expect(plan([inFlux, member(M)], state, settings)).toMatchObject({
      candidates: [U, M],
      candidateSteps: ['promote', 'detach-promote'],
    });
  });

  it('never takes a member an operator is detaching as a candidate unless it is the recorded candidate', () => {
    const detaching = member(U, { lifecycleState: 'Detaching', target: 'draining' });
    expect(eligible(detaching, new Set())).toBe(false);
    expect(plan([detaching, member(M)], { epoch: 1 }, settings)).toMatchObject({ candidates: [M] });
    expect(plan([detaching, member(M)], { epoch: 1, candidate: U }, settings)).toMatchObject({
      candidates: [U, M],
    });
  });
});
