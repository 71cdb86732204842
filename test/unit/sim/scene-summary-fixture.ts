/** A scene summary with every figure set, for tests of what prints or aggregates summaries. Not a test file. */
import type { SceneSummary } from '../../../sim/scene-summary';

export function fakeSummary(scene: string, extra: Partial<SceneSummary> = {}): SceneSummary {
  return {
    scene,
    seed: 1,
    outcome: 'passed',
    why: [],
    virtualMs: 1000,
    executions: { total: 1, succeeded: 1, failed: 0 },
    transitions: 10,
    lambda: { requests: 0, gbSeconds: 0 },
    dollars: { stepFunctions: 0.00025, lambda: 0, total: 0.00025 },
    runs: [],
    timedOutCommands: [],
    invariants: { held: true, violations: [], accepted: 0 },
    ...extra,
  };
}
