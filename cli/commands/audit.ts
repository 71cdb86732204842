/** `hactl audit [--since 24h] [--limit N]`: the audit trail (the operations Lambda's `audit` op). */
import type { Command } from 'commander';
import type { AuditRecord } from '../../functions/core/audit-trail';
import type { CliContext, CliContextFactory } from '../context';
import { CliError } from '../errors';
import { EXIT, type ExitCode } from '../exit-codes';
import { callOperation } from '../ops';
import { isoTime, parseDuration, printJson, say, table } from '../output';

interface AuditOptions {
  since?: string;
  limit?: string;
  region?: string;
}

export interface AuditAnswer {
  since: string;
  until: string;
  count: number;
  entries: AuditRecord[];
  more?: boolean;
  nextSince?: string;
}

function limitOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new CliError(EXIT.USAGE, `--limit takes 1 to 1000 (got ${text})`);
  return n;
}

async function audit(ctx: CliContext, opts: AuditOptions): Promise<ExitCode> {
  const sinceMs = parseDuration(opts.since ?? '24h');
  if (sinceMs === undefined)
    throw new CliError(EXIT.USAGE, `--since takes a duration like 90m, 24h, 7d (got ${opts.since})`);
  const limit = limitOf(opts.limit);
  const region = ctx.region(opts.region);
  const now = ctx.backend.now();
  const answer = await callOperation<AuditAnswer>(ctx, region, {
    op: 'audit',
    since: new Date(now - sinceMs).toISOString(),
    until: new Date(now).toISOString(),
    ...(limit === undefined ? {} : { limit }),
  });
  if (ctx.json) {
    printJson(ctx, { region, ...answer });
    return EXIT.OK;
  }
  if (answer.count === 0) {
    say(ctx, `no audit entries in ${region} between ${answer.since} and ${answer.until}`);
    return EXIT.OK;
  }
  say(
    ctx,
    table(
      ['AT', 'KIND', 'WHAT', 'ACTOR', 'REASON'],
      answer.entries.map((e) => [
        isoTime(e.at),
        e.kind,
        [e.workflow, e.decision, e.outcome, e.error && `error: ${e.error}`].filter(Boolean).join(' · ') ||
          '-',
        e.actor ?? '-',
        e.reason ?? '-',
      ]),
    ),
  );
  if (answer.more) say(ctx, `(more: hactl audit --since … with entries after ${answer.nextSince})`);
  return EXIT.OK;
}

export function register(program: Command, factory: CliContextFactory): void {
  program
    .command('audit')
    .description('the audit trail: decisions, runs, operator changes (oldest first)')
    .option('--since <duration>', 'how far back (90m, 24h, 7d)', '24h')
    .option('--limit <n>', 'at most this many entries (1 to 1000; default 100)')
    .action(factory.action<AuditOptions>((ctx, opts) => audit(ctx, opts)));
}
