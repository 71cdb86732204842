import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import {
  CERT_DOCUMENT_KINDS,
  CERT_ROTATION,
  type CertWorkflow,
  certRotationSubstitutions,
  certsEnvironment,
} from '../cert-rotation';
import type { Config, RegionConfig } from '../config/schema';
import { type DocumentKind, documentName } from '../ssm-documents';
import { ControlPlaneFunction } from './control-plane-function';
import type { NodeLifecycle } from './node-lifecycle';
import { mergeResources, syncChildResources, Workflow } from './workflow';

export interface CertRotationProps {
  readonly config: Config;
  readonly region: RegionConfig;
  readonly key: kms.IKey;
  readonly stateTable: dynamodb.TableV2;
  /** Supplies the lease and report Lambdas, node-command and the SSM documents. */
  readonly lifecycle: NodeLifecycle;
  /** The signer Lambda (ClusterCa): `issue`, `ca` and `caPhase`. */
  readonly signerFunctionArn: string;
  /** The certs Lambda ({@link certsFunction}), made before NodeLifecycle: node-bootstrap records with it too. */
  readonly certs: ControlPlaneFunction;
}

/**
 * The certs Lambda: plans rotations (reads the groups, EC2, the ALB and the node records) and writes one
 * attribute, the node's `cert`.
 */
export function certsFunction(
  scope: Construct,
  id: string,
  props: Pick<CertRotationProps, 'config' | 'region' | 'key' | 'stateTable'>,
): ControlPlaneFunction {
  const certs = new ControlPlaneFunction(scope, id, {
    handlerDir: 'certs',
    description:
      "Plans cert-rotation runs (census, order, peers, floor), checks a node's served certificate and records it",
    logKey: props.key,
    environment: certsEnvironment(props.config, props.region, props.stateTable.tableName),
  });
  // Node records (BatchGetItem), the PKI item (GetItem), and the node's `cert` attribute (UpdateItem).
  props.stateTable.grant(certs.fn, 'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem');
  certs.allowOnAnyResource('Observe', [
    'autoscaling:DescribeAutoScalingGroups',
    'ec2:DescribeInstances',
    'elasticloadbalancing:DescribeTargetHealth',
  ]);
  return certs;
}

/**
 * Certificate rotation: the certs Lambda (plan, floor, verify, record), the cert-rotation parent and its
 * per-node child. Each role gets exactly the calls it makes: the certs Lambda reads the groups, EC2, the
 * ALB and the node records and writes one attribute; the child deregisters and registers its node in the
 * cluster's target group, runs the project's documents through node-command, and invokes the certs, signer
 * and lease Lambdas; the parent invokes certs, signer, lease and report and starts the child.
 */
export class CertRotation extends Construct {
  readonly certs: ControlPlaneFunction;
  readonly workflow: Workflow;
  readonly nodePhase: Workflow;

  constructor(scope: Construct, id: string, props: CertRotationProps) {
    super(scope, id);
    const { config, region, key, lifecycle } = props;
    const targetGroupArn = region.targetGroupArns[0] as string;

    this.certs = props.certs;

    const doc = (kind: string) => documentName(config.cluster.name, kind as DocumentKind);
    const substitutions = certRotationSubstitutions({
      clusterName: config.cluster.name,
      region: region.name,
      certsFunctionArn: this.certs.functionArn,
      signerFunctionArn: props.signerFunctionArn,
      leaseFunctionArn: lifecycle.lease.functionArn,
      reportFunctionArn: lifecycle.report.functionArn,
      nodeCommandStateMachineArn: lifecycle.nodeCommand.stateMachine.stateMachineArn,
      stateMachineArn: (name) => Workflow.stateMachineArnFor(this, name),
      targetGroupArn,
      keySize: config.certificates.keySize,
      documents: {
        stop: lifecycle.documents.names.stopArtifactory,
        start: lifecycle.documents.names.startArtifactory,
        probe: lifecycle.documents.names.probeReadiness,
        makeCsr: doc(CERT_DOCUMENT_KINDS.makeCsr),
        installCertificate: doc(CERT_DOCUMENT_KINDS.installCertificate),
        rollbackCertificate: doc(CERT_DOCUMENT_KINDS.rollbackCertificate),
        probeServedCertificate: doc(CERT_DOCUMENT_KINDS.probeServedCertificate),
      },
    });
    const workflow = (id: string, name: CertWorkflow, resources: Record<string, readonly string[]>) =>
      new Workflow(this, id, { name, logKey: key, substitutions: substitutions[name], resources });

    this.nodePhase = workflow('Node', 'cert-rotation-node', {
      'lambda:InvokeFunction': [this.certs.functionArn, props.signerFunctionArn, lifecycle.lease.functionArn],
      // Its own node only, in the cluster's target group.
      'elasticloadbalancing:RegisterTargets': [targetGroupArn],
      'elasticloadbalancing:DeregisterTargets': [targetGroupArn],
      'elasticloadbalancing:DescribeTargetHealth': ['*'],
      ...lifecycle.nodeCommandChild,
    });
    this.workflow = workflow(
      'Workflow',
      CERT_ROTATION,
      mergeResources(
        {
          'lambda:InvokeFunction': [
            this.certs.functionArn,
            props.signerFunctionArn,
            lifecycle.lease.functionArn,
            lifecycle.report.functionArn,
          ],
        },
        syncChildResources(this, ['cert-rotation-node']),
        // The census's probe: ProbeServedCertificate from one peer over the cluster's nodes.
        lifecycle.nodeCommandChild,
      ),
    );
  }
}
