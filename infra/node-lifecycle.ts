/**
 * The node-lifecycle deployment in one description, used by the CDK stack and by the twin's deployment
 * alike, so what is rehearsed on the twin is what is deployed: hook settings, the event pattern that routes
 * lifecycle actions to dispatch, the reconciler's schedule, and each workflow's definition substitutions.
 */
import { TERMINAL_STATUSES } from '../functions/core/command';
import { KEY_FORMATS } from '../functions/core/keys';
import { HOOK_NAMES } from '../functions/core/lifecycle';
import { DetailTypes, Sources } from '../functions/shared/event-envelope';
import type { Config, RegionConfig } from './config/schema';
import { DOCUMENT_KINDS, documentName } from './ssm-documents';
import { stateMachineArnPlaceholder, substitutionsFor } from './workflow-definitions';

/**
 * Launch hook: ABANDON by default, so a node the control plane never vouched for is terminated and replaced
 * rather than left serving unconfigured. Terminate hook: CONTINUE by default (both results terminate; CONTINUE
 * lets any other hooks run). 900 s heartbeat: node-bootstrap and node-drain heartbeat at least every 20 s
 * while they wait, so 900 s only expires when the workflow is gone; the sweep restarts a lost workflow every
 * 5 minutes, well inside it. Global timeout = min(48 h, 100 x 900 s) = 25 h.
 */
export const HOOKS = [
  {
    name: HOOK_NAMES.launch,
    transition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
    heartbeatTimeoutSeconds: 900,
    defaultResult: 'ABANDON',
  },
  {
    name: HOOK_NAMES.terminate,
    transition: 'autoscaling:EC2_INSTANCE_TERMINATING',
    heartbeatTimeoutSeconds: 900,
    defaultResult: 'CONTINUE',
  },
] as const;

/**
 * The tag every instance of the cluster's two groups carries (the groups propagate it at launch), with the
 * cluster's name as its value: IAM conditions on it keep the control plane's actions on instances (stopping
 * one at the hypervisor, running a command on it) to the cluster's own instances.
 */
export const CLUSTER_TAG_KEY = 'artifactory-ha:cluster';

/** The reconciler's sweep interval. */
export const SWEEP_MINUTES = 5;

/** EventBridge pattern: lifecycle actions of this region's two groups only. */
export function lifecycleEventPattern(region: RegionConfig) {
  return {
    source: ['aws.autoscaling'],
    'detail-type': ['EC2 Instance-launch Lifecycle Action', 'EC2 Instance-terminate Lifecycle Action'],
    detail: { AutoScalingGroupName: [region.primaryAsgName, region.memberAsgName] },
  };
}

/**
 * EventBridge pattern: SSM's invocation status changes that end one of the cluster's own documents in this
 * region, routed to the command function, which completes node-command's wait. Non-terminal statuses are
 * not delivered (nothing waits on them).
 */
export function commandStatusEventPattern(config: Config, region: RegionConfig) {
  return {
    source: [Sources.ssm],
    'detail-type': [DetailTypes.commandInvocationStatusChange],
    region: [region.name],
    detail: {
      'document-name': DOCUMENT_KINDS.map((kind) => documentName(config.cluster.name, kind)),
      status: [...TERMINAL_STATUSES],
    },
  };
}

/** Secrets Manager names of the cluster's master and join keys (read on the nodes, never by a workflow). */
export function keySecretNames(config: Config): { masterKey: string; joinKey: string } {
  return { masterKey: `${config.cluster.name}/master-key`, joinKey: `${config.cluster.name}/join-key` };
}

/** The node-lifecycle workflows: the two parents, their waiting phases, and node-command. */
export const NODE_WORKFLOWS = [
  'node-bootstrap',
  'node-bootstrap-await-ssm',
  'node-bootstrap-await-ready',
  'node-drain',
  'node-drain-await-drained',
] as const;
export type NodeWorkflow = (typeof NODE_WORKFLOWS)[number];

export interface NodeLifecycleRefs {
  readonly leaseFunctionArn: string;
  readonly reportFunctionArn: string;
  readonly nodeCommandStateMachineArn: string;
  /** Each workflow's ARN, known before it is created (parents start their phases). */
  readonly stateMachineArn: (name: NodeWorkflow) => string;
  readonly targetGroupArn: string;
  readonly stateTableName: string;
  readonly documents: {
    readonly configure: string;
    readonly start: string;
    readonly stop: string;
    readonly probe: string;
  };
  readonly masterKeySecretId: string;
  readonly joinKeySecretId: string;
  /** node-bootstrap claims the primary role through it; node-drain starts the planned handover. */
  readonly failoverFunctionArn: string;
  readonly failoverStateMachineArn: string;
  /** node-bootstrap issues the node's first certificate (signer) and records it (certs). */
  readonly signerFunctionArn: string;
  readonly certsFunctionArn: string;
  /** `certificates.keySize`: the RSA key the node makes. */
  readonly keySize: number;
}

/** Each node-lifecycle workflow's definition substitutions, exactly the placeholders its file uses. */
export function nodeLifecycleSubstitutions(
  r: NodeLifecycleRefs,
): Record<NodeWorkflow, Record<string, string>> {
  const available: Record<string, string> = {
    LeaseFunctionArn: r.leaseFunctionArn,
    ReportFunctionArn: r.reportFunctionArn,
    NodeCommandStateMachineArn: r.nodeCommandStateMachineArn,
    ConfigureDocument: r.documents.configure,
    StartDocument: r.documents.start,
    StopDocument: r.documents.stop,
    ProbeDocument: r.documents.probe,
    TargetGroupArn: r.targetGroupArn,
    StateTableName: r.stateTableName,
    MasterKeySecretId: r.masterKeySecretId,
    JoinKeySecretId: r.joinKeySecretId,
    FailoverFunctionArn: r.failoverFunctionArn,
    SignerFunctionArn: r.signerFunctionArn,
    CertsFunctionArn: r.certsFunctionArn,
    KeySize: String(r.keySize),
    [stateMachineArnPlaceholder('primary-failover')]: r.failoverStateMachineArn,
    // The workflows write node items with States.Format over the state table's own key templates.
    ClusterKeyFormat: KEY_FORMATS.clusterPk,
    NodeKeyFormat: KEY_FORMATS.nodeSk,
  };
  for (const name of NODE_WORKFLOWS) available[stateMachineArnPlaceholder(name)] = r.stateMachineArn(name);
  return Object.fromEntries(
    NODE_WORKFLOWS.map((name) => [name, substitutionsFor(name, available)]),
  ) as Record<NodeWorkflow, Record<string, string>>;
}

/** node-command's definition substitutions: the command function its wait Task invokes with a task token. */
export function nodeCommandSubstitutions(commandFunctionArn: string): Record<string, string> {
  return substitutionsFor('node-command', { CommandFunctionArn: commandFunctionArn });
}
