/**
 * How a primary-failover run ends. The parent workflow sends every path to one cleanup sequence; its first step
 * asks this module what the run amounted to, from what the run recorded on its way (which phase failed, the
 * confirmation's verdict, the gate, the fence, the attempts). The answer is the one report of the run, whether
 * the execution ends failed, and whether the cleanup must restore the primary group (min 1) before it resumes
 * Launch.
 */
import * as z from 'zod/mini';
import { findingOfVerdict, type PausedFinding } from './paused';
import type { Outcome, WorkflowOutcome } from './report';

/** A Step Functions error as a Catch records it. */
const CaughtError = z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) });
type CaughtError = z.infer<typeof CaughtError>;

/**
 * What primary-failover-quarantine did with a node: `demoted`, `stopped` (at the hypervisor), or
 * `left-to-owner` (it is the recorded primary or the candidate of the election that holds the epoch now).
 */
const QuarantineResult = z.looseObject({ outcome: z.string(), instanceId: z.string() });
type QuarantineResult = z.infer<typeof QuarantineResult>;

const quarantineText = (q: QuarantineResult) =>
  q.outcome === 'demoted'
    ? `${q.instanceId} was demoted (restarted as a member) and is quarantined`
    : `${q.instanceId} was stopped at the hypervisor and is quarantined`;

/** The fields of the parent's state that decide the outcome; anything else in the state is ignored. */
export const FailoverRunSchema = z.looseObject({
  input: z.looseObject({
    cluster: z.string().check(z.minLength(1)),
    region: z.string().check(z.minLength(1)),
    /** The validated input always has one; the raw input a failed validation leaves may not (its default). */
    trigger: z._default(z.string().check(z.minLength(1)), 'manual'),
    instanceId: z.optional(z.string()),
    dryRun: z.optional(z.boolean()),
  }),
  /** Held by the pause (automatic while automation is disabled): it observed and took no lock. */
  paused: z.optional(z.boolean()),
  lock: z.optional(z.looseObject({ acquired: z.boolean() })),
  /** ValidateInput failed for another reason than the input (the Lambda, after its retries): no lock taken. */
  validateError: z.optional(CaughtError),
  lockError: z.optional(CaughtError),
  confirmError: z.optional(CaughtError),
  confirmation: z.optional(
    z.looseObject({
      verdict: z.looseObject({
        verdict: z.string(),
        payload: z.optional(z.looseObject({ why: z.optional(z.string()) })),
      }),
    }),
  ),
  decideError: z.optional(CaughtError),
  decision: z.optional(
    z.looseObject({
      gate: z.looseObject({ allow: z.boolean() }),
      plan: z.looseObject({ action: z.string(), mode: z.optional(z.string()) }),
      summary: z.string(),
    }),
  ),
  staleError: z.optional(CaughtError),
  fenceError: z.optional(CaughtError),
  fence: z.optional(z.looseObject({ epoch: z.number() })),
  attempts: z.optional(z.looseObject({ attempt: z.number(), lastFailed: z.optional(z.string()) })),
  attempt: z.optional(
    z.looseObject({
      outcome: z.string(),
      detail: z.optional(z.looseObject({ cause: z.optional(z.string()) })),
    }),
  ),
  candidate: z.optional(z.looseObject({ instanceId: z.string() })),
  escalation: z.optional(z.unknown()),
  demoteError: z.optional(CaughtError),
  suspendError: z.optional(CaughtError),
  stopOldError: z.optional(CaughtError),
  swapError: z.optional(CaughtError),
  /** The last failed candidate's quarantine (primary-failover-quarantine's output). */
  quarantined: z.optional(QuarantineResult),
  /** The quarantine of a failed candidate could not confirm it out of service: the run escalates. */
  quarantineError: z.optional(CaughtError),
  /** The quarantine of the candidate this run promoted before its commit was found stale. */
  supersededCandidate: z.optional(QuarantineResult),
  supersededError: z.optional(CaughtError),
});
export type FailoverRun = z.infer<typeof FailoverRunSchema>;

export interface FailoverConclusion {
  /** The report Lambda's input, as is. */
  readonly report: WorkflowOutcome;
  /** The execution ends in its Fail state (an operator must act). */
  readonly failed: boolean;
  /** The cleanup sets the primary group's minimum back to 1 before it resumes Launch. */
  readonly restorePrimaryGroup: boolean;
}

/** Outcomes after which the execution fails: somebody has to look. */
const FAILING: readonly Outcome[] = ['failed', 'escalated'];

/** The report's summary is at most this long (the report Lambda refuses longer ones). */
export const MAX_SUMMARY = 2000;

interface Ending {
  readonly outcome: Outcome;
  readonly summary: string;
  readonly error?: CaughtError | undefined;
  readonly notify?: boolean;
  readonly restorePrimaryGroup?: boolean;
  readonly incident?: PausedFinding | undefined;
}

/**
 * Names the run's ending. Checks follow the workflow's order, so the first phase that ended the run names
 * the outcome: validation, lock, confirmation, decision, gate and plan, fence, candidates, group move.
 */
function ending(run: FailoverRun): Ending {
  const { input } = run;
  const trigger = `${input.trigger} trigger`;
  if (run.validateError) {
    return {
      outcome: 'failed',
      summary: `Could not validate the input (${trigger}): the validation step failed, not the input; no lock was taken and nothing was changed. Start the run again.`,
      error: run.validateError,
    };
  }
  if (run.lockError) {
    return {
      outcome: 'failed',
      summary: `Could not take the cluster lock (${trigger}); nothing was changed.`,
      error: run.lockError,
    };
  }
  if (run.lock && !run.lock.acquired) {
    return {
      outcome: 'skipped',
      summary: `Another run holds the cluster lock of ${input.cluster}; this ${input.trigger} run changed nothing.`,
    };
  }
  if (run.confirmError || !run.confirmation) {
    return {
      outcome: 'failed',
      summary: `Could not observe the cluster (${trigger}); nothing was changed. Check the execution for the error.`,
      error: run.confirmError ?? { Error: 'NoObservation', Cause: 'the run ended before confirming' },
    };
  }
  const verdict = run.confirmation.verdict;
  if (verdict.verdict === 'false-alarm' || verdict.verdict === 'wait') {
    return {
      outcome: 'false-alarm',
      summary: `False alarm (${trigger}): ${verdict.payload?.why ?? 'the signals never confirmed a failure'}. Nothing was changed.`,
    };
  }
  if (verdict.verdict === 'not-primary') {
    return {
      outcome: 'skipped',
      summary: `${input.instanceId ?? 'the node'} is not the primary: no handover needed.`,
    };
  }
  if (run.decideError || !run.decision) {
    return {
      outcome: 'failed',
      summary: `No decision (${trigger}); nothing was changed: ${run.decideError?.Cause ?? 'no decision recorded'}`,
      error: run.decideError,
    };
  }
  const { decision } = run;
  if (input.dryRun) {
    return {
      outcome: 'dry-run',
      summary: `Dry run, nothing changed. Verdict: ${verdict.verdict}. Decision: ${decision.summary}`,
    };
  }
  if (run.paused === true) {
    return {
      outcome: 'refused',
      summary: `Automation is paused: this ${input.trigger} run only observed (no lock taken, nothing changed). ${decision.summary} To act, start primary-failover by hand (a dry run first).`,
      incident: findingOfVerdict(verdict, decision.plan.mode),
    };
  }
  if (!decision.gate.allow) {
    return {
      outcome: 'refused',
      summary: `Election refused and nothing changed (${trigger}). ${decision.summary}`,
    };
  }
  if (decision.plan.action === 'none') {
    return { outcome: 'skipped', summary: `Nothing to do: ${decision.summary}` };
  }
  if (decision.plan.action === 'escalate') {
    return {
      outcome: 'escalated',
      summary: `Primary down and no election possible; nothing was changed, recovery is left to Auto Scaling. ${decision.summary}`,
      error: { Error: 'NoCandidate', Cause: 'no eligible candidate' },
    };
  }
  if (run.staleError || run.attempt?.outcome === 'superseded') return supersededEnding(run);
  if (run.fenceError || !run.fence) {
    return {
      outcome: 'failed',
      summary: 'Could not fence (epoch write failed); nothing was changed.',
      error: run.fenceError,
    };
  }
  const epoch = run.fence.epoch;
  const legacy = decision.plan.mode !== 'cloud-native';
  if (run.escalation !== undefined && run.stopOldError) {
    return {
      outcome: 'escalated',
      summary: `The old primary could not be confirmed stopped (epoch ${epoch}): neither SSM nor EC2 confirmed the stop, so nobody was promoted (two primaries are worse than none). Stop or terminate it by hand, then re-run with force.`,
      error: run.stopOldError,
      restorePrimaryGroup: legacy,
    };
  }
  if (run.escalation !== undefined && run.quarantineError) {
    const node = run.candidate?.instanceId ?? 'the failed candidate';
    return {
      outcome: 'escalated',
      summary: `${node} failed its promotion and could not be confirmed demoted or stopped (epoch ${epoch}): it may still run as a primary, so nobody else was promoted. It is quarantined; stop or terminate it by hand, then re-run.`,
      error: run.quarantineError,
      restorePrimaryGroup: legacy,
    };
  }
  if (run.escalation !== undefined) {
    const tried = run.attempts?.attempt ?? 0;
    return {
      outcome: 'escalated',
      summary: `No candidate could be promoted (epoch ${epoch}, ${tried} tried, last ${run.attempts?.lastFailed ?? 'none'}); Launch is resumed on the primary group so Auto Scaling replaces the primary. Failed candidates were demoted or stopped and stay quarantined until terminated or released.`,
      error: run.demoteError ?? run.suspendError ?? { Error: 'Escalated', Cause: 'every candidate failed' },
      restorePrimaryGroup: legacy,
    };
  }
  if (decision.plan.action === 'demote') {
    return {
      outcome: 'succeeded',
      summary: `Split brain resolved (epoch ${epoch}): ${decision.summary}`,
      notify: true,
    };
  }
  if (run.swapError) {
    return {
      outcome: 'failed',
      summary: `${run.candidate?.instanceId ?? 'the candidate'} is the primary (epoch ${epoch}) but could not be moved into the primary group; the group was restored (min 1, Launch resumed) and its next instance joins as a member. Move the instance by hand.`,
      error: run.swapError,
      restorePrimaryGroup: true,
    };
  }
  const failedFirst = run.quarantined ? ` ${quarantineText(run.quarantined)} (it failed its promotion).` : '';
  return {
    outcome: 'succeeded',
    summary: `Recovered (${trigger}, epoch ${epoch}). ${decision.summary}${failedFirst}`,
    notify: true,
  };
}

/**
 * A run another election or a bootstrap claim overtook. Quiet when it promoted nobody, or left its candidate
 * to the election that now owns it; notified when it had to demote or stop the node it promoted, and failed
 * when that could not be confirmed (a primary nobody recorded may still run).
 */
function supersededEnding(run: FailoverRun): Ending {
  const cause =
    run.staleError?.Cause ?? (run.attempt?.outcome === 'superseded' ? run.attempt.detail?.cause : undefined);
  const moved = 'another election or a bootstrap claim moved the epoch first';
  const node = run.candidate?.instanceId ?? 'the candidate';
  if (run.supersededError) {
    return {
      outcome: 'failed',
      summary: `Superseded after promoting ${node} (${moved}), and ${node} could not be confirmed demoted or stopped: it may still run as a primary nobody recorded. It is quarantined; stop or terminate it by hand.`,
      error: run.supersededError,
    };
  }
  const q = run.supersededCandidate;
  if (q && q.outcome !== 'left-to-owner') {
    return {
      outcome: 'superseded',
      summary: `Superseded after promoting ${q.instanceId}: ${moved}, so this run could not commit it. ${quarantineText(q)}; release it (release-quarantine) once checked, or terminate it.`,
      notify: true,
    };
  }
  if (q) {
    return {
      outcome: 'superseded',
      summary: `Superseded: ${moved}; ${q.instanceId}, which this run promoted, now belongs to that election and was left to it.`,
    };
  }
  return {
    outcome: 'superseded',
    summary: `Superseded: ${moved}; this run stopped without further changes. ${cause ?? ''}`.trim(),
  };
}

/** The conclusion of a primary-failover run: its one report, whether it fails, what the cleanup restores. */
export function concludeFailover(run: FailoverRun, execution: string): FailoverConclusion {
  const end = ending(run);
  const summary =
    end.summary.length > MAX_SUMMARY ? `${end.summary.slice(0, MAX_SUMMARY - 1)}…` : end.summary;
  const report: WorkflowOutcome = {
    cluster: run.input.cluster,
    region: run.input.region,
    workflow: 'primary-failover',
    execution,
    outcome: end.outcome,
    subject: run.input.cluster,
    summary,
    ...(end.error ? { error: { Error: end.error.Error, Cause: end.error.Cause } } : {}),
    ...(end.notify !== undefined ? { notify: end.notify } : {}),
    ...(end.incident !== undefined ? { incident: end.incident } : {}),
  };
  return {
    report,
    failed: FAILING.includes(end.outcome),
    // Only a run that holds the cluster lock touches the groups (the workflow checks it too).
    restorePrimaryGroup: (end.restorePrimaryGroup ?? false) && run.lock?.acquired === true,
  };
}
