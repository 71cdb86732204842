import fc from 'fast-check';
import { overdueRuns, sweepCensus } from '../../../functions/core/sweep-report';

const T = Date.parse('2026-06-01T12:00:00Z');
const arbInstance = fc.record({
  state: fc.constantFrom('InService', 'Pending', 'Terminating:Wait', undefined),
  health: fc.constantFrom('Healthy', 'Unhealthy', undefined),
});

const base = {
  mode: 'legacy-primary' as const,
  state: undefined,
  groups: [],
  gate: undefined,
  cooldownMinutes: 60,
  dailyBudget: 3,
  now: T,
  paused: false,
  pauseReason: 'x',
};

describe('sweepCensus', () => {
  it('counts every instance once, ready only when in service and healthy', () => {
    fc.assert(
      fc.property(
        fc.array(arbInstance, { maxLength: 6 }),
        fc.array(arbInstance, { maxLength: 6 }),
        fc.constantFrom<'legacy-primary' | 'cloud-native'>('legacy-primary', 'cloud-native'),
        (p, m, mode) => {
          const c = sweepCensus({
            ...base,
            mode,
            groups: [
              { name: 'gp', role: 'primary', instances: p },
              { name: 'gm', role: 'member', instances: m },
            ],
          });
          const ready = [...p, ...m].filter((i) => i.state === 'InService' && i.health === 'Healthy').length;
          expect(c.nodesReady).toBe(ready);
          expect(c.nodesNotReady).toBe(p.length + m.length - ready);
          expect(c.taskNodes).toBe(mode === 'cloud-native' ? ready : 0);
          const counted = c.nodes
            .split('; ')
            .map((part) => Number(part.split(' ').at(-1)))
            .reduce((a, b) => a + b, 0);
          expect(counted).toBe(p.length + m.length);
        },
      ),
    );
  });

  it('names an empty group with ready 0, and skips zero counts otherwise', () => {
    const c = sweepCensus({
      ...base,
      groups: [
        { name: 'gp', role: 'primary', instances: [] },
        { name: 'gm', role: 'member', instances: [{ state: 'Pending' }] },
      ],
    });
    expect(c.nodes).toBe('gp primary ready 0; gm member not ready 1');
  });

  it('gives the recorded primary and epoch in legacy mode, none in cloud-native mode', () => {
    const state = { epoch: 7, primary: 'i-0abc' };
    expect(sweepCensus({ ...base, state })).toMatchObject({ primary: 'i-0abc', epoch: 7 });
    expect(sweepCensus({ ...base, state: { epoch: 7 } })).toMatchObject({ primary: 'none', epoch: 7 });
    expect(sweepCensus({ ...base, mode: 'cloud-native', state })).toMatchObject({
      primary: 'none',
      epoch: 7,
    });
    expect(sweepCensus(base)).toMatchObject({ primary: 'none', epoch: 0 });
  });

  it('shows the cooldown until it ends and the budget left today', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 5 }),
        fc.boolean(),
        (minutesAgo, count, today) => {
          const c = sweepCensus({
            ...base,
            gate: {
              lastElectionAt: T - minutesAgo * 60_000,
              day: today ? '2026-06-01' : '2026-05-31',
              count,
            },
          });
          const until = T + (60 - minutesAgo) * 60_000;
          const left = Math.max(0, 3 - (today ? count : 0));
          expect(c.gate).toBe(
            `${minutesAgo < 60 ? `cooldown until ${new Date(until).toISOString()}` : 'none'}; budget left ${left}`,
          );
        },
      ),
    );
    expect(sweepCensus(base).gate).toBe('none; budget left 3');
    expect(sweepCensus({ ...base, gate: { day: '2026-06-01' } }).gate).toBe('none; budget left 3');
  });

  it('gives the pause reason only while paused', () => {
    expect(sweepCensus({ ...base, paused: true, pauseReason: 'why' })).toMatchObject({
      paused: true,
      pauseReason: 'why',
    });
    expect(sweepCensus({ ...base, pauseReason: 'why' })).toMatchObject({ paused: false, pauseReason: '' });
  });
});

describe('overdueRuns', () => {
  it('keeps exactly the runs past their bound, oldest first, in whole seconds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000_000 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 5000 }),
        (ages, bound) => {
          const out = overdueRuns(
            { workflow: 'w', arn: 'a', root: true, boundSeconds: bound },
            ages.map((ms, i) => ({ name: `r${i}`, startedAt: T - ms })),
            T,
          );
          expect(out.length).toBe(ages.filter((ms) => Math.floor(ms / 1000) > bound).length);
          for (const r of out) {
            expect(r.runningSeconds).toBeGreaterThan(bound);
            expect(r).toMatchObject({ workflow: 'w', boundSeconds: bound });
          }
          for (let i = 1; i < out.length; i++)
            expect(out[i - 1]?.runningSeconds).toBeGreaterThanOrEqual(out[i]?.runningSeconds ?? 0);
        },
      ),
    );
  });

  it('names the run and how long it ran', () => {
    expect(
      overdueRuns(
        { workflow: 'w', arn: 'a', root: false, boundSeconds: 60 },
        [{ name: 'x', startedAt: T - 61_500 }],
        T,
      ),
    ).toEqual([{ workflow: 'w', execution: 'x', runningSeconds: 61, boundSeconds: 60 }]);
    expect(
      overdueRuns(
        { workflow: 'w', arn: 'a', root: false, boundSeconds: 60 },
        [{ name: 'x', startedAt: T - 60_999 }],
        T,
      ),
    ).toEqual([]);
  });
});
