/**
 * What every AWS SDK client shares: one base config, one cache, one test seam. The clients themselves live one
 * per module beside this one (`./auto-scaling`, `./ec2`, …), so a handler's bundle names only the SDK packages
 * of the modules it imports (issue 12), and each module loads its package on first use, not at import: a cold
 * start evaluates no SDK code until a client is needed (docs/performance.md, "Lambda bundles"). Never gather
 * them in an index module: importing it would put every client back into every bundle.
 * Tests and the simulator swap clients in with {@link setClientsForTest}; every module's getter reads the
 * same cache, so one call reaches them all.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV, readEnv } from '../env';

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
  kms: KMSClient;
  /** The operations Lambda reads the dead-letter queue and replays to the Lambda a message was meant for. */
  sqs: SQSClient;
  lambda: LambdaClient;
  dynamoDB: DynamoDBClient;
  /** Document client over {@link ClientSet.dynamoDB}; drops `undefined` attributes instead of throwing. */
  dynamoDoc: DynamoDBDocumentClient;
}

export type ClientName = keyof ClientSet;

/** Cached client getters by name, e.g. `clients.autoScaling().send(...)`; a handler passes the ones it uses. */
export type Clients = { readonly [K in ClientName]: () => ClientSet[K] };

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

/**
 * `load` called once, on the first call of the returned function. Client modules wrap `require` of their SDK
 * package in it: a `require` inside a function is bundled by esbuild but evaluated only when called.
 */
export function onFirstUse<T>(load: () => T): () => T {
  let loaded: { value: T } | undefined;
  return () => {
    loaded ??= { value: load() };
    return loaded.value;
  };
}

let cache: Partial<ClientSet> = {};

/** The cached getter of client `name`: built by `create` on its first call, or the injected instance. */
export function cachedClient<K extends ClientName>(name: K, create: () => ClientSet[K]): () => ClientSet[K] {
  return () => {
    const cached = cache[name];
    if (cached !== undefined) return cached as ClientSet[K];
    const created = create();
    cache[name] = created;
    return created;
  };
}

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
  regionalCache = new Map();
}

/**
 * Clients pinned to another region (regional-failover reads and writes every region's switch copy, routing
 * table, target groups and alarms). One cached client per name and region; tests and the twin replace them all
 * with {@link setRegionalClientFactoryForTest}.
 */
export type RegionalClientName = 'cloudWatch' | 'dynamoDoc' | 'elbv2' | 'autoScaling' | 'sfn' | 'ssm';

type RegionalFactory = <K extends RegionalClientName>(name: K, region: string) => ClientSet[K];

let regionalCache = new Map<string, unknown>();
let regionalFactory: RegionalFactory | undefined;

/** The getter of client `name` pinned to a region: built by `create(region)` on first use, or by the injected factory. */
export function regionalClient<K extends RegionalClientName>(
  name: K,
  create: (region: string) => ClientSet[K],
): (region: string) => ClientSet[K] {
  return (region) => {
    const key = `${name}@${region}`;
    const cached = regionalCache.get(key);
    if (cached !== undefined) return cached as ClientSet[K];
    const created = regionalFactory ? regionalFactory(name, region) : create(region);
    regionalCache.set(key, created);
    return created;
  };
}

/** Build every region-pinned client with `factory` (tests, the twin); undefined restores the real clients. */
export function setRegionalClientFactoryForTest(factory: RegionalFactory | undefined): void {
  regionalFactory = factory;
  regionalCache = new Map();
}

/** The base config with the region pinned. */
export function pinnedClientConfig(region: string): BaseClientConfig {
  return { ...baseClientConfig(), region };
}
