/**
 * X.509 as the twin's nodes see it: PEM certificates parsed with Node's crypto (synchronous, so a check never
 * waits on real I/O), fingerprints, and the checks a TLS client makes of a server's certificate (RFC 5280
 * path validation reduced to one level, which is all a cluster CA and its leaves need: the issuer is a
 * trusted CA whose key signed the leaf, the validity period holds now, and the SAN has the address the
 * client connected to — OpenSSL's `-verify_ip`).
 */
import { createHash, X509Certificate } from 'node:crypto';

/** A certificate a node holds or serves. */
export interface CertInfo {
  /** The PEM, absent for the certificate Artifactory makes for itself (never written where a peer reads it). */
  readonly pem?: string;
  /** SHA-256 of the DER, lowercase hex without colons (the contract's fingerprint). */
  readonly fingerprint: string;
  /** The subject's CN. */
  readonly subject: string;
  /** The issuer's distinguished name, as Node prints it. */
  readonly issuer: string;
  /** The SAN IP addresses. */
  readonly ips: readonly string[];
  readonly notBefore: number;
  readonly notAfter: number;
  /** Artifactory's own certificate (no custom certificate installed): only its own node trusts it. */
  readonly generated?: boolean;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Parsed certificates by PEM: parsing is the slow part, and the same few PEMs are read again and again. */
const parsed = new Map<string, { info: CertInfo; x509: X509Certificate }>();

/** The fingerprint of a DER certificate: SHA-256, lowercase hex without colons. */
export function fingerprintOfDer(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

function parse(pem: string): { info: CertInfo; x509: X509Certificate } {
  const key = pem.trim();
  const known = parsed.get(key);
  if (known) return known;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(key);
  } catch (err) {
    throw new Error(`not a PEM certificate: ${(err as Error).message}`);
  }
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(x509.subject)?.[1] ?? '';
  const ips = (x509.subjectAltName ?? '')
    .split(', ')
    .filter((n) => n.startsWith('IP Address:'))
    .map((n) => n.slice('IP Address:'.length));
  const info: CertInfo = {
    pem: `${key}\n`,
    fingerprint: fingerprintOfDer(x509.raw),
    subject: cn,
    issuer: x509.issuer.replace(/\n/g, ', '),
    ips,
    notBefore: Date.parse(x509.validFrom),
    notAfter: Date.parse(x509.validTo),
  };
  const entry = { info, x509 };
  parsed.set(key, entry);
  return entry;
}

/** Parses one PEM certificate (the first block); throws a clear error when it is not one. */
export function parseCertificate(pem: string): CertInfo {
  const block = pem.match(PEM_CERTIFICATE)?.[0];
  if (block === undefined) throw new Error('not a PEM certificate: no CERTIFICATE block');
  return parse(block).info;
}

/** Every certificate of a PEM bundle, in order; throws when there is none or one does not parse. */
export function parseBundle(pem: string): CertInfo[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new Error('not a PEM bundle: no CERTIFICATE block');
  return blocks.map((b) => parse(b).info);
}

/** Whether `issuer`'s key signed `leaf` and its subject is the leaf's issuer. */
const issuedCache = new Map<string, boolean>();
export function issuedBy(leaf: CertInfo, issuer: CertInfo): boolean {
  if (leaf.pem === undefined || issuer.pem === undefined) return false;
  const key = `${leaf.fingerprint}/${issuer.fingerprint}`;
  const known = issuedCache.get(key);
  if (known !== undefined) return known;
  const l = parse(leaf.pem).x509;
  const i = parse(issuer.pem).x509;
  const ok = l.checkIssued(i) && l.verify(i.publicKey);
  issuedCache.set(key, ok);
  return ok;
}

/** Why a TLS client rejects a certificate: OpenSSL's verify code and text (X509_V_ERR_*), and the detail. */
export interface Rejection {
  readonly code: number;
  readonly reason: string;
  readonly detail: string;
}

/**
 * Why a TLS client that trusts `trusted` and connected to `ip` at `now` rejects `cert`, or undefined when it
 * accepts it. Codes and texts are OpenSSL's (`openssl s_client` prints "Verify return code: N (text)").
 */
export function rejection(
  cert: CertInfo,
  trusted: readonly CertInfo[],
  ip: string,
  now: number,
): Rejection | undefined {
  if (now > cert.notAfter) {
    return { code: 10, reason: 'certificate has expired', detail: `notAfter ${iso(cert.notAfter)}` };
  }
  if (now < cert.notBefore) {
    return { code: 9, reason: 'certificate is not yet valid', detail: `notBefore ${iso(cert.notBefore)}` };
  }
  if (!cert.ips.includes(ip)) {
    return {
      code: 64,
      reason: 'IP address mismatch',
      detail: `the certificate is for ${cert.ips.join(', ') || 'no IP'}, not ${ip}`,
    };
  }
  const issuer = trusted.find((ca) => issuedBy(cert, ca));
  if (issuer === undefined) {
    return { code: 20, reason: 'unable to get local issuer certificate', detail: `issuer ${cert.issuer}` };
  }
  if (now > issuer.notAfter) {
    return {
      code: 10,
      reason: 'certificate has expired',
      detail: `the issuing CA expired ${iso(issuer.notAfter)}`,
    };
  }
  return undefined;
}

function iso(at: number): string {
  return new Date(at).toISOString();
}

/** Whether the certificate is for this public key (SPKI DER equality). */
export function certificateMatchesKey(cert: CertInfo, publicKeyDer: Uint8Array): boolean {
  if (cert.pem === undefined) return false;
  const spki = parse(cert.pem).x509.publicKey.export({ type: 'spki', format: 'der' });
  return Buffer.compare(spki, Buffer.from(publicKeyDer)) === 0;
}
