/**
 * TLS on one Artifactory node: the certificate store on its disk and what its router serves and trusts.
 *
 * JFrog (Installation & Setup documentation):
 * - *Option 2: provide your own signed certificate*
 *   (https://jfrog.com/help/r/jfrog-installation-setup-documentation/option-2-provide-your-own-signed-certificate):
 *   the certificate and key are `bootstrap/router/keys/custom-server.crt|.key`, the CA goes in
 *   `etc/security/keys/trusted/`, and a restart makes the router use them. So the node SERVES what was
 *   installed when Artifactory last started, and TRUSTS the trusted directory as it was then.
 * - *Prerequisites for Custom TLS Certificate*
 *   (https://jfrog.com/help/r/jfrog-installation-setup-documentation/prerequisites-for-custom-tls-certificate):
 *   one certificate serves 8443 (Artifactory) and 8082 (the router); RSA; it must match its key; the subject
 *   must match `shared.node.ip` and the SANs include it; KU critical digitalSignature + keyEncipherment;
 *   EKU serverAuth + clientAuth.
 * - *Configure TLS certificates for Pipelines*, HA setup
 *   (https://jfrog.com/help/r/jfrog-installation-setup-documentation/configure-tls-certificates-for-pipelines):
 *   "The Certificates are not propagated between HA nodes automatically": each node has only its own
 *   trusted directory.
 * - *Establish TLS and Adding Certificates*
 *   (https://jfrog.com/help/r/jfrog-installation-setup-documentation/establishing-tls-and-adding-certificates):
 *   without a custom certificate, JFrog Access acts as the CA of the node's TLS certificate. The twin models
 *   that certificate as one the node makes for itself: its own router trusts it, no peer's trusted directory
 *   holds its issuer.
 * - *Communication between services*
 *   (https://jfrog.com/help/r/jfrog-installation-setup-documentation/communication-between-services): the
 *   router monitors the health of its local services and carries TLS between nodes; its health endpoint
 *   answers 503 when a local service is unhealthy. A node whose served certificate is expired, not for its
 *   IP, or not issued by a CA of its own trusted directory fails its own TLS: router health 503, readiness
 *   fails (world option `tls: 'on'`; see docs/twin.md).
 *
 * Keys are real RSA keys (Node's crypto) and CSRs real PKCS#10 requests (@peculiar/x509), so the signer
 * verifies what a node would send. RSA key generation is slow: keys come from a small per-process pool, each
 * node keeping its own copy of the key it drew.
 */
import 'reflect-metadata';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  webcrypto,
} from 'node:crypto';
import * as x509 from '@peculiar/x509';
import {
  type CertInfo,
  certificateMatchesKey,
  parseBundle,
  parseCertificate,
  rejection,
} from '../core/certificates';
import type { NodeTlsContract } from '../core/contracts';
import type { CertificateFaultKind } from '../core/fault-kinds';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** The key pair @peculiar/x509 signs with (WebCrypto keys). */
export type X509Keys = Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'];

/** The node's paths (JFrog's layout under JFROG_HOME, as lib.sh names them). */
export const TLS_PATHS = {
  routerKeys: '/opt/jfrog/artifactory/var/bootstrap/router/keys',
  keys: '/opt/jfrog/artifactory/var/etc/security/keys',
  trusted: '/opt/jfrog/artifactory/var/etc/security/keys/trusted',
} as const;

/** The files of a node's certificate store (names relative to TLS_PATHS.routerKeys or .keys). */
export const TLS_FILES = {
  crt: 'custom-server.crt',
  key: 'custom-server.key',
  nextKey: 'custom-server.key.next',
  previousCrt: 'custom-server.crt.previous',
  previousKey: 'custom-server.key.previous',
  ca: 'trusted/cluster-ca.pem',
  previousCa: 'cluster-ca.pem.previous',
} as const;
export type TlsFile = (typeof TLS_FILES)[keyof typeof TLS_FILES];

/** Keys per size kept by the pool: nodes draw them in turn. */
export const KEY_POOL_SIZE = 8;

interface PooledKey {
  readonly privatePem: string;
  readonly publicDer: Buffer;
  readonly privateKey: KeyObject;
}
const pool = new Map<number, PooledKey[]>();
const drawn = new Map<number, number>();

/** The next key of the per-process pool for this size (made on first use: RSA key generation is slow). */
export function pooledKey(bits: number): PooledKey {
  if (!(Number.isInteger(bits) && bits >= 1024 && bits <= 8192)) throw new Error(`bad RSA key size ${bits}`);
  const keys = pool.get(bits) ?? [];
  pool.set(bits, keys);
  const n = drawn.get(bits) ?? 0;
  drawn.set(bits, n + 1);
  if (keys.length < KEY_POOL_SIZE) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
    keys.push({
      privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicDer: publicKey.export({ type: 'spki', format: 'der' }),
      privateKey,
    });
  }
  return keys[n % keys.length] as PooledKey;
}

const RSA_SHA256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** A CryptoKeyPair for @peculiar/x509 from a PKCS#8 PEM. */
export async function cryptoKeys(privatePem: string): Promise<X509Keys> {
  const priv = createPrivateKey(privatePem);
  const pkcs8 = priv.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(priv).export({ type: 'spki', format: 'der' });
  const subtle = webcrypto.subtle;
  return {
    privateKey: await subtle.importKey('pkcs8', pkcs8, RSA_SHA256, true, ['sign']),
    publicKey: await subtle.importKey('spki', spki, RSA_SHA256, true, ['verify']),
  } as unknown as X509Keys;
}

/** What openssl req makes in make_key_and_csr: CN = ip, one SAN IP = ip, SHA-256 with RSA. */
export async function makeCsrPem(privatePem: string, ip: string): Promise<string> {
  const keys = await cryptoKeys(privatePem);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${ip}`,
    keys,
    signingAlgorithm: RSA_SHA256,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: ip }])],
  });
  return `${csr.toString('pem')}\n`;
}

/** A refusal of a certificate document, worded as the script's `die` (the command fails, nothing changed). */
export class TlsRefusal extends Error {
  override readonly name = 'TlsRefusal';
}

/** The host a node's TLS runs on, as the store sees it. */
export interface TlsHost {
  readonly id: string;
  readonly privateIp: string;
}

/** A node's certificate store: files on its disk, and what its router loaded at Artifactory's last start. */
export class NodeTls implements NodeTlsContract {
  private readonly files = new Map<TlsFile, string>();
  /** system.yaml's artifactory.tomcat.httpsConnector.enabled on disk (sim/services/tls-ports.ts). */
  private connector = false;
  private loaded:
    | { cert: CertInfo | undefined; trusted: readonly CertInfo[]; connector: boolean }
    | undefined;

  constructor(
    private readonly host: TlsHost,
    private readonly log: (message: string) => void = () => undefined,
    /** Consumes an injected certificate fault on this node (sim/core/faults.ts), if any. */
    private readonly takeFault: (kind: CertificateFaultKind) => { ip: string } | undefined = () => undefined,
  ) {}

  /** A file's content (PEM), if the file exists. */
  file(name: string): string | undefined {
    return this.files.get(name as TlsFile);
  }

  /** The names of the files that exist. */
  fileNames(): TlsFile[] {
    return [...this.files.keys()].sort();
  }

  /** The certificate installed now (custom-server.crt), which the next start serves. */
  get installed(): CertInfo | undefined {
    const pem = this.files.get(TLS_FILES.crt);
    return pem === undefined ? undefined : parseCertificate(pem);
  }

  /** The CA certificates in the trusted directory now. */
  get trustedNow(): readonly CertInfo[] {
    const pem = this.files.get(TLS_FILES.ca);
    return pem === undefined ? [] : parseBundle(pem);
  }

  /** The certificate the router loaded at the last start: custom, or the node's own when none was installed. */
  get servedAtStart(): CertInfo {
    return this.loaded?.cert ?? this.generated();
  }

  /** The CA certificates of the trusted directory at the last start. */
  get trustedAtStart(): readonly CertInfo[] {
    return this.loaded?.trusted ?? [];
  }

  /** system.yaml's HTTPS connector now, and as Artifactory loaded it at the last start (Tomcat on 8443). */
  get httpsConnector(): boolean {
    return this.connector;
  }
  get httpsConnectorAtStart(): boolean {
    return this.loaded?.connector ?? false;
  }

  /** enable_https_connector (lib.sh): sets artifactory.tomcat.httpsConnector.enabled; a restart applies it. */
  enableHttpsConnector(): void {
    this.connector = true;
  }

  /** The private keys on this node (current, next, previous): the secret scan looks for them. */
  privateKeys(): string[] {
    return [TLS_FILES.key, TLS_FILES.nextKey, TLS_FILES.previousKey]
      .map((f) => this.files.get(f))
      .filter((k): k is string => k !== undefined);
  }

  /**
   * MakeCsr: a new key as custom-server.key.next and a CSR for it (CN and SAN IP = the node's IP, unless the
   * csr-wrong-ip fault is armed). `track` runs the real signing so virtual time stands still meanwhile.
   */
  async makeCsr(bits: number, track: <T>(work: () => Promise<T>) => Promise<T>): Promise<string> {
    const key = pooledKey(bits);
    let ip = this.host.privateIp;
    const wrong = this.takeFault('csr-wrong-ip');
    if (wrong) {
      ip = wrong.ip;
      this.log(`fault csr-wrong-ip: the CSR names ${ip}, not ${this.host.privateIp}`);
    }
    this.files.set(TLS_FILES.nextKey, key.privatePem);
    return track(() => makeCsrPem(key.privatePem, ip));
  }

  /**
   * InstallCertificate (install_certificate in lib.sh): refuses a certificate that does not match the next
   * key; keeps the current certificate, key and CA file as *.previous; installing the installed certificate
   * again is a no-op with the same answer.
   */
  install(certificate: string, caBundle: string): { installed: string; previous: string | null } {
    const cert = parseCertificate(certificate);
    parseBundle(caBundle);
    const current = this.installed;
    const prev = this.files.get(TLS_FILES.previousCrt);
    if (current?.fingerprint === cert.fingerprint) {
      return {
        installed: cert.fingerprint,
        previous: prev === undefined ? null : parseCertificate(prev).fingerprint,
      };
    }
    const next = this.files.get(TLS_FILES.nextKey);
    if (next === undefined) {
      throw new TlsRefusal(`${TLS_PATHS.routerKeys}/${TLS_FILES.nextKey} does not exist: run MakeCsr first`);
    }
    if (!certificateMatchesKey(cert, pooledPublicDer(next))) {
      throw new TlsRefusal(
        `the certificate ${cert.fingerprint} does not match ${TLS_PATHS.routerKeys}/${TLS_FILES.nextKey}: refused, nothing changed`,
      );
    }
    const key = this.files.get(TLS_FILES.key);
    let previous: string | null = null;
    if (current !== undefined && key !== undefined) {
      previous = current.fingerprint;
      this.files.set(TLS_FILES.previousCrt, this.files.get(TLS_FILES.crt) as string);
      this.files.set(TLS_FILES.previousKey, key);
      const ca = this.files.get(TLS_FILES.ca);
      if (ca !== undefined) this.files.set(TLS_FILES.previousCa, ca);
      else this.files.delete(TLS_FILES.previousCa);
    } else {
      this.files.delete(TLS_FILES.previousCrt);
      this.files.delete(TLS_FILES.previousKey);
      this.files.delete(TLS_FILES.previousCa);
    }
    this.files.set(TLS_FILES.ca, caBundle.endsWith('\n') ? caBundle : `${caBundle}\n`);
    this.files.set(TLS_FILES.key, next);
    this.files.delete(TLS_FILES.nextKey);
    this.files.set(TLS_FILES.crt, cert.pem as string);
    this.log(
      `certificate ${cert.fingerprint} installed (previous ${previous ?? 'none'}); a restart applies it`,
    );
    return { installed: cert.fingerprint, previous };
  }

  /** The installed certificate's fingerprint (what a restart would serve); undefined when none is installed. */
  installedFingerprint(): string | undefined {
    const crt = this.files.get(TLS_FILES.crt);
    return crt === undefined ? undefined : parseCertificate(crt).fingerprint;
  }

  /** RollbackCertificate: restores the *.previous certificate, key and CA file, and keeps them. */
  rollback(): { restored: string } {
    const crt = this.files.get(TLS_FILES.previousCrt);
    const key = this.files.get(TLS_FILES.previousKey);
    if (crt === undefined || key === undefined) {
      throw new TlsRefusal(
        `nothing to roll back to: ${TLS_PATHS.routerKeys}/${TLS_FILES.previousCrt} or ${TLS_FILES.previousKey} does not exist`,
      );
    }
    this.files.set(TLS_FILES.key, key);
    this.files.set(TLS_FILES.crt, crt);
    const ca = this.files.get(TLS_FILES.previousCa);
    if (ca !== undefined) this.files.set(TLS_FILES.ca, ca);
    const restored = parseCertificate(crt).fingerprint;
    this.log(`certificate ${restored} restored from *.previous; a restart applies it`);
    return { restored };
  }

  /**
   * Artifactory starts: the router loads the installed certificate and the trusted directory. Returns why the
   * start fails, when the cert-start-fails fault bites (a certificate other than the one served before).
   */
  atStart(): string | undefined {
    const cert = this.installed;
    const changed = cert?.fingerprint !== this.loaded?.cert?.fingerprint;
    if (changed && this.takeFault('cert-start-fails')) {
      return `the router failed to start with ${TLS_PATHS.routerKeys}/${TLS_FILES.crt} (${cert?.fingerprint ?? 'none'})`;
    }
    if (changed && this.loaded !== undefined && this.takeFault('served-cert-stale')) {
      this.log(`fault served-cert-stale: the router keeps serving ${this.servedAtStart.fingerprint}`);
      return undefined;
    }
    this.loaded = { cert, trusted: this.trustedNow, connector: this.connector };
    return undefined;
  }

  /**
   * Why this node's own TLS fails at `now` (expired, not for its IP, issuer not in its trusted directory at
   * start), or undefined. The node's own certificate is trusted by its own router.
   */
  problem(now: number): string | undefined {
    const cert = this.loaded?.cert;
    if (cert === undefined) return undefined;
    const r = rejection(cert, this.loaded?.trusted ?? [], this.host.privateIp, now);
    return r === undefined ? undefined : `served certificate ${cert.fingerprint}: ${r.reason} (${r.detail})`;
  }

  /**
   * Part of the initial cluster (scenes): these files installed, with the HTTPS connector, and loaded, as if
   * Artifactory started with them.
   */
  seed(certificate: string, caBundle: string, privateKeyPem: string): void {
    this.files.set(TLS_FILES.nextKey, privateKeyPem);
    this.install(certificate, caBundle);
    this.connector = true;
    this.loaded = { cert: this.installed, trusted: this.trustedNow, connector: true };
  }

  private generated(): CertInfo {
    const ip = this.host.privateIp;
    return {
      fingerprint: createHash('sha256').update(`artifactory-generated:${this.host.id}`).digest('hex'),
      subject: ip,
      issuer: `CN=JFrog Access CA of ${this.host.id}`,
      ips: [ip],
      notBefore: 0,
      notAfter: Date.parse('2099-01-01T00:00:00Z'),
      generated: true,
    };
  }
}

/** The SPKI DER of a private key PEM (a pool key's is remembered). */
function pooledPublicDer(privatePem: string): Buffer {
  for (const keys of pool.values()) {
    const k = keys.find((p) => p.privatePem === privatePem);
    if (k) return k.publicDer;
  }
  return createPublicKey(createPrivateKey(privatePem)).export({ type: 'spki', format: 'der' });
}

/** What a scene reads of a node's TLS: fingerprints of what it serves, has installed and trusts. */
export interface NodeCertificates {
  /** Served now on 8082 and 8443 (undefined while Artifactory is not up). */
  readonly served: CertInfo | undefined;
  /** custom-server.crt on disk (the next start serves it). */
  readonly installed: CertInfo | undefined;
  /** custom-server.crt.previous (what a rollback restores). */
  readonly previous: CertInfo | undefined;
  /** The trusted directory now, and as the router loaded it at the last start. */
  readonly trustedNow: readonly CertInfo[];
  readonly trustedAtStart: readonly CertInfo[];
  /** Why the node's own TLS breaks it now (tls on), or undefined. */
  readonly problem: string | undefined;
}

/** A node's certificates, for scenes' checks. */
export function certificatesOf(node: {
  readonly servedCertificate: CertInfo | undefined;
  readonly tls: NodeTlsContract;
  tlsProblem(): string | undefined;
}): NodeCertificates {
  const previous = node.tls.file(TLS_FILES.previousCrt);
  return {
    served: node.servedCertificate,
    installed: node.tls.installed,
    previous: previous === undefined ? undefined : parseCertificate(previous),
    trustedNow: node.tls.trustedNow,
    trustedAtStart: node.tls.trustedAtStart,
    problem: node.tlsProblem(),
  };
}
