/**
 * KMS in one region: asymmetric RSA keys for signing, with Node's crypto. The private key is held here and
 * never returned by any action (AWS KMS: "the private key never leaves AWS KMS unencrypted"; AWS KMS Developer
 * Guide, *Asymmetric keys in AWS KMS*).
 *
 * Modelled actions (AWS KMS API Reference):
 * - `CreateKey` (https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html): `KeySpec`
 *   RSA_2048 | RSA_3072 | RSA_4096 with `KeyUsage` SIGN_VERIFY; `Policy` is the key policy (when absent, the
 *   default key policy: the account's root principal may do anything).
 * - `GetPublicKey` (https://docs.aws.amazon.com/kms/latest/APIReference/API_GetPublicKey.html): the public key
 *   as a DER-encoded SubjectPublicKeyInfo, with `KeySpec`, `KeyUsage` and `SigningAlgorithms`.
 * - `Sign` (https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html): `MessageType` RAW (KMS hashes
 *   a message of up to 4096 bytes) or DIGEST (the message is the digest, whose length must match the
 *   algorithm's hash); `SigningAlgorithm` RSASSA_PKCS1_V1_5_SHA_256 or RSASSA_PSS_SHA_256 (PSS with RAW only).
 *   Signing needs `kms:Sign` under the key policy (see {@link policyAllows}); a caller without it gets
 *   `AccessDeniedException`.
 *
 * The caller is the twin's Lambda invocation: a function's principal is its role,
 * {@link functionRoleArn}. Anything else (a test, an SDK task of a workflow) is the twin's operator role.
 */
import { constants, generateKeyPairSync, type KeyObject, privateEncrypt, sign } from 'node:crypto';
import type { ApiHandler, KmsContract, SimContext, SimService } from '../core/contracts';
import { AwsError, NotModelledError } from '../core/errors';
import { invocationStore } from '../runner/invocation';

const KEY_SPECS = { RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 } as const;
type KeySpec = keyof typeof KEY_SPECS;
const SIGNING_ALGORITHMS = ['RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PSS_SHA_256'] as const;
/** DigestInfo of SHA-256 (RFC 8017 §9.2 note 1): what RSASSA-PKCS1-v1_5 signs around a 32-byte digest. */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/** The twin's principal of a Lambda function: its execution role (named after the function). */
export const functionRoleArn = (accountId: string, functionName: string): string =>
  `arn:aws:iam::${accountId}:role/${functionName}`;

/** Who calls when no Lambda invocation runs: tests and the twin's operator. */
export const operatorRoleArn = (accountId: string): string => `arn:aws:iam::${accountId}:role/twin-operator`;

interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Principal: '*' | { AWS: string | string[] };
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

interface Key {
  readonly keyId: string;
  readonly arn: string;
  readonly spec: KeySpec;
  readonly privateKey: KeyObject;
  readonly publicKeyDer: Buffer;
  readonly policy: PolicyStatement[];
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** IAM's action match: `*` is any run of characters (`kms:*`, `kms:Get*`), names compare case-insensitively. */
const actionMatches = (patterns: string[], action: string): boolean =>
  patterns.some((p) =>
    new RegExp(
      `^${p
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
      'i',
    ).test(action),
  );

/**
 * Whether a statement's condition holds for the caller. Only the operators the project's policies use on
 * `aws:PrincipalArn` are modelled (IAM User Guide, *IAM JSON policy elements: Condition operators*); any other
 * is a loud NotModelledError, never a guess.
 */
function conditionHolds(condition: PolicyStatement['Condition'], caller: string): boolean {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    for (const [key, values] of Object.entries(keys)) {
      if (key !== 'aws:PrincipalArn')
        throw new NotModelledError(
          `the twin's KMS key policies model only aws:PrincipalArn conditions, not ${key}`,
        );
      const matches = list(values).includes(caller);
      if (operator === 'StringEquals' || operator === 'ArnEquals') {
        if (!matches) return false;
      } else if (operator === 'StringNotEquals' || operator === 'ArnNotEquals') {
        if (matches) return false;
      } else throw new NotModelledError(`the twin's KMS key policies do not model the ${operator} operator`);
    }
  }
  return true;
}

/**
 * The key policy's verdict on `action` for `caller` (AWS KMS Developer Guide, *Key policies in AWS KMS*, and
 * IAM's evaluation logic: an explicit Deny wins over any Allow; without an Allow the request is denied). A
 * statement for the account's root principal lets IAM policies in the account grant the action: the twin
 * models no IAM policies and takes the worst case, that any principal of the account holds such a grant, so
 * only an explicit Deny keeps a principal of the account from a key whose policy names the root.
 */
export function policyAllows(
  policy: PolicyStatement[],
  action: string,
  caller: string,
  accountId: string,
): boolean {
  const principalMatches = (p: PolicyStatement['Principal']) => {
    if (p === '*') return true;
    const arns = list(p.AWS);
    return (
      arns.includes('*') ||
      arns.includes(caller) ||
      arns.includes(`arn:aws:iam::${accountId}:root`) ||
      arns.includes(accountId)
    );
  };
  const applies = (s: PolicyStatement) =>
    principalMatches(s.Principal) &&
    actionMatches(list(s.Action), action) &&
    conditionHolds(s.Condition, caller);
  if (policy.some((s) => s.Effect === 'Deny' && applies(s))) return false;
  return policy.some((s) => s.Effect === 'Allow' && applies(s));
}

/**
 * RSA key generation is slow (an RSA_3072 key takes 0.1-1 s of CPU: most of a twin's start, one CA key per
 * region): CreateKey draws its key pair from a per-process pool, the n-th key of a spec a world creates being
 * the pool's n-th (made on first use). Within one world every key is distinct, as KMS's are; worlds run one at
 * a time, and the key material was never seeded, so no world can tell its keys were another world's.
 */
const keyPool = new Map<KeySpec, { privateKey: KeyObject; publicKey: KeyObject }[]>();
const drawnBy = new WeakMap<object, Map<KeySpec, number>>();

function pooledKeyPair(world: object, spec: KeySpec): { privateKey: KeyObject; publicKey: KeyObject } {
  const drawn = drawnBy.get(world) ?? new Map<KeySpec, number>();
  drawnBy.set(world, drawn);
  const n = drawn.get(spec) ?? 0;
  drawn.set(spec, n + 1);
  const keys = keyPool.get(spec) ?? [];
  keyPool.set(spec, keys);
  while (keys.length <= n) keys.push(generateKeyPairSync('rsa', { modulusLength: KEY_SPECS[spec] }));
  return keys[n] as { privateKey: KeyObject; publicKey: KeyObject };
}

export class KmsSim implements SimService, KmsContract {
  readonly service = 'kms' as const;
  readonly api: Readonly<Record<string, ApiHandler>>;
  private readonly keys = new Map<string, Key>();

  constructor(private readonly ctx: SimContext) {
    this.api = {
      CreateKey: (input: { KeySpec?: string; KeyUsage?: string; Policy?: string; Description?: string }) =>
        this.createKey(input),
      GetPublicKey: (input: { KeyId?: string }) => this.getPublicKey(input),
      Sign: (input: {
        KeyId?: string;
        Message?: Uint8Array;
        MessageType?: string;
        SigningAlgorithm?: string;
      }) => this.sign(input),
    };
  }

  /** Deployment's CreateKey (what CloudFormation does for the stack's AWS::KMS::Key); returns the key ARN. */
  createSigningKey(spec: KeySpec, policy: string): string {
    return this.createKey({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY', Policy: policy }).KeyMetadata.Arn;
  }

  /** Every private key's PKCS #8 PEM, for the secret scan (none may appear in any history or log). */
  privateKeyPems(): string[] {
    return [...this.keys.values()].map((k) =>
      k.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    );
  }

  private caller(): string {
    const inv = invocationStore.getStore();
    return inv === undefined
      ? operatorRoleArn(this.ctx.world.accountId)
      : functionRoleArn(this.ctx.world.accountId, inv.functionName);
  }

  private createKey(input: { KeySpec?: string; KeyUsage?: string; Policy?: string }) {
    const spec = input.KeySpec ?? 'SYMMETRIC_DEFAULT';
    if (!(spec in KEY_SPECS))
      throw new NotModelledError(
        `the twin's KMS models RSA_2048/3072/4096 signing keys, not KeySpec ${spec}`,
      );
    if (input.KeyUsage !== 'SIGN_VERIFY')
      throw new AwsError(
        'ValidationException',
        `KeyUsage ${input.KeyUsage ?? 'ENCRYPT_DECRYPT'} is not modelled for ${spec}; the twin's RSA keys are SIGN_VERIFY`,
      );
    const account = this.ctx.world.accountId;
    let policy: PolicyStatement[];
    try {
      policy =
        input.Policy === undefined
          ? [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*' }]
          : list((JSON.parse(input.Policy) as { Statement: PolicyStatement | PolicyStatement[] }).Statement);
    } catch {
      throw new AwsError('MalformedPolicyDocumentException', 'The key policy is not valid JSON.');
    }
    const { privateKey, publicKey } = pooledKeyPair(this.ctx.world, spec as KeySpec);
    const h = this.ctx.rng.hex(32);
    const keyId = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
    const arn = `arn:aws:kms:${this.ctx.region}:${account}:key/${keyId}`;
    this.keys.set(keyId, {
      keyId,
      arn,
      spec: spec as KeySpec,
      privateKey,
      publicKeyDer: publicKey.export({ format: 'der', type: 'spki' }),
      policy,
    });
    this.ctx.timeline.add(this.ctx.region, 'kms', `CreateKey ${keyId} (${spec}, SIGN_VERIFY)`);
    return {
      KeyMetadata: {
        KeyId: keyId,
        Arn: arn,
        KeySpec: spec,
        KeyUsage: 'SIGN_VERIFY',
        KeyState: 'Enabled',
        Enabled: true,
        Origin: 'AWS_KMS',
        SigningAlgorithms: [...SIGNING_ALGORITHMS],
        CreationDate: new Date(this.ctx.clock.now()),
      },
    };
  }

  /** KeyId as a key id or a key ARN (aliases are not modelled: the deployment passes key ARNs). */
  private find(keyId: string | undefined): Key {
    const id = keyId?.startsWith('arn:') ? keyId.slice(keyId.indexOf(':key/') + 5) : keyId;
    const key = id === undefined ? undefined : this.keys.get(id);
    if (keyId?.startsWith('alias/') || keyId?.includes(':alias/'))
      throw new NotModelledError('the twin does not model KMS aliases');
    if (key === undefined || (keyId?.startsWith('arn:') && key.arn !== keyId))
      throw new AwsError('NotFoundException', `Key '${keyId}' does not exist`);
    return key;
  }

  private authorize(key: Key, action: string): void {
    const caller = this.caller();
    if (!policyAllows(key.policy, action, caller, this.ctx.world.accountId))
      throw new AwsError(
        'AccessDeniedException',
        `User: ${caller} is not authorized to perform: ${action} on resource: ${key.arn} because no resource-based policy allows the ${action} action`,
      );
  }

  private getPublicKey(input: { KeyId?: string }) {
    const key = this.find(input.KeyId);
    this.authorize(key, 'kms:GetPublicKey');
    return {
      KeyId: key.arn,
      PublicKey: new Uint8Array(key.publicKeyDer),
      KeySpec: key.spec,
      KeyUsage: 'SIGN_VERIFY',
      SigningAlgorithms: [...SIGNING_ALGORITHMS],
    };
  }

  private sign(input: {
    KeyId?: string;
    Message?: Uint8Array;
    MessageType?: string;
    SigningAlgorithm?: string;
  }) {
    const key = this.find(input.KeyId);
    this.authorize(key, 'kms:Sign');
    const algorithm = input.SigningAlgorithm;
    if (!SIGNING_ALGORITHMS.includes(algorithm as (typeof SIGNING_ALGORITHMS)[number]))
      throw new AwsError(
        'InvalidKeyUsageException',
        `The signing algorithm ${algorithm} is not valid for this key (modelled: ${SIGNING_ALGORITHMS.join(', ')})`,
      );
    const message = Buffer.from(input.Message ?? new Uint8Array());
    const type = input.MessageType ?? 'RAW';
    if (message.length === 0) throw new AwsError('ValidationException', 'Message must not be empty');
    let signature: Buffer;
    if (type === 'RAW') {
      if (message.length > 4096)
        throw new AwsError(
          'ValidationException',
          'A RAW message must be at most 4096 bytes; use MessageType DIGEST',
        );
      signature =
        algorithm === 'RSASSA_PSS_SHA_256'
          ? sign('sha256', message, {
              key: key.privateKey,
              padding: constants.RSA_PKCS1_PSS_PADDING,
              saltLength: 32,
            })
          : sign('sha256', message, key.privateKey);
    } else if (type === 'DIGEST') {
      if (message.length !== 32)
        throw new AwsError('ValidationException', `A SHA-256 digest is 32 bytes, got ${message.length}`);
      if (algorithm !== 'RSASSA_PKCS1_V1_5_SHA_256')
        throw new NotModelledError('the twin models MessageType DIGEST with RSASSA_PKCS1_V1_5_SHA_256 only');
      signature = privateEncrypt(
        { key: key.privateKey, padding: constants.RSA_PKCS1_PADDING },
        Buffer.concat([SHA256_DIGEST_INFO, message]),
      );
    } else throw new AwsError('ValidationException', `MessageType must be RAW or DIGEST, not ${type}`);
    return { KeyId: key.arn, Signature: new Uint8Array(signature), SigningAlgorithm: algorithm };
  }
}
