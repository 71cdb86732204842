import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClientSet, RegionalClientName } from '../../functions/shared/clients/base';
import type { ServiceName } from '../core/contracts';
import type { World } from '../core/world';
import type { DynamoSim } from './dynamo';
import { invocationStore } from './invocation';

interface StackClient {
  middlewareStack: { add(mw: unknown, opts: Record<string, unknown>): void };
}

/**
 * Points a real SDK v3 client at the twin. The middleware sits in the deserialize step, after the SDK's
 * retry middleware, so the SDK retries throttling and server errors from the twin (with back-off on the
 * virtual clock) exactly as it would from AWS; the request never leaves the process. The region is the
 * current Lambda invocation's, so one client serves every simulated region.
 */
export function routeToTwin<C extends StackClient>(
  client: C,
  world: World,
  service: ServiceName,
  defaultRegion: string,
  pinned = false,
): C {
  client.middlewareStack.add(
    // The handler context (with the command's name) is given to the middleware factory, not to the handler.
    (_next: unknown, context: { commandName?: string }) => async (args: { input: unknown }) => {
      const commandName = (context.commandName ?? '').replace(/Command$/, '');
      // A pinned client (another region's resources) calls its own region; the others the invocation's.
      const region = pinned ? defaultRegion : (invocationStore.getStore()?.region ?? defaultRegion);
      const output = (await world.call(region, service, commandName, args.input)) as Record<string, unknown>;
      // The SDK hands Lambda's Invoke Payload back as a Uint8ArrayBlobAdapter (a Uint8Array that can
      // transformToString); the twin's plain Uint8Array gets the same method.
      const payload = output.Payload;
      if (service === 'lambda' && payload instanceof Uint8Array)
        output.Payload = Object.assign(payload, {
          transformToString: (encoding?: BufferEncoding) => Buffer.from(payload).toString(encoding ?? 'utf8'),
        });
      return {
        output: { ...output, $metadata: { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 } },
        response: { statusCode: 200, headers: {} },
      };
    },
    { step: 'deserialize', priority: 'high', name: 'twinRoute' },
  );
  return client;
}

const base = (region: string) => ({
  region,
  credentials: { accessKeyId: 'twin', secretAccessKey: 'twin' },
  maxAttempts: 3,
  // Standard, not adaptive: the adaptive mode's client-side token bucket spins at a frozen virtual instant.
  retryMode: 'standard' as const,
});

/** A full client set for handlers running in the twin (what functions/shared/clients would build in Lambda). */
export function twinClients(world: World, dynamo: DynamoSim, defaultRegion: string): ClientSet {
  const dynamoDB = dynamo.client(defaultRegion);
  return {
    autoScaling: routeToTwin(new AutoScalingClient(base(defaultRegion)), world, 'autoscaling', defaultRegion),
    ec2: routeToTwin(new EC2Client(base(defaultRegion)), world, 'ec2', defaultRegion),
    ssm: routeToTwin(new SSMClient(base(defaultRegion)), world, 'ssm', defaultRegion),
    elbv2: routeToTwin(new ElasticLoadBalancingV2Client(base(defaultRegion)), world, 'elbv2', defaultRegion),
    cloudWatch: routeToTwin(new CloudWatchClient(base(defaultRegion)), world, 'cloudwatch', defaultRegion),
    route53: routeToTwin(new Route53Client(base(defaultRegion)), world, 'route53', defaultRegion),
    sfn: routeToTwin(new SFNClient(base(defaultRegion)), world, 'sfn', defaultRegion),
    sns: routeToTwin(new SNSClient(base(defaultRegion)), world, 'sns', defaultRegion),
    secretsManager: routeToTwin(
      new SecretsManagerClient(base(defaultRegion)),
      world,
      'secretsmanager',
      defaultRegion,
    ),
    kms: routeToTwin(new KMSClient(base(defaultRegion)), world, 'kms', defaultRegion),
    sqs: routeToTwin(new SQSClient(base(defaultRegion)), world, 'sqs', defaultRegion),
    lambda: routeToTwin(new LambdaClient(base(defaultRegion)), world, 'lambda', defaultRegion),
    dynamoDB,
    dynamoDoc: DynamoDBDocumentClient.from(dynamoDB, { marshallOptions: { removeUndefinedValues: true } }),
  };
}

/**
 * A client pinned to `region` (functions/shared/clients/base.ts `regionalClient`): its calls reach that region's
 * simulated service whatever region the calling Lambda runs in, so a lost region fails them.
 */
export function twinRegionalClient<K extends RegionalClientName>(
  world: World,
  dynamo: DynamoSim,
  name: K,
  region: string,
): ClientSet[K] {
  const make = (): unknown => {
    switch (name) {
      case 'cloudWatch':
        return routeToTwin(new CloudWatchClient(base(region)), world, 'cloudwatch', region, true);
      case 'elbv2':
        return routeToTwin(new ElasticLoadBalancingV2Client(base(region)), world, 'elbv2', region, true);
      case 'autoScaling':
        return routeToTwin(new AutoScalingClient(base(region)), world, 'autoscaling', region, true);
      case 'sfn':
        return routeToTwin(new SFNClient(base(region)), world, 'sfn', region, true);
      case 'ssm':
        return routeToTwin(new SSMClient(base(region)), world, 'ssm', region, true);
      case 'dynamoDoc':
        return DynamoDBDocumentClient.from(dynamo.client(region, { pinned: true }), {
          marshallOptions: { removeUndefinedValues: true },
        });
      default:
        throw new Error(`no region-pinned twin client ${String(name)}`);
    }
  };
  return make() as ClientSet[K];
}

/**
 * The clients an operator's tool (hactl, cli/twin-backend.ts) uses against the twin, all pinned to `region`: the
 * operator runs outside any Lambda invocation, so every call reaches that region's simulated service.
 */
export function twinOperatorClients(world: World, dynamo: DynamoSim, region: string) {
  const pin = <C extends StackClient>(client: C, service: ServiceName) =>
    routeToTwin(client, world, service, region, true);
  return {
    sfn: pin(new SFNClient(base(region)), 'sfn'),
    dynamoDoc: DynamoDBDocumentClient.from(dynamo.client(region, { pinned: true }), {
      marshallOptions: { removeUndefinedValues: true },
    }),
    lambda: pin(new LambdaClient(base(region)), 'lambda'),
    cloudWatch: pin(new CloudWatchClient(base(region)), 'cloudwatch'),
    autoScaling: pin(new AutoScalingClient(base(region)), 'autoscaling'),
    elbv2: pin(new ElasticLoadBalancingV2Client(base(region)), 'elbv2'),
    cloudFormation: pin(new CloudFormationClient(base(region)), 'cloudformation'),
    sts: pin(new STSClient(base(region)), 'sts'),
  };
}
