/**
 * The cluster CA's decisions, pure: whether a node's CSR may be signed, what every certificate the signer
 * builds contains (the leaf and the CA profiles), serial numbers, and the `PKI` item's state machine for a CA
 * rotation (trust → reissue → drop), with the conditional writes that move it. The signer
 * (functions/signer) parses, asks AWS and signs; it decides nothing. The CA's state is ./pki-state.ts.
 *
 * JFrog's custom certificate for the router and Access: the subject is the node's IP (`shared.node.ip`), key
 * usage is critical (digitalSignature, keyEncipherment), extended key usage serverAuth and clientAuth, RSA keys
 * (JFrog Installation & Setup, *Managing TLS Certificates*; issue 13).
 */
/** Why a CSR is refused: the check that failed. */
export type CsrCheck =
  | 'csr-blocks'
  | 'csr-malformed'
  | 'signature'
  | 'key-algorithm'
  | 'key-size'
  | 'subject'
  | 'san'
  | 'instance'
  | 'group'
  | 'issuer';

/** What the signer read from a CSR (functions/signer/csr.ts), before any decision. */
export interface CsrFacts {
  /** The subject public key's algorithm: `RSA`, `EC`, or the OID of anything else. */
  readonly keyAlgorithm: string;
  /** RSA modulus length in bits (absent for other algorithms). */
  readonly modulusBits?: number;
  /** Every CN in the subject, in order. */
  readonly commonNames: readonly string[];
  /** Every IP address the CSR's requested subjectAltName names. */
  readonly sanIps: readonly string[];
  /** Every DNS name the CSR's requested subjectAltName names (ignored: the signer sets the SAN itself). */
  readonly sanDns?: readonly string[];
  /** The CSR's self-signature verifies against its own public key. */
  readonly signatureValid: boolean;
}

/** What EC2 and Auto Scaling say about the instance the CSR is for. */
export interface InstanceFacts {
  readonly instanceId: string;
  /** Absent: EC2 does not know the instance (or it has no private IP). */
  readonly privateIp?: string;
  /** The Auto Scaling group the instance belongs to, if any. */
  readonly groupName?: string;
}

/** The signer's policy: the smallest RSA key, and the cluster's groups in this region (primary, member). */
export interface CsrPolicy {
  readonly minKeyBits: number;
  readonly groups: readonly string[];
}

export type CsrVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly check: CsrCheck; readonly reason: string };

const refuse = (check: CsrCheck, reason: string): CsrVerdict => ({ ok: false, check, reason });

/**
 * Whether the CSR may be signed for this instance, checked in order: the CSR's signature, an RSA key of at
 * least `minKeyBits`, the instance known with a private IP and in one of the cluster's groups, the subject's
 * only CN and the SAN's only IP both equal to that IP. The first failing check is the reason, with the values.
 */
export function checkCsr(csr: CsrFacts, instance: InstanceFacts, policy: CsrPolicy): CsrVerdict {
  if (!csr.signatureValid)
    return refuse('signature', 'the CSR signature does not verify against its public key');
  if (csr.keyAlgorithm !== 'RSA')
    return refuse('key-algorithm', `the CSR key is ${csr.keyAlgorithm}, only RSA keys are signed`);
  const bits = csr.modulusBits ?? 0;
  if (bits < policy.minKeyBits)
    return refuse('key-size', `the CSR key is RSA ${bits} bits, at least ${policy.minKeyBits} are required`);
  if (instance.privateIp === undefined)
    return refuse('instance', `instance ${instance.instanceId} is unknown to EC2 or has no private IP`);
  if (!policy.groups.some((g) => g === instance.groupName))
    return refuse(
      'group',
      `instance ${instance.instanceId} is in ${instance.groupName === undefined ? 'no Auto Scaling group' : `group ${instance.groupName}`}, not in the cluster's groups (${policy.groups.join(', ')})`,
    );
  const ip = instance.privateIp;
  if (csr.commonNames.length !== 1 || csr.commonNames[0] !== ip)
    return refuse(
      'subject',
      `the CSR subject CN is [${csr.commonNames.join(', ')}], instance ${instance.instanceId}'s private IP is ${ip}`,
    );
  if (csr.sanIps.length !== 1 || csr.sanIps[0] !== ip)
    return refuse(
      'san',
      `the CSR SAN IPs are [${csr.sanIps.join(', ')}], exactly one equal to instance ${instance.instanceId}'s private IP ${ip} is required`,
    );
  return { ok: true };
}

export type KeyUsageName = 'digitalSignature' | 'keyEncipherment' | 'keyCertSign' | 'cRLSign';
export type ExtendedKeyUsageName = 'serverAuth' | 'clientAuth';

/**
 * One extension of a certificate the signer builds. Key identifiers are computed from the keys by the builder
 * (RFC 5280 §4.2.1.2 method 1), so the profile names them only.
 */
export type ExtensionSpec =
  | { readonly kind: 'basicConstraints'; readonly critical: true; readonly ca: false }
  | { readonly kind: 'basicConstraints'; readonly critical: true; readonly ca: true; readonly pathLength: 0 }
  | { readonly kind: 'keyUsage'; readonly critical: true; readonly usages: readonly KeyUsageName[] }
  | {
      readonly kind: 'extendedKeyUsage';
      readonly critical: false;
      readonly usages: readonly ExtendedKeyUsageName[];
    }
  | { readonly kind: 'subjectAltName'; readonly critical: false; readonly ips: readonly string[] }
  | { readonly kind: 'subjectKeyIdentifier'; readonly critical: false }
  | { readonly kind: 'authorityKeyIdentifier'; readonly critical: false };

/** Everything a certificate holds but its keys and signature. */
export interface CertificateProfile {
  /** Positive, 16 bytes, lowercase hex. */
  readonly serial: string;
  /** Relative distinguished names in order, as `[type, value]` (`CN`, `O`). */
  readonly subject: readonly (readonly [string, string])[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: readonly ExtensionSpec[];
}

const DAY_MS = 86_400_000;

/** The extensions of every leaf, whatever its CSR asked for: the only ones a leaf ever carries. */
export function leafExtensions(ip: string): ExtensionSpec[] {
  return [
    { kind: 'basicConstraints', critical: true, ca: false },
    { kind: 'keyUsage', critical: true, usages: ['digitalSignature', 'keyEncipherment'] },
    { kind: 'extendedKeyUsage', critical: false, usages: ['serverAuth', 'clientAuth'] },
    { kind: 'subjectAltName', critical: false, ips: [ip] },
    { kind: 'subjectKeyIdentifier', critical: false },
    { kind: 'authorityKeyIdentifier', critical: false },
  ];
}

/** The extensions of a CA generation's self-signed certificate. */
export const CA_EXTENSIONS: readonly ExtensionSpec[] = [
  { kind: 'basicConstraints', critical: true, ca: true, pathLength: 0 },
  { kind: 'keyUsage', critical: true, usages: ['keyCertSign', 'cRLSign'] },
  { kind: 'subjectKeyIdentifier', critical: false },
];

/**
 * A certificate serial from 16 random bytes: the top bit cleared (positive, RFC 5280 §4.1.2.2) and the next
 * one set, so the DER integer is exactly 16 bytes (no leading zero to strip): 126 random bits, above the
 * CA/Browser Forum's 64.
 */
export function serialFromBytes(random: Uint8Array): string {
  if (random.length !== 16) throw new Error(`a serial takes 16 random bytes, got ${random.length}`);
  const bytes = Uint8Array.from(random);
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x40;
  return Buffer.from(bytes).toString('hex');
}

/** What a leaf decision needs beside the CSR and the instance. */
export interface LeafRequest {
  readonly now: Date;
  readonly lifetimeDays: number;
  /** 16 random bytes for the serial. */
  readonly random: Uint8Array;
  /**
   * The issuing CA certificate's notAfter: a leaf never outlives its issuer (RFC 5280 §6.1.3 checks every
   * certificate of the path for validity at the time of use), so a CA near its end issues shorter leaves.
   */
  readonly issuerNotAfter?: Date;
}

export type IssueDecision =
  | { readonly kind: 'refuse'; readonly check: CsrCheck; readonly reason: string }
  | { readonly kind: 'issue'; readonly profile: CertificateProfile };

/**
 * The leaf for a CSR, or the refusal: subject CN = the instance's private IP, validity from `now` for
 * `lifetimeDays`, the {@link leafExtensions} and nothing the CSR asked for.
 */
export function decideLeaf(
  csr: CsrFacts,
  instance: InstanceFacts,
  policy: CsrPolicy,
  request: LeafRequest,
): IssueDecision {
  const verdict = checkCsr(csr, instance, policy);
  if (!verdict.ok) return { kind: 'refuse', check: verdict.check, reason: verdict.reason };
  if (request.issuerNotAfter !== undefined && request.issuerNotAfter.getTime() <= request.now.getTime())
    return {
      kind: 'refuse',
      check: 'issuer',
      reason: `the issuing CA expired at ${request.issuerNotAfter.toISOString()}: rotate the CA to a new generation`,
    };
  const ip = instance.privateIp as string;
  return {
    kind: 'issue',
    profile: {
      serial: serialFromBytes(request.random),
      subject: [['CN', ip]],
      notBefore: request.now,
      notAfter: new Date(
        Math.min(
          request.now.getTime() + request.lifetimeDays * DAY_MS,
          request.issuerNotAfter?.getTime() ?? Infinity,
        ),
      ),
      extensions: leafExtensions(ip),
    },
  };
}

/** A CA generation's certificate: `CN=<cluster> cluster CA G<n>, O=<region>`, `caLifetimeDays` from `now`. */
export function caProfile(input: {
  readonly cluster: string;
  readonly region: string;
  readonly generation: number;
  readonly now: Date;
  readonly lifetimeDays: number;
  readonly random: Uint8Array;
}): CertificateProfile {
  return {
    serial: serialFromBytes(input.random),
    subject: [
      ['CN', `${input.cluster} cluster CA G${input.generation}`],
      ['O', input.region],
    ],
    notBefore: input.now,
    notAfter: new Date(input.now.getTime() + input.lifetimeDays * DAY_MS),
    extensions: CA_EXTENSIONS,
  };
}
