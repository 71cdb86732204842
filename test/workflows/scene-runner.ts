import { startTwinFor } from '../../sim/scenarios';
import type { Scenario, ScenarioResult } from '../../sim/scenarios/types';

/** Seeds every primary-failover scene runs over (issue 5: at least 20). */
export const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

/**
 * Runs one scene on a fresh twin and checks what every scene must leave behind: every invariant held (never
 * two primaries among them) and no execution still running.
 */
export async function runScene(scenario: Scenario, seed: number): Promise<ScenarioResult | undefined> {
  const twin = await startTwinFor(scenario, seed);
  try {
    const result = await scenario.run(twin, (m) => twin.world.timeline.add('-', 'scenario', m));
    twin.invariants.check();
    expect(twin.invariants.violations).toEqual([]);
    expect(twin.world.executions.filter((e) => e.status === 'RUNNING')).toEqual([]);
    return result;
  } finally {
    await twin.stop();
  }
}
