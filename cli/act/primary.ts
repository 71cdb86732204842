/**
 * `hactl failover primary --region R --reason … [--candidate i-…] [--dry-run] [--force]` and
 * `hactl rotate-certs [--region R] [--nodes i-…,…] [--dry-run] --reason …` (issue 16): primary-failover and
 * cert-rotation started in the region's own control plane (each region's stack runs its own; the input's
 * region must be the stack's, functions/failover/input.ts validate).
 */
import type { CliContext } from '../context';
import { CliError } from '../errors';
import { EXIT, type ExitCode } from '../exit-codes';
import { runChange } from './flow';
import { failoverInput, InputError, parseNodes, rotationInput } from './inputs';
import { failoverVerdict, rotationVerdict } from './verdicts';

function usage<T>(make: () => T): T {
  try {
    return make();
  } catch (err) {
    if (err instanceof InputError) throw new CliError(EXIT.USAGE, err.message);
    throw err;
  }
}

export interface FailoverOptions {
  region?: string | undefined;
  reason: string;
  candidate?: string | undefined;
  dryRun?: boolean | undefined;
  force?: boolean | undefined;
  wait?: boolean | undefined;
}

/** --force goes to the dry run too: its verdict is the forced run's (the gate's overridable rules). */
export async function failoverPrimary(ctx: CliContext, o: FailoverOptions): Promise<ExitCode> {
  if (o.region === undefined)
    throw new CliError(EXIT.USAGE, '--region is required: the region whose primary fails over');
  const region = ctx.region(o.region);
  const flags = {
    cluster: ctx.config.cluster.name,
    region,
    reason: o.reason,
    candidate: o.candidate,
    force: o.force,
  };
  const input = (dryRun: boolean) => usage(() => failoverInput(flags, dryRun));
  input(true);
  return runChange(ctx, {
    what: `failover primary in ${region}${o.candidate ? ` to ${o.candidate}` : ''}${o.force ? ' (forced)' : ''}`,
    region,
    workflow: 'primary-failover',
    input,
    nameParts: ['failover', region],
    read: failoverVerdict,
    forceHint: (v) =>
      o.force !== true && /Refused by the gate/.test(v.summary)
        ? "--force overrides the gate's overridable rules"
        : undefined,
    dryRunOnly: o.dryRun === true,
    noWait: o.wait === false,
  });
}

export interface RotateOptions {
  region?: string | undefined;
  reason: string;
  nodes?: string | undefined;
  dryRun?: boolean | undefined;
  wait?: boolean | undefined;
}

export async function rotateCerts(ctx: CliContext, o: RotateOptions): Promise<ExitCode> {
  const region = ctx.region(o.region);
  const nodes = usage(() => parseNodes(o.nodes));
  usage(() => rotationInput({ reason: o.reason, nodes, actor: 'hactl' }, true));
  const actor = await ctx.backend.identity();
  return runChange(ctx, {
    what: `rotate-certs in ${region}${nodes ? ` of ${nodes.join(', ')}` : ''}`,
    region,
    workflow: 'cert-rotation',
    input: (dryRun) => usage(() => rotationInput({ reason: o.reason, nodes, actor }, dryRun)),
    nameParts: ['rotate-certs', region],
    read: rotationVerdict,
    dryRunOnly: o.dryRun === true,
    noWait: o.wait === false,
  });
}
