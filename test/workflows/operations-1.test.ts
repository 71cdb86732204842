// Issue 15: the control plane watches itself (a failing Lambda, a dead watch, dead letters and their replay).
import { OPERATIONS_FAILURE_SCENARIOS } from '../../sim/scenarios/operations-failures';
import { runScene, SEEDS } from './scene-runner';

jest.setTimeout(300_000);

describe.each(OPERATIONS_FAILURE_SCENARIOS.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
  it.each(SEEDS)('meets its expectations with every invariant holding (seed %i)', async (seed) => {
    const result = await runScene(scenario, seed);
    process.stdout.write(`${scenario.name} seed ${seed}: ${JSON.stringify(result)}\n`);
  });
});
