/**
 * The certs Lambda's interface with the cert-rotation workflows: the run's input (issue 13 contract §4) and
 * one schema branch per op.
 */
import * as z from 'zod/mini';
import { InstanceIdSchema } from '../shared/event-envelope';

const ExecutionArn = z
  .string()
  .check(z.startsWith('arn:aws:states:', 'execution must be a Step Functions execution ARN'));

/** What dispatch, the schedule or an operator starts cert-rotation with. */
export const RotationInputSchema = z.strictObject({
  trigger: z.enum(['schedule', 'alarm', 'manual', 'bootstrap']),
  reason: z
    .string()
    .check(z.trim())
    .check(z.minLength(1, 'reason is required'))
    .check(z.maxLength(500, 'reason is longer than 500 characters')),
  nodes: z.optional(
    z
      .array(InstanceIdSchema)
      .check(z.minLength(1, 'nodes, when given, names at least one instance'))
      .check(z.maxLength(1000, 'nodes names more than 1000 instances')),
  ),
  dryRun: z._default(z.boolean(), false),
  caRotation: z._default(z.boolean(), false),
  requestedBy: z.optional(z.string().check(z.maxLength(200))),
  /** Set by Step Functions when a workflow starts this one: accepted, not used. */
  AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: z.optional(z.string()),
});
export type RotationInput = z.infer<typeof RotationInputSchema>;

/** What the signer's `issue` returns and the node's record keeps (contract §1, §3). */
export const IssuedSchema = z.looseObject({
  serial: z.string().check(z.regex(/^[0-9a-f]+$/i, 'serial must be hex')),
  notBefore: z.iso.datetime(),
  notAfter: z.iso.datetime(),
  fingerprint: z.string().check(z.regex(/^[0-9a-f]{64}$/, 'fingerprint must be 64 lowercase hex digits')),
  issuer: z.int().check(z.gte(1)),
  trusted: z.array(z.int().check(z.gte(1))).check(z.minLength(1)),
});

const ServedSeenSchema = z.strictObject({
  ip: z.string().check(z.minLength(1)),
  fingerprints: z.array(z.string().check(z.regex(/^[0-9a-f]{64}$/, 'fingerprint must be 64 lowercase hex'))),
  notAfter: z.nullable(z.iso.datetime()),
  error: z.nullable(z.string()),
});

/** What the parent passes `plan` after its probe: the peer, each batch's reading, or why it did not probe. */
const CensusSchema = z.strictObject({
  peer: z.nullable(z.string()),
  batches: z.optional(z.array(z.unknown())),
  skipped: z.optional(z.nullable(z.string())),
  seen: z.optional(z.array(z.strictObject({ seen: z.array(ServedSeenSchema) }))),
  error: z.optional(z.unknown()),
});

export const CertsRequestSchema = z.discriminatedUnion('op', [
  /** Validate a run's input and plan it; changes nothing. `census`: what the run's probe saw, if it probed. */
  z.strictObject({
    op: z.literal('plan'),
    input: z.unknown(),
    execution: ExecutionArn,
    census: z.optional(CensusSchema),
  }),
  /** The census's probe of a run: the peer and the batches of targets (reads only). */
  z.strictObject({ op: z.literal('census'), input: z.unknown(), execution: ExecutionArn }),
  /** One batch's ProbeServedCertificate stdout, read into what the plan compares. */
  z.strictObject({
    op: z.literal('served'),
    targets: z.string().check(z.regex(/^[0-9.,]+$/, 'targets must be comma-separated IPs')),
    stdout: z.string(),
  }),
  /** Before a node is touched: the healthy targets without it still meet cluster.minHealthyNodes. */
  z.strictObject({ op: z.literal('floor'), instanceId: InstanceIdSchema }),
  /** ProbeServedCertificate's stdout (run on a peer) against the issued fingerprint. */
  z.strictObject({
    op: z.literal('verify'),
    instanceId: InstanceIdSchema,
    ip: z.string().check(z.minLength(1)),
    expected: z.string().check(z.regex(/^[0-9a-f]{64}$/, 'expected must be a SHA-256 fingerprint')),
    stdout: z.string(),
  }),
  /** The node's verified certificate, into its record. */
  z.strictObject({
    op: z.literal('record'),
    instanceId: InstanceIdSchema,
    execution: ExecutionArn,
    issued: IssuedSchema,
  }),
]);
export type CertsRequest = z.infer<typeof CertsRequestSchema>;
export type CertsOp = CertsRequest['op'];
export type OpRequest<K extends CertsOp> = Extract<CertsRequest, { op: K }>;
