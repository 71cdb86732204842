import { memberCrash, switchByHand } from '../../sim/scenarios/world-baseline';

const SCENARIOS = [memberCrash, switchByHand];

import { startTwinFor } from '../../sim/scenarios';

/** Runs a scenario on a fresh twin and returns its timeline (as text) and invariant violations. */
async function play(name: string, seed: number) {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (!scenario) throw new Error(`no scenario ${name}`);
  const twin = await startTwinFor(scenario, seed);
  try {
    const result = await scenario.run(twin, (m) => twin.world.timeline.add('-', 'scenario', m));
    twin.invariants.check();
    return {
      result,
      violations: [...twin.invariants.violations],
      timeline: twin.world.timeline.entries.map((e) => `${e.at} ${e.region} ${e.source} ${e.message}`),
    };
  } finally {
    await twin.stop();
  }
}

const SEEDS = [1, 2, 3, 4, 5];

jest.setTimeout(120_000);

describe.each(SCENARIOS.map((s) => s.name))('scenario %s', (name) => {
  it.each(SEEDS)('meets its expectations and every invariant with seed %i', async (seed) => {
    const { violations } = await play(name, seed);
    expect(violations).toEqual([]);
  });
});

describe('determinism', () => {
  it('the same seed gives the same timeline; another seed a different one', async () => {
    const a = await play('member-crash', 11);
    const b = await play('member-crash', 11);
    const c = await play('member-crash', 12);
    expect(b.timeline).toEqual(a.timeline);
    expect(c.timeline).not.toEqual(a.timeline);
  });
});
