import { CERT_ROTATION_SCENARIOS } from '../../sim/scenarios/cert-rotation';
import { CERT_CLUSTER_SCENARIOS } from '../../sim/scenarios/cert-rotation-cluster';
import { CERT_FAULT_SCENARIOS } from '../../sim/scenarios/cert-rotation-faults';
import { runScene, SEEDS } from './scene-runner';

jest.setTimeout(300_000);

const figures = new Map<string, number[]>();
/** The largest projected 500-node history (events) over the seeds, renewal and CA rotation. */
const history = new Map<string, number>();

describe.each(
  [...CERT_ROTATION_SCENARIOS, ...CERT_FAULT_SCENARIOS, ...CERT_CLUSTER_SCENARIOS].map(
    (s) => [s.name, s] as const,
  ),
)('%s', (_name, scenario) => {
  it.each(SEEDS)('meets its expectations with every invariant holding (seed %i)', async (seed) => {
    const result = await runScene(scenario, seed);
    if (result?.rotationMs !== undefined)
      figures.set(scenario.name, [...(figures.get(scenario.name) ?? []), Number(result.rotationMs)]);
    for (const key of ['historyAt500', 'caHistoryAt500'] as const)
      if (result?.[key] !== undefined) history.set(key, Math.max(history.get(key) ?? 0, Number(result[key])));
  });
});

// Reported, not asserted (the bounds are asserted in each scene).
afterAll(() => {
  for (const [key, events] of history)
    process.stdout.write(`${key}: at most ${events} history events (limit 25,000)\n`);
  for (const [name, list] of figures) {
    const m = (x: number) => (x / 60_000).toFixed(1);
    process.stdout.write(
      `${name}: rotation took ${m(list.reduce((a, b) => a + b, 0) / list.length)} min on average (${m(Math.min(...list))}-${m(Math.max(...list))}) over ${list.length} seeds\n`,
    );
  }
});
