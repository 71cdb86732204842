/**
 * primary-failover's `decide` step: the gate's answer and the plan for a confirmed verdict, with the epoch
 * the fence must find and one line for the audit.
 */
import type { ClusterState, FailoverTrigger } from './failover';
import { type GateDecision, type GateRecord, gateDecision } from './failover-gate';
import type { NodeObservation } from './failover-observe';
import { type CandidateStep, type Plan, plan } from './failover-plan';
import type { ClusterMode } from './lifecycle';
import { prunable } from './quarantine';

/** What `decide` needs to know about the run. */
export interface DecideRun {
  readonly trigger: FailoverTrigger;
  readonly force: boolean;
  readonly candidate?: string | undefined;
}

/** The verdict `assess` returned, as the workflow hands it back. */
export interface AssessedVerdict {
  readonly verdict: string;
  readonly primary?: string | undefined;
  readonly primaries?: readonly string[] | undefined;
  readonly planned?: boolean | undefined;
}

export interface DecideSettings {
  readonly mode: ClusterMode;
  readonly minTaskNodes: number;
  readonly cooldownMinutes: number;
  readonly dailyBudget: number;
  readonly automationEnabled: boolean;
}

/** The plan as the workflow reads it: every field it indexes is present, whatever the action. */
export type DecidedPlan = Plan & {
  readonly candidates: readonly string[];
  readonly candidateSteps: readonly CandidateStep[];
  readonly needed: number;
  readonly failedPrimaryReachable: boolean;
  readonly failedPrimaryHostImpaired: boolean;
  /** An automatic, unplanned election: the fence counts it against the daily budget. */
  readonly budgeted: boolean;
  /** Quarantined nodes EC2 reports terminated: the fence drops them from the quarantine record. */
  readonly prune: readonly string[];
};

export interface Decision {
  readonly gate: GateDecision;
  readonly plan: DecidedPlan;
  /** The epoch observed: the fence succeeds only if it has not moved since. */
  readonly expectedEpoch: number;
  readonly summary: string;
}

/**
 * The gate and the plan for an assessed run. A repair (verdict `adopt`) moves the group around the running
 * primary; it still passes the gate like an election, so a repair that keeps failing (e.g. an attach Auto
 * Scaling refuses) cannot loop every sweep. Throws the plan's `CandidateError` for an ineligible requested
 * candidate.
 */
export function decide(
  observed: {
    readonly run: DecideRun;
    readonly verdict: AssessedVerdict;
    readonly nodes: readonly NodeObservation[];
    readonly state: ClusterState | undefined;
    readonly gate: GateRecord | undefined;
  },
  settings: DecideSettings,
  now: number,
): Decision {
  const { run, verdict: v, nodes, state } = observed;
  const planned = v.planned === true;
  const repair = v.verdict === 'adopt';
  const split = v.verdict === 'split';
  const gate = gateDecision(
    { trigger: run.trigger, planned, force: run.force, safety: split },
    observed.gate,
    {
      cooldownMs: settings.cooldownMinutes * 60_000,
      dailyBudget: settings.dailyBudget,
      automationEnabled: settings.automationEnabled,
    },
    now,
  );
  const decided = plan(nodes, state, {
    mode: settings.mode,
    minTaskNodes: settings.minTaskNodes,
    split: v.verdict === 'split' ? v.primaries : undefined,
    failedPrimary: settings.mode === 'legacy-primary' && !repair ? v.primary : undefined,
    candidate: run.candidate,
    adopt: repair ? v.primary : undefined,
  });
  return {
    gate,
    plan: {
      candidates: [],
      candidateSteps: [],
      needed: 0,
      failedPrimaryReachable: false,
      failedPrimaryHostImpaired: false,
      ...decided,
      // A demotion is not an election: it neither spends the budget nor starts the cooldown (see fence).
      budgeted: run.trigger !== 'manual' && !planned && !split,
      prune: prunable(nodes, state),
    },
    expectedEpoch: state?.epoch ?? 0,
    summary: describePlan(decided, gate),
  };
}

/** One line for the audit and the operator: what the run decided and why. */
export function describePlan(p: Plan, gate: GateDecision): string {
  const gateText = gate.allow
    ? gate.note
      ? ` (${gate.note})`
      : ''
    : ` Refused by the gate (${gate.rule}): ${gate.reason}.`;
  switch (p.action) {
    case 'promote':
      if (p.candidateSteps[0] === 'adopt')
        return `Re-house the primary ${p.candidates[0]}: ${p.steps.join('; ')}.${gateText}`;
      return `Promote ${p.candidates[0]}${p.candidates.length > 1 ? ` (then ${p.candidates.slice(1).join(', ')} if it fails)` : ''}: ${p.steps.join('; ')}.${gateText}`;
    case 'demote':
      return `Keep ${p.keep} as the primary and demote ${p.demote.join(', ')}: ${p.steps.join('; ')}.${gateText}`;
    case 'escalate':
      return `No election possible: ${p.reason}.${gateText}`;
    case 'none':
      return `Nothing to do: ${p.reason}.${gateText}`;
  }
}
