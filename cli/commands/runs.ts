/** `hactl runs [--workflow W] [--since 2h]` and `hactl runs --follow <execution>`. */
import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  ListExecutionsCommand,
  type ListExecutionsCommandOutput,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { WORKFLOW_NAMES, WORKFLOW_RUNS, type WorkflowName } from '../../infra/operations';
import type { CliContext, CliContextFactory } from '../context';
import { CliError } from '../errors';
import { EXIT, type ExitCode } from '../exit-codes';
import { type FollowOutcome, followRun } from '../follow';
import { formatElapsed, isoTime, paint, parseDuration, printJson, say, table } from '../output';

interface RunsOptions {
  workflow?: string;
  since?: string;
  region?: string;
  follow?: string;
  limit?: string;
}

export interface RunRow {
  workflow: string;
  name: string;
  executionArn: string;
  status: string;
  startedAt: string;
  stoppedAt?: string;
}

/** The execution ARN of `name` in the state machine `stateMachineArn`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

function isNotFound(err: unknown): boolean {
  const name = (err as Error | undefined)?.name ?? '';
  return name === 'ExecutionDoesNotExist' || name === 'StateMachineDoesNotExist';
}

/** An execution ARN as given, or the ARN of the run named so in one of the region's workflows. */
export async function resolveExecution(ctx: CliContext, region: string, run: string): Promise<string> {
  if (run.startsWith('arn:')) {
    if (!/^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(run)) {
      throw new CliError(EXIT.USAGE, `not an execution ARN: ${run}`);
    }
    return run;
  }
  const stack = await ctx.backend.stack(region);
  const sfn = ctx.backend.clients(region).sfn;
  for (const workflow of WORKFLOW_NAMES) {
    const arn = executionArnOf(stack.stateMachineArn(workflow), run);
    try {
      await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
      return arn;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  throw new CliError(
    EXIT.ENVIRONMENT,
    `no run named ${run} in ${region}: pass its execution ARN or --region`,
  );
}

/** The runs of `stateMachineArn` started at or after `since` (newest first), at most `limit`. */
export async function runsSince(
  sfn: SFNClient,
  stateMachineArn: string,
  since: number,
  limit: number,
): Promise<ExecutionListItem[]> {
  const out: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < 10; page++) {
    let res: ListExecutionsCommandOutput;
    try {
      res = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn, maxResults: 100, ...(nextToken ? { nextToken } : {}) }),
      );
    } catch (err) {
      if (isNotFound(err)) return out;
      throw err;
    }
    // ListExecutions answers the most recent run first (Step Functions API reference, ListExecutions); each
    // page is sorted so again, so an answer in another order cannot end the scan early.
    const page = [...(res.executions ?? [])].sort(
      (a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0),
    );
    for (const e of page) {
      if ((e.startDate?.getTime() ?? 0) < since) return out;
      out.push(e);
      if (out.length >= limit) return out;
    }
    nextToken = res.nextToken;
    if (!nextToken) break;
  }
  return out;
}

function workflowsOf(flag: string | undefined): WorkflowName[] {
  if (flag === undefined) return WORKFLOW_NAMES.filter((w) => WORKFLOW_RUNS[w].root);
  if (!(WORKFLOW_NAMES as readonly string[]).includes(flag)) {
    throw new CliError(EXIT.USAGE, `unknown workflow ${flag} (one of ${WORKFLOW_NAMES.join(', ')})`);
  }
  return [flag as WorkflowName];
}

function statusColour(ctx: CliContext, status: string): string {
  const c =
    status === 'SUCCEEDED'
      ? 'green'
      : status === 'RUNNING'
        ? 'blue'
        : status === 'WAITING'
          ? 'yellow'
          : 'red';
  return paint(ctx, c, status);
}

async function list(ctx: CliContext, opts: RunsOptions): Promise<ExitCode> {
  const sinceMs = parseDuration(opts.since ?? '2h');
  if (sinceMs === undefined)
    throw new CliError(EXIT.USAGE, `--since takes a duration like 90m, 2h, 7d (got ${opts.since})`);
  const workflows = workflowsOf(opts.workflow);
  const region = ctx.region(opts.region);
  const stack = await ctx.backend.stack(region);
  const sfn = ctx.backend.clients(region).sfn;
  const since = ctx.backend.now() - sinceMs;
  const rows: RunRow[] = [];
  for (const workflow of workflows) {
    for (const e of await runsSince(sfn, stack.stateMachineArn(workflow), since, 100)) {
      rows.push({
        workflow,
        name: e.name ?? '',
        executionArn: e.executionArn ?? '',
        status: e.status ?? 'UNKNOWN',
        startedAt: isoTime(e.startDate),
        ...(e.stopDate ? { stoppedAt: isoTime(e.stopDate) } : {}),
      });
    }
  }
  rows.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  if (ctx.json) {
    printJson(ctx, { region, since: isoTime(since), runs: rows });
    return EXIT.OK;
  }
  if (rows.length === 0) {
    say(ctx, `no runs in ${region} since ${isoTime(since)}${opts.workflow ? ` of ${opts.workflow}` : ''}`);
    return EXIT.OK;
  }
  const now = ctx.backend.now();
  say(
    ctx,
    table(
      ['WORKFLOW', 'RUN', 'STATUS', 'STARTED', 'TOOK'],
      rows.map((r) => [
        r.workflow,
        r.name,
        statusColour(ctx, r.status),
        r.startedAt,
        formatElapsed((r.stoppedAt ? Date.parse(r.stoppedAt) : now) - Date.parse(r.startedAt)),
      ]),
    ),
  );
  return EXIT.OK;
}

/** The follow view's JSON document and last line (shared with ACT's commands). */
export function reportOutcome(ctx: CliContext, outcome: FollowOutcome): ExitCode {
  if (ctx.json) {
    printJson(ctx, {
      executionArn: outcome.executionArn,
      status: outcome.status,
      exitCode: outcome.exitCode,
      startedAt: isoTime(outcome.startedAt),
      stoppedAt: outcome.endedAt === undefined ? null : isoTime(outcome.endedAt),
      phases: outcome.phases.map((p) => ({
        name: p.name,
        child: p.child,
        status: p.status,
        entries: p.entries,
        startedAt: isoTime(p.startedAt),
        endedAt: p.endedAt === undefined ? null : isoTime(p.endedAt),
      })),
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
      ...(outcome.cause === undefined ? {} : { cause: outcome.cause }),
      ...(outcome.output === undefined ? {} : { output: outcome.output }),
      ...(outcome.waiting === undefined ? {} : { waiting: outcome.waiting }),
    });
  } else if (outcome.waiting) {
    const run = outcome.executionArn.split(':').at(-1);
    say(
      ctx,
      `run ${statusColour(ctx, 'WAITING')} for an approval (${outcome.waiting.state}): approve with \`hactl approve ${run}\`, or refuse with \`hactl reject ${run} --reason "…"\``,
    );
  } else {
    const took =
      outcome.startedAt === undefined
        ? ''
        : ` in ${formatElapsed((outcome.endedAt ?? ctx.backend.now()) - outcome.startedAt)}`;
    const why = outcome.error ? `: ${outcome.error}${outcome.cause ? ` (${outcome.cause})` : ''}` : '';
    say(ctx, `run ${statusColour(ctx, outcome.status)}${took}${why}`);
  }
  return outcome.exitCode;
}

async function follow(ctx: CliContext, opts: RunsOptions, run: string): Promise<ExitCode> {
  const region = ctx.region(opts.region);
  const arn = await resolveExecution(ctx, region, run);
  return reportOutcome(ctx, await followRun(ctx, arn));
}

export function register(program: Command, factory: CliContextFactory): void {
  program
    .command('runs')
    .description('the recent runs of the workflows, or --follow one run until it ends')
    .option('--workflow <name>', 'one workflow (default: every root workflow)')
    .option('--since <duration>', 'how far back (90m, 2h, 7d)', '2h')
    .option('--follow <execution>', 'follow a run (execution ARN or name): its phases until it ends')
    .action(
      factory.action<RunsOptions>((ctx, opts) =>
        opts.follow === undefined ? list(ctx, opts) : follow(ctx, opts, opts.follow),
      ),
    );
}
