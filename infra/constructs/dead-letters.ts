import { Arn, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Config } from '../config/schema';
import { ASYNC_INVOKE, deadLetterQueueSpec, RULE_TARGET_RETRY } from '../operations';
import { acknowledge } from './acknowledge';

/**
 * The region's dead-letter queue (issue 15 §2): every EventBridge rule target's DLQ and the on-failure
 * destination of every event-driven function's asynchronous invocations, encrypted with the control-plane key.
 * EventBridge writes to it as `events.amazonaws.com`: the queue policy (added by CDK per rule target) allows
 * SendMessage from those rules, and the key policy lets the service use the key for this queue only (EventBridge
 * user guide, "Using dead-letter queues to process undelivered events in EventBridge": an SQS DLQ encrypted with
 * a customer managed key needs the key policy to allow EventBridge kms:Decrypt and kms:GenerateDataKey;
 * SQS developer guide, "Encryption at rest": the encryption context is `aws:sqs:arn`).
 */
export class DeadLetterQueue extends Construct {
  readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string, props: { readonly config: Config; readonly key: kms.Key }) {
    super(scope, id);
    const spec = deadLetterQueueSpec(props.config);
    this.queue = new sqs.Queue(this, 'Queue', {
      queueName: spec.name,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      // A data key is reused for 5 minutes (the default): fewer KMS requests than encrypting each message.
      dataKeyReuse: Duration.minutes(5),
      retentionPeriod: Duration.seconds(spec.retentionSeconds),
      visibilityTimeout: Duration.seconds(spec.visibilityTimeoutSeconds),
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // It is itself the dead-letter queue (of every rule target and every asynchronous invocation), so it has
    // none: a DLQ of a DLQ would only move the same messages; the depth alarm tells the operator they are here.
    acknowledge(
      this.queue,
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is the dead-letter queue of every EventBridge rule target and the on-failure destination of every event-driven Lambda (CloudFormation does not mark a queue used that way as a DLQ); it needs none of its own, its depth alarm tells the operator.',
      },
      {
        id: 'cdk-validator-cfnguard::sqs_dlq_check',
        reason:
          'This queue is itself the dead-letter queue of the rule targets and the Lambda destinations; a DLQ of a DLQ would only move the same messages, and the dead-letters alarm covers its depth.',
      },
    );
    const stack = Stack.of(this);
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          StringEquals: {
            'aws:SourceAccount': stack.account,
            // The ARN from the name, not the queue's attribute: the queue refers to the key (no cycle).
            'kms:EncryptionContext:aws:sqs:arn': Arn.format({ service: 'sqs', resource: spec.name }, stack),
          },
        },
      }),
    );
  }
}

/**
 * A rule target's retry policy and DLQ ({@link RULE_TARGET_RETRY} unless the target has a reason for another
 * event age), for `targets.LambdaFunction` and `targets.SfnStateMachine` options.
 */
export function ruleTargetOptions(queue: sqs.IQueue, maxEventAge?: Duration) {
  return {
    deadLetterQueue: queue,
    retryAttempts: RULE_TARGET_RETRY.maximumRetryAttempts,
    maxEventAge: maxEventAge ?? Duration.seconds(RULE_TARGET_RETRY.maximumEventAgeSeconds),
  };
}

/**
 * An event-driven function's asynchronous invocations: {@link ASYNC_INVOKE} retries, then the queue (Lambda
 * developer guide, "Capturing records of Lambda asynchronous invocations": the function's execution role sends
 * the record, so the destination grants it sqs:SendMessage and the key).
 */
export function sendFailuresTo(fn: lambda.Function, queue: sqs.IQueue, key: kms.IKey): void {
  // Not SqsDestination: its grant adds kms:ReEncrypt* and kms:GenerateDataKey*. Sending to an SSE-KMS queue
  // takes kms:GenerateDataKey and kms:Decrypt (SQS developer guide, "Key management": producer permissions).
  fn.configureAsyncInvoke({
    retryAttempts: ASYNC_INVOKE.maximumRetryAttempts,
    maxEventAge: Duration.seconds(ASYNC_INVOKE.maximumEventAgeSeconds),
    onFailure: { bind: () => ({ destination: queue.queueArn }) },
  });
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
  key.grant(fn, 'kms:GenerateDataKey', 'kms:Decrypt');
}
