/** `hactl status [--region R]`: one screen of the control plane's state. */
import type { Command } from 'commander';
import type { CliContext, CliContextFactory } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { printJson, say } from '../output';
import { collectStatus } from '../status-read';
import { renderStatus } from '../status-view';

interface StatusOptions {
  region?: string;
}

async function status(ctx: CliContext, opts: StatusOptions): Promise<ExitCode> {
  const doc = await collectStatus(ctx, opts.region);
  if (ctx.json) printJson(ctx, doc);
  else say(ctx, renderStatus(ctx, doc));
  return EXIT.OK;
}

export function register(program: Command, factory: CliContextFactory): void {
  program
    .command('status')
    .description('regions, primary, nodes, locks, the gate and pause, the last runs: one screen')
    .action(factory.action<StatusOptions>((ctx, opts) => status(ctx, opts)));
}
