import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Config, RegionConfig } from '../config/schema';
import {
  albMetricDimensions,
  degradedAlarmEventPattern,
  type MetricAlarmSpec,
  readinessAlarmSpec,
  regionalDispatchEnvironment,
  regionalDispatchSettings,
  regionDegradedAlarmSpec,
  type SwitchKind,
  switchCopiesIn,
} from '../regional-routing';
import { routingTableName } from '../stacks/names';
import { acknowledge } from './acknowledge';
import type { ControlPlaneFunction } from './control-plane-function';
import { ruleTargetOptions } from './dead-letters';

/** A metric alarm from its spec (the twin builds the same one from the same spec). */
export function alarmFromSpec(scope: Construct, id: string, spec: MetricAlarmSpec, description: string) {
  return new cloudwatch.Alarm(scope, id, {
    alarmName: spec.name,
    alarmDescription: description,
    metric: new cloudwatch.Metric({
      namespace: spec.namespace,
      metricName: spec.metricName,
      dimensionsMap: { ...spec.dimensions },
      period: Duration.seconds(spec.periodSeconds),
      statistic: spec.statistic,
    }),
    threshold: spec.threshold,
    comparisonOperator: spec.comparison as cloudwatch.ComparisonOperator,
    evaluationPeriods: spec.evaluationPeriods,
    datapointsToAlarm: spec.datapointsToAlarm,
    treatMissingData: spec.treatMissingData as cloudwatch.TreatMissingData,
  });
}

/**
 * The routing table: pk/sk strings, the same name in every voter region (each region's control plane addresses
 * every copy by ARN). Encrypted with DynamoDB's AWS-owned key: the routing Lambdas of every region write every
 * copy, and an AWS-owned key needs no cross-region KMS grant (a customer-managed key is regional: each writer
 * would need a grant on every voter's key, and a lost key would lock the quorum out). It holds no secret: the
 * lease holder's execution ARN, epochs, switch states, readiness results. PITR and deletion protection: it is
 * the fencing state of regional failover.
 */
export function routingTable(scope: Construct, id: string, config: Config): dynamodb.TableV2 {
  return new dynamodb.TableV2(scope, id, {
    tableName: routingTableName(config),
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    billing: dynamodb.Billing.onDemand(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryptionV2.dynamoOwnedKey(),
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}

export interface RegionalRoutingProps {
  readonly config: Config;
  readonly region: RegionConfig;
  readonly topic: sns.ITopic;
  /** Receives the degraded alarm's changes (functions/dispatch/regional.ts). */
  readonly dispatch: ControlPlaneFunction;
  /** The region's dead-letter queue: every rule target's DLQ (infra/constructs/dead-letters.ts). */
  readonly deadLetters: sqs.IQueue;
}

/**
 * A region's share of the routing machinery (infra/regional-routing.ts): the switch alarm copies of EVERY
 * configured region (and the canary's), the routing table, the region's degraded alarm routed to dispatch, and
 * the readiness alarm. dispatch may start regional-failover in the peer regions (fixed names).
 */
export class RegionalRouting extends Construct {
  /** The copies in this region, by kind and switched region. */
  readonly switchCopies: ReadonlyMap<string, cloudwatch.Alarm>;
  readonly table: dynamodb.TableV2;
  readonly degradedAlarm: cloudwatch.Alarm;
  readonly readinessAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: RegionalRoutingProps) {
    super(scope, id);
    const { config, region, topic, dispatch } = props;
    const notify = new cloudwatchActions.SnsAction(topic);

    const copies = new Map<string, cloudwatch.Alarm>();
    for (const copy of switchCopiesIn(config, region.name)) {
      const what =
        copy.kind === 'serving' ? 'Route 53 stops answering with it' : 'the canary record drops it';
      const alarmId =
        copy.kind === 'serving' && copy.switched === region.name
          ? 'SwitchAlarm'
          : `${copy.kind === 'canary' ? 'Canary' : ''}Switch${copy.switched.replace(/-/g, '')}`;
      // The stack's own switch keeps its place in the stack (its logical id), so upgrading never replaces it.
      const own = copy.kind === 'serving' && copy.switched === region.name;
      const alarm = alarmFromSpec(
        own ? Stack.of(this) : this,
        alarmId,
        copy.alarm,
        `ALARM = ${copy.switched} is evacuated (${copy.kind}; copy in ${region.name}): ${what}.`,
      );
      // Operators hear about every flip of this region's own switch, whoever flipped it.
      if (own) {
        alarm.addAlarmAction(notify);
        alarm.addOkAction(notify);
      } else {
        acknowledge(alarm, {
          id: 'cdk-validator-cfnguard::cloudwatch_alarm_action_check',
          reason: `A switch copy acts through the Route 53 health check that watches it, not through an alarm action; the flip of ${copy.switched} is notified once, by its copy in ${copy.switched} and by the regional-failover run's report, not once per copy region.`,
        });
      }
      copies.set(copyKey(copy.kind, copy.switched), alarm);
    }
    this.switchCopies = copies;

    this.table = routingTable(this, 'Table', config);

    const degraded = regionDegradedAlarmSpec(config, region.name, albMetricDimensions(region));
    const usingMetrics: Record<string, cloudwatch.IMetric> = {};
    for (const m of degraded.metrics) {
      usingMetrics[m.id] = new cloudwatch.Metric({
        namespace: m.namespace,
        metricName: m.metricName,
        dimensionsMap: { ...m.dimensions },
        period: Duration.seconds(degraded.periodSeconds),
        statistic: m.statistic,
      });
    }
    this.degradedAlarm = new cloudwatch.Alarm(this, 'Degraded', {
      alarmName: degraded.name,
      alarmDescription: `ALARM = ${region.name} has had no healthy target or more than ${degraded.max5xxPercent}% 5xx for ${degraded.evaluationPeriods} minutes (or its ALB metrics stopped): dispatch starts regional-failover to evacuate it.`,
      metric: new cloudwatch.MathExpression({
        expression: degraded.expression,
        usingMetrics,
        label: `${region.name} degraded (1) or not (0)`,
        period: Duration.seconds(degraded.periodSeconds),
      }),
      threshold: degraded.threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: degraded.evaluationPeriods,
      datapointsToAlarm: degraded.datapointsToAlarm,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.degradedAlarm.addAlarmAction(notify);
    this.degradedAlarm.addOkAction(notify);

    const readiness = readinessAlarmSpec(config, region.name);
    this.readinessAlarm = alarmFromSpec(
      this,
      'NotReady',
      readiness,
      `ALARM = ${region.name} could not take over another region's traffic (two readiness evaluations not ready or missing); see READINESS#${region.name} in the routing table.`,
    );
    this.readinessAlarm.addAlarmAction(notify);
    this.readinessAlarm.addOkAction(notify);

    // dispatch evacuates (ALARM) and restores (OK, automaticRestore) this region through a peer's workflow.
    const { account, partition } = Stack.of(this);
    for (const [name, value] of Object.entries(
      regionalDispatchEnvironment(config, region.name, account, partition),
    )) {
      dispatch.fn.addEnvironment(name, value);
    }
    const peers = regionalDispatchSettings(config, region.name, account, partition).peers;
    if (peers.length > 0) {
      dispatch.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['states:StartExecution'],
          resources: peers.map((p) => p.stateMachineArn),
        }),
      );
    }
    new events.Rule(this, 'DegradedAlarmEvents', {
      description: `${degraded.name} going into ALARM or OK to the control plane (automatic evacuation and restore)`,
      eventPattern: degradedAlarmEventPattern(config, region.name) as events.EventPattern,
      targets: [new targets.LambdaFunction(dispatch.fn, ruleTargetOptions(props.deadLetters))],
    });
  }
}

/** The key of {@link RegionalRouting.switchCopies}. */
export const copyKey = (kind: SwitchKind, switched: string): string => `${kind}:${switched}`;
