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
  /** The world's TLS model (B's `tls` option): `on` makes a node's served certificate matter. Default off. */
  readonly tls?: 'off' | 'on';
  /** Adjusts the deployment config (the example config) for this scene, e.g. a shorter cooldown. */
  configure?(config: Config): Config;
  /**
   * Sets the world up before the invariants watch it (TwinOptions.prepare), e.g. the initial cluster's
   * certificates when `tls` is on.
   */
  prepare?(twin: Twin): Promise<void>;
  /**
   * Invariants the scene's own fault breaks on purpose (e.g. a split brain it injects): their episodes are
   * accepted only if each one ended within `withinMs` (the scene's promise, as a bound). Every other
   * invariant must hold throughout.
   */
  readonly injected?: readonly { readonly invariant: string; readonly withinMs: number }[];
  /**
   * Violations the scene's premise causes and the control plane is not asked to prevent (e.g. another team's
   * lifecycle action ending by its default): at most `count` of `invariant` whose message matches `message`
   * are accepted. Every other violation, and any beyond `count`, fails the scene.
   */
  readonly premise?: readonly {
    readonly invariant: string;
    readonly message: RegExp;
    readonly count: number;
  }[];
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
 * purpose ({@link Scenario.injected}) that ended within its bound, and those its premise causes
 * ({@link Scenario.premise}), up to their count.
 */
export function unexpectedViolations<
  V extends { invariant: string; at: number; clearedAt?: number | undefined; message?: string },
>(scenario: Pick<Scenario, 'injected' | 'premise'>, violations: readonly V[]): V[] {
  const premiseLeft = (scenario.premise ?? []).map((p) => ({ ...p, left: p.count }));
  return violations.filter((v) => {
    const premise = premiseLeft.find(
      (p) => p.invariant === v.invariant && p.left > 0 && p.message.test(v.message ?? ''),
    );
    if (premise) {
      premise.left--;
      return false;
    }
    const bound = scenario.injected?.find((i) => i.invariant === v.invariant)?.withinMs;
    return bound === undefined || v.clearedAt === undefined || v.clearedAt - v.at > bound;
  });
}
