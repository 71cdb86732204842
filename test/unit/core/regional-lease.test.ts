import fc from 'fast-check';
import {
  fenceVerdict,
  highestEpoch,
  majority,
  planAcquire,
  quorumVerdict,
  type RoutingLeaseItem,
  type VoterRead,
  type WriteOutcome,
} from '../../../functions/core/regional-lease';

const OWNERS = ['arn:aws:states:eu-west-1:1:execution:x:a', 'arn:aws:states:us-east-1:1:execution:x:b', 'c'];

describe('majority', () => {
  it('is more than half, and any two majorities of the same voters share a voter', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99 }), (n) => {
        const q = majority(n);
        expect(q * 2).toBeGreaterThan(n);
        expect(q).toBeLessThanOrEqual(n);
        expect((q - 1) * 2).toBeLessThanOrEqual(n);
      }),
    );
  });
});

describe('quorumVerdict', () => {
  it('holds exactly with a quorum of accepts; otherwise fenced iff a voter refused', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<WriteOutcome>('ok', 'lost', 'unreachable'), { minLength: 1, maxLength: 7 }),
        fc.integer({ min: 1, max: 7 }),
        (outcomes, quorum) => {
          const ok = outcomes.filter((o) => o === 'ok').length;
          const v = quorumVerdict(outcomes, quorum);
          expect(v === 'held').toBe(ok >= quorum);
          if (v !== 'held') expect(v === 'fenced').toBe(outcomes.includes('lost'));
        },
      ),
    );
  });
});

/**
 * A model of the protocol over `n` voters: each acquirer reads every reachable voter, then writes each voter
 * only if it is unchanged since its read (the condition leaseWrite builds), in any interleaving.
 */
const arbStep = fc.record({
  who: fc.integer({ min: 0, max: 1 }),
  reachable: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
});

describe('planAcquire (model of concurrent acquirers)', () => {
  it('never lets two owners hold a majority at once, and every held epoch is new', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(arbStep, { minLength: 2, maxLength: 12 }),
        (n, steps) => {
          const quorum = majority(n);
          let voters: (RoutingLeaseItem | undefined)[] = Array.from({ length: n }, () => undefined);
          const pending = new Map<number, { reads: VoterRead[] }>();
          const held = new Map<number, number>();
          const epochsHeld: number[] = [];
          for (const step of steps) {
            const owner = OWNERS[step.who] as string;
            const r = pending.get(step.who);
            if (r === undefined) {
              const reads: VoterRead[] = voters.map((item, i) =>
                step.reachable[i]
                  ? { region: `r${i}`, reachable: true, item }
                  : { region: `r${i}`, reachable: false, error: 'down' },
              );
              pending.set(step.who, { reads });
              continue;
            }
            pending.delete(step.who);
            // Both owners run: a holder seen by the other is never ended (no takeover in this model).
            const plan = planAcquire(r.reads, owner, quorum);
            if (plan.kind !== 'write') continue;
            const outcomes: WriteOutcome[] = voters.map((item, i) => {
              const read = r.reads[i] as VoterRead;
              if (!read.reachable || !step.reachable[i]) return 'unreachable';
              const same = item?.holder === read.item?.holder && item?.epoch === read.item?.epoch;
              return same ? 'ok' : 'lost';
            });
            const next = voters.map((item, i) =>
              outcomes[i] === 'ok' ? { holder: owner, epoch: plan.epoch, expiresAt: 1 } : item,
            );
            voters = next;
            if (quorumVerdict(outcomes, quorum) === 'held') {
              if (!plan.renew) {
                expect(epochsHeld).not.toContain(plan.epoch);
                for (const e of epochsHeld) expect(plan.epoch).toBeGreaterThan(e);
                epochsHeld.push(plan.epoch);
              }
              held.set(step.who, plan.epoch);
            } else {
              // A minority gives back what it won (the holder goes, the epoch stays).
              voters = voters.map((item) =>
                item?.holder === owner && item.epoch === plan.epoch ? { epoch: item.epoch } : item,
              );
              held.delete(step.who);
            }
            const counts = OWNERS.map((o) => voters.filter((v) => v?.holder === o).length);
            expect(counts.filter((c) => c >= quorum).length).toBeLessThanOrEqual(1);
          }
        },
      ),
    );
  });

  it('writes above every epoch any reachable voter shows, and never without a quorum of answers', () => {
    const arbRead = fc.oneof(
      fc.record({
        region: fc.constant('r'),
        reachable: fc.constant(true as const),
        item: fc.option(
          fc.record({ epoch: fc.option(fc.nat(50), { nil: undefined }), holder: fc.constant(undefined) }),
          { nil: undefined },
        ),
      }),
      fc.record({
        region: fc.constant('r'),
        reachable: fc.constant(false as const),
        error: fc.constant('x'),
      }),
    );
    fc.assert(
      fc.property(fc.array(arbRead, { minLength: 1, maxLength: 5 }), (reads) => {
        const quorum = majority(reads.length);
        const plan = planAcquire(reads as VoterRead[], OWNERS[0] as string, quorum);
        const reachable = reads.filter((r) => r.reachable).length;
        if (reachable < quorum) expect(plan.kind).toBe('no-quorum');
        else {
          expect(plan).toEqual({
            kind: 'write',
            epoch: highestEpoch(reads as VoterRead[]) + 1,
            renew: false,
          });
        }
      }),
    );
  });

  it("asks about another holder (the highest epoch's first) unless its run is known to have ended", () => {
    const reads: VoterRead[] = [
      { region: 'a', reachable: true, item: { holder: 'old', epoch: 2 } },
      { region: 'b', reachable: true, item: { holder: 'new', epoch: 3 } },
      { region: 'c', reachable: true, item: undefined },
    ];
    expect(planAcquire(reads, 'me', 2)).toEqual({ kind: 'ask', holder: 'new' });
    expect(planAcquire(reads, 'me', 2, new Set(['new']))).toEqual({ kind: 'ask', holder: 'old' });
    expect(planAcquire(reads, 'me', 2, new Set(['new', 'old']))).toEqual({
      kind: 'write',
      epoch: 4,
      renew: false,
    });
  });
});

describe('fenceVerdict', () => {
  it('fences whenever a reachable voter shows a newer epoch; ours only with a quorum confirming', () => {
    const arbItem = fc.record({
      epoch: fc.integer({ min: 0, max: 6 }),
      holder: fc.constantFrom('me', 'other', undefined),
    });
    fc.assert(
      fc.property(
        fc.array(fc.option(arbItem, { nil: null }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 6 }),
        (items, epoch) => {
          const reads: VoterRead[] = items.map((it, i) =>
            it === null
              ? { region: `r${i}`, reachable: false, error: 'down' }
              : { region: `r${i}`, reachable: true, item: it },
          );
          const quorum = majority(reads.length);
          const v = fenceVerdict(reads, 'me', epoch, quorum).verdict;
          const newer = items.some(
            (it) => it !== null && (it.epoch > epoch || (it.epoch === epoch && it.holder !== 'me')),
          );
          expect(v === 'fenced').toBe(newer);
          if (v === 'ours')
            expect(
              items.filter((it) => it?.epoch === epoch && it.holder === 'me').length,
            ).toBeGreaterThanOrEqual(quorum);
        },
      ),
    );
  });
});

describe('planAcquire: a retried acquire', () => {
  it('renews its own majority at the highest epoch without asking about a stale minority holder', () => {
    const reads: VoterRead[] = [
      { region: 'a', reachable: true, item: { holder: 'me', epoch: 5 } },
      { region: 'b', reachable: true, item: { holder: 'me', epoch: 5 } },
      { region: 'c', reachable: true, item: { holder: 'old', epoch: 4 } },
    ];
    expect(planAcquire(reads, 'me', 2)).toEqual({ kind: 'write', epoch: 5, renew: true });
    // Without a majority of its own it asks about the other holder first.
    expect(
      planAcquire(
        [reads[0] as VoterRead, reads[2] as VoterRead, { region: 'b', reachable: true, item: undefined }],
        'me',
        2,
      ),
    ).toEqual({
      kind: 'ask',
      holder: 'old',
    });
  });
});
