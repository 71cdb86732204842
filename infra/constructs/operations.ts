import { Arn, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../functions/shared/env';
import type { Config, RegionConfig } from '../config/schema';
import { dashboardBody, dashboardSpec } from '../dashboard';
import {
  allFunctionAlarmSpecs,
  EVENT_DRIVEN_FUNCTIONS,
  type OperationsAlarmSpec,
  operationsAlarmSpecs,
  operationsEnvironment,
  runStatusEventPattern,
  runStatusRuleName,
  runsEnvironment,
  sweepOperationsEnvironment,
  WORKFLOW_NAMES,
  type WorkflowName,
} from '../operations';
import { deadLetterQueueName, fixedStateMachineName, routingVoters } from '../stacks/names';
import type { FunctionName } from '../workflow-definitions';
import { ControlPlaneFunction } from './control-plane-function';
import { ruleTargetOptions, sendFailuresTo } from './dead-letters';
import { stateMachineArnNamed, Workflow } from './workflow';

export interface OperationsProps {
  readonly config: Config;
  readonly region: RegionConfig;
  readonly key: kms.IKey;
  readonly stateTable: dynamodb.TableV2;
  readonly topic: sns.ITopic;
  readonly deadLetters: sqs.IQueue;
  /** Every other Lambda of the stack, by its {@link FunctionName}. */
  readonly functions: Readonly<Record<Exclude<FunctionName, 'operations'>, ControlPlaneFunction>>;
  /** The routing table's name in every voter region (the global pause's copies). */
  readonly routingTables: Readonly<Record<string, string>>;
}

/**
 * The control plane watching itself (issue 15): the operations Lambda (pause, dead letters, audit), an alarm
 * per failure mode (infra/operations.ts, to the region's topic, ALARM and OK), the run-status rule to the report
 * Lambda, every event-driven function's on-failure destination, the sweep's and report's `RUN_BOUNDS`, the
 * pause's reads and writes, and the dashboard (`operations.dashboard`).
 */
export class Operations extends Construct {
  readonly fn: ControlPlaneFunction;
  readonly alarms: ReadonlyMap<string, cloudwatch.Alarm>;
  readonly runStatusRule: events.Rule;
  readonly dashboard?: cloudwatch.CfnDashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const { config, region, key, stateTable, topic, deadLetters, functions, routingTables } = props;
    const stack = Stack.of(this);
    const arnOf = (workflow: WorkflowName) =>
      workflow === 'regional-failover'
        ? stateMachineArnNamed(this, fixedStateMachineName(config, 'regional-failover'))
        : Workflow.stateMachineArnFor(this, workflow);
    const stateMachineArns = WORKFLOW_NAMES.map(arnOf);
    const routingTableArns = routingVoters(config).map((v) =>
      Arn.format(
        { service: 'dynamodb', region: v, resource: 'table', resourceName: routingTables[v] as string },
        stack,
      ),
    );
    const localRoutingTable = Arn.format(
      { service: 'dynamodb', resource: 'table', resourceName: routingTables[region.name] as string },
      stack,
    );

    // The operator's entry point: the global pause, dead letters, the audit trail.
    const replayTargets = {
      functions: EVENT_DRIVEN_FUNCTIONS.map((f) => functions[f].functionArn),
      // The state machines a schedule starts: their EventBridge DLQ messages name them (TARGET_ARN).
      stateMachines: [arnOf('regional-readiness'), arnOf('regional-failover')],
    };
    this.fn = new ControlPlaneFunction(this, 'Function', {
      handlerDir: 'operations',
      description:
        'Operator requests: the global pause (every voter), dead letters (list, replay to this stack), the audit trail',
      logKey: key,
      environment: operationsEnvironment(config, {
        stateTable: stateTable.tableName,
        topicArn: topic.topicArn,
        queueUrl: deadLetters.queueUrl,
        routingTables,
        replayTargets,
      }),
    });
    const allow = (fn: ControlPlaneFunction, actions: string[], resources: string[]) =>
      fn.role.addToPolicy(new iam.PolicyStatement({ actions, resources }));
    // The pause: a consistent read and a conditional write of every voter's copy (AWS-owned key: no KMS).
    allow(this.fn, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], routingTableArns);
    // The audit entries (PutItem) and the audit query (Query) in this region's table.
    stateTable.grant(this.fn.fn, 'dynamodb:PutItem', 'dynamodb:Query');
    key.grant(this.fn.fn, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
    allow(this.fn, ['sns:Publish'], [topic.topicArn]);
    // Peek (receive with visibility 0), delete what was replayed, and make a failed replay visible again.
    allow(
      this.fn,
      ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'],
      [deadLetters.queueArn],
    );
    // Replays: only this stack's targets (the allow-list the function itself checks).
    allow(this.fn, ['lambda:InvokeFunction'], [...replayTargets.functions]);
    allow(this.fn, ['states:StartExecution'], [...replayTargets.stateMachines]);

    const all = { ...functions, operations: this.fn };

    // The sweep (§4, §5): running executions of every workflow, the pause's quorum read and its repair.
    const sweep = functions.reconciler;
    for (const [name, value] of Object.entries(sweepOperationsEnvironment(config, routingTables, arnOf)))
      sweep.fn.addEnvironment(name, value);
    allow(sweep, ['states:ListExecutions'], stateMachineArns);
    allow(sweep, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], routingTableArns);
    // The report Lambda tells root runs from children, and names the workflow of a status event.
    for (const [name, value] of Object.entries(runsEnvironment(config, arnOf)))
      functions.report.fn.addEnvironment(name, value);
    // Every automatic path reads the local copy of the pause before acting (§5).
    for (const reader of ['dispatch', 'failover', 'certs', 'routing'] as const) {
      functions[reader].fn.addEnvironment(ENV.pauseTables, JSON.stringify(routingTables));
      if (reader !== 'routing') allow(functions[reader], ['dynamodb:GetItem'], [localRoutingTable]);
    }

    // Nothing is lost (§2): what an event-driven function failed on, after Lambda's retries, goes to the queue.
    for (const name of EVENT_DRIVEN_FUNCTIONS) sendFailuresTo(all[name].fn, deadLetters, key);

    // Every run ends reported (§3): the status events of this region's state machines to the report Lambda.
    this.runStatusRule = new events.Rule(this, 'RunStatus', {
      ruleName: runStatusRuleName(config),
      description: `Runs of ${config.cluster.name}'s workflows in ${region.name} that ended FAILED, TIMED_OUT or ABORTED, to the report Lambda`,
      eventPattern: runStatusEventPattern(stateMachineArns) as events.EventPattern,
      targets: [new targets.LambdaFunction(functions.report.fn, ruleTargetOptions(deadLetters))],
    });

    // One alarm per failure mode (§1), all to the topic, ALARM and back to OK.
    const notify = new cloudwatchActions.SnsAction(topic);
    const specs = [
      ...allFunctionAlarmSpecs(config, region.name, (fn) => all[fn].fn.functionName),
      ...operationsAlarmSpecs(config, region.name, deadLetterQueueName(config)),
    ];
    const alarms = new Map<string, cloudwatch.Alarm>();
    const prefix = `${config.cluster.name}-${region.name}-`;
    for (const spec of specs) {
      const alarm = alarmOf(this, `Alarm-${spec.name.slice(prefix.length)}`, spec);
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
      alarms.set(spec.name, alarm);
    }
    this.alarms = alarms;

    if (config.operations.dashboard) {
      const spec = dashboardSpec(config, region.name, {
        functionName: (fn) => all[fn].fn.functionName,
        stateMachineArn: arnOf,
        queueName: deadLetterQueueName(config),
      });
      this.dashboard = new cloudwatch.CfnDashboard(this, 'Dashboard', {
        dashboardName: spec.name,
        dashboardBody: stack.toJsonString(
          dashboardBody(spec, {
            account: stack.account,
            partition: stack.partition,
            logGroupName: (fn) => all[fn].logGroup.logGroupName,
          }),
        ),
      });
    }
  }
}

/** A CloudWatch alarm from its spec: a metric alarm, or a metric-math one (`math`). */
function alarmOf(scope: Construct, id: string, spec: OperationsAlarmSpec): cloudwatch.Alarm {
  const period = Duration.seconds(spec.periodSeconds);
  const metric = spec.math
    ? new cloudwatch.MathExpression({
        expression: spec.math.expression,
        period,
        usingMetrics: Object.fromEntries(
          spec.math.metrics.map((m) => [
            m.id,
            new cloudwatch.Metric({
              namespace: m.namespace,
              metricName: m.metricName,
              dimensionsMap: { ...m.dimensions },
              statistic: m.statistic,
              period,
            }),
          ]),
        ),
      })
    : new cloudwatch.Metric({
        namespace: spec.namespace,
        metricName: spec.metricName,
        dimensionsMap: { ...spec.dimensions },
        statistic: spec.statistic,
        period,
      });
  return new cloudwatch.Alarm(scope, id, {
    alarmName: spec.name,
    alarmDescription: `${spec.name}: docs/operations.md says what it means and what to do.`,
    metric,
    threshold: spec.threshold,
    comparisonOperator: spec.comparison as cloudwatch.ComparisonOperator,
    evaluationPeriods: spec.evaluationPeriods,
    datapointsToAlarm: spec.datapointsToAlarm,
    treatMissingData: spec.treatMissingData as cloudwatch.TreatMissingData,
  });
}
