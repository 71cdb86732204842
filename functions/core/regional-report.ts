/**
 * How a regional-failover run is told to the operator and the audit log: the workflow hands its whole record
 * (input, plan, approval, lease, switch, error) to the report Lambda, and this pure function words it:
 * evacuated / restored, refused with its reasons, break-glass, not approved, reverted, escalated, and the
 * dry run's (the drill's) evidence: each check, the expected time until DNS excludes the region, and the
 * switch's current state.
 */
import { innermostError, type Outcome, type WorkflowOutcome } from './report';

interface Check {
  readonly name?: string;
  readonly region?: string;
  readonly ok?: boolean;
  readonly detail?: string;
}
interface Plan {
  readonly action?: string;
  readonly region?: string;
  readonly trigger?: string;
  readonly force?: boolean;
  readonly dryRun?: boolean;
  readonly canary?: boolean;
  readonly driver?: string;
  readonly verdict?: string;
  readonly reasons?: readonly string[];
  readonly breakGlass?: boolean;
  readonly checks?: readonly Check[];
  readonly serving?: Readonly<Record<string, string>>;
  readonly servingAfter?: number;
  readonly waitUntil?: string;
  readonly expected?: {
    readonly exclusionSeconds?: number;
    readonly floorSeconds?: number;
    readonly explanation?: string;
  };
  readonly summary?: string;
}
/** The parent's state as ReportRun passes it (`regional.$: $`); every part is optional (a run may end early). */
export interface RegionalRun {
  readonly input?: {
    readonly action?: string;
    readonly region?: string;
    readonly reason?: string;
    readonly trigger?: string;
    readonly requestedBy?: string;
  };
  readonly planned?: { readonly plan?: Plan };
  readonly approval?: { readonly approved?: boolean; readonly detail?: string };
  readonly lease?: { readonly epoch?: number };
  readonly switched?: {
    readonly flip?: {
      readonly copies?: readonly { region?: string; ok?: boolean; error?: string }[];
      readonly recordedIn?: readonly string[];
    };
    readonly verify?: { readonly serving?: Readonly<Record<string, string>>; readonly detail?: string };
  };
  readonly waits?: number;
  readonly error?: { readonly Error?: string; readonly Cause?: string };
  readonly outcome?: string;
}

/** The outcomes the regional parent passes (ASL Pass states) before refinement by the error. */
export const REGIONAL_RUN_OUTCOMES = [
  'succeeded',
  'failed',
  'refused',
  'dry-run',
  'skipped',
  'not-approved',
] as const;

const SUMMARY_MAX = 2000;
const clip = (s: string) => (s.length > SUMMARY_MAX ? `${s.slice(0, SUMMARY_MAX - 1)}…` : s);

function checksLine(checks: readonly Check[] | undefined): string {
  if (!checks || checks.length === 0) return 'no checks ran';
  return checks
    .map(
      (c) => `${c.ok ? 'ok' : 'FAIL'} ${c.name ?? '?'}${c.region ? `@${c.region}` : ''}: ${c.detail ?? ''}`,
    )
    .join('; ');
}

function servingLine(serving: Readonly<Record<string, string>> | undefined): string {
  if (!serving) return 'unknown';
  return Object.entries(serving)
    .map(([region, state]) => `${region} ${state}`)
    .join(', ');
}

function expectedLine(plan: Plan): string {
  const e = plan.expected;
  if (!e || e.exclusionSeconds === undefined) return '';
  const why = e.explanation ?? `floor ${e.floorSeconds ?? '?'} s`;
  return `Expected time until DNS ${plan.action === 'restore' ? 'answers with' : 'excludes'} ${plan.region}: ${e.exclusionSeconds} s (${why}).`;
}

/**
 * Why the last serving region is kept (issue 14: both regions sick): Route 53 answers every record when none is
 * healthy ("If no record is healthy, all records are healthy", Developer Guide, "How Amazon Route 53 chooses
 * records when health checking is configured"), so switching it off would only hand the choice to fail-open.
 */
export const FAIL_OPEN =
  'The last serving region is never switched off: if its own health checks fail too, Route 53 fails open and answers with every region, sick ones included (the last resort, not a plan).';

/** The outcome a failed switch stands for, from the child's own error. */
function failedOutcome(errorName: string | undefined): Outcome {
  switch (errorName) {
    case 'RuleBroken':
      return 'reverted';
    case 'Fenced':
      return 'superseded';
    case 'ControlPlaneUnavailable':
      return 'escalated';
    default:
      return 'failed';
  }
}

/** The report of one regional-failover run (cluster and region: where the run executed). */
export function regionalOutcome(
  run: RegionalRun,
  where: { cluster: string; region: string; execution: string },
): WorkflowOutcome {
  const plan = run.planned?.plan ?? {};
  const action = plan.action ?? run.input?.action ?? 'evacuate';
  const target = plan.region ?? run.input?.region ?? 'unknown region';
  const trigger = plan.trigger ?? run.input?.trigger ?? 'manual';
  const passed = (REGIONAL_RUN_OUTCOMES as readonly string[]).includes(run.outcome ?? '')
    ? (run.outcome as (typeof REGIONAL_RUN_OUTCOMES)[number])
    : 'failed';
  const caught = run.error ? innermostError(run.error) : undefined;
  const outcome: Outcome = passed === 'failed' ? failedOutcome(caught?.Error) : passed;
  const breakGlass = plan.breakGlass === true && outcome !== 'dry-run';
  const drill = trigger === 'drill';
  const who = `${trigger}${run.input?.requestedBy ? ` by ${run.input.requestedBy}` : ''}`;
  const reason = run.input?.reason ? ` (${run.input.reason})` : '';
  const done = action === 'restore' ? 'Restored' : 'Evacuated';
  const lines: string[] = [];
  switch (outcome) {
    case 'succeeded':
      if (plan.canary === true && drill) {
        lines.push(
          `Live drill of ${target} on the canary record: its switch was written out in ${(run.switched?.flip?.copies ?? []).map((c) => `${c.region}${c.ok ? '' : ' (failed)'}`).join(', ') || 'no copy reported'}, the copies showed it, and it was put back; the real record was not touched (epoch ${run.lease?.epoch ?? '?'}).`,
          `Serving now: ${servingLine(run.switched?.verify?.serving)}.`,
          expectedLine(plan),
        );
        break;
      }
      lines.push(
        `${done} ${target}: ${who}${reason}, driver ${plan.driver ?? '?'}, epoch ${run.lease?.epoch ?? '?'}.`,
        `Switch written in ${(run.switched?.flip?.copies ?? []).map((c) => `${c.region}${c.ok ? '' : ` (failed: ${c.error ?? '?'})`}`).join(', ') || 'no copy reported'}; recorded in ${(run.switched?.flip?.recordedIn ?? []).join(', ') || '?'}.`,
        `Serving now: ${servingLine(run.switched?.verify?.serving)}.`,
        expectedLine(plan),
      );
      break;
    case 'refused':
      lines.push(
        `Refused to ${action} ${target} (${who}${reason}): ${(plan.reasons ?? []).join('; ') || 'see the checks'}.`,
        // Before the checks: the summary is clipped, and this is what the operator must read.
        ...(plan.checks?.some((c) => c.name === 'min-serving-regions' && !c.ok) ? [FAIL_OPEN] : []),
        `Checks: ${checksLine(plan.checks)}.`,
        `Serving: ${servingLine(plan.serving)}.`,
      );
      break;
    case 'dry-run':
      lines.push(
        drill
          ? `Drill (dry-run evacuation) of ${target}: verdict ${plan.verdict ?? '?'}; its switch is ${plan.serving?.[target] ?? 'unknown'} now.`
          : `Dry run: ${action} ${target} would be ${plan.verdict ?? '?'}${plan.breakGlass ? ' (break-glass: forced past failing readiness checks)' : ''}.`,
        ...(plan.reasons && plan.reasons.length > 0 ? [`Reasons: ${plan.reasons.join('; ')}.`] : []),
        `Checks: ${checksLine(plan.checks)}.`,
        `Serving: ${servingLine(plan.serving)}; regions serving after: ${plan.servingAfter ?? '?'}.`,
        expectedLine(plan),
      );
      break;
    case 'skipped':
      lines.push(
        plan.verdict === 'wait'
          ? `Did not ${action} ${target}: still waiting (${(plan.reasons ?? []).join('; ') || 'hysteresis'}) after ${run.waits ?? 0} waits; the next alarm transition starts a new run.`
          : `Nothing to do: ${target} is already ${action === 'restore' ? 'serving' : 'evacuated'} (${(plan.reasons ?? []).join('; ') || plan.summary || ''}).`,
      );
      break;
    case 'not-approved':
      lines.push(`Not approved: ${action} ${target} was not run (${run.approval?.detail ?? 'no answer'}).`);
      break;
    case 'reverted':
      lines.push(
        /flip back FAILED/.test(caught?.Cause ?? '')
          ? `Revert FAILED: the ${action} of ${target} broke a safety rule and the flip back failed: an operator must restore the switch now.`
          : `Reverted: the ${action} of ${target} broke a safety rule (${caught?.Cause ?? 'fewer than failover.minServingRegions served'}); the switch was flipped back at once.`,
      );
      break;
    case 'escalated':
      lines.push(
        `Escalated: ${action} ${target} needs an operator. The route53-api driver depends on Route 53's control plane in us-east-1, which failed; the cloudwatch-switch driver does not.`,
      );
      break;
    case 'superseded':
      lines.push(`Superseded: a newer run holds the routing lease; this run stopped without flipping more.`);
      break;
    default:
      lines.push(
        `Failed to ${action} ${target} (${who}${reason}); the switch is as the last successful write left it.`,
      );
  }
  if (breakGlass) {
    lines.unshift(
      `BREAK-GLASS: a manual force overrode failing readiness checks (${checksLine(plan.checks?.filter((c) => !c.ok))}).`,
    );
  }
  return {
    cluster: where.cluster,
    region: where.region,
    workflow: 'regional-failover',
    execution: where.execution,
    outcome,
    subject: `${action} ${target}${outcome === 'dry-run' ? (drill ? ' (drill)' : ' (dry run)') : drill && plan.canary === true ? ' (live canary drill)' : ''}`,
    summary: clip(lines.filter((l) => l.length > 0).join('\n')),
    error: run.error,
    // The drill's evidence, every flip and every break-glass reach the operator; a manual dry run is read
    // from its execution output.
    notify: !(outcome === 'skipped' || (outcome === 'dry-run' && !drill)),
    details: {
      action,
      targetRegion: target,
      trigger,
      ...(plan.verdict !== undefined ? { verdict: plan.verdict } : {}),
      ...(run.lease?.epoch !== undefined ? { epoch: run.lease.epoch } : {}),
      ...(breakGlass ? { breakGlass: true } : {}),
    },
  };
}
