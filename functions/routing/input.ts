/** The routing Lambda's requests (issue 14 contract §2), one per `op`. */
import * as z from 'zod/mini';
import { ValidationError } from '../shared/errors';
import type { RoutingSettings } from './settings';

const region = z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'not an AWS region name'));
const owner = z
  .string()
  .check(z.startsWith('arn:aws:states:', 'owner must be a Step Functions execution ARN'));
const epoch = z.int().check(z.gte(1));
/** The routing lease lasts at least its holder's execution (up to an approval's day and the switch). */
export const MAX_ROUTING_LEASE_SECONDS = 3 * 24 * 60 * 60;
const ttlSeconds = z.int().check(z.gte(60), z.lte(MAX_ROUTING_LEASE_SECONDS));
const reason = z.string().check(z.minLength(1), z.maxLength(500));
const trigger = z.enum(['manual', 'automatic', 'drill']);

export const RoutingInputSchema = z.discriminatedUnion('op', [
  z
    .strictObject({
      op: z.literal('plan'),
      action: z.enum(['evacuate', 'restore']),
      region,
      reason,
      force: z.optional(z.boolean()),
      dryRun: z.optional(z.boolean()),
      trigger,
      /** The execution asking (for the report and the audit). */
      execution: owner,
      requestedBy: z.optional(z.string().check(z.maxLength(200))),
      canary: z.optional(z.boolean()),
    })
    .check(
      z.refine((r) => r.force !== true || r.trigger === 'manual', {
        message: 'force is allowed only with trigger "manual"',
        path: ['force'],
      }),
    ),
  z.strictObject({ op: z.literal('acquire'), owner, ttlSeconds }),
  z.strictObject({ op: z.literal('extend'), owner, epoch, ttlSeconds }),
  z.strictObject({ op: z.literal('release'), owner, epoch }),
  z.strictObject({
    op: z.literal('flip'),
    region,
    serving: z.boolean(),
    owner,
    epoch,
    reason,
    trigger,
    canary: z.optional(z.boolean()),
    revert: z.optional(z.boolean()),
  }),
  z.strictObject({
    op: z.literal('verify'),
    region,
    serving: z.boolean(),
    owner,
    epoch,
    /** Verify the canary record's switch (a live drill); the rules are always the real records'. */
    canary: z.optional(z.boolean()),
  }),
  z.strictObject({ op: z.literal('readiness-target'), region }),
  z.strictObject({
    op: z.literal('assess'),
    region,
    replication: z.optional(
      z.union([
        z.strictObject({ output: z.string().check(z.maxLength(48_000)) }),
        z.strictObject({ error: z.string().check(z.maxLength(2_000)) }),
      ]),
    ),
  }),
]);
export type RoutingInput = z.infer<typeof RoutingInputSchema>;
export type OpInput<K extends RoutingInput['op']> = Extract<RoutingInput, { op: K }>;

/**
 * The checks the schema cannot make: the region must be one of the cluster's (own region for the readiness
 * ops), and a canary op needs a configured canary.
 */
export function checkAgainstSettings(input: RoutingInput, s: RoutingSettings): void {
  if ('region' in input) {
    const names = s.regions.map((r) => r.name);
    if (!names.includes(input.region))
      throw new ValidationError(
        `region ${input.region} is not one of the cluster's regions (${names.join(', ')})`,
        [{ path: 'region', message: `must be one of ${names.join(', ')}` }],
      );
    if ((input.op === 'readiness-target' || input.op === 'assess') && input.region !== s.region)
      throw new ValidationError(`${input.op} runs in the region it evaluates (${s.region})`, [
        { path: 'region', message: `must be this function's region ${s.region}` },
      ]);
  }
  if (
    (input.op === 'plan' || input.op === 'flip' || input.op === 'verify') &&
    input.canary === true &&
    !s.canary
  )
    throw new ValidationError('canary: no canary record is configured (failover.drill.canaryRecordName)', [
      { path: 'canary', message: 'no canary record is configured' },
    ]);
}
