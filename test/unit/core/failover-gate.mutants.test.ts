import { type GateSettings, gateDecision, recordElection } from '../../../functions/core/failover-gate';

const MIN = 60_000;
const NOW = Date.UTC(2026, 2, 10, 12);
const settings: GateSettings = { cooldownMs: 60 * MIN, dailyBudget: 2, automationEnabled: true };
const alarm = { trigger: 'alarm', planned: false, force: false } as const;
const manual = { trigger: 'manual', planned: false, force: false } as const;
// 630 s ago: 49.5 minutes of the 60-minute cooldown left, shown rounded up.
const recent = { lastElectionAt: NOW - 630_000, day: '2026-03-10', count: 1 };
const COOLDOWN = 'the previous election was 630 s ago, within the 60-minute cooldown (50 min left)';

describe('gateDecision tells the operator which rule held the run back, and why', () => {
  it('paused: names the switch', () => {
    expect(gateDecision(alarm, undefined, { ...settings, automationEnabled: false }, NOW)).toEqual({
      allow: false,
      rule: 'paused',
      reason: 'automation is paused (automation.enabled is false, or an operator paused it)',
    });
  });

  it('cooldown: how long ago, the cooldown, and the minutes left', () => {
    expect(gateDecision(alarm, recent, settings, NOW)).toEqual({
      allow: false,
      rule: 'cooldown',
      reason: COOLDOWN,
    });
    expect(gateDecision(manual, recent, settings, NOW)).toEqual({
      allow: false,
      rule: 'cooldown',
      reason: `${COOLDOWN}; pass force: true to override`,
    });
    expect(gateDecision({ ...manual, force: true }, recent, settings, NOW)).toEqual({
      allow: true,
      note: `forced inside the cooldown: ${COOLDOWN}`,
    });
  });

  it('cooldown: ends exactly when it has lasted its length', () => {
    const last = { lastElectionAt: NOW - 60 * MIN, day: '2026-03-10', count: 0 };
    expect(gateDecision(alarm, last, settings, NOW)).toEqual({ allow: true });
    expect(gateDecision(alarm, { ...last, lastElectionAt: NOW - 60 * MIN + 1 }, settings, NOW).allow).toBe(
      false,
    );
  });

  it('budget: the count and the budget; the last allowed election is the budget-th', () => {
    const old = NOW - 120 * MIN;
    expect(gateDecision(alarm, { lastElectionAt: old, day: '2026-03-10', count: 2 }, settings, NOW)).toEqual({
      allow: false,
      rule: 'budget',
      reason: '2 automatic election(s) today reached the daily budget of 2',
    });
    expect(gateDecision(alarm, { lastElectionAt: old, day: '2026-03-10', count: 1 }, settings, NOW)).toEqual({
      allow: true,
    });
    // A record without a count has spent nothing.
    expect(gateDecision(alarm, { lastElectionAt: old, day: '2026-03-10' }, settings, NOW)).toEqual({
      allow: true,
    });
    expect(
      gateDecision(alarm, { lastElectionAt: old, day: '2026-03-10' }, { ...settings, dailyBudget: 0 }, NOW),
    ).toMatchObject({ allow: false, reason: '0 automatic election(s) today reached the daily budget of 0' });
  });

  it('notes why a split brain or a planned handover passes', () => {
    expect(gateDecision({ ...alarm, safety: true }, recent, settings, NOW)).toEqual({
      allow: true,
      note: 'split brain: demotion is never held back by the cooldown or the budget',
    });
    expect(gateDecision({ ...alarm, trigger: 'drain', planned: true }, recent, settings, NOW)).toEqual({
      allow: true,
      note: 'planned handover',
    });
    // A manual run is not a planned handover: the cooldown applies.
    expect(gateDecision({ ...manual, planned: true }, recent, settings, NOW).allow).toBe(false);
  });
});

describe('recordElection', () => {
  it('starts the day’s count at one, carries it within the day, and leaves it for a manual election', () => {
    expect(recordElection(undefined, NOW)).toEqual({ lastElectionAt: NOW, day: '2026-03-10', count: 1 });
    expect(recordElection({ day: '2026-03-10' }, NOW)).toEqual({
      lastElectionAt: NOW,
      day: '2026-03-10',
      count: 1,
    });
    expect(recordElection({ day: '2026-03-10', count: 3 }, NOW, false)).toEqual({
      lastElectionAt: NOW,
      day: '2026-03-10',
      count: 3,
    });
    expect(recordElection({ day: '2026-03-09', count: 3 }, NOW)).toEqual({
      lastElectionAt: NOW,
      day: '2026-03-10',
      count: 1,
    });
  });
});
