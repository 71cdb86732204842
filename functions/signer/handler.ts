/**
 * The signer: the only principal the CA keys' policies let call `kms:Sign` (infra/constructs/cluster-ca.ts).
 * `issue` signs a node's CSR after checking it against EC2 and the cluster's groups; `ca` certifies every
 * deployed CA generation and publishes the bundle; `caPhase` moves a CA rotation one phase
 * (docs/certificates.md).
 */
import * as z from 'zod/mini';
import { CA_PHASES } from '../core/pki-state';
import { autoScaling } from '../shared/clients/auto-scaling';
import { dynamoDoc } from '../shared/clients/dynamodb';
import { ec2 } from '../shared/clients/ec2';
import { kms } from '../shared/clients/kms';
import { ssm } from '../shared/clients/ssm';
import { makeHandler } from '../shared/handler';
import { ca, caPhase } from './ca';
import { loadSignerConfig } from './config';
import { issue } from './issue';

const execution = z
  .string()
  .check(z.startsWith('arn:aws:states:', 'execution must be a Step Functions execution ARN'));

export const SignerInputSchema = z.discriminatedUnion('op', [
  z.strictObject({
    op: z.literal('issue'),
    instanceId: z.string().check(z.regex(/^i-[0-9a-f]{8,17}$/, 'instanceId must be an EC2 instance id')),
    /**
     * Text holding exactly one CSR PEM block (other lines are ignored; checked by the signer, not here): a
     * command's output as GetCommandInvocation returns it, at most its first 24,000 characters (SSM API
     * reference, `StandardOutputContent`).
     */
    csr: z.string().check(z.maxLength(24_000)),
    execution,
  }),
  z.strictObject({ op: z.literal('ca') }),
  z.strictObject({
    op: z.literal('caPhase'),
    execution,
    phase: z.enum(CA_PHASES as ['trust', 'reissue', 'drop']),
  }),
]);
export type SignerInput = z.infer<typeof SignerInputSchema>;

export const handler = makeHandler(
  SignerInputSchema,
  { dynamoDoc, kms, ssm, ec2, autoScaling },
  async (input, ctx) => {
    const config = loadSignerConfig();
    if (input.op === 'issue') return issue(config, input, ctx);
    if (input.op === 'ca') return ca(config, ctx);
    return caPhase(config, input.phase, input.execution, ctx);
  },
  { inputName: 'signer request' },
);
