/**
 * The cluster CA's deployment in one description, used by the CDK construct (infra/constructs/cluster-ca.ts)
 * and the twin's deployment alike: which CA generations are deployed, their keys' spec, alias and key policy,
 * the bundle parameter's name, and the signer's environment (docs/certificates.md).
 */
import { ENV } from '../functions/shared/env';
import type { Config, RegionConfig } from './config/schema';

/**
 * The CA keys' spec. The CA signs every leaf for its whole lifetime (10 years by default), so it gets a longer
 * key than the leaves (`certificates.keySize`, 2048 by default): NIST SP 800-57 Part 1 rates RSA-2048 at 112
 * bits of security, acceptable through 2030, and RSA-3072 at 128 bits, beyond it.
 */
export const CA_KEY_SPEC = 'RSA_3072' as const;

/**
 * Days a deleted CA key waits before KMS deletes it: the longest KMS allows (7-30). A CA key deleted by mistake
 * (a stack deleted, a generation removed from the config) can be recovered with CancelKeyDeletion for 30 days;
 * once deleted, nothing it signed can be re-signed and its generation cannot be rotated away from gracefully.
 */
export const CA_KEY_PENDING_WINDOW_DAYS = 30;

/**
 * The generations deployed: `certificates.ca.generation`, and with `keepPrevious` the one before it (it still
 * issues until a CA rotation's reissue phase).
 */
export function caGenerations(config: Config): number[] {
  const { generation, keepPrevious } = config.certificates.ca;
  return keepPrevious && generation > 1 ? [generation - 1, generation] : [generation];
}

/** `alias/<cluster>-ca-g<n>`. */
export const caKeyAlias = (cluster: string, generation: number): string =>
  `alias/${cluster}-ca-g${generation}`;

/** `/<cluster>/ca-bundle`: the public CA bundle (`aws ssm get-parameter --name /<cluster>/ca-bundle`). */
export const caBundleParameterName = (cluster: string): string => `/${cluster}/ca-bundle`;

/**
 * What the account may do with a CA key besides using it: administer it (AWS KMS Developer Guide, *Default key
 * policy*, "Allows key administrators to administer the KMS key") and read its public key. Never `kms:Sign`
 * and never `kms:*`: a root statement with either would let any IAM policy of the account grant signing.
 */
export const CA_KEY_ADMIN_ACTIONS = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
] as const;

/**
 * A CA key's policy (AWS KMS Developer Guide, *Key policies in AWS KMS*): the account administers it and may
 * read the public key; the signer's role alone may sign, and an explicit Deny of `kms:Sign` for every other
 * principal (`aws:PrincipalArn`, which names the role of an assumed-role session) holds even if an IAM policy
 * in the account grants it, since an explicit Deny wins.
 */
export function caKeyPolicy(accountId: string, signerRoleArn: string, partition = 'aws') {
  const root = `arn:${partition}:iam::${accountId}:root`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AccountAdministersTheKey',
        Effect: 'Allow',
        Principal: { AWS: root },
        Action: [...CA_KEY_ADMIN_ACTIONS],
        Resource: '*',
      },
      {
        Sid: 'SignerSigns',
        Effect: 'Allow',
        Principal: { AWS: signerRoleArn },
        Action: ['kms:Sign', 'kms:GetPublicKey', 'kms:DescribeKey'],
        Resource: '*',
      },
      {
        Sid: 'NobodyElseSigns',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:Sign',
        Resource: '*',
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': signerRoleArn } },
      },
      {
        // Grants would be a second way to hand out kms:Sign; only AWS services acting for our resources may
        // create them (the control-plane key's rule; Control Tower CT.KMS.PR.3).
        Sid: 'GrantsOnlyForAwsServices',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:CreateGrant',
        Resource: '*',
        Condition: {
          BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
        },
      },
    ],
  };
}

/** The signer's environment, with its CA keys' ARNs by generation. */
export function signerEnvironment(
  config: Config,
  region: RegionConfig,
  stateTable: string,
  caKeyArns: Readonly<Record<number, string>>,
): Record<string, string> {
  return {
    [ENV.clusterName]: config.cluster.name,
    [ENV.primaryAsgName]: region.primaryAsgName,
    [ENV.memberAsgName]: region.memberAsgName,
    [ENV.stateTable]: stateTable,
    [ENV.caKeys]: JSON.stringify(caKeyArns),
    [ENV.caBundleParameter]: caBundleParameterName(config.cluster.name),
    [ENV.leafLifetimeDays]: String(config.certificates.leafLifetimeDays),
    [ENV.keySize]: String(config.certificates.keySize),
    [ENV.caLifetimeDays]: String(config.certificates.caLifetimeDays),
  };
}
