/**
 * The figures `npm start` and `npm run bench` print (sim/scene-summary.ts, sim/scenarios/floors.ts), checked
 * on the twin: every standard scene passes through the summary as through the scene runner, its key window is
 * measured, and no floor exceeds its window (a floor is a lower bound from the seed's timings; one above the
 * window is a wrong formula). The crash floor is the one the primary-crash scene asserts its bound against.
 */
import { SCENARIOS, STANDARD_SCENES } from '../../sim/scenarios';
import { SCENE_WINDOWS } from '../../sim/scenarios/floors';
import { runSceneSummary } from '../../sim/scene-run';
import { SEEDS } from './scene-runner';

jest.setTimeout(180_000);

const windowed = (name: string) => SCENE_WINDOWS[name] !== undefined;

describe.each(STANDARD_SCENES.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
  it.each(SEEDS)('passes, with its key window at or above its floor (seed %i)', async (seed) => {
    const { summary, result } = await runSceneSummary(scenario, seed);
    expect(summary.why).toEqual([]);
    expect(summary.outcome).toBe('passed');
    expect(summary.runs.length).toBeGreaterThan(0);
    const w = summary.window;
    expect(w).toBeDefined();
    expect(w?.floorMs).toBeGreaterThan(0);
    expect(w?.windowMs).toBeGreaterThanOrEqual(w?.floorMs as number);
    for (const ms of Object.values(w?.parts ?? {})) expect(ms).toBeGreaterThanOrEqual(0);
    if (scenario.name === 'primary-crash') {
      // The same floor the scene bounds its window by (its result says it in minutes, one decimal).
      expect(result?.['floor (seed)']).toBe(`${((w?.floorMs as number) / 60_000).toFixed(1)} min`);
      expect(result?.gapMs).toBe(w?.windowMs);
    }
  });
});

const OTHERS = SCENARIOS.filter((s) => windowed(s.name) && !STANDARD_SCENES.includes(s));

describe.each(OTHERS.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
  it.each([1, 2])('has a key window at or above its floor (seed %i)', async (seed) => {
    const { summary } = await runSceneSummary(scenario, seed);
    expect(summary.window?.windowMs).toBeGreaterThanOrEqual(summary.window?.floorMs as number);
    expect(summary.window?.floorMs).toBeGreaterThan(0);
  });
});

it('names only scenes that exist, and every standard scene has a window', () => {
  const names = new Set(SCENARIOS.map((s) => s.name));
  expect(Object.keys(SCENE_WINDOWS).filter((n) => !names.has(n))).toEqual([]);
  expect(STANDARD_SCENES.map((s) => s.name).filter((n) => !windowed(n))).toEqual([]);
});
