/**
 * `issue`: a node's leaf certificate from its CSR, after every check of functions/core/pki.ts passed, signed
 * by the active CA generation's KMS key. A refusal is audited and thrown as {@link CsrRefused}; nothing is
 * issued.
 */
import { randomBytes } from 'node:crypto';
import type { Instance } from '@aws-sdk/client-ec2';
import { certificateAuditPut } from '../core/audit';
import { type CsrCheck, checkCsr, decideLeaf, type InstanceFacts } from '../core/pki';
import type { CaRecord } from '../core/pki-state';
import { putAudit } from '../shared/audit';
import { autoScalingSdk } from '../shared/clients/auto-scaling';
import { ec2Sdk } from '../shared/clients/ec2';
import { CsrRefused } from '../shared/errors';
import { MetricUnit } from '../shared/powertools';
import { bundleOf, ensureCa, kmsSigner, publishBundle, type SignerDeps } from './ca';
import type { SignerConfig } from './config';
import { buildCertificate, CsrUnreadable, csrBlocks, issuerOf, readCsr } from './x509';

export interface IssueInput {
  readonly instanceId: string;
  readonly csr: string;
  readonly execution: string;
}

/** The tag Auto Scaling puts on the instances it launches (Amazon EC2 Auto Scaling User Guide, *Tag Auto Scaling groups and instances*). */
const GROUP_TAG = 'aws:autoscaling:groupName';

/** What EC2 (and Auto Scaling, when the tag is absent) say about the instance. */
export async function instanceFacts(
  instanceId: string,
  deps: Pick<SignerDeps, 'clients'>,
): Promise<InstanceFacts> {
  const { DescribeInstancesCommand } = ec2Sdk();
  let instance: Instance | undefined;
  try {
    const out = await deps.clients.ec2().send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
  } catch (err) {
    // EC2 answers an unknown or malformed id with a client error: the instance is not one of ours.
    if (!/^InvalidInstanceID\./.test((err as Error).name)) throw err;
  }
  if (
    instance === undefined ||
    instance.State?.Name === 'terminated' ||
    instance.PrivateIpAddress === undefined
  )
    return { instanceId };
  let groupName = instance.Tags?.find((t) => t.Key === GROUP_TAG)?.Value;
  if (groupName === undefined) {
    const { DescribeAutoScalingInstancesCommand } = autoScalingSdk();
    const out = await deps.clients
      .autoScaling()
      .send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }));
    groupName = out.AutoScalingInstances?.find((i) => i.InstanceId === instanceId)?.AutoScalingGroupName;
  }
  return {
    instanceId,
    privateIp: instance.PrivateIpAddress,
    ...(groupName !== undefined ? { groupName } : {}),
  };
}

async function refuse(
  config: SignerConfig,
  input: IssueInput,
  check: CsrCheck,
  reason: string,
  deps: SignerDeps,
): Promise<never> {
  const now = (deps.now ?? Date.now)();
  await putAudit(
    config.stateTable,
    certificateAuditPut(
      {
        cluster: config.cluster,
        at: now,
        execution: input.execution,
        kind: 'certificate-refused',
        instanceId: input.instanceId,
        check,
        reason,
      },
      now,
    ),
    deps,
  );
  deps.logger.warn('CSR refused', { instanceId: input.instanceId, check, reason });
  deps.metrics.addMetric('CertificatesRefused', MetricUnit.Count, 1);
  throw new CsrRefused(check, `CSR for ${input.instanceId} refused (${check}): ${reason}`);
}

/** Checks the CSR against the instance, then builds and signs its leaf with the active CA generation. */
export async function issue(config: SignerConfig, input: IssueInput, deps: SignerDeps) {
  const blocks = csrBlocks(input.csr);
  if (blocks.length !== 1)
    return refuse(
      config,
      input,
      'csr-blocks',
      `the text holds ${blocks.length} CSR PEM blocks, exactly one is required`,
      deps,
    );
  let csr: ReturnType<typeof readCsr>;
  try {
    csr = readCsr(blocks[0] as string);
  } catch (err) {
    if (!(err instanceof CsrUnreadable)) throw err;
    return refuse(config, input, 'csr-malformed', err.message, deps);
  }
  const instance = await instanceFacts(input.instanceId, deps);
  const now = new Date((deps.now ?? Date.now)());
  const policy = { minKeyBits: config.keySize, groups: config.groups };
  const verdict = checkCsr(csr.facts, instance, policy);
  // Refused before the CA is read: a refusal records its audit entry and nothing else.
  if (!verdict.ok) return refuse(config, input, verdict.check, verdict.reason, deps);
  const view = await ensureCa(config, deps);
  // The first issuance of a cluster (node-bootstrap before any `ca` op) publishes the bundle it made.
  if (view.created) await publishBundle(config, bundleOf(view), deps);
  const issuer = view.records.get(view.pki.active) as CaRecord;
  const decision = decideLeaf(csr.facts, instance, policy, {
    now,
    lifetimeDays: config.leafLifetimeDays,
    random: randomBytes(16),
    issuerNotAfter: new Date(issuer.notAfter),
  });
  if (decision.kind === 'refuse') return refuse(config, input, decision.check, decision.reason, deps);
  const keyArn = config.caKeys.get(issuer.generation) ?? issuer.keyArn;
  const issuerCert = issuerOf(issuer.certificate);
  const cert = await buildCertificate({
    profile: decision.profile,
    subjectKey: csr.spki,
    issuerName: issuerCert.name,
    issuerKey: issuerCert.key,
    sign: kmsSigner(keyArn, deps),
  });
  const out = {
    instanceId: input.instanceId,
    certificate: cert.pem,
    caBundle: bundleOf(view),
    serial: decision.profile.serial,
    notBefore: decision.profile.notBefore.toISOString(),
    notAfter: decision.profile.notAfter.toISOString(),
    fingerprint: cert.fingerprint,
    issuer: issuer.generation,
    trusted: [...view.pki.trusted],
  };
  await putAudit(
    config.stateTable,
    certificateAuditPut(
      {
        cluster: config.cluster,
        at: now.getTime(),
        execution: input.execution,
        kind: 'certificate-issued',
        instanceId: input.instanceId,
        serial: out.serial,
        notAfter: out.notAfter,
        fingerprint: out.fingerprint,
        issuer: out.issuer,
      },
      now.getTime(),
    ),
    deps,
  );
  deps.logger.info('certificate issued', {
    instanceId: out.instanceId,
    serial: out.serial,
    issuer: out.issuer,
    notAfter: out.notAfter,
  });
  deps.metrics.addMetric('CertificatesIssued', MetricUnit.Count, 1);
  return out;
}
