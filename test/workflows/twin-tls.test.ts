// Issue 13, item 8: the twin knows TLS; an expired certificate breaks a node as Artifactory breaks.
import { TWIN_TLS_SCENARIOS } from '../../sim/scenarios/twin-tls';
import { runScene, SEEDS } from './scene-runner';

jest.setTimeout(180_000);

describe.each(TWIN_TLS_SCENARIOS.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
  it.each(SEEDS)('keeps its bound with every invariant holding (seed %i)', async (seed) => {
    const result = await runScene(scenario, seed);
    process.stdout.write(`${scenario.name} seed ${seed}: ${JSON.stringify(result)}\n`);
  });
});
