/**
 * What the certificate documents (MakeCsr, InstallCertificate, RollbackCertificate, ProbeServedCertificate,
 * and the certificate parts of ConfigureNode and StartArtifactory) do on a node in the twin: the node's
 * certificate store (sim/services/tls.ts) with real keys, CSRs, PEMs and fingerprints, as the scripts of
 * infra/ssm-documents do with openssl. No output ever holds a private key: MakeCsr prints only the CSR.
 */
import {
  CA_BUNDLE_PATTERN,
  CERTIFICATE_PATTERN,
  documentParameters,
  TARGET_IPS_PATTERN,
} from '../../infra/ssm-documents';
import { type CertInfo, rejection } from '../core/certificates';
import type { DocumentEffect, SimInstance } from '../core/contracts';
import type { Rng } from '../core/rng';
import { TLS_PATHS, TlsRefusal } from './tls';
import { servedOn } from './tls-ports';

type Result = Awaited<ReturnType<DocumentEffect>>;

/** How long the certificate steps take on a node (ms). */
export const CERT_TIMING = {
  /** openssl genpkey (RSA 2048-4096) and openssl req. */
  keygen: [1_000, 4_000],
  /** Checks and file moves of install_certificate, or a rollback. */
  install: [500, 1_500],
  /** One TLS handshake with openssl s_client. */
  handshake: [200, 800],
} as const satisfies Record<string, readonly [number, number]>;

/** ProbeServedCertificate's bound on one connection (probe-served-certificate.sh CONNECT_WAIT_SECONDS). */
export const CONNECT_WAIT_MS = 10_000;

/** The ports that serve the node's certificate (JFrog: the router on 8082, Artifactory on 8443). */
export const TLS_PORTS = [8082, 8443] as const;

const failed = (stderr: string, responseCode = 1, stdout = ''): Result => ({
  status: 'Failed',
  stdout,
  stderr,
  responseCode,
});

const pause = (clock: { sleep(ms: number): Promise<void> }, rng: Rng, range: readonly [number, number]) =>
  clock.sleep(rng.between(range[0], range[1]));

/** The value of a parameter as the script sees it (sent, else the default), '' when empty. */
function value(
  kind: Parameters<typeof documentParameters>[0],
  parameters: Record<string, string[]>,
  name: string,
) {
  return parameters[name]?.[0] ?? documentParameters(kind)[name]?.default ?? '';
}

/** The script's `require` of a key size: exit 2 when it is not one. */
function keyBits(size: string, optional: boolean): number | Result | undefined {
  if (optional && size === '') return undefined;
  if (!/^(2048|3072|4096)$/.test(size)) {
    return failed(`invalid parameter KEY_SIZE: must match ^(2048|3072|4096)${optional ? '?' : ''}$`, 2);
  }
  return Number(size);
}

/** MakeCsr's work on a node (also ConfigureNode's with KeySize): the CSR PEM. */
export async function makeCsrOn(
  instance: SimInstance,
  bits: number,
  clock: Parameters<DocumentEffect>[0]['clock'],
  rng: Rng,
): Promise<string> {
  await pause(clock, rng, CERT_TIMING.keygen);
  return instance.node.tls.makeCsr(bits, (work) => clock.track(work));
}

/** ConfigureNode's KeySize, checked: the key size, undefined when empty, or the script's failure. */
export function configureKeySize(parameters: Record<string, string[]>): number | Result | undefined {
  return keyBits(value('configureNode', parameters, 'KeySize'), true);
}

/** MakeCsr (make-csr.sh): a new key as custom-server.key.next; stdout is only the CSR. */
const makeCsr: DocumentEffect = async ({ instance, parameters, clock, rng }) => {
  const bits = keyBits(value('makeCsr', parameters, 'KeySize'), false);
  if (typeof bits !== 'number') return bits as Result;
  return { status: 'Success', stdout: await makeCsrOn(instance, bits, clock, rng) };
};

/** install_certificate on the node: the JSON line, or the script's failure. */
export function installOn(instance: SimInstance, certificate: string, caBundle: string): Result {
  if (certificate.length > 16_384)
    return failed('invalid parameter CERTIFICATE: longer than 16384 characters', 2);
  if (caBundle.length > 32_768) return failed('invalid parameter CA_BUNDLE: longer than 32768 characters', 2);
  try {
    const out = instance.node.tls.install(certificate, caBundle);
    instance.node.tls.enableHttpsConnector();
    return { status: 'Success', stdout: JSON.stringify(out) };
  } catch (err) {
    if (err instanceof TlsRefusal || /not a PEM/.test((err as Error).message))
      return failed((err as Error).message);
    throw err;
  }
}

/** The scripts' `require` of the PEM parameters (exit 2, the value never echoed). */
export function checkPems(certificate: string, caBundle: string, optional: boolean): Result | undefined {
  if (optional && certificate === '' && caBundle === '') return undefined;
  if (!new RegExp(CERTIFICATE_PATTERN).test(certificate)) {
    return failed(`invalid parameter CERTIFICATE: must match ${CERTIFICATE_PATTERN}`, 2);
  }
  if (!new RegExp(CA_BUNDLE_PATTERN).test(caBundle)) {
    return failed(`invalid parameter CA_BUNDLE: must match ${CA_BUNDLE_PATTERN}`, 2);
  }
  return undefined;
}

/** InstallCertificate (install-certificate.sh). */
const installCertificate: DocumentEffect = async ({ instance, parameters, clock, rng }) => {
  const certificate = value('installCertificate', parameters, 'Certificate');
  const caBundle = value('installCertificate', parameters, 'CaBundle');
  const bad = checkPems(certificate, caBundle, false);
  if (bad) return bad;
  await pause(clock, rng, CERT_TIMING.install);
  return installOn(instance, certificate, caBundle);
};

/** RollbackCertificate (rollback-certificate.sh). */
const rollbackCertificate: DocumentEffect = async ({ instance, parameters, clock, rng }) => {
  const fingerprint = parameters.Fingerprint?.[0] ?? '';
  if (!/^([0-9a-f]{64})?$/.test(fingerprint)) {
    return failed('invalid parameter FINGERPRINT: must match ^([0-9a-f]{64})?$', 2);
  }
  await pause(clock, rng, CERT_TIMING.install);
  if (fingerprint !== '') {
    const installed = instance.node.tls.installedFingerprint() ?? 'none';
    if (installed !== fingerprint) {
      const reason = `the installed certificate is ${installed}, not ${fingerprint}: nothing to undo, nothing changed`;
      return { status: 'Success', stdout: JSON.stringify({ restored: null, reason }) };
    }
  }
  try {
    return { status: 'Success', stdout: JSON.stringify(instance.node.tls.rollback()) };
  } catch (err) {
    if (err instanceof TlsRefusal) return failed(err.message);
    throw err;
  }
};

/** notAfter as `date -u +%Y-%m-%dT%H:%M:%SZ` prints it. */
const isoSeconds = (at: number) => new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** One target's line of ProbeServedCertificate: each port's fingerprint, verification and error. */
async function probeTarget(
  target: string,
  trusted: readonly CertInfo[],
  region: Parameters<DocumentEffect>[0]['region'],
  clock: Parameters<DocumentEffect>[0]['clock'],
  rng: Rng,
): Promise<string> {
  const host = region.ec2
    .instances()
    .find((i) => i.privateIp === target && i.state !== 'terminated' && i.state !== 'shutting-down');
  const ports = [];
  for (const port of TLS_PORTS) {
    if (!host?.reachable) {
      await clock.sleep(CONNECT_WAIT_MS);
      ports.push({ port, fingerprint: null, verified: false, notAfter: null, error: 'unreachable' });
      continue;
    }
    await pause(clock, rng, CERT_TIMING.handshake);
    const served = servedOn(host.node, port);
    if (served === undefined) {
      ports.push({ port, fingerprint: null, verified: false, notAfter: null, error: 'unreachable' });
      continue;
    }
    const r = rejection(served, trusted, target, clock.now());
    ports.push({
      port,
      fingerprint: served.fingerprint,
      verified: r === undefined,
      notAfter: isoSeconds(served.notAfter),
      error: r === undefined ? null : `${r.code} (${r.reason})`,
    });
  }
  return JSON.stringify({ target, ports });
}

const IP = '[0-9]{1,3}(\\.[0-9]{1,3}){3}';

/**
 * ProbeServedCertificate (probe-served-certificate.sh), run on a PEER: connects to each target (TargetIp, or
 * every IP of TargetIps in order) on 8082 and 8443 and verifies what it serves against the peer's trusted
 * directory NOW (openssl reads the files) and the target IP; one JSON line per target. A target that is not
 * reachable costs the 10 s connect bound per port; one whose Artifactory is not up, or whose 8443 has no HTTPS
 * connector (sim/services/tls-ports.ts), refuses the connection at once; both report "unreachable".
 */
const probeServedCertificate: DocumentEffect = async ({ instance, parameters, region, clock, rng }) => {
  const one = value('probeServedCertificate', parameters, 'TargetIp');
  const many = value('probeServedCertificate', parameters, 'TargetIps');
  if (!new RegExp(`^(${IP})?$`).test(one)) {
    return failed(`invalid parameter TARGET_IP: must match ^(${IP})?$`, 2);
  }
  if (!new RegExp(TARGET_IPS_PATTERN).test(many)) {
    return failed(`invalid parameter TARGET_IPS: must match ${TARGET_IPS_PATTERN}`, 2);
  }
  if ((one === '') === (many === '')) {
    return failed('invalid parameters: give exactly one of TARGET_IP and TARGET_IPS', 2);
  }
  const trusted = instance.node.tls.trustedNow;
  if (trusted.length === 0) {
    return failed(`no trusted CA file in ${TLS_PATHS.trusted}: this node cannot verify a certificate`);
  }
  const lines: string[] = [];
  for (const target of one !== '' ? [one] : many.split(',')) {
    lines.push(await probeTarget(target, trusted, region, clock, rng));
  }
  return { status: 'Success', stdout: `${lines.join('\n')}\n` };
};

export const CERTIFICATE_EFFECTS = {
  makeCsr,
  installCertificate,
  rollbackCertificate,
  probeServedCertificate,
} as const satisfies Record<string, DocumentEffect>;
