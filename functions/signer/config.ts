/** The signer's deployment config (set by infra/constructs/cluster-ca.ts and the twin's deployment). */
import { parseCaKeys } from '../core/pki-state';
import { ENV, requireEnv, requireWholeNumberEnv } from '../shared/env';
import { ConfigurationError } from '../shared/errors';

export interface SignerConfig {
  readonly cluster: string;
  readonly region: string;
  readonly stateTable: string;
  /** Every deployed CA generation and its KMS key ARN, ascending. */
  readonly caKeys: ReadonlyMap<number, string>;
  readonly bundleParameter: string;
  readonly groups: readonly string[];
  readonly leafLifetimeDays: number;
  readonly keySize: number;
  readonly caLifetimeDays: number;
}

/** Read and check the config; any missing or invalid variable is a {@link ConfigurationError}. */
export function loadSignerConfig(env?: NodeJS.ProcessEnv): SignerConfig {
  let caKeys: ReadonlyMap<number, string>;
  try {
    caKeys = parseCaKeys(requireEnv(ENV.caKeys, env));
  } catch (err) {
    if (err instanceof ConfigurationError) throw err;
    throw new ConfigurationError((err as Error).message);
  }
  const positive = (name: Parameters<typeof requireWholeNumberEnv>[0]) => {
    const v = requireWholeNumberEnv(name, env);
    if (v < 1) throw new ConfigurationError(`${name} must be >= 1`);
    return v;
  };
  return {
    cluster: requireEnv(ENV.clusterName, env),
    region: requireEnv(ENV.awsRegion, env),
    stateTable: requireEnv(ENV.stateTable, env),
    caKeys,
    bundleParameter: requireEnv(ENV.caBundleParameter, env),
    groups: [requireEnv(ENV.primaryAsgName, env), requireEnv(ENV.memberAsgName, env)],
    leafLifetimeDays: positive(ENV.leafLifetimeDays),
    keySize: positive(ENV.keySize),
    caLifetimeDays: positive(ENV.caLifetimeDays),
  };
}
