import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { Config, RegionConfig } from '../config/schema';
import { CertRotation, certsFunction } from '../constructs/cert-rotation';
import { CertTriggers } from '../constructs/cert-triggers';
import { ClusterCa } from '../constructs/cluster-ca';
import { ControlPlaneKey } from '../constructs/control-plane-key';
import { DeadLetterQueue } from '../constructs/dead-letters';
import { NodeLifecycle } from '../constructs/node-lifecycle';
import { Operations } from '../constructs/operations';
import { PrimaryFailover } from '../constructs/primary-failover';
import { RegionalFailover } from '../constructs/regional-failover';
import { copyKey, RegionalRouting } from '../constructs/regional-routing';
import { CONTROL_PLANE_OUTPUTS, routingTableName, routingVoters } from './names';

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
  readonly deadLetters: sqs.Queue;
  readonly switchAlarm: cloudwatch.Alarm;
  readonly nodeLifecycle: NodeLifecycle;
  readonly primaryFailover: PrimaryFailover;
  readonly clusterCa: ClusterCa;
  readonly certRotation: CertRotation;
  readonly certTriggers: CertTriggers;
  readonly routing: RegionalRouting;
  readonly regionalFailover: RegionalFailover;
  readonly operations: Operations;

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
    // Every rule target's DLQ and the event-driven functions' on-failure destination (issue 15 §2).
    this.deadLetters = new DeadLetterQueue(this, 'DeadLetters', { config, key: this.key }).queue;
    const deadLetters = this.deadLetters;

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
      deadLetters,
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
      deadLetters,
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
      deadLetters,
      config,
      region: regionConfig,
      stateTable: this.stateTable,
      topic: this.topic,
      key: this.key,
      dispatch: this.nodeLifecycle.dispatch,
      reconciler: this.nodeLifecycle.reconciler,
      watch: this.primaryFailover.watch,
    });

    // The switch a Route 53 CLOUDWATCH_METRIC health check watches, copied here for every region (a region's
    // evacuation flips a data-plane signal in the regions that are up: infra/regional-routing.ts), the routing
    // table, the region's degraded alarm (dispatch evacuates on it) and its readiness alarm.
    this.routing = new RegionalRouting(this, 'RegionalRouting', {
      deadLetters,
      config,
      region: regionConfig,
      topic: this.topic,
      dispatch: this.nodeLifecycle.dispatch,
    });
    this.switchAlarm = this.routing.switchCopies.get(
      copyKey('serving', regionConfig.name),
    ) as cloudwatch.Alarm;

    // The routing Lambda and the regional-failover workflows; the routing table has the same name in every
    // voter region (names.ts routingTableName).
    this.regionalFailover = new RegionalFailover(this, 'RegionalFailover', {
      deadLetters,
      config,
      region: regionConfig,
      key: this.key,
      topic: this.topic,
      stateTable: this.stateTable,
      routingTables: Object.fromEntries(routingVoters(config).map((v) => [v, routingTableName(config)])),
      lifecycle: this.nodeLifecycle,
    });

    // The control plane watching itself (issue 15): alarms, the run-status rule, dead letters, the pause, the
    // dashboard.
    this.operations = new Operations(this, 'Operations', {
      config,
      region: regionConfig,
      key: this.key,
      stateTable: this.stateTable,
      topic: this.topic,
      deadLetters,
      routingTables: Object.fromEntries(routingVoters(config).map((v) => [v, routingTableName(config)])),
      functions: {
        dispatch: this.nodeLifecycle.dispatch,
        reconciler: this.nodeLifecycle.reconciler,
        lease: this.nodeLifecycle.lease,
        report: this.nodeLifecycle.report,
        failover: this.nodeLifecycle.failover,
        watch: this.primaryFailover.watch,
        command: this.nodeLifecycle.commandWait.fn,
        signer: this.clusterCa.signer,
        certs,
        routing: this.regionalFailover.routing,
      },
    });

    // What hactl (cli/) reads with DescribeStacks to find this region's resources (names.ts CONTROL_PLANE_OUTPUTS).
    const outputs: Record<keyof typeof CONTROL_PLANE_OUTPUTS, [string, string]> = {
      stateTable: [this.stateTable.tableName, 'The state table (cluster state, locks, nodes, audit)'],
      operationsFunction: [
        this.operations.fn.fn.functionName,
        'The operations Lambda (pause, dead letters, audit)',
      ],
      topicArn: [this.topic.topicArn, 'The notifications topic'],
      routingTable: [
        this.routing.table.tableName,
        "The region's copy of the routing table (switches, pause)",
      ],
    };
    for (const [key, [value, description]] of Object.entries(outputs) as [
      keyof typeof CONTROL_PLANE_OUTPUTS,
      [string, string],
    ][])
      new CfnOutput(this, CONTROL_PLANE_OUTPUTS[key], { value, description });
  }
}
