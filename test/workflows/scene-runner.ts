import type { ExecutionRecord } from '../../sim/core/world';
import { startTwinFor } from '../../sim/scenarios';
import { expectTransitionBudgets, STANDARD_SCENE_NAMES } from '../../sim/scenarios/costs';
import { functionErrors, HEALTHY_SCENE_NAMES } from '../../sim/scenarios/function-errors';
import { type Scenario, type ScenarioResult, unexpectedViolations } from '../../sim/scenarios/types';
import type { Twin } from '../../sim/twin';

/** Seeds every primary-failover scene runs over (issue 5: at least 20). */
export const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

/**
 * Runs one scene on a fresh twin and checks what every scene must leave behind: no call the twin does not
 * model, every invariant held (never two primaries among them), no execution still running, and for a healthy
 * scene (HEALTHY_SCENE_NAMES) no function error.
 */
export async function runScene(scenario: Scenario, seed: number): Promise<ScenarioResult | undefined> {
  const twin = await startTwinFor(scenario, seed);
  try {
    const result = await scenario.run(twin, (m) => twin.world.timeline.add('-', 'scenario', m));
    twin.invariants.check();
    // A call the twin does not model fails the scene even when a workflow caught it (also an invariant).
    expect(twin.world.notModelled).toEqual([]);
    // A fault the scene injects on purpose may break an invariant: each such episode must have ended in
    // its bound; anything else is a violation.
    expect(unexpectedViolations(scenario, twin.invariants.violations)).toEqual([]);
    expect(twin.world.executions.filter((e) => e.status === 'RUNNING')).toEqual([]);
    // Issue 15: a healthy scene ends with zero function errors (a wait is an answer, never an error).
    if (HEALTHY_SCENE_NAMES.includes(scenario.name))
      expect(functionErrors(twin.lambda.invocations)).toEqual({});
    if (STANDARD_SCENE_NAMES.includes(scenario.name)) recordCosts(scenario.name, twin.world.executions);
    return result;
  } finally {
    await twin.stop();
  }
}

/**
 * Issue 15: a healthy scene (HEALTHY_SCENE_NAMES) ends with zero function errors: a wait is the function's
 * answer, never an error, so the `<fn>-errors` alarms mean something failed.
 */
export function expectNoFunctionErrorsIfHealthy(scene: string, twin: Pick<Twin, 'lambda'>): void {
  if (HEALTHY_SCENE_NAMES.includes(scene)) expect(functionErrors(twin.lambda.invocations)).toEqual({});
}

/** Windows without a ready primary, per scene, reported (not asserted) when the file ends. */
const gaps = new Map<string, number[]>();

/** Keeps a scene's measured window (its result's `gapMs`) for {@link reportGaps}. */
export function recordGap(scene: string, result: ScenarioResult | undefined): void {
  if (result?.gapMs !== undefined) gaps.set(scene, [...(gaps.get(scene) ?? []), Number(result.gapMs)]);
}

/** Prints each scene's window without a ready primary: mean and range over its seeds (the README quotes them). */
export function reportGaps(): void {
  for (const [name, list] of gaps) {
    const min = Math.min(...list) / 60_000;
    const max = Math.max(...list) / 60_000;
    const mean = list.reduce((a, b) => a + b, 0) / list.length / 60_000;
    process.stdout.write(
      `${name}: no ready primary for ${mean.toFixed(1)} min on average (${min.toFixed(1)}-${max.toFixed(1)}) over ${list.length} seeds\n`,
    );
  }
}

/** The most expensive node-bootstrap and primary-failover run per standard scene, per seed. */
const costs = new Map<string, { bootstrap: number[]; failover: number[] }>();

/**
 * Asserts issue 12's transition budgets on a standard scene's runs (sim/scenarios/costs.ts) and keeps the
 * most expensive run of each workflow for {@link reportCosts}.
 */
export function recordCosts(scene: string, executions: readonly ExecutionRecord[]): void {
  const { bootstrap, failover } = expectTransitionBudgets(executions);
  const entry = costs.get(scene) ?? { bootstrap: [], failover: [] };
  if (bootstrap) entry.bootstrap.push(bootstrap.total);
  if (failover) entry.failover.push(failover.total);
  costs.set(scene, entry);
}

/** Prints, per standard scene, the costliest run's transitions: mean and range over its seeds. */
export function reportCosts(): void {
  const line = (list: number[]) =>
    list.length === 0
      ? 'none'
      : `${(list.reduce((a, b) => a + b, 0) / list.length).toFixed(0)} (${Math.min(...list)}-${Math.max(...list)})`;
  for (const [name, c] of costs) {
    process.stdout.write(
      `${name}: costliest node-bootstrap ${line(c.bootstrap)}, primary-failover ${line(c.failover)} state transitions over ${Math.max(c.bootstrap.length, c.failover.length)} seeds\n`,
    );
  }
}
