import { NODE_COMMAND_SCENARIOS } from '../../sim/scenarios/node-commands';
import { runScene, SEEDS } from './scene-runner';

jest.setTimeout(180_000);

describe.each(NODE_COMMAND_SCENARIOS.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
  it.each(SEEDS)('meets its expectations with every invariant holding (seed %i)', async (seed) => {
    await runScene(scenario, seed);
  });
});
