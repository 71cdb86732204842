/**
 * The cluster CA's state, pure: the `PKI` item (which generation issues, which are trusted, a CA rotation in
 * progress) and its moves through a rotation's resumable phases (trust → reissue → drop), the `CA#<n>` items,
 * and the conditional writes that record them (docs/certificates.md).
 */
import { caKey, pkiKey } from './keys';

export type CaPhase = 'trust' | 'reissue' | 'drop';
export const CA_PHASES: readonly CaPhase[] = ['trust', 'reissue', 'drop'];

export interface CaRotation {
  readonly from: number;
  readonly to: number;
  readonly phase: 'trust' | 'reissue';
  readonly execution: string;
  readonly since: string;
}

/** The `PKI` item: the generation that issues, the trusted ones, a rotation in progress; `version` orders writes. */
export interface PkiState {
  readonly active: number;
  readonly trusted: readonly number[];
  readonly rotation?: CaRotation;
  readonly version: number;
}

/** The state of a cluster whose PKI item does not exist yet: the newest deployed generation issues and is trusted. */
export function initialPki(deployed: readonly number[]): PkiState {
  if (deployed.length === 0) throw new Error('no CA generation is deployed');
  const newest = Math.max(...deployed);
  return { active: newest, trusted: [newest], version: 1 };
}

export type PhaseResult =
  | { readonly kind: 'noop'; readonly state: PkiState }
  | { readonly kind: 'update'; readonly state: PkiState }
  | { readonly kind: 'refuse'; readonly current: string; readonly reason: string };

/** The phase a state is in: `none` (no rotation), `trust` or `reissue`. */
export const currentPhase = (s: PkiState): string => s.rotation?.phase ?? 'none';

/**
 * Moves a CA rotation towards `newest` by one phase. A phase already done (repeated, or earlier than the
 * current one) is a no-op, so a run that died between phases resumes by replaying them; a phase that skips
 * one is refused, naming the current phase. With nothing to rotate (`active` is `newest`, trusted alone) every
 * phase is a no-op.
 */
export function applyPhase(
  state: PkiState,
  phase: CaPhase,
  newest: number,
  execution: string,
  now: Date,
): PhaseResult {
  const rotation = state.rotation;
  if (rotation === undefined) {
    if (state.active > newest)
      return {
        kind: 'refuse',
        current: 'none',
        reason: `the active CA generation ${state.active} is newer than the newest deployed (${newest})`,
      };
    if (state.active === newest) {
      // Nothing to rotate. A PKI item edited by hand may still trust others: a drop converges it.
      const alone = state.trusted.length === 1 && state.trusted[0] === newest;
      return phase === 'drop' && !alone
        ? { kind: 'update', state: { active: newest, trusted: [newest], version: state.version + 1 } }
        : { kind: 'noop', state };
    }
    if (phase !== 'trust')
      return {
        kind: 'refuse',
        current: 'none',
        reason: `phase ${phase} needs phase trust first (no CA rotation in progress; generation ${newest} is deployed, ${state.active} is active)`,
      };
    return {
      kind: 'update',
      state: {
        active: state.active,
        trusted: [state.active, newest],
        rotation: { from: state.active, to: newest, phase: 'trust', execution, since: now.toISOString() },
        version: state.version + 1,
      },
    };
  }
  if (rotation.to !== newest)
    return {
      kind: 'refuse',
      current: rotation.phase,
      reason: `the CA rotation in progress goes to generation ${rotation.to}, but the newest deployed is ${newest}`,
    };
  if (rotation.phase === 'trust') {
    if (phase === 'trust') return { kind: 'noop', state };
    if (phase === 'drop')
      return { kind: 'refuse', current: 'trust', reason: 'phase drop needs phase reissue first' };
    return {
      kind: 'update',
      state: {
        active: rotation.to,
        trusted: state.trusted,
        rotation: { ...rotation, phase: 'reissue', execution, since: now.toISOString() },
        version: state.version + 1,
      },
    };
  }
  if (phase !== 'drop') return { kind: 'noop', state };
  return {
    kind: 'update',
    state: { active: rotation.to, trusted: [rotation.to], version: state.version + 1 },
  };
}

/** A DynamoDB Put without its table. */
export interface ConditionalPut {
  readonly Item: Record<string, unknown>;
  readonly ConditionExpression: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ExpressionAttributeValues?: Record<string, unknown>;
}

const pkiItem = (cluster: string, s: PkiState): Record<string, unknown> => ({
  ...pkiKey(cluster),
  active: s.active,
  trusted: [...s.trusted],
  ...(s.rotation !== undefined ? { rotation: { ...s.rotation } } : {}),
  version: s.version,
});

/** The first write of the PKI item: only if none exists (two first runs: one wins, the other re-reads). */
export function pkiCreatePut(cluster: string, state: PkiState): ConditionalPut {
  return { Item: pkiItem(cluster, state), ConditionExpression: 'attribute_not_exists(sk)' };
}

/** A phase's write: only over the version it was computed from (a concurrent run's write makes it fail). */
export function pkiTransitionPut(cluster: string, before: PkiState, after: PkiState): ConditionalPut {
  if (after.version !== before.version + 1)
    throw new Error(
      `a PKI transition goes from version ${before.version} to ${before.version + 1}, not ${after.version}`,
    );
  return {
    Item: pkiItem(cluster, after),
    ConditionExpression: '#version = :version',
    ExpressionAttributeNames: { '#version': 'version' },
    ExpressionAttributeValues: { ':version': before.version },
  };
}

/** Reads a PKI item back; anything that is not one is an error naming the field. */
export function parsePki(item: Record<string, unknown>): PkiState {
  const { active, trusted, rotation, version } = item;
  if (!Number.isInteger(active)) throw new Error('PKI item: active is not a whole number');
  if (!Array.isArray(trusted) || !trusted.every(Number.isInteger))
    throw new Error('PKI item: trusted is not a list of whole numbers');
  if (!Number.isInteger(version)) throw new Error('PKI item: version is not a whole number');
  const out = { active: active as number, trusted: trusted as number[], version: version as number };
  return rotation === undefined ? out : { ...out, rotation: rotation as CaRotation };
}

/** A CA generation's item (`CA#<n>`). */
export interface CaRecord {
  readonly generation: number;
  readonly keyArn: string;
  readonly certificate: string;
  readonly serial: string;
  readonly notAfter: string;
  readonly fingerprint: string;
}

/** The first write of a generation's CA item; a second builder's certificate loses to the first. */
export function caCreatePut(cluster: string, record: CaRecord): ConditionalPut {
  return {
    Item: { ...caKey(cluster, record.generation), ...record },
    ConditionExpression: 'attribute_not_exists(sk)',
  };
}

/**
 * The deployed generations from `CA_KEYS` (JSON object generation → KMS key ARN), in ascending order; bad
 * JSON, a generation that is not a whole number >= 1, or an ARN that is not a KMS key's is an error.
 */
export function parseCaKeys(json: string): ReadonlyMap<number, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('CA_KEYS is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('CA_KEYS must be an object of generation to KMS key ARN');
  const entries = Object.entries(parsed as Record<string, unknown>).map(([k, v]) => {
    const n = Number(k);
    if (!Number.isInteger(n) || n < 1 || String(n) !== k)
      throw new Error(`CA_KEYS: generation ${k} is not a whole number >= 1`);
    if (typeof v !== 'string' || !/^arn:aws[\w-]*:kms:[\w-]+:\d{12}:key\/[\w-]+$/.test(v))
      throw new Error(`CA_KEYS: generation ${k} is not a KMS key ARN`);
    return [n, v] as const;
  });
  if (entries.length === 0) throw new Error('CA_KEYS names no generation');
  // Ascending already: an object's integer keys (canonical, checked above) enumerate in ascending order.
  return new Map(entries);
}
