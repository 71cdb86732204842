/** The deployment config dispatch and the reconciler read from the environment. */
import type { ClusterMode, LifecycleWorkflow } from '../core/lifecycle';
import { ENV, requireBooleanEnv, requireEnv } from './env';
import { ConfigurationError } from './errors';

export interface LifecycleConfig {
  readonly cluster: string;
  readonly mode: ClusterMode;
  readonly primaryAsgName: string;
  readonly memberAsgName: string;
  readonly stateMachineArns: Readonly<Record<LifecycleWorkflow, string>>;
  readonly stateTable: string;
  /**
   * `automation.enabled`: false pauses the failovers dispatch and the sweep would start (lifecycle actions are
   * still answered); what they find is reported instead, once per incident, on `topicArn`.
   */
  readonly automationEnabled: boolean;
  readonly topicArn: string;
}

const CLUSTER_MODES: readonly ClusterMode[] = ['legacy-primary', 'cloud-native'];

/** Read and check the lifecycle config; any missing or invalid variable is a {@link ConfigurationError}. */
export function loadLifecycleConfig(env?: NodeJS.ProcessEnv): LifecycleConfig {
  const mode = requireEnv(ENV.clusterMode, env);
  if (!CLUSTER_MODES.includes(mode as ClusterMode)) {
    throw new ConfigurationError(`${ENV.clusterMode} must be one of ${CLUSTER_MODES.join(', ')}`);
  }
  const primaryAsgName = requireEnv(ENV.primaryAsgName, env);
  const memberAsgName = requireEnv(ENV.memberAsgName, env);
  if (primaryAsgName === memberAsgName) {
    // One group cannot give two roles: every node would be taken for the primary.
    throw new ConfigurationError(`${ENV.primaryAsgName} and ${ENV.memberAsgName} must differ`);
  }
  return {
    cluster: requireEnv(ENV.clusterName, env),
    mode: mode as ClusterMode,
    primaryAsgName,
    memberAsgName,
    stateMachineArns: {
      'node-bootstrap': requireEnv(ENV.bootstrapStateMachineArn, env),
      'node-drain': requireEnv(ENV.drainStateMachineArn, env),
    },
    stateTable: requireEnv(ENV.stateTable, env),
    automationEnabled: requireBooleanEnv(ENV.automationEnabled, env),
    topicArn: requireEnv(ENV.topicArn, env),
  };
}
