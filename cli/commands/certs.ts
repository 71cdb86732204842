/** `hactl rotate-certs` (issue 16): cert-rotation's manual run, dry run first (cli/act/primary.ts). */
import type { Command } from 'commander';
import { type RotateOptions, rotateCerts } from '../act/primary';
import type { CliContextFactory } from '../context';

export function register(program: Command, factory: CliContextFactory): void {
  program
    .command('rotate-certs')
    .description(
      "renew the nodes' TLS certificates (cert-rotation, manual trigger): dry run, confirm, run, follow",
    )
    .option('--reason <text>', 'why (required; goes to the audit trail)')
    .option('--nodes <ids>', 'only these instances, comma-separated (default: every node due)')
    .option('--dry-run', 'show the plan only')
    .option('--no-wait', 'start the run and return')
    .addHelpText('after', "\nThe region is the global --region (default: the config's first).")
    .action(factory.action<RotateOptions>((ctx, opts) => rotateCerts(ctx, opts), { change: true }));
}
