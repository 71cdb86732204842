import fc from 'fast-check';
import { pkiKey } from '../../../functions/core/keys';
import {
  applyPhase,
  CA_PHASES,
  type CaPhase,
  caCreatePut,
  currentPhase,
  initialPki,
  type PkiState,
  parseCaKeys,
  parsePki,
  pkiCreatePut,
  pkiTransitionPut,
} from '../../../functions/core/pki-state';

const NOW = new Date(Date.UTC(2026, 5, 1));
const EXEC = 'arn:aws:states:eu-west-1:111122223333:execution:x:run';

/** Applies the phases in order, as runs do (a refusal leaves the state as it was). */
function run(state: PkiState, phases: readonly CaPhase[], newest: number) {
  let s = state;
  const refused: CaPhase[] = [];
  for (const p of phases) {
    const r = applyPhase(s, p, newest, EXEC, NOW);
    if (r.kind === 'refuse') refused.push(p);
    else s = r.state;
  }
  return { state: s, refused };
}

const phases = fc.array(fc.constantFrom(...CA_PHASES), { maxLength: 12 });
const start = fc
  .integer({ min: 1, max: 5 })
  .chain((active) =>
    fc.record({ active: fc.constant(active), newest: fc.integer({ min: active, max: active + 2 }) }),
  );

/** What a state means, without the write counter. */
const meaning = ({ version: _v, ...rest }: PkiState) => rest;

describe('CA rotation phases', () => {
  it('start with the newest deployed generation active and alone trusted', () => {
    expect(initialPki([2, 1, 3])).toEqual({ active: 3, trusted: [3], version: 1 });
    expect(() => initialPki([])).toThrow('no CA generation');
  });

  it('always trust the active generation, and only go forward (active never decreases)', () => {
    fc.assert(
      fc.property(start, phases, ({ active, newest }, ps) => {
        let s = initialPki([active]);
        for (const p of ps) {
          const r = applyPhase(s, p, newest, EXEC, NOW);
          if (r.kind === 'refuse') {
            expect(r.reason).toMatch(/phase|generation/);
            continue;
          }
          expect(['noop', 'update']).toContain(r.kind);
          if (r.kind === 'noop') expect(r.state).toBe(s);
          expect(r.state.trusted).toContain(r.state.active);
          expect(r.state.active).toBeGreaterThanOrEqual(s.active);
          expect(r.state.version).toBe(r.kind === 'update' ? s.version + 1 : s.version);
          s = r.state;
        }
      }),
    );
  });

  it('are resumable: applying any prefix of the sequence twice is the same as once', () => {
    fc.assert(
      fc.property(start, fc.integer({ min: 0, max: 3 }), ({ active, newest }, n) => {
        const prefix = CA_PHASES.slice(0, n);
        const once = run(initialPki([active]), prefix, newest);
        const twice = run(once.state, prefix, newest);
        expect(once.refused).toEqual([]);
        expect(twice.refused).toEqual([]);
        expect(meaning(twice.state)).toEqual(meaning(once.state));
        // Replaying the last phase of the prefix answers noop.
        const last = prefix.at(-1);
        if (last !== undefined) expect(applyPhase(once.state, last, newest, EXEC, NOW).kind).toBe('noop');
        // Each phase repeated in place is a no-op too.
        const stuttered = run(
          initialPki([active]),
          prefix.flatMap((p) => [p, p]),
          newest,
        );
        expect(meaning(stuttered.state)).toEqual(meaning(once.state));
      }),
    );
  });

  it('end the full sequence on the newest generation alone, with no rotation left', () => {
    fc.assert(
      fc.property(start, ({ active, newest }) => {
        const { state } = run(initialPki([active]), CA_PHASES, newest);
        expect(meaning(state)).toEqual({ active: newest, trusted: [newest] });
      }),
    );
  });

  it('refuse a phase that skips one, naming the current phase', () => {
    const s0 = initialPki([1]);
    expect(currentPhase(s0)).toBe('none');
    expect(applyPhase(s0, 'reissue', 2, EXEC, NOW)).toEqual({
      kind: 'refuse',
      current: 'none',
      reason:
        'phase reissue needs phase trust first (no CA rotation in progress; generation 2 is deployed, 1 is active)',
    });
    expect(applyPhase(s0, 'drop', 2, EXEC, NOW)).toMatchObject({ kind: 'refuse', current: 'none' });
    const t = applyPhase(s0, 'trust', 2, EXEC, NOW);
    if (t.kind !== 'update') throw new Error('trust should update');
    expect(t.state).toEqual({
      active: 1,
      trusted: [1, 2],
      rotation: { from: 1, to: 2, phase: 'trust', execution: EXEC, since: NOW.toISOString() },
      version: 2,
    });
    expect(currentPhase(t.state)).toBe('trust');
    expect(applyPhase(t.state, 'drop', 2, EXEC, NOW)).toEqual({
      kind: 'refuse',
      current: 'trust',
      reason: 'phase drop needs phase reissue first',
    });
    // A newer generation deployed mid-rotation: refused until the rotation in progress is finished.
    expect(applyPhase(t.state, 'reissue', 3, EXEC, NOW)).toMatchObject({
      kind: 'refuse',
      reason: expect.stringContaining('goes to generation 2'),
    });
    // The active generation newer than anything deployed (a config rolled back): refused.
    for (const p of CA_PHASES)
      expect(applyPhase(initialPki([3]), p, 2, EXEC, NOW)).toEqual({
        kind: 'refuse',
        current: 'none',
        reason: 'the active CA generation 3 is newer than the newest deployed (2)',
      });
  });

  it('with nothing to rotate, every phase is a no-op', () => {
    for (const p of CA_PHASES)
      expect(applyPhase(initialPki([4]), p, 4, EXEC, NOW)).toMatchObject({ kind: 'noop' });
  });

  it('converges a hand-edited item that trusts more than the active generation on drop, and only on drop', () => {
    for (const trusted of [[1, 2], [2, 2], [1]]) {
      const edited: PkiState = { active: 2, trusted, version: 7 };
      expect(applyPhase(edited, 'trust', 2, EXEC, NOW)).toEqual({ kind: 'noop', state: edited });
      expect(applyPhase(edited, 'reissue', 2, EXEC, NOW)).toEqual({ kind: 'noop', state: edited });
      expect(applyPhase(edited, 'drop', 2, EXEC, NOW)).toEqual({
        kind: 'update',
        state: { active: 2, trusted: [2], version: 8 },
      });
    }
  });
});

describe('PKI and CA writes', () => {
  it('create only once, and move only from the version they read', () => {
    const s = initialPki([1]);
    expect(pkiCreatePut('c', s)).toEqual({
      Item: { ...pkiKey('c'), active: 1, trusted: [1], version: 1 },
      ConditionExpression: 'attribute_not_exists(sk)',
    });
    const t = applyPhase(s, 'trust', 2, EXEC, NOW);
    if (t.kind !== 'update') throw new Error('trust should update');
    expect(pkiTransitionPut('c', s, t.state)).toEqual({
      Item: { ...pkiKey('c'), active: 1, trusted: [1, 2], version: 2, rotation: t.state.rotation },
      ConditionExpression: '#version = :version',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':version': 1 },
    });
    expect(() => pkiTransitionPut('c', s, { ...t.state, version: 5 })).toThrow('version 1 to 2, not 5');
    expect(
      caCreatePut('c', {
        generation: 2,
        keyArn: 'k',
        certificate: 'p',
        serial: 's',
        notAfter: 'n',
        fingerprint: 'f',
      }),
    ).toMatchObject({
      Item: { pk: 'CLUSTER#c', sk: 'CA#2', generation: 2 },
      ConditionExpression: 'attribute_not_exists(sk)',
    });
  });

  it('read back what they wrote, and reject an item that is not a PKI item', () => {
    fc.assert(
      fc.property(start, phases, ({ active, newest }, ps) => {
        const { state } = run(initialPki([active]), ps, newest);
        expect(parsePki(pkiCreatePut('c', state).Item)).toEqual(state);
      }),
    );
    expect(() => parsePki({ active: '1', trusted: [1], version: 1 })).toThrow('active');
    expect(() => parsePki({ active: 1, trusted: ['1'], version: 1 })).toThrow('trusted');
    expect(() => parsePki({ active: 1, trusted: [1, 'x'], version: 1 })).toThrow('trusted');
    expect(() => parsePki({ active: 1, trusted: 1, version: 1 })).toThrow('trusted');
    expect(parsePki({ active: 1, trusted: [1], version: 1 })).not.toHaveProperty('rotation');
    expect(() => parsePki({ active: 1, trusted: [1] })).toThrow('version');
  });
});

describe('CA_KEYS', () => {
  const arn = (n: number) => `arn:aws:kms:eu-west-1:111122223333:key/${n}${n}${n}-abc`;
  it('reads generations in order and refuses anything else', () => {
    expect([...parseCaKeys(JSON.stringify({ 2: arn(2), 1: arn(1) }))]).toEqual([
      [1, arn(1)],
      [2, arn(2)],
    ]);
    expect(() => parseCaKeys('{')).toThrow('not JSON');
    for (const json of ['[]', 'null', '5', '"arn"'])
      expect(() => parseCaKeys(json)).toThrow('must be an object');
    const china = 'arn:aws-cn:kms:cn-north-1:111122223333:key/1234abcd-12ab';
    expect(parseCaKeys(JSON.stringify({ 1: china })).get(1)).toBe(china);
    for (const bad of [`x${arn(1)}`, `${arn(1)}/alias`, 5])
      expect(() => parseCaKeys(JSON.stringify({ 1: bad }))).toThrow('not a KMS key ARN');
    expect(() => parseCaKeys('{}')).toThrow('names no generation');
    expect(() => parseCaKeys(JSON.stringify({ '01': arn(1) }))).toThrow('generation 01');
    expect(() => parseCaKeys(JSON.stringify({ 1: 'alias/x' }))).toThrow('not a KMS key ARN');
  });
});
