/**
 * `hactl evacuate R`, `hactl restore R`, `hactl approve <run>`, `hactl reject <run>` (issue 16): regional-failover
 * started in a peer region's control plane as dispatch does (docs/regional-failover.md: start it in a healthy
 * region, not the one you evacuate), and the answer to the approval a run waits on.
 */
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
} from '@aws-sdk/client-sfn';
import type { CliContext } from '../context';
import { CliError } from '../errors';
import { EXIT, type ExitCode } from '../exit-codes';
import { readHistory } from '../follow';
import { executionArnOf, openApprovalToken, regionOfArn, startedBy } from './approval';
import { emitJson, followToEnd, runChange, say } from './flow';
import { InputError, regionalInput } from './inputs';
import { regionalVerdict } from './verdicts';

export const REGIONAL = 'regional-failover';
export const APPROVAL = 'regional-failover-approval';

export interface RegionalOptions {
  reason: string;
  from?: string | undefined;
  force?: boolean | undefined;
  dryRun?: boolean | undefined;
  wait?: boolean | undefined;
}

/** The control plane that runs the change: `--from`, else the first configured region ≠ R whose stack answers. */
export async function controlPlaneFor(ctx: CliContext, target: string, from?: string): Promise<string> {
  if (from !== undefined) {
    const r = ctx.region(from);
    if (r === target)
      throw new CliError(EXIT.USAGE, `--from ${r}: start it in another region than the one it changes`);
    await ctx.backend.stack(r);
    return r;
  }
  const tried: string[] = [];
  for (const { name } of ctx.config.regions) {
    if (name === target) continue;
    try {
      await ctx.backend.stack(name);
      return name;
    } catch (err) {
      tried.push(`${name}: ${(err as Error).message}`);
    }
  }
  throw new CliError(
    EXIT.ENVIRONMENT,
    tried.length === 0
      ? `no other configured region than ${target} to run it from: add one to the config or give --from`
      : `no peer control plane answers (${tried.join('; ')}): give --from`,
  );
}

export async function regionalChange(
  ctx: CliContext,
  action: 'evacuate' | 'restore',
  target: string,
  o: RegionalOptions,
): Promise<ExitCode> {
  ctx.region(target); // a region not in the config: exit 4
  const from = await controlPlaneFor(ctx, target, o.from);
  const actor = await ctx.backend.identity();
  const input = (dryRun: boolean) => {
    try {
      return regionalInput({ action, region: target, reason: o.reason, force: o.force, actor }, dryRun);
    } catch (err) {
      if (err instanceof InputError) throw new CliError(EXIT.USAGE, err.message);
      throw err;
    }
  };
  input(true);
  say(ctx, `${action} ${target}: run by the ${from} control plane`);
  return runChange(ctx, {
    what: `${action} ${target} (from ${from})`,
    region: from,
    workflow: REGIONAL,
    input,
    nameParts: [action, target],
    read: regionalVerdict,
    forceHint: (v) =>
      o.force !== true && v.details.some((d) => /^FAIL (capacity|primary|certificates|replication)/.test(d))
        ? '--force goes past failing readiness checks (break-glass), never the serving minimum or the wait'
        : undefined,
    dryRunOnly: o.dryRun === true,
    noWait: o.wait === false,
  });
}

/** The open approval token of `runArn` (its running approval child's waiting Task), if it asks one. */
export async function findApproval(
  ctx: CliContext,
  region: string,
  runArn: string,
): Promise<string | undefined> {
  const sfn = ctx.backend.clients(region).sfn;
  const stack = await ctx.backend.stack(region);
  const listed = await sfn.send(
    new ListExecutionsCommand({ stateMachineArn: stack.stateMachineArn(APPROVAL), statusFilter: 'RUNNING' }),
  );
  for (const e of listed.executions ?? []) {
    if (!e.executionArn) continue;
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
    if (!startedBy(d.input, runArn)) continue;
    const token = openApprovalToken(await readHistory(sfn, e.executionArn));
    if (token !== undefined) return token;
  }
  return undefined;
}

export interface AnswerOptions {
  reason: string;
  region?: string | undefined;
  wait?: boolean | undefined;
}

/** `approve` / `reject`: the waiting run's token answered, then the run followed to its end. */
export async function answer(
  ctx: CliContext,
  run: string,
  approve: boolean,
  o: AnswerOptions,
): Promise<ExitCode> {
  let region = o.region !== undefined ? ctx.region(o.region) : undefined;
  let arn: string;
  try {
    if (!run.startsWith('arn:')) region ??= ctx.region();
    const machine = region ? (await ctx.backend.stack(region)).stateMachineArn(REGIONAL) : '';
    arn = executionArnOf(run, machine);
    region = ctx.region(regionOfArn(arn));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(EXIT.USAGE, (err as Error).message);
  }
  const sfn = ctx.backend.clients(region).sfn;
  const actor = await ctx.backend.identity();
  const token = await findApproval(ctx, region, arn);
  if (token === undefined)
    throw new CliError(
      EXIT.REFUSED,
      `${arn} waits for no approval (ended, not asking yet, or answered): hactl runs --follow ${arn}`,
    );
  if (approve)
    await sfn.send(
      new SendTaskSuccessCommand({
        taskToken: token,
        output: JSON.stringify({ approved: true, by: actor, reason: o.reason }),
      }),
    );
  else
    await sfn.send(
      new SendTaskFailureCommand({
        taskToken: token,
        error: 'NotApproved',
        cause: `${o.reason} (${actor})`.slice(0, 32_000),
      }),
    );
  say(ctx, `${approve ? 'Approved' : 'Rejected'} ${arn}`);
  if (o.wait === false) {
    emitJson(ctx, { executionArn: arn, result: approve ? 'approved' : 'rejected' });
    return EXIT.OK;
  }
  // The answer ends the wait: follow through it (a first read may still see the Task waiting).
  return followToEnd(
    ctx,
    arn,
    { command: approve ? 'approve' : 'reject', region, actor },
    { throughApproval: true },
  );
}
