import { loadConfig } from '../../infra/config/load';
import { EXAMPLE_CONFIG, Twin } from '../twin';
import { AUTOMATION_PAUSED_SCENARIOS } from './automation-paused';
import { CERT_CENSUS_SCENARIOS } from './cert-census';
import { CERT_ROTATION_SCENARIOS } from './cert-rotation';
import { CERT_CLUSTER_SCENARIOS } from './cert-rotation-cluster';
import { CERT_FAULT_SCENARIOS } from './cert-rotation-faults';
import { CERT_TRIGGER_SCENARIOS } from './cert-triggers';
import { STANDARD_SCENE_NAMES } from './costs';
import { FOREIGN_EVENT_SCENARIOS } from './foreign-events';
import { LEASE_SCENARIOS } from './lease-holders';
import { NODE_COMMAND_SCENARIOS } from './node-commands';
import { NODE_LIFECYCLE_SCENARIOS } from './node-lifecycle';
import { NODE_RESTART_SCENARIOS } from './node-restarts';
import { OPERATIONS_FAILURE_SCENARIOS } from './operations-failures';
import { OPERATIONS_REPORT_SCENARIOS } from './operations-reports';
import { PLANNED_RESTART_SCENARIOS } from './planned-restart';
import { PRIMARY_FAILOVER_SCENARIOS, primaryCrashAsgOnly } from './primary-failover';
import { PRIMARY_FAILOVER_FAULT_SCENARIOS } from './primary-failover-faults';
import { PRIMARY_FENCING_SCENARIOS } from './primary-fencing';
import { PRIMARY_QUARANTINE_SCENARIOS } from './primary-quarantine';
import { REGIONAL_AUTOMATIC_SCENARIOS } from './regional-automatic';
import { REGIONAL_MANUAL_SCENARIOS } from './regional-manual';
import { REGIONAL_SAFETY_SCENARIOS } from './regional-safety';
import { TWIN_FAULT_SCENARIOS } from './twin-faults';
import { TWIN_SIGNAL_FAULT_SCENARIOS } from './twin-signal-faults';
import { TWIN_TLS_SCENARIOS } from './twin-tls';
import type { Scenario } from './types';
import { memberCrash, switchByHand } from './world-baseline';

/** Every scenario `npm start` knows, in the order the tour runs them. */
export const SCENARIOS: readonly Scenario[] = [
  memberCrash,
  switchByHand,
  ...NODE_LIFECYCLE_SCENARIOS,
  ...NODE_RESTART_SCENARIOS,
  ...NODE_COMMAND_SCENARIOS,
  ...FOREIGN_EVENT_SCENARIOS,
  ...PRIMARY_FAILOVER_SCENARIOS,
  primaryCrashAsgOnly,
  ...PRIMARY_FAILOVER_FAULT_SCENARIOS,
  ...PRIMARY_FENCING_SCENARIOS,
  ...LEASE_SCENARIOS,
  ...PRIMARY_QUARANTINE_SCENARIOS,
  ...AUTOMATION_PAUSED_SCENARIOS,
  ...TWIN_FAULT_SCENARIOS,
  ...TWIN_SIGNAL_FAULT_SCENARIOS,
  ...TWIN_TLS_SCENARIOS,
  ...PLANNED_RESTART_SCENARIOS,
  ...CERT_ROTATION_SCENARIOS,
  ...CERT_FAULT_SCENARIOS,
  ...CERT_CLUSTER_SCENARIOS,
  ...CERT_TRIGGER_SCENARIOS,
  ...CERT_CENSUS_SCENARIOS,
  ...REGIONAL_AUTOMATIC_SCENARIOS,
  ...REGIONAL_SAFETY_SCENARIOS,
  ...REGIONAL_MANUAL_SCENARIOS,
  ...OPERATIONS_FAILURE_SCENARIOS,
  ...OPERATIONS_REPORT_SCENARIOS,
];

/** The operations scenes (issue 15), in the order test/workflows/operations-*.test.ts run them. */
export const OPERATIONS_SCENARIOS: readonly Scenario[] = [
  ...OPERATIONS_FAILURE_SCENARIOS,
  ...OPERATIONS_REPORT_SCENARIOS,
];

/** The regional-failover scenes (issue 14), in the order test/workflows/regional-failover.test.ts runs them. */
export const REGIONAL_SCENARIOS: readonly Scenario[] = [
  ...REGIONAL_AUTOMATIC_SCENARIOS,
  ...REGIONAL_SAFETY_SCENARIOS,
  ...REGIONAL_MANUAL_SCENARIOS,
];

/** The standard scenes (issue 12, `STANDARD_SCENE_NAMES` in ./costs.ts) as scenes. */
export const STANDARD_SCENES: readonly Scenario[] = STANDARD_SCENE_NAMES.map((name) => {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`STANDARD_SCENE_NAMES names ${name}, which is no scenario`);
  return s;
});

export function scenarioByName(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

/** Starts a twin as `scenario` needs it: its config adjustments, with or without the control plane. */
export function startTwinFor(scenario: Scenario, seed: number): Promise<Twin> {
  const config = loadConfig(EXAMPLE_CONFIG);
  const prepare = scenario.prepare?.bind(scenario);
  return Twin.start({
    ...(prepare !== undefined ? { prepare } : {}),
    seed,
    controlPlane: scenario.controlPlane ?? true,
    config: scenario.configure ? scenario.configure(config) : config,
    ...(scenario.members !== undefined ? { members: scenario.members } : {}),
    ...(scenario.tls !== undefined ? { tls: scenario.tls } : {}),
  });
}
