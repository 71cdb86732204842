/**
 * The regional-failover scenes (issue 14, "Scenes"), each over the 20 seeds, with every invariant holding
 * (never fewer than failover.minServingRegions regions serving by our action among them). Their windows against
 * the floor are printed when the file ends (reported; the scenes assert them as bounds).
 */
import { REGIONAL_SCENARIOS } from '../../sim/scenarios';
import type { ScenarioResult } from '../../sim/scenarios/types';
import { runScene, SEEDS } from './scene-runner';

jest.setTimeout(300_000);

const figures = new Map<string, Map<string, string[]>>();

function record(scene: string, result: ScenarioResult | undefined): void {
  const byKey = figures.get(scene) ?? new Map<string, string[]>();
  for (const [k, v] of Object.entries(result ?? {})) byKey.set(k, [...(byKey.get(k) ?? []), String(v)]);
  figures.set(scene, byKey);
}

describe.each(REGIONAL_SCENARIOS.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
  it.each(SEEDS)('keeps its promise with every invariant holding (seed %i)', async (seed) => {
    record(scenario.name, await runScene(scenario, seed));
  });
});

/** "a / floor b = r×" figures: the worst ratio over the seeds; others: the distinct values. */
afterAll(() => {
  for (const [scene, byKey] of figures) {
    for (const [k, values] of byKey) {
      const ratios = values
        .map((v) => /= ([0-9.]+)×$/.exec(v)?.[1])
        .filter((r) => r !== undefined)
        .map(Number);
      const text =
        ratios.length === values.length && ratios.length > 0
          ? `worst ${values[ratios.indexOf(Math.max(...ratios))]}, mean ratio ${(ratios.reduce((a, b) => a + b, 0) / ratios.length).toFixed(2)}× over ${ratios.length} seeds`
          : [...new Set(values)].slice(0, 5).join(' | ');
      process.stdout.write(`${scene}: ${k}: ${text}\n`);
    }
  }
});
