/**
 * X.509 for the signer, with the `@peculiar/asn1-*` schemas (the ASN.1 layer of `@peculiar/x509`, without its
 * dependency-injection container, so the bundle stays small) and Node's crypto: read a PKCS #10 CSR into the
 * facts functions/core/pki.ts decides on, and build a certificate from a profile whose TBSCertificate is
 * signed by a callback (KMS `Sign`: the CA key never comes here).
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { id_rsaEncryption, id_sha256WithRSAEncryption, RSAPublicKey } from '@peculiar/asn1-rsa';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_kp_clientAuth,
  id_kp_serverAuth,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import type { CertificateProfile, CsrFacts, ExtensionSpec } from '../core/pki';

const CSR_BLOCK = /-----BEGIN CERTIFICATE REQUEST-----([\s\S]*?)-----END CERTIFICATE REQUEST-----/g;
const ID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const ID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const ID_COMMON_NAME = '2.5.4.3';
const ID_ORGANIZATION = '2.5.4.10';
const SIGNATURE_HASHES: Record<string, string> = {
  [id_sha256WithRSAEncryption]: 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

/** How many CSR PEM blocks the text holds (the configure step's log lines around one are ignored). */
export const csrBlocks = (text: string): string[] => [...text.matchAll(CSR_BLOCK)].map((m) => m[0]);

/** Why a CSR could not be read at all. */
export class CsrUnreadable extends Error {
  override readonly name = 'CsrUnreadable';
}

const derOf = (pem: string, label: string): Buffer => {
  const body = pem
    .replace(`-----BEGIN ${label}-----`, '')
    .replace(`-----END ${label}-----`, '')
    .replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+=*$/.test(body)) throw new CsrUnreadable(`the ${label} block is not base64`);
  return Buffer.from(body, 'base64');
};

/** DER as a PEM block of `label`, 64 characters a line. */
export function toPem(der: Uint8Array | ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)?.join('\n')}\n-----END ${label}-----\n`;
}

/** A certificate's fingerprint as the contract spells it: SHA-256 of the DER, lowercase hex, no colons. */
export const fingerprintOf = (der: Uint8Array): string => createHash('sha256').update(der).digest('hex');

/** The certificate PEM's DER. */
export const certificateDer = (pem: string): Buffer => derOf(pem, 'CERTIFICATE');

const modulusBits = (spki: SubjectPublicKeyInfo): number => {
  const key = AsnConvert.parse(spki.subjectPublicKey, RSAPublicKey);
  const m = new Uint8Array(key.modulus);
  let i = 0;
  while (i < m.length && m[i] === 0) i++;
  if (i === m.length) return 0;
  return (m.length - i - 1) * 8 + (32 - Math.clz32(m[i] as number));
};

/** A CSR block's facts (and its public key, which a leaf for it certifies). */
export function readCsr(pem: string): { facts: CsrFacts; spki: SubjectPublicKeyInfo } {
  let req: CertificationRequest;
  try {
    req = AsnConvert.parse(derOf(pem, 'CERTIFICATE REQUEST'), CertificationRequest);
  } catch (err) {
    if (err instanceof CsrUnreadable) throw err;
    throw new CsrUnreadable(`the CSR is not a PKCS #10 request (${(err as Error).message})`);
  }
  const info = req.certificationRequestInfo;
  const spki = info.subjectPKInfo;
  const alg = spki.algorithm.algorithm;
  const keyAlgorithm = alg === id_rsaEncryption ? 'RSA' : alg === ID_EC_PUBLIC_KEY ? 'EC' : alg;
  const commonNames = info.subject.flatMap((rdn) =>
    rdn.filter((a) => a.type === ID_COMMON_NAME).map((a) => a.value.toString()),
  );
  const sanIps: string[] = [];
  const sanDns: string[] = [];
  for (const attr of info.attributes) {
    if (attr.type !== ID_EXTENSION_REQUEST) continue;
    for (const value of attr.values) {
      for (const ext of AsnConvert.parse(value, Extensions)) {
        if (ext.extnID !== id_ce_subjectAltName) continue;
        for (const name of AsnConvert.parse(ext.extnValue, SubjectAlternativeName)) {
          if (name.iPAddress !== undefined) sanIps.push(name.iPAddress);
          if (name.dNSName !== undefined) sanDns.push(name.dNSName);
        }
      }
    }
  }
  let signatureValid = false;
  const hash = SIGNATURE_HASHES[req.signatureAlgorithm.algorithm];
  const raw = req.certificationRequestInfoRaw;
  if (hash !== undefined && raw !== undefined) {
    try {
      const key = createPublicKey({
        key: Buffer.from(AsnConvert.serialize(spki)),
        format: 'der',
        type: 'spki',
      });
      signatureValid = verify(hash, new Uint8Array(raw), key, new Uint8Array(req.signature));
    } catch {
      signatureValid = false;
    }
  }
  return {
    facts: {
      keyAlgorithm,
      ...(keyAlgorithm === 'RSA' ? { modulusBits: modulusBits(spki) } : {}),
      commonNames,
      sanIps,
      sanDns,
      signatureValid,
    },
    spki,
  };
}

/** The SubjectPublicKeyInfo in DER (what KMS `GetPublicKey` returns) as a schema object. */
export const spkiOf = (der: Uint8Array): SubjectPublicKeyInfo => AsnConvert.parse(der, SubjectPublicKeyInfo);

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's bytes. */
export const keyIdentifier = (spki: SubjectPublicKeyInfo): Uint8Array =>
  createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest();

const nameOf = (rdns: CertificateProfile['subject']): Name =>
  new Name(
    rdns.map(
      ([type, value]) =>
        new RelativeDistinguishedName([
          new AttributeTypeAndValue({
            type: type === 'CN' ? ID_COMMON_NAME : type === 'O' ? ID_ORGANIZATION : type,
            value: new AttributeValue({ utf8String: value }),
          }),
        ]),
    ),
  );

const USAGE_FLAGS = {
  digitalSignature: KeyUsageFlags.digitalSignature,
  keyEncipherment: KeyUsageFlags.keyEncipherment,
  keyCertSign: KeyUsageFlags.keyCertSign,
  cRLSign: KeyUsageFlags.cRLSign,
} as const;

const EKU_OIDS = { serverAuth: id_kp_serverAuth, clientAuth: id_kp_clientAuth } as const;

function extensionOf(
  spec: ExtensionSpec,
  subject: SubjectPublicKeyInfo,
  issuer: SubjectPublicKeyInfo,
): Extension {
  const ext = (extnID: string, value: unknown) =>
    new Extension({
      extnID,
      critical: spec.critical,
      extnValue: new OctetString(AsnConvert.serialize(value)),
    });
  switch (spec.kind) {
    case 'basicConstraints':
      return ext(
        id_ce_basicConstraints,
        spec.ca
          ? new BasicConstraints({ cA: true, pathLenConstraint: spec.pathLength })
          : new BasicConstraints({ cA: false }),
      );
    case 'keyUsage':
      return ext(id_ce_keyUsage, new KeyUsage(spec.usages.reduce((f, u) => f | USAGE_FLAGS[u], 0)));
    case 'extendedKeyUsage':
      return ext(id_ce_extKeyUsage, new ExtendedKeyUsage(spec.usages.map((u) => EKU_OIDS[u])));
    case 'subjectAltName':
      return ext(
        id_ce_subjectAltName,
        new SubjectAlternativeName(spec.ips.map((ip) => new GeneralName({ iPAddress: ip }))),
      );
    case 'subjectKeyIdentifier':
      return ext(id_ce_subjectKeyIdentifier, new SubjectKeyIdentifier(keyIdentifier(subject)));
    case 'authorityKeyIdentifier':
      return ext(
        id_ce_authorityKeyIdentifier,
        new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyIdentifier(issuer)) }),
      );
  }
}

/** What signs a TBSCertificate's DER: RSASSA-PKCS1-v1_5 with SHA-256 (KMS `Sign`). */
export type TbsSigner = (tbs: Uint8Array) => Promise<Uint8Array>;

/**
 * The certificate of `profile` for `subject`'s key, issued by `issuer` (a name and key; the same for a
 * self-signed CA): the TBSCertificate is DER-encoded, signed by `sign`, and assembled with its signature.
 */
export async function buildCertificate(input: {
  readonly profile: CertificateProfile;
  readonly subjectKey: SubjectPublicKeyInfo;
  readonly issuerName: Name | CertificateProfile['subject'];
  readonly issuerKey: SubjectPublicKeyInfo;
  readonly sign: TbsSigner;
}): Promise<{ der: Uint8Array; pem: string; fingerprint: string }> {
  const { profile } = input;
  const algorithm = new AlgorithmIdentifier({ algorithm: id_sha256WithRSAEncryption, parameters: null });
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: new Uint8Array(Buffer.from(profile.serial, 'hex')).buffer,
    signature: algorithm,
    issuer: input.issuerName instanceof Name ? input.issuerName : nameOf(input.issuerName),
    validity: new Validity({ notBefore: profile.notBefore, notAfter: profile.notAfter }),
    subject: nameOf(profile.subject),
    subjectPublicKeyInfo: input.subjectKey,
    extensions: new Extensions(
      profile.extensions.map((e) => extensionOf(e, input.subjectKey, input.issuerKey)),
    ),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = await input.sign(tbsDer);
  const cert = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: algorithm,
    signatureValue: new Uint8Array(signature).buffer,
  });
  const der = new Uint8Array(AsnConvert.serialize(cert));
  return { der, pem: toPem(der, 'CERTIFICATE'), fingerprint: fingerprintOf(der) };
}

/**
 * A CA certificate's subject name and public key, to name it as the issuer of the leaves it signs (its key
 * gives their authority key identifier: no KMS call per leaf).
 */
export function issuerOf(certificatePem: string): { name: Name; key: SubjectPublicKeyInfo } {
  const tbs = AsnConvert.parse(certificateDer(certificatePem), Certificate).tbsCertificate;
  return { name: tbs.subject, key: tbs.subjectPublicKeyInfo };
}
