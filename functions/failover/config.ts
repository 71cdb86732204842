/** The failover Lambda's deployment config and what every op receives. */
import type { ClusterMode } from '../core/lifecycle';
import { ENV, requireBooleanEnv, requireEnv, requireWholeNumberEnv } from '../shared/env';
import { ConfigurationError } from '../shared/errors';
import type { Deps } from '../shared/handler';

export interface FailoverConfig {
  readonly cluster: string;
  readonly region: string;
  readonly mode: ClusterMode;
  readonly primaryAsgName: string;
  readonly memberAsgName: string;
  readonly targetGroupArn: string;
  readonly stateTable: string;
  readonly minTaskNodes: number;
  readonly cooldownMinutes: number;
  readonly dailyBudget: number;
  readonly automationEnabled: boolean;
}

/** Read and check the config; any missing or invalid variable is a {@link ConfigurationError}. */
export function loadFailoverConfig(env?: NodeJS.ProcessEnv): FailoverConfig {
  const mode = requireEnv(ENV.clusterMode, env);
  if (mode !== 'legacy-primary' && mode !== 'cloud-native') {
    throw new ConfigurationError(`${ENV.clusterMode} must be legacy-primary or cloud-native`);
  }
  return {
    cluster: requireEnv(ENV.clusterName, env),
    region: requireEnv(ENV.awsRegion, env),
    mode,
    primaryAsgName: requireEnv(ENV.primaryAsgName, env),
    memberAsgName: requireEnv(ENV.memberAsgName, env),
    targetGroupArn: requireEnv(ENV.targetGroupArn, env),
    stateTable: requireEnv(ENV.stateTable, env),
    minTaskNodes: requireWholeNumberEnv(ENV.minTaskNodes, env),
    cooldownMinutes: requireWholeNumberEnv(ENV.cooldownMinutes, env),
    dailyBudget: requireWholeNumberEnv(ENV.dailyBudget, env),
    automationEnabled: requireBooleanEnv(ENV.automationEnabled, env),
  };
}

/** What the failover Lambda may call: the state table, Auto Scaling, the ALB, EC2 and Step Functions. */
export type FailoverDeps = Deps<'dynamoDoc' | 'autoScaling' | 'elbv2' | 'ec2' | 'sfn'>;

/** What every op runs with: the config, the handler's clients and powertools, and one `now` per call. */
export interface OpContext {
  readonly config: FailoverConfig;
  readonly deps: FailoverDeps;
  /** Epoch milliseconds, read once per call. */
  readonly now: number;
}
