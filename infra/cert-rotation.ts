/**
 * The cert-rotation deployment in one description, used by the CDK stack and the twin's deployment alike (as
 * infra/primary-failover.ts is for primary-failover): the workflows, the certs Lambda's environment and the
 * definition substitutions.
 */
import { ENV } from '../functions/shared/env';
import type { Config, RegionConfig } from './config/schema';
import { stateMachineArnPlaceholder, substitutionsFor } from './workflow-definitions';

/** The parent workflow's name: statemachines/cert-rotation.asl.json. */
export const CERT_ROTATION = 'cert-rotation';

/** The cert-rotation family: the parent first, then its per-node child. */
export const CERT_WORKFLOWS = ['cert-rotation', 'cert-rotation-node'] as const;
export type CertWorkflow = (typeof CERT_WORKFLOWS)[number];

/** The documents the child runs besides stop, start and the readiness probe (issue 13 contract §2). */
export const CERT_DOCUMENT_KINDS = {
  makeCsr: 'makeCsr',
  installCertificate: 'installCertificate',
  rollbackCertificate: 'rollbackCertificate',
  probeServedCertificate: 'probeServedCertificate',
} as const;

/**
 * One node's drain, restart and verification as the plan's estimate counts it (the dry run's expected
 * duration): the ALB's default deregistration delay (300 s), a restart (up to 180 s until ready), the served
 * probe and one health-check interval (30 s), the commands' own time (~60 s).
 */
export const PER_NODE_SECONDS = 300 + 180 + 30 + 60;

/** The certs Lambda's environment (AWS_REGION comes from Lambda itself). */
export function certsEnvironment(
  config: Config,
  region: RegionConfig,
  stateTable: string,
): Record<string, string> {
  const c = config.certificates;
  return {
    [ENV.clusterName]: config.cluster.name,
    [ENV.clusterMode]: config.cluster.mode,
    [ENV.primaryAsgName]: region.primaryAsgName,
    [ENV.memberAsgName]: region.memberAsgName,
    [ENV.targetGroupArn]: region.targetGroupArns[0] as string,
    [ENV.stateTable]: stateTable,
    [ENV.minHealthyNodes]: String(config.cluster.minHealthyNodes),
    [ENV.automationEnabled]: String(config.automation.enabled),
    [ENV.certificatePolicy]: JSON.stringify({
      maxUnavailable: c.maxUnavailable,
      renewalFraction: c.renewalFraction,
      nearExpiryDays: c.nearExpiryDays,
      ...(c.renewalWindow ? { renewalWindow: c.renewalWindow } : {}),
      caGeneration: c.ca.generation,
      perNodeSeconds: PER_NODE_SECONDS,
    }),
  };
}

export interface CertRotationRefs {
  readonly clusterName: string;
  readonly region: string;
  readonly certsFunctionArn: string;
  readonly signerFunctionArn: string;
  readonly leaseFunctionArn: string;
  readonly reportFunctionArn: string;
  readonly nodeCommandStateMachineArn: string;
  readonly stateMachineArn: (name: CertWorkflow) => string;
  readonly targetGroupArn: string;
  readonly keySize: number;
  readonly documents: {
    readonly stop: string;
    readonly start: string;
    readonly probe: string;
    readonly makeCsr: string;
    readonly installCertificate: string;
    readonly rollbackCertificate: string;
    readonly probeServedCertificate: string;
  };
}

/** Each family member's definition substitutions, exactly the placeholders its file uses. */
export function certRotationSubstitutions(r: CertRotationRefs): Record<CertWorkflow, Record<string, string>> {
  const available: Record<string, string> = {
    ClusterName: r.clusterName,
    Region: r.region,
    CertsFunctionArn: r.certsFunctionArn,
    SignerFunctionArn: r.signerFunctionArn,
    LeaseFunctionArn: r.leaseFunctionArn,
    ReportFunctionArn: r.reportFunctionArn,
    NodeCommandStateMachineArn: r.nodeCommandStateMachineArn,
    TargetGroupArn: r.targetGroupArn,
    KeySize: String(r.keySize),
    StopDocument: r.documents.stop,
    StartDocument: r.documents.start,
    ProbeDocument: r.documents.probe,
    MakeCsrDocument: r.documents.makeCsr,
    InstallCertificateDocument: r.documents.installCertificate,
    RollbackCertificateDocument: r.documents.rollbackCertificate,
    ProbeServedCertificateDocument: r.documents.probeServedCertificate,
  };
  for (const name of CERT_WORKFLOWS) available[stateMachineArnPlaceholder(name)] = r.stateMachineArn(name);
  return Object.fromEntries(
    CERT_WORKFLOWS.map((name) => [name, substitutionsFor(name, available)]),
  ) as Record<CertWorkflow, Record<string, string>>;
}
