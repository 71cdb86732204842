import { Arn, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Config, RegionConfig } from '../config/schema';
import { CLUSTER_TAG_KEY } from '../node-lifecycle';
import {
  ESCALATION_METRIC,
  escalationAlarmName,
  type FailoverWorkflow,
  failoverSubstitutions,
  PRIMARY_FAILOVER,
  primaryAlarmEventPattern,
  primaryAlarmSpec,
  WATCH_MINUTES,
  watchEnvironment,
} from '../primary-failover';
import { METRIC_NAMESPACE } from '../stacks/names';
import { ControlPlaneFunction } from './control-plane-function';
import { ruleTargetOptions } from './dead-letters';
import type { NodeLifecycle } from './node-lifecycle';
import { mergeResources, syncChildResources, Workflow } from './workflow';

/**
 * The metric the report Lambda emits for a primary-failover run that ended `failed` (functions/core/report.ts
 * names it from workflow and outcome, as it names {@link ESCALATION_METRIC} from `escalated`).
 */
export const FAILOVER_FAILED_METRIC = 'PrimaryFailoverFailed';

export interface PrimaryFailoverProps {
  readonly config: Config;
  readonly region: RegionConfig;
  readonly key: kms.IKey;
  readonly topic: sns.ITopic;
  /** Supplies the failover, lease, report and dispatch Lambdas, node-command and the SSM documents. */
  readonly lifecycle: NodeLifecycle;
  /** The region's dead-letter queue: every rule target's DLQ (infra/constructs/dead-letters.ts). */
  readonly deadLetters: sqs.IQueue;
}

/**
 * Primary re-election and recovery: the primary-failover workflow and its phases, the watch that publishes
 * `PrimaryHealthy` every minute, the primary-unhealthy alarm on it and the rule that routes the alarm to
 * dispatch, and an alarm for runs that need an operator (escalated or failed). The other triggers (node-drain's
 * handover, the reconciler's census) and the failover Lambda live in {@link NodeLifecycle}, which refers to the
 * workflow by its fixed name.
 */
export class PrimaryFailover extends Construct {
  readonly workflow: Workflow;
  /** The phase children, by workflow name. */
  readonly phases: Readonly<Record<string, Workflow>>;
  readonly watch: ControlPlaneFunction;
  readonly primaryAlarm: cloudwatch.Alarm;
  readonly escalationAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: PrimaryFailoverProps) {
    super(scope, id);
    const { config, region, key, topic, lifecycle } = props;
    const [primaryGroupArn, memberGroupArn] = lifecycle.groupArns;
    const notify = new cloudwatchActions.SnsAction(topic);

    const substitutions = failoverSubstitutions({
      failoverFunctionArn: lifecycle.failover.functionArn,
      leaseFunctionArn: lifecycle.lease.functionArn,
      reportFunctionArn: lifecycle.report.functionArn,
      nodeCommandStateMachineArn: lifecycle.nodeCommand.stateMachine.stateMachineArn,
      stateMachineArn: (name) => Workflow.stateMachineArnFor(this, name),
      primaryAsgName: region.primaryAsgName,
      memberAsgName: region.memberAsgName,
      documents: {
        probe: lifecycle.documents.names.probeReadiness,
        stop: lifecycle.documents.names.stopArtifactory,
        setPrimaryRole: lifecycle.documents.names.setPrimaryRole,
      },
    });
    const phase = (
      id: string,
      name: FailoverWorkflow,
      resources: Record<string, readonly string[]>,
      conditions?: Record<string, Record<string, unknown>>,
    ) =>
      new Workflow(this, id, {
        name,
        logKey: key,
        substitutions: substitutions[name],
        resources,
        ...(conditions ? { conditions } : {}),
      });
    const instanceArn = Arn.format(
      { service: 'ec2', resource: 'instance', resourceName: '*' },
      Stack.of(this),
    );
    // Each phase gets exactly the calls it makes: confirmation only reads; stopping the old primary marks it
    // unhealthy in whichever group holds it; a candidate attempt detaches from the member group only; the
    // quarantine demotes through node-command or stops at the hypervisor; the group move changes the primary
    // group only.
    this.phases = Object.fromEntries(
      [
        phase('Confirm', 'primary-failover-confirm', {
          'lambda:InvokeFunction': [lifecycle.failover.functionArn],
          ...lifecycle.nodeCommandChild,
        }),
        phase(
          'StopOld',
          'primary-failover-stop-old',
          {
            'autoscaling:SetInstanceHealth': [primaryGroupArn, memberGroupArn],
            // Fencing at the hypervisor: only the cluster's own instances (by their propagated tag).
            'ec2:StopInstances': [instanceArn],
            'ec2:DescribeInstances': ['*'],
            ...lifecycle.nodeCommandChild,
          },
          {
            'ec2:StopInstances': {
              StringEquals: { [`aws:ResourceTag/${CLUSTER_TAG_KEY}`]: config.cluster.name },
            },
          },
        ),
        phase(
          'Quarantine',
          'primary-failover-quarantine',
          {
            'lambda:InvokeFunction': [lifecycle.failover.functionArn],
            // A failed or superseded candidate whose demotion cannot be confirmed: the cluster's instances only.
            'ec2:StopInstances': [instanceArn],
            'ec2:DescribeInstances': ['*'],
            // Whether the node's SSM agent is connected (no resource-level permissions).
            'ssm:DescribeInstanceInformation': ['*'],
            ...lifecycle.nodeCommandChild,
          },
          {
            'ec2:StopInstances': {
              StringEquals: { [`aws:ResourceTag/${CLUSTER_TAG_KEY}`]: config.cluster.name },
            },
          },
        ),
        phase('Candidate', 'primary-failover-candidate', {
          // The fence assertion, and the join lock around the promotion's restart.
          'lambda:InvokeFunction': [lifecycle.failover.functionArn, lifecycle.lease.functionArn],
          'autoscaling:DetachInstances': [memberGroupArn],
          ...lifecycle.nodeCommandChild,
        }),
        // A demotion restarts the extra primary as a member under the join lock.
        phase('Demote', 'primary-failover-demote', {
          'lambda:InvokeFunction': [lifecycle.lease.functionArn],
          // Whether the extra primary is leaving meanwhile (read-only: IAM cannot scope these two).
          'ec2:DescribeInstances': ['*'],
          'autoscaling:DescribeAutoScalingInstances': ['*'],
          ...lifecycle.nodeCommandChild,
        }),
        phase('GroupMove', 'primary-failover-group-move', {
          'autoscaling:UpdateAutoScalingGroup': [primaryGroupArn],
          'autoscaling:ResumeProcesses': [primaryGroupArn],
          'autoscaling:AttachInstances': [primaryGroupArn],
          'autoscaling:DescribeAutoScalingInstances': ['*'],
        }),
      ].map((w) => [w.name, w]),
    );

    this.workflow = new Workflow(this, 'Workflow', {
      name: PRIMARY_FAILOVER,
      logKey: key,
      substitutions: substitutions[PRIMARY_FAILOVER],
      resources: mergeResources(
        {
          'lambda:InvokeFunction': [
            lifecycle.failover.functionArn,
            lifecycle.lease.functionArn,
            lifecycle.report.functionArn,
          ],
          // Launch is suspended and resumed and the minimum restored on the primary group; cloud-native runs
          // suspend and resume HealthCheck on the member group around in-place restarts.
          'autoscaling:SuspendProcesses': [primaryGroupArn, memberGroupArn],
          'autoscaling:ResumeProcesses': [primaryGroupArn, memberGroupArn],
          'autoscaling:UpdateAutoScalingGroup': [primaryGroupArn],
        },
        // The parent runs no node command itself: its phases do.
        syncChildResources(this, Object.keys(this.phases)),
      ),
    });

    // The workflow must be the one NodeLifecycle refers to by ARN (node-drain, dispatch, the reconciler).
    if (this.workflow.stateMachineArnByName !== lifecycle.failoverStateMachineArn) {
      throw new Error(`${this.workflow.stateMachineName} is not the workflow NodeLifecycle starts`);
    }

    this.watch = new ControlPlaneFunction(this, 'Watch', {
      handlerDir: 'watch',
      description:
        'Publishes PrimaryHealthy every minute: the primary group instance is InService and healthy behind the ALB',
      logKey: key,
      environment: watchEnvironment(config, region),
    });
    this.watch.allowOnAnyResource('Observe', [
      'autoscaling:DescribeAutoScalingGroups',
      'elasticloadbalancing:DescribeTargetHealth',
    ]);
    // PrimaryHealthy is an embedded-metric-format log line (functions/watch/emf.ts): no PutMetricData.
    // A reading older than its own period is superseded by the next one: retry briefly, then drop it.
    new events.Rule(this, 'WatchSchedule', {
      description: `Primary watch for ${region.primaryAsgName}: PrimaryHealthy every ${WATCH_MINUTES} minute(s)`,
      schedule: events.Schedule.rate(Duration.minutes(WATCH_MINUTES)),
      targets: [
        new targets.LambdaFunction(
          this.watch.fn,
          ruleTargetOptions(props.deadLetters, Duration.minutes(WATCH_MINUTES)),
        ),
      ],
    });

    const spec = primaryAlarmSpec(config, region.name);
    this.primaryAlarm = new cloudwatch.Alarm(this, 'PrimaryUnhealthy', {
      alarmName: spec.name,
      alarmDescription: `ALARM = no healthy primary behind the ALB in ${region.name} for ${spec.evaluationPeriods} minutes: dispatch starts primary-failover.`,
      metric: new cloudwatch.Metric({
        namespace: spec.namespace,
        metricName: spec.metricName,
        dimensionsMap: spec.dimensions,
        period: Duration.seconds(spec.periodSeconds),
        statistic: spec.statistic,
      }),
      threshold: spec.threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: spec.evaluationPeriods,
      datapointsToAlarm: spec.datapointsToAlarm,
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    });
    // EventBridge starts the recovery; the topic tells the operator it is needed even if that path is broken.
    this.primaryAlarm.addAlarmAction(notify);

    // A late delivery is harmless: the workflow confirms on the nodes before acting, and the execution name
    // (from the alarm's state-change time) makes a redelivery a duplicate.
    new events.Rule(this, 'PrimaryAlarmEvents', {
      description: `${spec.name} and the certificate-expiry alarm going into ALARM to the control plane`,
      eventPattern: primaryAlarmEventPattern(config, region.name) as events.EventPattern,
      targets: [new targets.LambdaFunction(lifecycle.dispatch.fn, ruleTargetOptions(props.deadLetters))],
    });

    // The report Lambda's outcome metrics, exactly as Powertools emits them: its namespace, and the
    // `service` default dimension plus the `Workflow` dimension it adds.
    const outcome = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        dimensionsMap: { service: lifecycle.report.serviceName, Workflow: PRIMARY_FAILOVER },
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.SUM,
      });
    // A run that escalated (no candidate could be promoted) or failed (e.g. the promoted primary could not be
    // moved into the primary group) needs an operator; runs that change nothing do not.
    this.escalationAlarm = new cloudwatch.Alarm(this, 'Escalated', {
      alarmName: escalationAlarmName(config, region.name),
      alarmDescription: `ALARM = a primary-failover run in ${region.name} escalated or failed and needs an operator; see the notification and the run's audit entry.`,
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(escalated, 0) + FILL(failed, 0)',
        usingMetrics: { escalated: outcome(ESCALATION_METRIC), failed: outcome(FAILOVER_FAILED_METRIC) },
        label: 'primary-failover runs needing an operator',
        period: Duration.minutes(5),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.escalationAlarm.addAlarmAction(notify);
  }
}
