import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../functions/shared/env';
import type { Config, RegionConfig } from '../config/schema';
import { commandStatusEventPattern } from '../node-lifecycle';
import { FUNCTION_TIMEOUT_SECONDS } from '../workflow-definitions';
import { ControlPlaneFunction } from './control-plane-function';
import { ruleTargetOptions } from './dead-letters';

export interface CommandWaitProps {
  readonly config: Config;
  readonly region: RegionConfig;
  readonly key: kms.IKey;
  readonly stateTable: dynamodb.TableV2;
  /** node-command's ARN, by name (the workflow is created after this construct: it invokes the function). */
  readonly nodeCommandStateMachineArn: string;
  /** The region's dead-letter queue: every rule target's DLQ (infra/constructs/dead-letters.ts). */
  readonly deadLetters: sqs.IQueue;
}

/**
 * node-command's wait without polling: the command function its wait Task invokes with a task token, and
 * the EventBridge rule that brings it SSM's status events for the cluster's own documents in this region.
 * The function may complete tasks of node-command only, register waits in the state table, and read command
 * invocations.
 */
export class CommandWait extends Construct {
  readonly fn: ControlPlaneFunction;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: CommandWaitProps) {
    super(scope, id);
    const { config, region, key, stateTable } = props;
    this.fn = new ControlPlaneFunction(this, 'Function', {
      handlerDir: 'command',
      description:
        "node-command's wait: registers its task token, completes it from SSM's command status event or the invocation",
      logKey: key,
      environment: { [ENV.clusterName]: config.cluster.name, [ENV.stateTable]: stateTable.tableName },
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.command),
    });
    stateTable.grant(this.fn.fn, 'dynamodb:UpdateItem');
    key.grant(this.fn.fn, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
    // Task tokens of node-command only, scoped to its state machine as CDK's StateMachine.grantTaskResponse does.
    this.fn.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
        resources: [props.nodeCommandStateMachineArn],
      }),
    );
    this.fn.allowOnAnyResource('ReadInvocations', ['ssm:GetCommandInvocation']);

    this.rule = new events.Rule(this, 'StatusEvents', {
      description: `SSM status changes ending the ${config.cluster.name} documents in ${region.name}, to node-command's wait`,
      eventPattern: commandStatusEventPattern(config, region) as events.EventPattern,
      targets: [new targets.LambdaFunction(this.fn.fn, ruleTargetOptions(props.deadLetters))],
    });
  }
}
