/**
 * The failover Lambda's interface with the workflows: the run's input, one schema branch per op (its name
 * and payload fields are what primary-failover and node-bootstrap send, and must not change under them), and
 * `validate`, which checks a run's input against this deployment.
 */
import * as z from 'zod/mini';
import { FailoverRunSchema } from '../core/failover-outcome';
import { AWS_REGIONS } from '../shared/aws-regions';
import { ValidationError } from '../shared/errors';
import { InstanceIdSchema } from '../shared/event-envelope';
import { parseOrThrow } from '../shared/validation';
import type { FailoverConfig } from './config';

/** What an operator (or dispatch, the reconciler, node-drain) starts primary-failover with. */
export const FailoverInputSchema = z.strictObject({
  cluster: z.string().check(z.minLength(1, 'cluster is required')),
  region: z.string().check(z.minLength(1, 'region is required')),
  reason: z
    .string()
    .check(z.trim())
    .check(z.minLength(1, 'reason is required'))
    .check(z.maxLength(500, 'reason is longer than 500 characters')),
  trigger: z._default(z.enum(['alarm', 'drain', 'reconciler', 'manual', 'replacement']), 'manual'),
  candidate: z.optional(InstanceIdSchema),
  /** node-drain: the instance being drained. */
  instanceId: z.optional(InstanceIdSchema),
  dryRun: z._default(z.boolean(), false),
  force: z._default(z.boolean(), false),
  /** Set by Step Functions when a workflow starts this one (node-drain): accepted, not used. */
  AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: z.optional(z.string()),
});
export type FailoverInput = z.infer<typeof FailoverInputSchema>;

const ProbeResultSchema = z.looseObject({
  instanceId: z.string(),
  stdout: z.optional(z.string()),
  unreachable: z.optional(z.boolean()),
});

const NodeSchema = z.looseObject({
  instanceId: z.string(),
  group: z.enum(['primary', 'member', 'none']),
  az: z.string(),
  lifecycleState: z.string(),
  health: z.enum(['Healthy', 'Unhealthy']),
  target: z.string(),
  ec2State: z.string(),
});
const StateSchema = z.optional(
  z.looseObject({
    epoch: z.number(),
    primary: z.optional(z.string()),
    phase: z.optional(z.enum(['fenced', 'committed', 'claimed', 'escalated'])),
    owner: z.optional(z.string()),
    fencedAt: z.optional(z.number()),
    candidate: z.optional(z.string()),
    quarantine: z.optional(z.record(z.string(), z.looseObject({}))),
  }),
);
const SnapshotSchema = z.looseObject({
  nodes: z.array(NodeSchema),
  state: StateSchema,
  gate: z.optional(z.looseObject({})),
  probeTargets: z.array(z.string()),
});

const execution = z
  .string()
  .check(z.startsWith('arn:aws:states:', 'execution must be a Step Functions execution ARN'));

/** One branch per op; handler.ts routes each to its function. */
export const FailoverRequestSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('validate'), input: z.unknown() }),
  z.strictObject({ op: z.literal('observe') }),
  z.strictObject({
    op: z.literal('assess'),
    input: FailoverInputSchema,
    snapshot: SnapshotSchema,
    probes: z.array(ProbeResultSchema),
    round: z.int().check(z.gte(0)),
    confirmations: z.int().check(z.gte(0)),
  }),
  z.strictObject({
    op: z.literal('decide'),
    input: FailoverInputSchema,
    snapshot: SnapshotSchema,
    probes: z.array(ProbeResultSchema),
    verdict: z.looseObject({ verdict: z.string() }),
  }),
  z.strictObject({
    op: z.literal('fence'),
    cluster: z.string(),
    execution,
    expectedEpoch: z.int().check(z.gte(0)),
    plan: z.looseObject({
      /** `demote` (a split brain) is fenced like an election but not recorded as one by the gate. */
      action: z.optional(z.string()),
      failedPrimary: z.optional(z.string()),
      /** An automatic election: counted against the daily budget. */
      budgeted: z.optional(z.boolean()),
      /** Quarantined nodes seen terminated: dropped from the quarantine record by this fence. */
      prune: z.optional(z.array(InstanceIdSchema)),
    }),
  }),
  z.strictObject({
    op: z.literal('assert'),
    cluster: z.string(),
    execution,
    epoch: z.int(),
    /** The instance about to be detached and promoted: recorded so a re-run can find it if this one dies. */
    candidate: z.optional(z.string()),
  }),
  z.strictObject({
    op: z.literal('commit'),
    cluster: z.string(),
    execution,
    epoch: z.int(),
    primary: z.optional(z.string()),
  }),
  z.strictObject({ op: z.literal('escalate'), cluster: z.string(), execution, epoch: z.int() }),
  /**
   * primary-failover-quarantine: record a node in quarantine before it is demoted or stopped (no `fence`),
   * then how it was put out of service (`fence`).
   */
  z.strictObject({
    op: z.literal('quarantine'),
    cluster: z.string(),
    execution,
    epoch: z.int(),
    instanceId: InstanceIdSchema,
    reason: z.enum(['candidate-failed', 'superseded']),
    fence: z.optional(z.enum(['demoted', 'stopped', 'unconfirmed'])),
  }),
  /** An operator releases one quarantined node (README, Operations). */
  z.strictObject({
    op: z.literal('release-quarantine'),
    cluster: z.string().check(z.minLength(1, 'cluster is required')),
    instanceId: InstanceIdSchema,
    operator: z
      .string()
      .check(z.trim())
      .check(z.minLength(1, 'operator is required'))
      .check(z.maxLength(128, 'operator is longer than 128 characters')),
    reason: z
      .string()
      .check(z.trim())
      .check(z.minLength(1, 'reason is required'))
      .check(z.maxLength(500, 'reason is longer than 500 characters')),
  }),
  /** The parent's whole state at its cleanup, for the one report of the run. */
  z.strictObject({ op: z.literal('conclude'), execution, run: FailoverRunSchema }),
  z.strictObject({
    op: z.literal('claim'),
    cluster: z.string(),
    execution,
    instanceId: InstanceIdSchema,
    role: z.enum(['primary', 'member']),
  }),
]);
export type FailoverRequest = z.infer<typeof FailoverRequestSchema>;
export type FailoverOp = FailoverRequest['op'];
/** The request of one op. */
export type OpRequest<K extends FailoverOp> = Extract<FailoverRequest, { op: K }>;

/**
 * `validate`: the run's input, checked against this deployment. A wrong cluster or region (each region's
 * stack runs its own failover) is a {@link ValidationError} naming the field; nothing has been touched yet.
 */
export function validate(raw: unknown, config: FailoverConfig): FailoverInput {
  const input = parseOrThrow(FailoverInputSchema, raw, 'primary-failover input');
  const issues: { path: string; message: string }[] = [];
  if (input.cluster !== config.cluster) {
    issues.push({ path: 'cluster', message: `not this deployment's cluster (${config.cluster})` });
  }
  if (input.region !== config.region) {
    issues.push({
      path: 'region',
      message: (AWS_REGIONS as readonly string[]).includes(input.region)
        ? `this is the ${config.region} control plane: start the execution in ${input.region}'s stack`
        : 'not an AWS region',
    });
  }
  if (input.trigger === 'drain' && input.instanceId === undefined) {
    issues.push({ path: 'instanceId', message: 'required when trigger is drain' });
  }
  if (issues.length > 0) {
    throw new ValidationError(
      `Invalid primary-failover input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return input;
}
