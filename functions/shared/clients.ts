/**
 * The one place AWS SDK clients are made. Every client shares one base config and is built, with its SDK
 * package loaded, on first use: importing this module costs nothing and a cold start only pays for the
 * clients a function touches.
 * Tests and the simulator swap clients in with {@link setClientsForTest}.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV, readEnv } from './env';

export const USER_AGENT = 'artifactory-ha-control-plane';

export interface BaseClientConfig {
  region?: string;
  maxAttempts: number;
  retryMode: 'adaptive';
  customUserAgent: string;
}

export interface ClientSet {
  autoScaling: AutoScalingClient;
  ec2: EC2Client;
  ssm: SSMClient;
  elbv2: ElasticLoadBalancingV2Client;
  cloudWatch: CloudWatchClient;
  route53: Route53Client;
  sfn: SFNClient;
  sns: SNSClient;
  secretsManager: SecretsManagerClient;
  dynamoDB: DynamoDBClient;
  /** Document client over {@link ClientSet.dynamoDB}; drops `undefined` attributes instead of throwing. */
  dynamoDoc: DynamoDBDocumentClient;
}

export type ClientName = keyof ClientSet;

/**
 * The config every client is built with. Adaptive retry adds client-side rate limiting on throttling, which
 * matters when a workflow fans out over many nodes against shared API quotas. Region comes from
 * `AWS_REGION` (set by Lambda); when absent the SDK's own resolution applies.
 */
export function baseClientConfig(env?: NodeJS.ProcessEnv): BaseClientConfig {
  const config: BaseClientConfig = { maxAttempts: 3, retryMode: 'adaptive', customUserAgent: USER_AGENT };
  const region = readEnv(ENV.awsRegion, env);
  if (region !== undefined && region !== '') config.region = region;
  return config;
}

// Each SDK package is required on first use, not imported: evaluating all of them costs a few hundred
// milliseconds of cold start, and most functions use two or three. esbuild still bundles them.
const factories: { readonly [K in ClientName]: () => ClientSet[K] } = {
  autoScaling: () => {
    const sdk = require('@aws-sdk/client-auto-scaling') as typeof import('@aws-sdk/client-auto-scaling');
    return new sdk.AutoScalingClient(baseClientConfig());
  },
  ec2: () => {
    const sdk = require('@aws-sdk/client-ec2') as typeof import('@aws-sdk/client-ec2');
    return new sdk.EC2Client(baseClientConfig());
  },
  ssm: () => {
    const sdk = require('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm');
    return new sdk.SSMClient(baseClientConfig());
  },
  elbv2: () => {
    const sdk =
      require('@aws-sdk/client-elastic-load-balancing-v2') as typeof import('@aws-sdk/client-elastic-load-balancing-v2');
    return new sdk.ElasticLoadBalancingV2Client(baseClientConfig());
  },
  cloudWatch: () => {
    const sdk = require('@aws-sdk/client-cloudwatch') as typeof import('@aws-sdk/client-cloudwatch');
    return new sdk.CloudWatchClient(baseClientConfig());
  },
  route53: () => {
    const sdk = require('@aws-sdk/client-route-53') as typeof import('@aws-sdk/client-route-53');
    return new sdk.Route53Client(baseClientConfig());
  },
  sfn: () => {
    const sdk = require('@aws-sdk/client-sfn') as typeof import('@aws-sdk/client-sfn');
    return new sdk.SFNClient(baseClientConfig());
  },
  sns: () => {
    const sdk = require('@aws-sdk/client-sns') as typeof import('@aws-sdk/client-sns');
    return new sdk.SNSClient(baseClientConfig());
  },
  secretsManager: () => {
    const sdk =
      require('@aws-sdk/client-secrets-manager') as typeof import('@aws-sdk/client-secrets-manager');
    return new sdk.SecretsManagerClient(baseClientConfig());
  },
  dynamoDB: () => {
    const sdk = require('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb');
    return new sdk.DynamoDBClient(baseClientConfig());
  },
  dynamoDoc: () => {
    const lib = require('@aws-sdk/lib-dynamodb') as typeof import('@aws-sdk/lib-dynamodb');
    return lib.DynamoDBDocumentClient.from(get('dynamoDB'), {
      marshallOptions: { removeUndefinedValues: true },
    });
  },
};

let cache: Partial<ClientSet> = {};

function get<K extends ClientName>(name: K): ClientSet[K] {
  const cached = cache[name];
  if (cached !== undefined) return cached as ClientSet[K];
  const created = factories[name]();
  cache[name] = created;
  return created;
}

/** Cached client getters, e.g. `clients.autoScaling().send(...)`. Each builds its client on first call. */
export const clients: { readonly [K in ClientName]: () => ClientSet[K] } = {
  autoScaling: () => get('autoScaling'),
  ec2: () => get('ec2'),
  ssm: () => get('ssm'),
  elbv2: () => get('elbv2'),
  cloudWatch: () => get('cloudWatch'),
  route53: () => get('route53'),
  sfn: () => get('sfn'),
  sns: () => get('sns'),
  secretsManager: () => get('secretsManager'),
  dynamoDB: () => get('dynamoDB'),
  dynamoDoc: () => get('dynamoDoc'),
};

/**
 * Replace clients with the given instances (test doubles, or clients the simulator points at itself).
 * Overriding `dynamoDB` alone also drops a cached document client so it is rebuilt over the new one.
 */
export function setClientsForTest(overrides: Partial<ClientSet>): void {
  if (overrides.dynamoDB !== undefined && overrides.dynamoDoc === undefined) {
    delete cache.dynamoDoc;
  }
  cache = { ...cache, ...overrides };
}

/** Forget every cached and injected client; the next getter call builds a fresh one from the base config. */
export function resetClients(): void {
  cache = {};
}
