import { Arn, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../functions/shared/env';
import { CERT_WORKFLOWS } from '../cert-rotation';
import type { Config, RegionConfig } from '../config/schema';
import {
  CLUSTER_TAG_KEY,
  HOOKS,
  keySecretNames,
  lifecycleEventPattern,
  NODE_WORKFLOWS,
  type NodeLifecycleRefs,
  nodeCommandSubstitutions,
  nodeLifecycleSubstitutions,
  SWEEP_MINUTES,
} from '../node-lifecycle';
import {
  FAILOVER_WORKFLOWS,
  failoverEnvironment,
  PRIMARY_FAILOVER,
  pauseEnvironment,
} from '../primary-failover';
import { ProjectDocuments } from '../ssm-documents/construct';
import { FUNCTION_TIMEOUT_SECONDS, leaseHolders } from '../workflow-definitions';
import { acknowledge } from './acknowledge';
import { CommandWait } from './command-wait';
import { ControlPlaneFunction } from './control-plane-function';
import { ruleTargetOptions } from './dead-letters';
import { mergeResources, nagForm, syncChildResources, Workflow, wildcardReason } from './workflow';

export interface NodeLifecycleProps {
  readonly config: Config;
  readonly region: RegionConfig;
  readonly key: kms.IKey;
  readonly stateTable: dynamodb.TableV2;
  readonly topic: sns.ITopic;
  readonly certificates: Pick<NodeLifecycleRefs, 'signerFunctionArn' | 'certsFunctionArn'>;
  readonly deadLetters: sqs.IQueue;
}

/**
 * Node bootstrap on launch and drain on terminate: lifecycle hooks on both groups, the dispatch Lambda behind
 * an EventBridge rule, the reconciler's sweep on a schedule, the lease, report and failover Lambdas, the
 * project's SSM documents and the three workflows, each role limited to what it calls.
 *
 * primary-failover (its own construct) is created after this one and uses its Lambdas and node-command; the
 * references back to it (node-drain's handover, dispatch's and the reconciler's starts) go through its ARN,
 * derived from its fixed name ({@link Workflow.stateMachineArnFor}), so neither construct waits on the other.
 */
export class NodeLifecycle extends Construct {
  readonly dispatch: ControlPlaneFunction;
  readonly reconciler: ControlPlaneFunction;
  readonly lease: ControlPlaneFunction;
  readonly report: ControlPlaneFunction;
  /** primary-failover's decision steps and node-bootstrap's primary claim (fenced by the epoch). */
  readonly failover: ControlPlaneFunction;
  readonly nodeCommand: Workflow;
  /** node-command's wait: the command function and the rule bringing it SSM's status events. */
  readonly commandWait: CommandWait;
  readonly bootstrap: Workflow;
  readonly drain: Workflow;
  /** node-bootstrap's and node-drain's waiting phases, by workflow name. */
  readonly phases: Readonly<Record<string, Workflow>>;
  readonly documents: ProjectDocuments;
  /** Both Auto Scaling groups' ARNs (primary first), pinned by name. */
  readonly groupArns: readonly [string, string];
  /** What a workflow's role needs to run node-command as a `.sync:2` child, keyed as Workflow `resources`. */
  readonly nodeCommandChild: Readonly<Record<string, readonly string[]>>;
  /** The ARN primary-failover gets (by name; the construct is created after this one). */
  readonly failoverStateMachineArn: string;

  constructor(scope: Construct, id: string, props: NodeLifecycleProps) {
    super(scope, id);
    const { config, region, key, stateTable, topic } = props;
    const stack = Stack.of(this);
    const groups = [region.primaryAsgName, region.memberAsgName];
    const groupArn = (name: string) =>
      Arn.format(
        {
          service: 'autoscaling',
          resource: 'autoScalingGroup',
          resourceName: `*:autoScalingGroupName/${name}`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        },
        stack,
      );
    this.groupArns = [groupArn(region.primaryAsgName), groupArn(region.memberAsgName)];
    const groupArns = [...this.groupArns];
    const targetGroupArn = region.targetGroupArns[0] as string;
    const useKey = (grantee: iam.IGrantable) =>
      key.grant(grantee, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
    const clusterEnv = {
      [ENV.clusterName]: config.cluster.name,
      [ENV.clusterMode]: config.cluster.mode,
      [ENV.primaryAsgName]: region.primaryAsgName,
      [ENV.memberAsgName]: region.memberAsgName,
      [ENV.stateTable]: stateTable.tableName,
    };

    for (const group of groups) {
      for (const hook of HOOKS) {
        new autoscaling.CfnLifecycleHook(
          this,
          `${group === region.primaryAsgName ? 'Primary' : 'Member'}${hook.defaultResult === 'ABANDON' ? 'Launch' : 'Terminate'}Hook`,
          {
            autoScalingGroupName: group,
            lifecycleHookName: hook.name,
            lifecycleTransition: hook.transition,
            heartbeatTimeout: hook.heartbeatTimeoutSeconds,
            defaultResult: hook.defaultResult,
          },
        );
      }
    }
    this.documents = new ProjectDocuments(this, 'Documents', { cluster: config.cluster.name });
    this.lease = new ControlPlaneFunction(this, 'Lease', {
      handlerDir: 'lease',
      description:
        'Takes and releases the cluster join and cluster leases (conditional writes; a holder is taken over only once its execution has ended)',
      logKey: key,
      environment: { [ENV.stateTable]: stateTable.tableName },
    });
    stateTable.grant(this.lease.fn, 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem');
    useKey(this.lease.fn);
    // A held lease is taken over only from an execution that has ended: the lease Lambda reads the status of
    // the workflows that hold leases (found in their definitions), and of no other.
    const allWorkflows = [...NODE_WORKFLOWS, ...FAILOVER_WORKFLOWS, ...CERT_WORKFLOWS];
    for (const holder of leaseHolders(allWorkflows)) {
      const executions = Workflow.executionArnPatternFor(this, holder);
      this.lease.role.addToPolicy(
        new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }),
      );
      acknowledge(this.lease.role, {
        id: `AwsSolutions-IAM5[Resource::${nagForm(executions)}]`,
        reason: wildcardReason(executions, 'states:DescribeExecution'),
      });
    }

    this.report = new ControlPlaneFunction(this, 'Report', {
      handlerDir: 'report',
      description: 'Audits workflow outcomes, notifies the operator, emits outcome metrics',
      logKey: key,
      environment: { [ENV.stateTable]: stateTable.tableName, [ENV.topicArn]: topic.topicArn },
    });
    // PutItem: the audit entry; UpdateItem: the once-per-incident notice record of a run held by the pause.
    stateTable.grant(this.report.fn, 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    // Not grantPublish: it adds kms:GenerateDataKey*; the exact KMS actions come from useKey.
    this.report.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }),
    );
    useKey(this.report.fn);

    this.failover = new ControlPlaneFunction(this, 'Failover', {
      handlerDir: 'failover',
      description:
        'primary-failover decisions (observe, assess, plan, epoch fence, commit, quarantine), the primary claim, quarantine release',
      logKey: key,
      environment: failoverEnvironment(config, region, stateTable.tableName),
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.failover),
    });
    // PutItem: the audit entry of an operator's release of a quarantined node.
    stateTable.grant(this.failover.fn, 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem');
    useKey(this.failover.fn);
    this.failover.allowOnAnyResource('Observe', [
      'autoscaling:DescribeAutoScalingGroups',
      'elasticloadbalancing:DescribeTargetHealth',
      'ec2:DescribeInstances',
      'ec2:DescribeInstanceStatus',
    ]);
    this.failoverStateMachineArn = Workflow.stateMachineArnFor(this, PRIMARY_FAILOVER);
    // An election's fence holds the cluster while its execution runs: the claim and the census read its status.
    const elections = Workflow.executionArnPatternFor(this, PRIMARY_FAILOVER);
    const canReadElections = (fn: ControlPlaneFunction) => {
      fn.role.addToPolicy(
        new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [elections] }),
      );
      acknowledge(fn.role, {
        id: `AwsSolutions-IAM5[Resource::${nagForm(elections)}]`,
        reason: wildcardReason(elections, 'states:DescribeExecution'),
      });
    };
    canReadElections(this.failover);

    const documentArns = Object.values(this.documents.arns);
    this.commandWait = new CommandWait(this, 'CommandWait', {
      config,
      region,
      key,
      stateTable,
      nodeCommandStateMachineArn: Workflow.stateMachineArnFor(this, 'node-command'),
      deadLetters: props.deadLetters,
    });
    this.nodeCommand = new Workflow(this, 'NodeCommand', {
      name: 'node-command',
      logKey: key,
      substitutions: nodeCommandSubstitutions(this.commandWait.fn.functionArn),
      resources: {
        // The project's documents, pinned by ARN; the instance side is the statement below.
        'ssm:SendCommand': documentArns,
        'lambda:InvokeFunction': [this.commandWait.fn.functionArn],
      },
    });
    // SendCommand is authorized on the document AND on each target instance. The documents run as root, so the
    // instances are limited to the cluster's own by the tag both groups propagate at launch (AWS Systems
    // Manager User Guide, "Restricting Run Command access based on tags"). A statement of its own: the tag
    // condition on the documents' statement would deny them (they do not carry the tag).
    const instanceArn = Arn.format({ service: 'ec2', resource: 'instance', resourceName: '*' }, stack);
    this.nodeCommand.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:SendCommand'],
        resources: [instanceArn],
        conditions: { StringEquals: { [`ssm:resourceTag/${CLUSTER_TAG_KEY}`]: config.cluster.name } },
      }),
    );
    acknowledge(this.nodeCommand.role, {
      id: `AwsSolutions-IAM5[Resource::${nagForm(instanceArn)}]`,
      reason: `ssm:SendCommand: the instance is learnt at run time (any new node); only instances tagged ${CLUSTER_TAG_KEY}=${config.cluster.name} (condition ssm:resourceTag), and only the project's documents (pinned by ARN in another statement).`,
    });

    const syncChild: Record<string, readonly string[]> = {
      'states:StartExecution': [this.nodeCommand.stateMachine.stateMachineArn],
      'states:DescribeExecution': [this.nodeCommand.executionArnPattern],
      'states:StopExecution': [this.nodeCommand.executionArnPattern],
      // .sync:2 watches the child through this Step Functions-managed rule.
      events: [
        Arn.format(
          {
            service: 'events',
            resource: 'rule',
            resourceName: 'StepFunctionsGetEventsForStepFunctionsExecutionRule',
          },
          stack,
        ),
      ],
    };
    this.nodeCommandChild = syncChild;
    const refs: NodeLifecycleRefs = {
      leaseFunctionArn: this.lease.functionArn,
      reportFunctionArn: this.report.functionArn,
      nodeCommandStateMachineArn: this.nodeCommand.stateMachine.stateMachineArn,
      stateMachineArn: (name) => Workflow.stateMachineArnFor(this, name),
      targetGroupArn,
      stateTableName: stateTable.tableName,
      documents: {
        configure: this.documents.names.configureNode,
        start: this.documents.names.startArtifactory,
        stop: this.documents.names.stopArtifactory,
        probe: this.documents.names.probeReadiness,
      },
      masterKeySecretId: keySecretNames(config).masterKey,
      joinKeySecretId: keySecretNames(config).joinKey,
      failoverFunctionArn: this.failover.functionArn,
      failoverStateMachineArn: this.failoverStateMachineArn,
      ...props.certificates,
      keySize: config.certificates.keySize,
    };

    const substitutions = nodeLifecycleSubstitutions(refs);
    const heartbeat = { 'autoscaling:RecordLifecycleActionHeartbeat': groupArns };
    const awaitSsm = new Workflow(this, 'NodeBootstrapAwaitSsm', {
      name: 'node-bootstrap-await-ssm',
      logKey: key,
      substitutions: substitutions['node-bootstrap-await-ssm'],
      resources: { ...heartbeat, 'ssm:DescribeInstanceInformation': ['*'] },
    });
    const awaitReady = new Workflow(this, 'NodeBootstrapAwaitReady', {
      name: 'node-bootstrap-await-ready',
      logKey: key,
      substitutions: substitutions['node-bootstrap-await-ready'],
      resources: {
        ...heartbeat,
        'elasticloadbalancing:DescribeTargetHealth': ['*'],
        'elasticloadbalancing:RegisterTargets': region.targetGroupArns,
        ...syncChild,
      },
    });
    const awaitDrained = new Workflow(this, 'NodeDrainAwaitDrained', {
      name: 'node-drain-await-drained',
      logKey: key,
      substitutions: substitutions['node-drain-await-drained'],
      resources: { ...heartbeat, 'elasticloadbalancing:DescribeTargetHealth': ['*'] },
    });
    this.phases = Object.fromEntries([awaitSsm, awaitReady, awaitDrained].map((w) => [w.name, w]));

    this.bootstrap = new Workflow(this, 'NodeBootstrap', {
      name: 'node-bootstrap',
      logKey: key,
      substitutions: substitutions['node-bootstrap'],
      resources: mergeResources(
        {
          'lambda:InvokeFunction': [
            ...[this.lease, this.report, this.failover].map((f) => f.functionArn),
            ...Object.values(props.certificates),
          ],
          autoscaling: groupArns,
          'elasticloadbalancing:DeregisterTargets': region.targetGroupArns,
          dynamodb: [stateTable.tableArn],
        },
        syncChild,
        syncChildResources(this, [awaitSsm.name, awaitReady.name]),
      ),
    });
    useKey(this.bootstrap.role);

    this.drain = new Workflow(this, 'NodeDrain', {
      name: 'node-drain',
      logKey: key,
      substitutions: substitutions['node-drain'],
      resources: mergeResources(
        {
          'lambda:InvokeFunction': [this.report.functionArn],
          autoscaling: groupArns,
          'elasticloadbalancing:DeregisterTargets': region.targetGroupArns,
          dynamodb: [stateTable.tableArn],
          // The planned handover: node-drain starts primary-failover (fire and forget) beside the drain.
          'states:StartExecution': [this.failoverStateMachineArn],
        },
        syncChild,
        syncChildResources(this, [awaitDrained.name]),
      ),
    });
    useKey(this.drain.role);

    const workflowEnv = {
      ...clusterEnv,
      [ENV.bootstrapStateMachineArn]: this.bootstrap.stateMachine.stateMachineArn,
      [ENV.drainStateMachineArn]: this.drain.stateMachine.stateMachineArn,
      [ENV.failoverStateMachineArn]: this.failoverStateMachineArn,
      ...pauseEnvironment(config, topic.topicArn),
    };
    const canStart = (grantee: iam.IGrantable) => {
      this.bootstrap.stateMachine.grantStartExecution(grantee);
      this.drain.stateMachine.grantStartExecution(grantee);
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['states:StartExecution'],
          resources: [this.failoverStateMachineArn],
        }),
      );
      // PutItem: audit entries; UpdateItem: the once-per-incident notice record while automation is paused.
      stateTable.grant(grantee, 'dynamodb:PutItem', 'dynamodb:UpdateItem');
      useKey(grantee);
      // While paused, what dispatch and the sweep find is told to the operator instead of acted on.
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }),
      );
    };

    this.dispatch = new ControlPlaneFunction(this, 'Dispatch', {
      handlerDir: 'dispatch',
      description:
        'Validates lifecycle and primary-alarm events and starts node-bootstrap, node-drain or primary-failover (deterministic names)',
      logKey: key,
      environment: workflowEnv,
    });
    canStart(this.dispatch.fn);
    this.dispatch.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['autoscaling:CompleteLifecycleAction'], resources: groupArns }),
    );
    for (const arn of groupArns) {
      acknowledge(this.dispatch.role, {
        id: `AwsSolutions-IAM5[Resource::${nagForm(arn)}]`,
        reason: wildcardReason(arn, 'autoscaling:CompleteLifecycleAction'),
      });
    }
    new events.Rule(this, 'LifecycleEvents', {
      description: `Lifecycle actions of ${groups.join(' and ')} to the control plane`,
      eventPattern: lifecycleEventPattern(region) as events.EventPattern,
      targets: [new targets.LambdaFunction(this.dispatch.fn, ruleTargetOptions(props.deadLetters))],
    });

    this.reconciler = new ControlPlaneFunction(this, 'Reconciler', {
      handlerDir: 'reconciler',
      description:
        'Sweeps lifecycle actions whose event was lost and primary counts other than one, and starts their workflow',
      logKey: key,
      environment: workflowEnv,
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.reconciler),
    });
    canStart(this.reconciler.fn);
    // The primary census reads the cluster's STATE item; while paused, the leftover check reads the cluster
    // lock (its holder's status: PrimaryFailover grants it).
    stateTable.grant(this.reconciler.fn, 'dynamodb:GetItem');
    canReadElections(this.reconciler);
    this.reconciler.allowOnAnyResource('DescribeGroups', ['autoscaling:DescribeAutoScalingGroups']);
    new events.Rule(this, 'Sweep', {
      description: 'Reconciler sweep for lost lifecycle events',
      schedule: events.Schedule.rate(Duration.minutes(SWEEP_MINUTES)),
      targets: [new targets.LambdaFunction(this.reconciler.fn, ruleTargetOptions(props.deadLetters))],
    });
  }
}
