// Issue 15: the global pause during an incident, and a run that times out reported from its status event.
import { OPERATIONS_REPORT_SCENARIOS } from '../../sim/scenarios/operations-reports';
import { runScene, SEEDS } from './scene-runner';

jest.setTimeout(300_000);

describe.each(OPERATIONS_REPORT_SCENARIOS.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
  it.each(SEEDS)('meets its expectations with every invariant holding (seed %i)', async (seed) => {
    const result = await runScene(scenario, seed);
    process.stdout.write(`${scenario.name} seed ${seed}: ${JSON.stringify(result)}\n`);
  });
});
