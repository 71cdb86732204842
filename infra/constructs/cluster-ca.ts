import { Arn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import {
  CA_KEY_PENDING_WINDOW_DAYS,
  CA_KEY_SPEC,
  caBundleParameterName,
  caGenerations,
  caKeyAlias,
  caKeyPolicy,
  signerEnvironment,
} from '../cluster-ca';
import type { Config, RegionConfig } from '../config/schema';
import { ControlPlaneFunction } from './control-plane-function';

export interface ClusterCaProps {
  readonly config: Config;
  readonly region: RegionConfig;
  /** The control-plane key (encrypts the state table and the signer's logs). */
  readonly key: kms.IKey;
  readonly stateTable: dynamodb.TableV2;
}

/**
 * The region's cluster CA: one KMS key per deployed CA generation (an RSA `SIGN_VERIFY` key whose private half
 * never leaves KMS; asymmetric keys cannot rotate, so a new CA is a new generation, docs/certificates.md), the
 * public bundle's SSM parameter, and the signer, the only principal the keys let sign.
 */
export class ClusterCa extends Construct {
  readonly signer: ControlPlaneFunction;
  /** The CA keys by generation. */
  readonly keys: ReadonlyMap<number, kms.CfnKey>;
  readonly bundleParameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: ClusterCaProps) {
    super(scope, id);
    const { config, region, key, stateTable } = props;
    const stack = Stack.of(this);
    const cluster = config.cluster.name;

    this.signer = new ControlPlaneFunction(this, 'Signer', {
      handlerDir: 'signer',
      description:
        "Signs nodes' CSRs with the cluster CA's KMS key after checking them against EC2 and the cluster's groups; certifies CA generations",
      logKey: key,
    });
    const signerRoleArn = this.signer.role.roleArn;

    const keys = new Map<number, kms.CfnKey>();
    for (const generation of caGenerations(config)) {
      // L1: the key policy is exactly caKeyPolicy (kms.Key would add a root `kms:*` statement, which would let
      // any IAM policy of the account grant kms:Sign).
      const caKey = new kms.CfnKey(this, `CaKeyG${generation}`, {
        description: `${cluster} cluster CA generation ${generation} (${region.name}): signs node certificates; the private key never leaves KMS`,
        keySpec: CA_KEY_SPEC,
        keyUsage: 'SIGN_VERIFY',
        enabled: true,
        keyPolicy: caKeyPolicy(stack.account, signerRoleArn, stack.partition),
        pendingWindowInDays: CA_KEY_PENDING_WINDOW_DAYS,
      });
      // A retained CA key would outlive its stack for ever at $1 a month; deletion waits the longest pending
      // window instead, during which CancelKeyDeletion recovers a key deleted by mistake.
      caKey.applyRemovalPolicy(RemovalPolicy.DESTROY);
      new kms.CfnAlias(this, `CaKeyG${generation}Alias`, {
        aliasName: caKeyAlias(cluster, generation),
        targetKeyId: caKey.ref,
      });
      keys.set(generation, caKey);
    }
    this.keys = keys;

    // The public bundle, created here so the stack owns it (and deletes it); the signer overwrites its value
    // with the trusted CA certificates. A stack update that changes this resource resets the value until the
    // signer's next `ca` or `caPhase` op republishes it.
    this.bundleParameter = new ssm.StringParameter(this, 'CaBundle', {
      parameterName: caBundleParameterName(cluster),
      description: `${cluster} cluster CA bundle (public certificates; written by the signer)`,
      stringValue:
        'not published yet: the signer publishes the CA bundle on its first ca, caPhase or issue op',
    });

    const caKeyArns = Object.fromEntries([...keys].map(([g, k]) => [g, k.attrArn]));
    for (const [name, value] of Object.entries(
      signerEnvironment(config, region, stateTable.tableName, caKeyArns),
    ))
      this.signer.fn.addEnvironment(name, value);

    // Least privilege: sign and read public keys with the CA keys only; read and record the CA in the state
    // table; publish the one parameter.
    this.signer.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Sign', 'kms:GetPublicKey'],
        resources: [...keys.values()].map((k) => k.attrArn),
      }),
    );
    stateTable.grant(this.signer.fn, 'dynamodb:GetItem', 'dynamodb:PutItem');
    key.grant(this.signer.fn, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
    this.signer.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter', 'ssm:PutParameter'],
        resources: [
          Arn.format(
            { service: 'ssm', resource: 'parameter', resourceName: caBundleParameterName(cluster).slice(1) },
            stack,
          ),
        ],
      }),
    );
    // Which instance a CSR comes from and which group it is in (no resource-level permissions).
    this.signer.allowOnAnyResource('DescribeInstances', [
      'ec2:DescribeInstances',
      'autoscaling:DescribeAutoScalingInstances',
    ]);
  }
}
