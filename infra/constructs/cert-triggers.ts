import { Duration } from 'aws-cdk-lib';
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
import {
  CERT_ROTATION,
  censusRuleName,
  censusScheduleExpression,
  certAlarmSpec,
  certDispatchEnvironment,
  certSweepEnvironment,
  plannedRestartEnvironment,
} from '../cert-triggers';
import type { Config, RegionConfig } from '../config/schema';
import { METRIC_NAMESPACE } from '../stacks/names';
import { acknowledge } from './acknowledge';
import type { ControlPlaneFunction } from './control-plane-function';
import { ruleTargetOptions } from './dead-letters';
import { nagForm, Workflow, wildcardReason } from './workflow';

export interface CertTriggersProps {
  readonly config: Config;
  readonly region: RegionConfig;
  readonly stateTable: dynamodb.TableV2;
  readonly topic: sns.ITopic;
  /** The control-plane key the state table is encrypted with. */
  readonly key: kms.IKey;
  /** The region's dead-letter queue: every rule target's DLQ (infra/constructs/dead-letters.ts). */
  readonly deadLetters: sqs.IQueue;
  /** Starts cert-rotation on the alarm and the census. */
  readonly dispatch: ControlPlaneFunction;
  /** Publishes `CertificateDaysLeft` each sweep. */
  readonly reconciler: ControlPlaneFunction;
  /** Holds back `PrimaryHealthy` during a planned primary restart. */
  readonly watch: ControlPlaneFunction;
}

/**
 * cert-rotation's automatic triggers (issue 13, item 5) and the watch's knowledge of its planned primary
 * restart (item 4): the certificate-expiry alarm on the reconciler's `CertificateDaysLeft`, routed to
 * dispatch; the daily census schedule to dispatch; and what dispatch, the reconciler and the watch need for
 * them. The workflow is referred to by its fixed name (infra/constructs/cert-rotation.ts creates it).
 */
export class CertTriggers extends Construct {
  readonly certRotationStateMachineArn: string;
  readonly expiryAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: CertTriggersProps) {
    super(scope, id);
    const { config, region, stateTable, topic, key, dispatch, reconciler, watch } = props;
    const arn = Workflow.stateMachineArnFor(this, CERT_ROTATION);
    this.certRotationStateMachineArn = arn;
    const executions = Workflow.executionArnPatternFor(this, CERT_ROTATION);

    for (const [name, value] of Object.entries(certDispatchEnvironment(config, arn))) {
      dispatch.fn.addEnvironment(name, value);
    }
    dispatch.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [arn] }),
    );
    // GetItem: the gate item (PutItem and UpdateItem, for the audit and the gate, are granted already).
    stateTable.grant(dispatch.fn, 'dynamodb:GetItem');

    for (const [name, value] of Object.entries(certSweepEnvironment()))
      reconciler.fn.addEnvironment(name, value);
    // Query: the cluster's node records (their `cert.notAfter`).
    stateTable.grant(reconciler.fn, 'dynamodb:Query');
    reconciler.allowOnAnyResource('PutCertificateMetric', ['cloudwatch:PutMetricData'], {
      StringEquals: { 'cloudwatch:namespace': METRIC_NAMESPACE },
    });

    for (const [name, value] of Object.entries(plannedRestartEnvironment(stateTable.tableName, arn))) {
      watch.fn.addEnvironment(name, value);
    }
    // GetItem: the cluster lease and WATCH#primary-restart; PutItem: WATCH#primary-restart.
    stateTable.grant(watch.fn, 'dynamodb:GetItem', 'dynamodb:PutItem');
    key.grant(watch.fn, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
    watch.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }),
    );
    acknowledge(watch.role, {
      id: `AwsSolutions-IAM5[Resource::${nagForm(executions)}]`,
      reason: wildcardReason(executions, 'states:DescribeExecution'),
    });

    const spec = certAlarmSpec(config, region.name);
    this.expiryAlarm = new cloudwatch.Alarm(this, 'CertificateExpiry', {
      alarmName: spec.name,
      alarmDescription: `ALARM = a node certificate in ${region.name} has fewer than ${spec.threshold} days left: dispatch starts cert-rotation.`,
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
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // The operator hears of it even while automation is paused (dispatch then starts nothing).
    this.expiryAlarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
    // Routed to dispatch by the primary alarm's rule (PrimaryFailover, primaryAlarmEventPattern).
    // Named, so dispatch can tell the census from any other scheduled event.
    new events.Rule(this, 'Census', {
      ruleName: censusRuleName(config),
      description: `Daily certificate census at ${config.certificates.censusHourUtc}:00 UTC: a cert-rotation run renews every node due`,
      schedule: events.Schedule.expression(censusScheduleExpression(config)),
      targets: [new targets.LambdaFunction(dispatch.fn, ruleTargetOptions(props.deadLetters))],
    });
  }
}
