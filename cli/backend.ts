/**
 * Where hactl's calls go: AWS (the default credential chain, the deployed stacks) or the twin (TWIN's
 * cli/twin-backend). Commands only use this interface, so every command runs against both.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../infra/config/schema';
import { CONTROL_PLANE_OUTPUTS, controlPlaneStackName, stateMachineNameIn } from '../infra/stacks/names';
import { CliError } from './errors';
import { EXIT } from './exit-codes';

export interface BackendClients {
  sfn: SFNClient;
  dynamoDoc: DynamoDBDocumentClient;
  lambda: LambdaClient;
  cloudWatch: CloudWatchClient;
  autoScaling: AutoScalingClient;
  elbv2: ElasticLoadBalancingV2Client;
  cloudFormation: CloudFormationClient;
  sts: STSClient;
}

export interface StackRefs {
  stackName: string;
  stateTable: string;
  operationsFunction: string;
  topicArn: string;
  /** The region's routing table copy (switches, the pause): the stack's RoutingTableName output. */
  routingTable: string;
  stateMachineArn(workflow: string): string;
}

export interface Backend {
  readonly kind: 'aws' | 'twin';
  /** The SDK clients of `region` (built once per region). */
  clients(region: string): BackendClients;
  /** DescribeStacks(controlPlaneStackName) outputs; a missing stack is CliError(4). */
  stack(region: string): Promise<StackRefs>;
  /** The STS caller ARN: the `actor` of every change; no credentials is CliError(4). */
  identity(): Promise<string>;
  /** AWS: real time; twin: advances the virtual clock. */
  sleep(ms: number): Promise<void>;
  /** AWS: Date.now(); twin: the virtual clock. */
  now(): number;
}

/** The stack outputs hactl reads (ControlPlaneStack's CfnOutputs; the twin's DescribeStacks answers the same). */
export const STACK_OUTPUTS = CONTROL_PLANE_OUTPUTS;

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'TokenRefreshRequired',
]);

/** Maps the SDK's credential errors to the one-line environment error; other errors pass through. */
export function credentialError(err: unknown): CliError | undefined {
  const name = (err as { name?: string } | undefined)?.name ?? '';
  if (!CREDENTIAL_ERRORS.has(name)) return undefined;
  return new CliError(
    EXIT.ENVIRONMENT,
    `no usable AWS credentials (${name}): configure credentials (AWS_PROFILE, aws sso login, or AWS_ACCESS_KEY_ID)`,
    { cause: err },
  );
}

/** Reads the stack's refs from a DescribeStacks answer (shared by the AWS and twin backends). */
export function stackRefsOf(config: Config, region: string, stack: Stack): StackRefs {
  const stackName = stack.StackName ?? controlPlaneStackName(config, region);
  const outputs = new Map((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  const get = (key: string): string => {
    const value = outputs.get(key);
    if (value === undefined || value === '') {
      throw new CliError(
        EXIT.ENVIRONMENT,
        `stack ${stackName} in ${region} has no output ${key}: redeploy it (npm run deploy)`,
      );
    }
    return value;
  };
  // arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<id>
  const [, partition = 'aws', , , account = ''] = (stack.StackId ?? '').split(':');
  return {
    stackName,
    stateTable: get(STACK_OUTPUTS.stateTable),
    operationsFunction: get(STACK_OUTPUTS.operationsFunction),
    topicArn: get(STACK_OUTPUTS.topicArn),
    routingTable: get(STACK_OUTPUTS.routingTable),
    stateMachineArn: (workflow) =>
      `arn:${partition}:states:${region}:${account}:stateMachine:${stateMachineNameIn(config, stackName, workflow)}`,
  };
}

/** DescribeStacks of the region's control-plane stack, with the one-line errors for a missing stack. */
export async function describeControlPlane(
  config: Config,
  region: string,
  cloudFormation: CloudFormationClient,
): Promise<StackRefs> {
  const name = controlPlaneStackName(config, region);
  let stacks: Stack[];
  try {
    stacks = (await cloudFormation.send(new DescribeStacksCommand({ StackName: name }))).Stacks ?? [];
  } catch (err) {
    const cred = credentialError(err);
    if (cred) throw cred;
    // DescribeStacks answers a missing stack with ValidationError "Stack with id <name> does not exist".
    if ((err as Error).name === 'ValidationError' && /does not exist/.test((err as Error).message)) {
      stacks = [];
    } else throw err;
  }
  const stack = stacks[0];
  if (!stack || stack.StackStatus === 'DELETE_COMPLETE') {
    throw new CliError(
      EXIT.ENVIRONMENT,
      `stack ${name} not found in ${region}: deploy it (npm run deploy) or check --config`,
    );
  }
  return stackRefsOf(config, region, stack);
}

/** The SDK clients of one region (the default credential chain); tests replace each client's `send`. */
export function awsClients(region: string): BackendClients {
  return {
    sfn: new SFNClient({ region }),
    dynamoDoc: DynamoDBDocumentClient.from(new DynamoDBClient({ region })),
    lambda: new LambdaClient({ region }),
    cloudWatch: new CloudWatchClient({ region }),
    autoScaling: new AutoScalingClient({ region }),
    elbv2: new ElasticLoadBalancingV2Client({ region }),
    cloudFormation: new CloudFormationClient({ region }),
    sts: new STSClient({ region }),
  };
}

/** Time as the backend sees it (tests replace it). */
export interface Clock {
  sleep(ms: number): Promise<void>;
  now(): number;
}

export const REAL_CLOCK: Clock = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
};

/** The AWS backend: the SDK's default credential chain, the config's regions, real time. */
export class AwsBackend implements Backend {
  readonly kind = 'aws' as const;
  private readonly byRegion = new Map<string, BackendClients>();
  private readonly stacks = new Map<string, Promise<StackRefs>>();
  private caller: Promise<string> | undefined;

  constructor(
    private readonly config: Config,
    private readonly makeClients: (region: string) => BackendClients = awsClients,
    private readonly clock: Clock = REAL_CLOCK,
  ) {}

  clients(region: string): BackendClients {
    let c = this.byRegion.get(region);
    if (!c) {
      c = this.makeClients(region);
      this.byRegion.set(region, c);
    }
    return c;
  }

  stack(region: string): Promise<StackRefs> {
    let s = this.stacks.get(region);
    if (!s) {
      s = describeControlPlane(this.config, region, this.clients(region).cloudFormation);
      this.stacks.set(region, s);
    }
    return s;
  }

  identity(): Promise<string> {
    this.caller ??= (async () => {
      const region = this.config.regions[0]?.name ?? 'us-east-1';
      try {
        const out = await this.clients(region).sts.send(new GetCallerIdentityCommand({}));
        if (!out.Arn)
          throw new CliError(EXIT.ENVIRONMENT, 'STS returned no caller ARN: check your credentials');
        return out.Arn;
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw (
          credentialError(err) ??
          new CliError(
            EXIT.ENVIRONMENT,
            `cannot read the caller identity (${(err as Error).name}: ${(err as Error).message}): configure credentials (AWS_PROFILE, aws sso login)`,
            { cause: err },
          )
        );
      }
    })();
    return this.caller;
  }

  sleep(ms: number): Promise<void> {
    return this.clock.sleep(ms);
  }

  now(): number {
    return this.clock.now();
  }
}
