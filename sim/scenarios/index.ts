import { NODE_LIFECYCLE_SCENARIOS } from './node-lifecycle';
import { PRIMARY_FAILOVER_SCENARIOS, primaryCrashAsgOnly } from './primary-failover';
import type { Scenario } from './types';
import { memberCrash, switchByHand } from './world-baseline';

/** Every scenario `npm start` knows, in the order the tour runs them. */
export const SCENARIOS: readonly Scenario[] = [
  memberCrash,
  switchByHand,
  ...NODE_LIFECYCLE_SCENARIOS,
  ...PRIMARY_FAILOVER_SCENARIOS,
  primaryCrashAsgOnly,
];

export function scenarioByName(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
