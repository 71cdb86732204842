/**
 * CSRs and certificate checks for the signer's tests, with @peculiar/x509 on Node's WebCrypto: the library an
 * operator would check the signer's output with, independent of the asn1 code the signer builds with.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]) };

export interface CsrOptions {
  /** The subject's CN (default: the IP). */
  cn?: string;
  /** SAN IPs (default: [ip]). */
  sanIps?: string[];
  /** RSA modulus bits (default 2048), or an EC P-256 key. */
  key?: number | 'ec';
  /** Extensions the CSR asks for beside the SAN (the signer must ignore them). */
  extraExtensions?: x509.Extension[];
  /** Corrupt the CSR's signature (flip a bit of it). */
  badSignature?: boolean;
}

const keyCache = new Map<string, webcrypto.CryptoKeyPair>();

async function keys(kind: number | 'ec'): Promise<webcrypto.CryptoKeyPair> {
  const id = String(kind);
  let pair = keyCache.get(id);
  if (pair === undefined) {
    pair = (await webcrypto.subtle.generateKey(
      kind === 'ec' ? { name: 'ECDSA', namedCurve: 'P-256' } : { ...RSA, modulusLength: kind },
      true,
      ['sign', 'verify'],
    )) as webcrypto.CryptoKeyPair;
    keyCache.set(id, pair);
  }
  return pair;
}

/** A CSR PEM for `ip`, as the node's MakeCsr document makes it unless `opts` says otherwise. */
export async function makeCsr(ip: string, opts: CsrOptions = {}): Promise<string> {
  const kind = opts.key ?? 2048;
  const pair = await keys(kind);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${opts.cn ?? ip}`,
    keys: pair,
    signingAlgorithm: kind === 'ec' ? { name: 'ECDSA', hash: 'SHA-256' } : RSA,
    extensions: [
      new x509.SubjectAlternativeNameExtension(
        (opts.sanIps ?? [ip]).map((v) => ({ type: 'ip' as const, value: v })),
      ),
      ...(opts.extraExtensions ?? []),
    ],
  });
  if (!opts.badSignature) return csr.toString('pem');
  const der = new Uint8Array(csr.rawData);
  // The signature is the DER's tail: flipping its last byte breaks it and nothing else.
  der[der.length - 1] = (der[der.length - 1] as number) ^ 0xff;
  return new x509.Pkcs10CertificateRequest(der).toString('pem');
}

/** The certificates of a PEM bundle. */
export const certificatesOf = (pem: string): x509.X509Certificate[] =>
  (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map(
    (block) => new x509.X509Certificate(block),
  );

export { x509 };
