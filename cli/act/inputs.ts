/**
 * The manual inputs hactl starts the workflows with (issue 16): primary-failover (functions/failover/input.ts),
 * regional-failover (functions/routing/input.ts, the `plan` op's fields) and cert-rotation
 * (functions/certs/input.ts). Each is checked against the workflow's own schema before anything is read, so a
 * bad flag is a usage error (exit 1) and no run is started; the workflow validates again on its side.
 */
import type * as z from 'zod/mini';
import { RotationInputSchema } from '../../functions/certs/input';
import { FailoverInputSchema } from '../../functions/failover/input';
import { ValidationError } from '../../functions/shared/errors';
import { parseOrThrow } from '../../functions/shared/validation';

/** What a usage error carries: the field and why (the command turns it into exit 1). */
export class InputError extends Error {
  override readonly name = 'InputError';
}

function check<T>(schema: z.core.$ZodType<T>, raw: unknown, what: string): T {
  try {
    return parseOrThrow(schema, raw, what);
  } catch (err) {
    if (err instanceof ValidationError) throw new InputError(err.message);
    throw err;
  }
}

/** `requestedBy` fields hold at most 200 characters: a longer caller ARN keeps its end (the session name). */
export function requestedBy(actor: string): string {
  return actor.length <= 200 ? actor : `…${actor.slice(actor.length - 199)}`;
}

export interface FailoverFlags {
  cluster: string;
  region: string;
  reason: string;
  candidate?: string | undefined;
  force?: boolean | undefined;
}

/** primary-failover's manual input; `dryRun` is set by the caller (the dry run first, then the real one). */
export function failoverInput(f: FailoverFlags, dryRun: boolean): Record<string, unknown> {
  const raw = {
    cluster: f.cluster,
    region: f.region,
    reason: f.reason,
    trigger: 'manual',
    ...(f.candidate !== undefined ? { candidate: f.candidate } : {}),
    dryRun,
    force: f.force === true,
  };
  check(FailoverInputSchema, raw, 'primary-failover input');
  return raw;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

export interface RegionalFlags {
  action: 'evacuate' | 'restore';
  region: string;
  reason: string;
  force?: boolean | undefined;
  actor: string;
}

/**
 * regional-failover's manual input (docs/regional-failover.md): the routing `plan` op's fields less `op` and
 * `execution`, which the workflow adds. `force` only when asked (the schema allows it on manual runs only).
 */
export function regionalInput(f: RegionalFlags, dryRun: boolean): Record<string, unknown> {
  const issues: string[] = [];
  if (!REGION.test(f.region)) issues.push(`region: ${JSON.stringify(f.region)} is not an AWS region name`);
  const reason = f.reason.trim();
  if (reason.length === 0) issues.push('reason: reason is required');
  if (reason.length > 500) issues.push('reason: reason is longer than 500 characters');
  if (issues.length > 0) throw new InputError(`invalid regional-failover input: ${issues.join('; ')}`);
  return {
    action: f.action,
    region: f.region,
    reason,
    trigger: 'manual',
    ...(f.force === true ? { force: true } : {}),
    dryRun,
    requestedBy: requestedBy(f.actor),
  };
}

export interface RotationFlags {
  reason: string;
  nodes?: readonly string[] | undefined;
  actor: string;
}

/** `--nodes i-a,i-b`: the list, each id trimmed; an empty entry is a usage error. */
export function parseNodes(flag: string | undefined): string[] | undefined {
  if (flag === undefined) return undefined;
  const ids = flag.split(',').map((s) => s.trim());
  if (ids.some((s) => s.length === 0))
    throw new InputError(`--nodes: empty instance id in ${JSON.stringify(flag)}`);
  return ids;
}

/** cert-rotation's manual input (statemachines/cert-rotation.md). */
export function rotationInput(f: RotationFlags, dryRun: boolean): Record<string, unknown> {
  const raw = {
    trigger: 'manual',
    reason: f.reason,
    ...(f.nodes !== undefined ? { nodes: [...f.nodes] } : {}),
    dryRun,
    requestedBy: requestedBy(f.actor),
  };
  check(RotationInputSchema, raw, 'cert-rotation input');
  return raw;
}

/**
 * A Step Functions execution name (at most 80 characters of letters, digits, `-` and `_`): the command, its
 * subject and the time, so `hactl runs` shows who started what.
 */
export function executionName(parts: readonly string[], now: number, dryRun: boolean): string {
  const stem = ['hactl', ...(dryRun ? ['dry'] : []), ...parts]
    .join('-')
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .slice(0, 60);
  return `${stem}-${now.toString(36)}`;
}
