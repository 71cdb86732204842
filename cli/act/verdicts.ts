/**
 * What a dry run's execution says, read from its output (issue 16: "dry run first, its verdict shown").
 * - primary-failover: the output is the run's report (`outcome`, `summary`; functions/core/failover-outcome.ts);
 *   a dry run's summary carries the decision (functions/core/failover-decide.ts describePlan): the gate's
 *   refusal ("Refused by the gate"), no election possible, or nothing to do.
 * - regional-failover: the output is the run's state; the plan is `planned.plan` (verdict go / refused /
 *   nothing-to-do / wait, each check; docs/regional-failover.md "Dry-run it first").
 * - cert-rotation: the output is the run's state; the plan is `run.plan` (the order), the words `conclusion.summary`.
 */

export type VerdictKind = 'go' | 'refused' | 'nothing-to-do';

export interface Verdict {
  readonly kind: VerdictKind;
  /** The workflow's own words (one line). */
  readonly summary: string;
  /** Lines shown under the summary: the checks, the order. */
  readonly details: readonly string[];
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The output of a SUCCEEDED execution (DescribeExecution's `output`), parsed; anything else is an error. */
export function parseOutput(output: string | undefined): Json {
  if (output === undefined) throw new Error('the dry run ended without an output');
  try {
    return obj(JSON.parse(output));
  } catch {
    throw new Error('the dry run output is not JSON');
  }
}

/** primary-failover's dry-run report. */
export function failoverVerdict(output: Json): Verdict {
  const outcome = str(output.outcome) ?? '?';
  const summary = str(output.summary) ?? `outcome ${outcome}`;
  switch (outcome) {
    case 'dry-run': {
      if (/Refused by the gate/.test(summary) || /No election possible/.test(summary))
        return { kind: 'refused', summary, details: [] };
      if (/Decision: Nothing to do/.test(summary)) return { kind: 'nothing-to-do', summary, details: [] };
      return { kind: 'go', summary, details: [] };
    }
    case 'false-alarm':
      return { kind: 'nothing-to-do', summary, details: [] };
    case 'skipped':
      // Another run holds the lock, or the drained node is not the primary.
      return /not the primary/.test(summary)
        ? { kind: 'nothing-to-do', summary, details: [] }
        : { kind: 'refused', summary, details: [] };
    case 'refused':
      return { kind: 'refused', summary, details: [] };
    default:
      throw new Error(`the dry run ended ${outcome}: ${summary}`);
  }
}

/** regional-failover's dry-run plan: the verdict and each check (a failing one marked). */
export function regionalVerdict(output: Json): Verdict {
  const plan = obj(obj(output.planned).plan);
  const verdict = str(plan.verdict);
  if (verdict === undefined) throw new Error('the dry run output holds no plan verdict');
  const summary = str(plan.summary) ?? `verdict ${verdict}`;
  const checks = Array.isArray(plan.checks) ? plan.checks.map(obj) : [];
  const details = checks.map(
    (c) =>
      `${c.ok === true ? 'ok  ' : 'FAIL'} ${str(c.name) ?? '?'}${str(c.region) ? ` (${str(c.region)})` : ''}: ${str(c.detail) ?? ''}`,
  );
  if (plan.breakGlass === true) details.push('break-glass: forced past the failing readiness checks');
  // `wait` (the wait between flips) and `refused` both refuse now; the checks say until when.
  const kind: VerdictKind =
    verdict === 'go' ? 'go' : verdict === 'nothing-to-do' ? 'nothing-to-do' : 'refused';
  return { kind, summary, details };
}

/** cert-rotation's dry-run plan: nothing to rotate is nothing to do. */
export function rotationVerdict(output: Json): Verdict {
  const run = obj(output.run);
  const plan = obj(run.plan);
  if (!Array.isArray(plan.order)) throw new Error('the dry run output holds no rotation plan');
  const summary = str(obj(output.conclusion).summary) ?? str(run.summary) ?? `${plan.order.length} node(s)`;
  const details = [`order: ${plan.order.length > 0 ? plan.order.join(', ') : 'none'}`];
  const deferred = Array.isArray(plan.deferred) ? plan.deferred.map(obj) : [];
  for (const d of deferred) details.push(`deferred ${str(d.instanceId) ?? '?'}: ${str(d.reason) ?? ''}`);
  return { kind: plan.order.length > 0 ? 'go' : 'nothing-to-do', summary, details };
}
