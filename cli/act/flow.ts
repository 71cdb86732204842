/**
 * How every ACT command changes something (issue 16, contract §2): the workflow's own dry run first, its
 * verdict shown; a refusal ends it (exit 2); then the confirmation (a y/N prompt on a TTY, else `--yes`); then
 * the real run, followed until it ends (CORE's `followRun`) unless `--no-wait`.
 */
import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { CliContext } from '../context';
import { CliError } from '../errors';
import { EXIT, type ExitCode } from '../exit-codes';
import { type FollowOptions, followRun } from '../follow';
import { printJson, say as sayLine } from '../output';
import { confirm } from '../prompt';
import { executionName } from './inputs';
import { parseOutput, type Verdict } from './verdicts';

/** How long hactl waits for a dry run (they read and plan only: minutes at most). */
const DRY_RUN_LIMIT_MS = 15 * 60_000;
const POLL_MS = 2_000;

export interface ChangeSpec {
  /** What the run does, for the prompt: `failover primary in eu-west-1`. */
  readonly what: string;
  /** The control plane that runs it. */
  readonly region: string;
  readonly workflow: string;
  readonly input: (dryRun: boolean) => Record<string, unknown>;
  readonly nameParts: readonly string[];
  readonly read: (output: Record<string, unknown>) => Verdict;
  readonly dryRunOnly: boolean;
  /** Said after a refusal when `--force` was not given and the workflow's force can override it. */
  readonly forceHint?: ((verdict: Verdict) => string | undefined) | undefined;
  readonly noWait: boolean;
}

/** A human line on stdout (never with --json). */
export function say(ctx: CliContext, line: string): void {
  if (!ctx.json) sayLine(ctx, line);
}

/** The one JSON document of --json (nothing otherwise). */
export function emitJson(ctx: CliContext, doc: unknown): void {
  if (ctx.json) printJson(ctx, doc);
}

export async function start(
  sfn: SFNClient,
  stateMachineArn: string,
  name: string,
  input: unknown,
): Promise<string> {
  const out = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
  );
  if (!out.executionArn)
    throw new CliError(EXIT.FAILED, `StartExecution of ${name} returned no execution ARN`);
  return out.executionArn;
}

/** Waits for `executionArn` to end (virtual time in the twin); its output, or the refusal / failure. */
export async function awaitDryRun(
  ctx: CliContext,
  sfn: SFNClient,
  executionArn: string,
): Promise<Record<string, unknown>> {
  const deadline = ctx.backend.now() + DRY_RUN_LIMIT_MS;
  for (let polls = 0; ; polls++) {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (d.status === 'SUCCEEDED') {
      try {
        return parseOutput(d.output);
      } catch (err) {
        throw new CliError(EXIT.FAILED, `dry run ${executionArn}: ${(err as Error).message}`);
      }
    }
    if (d.status !== 'RUNNING' && d.status !== 'PENDING_REDRIVE') {
      const why = `${d.error ?? d.status}${d.cause ? `: ${d.cause}` : ''}`;
      // A ValidationError is the workflow refusing the input before reading anything.
      if (d.error === 'ValidationError')
        throw new CliError(EXIT.REFUSED, `the dry run refused the input: ${why}`);
      throw new CliError(EXIT.FAILED, `the dry run ${executionArn} ended ${why}`);
    }
    if (ctx.backend.now() >= deadline)
      throw new CliError(
        EXIT.FAILED,
        `the dry run ${executionArn} is still running after ${DRY_RUN_LIMIT_MS / 60_000} min`,
      );
    await ctx.backend.sleep(POLL_MS + Math.min(polls, 10) * 500);
  }
}

/** The whole flow of one change; the exit code. */
export async function runChange(ctx: CliContext, spec: ChangeSpec): Promise<ExitCode> {
  const stack = await ctx.backend.stack(spec.region);
  const sfn = ctx.backend.clients(spec.region).sfn as SFNClient;
  const machine = stack.stateMachineArn(spec.workflow);
  const dryArn = await start(
    sfn,
    machine,
    executionName(spec.nameParts, ctx.backend.now(), true),
    spec.input(true),
  );
  say(ctx, `Dry run ${dryArn}`);
  const verdict = spec.read(await awaitDryRun(ctx, sfn, dryArn));
  say(ctx, `Verdict: ${verdict.kind}. ${verdict.summary}`);
  for (const line of verdict.details) say(ctx, `  ${line}`);
  const doc = {
    command: spec.what,
    region: spec.region,
    workflow: spec.workflow,
    dryRun: { executionArn: dryArn, verdict },
  };
  if (verdict.kind === 'refused') {
    emitJson(ctx, { ...doc, result: 'refused' });
    const hint = spec.forceHint?.(verdict);
    throw new CliError(EXIT.REFUSED, `refused by the dry run: ${verdict.summary}${hint ? ` (${hint})` : ''}`);
  }
  if (verdict.kind === 'nothing-to-do' || spec.dryRunOnly) {
    emitJson(ctx, { ...doc, result: verdict.kind === 'nothing-to-do' ? 'nothing-to-do' : 'dry-run' });
    if (verdict.kind === 'nothing-to-do') say(ctx, 'Nothing to do: no run started.');
    return EXIT.OK;
  }
  if (!(await confirm(ctx, `Run ${spec.what}?`)))
    throw new CliError(EXIT.REFUSED, `refused: ${spec.what} not confirmed, nothing was started`);
  const arn = await start(
    sfn,
    machine,
    executionName(spec.nameParts, ctx.backend.now(), false),
    spec.input(false),
  );
  say(ctx, `Started ${arn}`);
  if (spec.noWait) {
    emitJson(ctx, { ...doc, result: 'started', executionArn: arn });
    say(ctx, `Follow it: hactl runs --follow ${arn}`);
    return EXIT.OK;
  }
  return followToEnd(ctx, arn, doc);
}

/**
 * CORE's live view of the run until it ends; then its ending (the report's summary) and the exit code. A run
 * waiting for an approval stops the view (exit 5) with the commands that answer it.
 */
export async function followToEnd(
  ctx: CliContext,
  arn: string,
  doc: Record<string, unknown>,
  opts: FollowOptions = {},
): Promise<ExitCode> {
  const run = await followRun(ctx, arn, opts);
  if (run.exitCode === EXIT.PENDING && run.waiting) {
    const approve = `hactl approve ${arn} --reason "…"`;
    const reject = `hactl reject ${arn} --reason "…"`;
    emitJson(ctx, { ...doc, result: 'pending-approval', executionArn: arn, approve, reject });
    say(ctx, `Waiting for approval (${run.waiting.state}). Answer with:\n  ${approve}\n  ${reject}`);
    return run.exitCode;
  }
  const { outcome, summary } = endingOf(run.output);
  // A run that ended refused or not approved changed nothing: refused (exit 2), not done.
  const exitCode = run.exitCode === EXIT.OK && REFUSALS.has(outcome ?? '') ? EXIT.REFUSED : run.exitCode;
  emitJson(ctx, {
    ...doc,
    result: run.status,
    executionArn: arn,
    ...(outcome ? { outcome } : {}),
    ...(summary ? { summary } : {}),
    ...(run.error ? { error: run.error, cause: run.cause } : {}),
  });
  say(ctx, `${run.status}${outcome ? ` (${outcome})` : ''}: ${arn}${summary ? `\n${summary}` : ''}`);
  if (run.error) say(ctx, `${run.error}${run.cause ? `: ${run.cause}` : ''}`);
  return exitCode;
}

const REFUSALS = new Set(['refused', 'not-approved']);

/**
 * The ending a succeeded run's output states: primary-failover's is its report (`outcome`, `summary`);
 * regional-failover's is its state (`reported.outcome`, refined by the report, else `outcome`; the plan's summary);
 * cert-rotation's its state (`conclusion`).
 */
export function endingOf(raw: unknown): { outcome?: string; summary?: string } {
  const o = (v: unknown): Record<string, unknown> =>
    v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const out = o(raw);
  const outcome = str(o(out.reported).outcome) ?? str(out.outcome) ?? str(o(out.conclusion).outcome);
  const summary = str(out.summary) ?? str(o(out.conclusion).summary) ?? str(o(o(out.planned).plan).summary);
  return { ...(outcome ? { outcome } : {}), ...(summary ? { summary } : {}) };
}
