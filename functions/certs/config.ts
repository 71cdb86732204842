/** The certs Lambda's deployment config, read once per call from the environment. */
import * as z from 'zod/mini';
import type { PlanSettings } from '../core/cert-rotation';
import { ENV, requireBooleanEnv, requireEnv, requireWholeNumberEnv } from '../shared/env';
import { ConfigurationError } from '../shared/errors';
import type { Deps } from '../shared/handler';

/** `certificates.*` as the CDK stack and the twin write it into {@link ENV.certificatePolicy}. */
export const CertificatePolicySchema = z.strictObject({
  maxUnavailable: z.int().check(z.gte(1)),
  renewalFraction: z.number().check(z.gt(0), z.lt(1)),
  nearExpiryDays: z.int().check(z.gte(1)),
  renewalWindow: z.optional(
    z.strictObject({
      days: z.array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])),
      startHour: z.int(),
      endHour: z.int(),
    }),
  ),
  caGeneration: z.int().check(z.gte(1)),
  /** Drain + restart + verify of one node, for the dry run's estimate (seconds). */
  perNodeSeconds: z.int().check(z.gte(1)),
});
export type CertificatePolicy = z.infer<typeof CertificatePolicySchema>;

export interface CertsConfig {
  readonly cluster: string;
  readonly primaryAsgName: string;
  readonly memberAsgName: string;
  readonly targetGroupArn: string;
  readonly stateTable: string;
  readonly automationEnabled: boolean;
  readonly settings: PlanSettings;
}

/** Read and check the config; anything missing or malformed is a {@link ConfigurationError}. */
export function loadCertsConfig(env?: NodeJS.ProcessEnv): CertsConfig {
  const mode = requireEnv(ENV.clusterMode, env);
  if (mode !== 'legacy-primary' && mode !== 'cloud-native') {
    throw new ConfigurationError(`${ENV.clusterMode} must be legacy-primary or cloud-native`);
  }
  let policy: CertificatePolicy;
  try {
    policy = CertificatePolicySchema.parse(JSON.parse(requireEnv(ENV.certificatePolicy, env)));
  } catch (err) {
    if (err instanceof ConfigurationError) throw err;
    throw new ConfigurationError(`${ENV.certificatePolicy} is not a valid certificate policy`);
  }
  return {
    cluster: requireEnv(ENV.clusterName, env),
    primaryAsgName: requireEnv(ENV.primaryAsgName, env),
    memberAsgName: requireEnv(ENV.memberAsgName, env),
    targetGroupArn: requireEnv(ENV.targetGroupArn, env),
    stateTable: requireEnv(ENV.stateTable, env),
    automationEnabled: requireBooleanEnv(ENV.automationEnabled, env),
    settings: {
      mode,
      minHealthyNodes: requireWholeNumberEnv(ENV.minHealthyNodes, env),
      maxUnavailable: policy.maxUnavailable,
      renewalFraction: policy.renewalFraction,
      nearExpiryDays: policy.nearExpiryDays,
      window: policy.renewalWindow,
      caGeneration: policy.caGeneration,
      perNodeSeconds: policy.perNodeSeconds,
    },
  };
}

/** What the certs Lambda may call: the state table, Auto Scaling, EC2 and the ALB (reads only, but one write). */
export type CertsDeps = Deps<'dynamoDoc' | 'autoScaling' | 'ec2' | 'elbv2'>;
