/**
 * Runs one scene on a fresh twin and summarises it (sim/scene-summary.ts): what `npm start` and
 * `npm run bench` share. The scene's own expectations and bounds decide its outcome together with the
 * invariants, as test/workflows/scene-runner.ts does.
 */
import { startTwinFor } from './scenarios';
import { keyWindowOf } from './scenarios/floors';
import type { Scenario, ScenarioResult } from './scenarios/types';
import { type SceneSummary, summarizeScene } from './scene-summary';
import type { Twin } from './twin';

export interface SceneRun {
  readonly summary: SceneSummary;
  readonly result: ScenarioResult | undefined;
}

/** The records of a finished twin, with the scene's error (if its run threw) and key window. */
export function sceneRecordOf(twin: Twin, scene: Scenario, seed: number, error?: string) {
  let window: ReturnType<typeof keyWindowOf>;
  let windowError: string | undefined;
  try {
    window = keyWindowOf(scene.name, twin);
  } catch (err) {
    // A window that cannot be measured is a fault of the floors, not a figure to leave out: it fails the scene.
    windowError = `no key window: ${(err as Error).message}`;
  }
  const err = [error, windowError].filter((x) => x !== undefined);
  return {
    scene,
    seed,
    ...(err.length > 0 ? { error: err.join('; ') } : {}),
    virtualMs: twin.world.clock.now() - twin.world.clock.startAt,
    executions: twin.world.executions,
    lambdaInvocations: twin.lambda.invocations,
    violations: twin.invariants.violations,
    notModelled: twin.world.notModelled,
    window,
  };
}

/**
 * Starts a twin for `scene`, runs it (`watch` sees the twin first, e.g. to print its timeline), checks the
 * invariants, summarises and stops the twin.
 */
export async function runSceneSummary(
  scene: Scenario,
  seed: number,
  watch?: (twin: Twin) => void,
  /** Reads the world once the scene has run, before it stops (e.g. `npm start`'s dashboard snapshot). */
  atEnd?: (twin: Twin) => Promise<void>,
): Promise<SceneRun> {
  const twin = await startTwinFor(scene, seed);
  try {
    watch?.(twin);
    let result: ScenarioResult | undefined;
    let error: string | undefined;
    try {
      result = await scene.run(twin, (m) => twin.world.timeline.add('-', 'scenario', m));
    } catch (err) {
      error = (err as Error).message;
    }
    twin.invariants.check();
    await atEnd?.(twin);
    return { summary: summarizeScene(sceneRecordOf(twin, scene, seed, error)), result };
  } finally {
    await twin.stop();
  }
}
