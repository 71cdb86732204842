import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { BuildOptions } from 'esbuild';
import { METRIC_NAMESPACE } from '../stacks/names';
import { FUNCTION_TIMEOUT_SECONDS } from '../workflow-definitions';
import { acknowledge, acknowledgeAnyResource } from './acknowledge';
import { ACTIONS_WITHOUT_RESOURCE_SCOPE } from './asl-actions';
import { lambdaLogGroupName } from './control-plane-key';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The runtime every control-plane Lambda uses (nodejs22.x or newer: the Node.js versions the AWS SDK and Powertools support). */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * How every control-plane Lambda is bundled; bench/lambdas.ts and test/infra/bundles.test.ts build with exactly
 * these options (through {@link esbuildOptions}). Measured and argued in docs/performance.md, "Lambda bundles":
 * - The AWS SDK (and its @smithy packages) is taken from the runtime, not bundled: bundled, EC2's client alone
 *   is 851 KB, over the 600 KB a bundle may weigh, and every bundle is 3-10x larger. The runtime's SDK is
 *   not the version the tests ran; {@link ControlPlaneFunction} lets it change only when we deploy.
 * - `mainFields: ['module', 'main']`: ES module builds first, so esbuild drops what is not imported (of the
 *   packages bundled today, all resolve through `exports` maps, which take precedence; docs/performance.md).
 * - No source map: `--enable-source-maps` cost ~0.8x a bare Node start at every cold start, and a map
 *   nobody loads is dead weight in the asset; minified names in a stack trace are the price.
 */
export const LAMBDA_BUNDLING = {
  minify: true,
  sourceMap: false,
  target: 'node24',
  format: OutputFormat.CJS,
  mainFields: ['module', 'main'],
  externalModules: ['@aws-sdk/*', '@smithy/*'],
  forceDockerBundling: false,
} as const satisfies BundlingOptions;

/**
 * {@link LAMBDA_BUNDLING} as esbuild's own build options, as the NodejsFunction construct turns them into
 * esbuild arguments (aws-cdk-lib/aws-lambda-nodejs/lib/bundling.js: bundle, platform node, target, format,
 * minify, source map, externals, main fields). `bundling` may differ for a comparison (the bench's other choice).
 */
export function esbuildOptions(bundling: BundlingOptions = LAMBDA_BUNDLING): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    ...(bundling.target ? { target: bundling.target } : {}),
    format: bundling.format === OutputFormat.ESM ? 'esm' : 'cjs',
    minify: bundling.minify ?? false,
    sourcemap: bundling.sourceMap ?? false,
    external: [...(bundling.externalModules ?? [])],
    ...(bundling.mainFields ? { mainFields: [...bundling.mainFields] } : {}),
  };
}

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
 * The Lambda defaults in one place: newest Node runtime, arm64, esbuild bundle ({@link LAMBDA_BUNDLING}),
 * Powertools environment, an encrypted log group with a retention, and a role of its own that starts with
 * nothing but writing its logs. Grants are added by the caller. No active tracing: X-Ray would record a
 * trace for every scheduled run (the watch Lambda's every minute) and bring its SDK into every cold start
 * (docs/performance.md, "Tracing").
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
      tracing: lambda.Tracing.DISABLED,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      // The runtime's SDK (LAMBDA_BUNDLING) changes only when we deploy, not under a running function.
      runtimeManagementMode: lambda.RuntimeManagementMode.FUNCTION_UPDATE,
      bundling: {
        ...LAMBDA_BUNDLING,
        mainFields: [...LAMBDA_BUNDLING.mainFields],
        externalModules: [...LAMBDA_BUNDLING.externalModules],
      },
      environment: {
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
    });

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
