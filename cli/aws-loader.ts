/** The AWS loader: the config file (--config or HA_CONFIG) and the AWS backend. */
import { ConfigError, loadConfig } from '../infra/config/load';
import type { Config } from '../infra/config/schema';
import { AwsBackend, awsClients, type BackendClients, type Clock, REAL_CLOCK } from './backend';
import type { BackendLoader } from './context';
import { CliError } from './errors';
import { EXIT } from './exit-codes';

/** Reads the config named by --config or HA_CONFIG; any problem is one line, exit 4. */
export function readConfig(path: string | undefined, env: NodeJS.ProcessEnv): Config {
  const file = path ?? env.HA_CONFIG;
  if (file === undefined || file === '') {
    throw new CliError(
      EXIT.ENVIRONMENT,
      'no configuration: pass --config path/to/config.yaml or set HA_CONFIG (the file the CDK app deployed)',
    );
  }
  try {
    return loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new CliError(EXIT.ENVIRONMENT, `invalid configuration ${file}: ${err.issues.join('; ')}`, {
        cause: err,
      });
    }
    throw err;
  }
}

/** The AWS loader; `makeClients` lets tests stub every client's `send`. */
export function awsLoader(
  makeClients: (region: string) => BackendClients = awsClients,
  clock: Clock = REAL_CLOCK,
): BackendLoader {
  return async (opts, io) => {
    const config = readConfig(opts.config, io.env);
    return { config, backend: new AwsBackend(config, makeClients, clock) };
  };
}
