/**
 * The cluster CA's records: each deployed generation's self-signed certificate (built here, signed by its KMS
 * key), the `PKI` item, the public bundle in SSM, and a CA rotation's phases. Decisions are
 * functions/core/pki.ts's; this reads, signs and writes.
 */
import { randomBytes } from 'node:crypto';
import { certificateAuditPut } from '../core/audit';
import { caKey, pkiKey, type TableKey } from '../core/keys';
import { caProfile } from '../core/pki';
import {
  applyPhase,
  type CaPhase,
  type CaRecord,
  type ConditionalPut,
  caCreatePut,
  initialPki,
  type PkiState,
  parsePki,
  pkiCreatePut,
  pkiTransitionPut,
} from '../core/pki-state';
import { putAudit } from '../shared/audit';
import { dynamoDocSdk } from '../shared/clients/dynamodb';
import { kmsSdk } from '../shared/clients/kms';
import { ssmSdk } from '../shared/clients/ssm';
import { CaPhaseRefused, ConfigurationError, ConflictError } from '../shared/errors';
import type { Deps } from '../shared/handler';
import type { SignerConfig } from './config';
import { buildCertificate, spkiOf, type TbsSigner } from './x509';

export type SignerDeps = Deps<'dynamoDoc' | 'kms' | 'ssm' | 'ec2' | 'autoScaling'>;

/** KMS `Sign` of a TBSCertificate with a CA generation's key: RSASSA-PKCS1-v1_5 over SHA-256 of the message. */
export const kmsSigner =
  (keyArn: string, deps: Pick<SignerDeps, 'clients'>): TbsSigner =>
  async (tbs) => {
    const { SignCommand } = kmsSdk();
    const out = await deps.clients.kms().send(
      new SignCommand({
        KeyId: keyArn,
        Message: tbs,
        MessageType: 'RAW',
        SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
      }),
    );
    if (out.Signature === undefined) throw new Error(`KMS Sign with ${keyArn} returned no signature`);
    return out.Signature;
  };

/** The public key of a generation's KMS key (SubjectPublicKeyInfo DER). */
export async function caPublicKey(keyArn: string, deps: Pick<SignerDeps, 'clients'>) {
  const { GetPublicKeyCommand } = kmsSdk();
  const out = await deps.clients.kms().send(new GetPublicKeyCommand({ KeyId: keyArn }));
  if (out.PublicKey === undefined) throw new Error(`KMS GetPublicKey of ${keyArn} returned no key`);
  return spkiOf(out.PublicKey);
}

const isConditionFailure = (err: unknown) => (err as Error).name === 'ConditionalCheckFailedException';

async function put(
  config: SignerConfig,
  p: ConditionalPut,
  deps: Pick<SignerDeps, 'clients'>,
): Promise<boolean> {
  const { PutCommand } = dynamoDocSdk();
  try {
    await deps.clients.dynamoDoc().send(new PutCommand({ TableName: config.stateTable, ...p }));
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

async function get(config: SignerConfig, key: TableKey, deps: Pick<SignerDeps, 'clients'>) {
  const { GetCommand } = dynamoDocSdk();
  const out = await deps.clients
    .dynamoDoc()
    .send(new GetCommand({ TableName: config.stateTable, Key: key, ConsistentRead: true }));
  return out.Item;
}

/** Makes generation `n`'s self-signed CA certificate with its KMS key and records it (the first record wins). */
async function createCa(
  config: SignerConfig,
  generation: number,
  keyArn: string,
  deps: SignerDeps,
): Promise<CaRecord> {
  const now = new Date((deps.now ?? Date.now)());
  const key = await caPublicKey(keyArn, deps);
  const profile = caProfile({
    cluster: config.cluster,
    region: config.region,
    generation,
    now,
    lifetimeDays: config.caLifetimeDays,
    random: randomBytes(16),
  });
  const cert = await buildCertificate({
    profile,
    subjectKey: key,
    issuerName: profile.subject,
    issuerKey: key,
    sign: kmsSigner(keyArn, deps),
  });
  const record: CaRecord = {
    generation,
    keyArn,
    certificate: cert.pem,
    serial: profile.serial,
    notAfter: profile.notAfter.toISOString(),
    fingerprint: cert.fingerprint,
  };
  if (!(await put(config, caCreatePut(config.cluster, record), deps))) {
    const stored = await get(config, caKey(config.cluster, generation), deps);
    if (stored === undefined)
      throw new Error(`CA item of generation ${generation} vanished after a conflict`);
    return stored as unknown as CaRecord;
  }
  deps.logger.info('CA certificate created', {
    generation,
    serial: record.serial,
    fingerprint: record.fingerprint,
  });
  await putAudit(
    config.stateTable,
    certificateAuditPut(
      {
        cluster: config.cluster,
        at: now.getTime(),
        kind: 'ca-created',
        generation,
        serial: record.serial,
        notAfter: record.notAfter,
        fingerprint: record.fingerprint,
      },
      now.getTime(),
    ),
    deps,
  );
  return record;
}

/** The CA as recorded: the PKI state and the record of every deployed or trusted generation. */
export interface CaView {
  readonly pki: PkiState;
  readonly records: ReadonlyMap<number, CaRecord>;
  /** This call made a CA certificate or the PKI item (the bundle may have changed). */
  readonly created: boolean;
}

/**
 * Every deployed generation has its certificate and the PKI item exists (the first time: the newest
 * deployed generation issues and is trusted). Returns what is recorded.
 */
export async function ensureCa(config: SignerConfig, deps: SignerDeps): Promise<CaView> {
  const records = new Map<number, CaRecord>();
  let created = false;
  for (const [generation, keyArn] of config.caKeys) {
    const stored = await get(config, caKey(config.cluster, generation), deps);
    if (stored === undefined) created = true;
    records.set(
      generation,
      (stored as unknown as CaRecord) ?? (await createCa(config, generation, keyArn, deps)),
    );
  }
  let item = await get(config, pkiKey(config.cluster), deps);
  if (item === undefined) {
    created = true;
    const first = initialPki([...config.caKeys.keys()]);
    if (!(await put(config, pkiCreatePut(config.cluster, first), deps)))
      item = await get(config, pkiKey(config.cluster), deps);
    else item = { ...first };
  }
  const pki = parsePki(item as Record<string, unknown>);
  for (const generation of new Set([pki.active, ...pki.trusted])) {
    if (records.has(generation)) continue;
    const stored = await get(config, caKey(config.cluster, generation), deps);
    if (stored === undefined)
      throw new ConfigurationError(
        `CA generation ${generation} is ${generation === pki.active ? 'active' : 'trusted'} but neither deployed (CA_KEYS) nor recorded`,
      );
    records.set(generation, stored as unknown as CaRecord);
  }
  return { pki, records, created };
}

/** The trusted CA certificates, the issuing one first. */
export function bundleOf(view: CaView): string {
  const order = [view.pki.active, ...view.pki.trusted.filter((g) => g !== view.pki.active)];
  return order.map((g) => (view.records.get(g) as CaRecord).certificate).join('');
}

/**
 * Publishes the bundle to the SSM parameter when it differs from the stored value. Intelligent-Tiering: a
 * bundle of two CA certificates fits the standard tier's 4 KB, and a larger one moves to the advanced tier
 * instead of failing (Systems Manager User Guide, *Managing parameter tiers*).
 */
export async function publishBundle(
  config: SignerConfig,
  bundle: string,
  deps: Pick<SignerDeps, 'clients' | 'logger'>,
) {
  const { GetParameterCommand, PutParameterCommand } = ssmSdk();
  let current: string | undefined;
  try {
    current = (await deps.clients.ssm().send(new GetParameterCommand({ Name: config.bundleParameter })))
      .Parameter?.Value;
  } catch (err) {
    if ((err as Error).name !== 'ParameterNotFound') throw err;
  }
  if (current === bundle) return;
  await deps.clients.ssm().send(
    new PutParameterCommand({
      Name: config.bundleParameter,
      Value: bundle,
      Type: 'String',
      Overwrite: true,
      Tier: 'Intelligent-Tiering',
      Description: `${config.cluster} cluster CA bundle (public certificates)`,
    }),
  );
  deps.logger.info('CA bundle published', { parameter: config.bundleParameter });
}

/** What `ca` and `caPhase` return. */
export function caResult(config: SignerConfig, view: CaView) {
  const { pki } = view;
  return {
    active: pki.active,
    trusted: [...pki.trusted],
    caBundle: bundleOf(view),
    ...(pki.rotation !== undefined
      ? { rotation: { from: pki.rotation.from, to: pki.rotation.to, phase: pki.rotation.phase } }
      : {}),
    generations: [...view.records.values()]
      .sort((a, b) => a.generation - b.generation)
      .map((r) => ({ generation: r.generation, fingerprint: r.fingerprint, notAfter: r.notAfter })),
    deployed: [...config.caKeys.keys()],
  };
}

/** `ca`: every deployed generation certified, the PKI item present, the bundle published. */
export async function ca(config: SignerConfig, deps: SignerDeps) {
  const view = await ensureCa(config, deps);
  await publishBundle(config, bundleOf(view), deps);
  return caResult(config, view);
}

/** `caPhase`: one resumable phase of a CA rotation to the newest deployed generation (see core applyPhase). */
export async function caPhase(config: SignerConfig, phase: CaPhase, execution: string, deps: SignerDeps) {
  const view = await ensureCa(config, deps);
  const newest = Math.max(...config.caKeys.keys());
  const now = (deps.now ?? Date.now)();
  const result = applyPhase(view.pki, phase, newest, execution, new Date(now));
  if (result.kind === 'refuse')
    throw new CaPhaseRefused(
      result.current,
      `CA phase ${phase} refused: ${result.reason} (current phase: ${result.current})`,
    );
  let next = view;
  if (result.kind === 'update') {
    if (!(await put(config, pkiTransitionPut(config.cluster, view.pki, result.state), deps)))
      throw new ConflictError(
        `CA phase ${phase}: the PKI item changed under this run (it read version ${view.pki.version}); a retry reads it again`,
      );
    next = { ...view, pki: result.state };
    deps.logger.info('CA phase applied', {
      phase,
      active: result.state.active,
      trusted: result.state.trusted,
    });
    await putAudit(
      config.stateTable,
      certificateAuditPut(
        {
          cluster: config.cluster,
          at: now,
          execution,
          kind: 'ca-phase',
          phase,
          active: result.state.active,
          trusted: result.state.trusted,
        },
        now,
      ),
      deps,
    );
  }
  await publishBundle(config, bundleOf(next), deps);
  return caResult(config, next);
}
