import { startTwinFor } from '../../sim/scenarios';
import { FOREIGN_EVENT_SCENARIOS, OTHER_TEAM_HOOK } from '../../sim/scenarios/foreign-events';
import { SEEDS } from './scene-runner';

jest.setTimeout(180_000);

/**
 * As scene-runner's runScene, with one stated exception: the `lifecycle-timeout` invariant (every lifecycle
 * action completed before its timeout) is meant for the control plane's own hooks, and the other team's action
 * ending by its default is this scene's premise. Exactly that one entry is allowed; every other invariant,
 * including lifecycle-timeout for the project's hooks, must hold.
 */
describe.each(FOREIGN_EVENT_SCENARIOS.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
  it.each(SEEDS)('meets its expectations with every invariant holding (seed %i)', async (seed) => {
    const twin = await startTwinFor(scenario, seed);
    try {
      await scenario.run(twin, (m) => twin.world.timeline.add('-', 'scenario', m));
      twin.invariants.check();
      const othersDefault = (v: { invariant: string; message: string }) =>
        v.invariant === 'lifecycle-timeout' && v.message.includes(`(hook ${OTHER_TEAM_HOOK}, `);
      expect(twin.invariants.violations.filter(othersDefault)).toHaveLength(1);
      expect(twin.invariants.violations.filter((v) => !othersDefault(v))).toEqual([]);
      expect(twin.world.executions.filter((e) => e.status === 'RUNNING')).toEqual([]);
    } finally {
      await twin.stop();
    }
  });
});
