import fc from 'fast-check';
import { AUDIT_RETENTION_DAYS, alarmAuditPut, auditExpiry, auditPut } from '../../../functions/core/audit';
import { type ClusterState, type FailoverTrigger, toClusterState } from '../../../functions/core/failover';
import { type AssessRun, immediateVerdict } from '../../../functions/core/failover-assess';
import { type AssessedVerdict, decide, describePlan } from '../../../functions/core/failover-decide';
import {
  condemned,
  type NodeObservation,
  nodeObservation,
  type Probe,
  probeTargets,
  UNREACHABLE,
  withProbes,
} from '../../../functions/core/failover-observe';
import { CandidateError } from '../../../functions/core/failover-plan';
import { auditKey } from '../../../functions/core/keys';
import type { ClusterMode } from '../../../functions/core/lifecycle';

const NOON = Date.UTC(2026, 2, 10, 12);
const IDS = ['i-0000000000000000a', 'i-0000000000000000b', 'i-0000000000000000c', 'i-0000000000000000d'];
const [P, M1, M2] = IDS as [string, string, string];

const ready = (role: 'primary' | 'member', taskAffinity: 'any' | 'none' = 'none'): Probe => ({
  reachable: true,
  ready: true,
  role,
  taskAffinity,
});
const node = (instanceId: string, over: Partial<NodeObservation> = {}): NodeObservation => ({
  instanceId,
  group: 'member',
  az: 'eu-west-1a',
  lifecycleState: 'InService',
  health: 'Healthy',
  target: 'healthy',
  ec2State: 'running',
  hostStatus: 'ok',
  probe: ready('member'),
  ...over,
});

const id = fc.constantFrom(...IDS);
const anyNode = (instanceId: fc.Arbitrary<string>) =>
  fc.record<NodeObservation>({
    instanceId,
    group: fc.constantFrom('primary', 'member', 'none'),
    az: fc.constantFrom('eu-west-1a', 'eu-west-1b'),
    lifecycleState: fc.constantFrom('InService', 'Pending:Wait', 'Terminating:Wait', 'Detaching', 'none'),
    health: fc.constantFrom('Healthy', 'Unhealthy'),
    target: fc.constantFrom('healthy', 'unhealthy', 'draining', 'absent'),
    ec2State: fc.constantFrom('running', 'pending', 'stopped', 'terminated'),
    hostStatus: fc.constantFrom('ok', 'impaired', 'unknown'),
    probe: fc.option(
      fc.record<Probe>({
        reachable: fc.boolean(),
        ready: fc.boolean(),
        role: fc.constantFrom('primary', 'member', null),
        taskAffinity: fc.constantFrom('any', 'none', null),
      }),
      { nil: undefined },
    ),
  });
const cluster = fc.uniqueArray(anyNode(id), { selector: (n) => n.instanceId, maxLength: IDS.length });
const state: fc.Arbitrary<ClusterState | undefined> = fc.option(
  fc.record<ClusterState>(
    {
      epoch: fc.nat({ max: 20 }),
      primary: fc.option(id, { nil: undefined }),
      phase: fc.constantFrom('fenced', 'committed', 'claimed', 'escalated'),
      candidate: fc.option(id, { nil: undefined }),
    },
    { requiredKeys: ['epoch'] },
  ),
  { nil: undefined },
);
const mode = fc.constantFrom<ClusterMode>('legacy-primary', 'cloud-native');
const trigger = fc.constantFrom<FailoverTrigger>('alarm', 'drain', 'reconciler', 'manual', 'replacement');

describe('immediateVerdict (assess without a confirmation window)', () => {
  const legacy = { mode: 'legacy-primary' as const, minTaskNodes: 1 };
  const run = (over: Partial<AssessRun>): AssessRun => ({ trigger: 'alarm', dryRun: false, ...over });

  it('leaves every automatic run that is not a drain to the window', () => {
    fc.assert(
      fc.property(
        cluster,
        state,
        mode,
        fc.constantFrom<FailoverTrigger>('alarm', 'reconciler', 'replacement'),
        (nodes, s, m, t) => {
          expect(
            immediateVerdict(run({ trigger: t }), nodes, s, { mode: m, minTaskNodes: 1 }),
          ).toBeUndefined();
        },
      ),
    );
  });

  it('answers every operator run (manual or dry run) at once', () => {
    fc.assert(
      fc.property(cluster, state, mode, trigger, fc.boolean(), (nodes, s, m, t, dryRun) => {
        fc.pre(t === 'manual' || dryRun);
        fc.pre(t !== 'drain');
        const v = immediateVerdict(run({ trigger: t, dryRun }), nodes, s, { mode: m, minTaskNodes: 1 });
        expect(v === undefined ? undefined : v.verdict).toMatch(/^(confirmed|split|adopt)$/);
      }),
    );
  });

  it('calls a drain of a member no election (legacy), and a drain of the ready primary a planned handover', () => {
    const nodes = [node(P, { group: 'primary', probe: ready('primary') }), node(M1)];
    expect(immediateVerdict(run({ trigger: 'drain', instanceId: M1 }), nodes, undefined, legacy)).toEqual({
      verdict: 'not-primary',
      why: `${M1} is not the primary`,
    });
    expect(immediateVerdict(run({ trigger: 'drain', instanceId: P }), nodes, undefined, legacy)).toEqual({
      verdict: 'confirmed',
      primary: P,
      why: 'planned handover',
      planned: true,
    });
    // The drained primary no longer ready: the window decides.
    const down = [node(P, { group: 'primary', probe: UNREACHABLE }), node(M1)];
    expect(
      immediateVerdict(run({ trigger: 'drain', instanceId: P }), down, undefined, legacy),
    ).toBeUndefined();
  });

  it('reports an unhoused primary to the operator as adopt, unless a candidate was named', () => {
    const nodes = [node(P, { group: 'none', lifecycleState: 'none', probe: ready('primary') }), node(M1)];
    expect(immediateVerdict(run({ trigger: 'manual' }), nodes, undefined, legacy)).toMatchObject({
      verdict: 'adopt',
      primary: P,
      manual: true,
    });
    expect(
      immediateVerdict(run({ trigger: 'manual', candidate: M1 }), nodes, undefined, legacy),
    ).toMatchObject({
      verdict: 'confirmed',
      primary: P,
      manual: true,
    });
  });
});

describe('decide', () => {
  const settings = (m: ClusterMode) => ({
    mode: m,
    minTaskNodes: 2,
    cooldownMinutes: 60,
    dailyBudget: 3,
    automationEnabled: true,
  });
  const verdict: fc.Arbitrary<AssessedVerdict> = fc.oneof(
    fc.record({ verdict: fc.constant('confirmed'), primary: fc.option(id, { nil: undefined }) }),
    fc.record({ verdict: fc.constant('confirmed'), primary: id, planned: fc.constant(true) }),
    fc.record({ verdict: fc.constant('adopt'), primary: id }),
    fc.record({
      verdict: fc.constant('split'),
      primaries: fc.uniqueArray(id, { minLength: 2, maxLength: 3 }),
    }),
  );

  it('always gives the workflow every plan field, the observed epoch and the one-line summary', () => {
    fc.assert(
      fc.property(cluster, state, mode, trigger, fc.boolean(), verdict, (nodes, s, m, t, force, v) => {
        // No candidate is requested, so nothing is refused.
        const d = decide(
          { run: { trigger: t, force }, verdict: v, nodes, state: s, gate: undefined },
          settings(m),
          NOON,
        );
        expect(d.expectedEpoch).toBe(s?.epoch ?? 0);
        expect(d.plan).toEqual(
          expect.objectContaining({
            candidates: expect.any(Array),
            candidateSteps: expect.any(Array),
            needed: expect.any(Number),
            failedPrimaryReachable: expect.any(Boolean),
            failedPrimaryHostImpaired: expect.any(Boolean),
          }),
        );
        expect(d.plan.candidateSteps).toHaveLength(d.plan.candidates.length);
        expect(d.summary).toBe(describePlan(d.plan, d.gate));
        // Only an automatic, unplanned election counts against the daily budget: a demotion is no election.
        expect(d.plan.budgeted).toBe(t !== 'manual' && v.planned !== true && v.verdict !== 'split');
      }),
    );
  });

  it('re-houses an unhoused primary instead of replacing it, and never calls it the failed primary', () => {
    const nodes = [node(P, { group: 'none', lifecycleState: 'none', probe: ready('primary') }), node(M1)];
    const d = decide(
      {
        run: { trigger: 'alarm', force: false },
        verdict: { verdict: 'adopt', primary: P },
        nodes,
        state: undefined,
        gate: undefined,
      },
      settings('legacy-primary'),
      NOON,
    );
    expect(d.plan).toMatchObject({ action: 'promote', candidates: [P], candidateSteps: ['adopt'] });
    expect(d.plan).not.toHaveProperty('failedPrimary', P);
  });

  it('throws the plan’s CandidateError for an ineligible requested candidate', () => {
    const nodes = [node(P, { group: 'primary', probe: UNREACHABLE, target: 'unhealthy' }), node(M1)];
    expect(() =>
      decide(
        {
          run: { trigger: 'manual', force: false, candidate: M2 },
          verdict: { verdict: 'confirmed', primary: P },
          nodes,
          state: undefined,
          gate: undefined,
        },
        settings('legacy-primary'),
        NOON,
      ),
    ).toThrow(CandidateError);
  });
});

describe('the snapshot, assembled', () => {
  it('fills in what no source reported: outside the groups, forgotten by EC2, not a target', () => {
    expect(nodeObservation(P, {})).toEqual({
      instanceId: P,
      group: 'none',
      az: '',
      lifecycleState: 'none',
      health: 'Healthy',
      target: 'absent',
      ec2State: 'terminated',
      hostStatus: 'unknown',
    });
    expect(
      nodeObservation(P, {
        member: { group: 'primary', az: '', state: 'InService', health: 'Unhealthy' },
        ec2: { state: 'running', az: 'eu-west-1b' },
        hostStatus: 'ok',
        target: 'healthy',
      }),
    ).toEqual({
      instanceId: P,
      group: 'primary',
      az: 'eu-west-1b',
      lifecycleState: 'InService',
      health: 'Unhealthy',
      target: 'healthy',
      ec2State: 'running',
      hostStatus: 'ok',
    });
  });

  it('probes every running instance but a condemned one on an impaired host', () => {
    fc.assert(
      fc.property(cluster, (nodes) => {
        const targets = probeTargets(nodes);
        for (const n of nodes) {
          const probed = n.ec2State === 'running' && !(condemned(n) && n.hostStatus === 'impaired');
          expect(targets.includes(n.instanceId)).toBe(probed);
        }
      }),
    );
  });

  it('counts a node the Map did not probe, or could not reach, as unreachable', () => {
    const nodes = [node(P), node(M1), node(M2)];
    const merged = withProbes(nodes, [
      { instanceId: P, stdout: '{"ready":true,"role":"primary","taskAffinity":"none"}' },
      { instanceId: M1, unreachable: true },
    ]);
    expect(merged.map((n) => n.probe)).toEqual([ready('primary'), UNREACHABLE, UNREACHABLE]);
  });

  it('reads the state item with a numeric epoch and only the fields it holds', () => {
    expect(toClusterState(undefined)).toBeUndefined();
    expect(
      toClusterState({ epoch: '3' as unknown as number, primary: P, fencedAt: '7' as unknown as number }),
    ).toEqual({
      epoch: 3,
      primary: P,
      fencedAt: 7,
    });
    expect(Object.keys(toClusterState({ epoch: 1, owner: undefined }) ?? {})).toEqual(['epoch']);
  });
});

describe('audit puts', () => {
  const entry = {
    trigger: 'event' as const,
    cluster: 'prod',
    eventTime: '2021-01-01T00:00:00Z',
    eventKey: 'e-1',
    detailType: 'EC2 Instance-launch Lifecycle Action',
    instanceId: P,
    group: 'prod-primary',
    decision: { kind: 'ignore' as const, reason: 'foreign' },
  };

  it('expire AUDIT_RETENTION_DAYS after they are written', () => {
    expect(auditExpiry(NOON)).toBe(NOON / 1000 + AUDIT_RETENTION_DAYS * 86_400);
  });

  it('are conditional only for a duplicate, which must not replace the first delivery’s entry', () => {
    for (const outcome of ['started', 'completed', 'error'] as const) {
      expect(auditPut({ ...entry, outcome }, NOON)).toEqual({ Item: expect.any(Object) });
    }
    expect(auditPut({ ...entry, outcome: 'duplicate' }, NOON)).toMatchObject({
      Item: auditKey('prod', '2021-01-01T00:00:00.000Z', 'e-1'),
      ConditionExpression: 'attribute_not_exists(sk) OR outcome = :error',
      ExpressionAttributeValues: { ':error': 'error' },
    });
    const alarm = {
      cluster: 'prod',
      eventTime: '2021-01-01T00:00:00Z',
      eventId: 'e-2',
      detailType: 'CloudWatch Alarm State Change',
      alarmName: 'prod-eu-west-1-primary-unhealthy',
      executionName: 'primary-failover-alarm-x',
    };
    expect(alarmAuditPut({ ...alarm, outcome: 'started' }, NOON).ConditionExpression).toBeUndefined();
    expect(alarmAuditPut({ ...alarm, outcome: 'duplicate' }, NOON).ConditionExpression).toBe(
      'attribute_not_exists(sk)',
    );
  });
});
