import { STANDARD_SCENE_NAMES } from '../../sim/scenarios/costs';
import { NODE_LIFECYCLE_SCENARIOS } from '../../sim/scenarios/node-lifecycle';
import { Twin } from '../../sim/twin';
import {
  expectNoFunctionErrorsIfHealthy,
  recordCosts,
  reportCosts,
  SEEDS as STANDARD_SEEDS,
} from './scene-runner';

jest.setTimeout(180_000);

/** The standard scenes (scale-out, scale-in) run the runner's 20 seeds: their budgets hold on all of them. */
const SEEDS = Array.from({ length: 10 }, (_, i) => i + 1);
const seedsOf = (name: string) => (STANDARD_SCENE_NAMES.includes(name) ? STANDARD_SEEDS : SEEDS);

describe.each(NODE_LIFECYCLE_SCENARIOS.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
  it.each(seedsOf(scenario.name))(
    'meets its expectations with every invariant holding (seed %i)',
    async (seed) => {
      const twin = await Twin.start({ seed });
      try {
        await scenario.run(twin, (m) => twin.world.timeline.add('-', 'scenario', m));
        twin.invariants.check();
        expect(twin.invariants.violations).toEqual([]);
        // No execution is left running, and none was started that the scenario did not account for.
        expect(twin.world.executions.filter((e) => e.status === 'RUNNING')).toEqual([]);
        expectNoFunctionErrorsIfHealthy(scenario.name, twin);
        if (STANDARD_SCENE_NAMES.includes(scenario.name)) recordCosts(scenario.name, twin.world.executions);
      } finally {
        await twin.stop();
      }
    },
  );
});

// Reported, not asserted: the budgets themselves are asserted per run above.
afterAll(reportCosts);
