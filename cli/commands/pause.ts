/** `hactl pause --reason …` and `hactl resume --reason …`: the global pause (the operations Lambda's op). */
import type { Command } from 'commander';
import type { CliContext, CliContextFactory } from '../context';
import { CliError, requireReason } from '../errors';
import { EXIT, type ExitCode } from '../exit-codes';
import { callOperation } from '../ops';
import { note, paint, printJson, say, table } from '../output';
import { confirm } from '../prompt';

interface ChangeOptions {
  reason?: string;
  dryRun?: boolean;
}

interface PauseCopy {
  region: string;
  outcome?: string;
  version?: number;
  error?: string;
}

interface PauseResult {
  op: 'pause' | 'resume';
  version: number;
  paused: boolean;
  effective: boolean;
  automationEnabled: boolean;
  copies: PauseCopy[];
  audited: boolean;
  notified: boolean;
}

interface PauseStatus {
  effective: boolean | 'unknown';
  majority: { paused?: boolean; version?: number; actor?: string; reason?: string; error?: string };
}

async function change(ctx: CliContext, paused: boolean, opts: ChangeOptions): Promise<ExitCode> {
  const reason = requireReason(opts.reason);
  const region = ctx.region();
  const op = paused ? 'pause' : 'resume';
  // The op has no dry run of its own: the current state is its verdict (what would change).
  const now = await callOperation<PauseStatus>(ctx, region, { op: 'pause-status' });
  const current = now.majority.paused;
  const verdict =
    current === undefined
      ? `the pause's majority is unknown (${now.majority.error ?? 'no answer'}); ${op} writes every copy`
      : current === paused
        ? `automation is already ${paused ? 'paused' : 'running'} (version ${now.majority.version}); ${op} writes it again`
        : `${op} turns the pause ${paused ? 'on' : 'off'} (version ${now.majority.version} → ${(now.majority.version ?? 0) + 1})`;
  if (!ctx.json) say(ctx, `dry run: ${verdict}`);
  if (opts.dryRun) {
    if (ctx.json) printJson(ctx, { op, dryRun: true, region, verdict, current: now.majority });
    return EXIT.OK;
  }
  if (!(await confirm(ctx, `${op} automation in every region?`))) {
    throw new CliError(EXIT.REFUSED, `refused: ${op} not confirmed`);
  }
  const actor = await ctx.backend.identity();
  const result = await callOperation<PauseResult>(ctx, region, { op, actor, reason });
  // 'newer': the copy held a later change already (not a failure); 'unreachable': not written.
  const failed = result.copies.filter((c) => c.outcome === 'unreachable');
  if (ctx.json) {
    printJson(ctx, { ...result, region, actor, reason });
  } else {
    say(
      ctx,
      `${paint(ctx, paused ? 'yellow' : 'green', paused ? 'paused' : 'resumed')}: version ${result.version}, effective pause here: ${result.effective ? 'on' : 'off'}`,
    );
    say(
      ctx,
      table(
        ['COPY', 'OUTCOME'],
        result.copies.map((c) => [
          c.region,
          c.outcome === 'written'
            ? paint(ctx, 'green', 'written')
            : paint(ctx, c.outcome === 'newer' ? 'yellow' : 'red', c.outcome ?? c.error ?? '?'),
        ]),
      ),
    );
    if (!result.audited) note(ctx, 'warning: the audit entry was not written (see the operations log)');
    if (!result.notified) note(ctx, 'warning: the announcement was not published (see the operations log)');
  }
  // A majority holds it when the op returns: a minority copy not written is a warning, not a failure.
  if (failed.length > 0 && !ctx.json) note(ctx, `warning: ${failed.length} copy(ies) not written`);
  return EXIT.OK;
}

export function register(program: Command, factory: CliContextFactory): void {
  program
    .command('pause')
    .description('pause automation everywhere (every automatic path holds; manual runs still act)')
    .option('--reason <text>', 'why (required; goes to the audit trail)')
    .option('--dry-run', 'show what would change, change nothing')
    .action(factory.action<ChangeOptions>((ctx, opts) => change(ctx, true, opts), { change: true }));
  program
    .command('resume')
    .description('resume automation everywhere')
    .option('--reason <text>', 'why (required; goes to the audit trail)')
    .option('--dry-run', 'show what would change, change nothing')
    .action(factory.action<ChangeOptions>((ctx, opts) => change(ctx, false, opts), { change: true }));
}
