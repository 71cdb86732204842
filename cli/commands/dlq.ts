/** `hactl dlq list` and `hactl dlq replay [--message-id …] [--dry-run] --reason …` (the operations Lambda). */
import type { Command } from 'commander';
import type { CliContext, CliContextFactory } from '../context';
import { CliError, requireReason } from '../errors';
import { EXIT, type ExitCode } from '../exit-codes';
import { callOperation } from '../ops';
import { paint, printJson, say, table } from '../output';
import { confirm } from '../prompt';

interface Letter {
  messageId: string;
  shape: string;
  target?: string;
  detailType?: string;
  eventTime?: string;
  error?: string;
  ageSeconds?: number;
  stale?: boolean;
  reason?: string;
}

interface ListAnswer {
  messages: Letter[];
  count: number;
}

interface Replayed {
  messageId: string;
  result: string;
  reason?: string;
  target?: string;
}

interface ReplayAnswer {
  dryRun: boolean;
  replayed: number;
  discarded: number;
  kept: number;
  failed: number;
  wouldReplay?: number;
  wouldDiscard?: number;
  results: Replayed[];
}

interface ListOptions {
  max?: string;
  region?: string;
}

interface ReplayOptions extends ListOptions {
  messageId?: string[];
  dryRun?: boolean;
  discardStale?: boolean;
  reason?: string;
}

function maxOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 50)
    throw new CliError(EXIT.USAGE, `--max takes 1 to 50 (got ${text})`);
  return n;
}

async function list(ctx: CliContext, opts: ListOptions): Promise<ExitCode> {
  const max = maxOf(opts.max);
  const region = ctx.region(opts.region);
  const actor = await ctx.backend.identity();
  const answer = await callOperation<ListAnswer>(ctx, region, {
    op: 'dead-letters-list',
    actor,
    ...(max === undefined ? {} : { max }),
  });
  if (ctx.json) {
    printJson(ctx, { region, count: answer.count, messages: answer.messages });
    return EXIT.OK;
  }
  if (answer.count === 0) {
    say(ctx, `the dead-letter queue of ${region} is empty`);
    return EXIT.OK;
  }
  say(
    ctx,
    table(
      ['MESSAGE', 'TARGET', 'EVENT', 'AGE', 'ERROR'],
      answer.messages.map((m) => [
        m.messageId,
        m.target ?? m.shape,
        `${m.detailType ?? m.shape}${m.stale ? paint(ctx, 'yellow', ' (stale tick)') : ''}`,
        m.ageSeconds === undefined ? '-' : `${Math.round(m.ageSeconds / 60)}m`,
        m.error ?? m.reason ?? '-',
      ]),
    ),
  );
  return EXIT.OK;
}

function showReplay(ctx: CliContext, a: ReplayAnswer): void {
  const counts = a.dryRun
    ? `would replay ${a.wouldReplay ?? 0}, would discard ${a.wouldDiscard ?? 0}, keep ${a.kept}`
    : `replayed ${a.replayed}, discarded ${a.discarded}, kept ${a.kept}, failed ${a.failed}`;
  say(ctx, `${a.dryRun ? 'dry run: ' : ''}${counts}`);
  if (a.results.length > 0) {
    say(
      ctx,
      table(
        ['MESSAGE', 'RESULT', 'WHY'],
        a.results.map((r) => [r.messageId, r.result, r.reason ?? '-']),
      ),
    );
  }
}

async function replay(ctx: CliContext, opts: ReplayOptions): Promise<ExitCode> {
  const reason = requireReason(opts.reason);
  const max = maxOf(opts.max);
  const region = ctx.region(opts.region);
  const actor = await ctx.backend.identity();
  const request = {
    op: 'dead-letters-replay' as const,
    actor,
    reason,
    ...(opts.messageId && opts.messageId.length > 0 ? { messageIds: opts.messageId } : {}),
    ...(max === undefined ? {} : { max }),
    ...(opts.discardStale ? { discardStale: true } : {}),
  };
  const dry = await callOperation<ReplayAnswer>(ctx, region, { ...request, dryRun: true });
  if (opts.dryRun) {
    if (ctx.json) printJson(ctx, { region, ...dry });
    else showReplay(ctx, dry);
    return EXIT.OK;
  }
  if (!ctx.json) showReplay(ctx, dry);
  if ((dry.wouldReplay ?? 0) + (dry.wouldDiscard ?? 0) === 0) {
    if (ctx.json) printJson(ctx, { region, ...dry });
    else say(ctx, 'nothing to replay');
    return EXIT.OK;
  }
  if (!(await confirm(ctx, `replay these dead letters in ${region}?`))) {
    throw new CliError(EXIT.REFUSED, 'refused: replay not confirmed');
  }
  const done = await callOperation<ReplayAnswer>(ctx, region, request);
  if (ctx.json) printJson(ctx, { region, ...done });
  else showReplay(ctx, done);
  return done.failed > 0 ? EXIT.FAILED : EXIT.OK;
}

export function register(program: Command, factory: CliContextFactory): void {
  const dlq = program.command('dlq').description("the region's dead-letter queue");
  dlq
    .command('list')
    .description('peek at the dead letters (they stay queued)')
    .option('--max <n>', 'at most this many (1 to 50; default 10)')
    .action(factory.action<ListOptions>((ctx, opts) => list(ctx, opts)));
  dlq
    .command('replay')
    .description('replay dead letters to their function (dry run first, then confirm)')
    .option('--message-id <id...>', 'only these messages (default: every visible one)')
    .option('--max <n>', 'at most this many (1 to 50; default 10)')
    .option('--dry-run', 'say what would be replayed, change nothing')
    .option('--discard-stale', 'delete past scheduled ticks instead of keeping them')
    .option('--reason <text>', 'why (required; goes to the audit trail)')
    .action(factory.action<ReplayOptions>((ctx, opts) => replay(ctx, opts), { change: true }));
}
