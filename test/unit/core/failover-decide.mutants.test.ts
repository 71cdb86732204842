import { type DecideSettings, decide, describePlan } from '../../../functions/core/failover-decide';
import type { GateDecision } from '../../../functions/core/failover-gate';
import type { NodeObservation } from '../../../functions/core/failover-observe';
import type { CandidateStep, Plan } from '../../../functions/core/failover-plan';

const NOW = Date.UTC(2026, 2, 10, 12);
const P = 'i-000000000000000p1';
const M1 = 'i-000000000000000m1';
const M2 = 'i-000000000000000m2';
const settings = (mode: DecideSettings['mode']): DecideSettings => ({
  mode,
  minTaskNodes: 2,
  cooldownMinutes: 60,
  dailyBudget: 3,
  automationEnabled: true,
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
  probe: { reachable: true, ready: true, role: 'member', taskAffinity: 'none' },
  ...over,
});
const alarm = { trigger: 'alarm', force: false } as const;

describe('decide', () => {
  it('demotes only on a split verdict, whatever else a verdict carries', () => {
    const primaries = [
      node(P, {
        group: 'primary',
        probe: { reachable: true, ready: true, role: 'primary', taskAffinity: 'any' },
      }),
    ];
    const nodes = [
      ...primaries,
      node(M1, { probe: { reachable: true, ready: true, role: 'primary', taskAffinity: 'any' } }),
    ];
    const split = decide(
      {
        run: alarm,
        verdict: { verdict: 'split', primaries: [P, M1] },
        nodes,
        state: undefined,
        gate: undefined,
      },
      settings('legacy-primary'),
      NOW,
    );
    expect(split.plan).toMatchObject({ action: 'demote', keep: P, demote: [M1] });
    expect(split.plan.budgeted).toBe(false);
    const confirmed = decide(
      {
        run: alarm,
        verdict: { verdict: 'confirmed', primary: P, primaries: [P, M1] },
        nodes: [node(P, { group: 'primary', ec2State: 'stopped', probe: undefined }), node(M1), node(M2)],
        state: undefined,
        gate: undefined,
      },
      settings('legacy-primary'),
      NOW,
    );
    expect(confirmed.plan).toMatchObject({ action: 'promote', failedPrimary: P, candidates: [M1, M2] });
  });

  it('has no failed primary in cloud-native mode: the verdict’s node stays a candidate', () => {
    const d = decide(
      {
        run: alarm,
        verdict: { verdict: 'confirmed', primary: M1 },
        nodes: [node(M1), node(M2)],
        state: undefined,
        gate: undefined,
      },
      settings('cloud-native'),
      NOW,
    );
    expect(d.plan).not.toHaveProperty('failedPrimary', M1);
    expect(d.plan).toMatchObject({ action: 'promote', failedPrimary: undefined });
    expect(d.plan.candidates).toEqual([M1, M2]);
  });

  it('gives a plan without candidates the promotion fields as false and empty', () => {
    const d = decide(
      {
        run: alarm,
        verdict: { verdict: 'confirmed', primary: P },
        nodes: [node(P, { group: 'primary', ec2State: 'stopped' })],
        state: undefined,
        gate: undefined,
      },
      settings('legacy-primary'),
      NOW,
    );
    expect(d.plan).toMatchObject({
      action: 'escalate',
      candidates: [],
      candidateSteps: [],
      needed: 0,
      failedPrimaryReachable: false,
      failedPrimaryHostImpaired: false,
    });
  });
});

describe('describePlan: one line for the audit and the operator', () => {
  const steps = ['bump the epoch (fence)', 'record the new primary'];
  const allow: GateDecision = { allow: true };
  const noted: GateDecision = { allow: true, note: 'planned handover' };
  const refused: GateDecision = { allow: false, rule: 'cooldown', reason: 'too soon' };
  const promote = (candidates: string[], candidateSteps: CandidateStep[]): Plan => ({
    action: 'promote',
    mode: 'legacy-primary',
    candidates,
    candidateSteps,
    needed: 1,
    failedPrimaryReachable: false,
    failedPrimaryHostImpaired: false,
    steps,
  });

  it('names the candidate, the fallbacks and the steps of a promotion', () => {
    expect(describePlan(promote([M1], ['detach-promote']), allow)).toBe(
      `Promote ${M1}: bump the epoch (fence); record the new primary.`,
    );
    expect(describePlan(promote([M1, M2, P], ['detach-promote', 'detach-promote', 'promote']), noted)).toBe(
      `Promote ${M1} (then ${M2}, ${P} if it fails): bump the epoch (fence); record the new primary. (planned handover)`,
    );
  });

  it('calls an adoption a re-housing', () => {
    expect(describePlan(promote([P], ['adopt']), refused)).toBe(
      `Re-house the primary ${P}: bump the epoch (fence); record the new primary. Refused by the gate (cooldown): too soon.`,
    );
  });

  it('names whom a demotion keeps and demotes', () => {
    const demote: Plan = { action: 'demote', mode: 'legacy-primary', keep: P, demote: [M1, M2], steps };
    expect(describePlan(demote, allow)).toBe(
      `Keep ${P} as the primary and demote ${M1}, ${M2}: bump the epoch (fence); record the new primary.`,
    );
  });

  it('gives the reason when there is nothing to do or no election possible', () => {
    const escalate: Plan = {
      action: 'escalate',
      mode: 'legacy-primary',
      reason: 'no eligible candidate',
      steps: [],
    };
    expect(describePlan(escalate, refused)).toBe(
      'No election possible: no eligible candidate. Refused by the gate (cooldown): too soon.',
    );
    const none: Plan = { action: 'none', mode: 'cloud-native', reason: '2 task node(s) already', steps: [] };
    expect(describePlan(none, noted)).toBe('Nothing to do: 2 task node(s) already. (planned handover)');
  });
});
