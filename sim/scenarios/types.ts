import type { Config } from '../../infra/config/schema';
import type { Twin } from '../twin';

/** A scripted scene run on the twin; `npm start -- --scenario <name>` runs one. */
export interface Scenario {
  readonly name: string;
  readonly title: string;
  /** One paragraph: what happens and what it shows. */
  readonly description: string;
  /** Deploy the control plane into the world (false shows what AWS does on its own). Default true. */
  readonly controlPlane?: boolean;
  /** Member nodes per region in the initial cluster (the twin's default is 2). */
  readonly members?: number;
  /** Adjusts the deployment config (the example config) for this scene, e.g. a shorter cooldown. */
  configure?(config: Config): Config;
  /**
   * Invariants the scene's own fault breaks on purpose (e.g. a split brain it injects): their episodes are
   * accepted only if each one ended within `withinMs` (the scene's promise, as a bound). Every other
   * invariant must hold throughout.
   */
  readonly injected?: readonly { readonly invariant: string; readonly withinMs: number }[];
  /** Drives the twin; `say` adds a narrated step to the timeline. Throws when an expectation fails. */
  run(twin: Twin, say: (message: string) => void): Promise<ScenarioResult | undefined>;
}

/** Measurements a scenario reports in the summary (name → human-readable value). */
export type ScenarioResult = Record<string, string | number>;

/** Fails a scenario with a clear message. */
export function expectThat(condition: boolean, message: string): void {
  if (!condition) throw new Error(`expectation failed: ${message}`);
}

export const MINUTE = 60_000;

/**
 * The violations a scene must not have: every one, except an episode of an invariant the scene breaks on
 * purpose ({@link Scenario.injected}) that ended within its bound.
 */
export function unexpectedViolations<
  V extends { invariant: string; at: number; clearedAt?: number | undefined },
>(scenario: Pick<Scenario, 'injected'>, violations: readonly V[]): V[] {
  return violations.filter((v) => {
    const bound = scenario.injected?.find((i) => i.invariant === v.invariant)?.withinMs;
    return bound === undefined || v.clearedAt === undefined || v.clearedAt - v.at > bound;
  });
}
