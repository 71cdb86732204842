import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE } from '../stacks/names';
import { FUNCTION_TIMEOUT_SECONDS } from '../workflow-definitions';
import { acknowledge, acknowledgeAnyResource } from './acknowledge';
import { ACTIONS_WITHOUT_RESOURCE_SCOPE } from './asl-actions';
import { lambdaLogGroupName } from './control-plane-key';

/** What active tracing adds to a function's role, on Resource "*" (X-Ray has no resource-level permissions). */
export const XRAY_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'] as const;

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The runtime every control-plane Lambda uses (nodejs22.x or newer: the Node.js versions the AWS SDK and Powertools support). */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

export interface ControlPlaneFunctionProps {
  /** Directory under functions/ holding handler.ts (e.g. `dispatch`). */
  readonly handlerDir: string;
  readonly description: string;
  /** Powertools service name; defaults to the handler directory. */
  readonly serviceName?: string;
  readonly environment?: Record<string, string>;
  readonly timeout?: Duration;
  readonly memorySize?: number;
  /** Key that encrypts the function's log group. */
  readonly logKey: kms.IKey;
  readonly logRetention?: logs.RetentionDays;
  /** Entry override, for tests that bundle a fixture handler. */
  readonly entry?: string;
}

/**
 * The Lambda defaults in one place: newest Node runtime, arm64, esbuild bundle (minified, source
 * maps), Powertools environment, active tracing, an encrypted log group with a retention, and a role of its
 * own that starts with nothing but writing its logs and traces. Grants are added by the caller.
 */
export class ControlPlaneFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** Powertools service name: the `service` dimension of every metric the function emits. */
  readonly serviceName: string;

  constructor(scope: Construct, id: string, props: ControlPlaneFunctionProps) {
    super(scope, id);
    const serviceName = props.serviceName ?? props.handlerDir;
    this.serviceName = serviceName;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // Named under the stack's prefix: the key lets CloudWatch Logs use it only for the project's log groups.
      logGroupName: lambdaLogGroupName(Stack.of(this).stackName, props.handlerDir),
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.logKey,
    });

    // A role of our own instead of AWSLambdaBasicExecutionRole: that managed policy allows writing to every
    // log group in the account.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${serviceName}: ${props.description}`.slice(0, 1000),
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.fn = new NodejsFunction(this, 'Function', {
      entry: props.entry ?? path.join(REPO_ROOT, 'functions', props.handlerDir, 'handler.ts'),
      handler: 'handler',
      description: props.description,
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout:
        props.timeout ??
        Duration.seconds((FUNCTION_TIMEOUT_SECONDS as Record<string, number>)[props.handlerDir] ?? 30),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      bundling: {
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        target: 'node24',
        format: OutputFormat.CJS,
        // The runtime ships AWS SDK v3, but pinning our own keeps behaviour identical to the tests.
        externalModules: [],
        forceDockerBundling: false,
      },
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
    });

    // Active tracing put the X-Ray actions on "*" into the role's default policy: acknowledged there, by name.
    // A later "*" statement in that policy is not covered by this reason (test/infra checks the names).
    acknowledgeAnyResource(this.role.node.findChild('DefaultPolicy'), XRAY_ACTIONS);
    acknowledge(this.fn, {
      id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
      reason:
        'Control-plane Lambdas stay outside any VPC by design: they call only AWS APIs and act on nodes through SSM.',
    });
  }

  /**
   * Allows `actions` on Resource "*" in a policy of their own (`id`), acknowledged on that policy alone with
   * a reason naming exactly those actions. Only actions without resource-level permissions are accepted.
   */
  allowOnAnyResource(
    id: string,
    actions: readonly string[],
    conditions?: Record<string, Record<string, unknown>>,
  ): iam.Policy {
    for (const action of actions) {
      if (!ACTIONS_WITHOUT_RESOURCE_SCOPE.has(action)) {
        throw new Error(
          `${this.node.path}: ${action} supports resource-level permissions; scope it instead of "*"`,
        );
      }
    }
    const policy = new iam.Policy(this, id, {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          actions: [...actions],
          resources: ['*'],
          ...(conditions ? { conditions } : {}),
        }),
      ],
    });
    // The function must not run before its policy is attached (as CDK does for the default policy).
    this.fn.node.addDependency(policy);
    acknowledgeAnyResource(policy, actions);
    return policy;
  }

  /** The ARN of this function, for substitution into an ASL definition. */
  get functionArn(): string {
    return this.fn.functionArn;
  }
}
