// Pause means pause (issue 11, item 6).
import { AUTOMATION_PAUSED_SCENARIOS } from '../../sim/scenarios/automation-paused';
import { recordGap, reportGaps, runScene, SEEDS } from './scene-runner';

jest.setTimeout(240_000);

describe.each(AUTOMATION_PAUSED_SCENARIOS.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
  it.each(SEEDS)('meets its expectations with every invariant holding (seed %i)', async (seed) => {
    recordGap(scenario.name, await runScene(scenario, seed));
  });
});

// Reported, not asserted (performance is measured, not timed).
afterAll(reportGaps);
