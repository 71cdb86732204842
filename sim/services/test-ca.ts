/**
 * A certificate authority for scenes and tests, outside KMS: its key is a Node crypto key in this process.
 * The control plane's CA is the signer's (KMS); this one seeds an initial cluster with certificates, plays a
 * foreign CA (a node serving a certificate no peer trusts), or issues certificates the signer never would
 * (a past notAfter, another IP) to put the twin in states a scene must survive. Leaves carry the extensions
 * the signer sets (JFrog, *Prerequisites for Custom TLS Certificate*: KU critical digitalSignature +
 * keyEncipherment, EKU serverAuth + clientAuth, SAN IP = subject).
 */
import 'reflect-metadata';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { SimInstance } from '../core/contracts';
import { cryptoKeys, pooledKey, type X509Keys } from './tls';

const RSA_SHA256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

/** A random positive 16-byte serial, hex. */
function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f;
  return b.toString('hex');
}

export interface LeafOptions {
  /** The node's IP: CN and the one SAN IP. */
  readonly ip: string;
  /** The leaf's public key: a CSR (PEM) or a private key PEM (its public half is taken). */
  readonly csr?: string;
  readonly privateKeyPem?: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

export class TestCa {
  private constructor(
    readonly name: string,
    /** The CA certificate (PEM). */
    readonly certificate: string,
    private readonly keys: X509Keys,
    private readonly cert: x509.X509Certificate,
  ) {}

  /** A self-signed RSA CA (basicConstraints CA:true pathLen 0, KU keyCertSign + cRLSign, both critical). */
  static async create(
    name: string,
    opts: { notBefore: number; lifetimeDays?: number; bits?: number },
  ): Promise<TestCa> {
    // Its own key, not the nodes' pool: a CA never shares a key with a leaf.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: opts.bits ?? 2048 });
    const keys = await cryptoKeys(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: `CN=${name}`,
      notBefore: new Date(opts.notBefore),
      notAfter: new Date(opts.notBefore + (opts.lifetimeDays ?? 3650) * DAY_MS),
      keys,
      signingAlgorithm: RSA_SHA256,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new TestCa(name, `${cert.toString('pem')}\n`, keys, cert);
  }

  /** A leaf for `ip`, with the signer's extensions and the given validity (past dates allowed). */
  async issue(opts: LeafOptions): Promise<string> {
    let publicKey: x509.PublicKey | CryptoKeyLike;
    if (opts.csr !== undefined) publicKey = new x509.Pkcs10CertificateRequest(opts.csr).publicKey;
    else if (opts.privateKeyPem !== undefined) publicKey = (await cryptoKeys(opts.privateKeyPem)).publicKey;
    else throw new Error('TestCa.issue needs a csr or a privateKeyPem');
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${opts.ip}`,
      issuer: this.cert.subject,
      notBefore: new Date(opts.notBefore),
      notAfter: new Date(opts.notAfter),
      publicKey,
      signingKey: this.keys.privateKey,
      signingAlgorithm: RSA_SHA256,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([
          x509.ExtendedKeyUsage.serverAuth,
          x509.ExtendedKeyUsage.clientAuth,
        ]),
        new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: opts.ip }]),
        await x509.AuthorityKeyIdentifierExtension.create(this.keys.publicKey),
      ],
    });
    return `${leaf.toString('pem')}\n`;
  }
}

type CryptoKeyLike = X509Keys['publicKey'];

/**
 * Gives every running node of `instances` a certificate from `ca` (lifetime `days` from `now`) and the CA
 * bundle, installed and loaded as if Artifactory had started with them: an initial cluster that already
 * serves the cluster's certificates. `bundle` defaults to the CA's own certificate.
 */
export async function seedCertificates(
  instances: readonly SimInstance[],
  ca: TestCa,
  opts: { now: number; days?: number; bundle?: string; bits?: number },
): Promise<void> {
  for (const inst of instances) {
    if (inst.state !== 'running') continue;
    const key = pooledKey(opts.bits ?? 2048);
    const cert = await ca.issue({
      ip: inst.privateIp,
      privateKeyPem: key.privatePem,
      notBefore: opts.now - DAY_MS,
      notAfter: opts.now + (opts.days ?? 90) * DAY_MS,
    });
    inst.node.tls.seed(cert, opts.bundle ?? ca.certificate, key.privatePem);
  }
}
