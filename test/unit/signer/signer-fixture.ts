/**
 * The signer handler under strict SDK mocks: every command not set up here rejects. KMS signs with a local RSA
 * key (so the output verifies like KMS's), DynamoDB is a map honouring the conditions the signer writes with,
 * and SSM Parameter Store one value.
 */
import { constants, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { AutoScalingClient, DescribeAutoScalingInstancesCommand } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { resetClients, setClientsForTest } from '../../../functions/shared/clients/base';
import { ENV } from '../../../functions/shared/env';

export const REGION = 'eu-west-1';
export const TABLE = 'state';
export const CLUSTER = 'artifactory-prod';
export const PARAMETER = `/${CLUSTER}/ca-bundle`;
export const EXECUTION = `arn:aws:states:${REGION}:111122223333:execution:artifactory-prod-cert-rotation:run-1`;
export const KEY_ARNS: Record<number, string> = {
  1: `arn:aws:kms:${REGION}:111122223333:key/11111111-1111-1111-1111-111111111111`,
  2: `arn:aws:kms:${REGION}:111122223333:key/22222222-2222-2222-2222-222222222222`,
};
export const INSTANCE = 'i-0123456789abcdef0';
export const IP = '10.0.1.17';

export const context = {
  functionName: 'signer',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

const caKeys = new Map<string, KeyObject>();
const pairFor = (arn: string) => {
  let key = caKeys.get(arn);
  if (key === undefined) {
    key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    caKeys.set(arn, key);
  }
  return key;
};

/** The mocks, the fake table's items and the commands seen. */
export function signerFixture() {
  const kms = mockClient(KMSClient);
  const ec2 = mockClient(EC2Client);
  const asg = mockClient(AutoScalingClient);
  const ssm = mockClient(SSMClient);
  const doc = mockClient(DynamoDBDocumentClient);
  const mocks = [kms, ec2, asg, ssm, doc] as unknown as {
    reset(): void;
    restore(): void;
    onAnyCommand(): { rejects(e: Error): void };
  }[];
  const items = new Map<string, Record<string, unknown>>();
  const parameter: { value?: string } = {};
  const savedEnv = { ...process.env };
  const state = {
    instance: { ip: IP as string | undefined, group: 'artifactory-prod-member' as string | undefined },
    generations: [1] as number[],
  };

  const setup = () => {
    for (const m of mocks) {
      m.reset();
      m.onAnyCommand().rejects(new Error('unexpected command'));
    }
    items.clear();
    delete parameter.value;
    state.instance = { ip: IP, group: 'artifactory-prod-member' };
    // The public half, as KMS returns it: DER SubjectPublicKeyInfo.
    kms.on(GetPublicKeyCommand).callsFake((input: { KeyId: string }) => ({
      KeyId: input.KeyId,
      PublicKey: new Uint8Array(
        createPublicKey(pairFor(input.KeyId)).export({ format: 'der', type: 'spki' }),
      ),
    }));
    kms
      .on(SignCommand)
      .callsFake(
        (input: { KeyId: string; Message: Uint8Array; MessageType: string; SigningAlgorithm: string }) => {
          if (input.MessageType !== 'RAW' || input.SigningAlgorithm !== 'RSASSA_PKCS1_V1_5_SHA_256')
            throw new Error(`unexpected Sign ${input.MessageType} ${input.SigningAlgorithm}`);
          return {
            KeyId: input.KeyId,
            Signature: new Uint8Array(
              sign('sha256', Buffer.from(input.Message), {
                key: pairFor(input.KeyId),
                padding: constants.RSA_PKCS1_PADDING,
              }),
            ),
          };
        },
      );
    ec2.on(DescribeInstancesCommand).callsFake((input: { InstanceIds: string[] }) => {
      const id = input.InstanceIds[0];
      if (id !== INSTANCE || state.instance.ip === undefined)
        throw Object.assign(new Error(`The instance ID '${id}' does not exist`), {
          name: 'InvalidInstanceID.NotFound',
          $fault: 'client',
        });
      return {
        Reservations: [
          {
            Instances: [
              {
                InstanceId: id,
                PrivateIpAddress: state.instance.ip,
                State: { Name: 'running' },
                Tags:
                  state.instance.group === undefined
                    ? []
                    : [{ Key: 'aws:autoscaling:groupName', Value: state.instance.group }],
              },
            ],
          },
        ],
      };
    });
    asg.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    doc.on(GetCommand).callsFake((input: { Key: { pk: string; sk: string } }) => {
      const item = items.get(`${input.Key.pk}|${input.Key.sk}`);
      return item === undefined ? {} : { Item: structuredClone(item) };
    });
    doc
      .on(PutCommand)
      .callsFake(
        (input: {
          Item: Record<string, unknown> & { pk: string; sk: string };
          ConditionExpression?: string;
          ExpressionAttributeValues?: Record<string, unknown>;
        }) => {
          const k = `${input.Item.pk}|${input.Item.sk}`;
          const existing = items.get(k);
          const fail = () => {
            throw Object.assign(new Error('The conditional request failed'), {
              name: 'ConditionalCheckFailedException',
              $fault: 'client',
            });
          };
          if (input.ConditionExpression === 'attribute_not_exists(sk)' && existing !== undefined) fail();
          if (
            input.ConditionExpression === '#version = :version' &&
            existing?.version !== input.ExpressionAttributeValues?.[':version']
          )
            fail();
          items.set(k, structuredClone(input.Item));
          return {};
        },
      );
    ssm.on(GetParameterCommand).callsFake(() => {
      if (parameter.value === undefined)
        throw Object.assign(new Error('not found'), { name: 'ParameterNotFound', $fault: 'client' });
      return { Parameter: { Name: PARAMETER, Value: parameter.value } };
    });
    ssm.on(PutParameterCommand).callsFake((input: { Value: string }) => {
      parameter.value = input.Value;
      return { Version: 1 };
    });
    resetClients();
    const cfg = { region: REGION, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };
    setClientsForTest({
      kms: new KMSClient(cfg),
      ec2: new EC2Client(cfg),
      autoScaling: new AutoScalingClient(cfg),
      ssm: new SSMClient(cfg),
      dynamoDB: new DynamoDBClient(cfg),
      dynamoDoc: DynamoDBDocumentClient.from(new DynamoDBClient(cfg)),
    });
    setGenerations([1]);
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  };

  const setGenerations = (gens: number[]) => {
    state.generations = gens;
    Object.assign(process.env, {
      [ENV.clusterName]: CLUSTER,
      [ENV.awsRegion]: REGION,
      [ENV.stateTable]: TABLE,
      [ENV.caKeys]: JSON.stringify(Object.fromEntries(gens.map((g) => [g, KEY_ARNS[g]]))),
      [ENV.caBundleParameter]: PARAMETER,
      [ENV.primaryAsgName]: 'artifactory-prod-primary',
      [ENV.memberAsgName]: 'artifactory-prod-member',
      [ENV.leafLifetimeDays]: '90',
      [ENV.keySize]: '2048',
      [ENV.caLifetimeDays]: '3650',
    });
  };

  const teardown = () => {
    jest.restoreAllMocks();
    process.env = { ...savedEnv };
  };

  /** The audit items written, oldest first. */
  const audits = () =>
    [...items.entries()].filter(([k]) => k.includes('|AUDIT#')).map(([, v]) => v as Record<string, unknown>);

  return {
    kms,
    ec2,
    asg,
    ssm,
    doc,
    items,
    parameter,
    state,
    setup,
    teardown,
    setGenerations,
    audits,
    restore: () => {
      for (const m of mocks) m.restore();
    },
  };
}
