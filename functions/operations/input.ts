/**
 * The operations Lambda's requests (issue 15): what an operator (hactl, or `aws lambda invoke`) asks of the
 * control plane that is not a workflow: the global pause, the dead-letter queue, the audit trail.
 * Every request that changes something names its `actor` (who asks; Lambda does not pass the caller's identity
 * to the function: hactl sends its STS caller ARN, CloudTrail keeps the authenticated one) and a `reason`.
 */
import * as z from 'zod/mini';
import { IsoTimeSchema } from '../shared/event-envelope';

const actor = z.string().check(z.minLength(1), z.maxLength(256));
const reason = z.string().check(z.trim(), z.minLength(1, 'reason must not be empty'), z.maxLength(500));

export const OperationsInputSchema = z.discriminatedUnion('op', [
  /** Turn the global pause on (every automatic path holds; manual runs act). */
  z.strictObject({ op: z.literal('pause'), actor, reason }),
  /** Turn it off. */
  z.strictObject({ op: z.literal('resume'), actor, reason }),
  /** The pause as every routing table holds it, and the effective state. */
  z.strictObject({ op: z.literal('pause-status') }),
  /**
   * Peek at the dead-letter queue (messages stay; at most `max`, default 10). Audited like every op; `actor`
   * and `reason` are optional here because a peek changes nothing.
   */
  z.strictObject({
    op: z.literal('dead-letters-list'),
    max: z.optional(z.int().check(z.gte(1), z.lte(50))),
    actor: z.optional(actor),
    reason: z.optional(reason),
  }),
  /**
   * Replay dead letters to the function they were meant for (this stack's functions only) and delete each one
   * that was processed; `messageIds` absent: every visible message, at most `max`. `dryRun`: say what would be
   * replayed, change nothing. A past scheduled tick (`Scheduled Event`) is never replayed: it is reported as
   * stale and deleted only with `discardStale: true`.
   */
  z.strictObject({
    op: z.literal('dead-letters-replay'),
    actor,
    reason,
    messageIds: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1), z.maxLength(50))),
    max: z.optional(z.int().check(z.gte(1), z.lte(50))),
    dryRun: z.optional(z.boolean()),
    discardStale: z.optional(z.boolean()),
  }),
  /** The audit trail of the cluster between two times (default: the last 24 h), oldest first. */
  z.strictObject({
    op: z.literal('audit'),
    since: z.optional(IsoTimeSchema),
    until: z.optional(IsoTimeSchema),
    limit: z.optional(z.int().check(z.gte(1), z.lte(1000))),
  }),
]);

export type OperationsInput = z.infer<typeof OperationsInputSchema>;
export type OperationsOp = OperationsInput['op'];
export type OperationsRequest<O extends OperationsOp> = Extract<OperationsInput, { op: O }>;
