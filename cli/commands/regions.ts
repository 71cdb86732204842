/**
 * `hactl evacuate R`, `hactl restore R`, `hactl approve <run>`, `hactl reject <run>` (issue 16): regional-failover
 * started in a peer region's control plane, and the answer to the approval it waits on (cli/act/regional.ts).
 */
import type { Command } from 'commander';
import { type AnswerOptions, answer, type RegionalOptions, regionalChange } from '../act/regional';
import type { CliContextFactory } from '../context';

export function register(program: Command, factory: CliContextFactory): void {
  for (const action of ['evacuate', 'restore'] as const) {
    program
      .command(`${action} <region>`)
      .description(
        action === 'evacuate'
          ? 'take a region out of DNS (regional-failover): dry run, confirm, run, follow'
          : 'put a region back into DNS (regional-failover): dry run, confirm, run, follow',
      )
      .option('--reason <text>', 'why (required; goes to the audit trail)')
      .option(
        '--from <region>',
        'the control plane that runs it (default: the first other configured region whose stack answers)',
      )
      .option('--force', 'break-glass past failing readiness checks (never the serving minimum)')
      .option('--dry-run', 'show the verdict and each check only')
      .option('--no-wait', 'start the run and return')
      .action(
        factory.action<RegionalOptions>(
          (ctx, opts, [region]) => regionalChange(ctx, action, region as string, opts),
          {
            change: true,
          },
        ),
      );
  }
  for (const approve of [true, false]) {
    program
      .command(`${approve ? 'approve' : 'reject'} <run>`)
      .description(
        approve
          ? 'approve the regional-failover run waiting for it (SendTaskSuccess), then follow it'
          : 'reject the regional-failover run waiting for approval (SendTaskFailure NotApproved), then follow it',
      )
      .option('--reason <text>', 'why (required; kept in the answer)')
      .option('--no-wait', 'answer and return')
      .addHelpText(
        'after',
        '\n<run>: the execution ARN, or its name with the global --region of the control plane running it.',
      )
      .action(
        factory.action<AnswerOptions>((ctx, opts, [run]) => answer(ctx, run as string, approve, opts), {
          change: true,
        }),
      );
  }
}
