/** `hactl failover primary` (issue 16): primary-failover's manual run, dry run first (cli/act/primary.ts). */
import type { Command } from 'commander';
import { type FailoverOptions, failoverPrimary } from '../act/primary';
import type { CliContextFactory } from '../context';

export function register(program: Command, factory: CliContextFactory): void {
  program
    .command('failover')
    .description('fail over a workflow-managed role')
    .command('primary')
    .description(
      "hand the region's primary to another node (primary-failover, manual trigger): dry run, confirm, run, follow",
    )
    .option('--reason <text>', 'why (required; goes to the audit trail)')
    .option('--candidate <instance>', 'the node to promote (default: the workflow picks)')
    .option('--dry-run', 'show the verdict only, start no real run')
    .option('--force', "override the gate's overridable rules (the workflow's force input)")
    .option('--no-wait', 'start the run and return (follow it with hactl runs --follow)')
    .addHelpText('after', '\nThe region is the global --region (required here).')
    .action(factory.action<FailoverOptions>((ctx, opts) => failoverPrimary(ctx, opts), { change: true }));
}
