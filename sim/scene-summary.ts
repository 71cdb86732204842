/**
 * A finished scene in figures, shared by `npm start` (sim/cli.ts) and `npm run bench` (bench/scenes.ts):
 * outcome, executions, state transitions, dollars, per-workflow-run figures, invariants and the key window
 * against its floor (sim/scenarios/floors.ts).
 *
 * What is counted (docs/twin.md, "Scene figures"): Step Functions Standard state transitions as the twin's
 * runner counts them (every StateEntered, and every StateRetried: AWS bills a retry as a transition); Lambda
 * requests that ran, and their GB-seconds from virtual durations (a lower bound: a handler takes virtual time
 * only while it waits on the twin's clock). DynamoDB, SSM, CloudWatch, SNS and the data plane are not counted.
 */
import { PRICES } from '../bench/prices';
import type { Violation } from './core/invariants';
import type { ExecutionRecord } from './core/world';
import type { LambdaInvocation } from './runner/lambda';
import type { KeyWindow } from './scenarios/floors';
import { type Scenario, unexpectedViolations } from './scenarios/types';

/** What a summary is computed from: the records of a finished twin (see {@link sceneRecordOf}). */
export interface SceneRecord {
  readonly scene: Pick<Scenario, 'name' | 'injected' | 'premise'>;
  readonly seed: number;
  /** Why the scene's run threw, if it did (an expectation that failed, a bound that did not hold). */
  readonly error?: string;
  readonly virtualMs: number;
  readonly executions: readonly ExecutionRecord[];
  readonly lambdaInvocations: readonly LambdaInvocation[];
  readonly violations: readonly Violation[];
  readonly notModelled: readonly { readonly message: string }[];
  readonly window?: KeyWindow | undefined;
}

/** One root execution (started by dispatch, an operator or a scene, not by a `.sync` Task), children included. */
export interface WorkflowRun {
  readonly stateMachine: string;
  readonly name: string;
  readonly status: ExecutionRecord['status'];
  readonly error?: string;
  /** Itself and every descendant. */
  readonly executions: number;
  readonly transitions: number;
  readonly lambdaRequests: number;
  readonly dollars: number;
}

export interface SceneSummary {
  readonly scene: string;
  readonly seed: number;
  readonly outcome: 'passed' | 'failed';
  /** Why it failed: the scene's error, the violations, calls the twin does not model, runs left running. */
  readonly why: readonly string[];
  readonly virtualMs: number;
  readonly executions: { readonly total: number; readonly succeeded: number; readonly failed: number };
  readonly transitions: number;
  readonly lambda: { readonly requests: number; readonly gbSeconds: number };
  readonly dollars: { readonly stepFunctions: number; readonly lambda: number; readonly total: number };
  readonly runs: readonly WorkflowRun[];
  /** node-command executions that ended timed out ({@link timedOutCommand}), with their transitions. */
  readonly timedOutCommands: readonly { readonly name: string; readonly transitions: number }[];
  readonly invariants: {
    readonly held: boolean;
    readonly violations: readonly string[];
    readonly accepted: number;
  };
  readonly window?: KeyWindow | undefined;
}

const lambdaDollars = (calls: readonly LambdaInvocation[]) =>
  calls.length * PRICES.lambdaRequest.usd + gbSeconds(calls) * PRICES.lambdaArmGbSecond.usd;

/** GB-seconds as Lambda bills them: each request's duration rounded up to the millisecond (at least 1 ms). */
export const gbSeconds = (calls: readonly LambdaInvocation[]): number =>
  calls.reduce((t, c) => t + (Math.max(1, Math.ceil(c.durationMs)) / 1000) * (c.memoryMb / 1024), 0);

/** An execution and all its `.sync` descendants. */
export function family(e: ExecutionRecord): ExecutionRecord[] {
  return [e, ...(e.children ?? []).flatMap(family)];
}

/** Per root execution: transitions, Lambda requests and dollars, children included. */
export function workflowRuns(record: Pick<SceneRecord, 'executions' | 'lambdaInvocations'>): WorkflowRun[] {
  return record.executions
    .filter((e) => e.parentArn === undefined)
    .map((root) => {
      const all = family(root);
      const arns = new Set(all.map((e) => e.executionArn));
      const calls = record.lambdaInvocations.filter(
        (c) => c.executionArn !== undefined && arns.has(c.executionArn),
      );
      const transitions = all.reduce((n, e) => n + e.transitions, 0);
      return {
        stateMachine: root.stateMachine,
        name: root.name,
        status: root.status,
        ...(root.error !== undefined ? { error: root.error } : {}),
        executions: all.length,
        transitions,
        lambdaRequests: calls.length,
        dollars: transitions * PRICES.sfnStandardTransition.usd + lambdaDollars(calls),
      };
    });
}

/** The scene's figures and verdict from its records; pure (the unit tests hand it a small fake world). */
export function summarizeScene(record: SceneRecord): SceneSummary {
  const execs = record.executions;
  const transitions = execs.reduce((n, e) => n + e.transitions, 0);
  const unexpected = unexpectedViolations(record.scene, record.violations);
  const why: string[] = [];
  if (record.error !== undefined) why.push(record.error);
  for (const v of unexpected) why.push(`${v.invariant}: ${v.message}`);
  // Each is also a twin-not-modelled violation once the invariants have checked; said once either way.
  if (record.notModelled.length > 0 && !unexpected.some((v) => v.invariant === 'twin-not-modelled'))
    why.push(`${record.notModelled.length} call(s) the twin does not model`);
  const running = execs.filter((e) => e.status === 'RUNNING');
  if (running.length > 0)
    why.push(`${running.length} execution(s) still running: ${running.map((e) => e.name).join(', ')}`);
  const sfn = transitions * PRICES.sfnStandardTransition.usd;
  const lambda = lambdaDollars(record.lambdaInvocations);
  return {
    scene: record.scene.name,
    seed: record.seed,
    outcome: why.length === 0 ? 'passed' : 'failed',
    why,
    virtualMs: record.virtualMs,
    executions: {
      total: execs.length,
      succeeded: execs.filter((e) => e.status === 'SUCCEEDED').length,
      failed: execs.filter((e) => e.status !== 'SUCCEEDED' && e.status !== 'RUNNING').length,
    },
    transitions,
    lambda: { requests: record.lambdaInvocations.length, gbSeconds: gbSeconds(record.lambdaInvocations) },
    dollars: { stepFunctions: sfn, lambda, total: sfn + lambda },
    runs: workflowRuns(record),
    timedOutCommands: execs
      .filter(timedOutCommand)
      .map((e) => ({ name: e.name, transitions: e.transitions })),
    invariants: {
      held: unexpected.length === 0,
      violations: unexpected.map((v) => `${v.invariant}: ${v.message}`),
      accepted: record.violations.length - unexpected.length,
    },
    window: record.window,
  };
}

/** A node-command execution that ended timed out: CommandTimedOut, its own timeout, or SSM's TimedOut status. */
export function timedOutCommand(e: ExecutionRecord): boolean {
  if (e.stateMachine !== 'node-command' || e.status === 'RUNNING' || e.status === 'SUCCEEDED') return false;
  if (e.status === 'TIMED_OUT' || e.error === 'CommandTimedOut') return true;
  const failed = e.history.find((h) => h.type === 'StateEntered' && h.state === 'NodeCommandFailed');
  const status = (failed?.data as { state?: { input?: { invocation?: { status?: string } } } } | undefined)
    ?.state?.input?.invocation?.status;
  return status === 'TimedOut';
}

// ------------------------------------------------------------------ formatting

/** `4m12s`, `38s`, `1h02m`. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** "4m12s / 3m05s = 1.36×", or "—" without a window. */
export function windowText(w: KeyWindow | undefined): string {
  if (!w) return '—';
  const ratio = w.floorMs > 0 ? `${(w.windowMs / w.floorMs).toFixed(2)}×` : 'n/a';
  return `${duration(w.windowMs)} / ${duration(w.floorMs)} = ${ratio}`;
}

/** Dollars with enough digits for fractions of a cent. */
export const dollars = (usd: number): string => `$${usd.toFixed(5)}`;

/** The invariants cell: held, held with episodes the scene causes on purpose (accepted), or the number violated. */
export function invariantsText(s: SceneSummary): string {
  if (!s.invariants.held) return `${s.invariants.violations.length} violated`;
  return s.invariants.accepted > 0 ? `held (${s.invariants.accepted} accepted)` : 'held';
}

/** The closing table: one row per scene and a total row; columns padded (plain text, no colour). */
export function summaryTable(summaries: readonly SceneSummary[]): string {
  const header = [
    'scene',
    'outcome',
    'key window / floor',
    'executions',
    'transitions',
    'dollars',
    'invariants',
  ];
  const rows = summaries.map((s) => [
    s.scene,
    s.outcome,
    windowText(s.window),
    String(s.executions.total),
    String(s.transitions),
    dollars(s.dollars.total),
    invariantsText(s),
  ]);
  const passed = summaries.filter((s) => s.outcome === 'passed').length;
  rows.push([
    `total (${summaries.length})`,
    `${passed} passed`,
    '',
    String(summaries.reduce((n, s) => n + s.executions.total, 0)),
    String(summaries.reduce((n, s) => n + s.transitions, 0)),
    dollars(summaries.reduce((n, s) => n + s.dollars.total, 0)),
    `${summaries.filter((s) => s.invariants.held).length} held`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i >= 3 && i <= 5 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
