import fc from 'fast-check';
import { pauseKey } from '../../../functions/core/keys';
import {
  type CopyOutcome,
  changeDone,
  describePause,
  effectivePause,
  majority,
  nextPause,
  type PauseItem,
  type PauseRead,
  pauseAuditItem,
  pauseMetric,
  pauseNotice,
  pauseWrite,
  quorumPause,
  reminderClaim,
  reminderDue,
  reminderDueAt,
  reminderNotice,
  repairOf,
  versionOf,
} from '../../../functions/core/pause';

const T0 = Date.parse('2026-06-01T12:00:00Z');
const HOUR = 3_600_000;

const item = (version: number, paused = true, over: Partial<PauseItem> = {}): PauseItem => ({
  paused,
  reason: `r${version}`,
  actor: 'alice',
  changedAt: T0,
  version,
  ...over,
});

const arbItem: fc.Arbitrary<PauseItem | undefined> = fc.option(
  fc.record({
    paused: fc.boolean(),
    reason: fc.constantFrom('a', 'b'),
    actor: fc.constant('op'),
    changedAt: fc.integer({ min: 0, max: 10 }),
    version: fc.integer({ min: 1, max: 9 }),
  }),
  { nil: undefined },
);
const arbRead = (region: string): fc.Arbitrary<PauseRead> =>
  fc.oneof(
    arbItem.map((i): PauseRead => ({ region, reachable: true, item: i })),
    fc.constant<PauseRead>({ region, reachable: false, error: 'UnknownEndpoint' }),
  );
const arbReads = fc
  .integer({ min: 1, max: 5 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, k) => arbRead(`r${k}`))));

describe('effectivePause', () => {
  it('is the deploy-time switch off, or the item paused', () => {
    fc.assert(
      fc.property(fc.boolean(), arbItem, (enabled, i) => {
        expect(effectivePause(enabled, i)).toBe(!enabled || i?.paused === true);
      }),
    );
  });
});

describe('majority', () => {
  it('is more than half and at most all', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99 }), (n) => {
        const q = majority(n);
        expect(q * 2).toBeGreaterThan(n);
        expect((q - 1) * 2).toBeLessThanOrEqual(n);
      }),
    );
    expect([1, 2, 3, 4, 5].map(majority)).toEqual([1, 2, 2, 3, 3]);
  });
});

describe('quorumPause (the highest version among a majority wins)', () => {
  it('answers only with a majority of reachable copies, and then with the highest version among them', () => {
    fc.assert(
      fc.property(arbReads, (reads) => {
        const quorum = majority(reads.length);
        const q = quorumPause(reads, quorum);
        const reachable = reads.filter((r) => r.reachable);
        if (reachable.length < quorum) {
          expect(q).toEqual({ kind: 'no-quorum', reachable: reachable.length });
          return;
        }
        const max = Math.max(0, ...reachable.map((r) => versionOf(r.reachable ? r.item : undefined)));
        expect(q.kind).toBe('ok');
        if (q.kind !== 'ok') return;
        expect(q.version).toBe(max);
        expect(versionOf(q.item)).toBe(max);
        // Equal versions: paused wins (the safe side).
        const pausedAtMax = reachable.some((r) => r.reachable && r.item?.version === max && r.item.paused);
        if (max > 0) expect(q.item?.paused).toBe(pausedAtMax);
      }),
    );
  });

  it('sees a change a majority accepted, whatever majority answers', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        (n, acceptSeed, readSeed) => {
          const q = majority(n);
          const accepted = new Set(Array.from({ length: n }, (_, k) => (k + acceptSeed) % n).slice(0, q));
          const answered = new Set(Array.from({ length: n }, (_, k) => (k + readSeed) % n).slice(0, q));
          const reads: PauseRead[] = Array.from({ length: n }, (_, k) =>
            answered.has(k)
              ? { region: `r${k}`, reachable: true, item: accepted.has(k) ? item(5, false) : item(4) }
              : { region: `r${k}`, reachable: false, error: 'x' },
          );
          const out = quorumPause(reads, q);
          expect(out).toMatchObject({ kind: 'ok', version: 5, item: { paused: false } });
        },
      ),
    );
  });

  it('keeps the first of two equal unpaused items and takes an absent copy as version 0', () => {
    const a = item(2, false, { reason: 'a' });
    const b = item(2, false, { reason: 'b' });
    const reads: PauseRead[] = [
      { region: 'x', reachable: true, item: a },
      { region: 'y', reachable: true, item: b },
      { region: 'z', reachable: true, item: undefined },
    ];
    expect(quorumPause(reads, 2)).toEqual({ kind: 'ok', item: a, version: 2 });
    expect(quorumPause([{ region: 'x', reachable: true, item: undefined }], 1)).toEqual({
      kind: 'ok',
      item: undefined,
      version: 0,
    });
  });
});

describe('nextPause and pauseWrite (a write only over a lower version)', () => {
  it('takes 1 + the highest version any reachable copy holds', () => {
    fc.assert(
      fc.property(arbReads, fc.boolean(), (reads, paused) => {
        const next = nextPause(reads, { paused, actor: 'bob', reason: 'why' }, T0);
        const max = Math.max(0, ...reads.map((r) => (r.reachable ? versionOf(r.item) : 0)));
        expect(next).toEqual({ paused, actor: 'bob', reason: 'why', changedAt: T0, version: max + 1 });
      }),
    );
  });

  it('is a put of the whole item, conditional on a missing or lower version', () => {
    const w = pauseWrite('prod', item(3));
    expect(w).toEqual({
      Item: { ...pauseKey('prod'), ...item(3) },
      ConditionExpression: 'attribute_not_exists(#version) OR #version < :version',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':version': 3 },
    });
  });
});

describe('changeDone', () => {
  it('holds exactly when a majority of copies were written', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<CopyOutcome>('written', 'newer', 'unreachable'), { maxLength: 7 }),
        fc.integer({ min: 1, max: 4 }),
        (outcomes, q) => {
          expect(changeDone(outcomes, q)).toBe(outcomes.filter((o) => o === 'written').length >= q);
        },
      ),
    );
  });
});

describe('repairOf', () => {
  it('writes the majority winner locally only when it is newer than the local copy', () => {
    fc.assert(
      fc.property(arbReads, arbItem, (reads, local) => {
        const q = majority(reads.length);
        const out = repairOf(local, reads, q);
        const qp = quorumPause(reads, q);
        if (qp.kind === 'ok' && qp.item !== undefined && qp.version > versionOf(local))
          expect(out).toBe(qp.item);
        else expect(out).toBeUndefined();
      }),
    );
  });
});

describe('reminders', () => {
  it('is due a period after the pause, then a period after each reminder, only while paused', () => {
    const p = item(1);
    expect(reminderDueAt(p, 4)).toBe(T0 + 4 * HOUR);
    expect(reminderDueAt({ ...p, remindedAt: T0 + 5 * HOUR }, 4)).toBe(T0 + 9 * HOUR);
    expect(reminderDue(p, 4, T0 + 4 * HOUR - 1)).toBe(false);
    expect(reminderDue(p, 4, T0 + 4 * HOUR)).toBe(true);
    expect(reminderDue(item(1, false), 4, T0 + 10 * HOUR)).toBe(false);
    expect(reminderDue(undefined, 4, T0 + 10 * HOUR)).toBe(false);
  });

  it('claims on the same version, still paused, a period after the pause and the last reminder', () => {
    const now = T0 + 5 * HOUR;
    expect(reminderClaim('prod', item(7), 4, now)).toEqual({
      Key: pauseKey('prod'),
      UpdateExpression: 'SET #reminded = :now',
      ConditionExpression:
        '#version = :version AND #paused = :true AND (attribute_not_exists(#reminded) OR #reminded <= :since) AND #changed <= :since',
      ExpressionAttributeNames: {
        '#reminded': 'remindedAt',
        '#version': 'version',
        '#paused': 'paused',
        '#changed': 'changedAt',
      },
      ExpressionAttributeValues: { ':now': now, ':version': 7, ':true': true, ':since': now - 4 * HOUR },
    });
  });

  it('says how long it has been paused, by whom and why', () => {
    const n = reminderNotice('prod', item(1, true, { actor: 'carol', reason: 'db upgrade' }), T0 + 9 * HOUR);
    expect(n.subject).toBe('[prod] automation still paused (9 h)');
    expect(n.message).toContain('carol');
    expect(n.message).toContain('Reason: db upgrade');
    expect(n.message).toContain(new Date(T0).toISOString());
  });
});

describe('pauseMetric (what a sweep publishes)', () => {
  it('is 1 while effectively paused, one 0 in the sweep after the end, otherwise nothing', () => {
    const SWEEP = 300_000;
    fc.assert(
      fc.property(fc.boolean(), arbItem, fc.integer({ min: 0, max: 2 * SWEEP }), (enabled, i, age) => {
        const now = (i?.changedAt ?? 0) + age;
        const m = pauseMetric(enabled, i, now, SWEEP);
        if (effectivePause(enabled, i)) expect(m).toBe(1);
        else if (i !== undefined && age < SWEEP) expect(m).toBe(0);
        else expect(m).toBeUndefined();
      }),
    );
  });
});

describe('describePause, audit and notices', () => {
  it('names both pauses', () => {
    expect(describePause(undefined, true)).toBe('not paused');
    expect(describePause(item(1, false), true)).toBe('not paused');
    expect(describePause(item(1, true, { actor: 'a', reason: 'b' }), true)).toBe('paused by a: b');
    expect(describePause(item(1, true, { actor: 'a', reason: 'b' }), false)).toBe(
      'automation.enabled is false (deploy-time pause); paused by a: b',
    );
  });

  it('audits who, why, the decision and each copy under AUDIT#<time>#pause-v<version>', () => {
    const a = pauseAuditItem('prod', item(3, false, { actor: 'x', reason: 'y' }), [
      { region: 'eu', outcome: 'written' },
      { region: 'us', outcome: 'unreachable' },
    ]);
    expect(a).toMatchObject({
      pk: 'CLUSTER#prod',
      sk: `AUDIT#${new Date(T0).toISOString()}#pause-v3`,
      kind: 'pause',
      trigger: 'operator',
      decision: 'resume',
      outcome: 'completed',
      actor: 'x',
      reason: 'y',
      version: 3,
      copies: 'eu:written us:unreachable',
    });
    expect(a.ttl).toBeGreaterThan(T0 / 1000);
    expect(pauseAuditItem('prod', item(4), []).decision).toBe('pause');
  });

  it('announces who and why, kept under 100 characters in the subject', () => {
    const n = pauseNotice('prod', item(2, true, { actor: 'dana', reason: 'maintenance' }), ['eu', 'us']);
    expect(n.subject).toBe('[prod] automation paused by dana');
    expect(n.message).toContain('Reason: maintenance');
    expect(n.message).toContain('Copies written: eu, us.');
    expect(n.message).toContain('manual runs still act');
    const r = pauseNotice('prod', item(3, false, { actor: 'x'.repeat(200) }), ['eu']);
    expect(r.subject.length).toBe(99);
    expect(r.subject.startsWith('[prod] automation resumed by x')).toBe(true);
    expect(r.message).toContain('act again');
  });
});
