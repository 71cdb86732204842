import { NODE_RESTART_SCENARIOS } from '../../sim/scenarios/node-restarts';
import { recordGap, reportGaps, runScene, SEEDS } from './scene-runner';

jest.setTimeout(300_000);

afterAll(reportGaps);

describe.each(NODE_RESTART_SCENARIOS.map((s) => [s.name, s] as const))('%s', (name, scenario) => {
  it.each(SEEDS)('meets its promises with every invariant holding (seed %i)', async (seed) => {
    recordGap(name, await runScene(scenario, seed));
  });
});
