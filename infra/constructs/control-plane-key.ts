import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** The log group of a control-plane Lambda: under the stack's own prefix, so the key policy can name it. */
export function lambdaLogGroupName(stackName: string, handlerDir: string): string {
  return `/aws/lambda/${stackName}/${handlerDir}`;
}

/**
 * The names of the stack's log groups, as IAM `ArnLike` patterns: the Lambdas' ({@link lambdaLogGroupName})
 * and the workflows' (`/aws/vendedlogs/states/<stack>-<workflow>`, the Workflow construct). test/infra checks
 * that every log group of the stack matches one of them.
 */
export function projectLogGroupNamePatterns(stackName: string): string[] {
  return [lambdaLogGroupName(stackName, '*'), `/aws/vendedlogs/states/${stackName}-*`];
}

/**
 * The region's customer-managed key: encrypts the state tables, the notification topic and every log group.
 * Rotation on (its period is the config's); grants only for AWS services acting for our resources.
 */
export class ControlPlaneKey extends Construct {
  readonly key: kms.Key;

  constructor(
    scope: Construct,
    id: string,
    props: {
      readonly description: string;
      readonly alias?: string;
      /** Automatic rotation period (KMS: 90-2560 days; config `encryption.keyRotationDays`). */
      readonly rotationDays: number;
    },
  ) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      description: props.description,
      enableKeyRotation: true,
      rotationPeriod: Duration.days(props.rotationDays),
      ...(props.alias ? { alias: props.alias } : {}),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch Logs uses the key only when the key policy lets the regional Logs service principal use it
    // (CloudWatch Logs user guide, "Encrypt log data in CloudWatch Logs using AWS KMS"), and only for the
    // project's own log groups: the encryption context carries the log group's ARN.
    const logGroupArns = projectLogGroupNamePatterns(stack.stackName).map(
      (name) => `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:${name}`,
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': logGroupArns },
        },
      }),
    );
    // CloudWatch alarm actions publish to the encrypted topic; SNS needs the publishing service to use the key.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    // DynamoDB, SNS and Logs create grants for themselves; nobody else may.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: {
          BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );
  }
}
