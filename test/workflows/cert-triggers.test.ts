import { CERT_TRIGGER_SCENARIOS } from '../../sim/scenarios/cert-triggers';
import { runScene, SEEDS } from './scene-runner';

jest.setTimeout(300_000);

/** Each scene's measured figures per seed, printed when the file ends. */
const figures = new Map<string, string[]>();

afterAll(() => {
  for (const [name, list] of figures) process.stdout.write(`${name}: ${list.join('; ')}\n`);
});

describe.each(CERT_TRIGGER_SCENARIOS.map((s) => [s.name, s] as const))('%s', (name, scenario) => {
  it.each(SEEDS)('meets its promises with every invariant holding (seed %i)', async (seed) => {
    const result = await runScene(scenario, seed);
    figures.set(name, [...(figures.get(name) ?? []), JSON.stringify(result)]);
  });
});
