/**
 * The twin's KMS and Parameter Store on their own: what the KMS API reference says CreateKey, GetPublicKey and
 * Sign do, the key policy deciding who signs, and the errors for what is refused.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { caKeyPolicy } from '../../../infra/cluster-ca';
import { VirtualClock } from '../../../sim/core/clock';
import type { ApiHandler, SimContext } from '../../../sim/core/contracts';
import { Rng } from '../../../sim/core/rng';
import { Timeline } from '../../../sim/core/timeline';
import { invocationStore } from '../../../sim/runner/invocation';
import { functionRoleArn, KmsSim, operatorRoleArn, policyAllows } from '../../../sim/services/kms';
import { ParameterStore } from '../../../sim/services/parameters';

const ACCOUNT = '111122223333';
const clock = new VirtualClock(Date.UTC(2026, 0, 1));
const ctx = {
  region: 'eu-west-1',
  clock,
  rng: new Rng(1),
  timeline: new Timeline(() => clock.now()),
  world: { accountId: ACCOUNT },
} as unknown as SimContext;

const kms = new KmsSim(ctx);
const handlerOf = (api: Readonly<Record<string, ApiHandler>>, name: string): ApiHandler => {
  const h = api[name];
  if (h === undefined) throw new Error(`no ${name}`);
  return h;
};
const kmsApi = (name: string) => handlerOf(kms.api, name);
const SIGNER = functionRoleArn(ACCOUNT, 'c-signer');
const asFunction = <T>(name: string, fn: () => T): T =>
  invocationStore.run({ region: 'eu-west-1', functionName: name, env: {}, lines: [] }, fn);
const sign = (KeyId: string, Message: Uint8Array, extra: Record<string, unknown> = {}) =>
  kmsApi('Sign')({
    KeyId,
    Message,
    MessageType: 'RAW',
    SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
    ...extra,
  }) as {
    Signature: Uint8Array;
  };
const publicKey = (KeyId: string) =>
  createPublicKey({
    key: Buffer.from((kmsApi('GetPublicKey')({ KeyId }) as { PublicKey: Uint8Array }).PublicKey),
    format: 'der',
    type: 'spki',
  });

describe("the twin's KMS", () => {
  const key = kms.createSigningKey('RSA_2048', JSON.stringify(caKeyPolicy(ACCOUNT, SIGNER)));
  const message = new TextEncoder().encode('to be signed');

  it('creates RSA SIGN_VERIFY keys of the asked size, whose public key is SPKI DER', () => {
    expect(key).toMatch(/^arn:aws:kms:eu-west-1:111122223333:key\/[0-9a-f-]{36}$/);
    expect(publicKey(key).asymmetricKeyDetails?.modulusLength).toBe(2048);
    const out = kmsApi('CreateKey')({ KeySpec: 'RSA_4096', KeyUsage: 'SIGN_VERIFY' }) as {
      KeyMetadata: { Arn: string; KeySpec: string };
    };
    expect(out.KeyMetadata.KeySpec).toBe('RSA_4096');
    expect(publicKey(out.KeyMetadata.Arn).asymmetricKeyDetails?.modulusLength).toBe(4096);
    expect(() => kmsApi('CreateKey')({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })).toThrow(
      expect.objectContaining({ name: 'TwinNotModelled' }),
    );
    expect(() => kmsApi('CreateKey')({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' })).toThrow(
      expect.objectContaining({ name: 'ValidationException' }),
    );
    expect(() => kmsApi('CreateKey')({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY', Policy: '{' })).toThrow(
      expect.objectContaining({ name: 'MalformedPolicyDocumentException' }),
    );
  });

  it('signs for the signer role: RAW (KMS hashes) and DIGEST give the same PKCS#1 v1.5 signature, PSS verifies', () => {
    const raw = asFunction('c-signer', () => sign(key, message));
    expect(verify('sha256', message, publicKey(key), raw.Signature)).toBe(true);
    const digest = createHash('sha256').update(message).digest();
    const viaDigest = asFunction('c-signer', () => sign(key, digest, { MessageType: 'DIGEST' }));
    expect(Buffer.from(viaDigest.Signature)).toEqual(Buffer.from(raw.Signature));
    const pss = asFunction('c-signer', () => sign(key, message, { SigningAlgorithm: 'RSASSA_PSS_SHA_256' }));
    expect(
      verify(
        'sha256',
        message,
        { key: publicKey(key), padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 },
        pss.Signature,
      ),
    ).toBe(true);
  });

  it('refuses every other principal with AccessDeniedException, even one the account root would cover', () => {
    for (const caller of [() => sign(key, message), () => asFunction('c-lease', () => sign(key, message))])
      expect(caller).toThrow(
        expect.objectContaining({
          name: 'AccessDeniedException',
          message: expect.stringContaining('kms:Sign'),
        }),
      );
    // The account may still read the public key (it is public) while it may not sign.
    expect(() => kmsApi('GetPublicKey')({ KeyId: key })).not.toThrow();
    // A key whose policy is the default (root kms:*): with no Deny, any principal of the account signs.
    const open = kms.createSigningKey(
      'RSA_2048',
      JSON.stringify({
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
            Action: 'kms:*',
            Resource: '*',
          },
        ],
      }),
    );
    expect(() => asFunction('c-lease', () => sign(open, message))).not.toThrow();
  });

  it('refuses what the API reference refuses', () => {
    const as =
      <T>(f: () => T) =>
      () =>
        asFunction('c-signer', f);
    expect(as(() => sign('arn:aws:kms:eu-west-1:111122223333:key/nope', message))).toThrow(
      expect.objectContaining({ name: 'NotFoundException' }),
    );
    expect(as(() => sign(key, new Uint8Array(4097)))).toThrow(
      expect.objectContaining({ name: 'ValidationException', message: expect.stringContaining('4096') }),
    );
    expect(as(() => sign(key, new Uint8Array(20), { MessageType: 'DIGEST' }))).toThrow(
      expect.objectContaining({ name: 'ValidationException' }),
    );
    expect(as(() => sign(key, message, { SigningAlgorithm: 'ECDSA_SHA_256' }))).toThrow(
      expect.objectContaining({ name: 'InvalidKeyUsageException' }),
    );
    expect(as(() => sign('alias/c-ca-g1', message))).toThrow(
      expect.objectContaining({ name: 'TwinNotModelled' }),
    );
  });

  it('never lets a private key out: no action returns one; the secret scan can list them', () => {
    const outputs = JSON.stringify([
      kmsApi('GetPublicKey')({ KeyId: key }),
      asFunction('c-signer', () => sign(key, message)),
    ]);
    expect(outputs).not.toContain('PRIVATE KEY');
    expect(kms.privateKeyPems().every((p) => p.startsWith('-----BEGIN PRIVATE KEY-----'))).toBe(true);
  });

  it("draws key pairs from the process's pool: distinct within a world, across its regions too", () => {
    const world = { accountId: ACCOUNT };
    const inRegion = (region: string) => new KmsSim({ ...ctx, region, world } as unknown as SimContext);
    const [a, b] = [inRegion('eu-west-1'), inRegion('us-east-1')];
    const spki = (k: KmsSim, KeyId: string) =>
      Buffer.from(
        (handlerOf(k.api, 'GetPublicKey')({ KeyId }) as { PublicKey: Uint8Array }).PublicKey,
      ).toString('hex');
    const create = (k: KmsSim) =>
      k.createSigningKey('RSA_2048', JSON.stringify(caKeyPolicy(ACCOUNT, SIGNER)));
    const keys = [spki(a, create(a)), spki(b, create(b)), spki(a, create(a))];
    expect(new Set(keys).size).toBe(3);
    // Another world draws the same pool from its start: its first key is this world's first.
    const other = new KmsSim({ ...ctx, world: { accountId: ACCOUNT } } as unknown as SimContext);
    expect(spki(other, create(other))).toBe(keys[0]);
  });
});

describe('key policy evaluation', () => {
  const policy = caKeyPolicy(ACCOUNT, SIGNER).Statement as Parameters<typeof policyAllows>[0];
  it('gives kms:Sign to the signer alone and administration to the account', () => {
    expect(policyAllows(policy, 'kms:Sign', SIGNER, ACCOUNT)).toBe(true);
    expect(policyAllows(policy, 'kms:Sign', operatorRoleArn(ACCOUNT), ACCOUNT)).toBe(false);
    expect(policyAllows(policy, 'kms:Sign', `arn:aws:iam::${ACCOUNT}:root`, ACCOUNT)).toBe(false);
    expect(policyAllows(policy, 'kms:ScheduleKeyDeletion', operatorRoleArn(ACCOUNT), ACCOUNT)).toBe(true);
    expect(policyAllows(policy, 'kms:Decrypt', operatorRoleArn(ACCOUNT), ACCOUNT)).toBe(false);
  });
});

describe("the twin's Parameter Store", () => {
  const store = new ParameterStore(ctx);
  const api = store.api();
  const storeApi = (name: string) => handlerOf(api, name);
  it('creates, refuses to overwrite unless asked, versions, and reads back', () => {
    expect(storeApi('PutParameter')({ Name: '/c/ca-bundle', Value: 'a', Type: 'String' })).toEqual({
      Version: 1,
      Tier: 'Standard',
    });
    expect(() => storeApi('PutParameter')({ Name: '/c/ca-bundle', Value: 'b' })).toThrow(
      expect.objectContaining({ name: 'ParameterAlreadyExists' }),
    );
    expect(storeApi('PutParameter')({ Name: '/c/ca-bundle', Value: 'b', Overwrite: true })).toEqual({
      Version: 2,
      Tier: 'Standard',
    });
    expect(storeApi('GetParameter')({ Name: '/c/ca-bundle' })).toMatchObject({
      Parameter: { Value: 'b', Version: 2, Type: 'String' },
    });
    expect(store.valueOf('/c/ca-bundle')).toBe('b');
    expect(() => storeApi('GetParameter')({ Name: '/c/none' })).toThrow(
      expect.objectContaining({ name: 'ParameterNotFound' }),
    );
  });

  it('tiers by size: Intelligent-Tiering moves past 4 KB to advanced, nothing holds more than 8 KB', () => {
    expect(
      storeApi('PutParameter')({ Name: '/big', Value: 'x'.repeat(5000), Tier: 'Intelligent-Tiering' }),
    ).toMatchObject({ Tier: 'Advanced' });
    expect(() => storeApi('PutParameter')({ Name: '/std', Value: 'x'.repeat(5000) })).toThrow(
      expect.objectContaining({ name: 'ValidationException' }),
    );
    expect(() =>
      storeApi('PutParameter')({ Name: '/huge', Value: 'x'.repeat(9000), Tier: 'Advanced' }),
    ).toThrow(expect.objectContaining({ name: 'ValidationException' }));
    expect(() => storeApi('PutParameter')({ Name: '/s', Value: 'x', Type: 'SecureString' })).toThrow(
      expect.objectContaining({ name: 'TwinNotModelled' }),
    );
  });
});
