import { PRIMARY_FAILOVER_SCENARIOS, primaryCrashAsgOnly } from '../../sim/scenarios/primary-failover';
import { recordGap, reportCosts, reportGaps, runScene, SEEDS } from './scene-runner';

jest.setTimeout(180_000);

describe.each([...PRIMARY_FAILOVER_SCENARIOS, primaryCrashAsgOnly].map((s) => [s.name, s] as const))(
  '%s',
  (_name, scenario) => {
    it.each(SEEDS)(
      'meets its expectations with every invariant holding, never two primaries (seed %i)',
      async (seed) => {
        recordGap(scenario.name, await runScene(scenario, seed));
      },
    );
  },
);

// Reported, not asserted (performance is measured, not timed).
afterAll(() => {
  reportGaps();
  reportCosts();
});
