import { Arn, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Config, RegionConfig } from '../config/schema';
import {
  drillInput,
  drillRuleName,
  REGIONAL_FAILOVER,
  REGIONAL_READINESS,
  type RegionalWorkflow,
  readinessRuleName,
  readinessScheduleExpression,
  regionalFailoverStateMachineName,
  regionalFailoverSubstitutions,
} from '../regional-failover';
import { routingEnvironment } from '../routing';
import {
  canarySwitchAlarmName,
  METRIC_NAMESPACE,
  regionDegradedAlarmName,
  routingVoters,
  switchAlarmName,
  switchCopyRegions,
} from '../stacks/names';
import { acknowledge } from './acknowledge';
import { ControlPlaneFunction } from './control-plane-function';
import { ruleTargetOptions } from './dead-letters';
import type { NodeLifecycle } from './node-lifecycle';
import { mergeResources, syncChildResources, Workflow } from './workflow';

export interface RegionalFailoverProps {
  readonly config: Config;
  readonly region: RegionConfig;
  readonly key: kms.IKey;
  readonly topic: sns.ITopic;
  /** This region's state table (the readiness assessment reads its NODE items). */
  readonly stateTable: dynamodb.TableV2;
  /** The routing table's name in every voter region (routingVoters: every configured region and the witness). */
  readonly routingTables: Readonly<Record<string, string>>;
  /** Supplies the report Lambda, node-command and the SSM documents. */
  readonly lifecycle: NodeLifecycle;
  /** The region's dead-letter queue: every rule target's DLQ (infra/constructs/dead-letters.ts). */
  readonly deadLetters: sqs.IQueue;
}

/**
 * Regional failover in one region's control plane: the `routing` Lambda (plan, the routing lease, flip,
 * verify, readiness), the regional-failover workflow (fixed name: dispatch in a peer region starts it by ARN)
 * with its approval and switch children, the readiness evaluation and the two schedules (readiness, drill).
 * Every grant names the cluster's own resources in every voter region; nothing here references another
 * region's stack (the names are derived: stacks/names.ts).
 */
export class RegionalFailover extends Construct {
  readonly routing: ControlPlaneFunction;
  readonly workflow: Workflow;
  readonly phases: Readonly<Record<string, Workflow>>;
  readonly readiness: Workflow;
  readonly readinessRule: events.Rule;
  readonly drillRule: events.Rule;

  constructor(scope: Construct, id: string, props: RegionalFailoverProps) {
    super(scope, id);
    const { config, region, key, topic, lifecycle, routingTables } = props;
    const stack = Stack.of(this);
    const voters = routingVoters(config);
    const missing = voters.filter((v) => routingTables[v] === undefined);
    if (missing.length > 0) throw new Error(`RegionalFailover: no routing table for ${missing.join(', ')}`);
    const arnIn = (
      service: string,
      r: string,
      resource: string,
      resourceName: string,
      sep = ArnFormat.SLASH_RESOURCE_NAME,
    ) => Arn.format({ service, region: r, resource, resourceName, arnFormat: sep }, stack);

    this.routing = new ControlPlaneFunction(this, 'Routing', {
      handlerDir: 'routing',
      description:
        'Regional failover: plan (readiness, safety rules), the routing lease over the voter tables, flip and verify the switch, readiness',
      logKey: key,
      environment: routingEnvironment(config, region, routingTables, {
        stateTable: props.stateTable.tableName,
        account: stack.account,
      }),
    });
    const allow = (
      actions: string[],
      resources: string[],
      conditions?: Record<string, Record<string, unknown>>,
    ) =>
      this.routing.role.addToPolicy(
        new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) }),
      );
    // The routing tables: the same name in every voter region (the lease, SWITCH#, GATE#, READINESS#).
    allow(
      [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
      ],
      voters.map((v) => arnIn('dynamodb', v, 'table', routingTables[v] as string)),
    );
    // This region's own state table (NODE items: certificates, roles), encrypted with this region's key.
    allow(['dynamodb:GetItem', 'dynamodb:Query'], [props.stateTable.tableArn]);
    key.grant(this.routing.fn, 'kms:Decrypt');
    // The switch copies (and the canary's) in every copy region, and each region's degraded alarm in itself:
    // verify reads them, the hysteresis reads StateUpdatedTimestamp.
    const copies = switchCopyRegions(config);
    const alarms = config.regions.flatMap((x) => [
      ...copies.map((r) =>
        arnIn('cloudwatch', r, 'alarm', switchAlarmName(config, x.name), ArnFormat.COLON_RESOURCE_NAME),
      ),
      ...(config.failover.drill.canaryRecordName !== undefined
        ? copies.map((r) =>
            arnIn(
              'cloudwatch',
              r,
              'alarm',
              canarySwitchAlarmName(config, x.name),
              ArnFormat.COLON_RESOURCE_NAME,
            ),
          )
        : []),
      arnIn(
        'cloudwatch',
        x.name,
        'alarm',
        regionDegradedAlarmName(config, x.name),
        ArnFormat.COLON_RESOURCE_NAME,
      ),
    ]);
    allow(['cloudwatch:DescribeAlarms'], alarms);
    // PutMetricData has no resource: the project's namespace only, and only the routing metrics.
    this.routing.allowOnAnyResource('PutMetricData', ['cloudwatch:PutMetricData'], {
      StringEquals: { 'cloudwatch:namespace': METRIC_NAMESPACE },
    });
    // Serving, capacity and the primary: read-only APIs without resource-level permissions.
    this.routing.allowOnAnyResource('Observe', [
      'elasticloadbalancing:DescribeTargetHealth',
      'autoscaling:DescribeAutoScalingGroups',
    ]);
    // A lease whose holder may still run: its execution's status, in the holder's region.
    allow(
      ['states:DescribeExecution'],
      config.regions.map((r) =>
        arnIn(
          'states',
          r.name,
          'execution',
          `${regionalFailoverStateMachineName(config)}:*`,
          ArnFormat.COLON_RESOURCE_NAME,
        ),
      ),
    );
    for (const r of config.regions) {
      acknowledge(this.routing.role, {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${r.name}:<AWS::AccountId>:execution:${regionalFailoverStateMachineName(config)}:*]`,
        reason: `states:DescribeExecution: executions of the fixed-name regional-failover state machine in ${r.name} (a routing lease holder's status); the * is the execution name.`,
      });
    }
    if (config.failover.driver === 'route53-api') {
      // Route 53 is global: the copy check is found by its alarm (ListHealthChecks has no resource) and
      // inverted (health check ids are learnt at run time: the global stack creates them).
      this.routing.allowOnAnyResource('FindHealthChecks', ['route53:ListHealthChecks']);
      allow(
        ['route53:UpdateHealthCheck'],
        [
          Arn.format(
            { service: 'route53', region: '', account: '', resource: 'healthcheck', resourceName: '*' },
            stack,
          ),
        ],
      );
      acknowledge(this.routing.role, {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:route53:::healthcheck/*]',
        reason:
          'route53:UpdateHealthCheck (route53-api driver only): the copy check is found at run time by its alarm identifier; Route 53 health checks carry no name to pin.',
      });
    }

    const substitutions = regionalFailoverSubstitutions({
      clusterName: config.cluster.name,
      region: region.name,
      routingFunctionArn: this.routing.functionArn,
      reportFunctionArn: lifecycle.report.functionArn,
      nodeCommandStateMachineArn: lifecycle.nodeCommand.stateMachine.stateMachineArn,
      topicArn: topic.topicArn,
      stateMachineArn: (name) =>
        name === REGIONAL_FAILOVER
          ? Arn.format(
              {
                service: 'states',
                resource: 'stateMachine',
                resourceName: regionalFailoverStateMachineName(config),
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              },
              stack,
            )
          : Workflow.stateMachineArnFor(this, name),
      approvalRequired: config.failover.approvalRequired,
      approvalTimeoutMinutes: config.failover.approvalTimeoutMinutes,
      readReplicationStatusDocument: lifecycle.documents.names.readReplicationStatus,
    });
    const workflow = (wid: string, name: RegionalWorkflow, resources: Record<string, readonly string[]>) =>
      new Workflow(this, wid, { name, logKey: key, substitutions: substitutions[name], resources });
    const invoke = (...arns: string[]) => ({ 'lambda:InvokeFunction': arns });

    const approval = workflow('Approval', 'regional-failover-approval', { 'sns:Publish': [topic.topicArn] });
    // The topic is encrypted with the control-plane key: a publisher needs it (SNS developer guide, SSE).
    key.grant(approval.role, 'kms:Decrypt', 'kms:GenerateDataKey');
    const switchPhase = workflow('Switch', 'regional-failover-switch', invoke(this.routing.functionArn));
    this.phases = { [approval.name]: approval, [switchPhase.name]: switchPhase };

    this.workflow = new Workflow(this, 'Workflow', {
      name: REGIONAL_FAILOVER,
      fixedName: regionalFailoverStateMachineName(config),
      logKey: key,
      substitutions: substitutions[REGIONAL_FAILOVER],
      resources: mergeResources(
        invoke(this.routing.functionArn, lifecycle.report.functionArn),
        syncChildResources(this, Object.keys(this.phases)),
      ),
    });
    this.readiness = workflow(
      'Readiness',
      REGIONAL_READINESS,
      mergeResources(invoke(this.routing.functionArn), lifecycle.nodeCommandChild),
    );

    this.readinessRule = new events.Rule(this, 'ReadinessSchedule', {
      ruleName: readinessRuleName(config, region.name),
      description: `Readiness evaluation of ${region.name}: could it take over? (RegionReady, its alarm)`,
      schedule: events.Schedule.expression(readinessScheduleExpression(config)),
      targets: [
        new targets.SfnStateMachine(this.readiness.stateMachine, {
          input: events.RuleTargetInput.fromObject({}),
          // An evaluation older than its period is superseded by the next one.
          ...ruleTargetOptions(
            props.deadLetters,
            Duration.minutes(config.failover.readiness.evaluationMinutes),
          ),
        }),
      ],
    });
    this.drillRule = new events.Rule(this, 'DrillSchedule', {
      ruleName: drillRuleName(config, region.name),
      description: `Failover drill of ${region.name}: ${config.failover.drill.canaryRecordName === undefined ? 'a dry-run evacuation and its report' : 'a live evacuation of the canary record'}`,
      schedule: events.Schedule.expression(config.failover.drill.schedule),
      targets: [
        new targets.SfnStateMachine(this.workflow.stateMachine, {
          input: events.RuleTargetInput.fromObject(drillInput(config, region.name)),
          ...ruleTargetOptions(props.deadLetters),
        }),
      ],
    });
  }
}
