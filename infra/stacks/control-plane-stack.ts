import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { Config, RegionConfig } from '../config/schema';
import { CertRotation, certsFunction } from '../constructs/cert-rotation';
import { CertTriggers } from '../constructs/cert-triggers';
import { ClusterCa } from '../constructs/cluster-ca';
import { ControlPlaneKey } from '../constructs/control-plane-key';
import { NodeLifecycle } from '../constructs/node-lifecycle';
import { PrimaryFailover } from '../constructs/primary-failover';
import { METRIC_NAMESPACE, REGION_SERVING_METRIC, switchAlarmName } from './names';

export interface ControlPlaneStackProps extends StackProps {
  readonly config: Config;
  readonly regionConfig: RegionConfig;
}

/**
 * Everything the control plane needs in one region. Each region's stack can act alone: it references no
 * other region's resources, so losing a region leaves the others' control planes whole.
 */
export class ControlPlaneStack extends Stack {
  readonly key: kms.Key;
  readonly stateTable: dynamodb.TableV2;
  readonly topic: sns.Topic;
  readonly switchAlarm: cloudwatch.Alarm;
  readonly nodeLifecycle: NodeLifecycle;
  readonly primaryFailover: PrimaryFailover;
  readonly clusterCa: ClusterCa;
  readonly certRotation: CertRotation;
  readonly certTriggers: CertTriggers;

  constructor(scope: Construct, id: string, props: ControlPlaneStackProps) {
    super(scope, id, props);
    const { config, regionConfig } = props;

    this.key = new ControlPlaneKey(this, 'Key', {
      description: `${config.cluster.name} control plane: state, notifications and logs`,
      alias: `alias/${config.cluster.name}-control-plane`,
      rotationDays: config.encryption.keyRotationDays,
    }).key;

    this.stateTable = new dynamodb.TableV2(this, 'StateTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(this.key),
      // Audit entries expire; cluster state, locks and node records do not set it.
      timeToLiveAttribute: 'ttl',
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.topic = new sns.Topic(this, 'Notifications', {
      displayName: `${config.cluster.name} control plane (${regionConfig.name})`,
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of config.notifications.emails) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    // The switch a Route 53 CLOUDWATCH_METRIC health check watches: failover flips a data-plane signal
    // (evacuating the region publishes 0 through CloudWatch's regional data plane) rather than calling
    // Route 53's control plane. Missing data keeps the last state so a silent publisher neither evacuates
    // nor restores a region; period 60 s because alarm-based health checks support only standard-resolution
    // metrics (docs/facts.md, Route 53 health checks).
    this.switchAlarm = new cloudwatch.Alarm(this, 'SwitchAlarm', {
      alarmName: switchAlarmName(config, regionConfig.name),
      alarmDescription: `ALARM = ${regionConfig.name} is evacuated: Route 53 stops answering with it.`,
      metric: new cloudwatch.Metric({
        namespace: METRIC_NAMESPACE,
        metricName: REGION_SERVING_METRIC,
        dimensionsMap: { Cluster: config.cluster.name, Region: regionConfig.name },
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MINIMUM,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    });
    // Operators hear about every evacuation and restore, whoever flipped the switch.
    const notify = new cloudwatchActions.SnsAction(this.topic);
    this.switchAlarm.addAlarmAction(notify);
    this.switchAlarm.addOkAction(notify);

    this.clusterCa = new ClusterCa(this, 'ClusterCa', {
      config,
      region: regionConfig,
      key: this.key,
      stateTable: this.stateTable,
    });
    const certs = certsFunction(this, 'Certs', {
      config,
      region: regionConfig,
      key: this.key,
      stateTable: this.stateTable,
    });

    this.nodeLifecycle = new NodeLifecycle(this, 'NodeLifecycle', {
      config,
      region: regionConfig,
      key: this.key,
      stateTable: this.stateTable,
      topic: this.topic,
      certificates: {
        signerFunctionArn: this.clusterCa.signer.functionArn,
        certsFunctionArn: certs.functionArn,
      },
    });

    this.primaryFailover = new PrimaryFailover(this, 'PrimaryFailover', {
      config,
      region: regionConfig,
      key: this.key,
      topic: this.topic,
      lifecycle: this.nodeLifecycle,
    });

    this.certRotation = new CertRotation(this, 'CertRotation', {
      config,
      region: regionConfig,
      key: this.key,
      stateTable: this.stateTable,
      lifecycle: this.nodeLifecycle,
      signerFunctionArn: this.clusterCa.signer.functionArn,
      certs,
    });

    this.certTriggers = new CertTriggers(this, 'CertTriggers', {
      config,
      region: regionConfig,
      stateTable: this.stateTable,
      topic: this.topic,
      key: this.key,
      dispatch: this.nodeLifecycle.dispatch,
      reconciler: this.nodeLifecycle.reconciler,
      watch: this.primaryFailover.watch,
    });
  }
}
