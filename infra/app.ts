import { App } from 'aws-cdk-lib';
import { buildApp } from './build';
import { loadConfig } from './config/load';

// Config file: HA_CONFIG, else `cdk synth -c config=path.yaml`; cdk.json points at the example.
const app = new App();
const configPath = process.env.HA_CONFIG ?? (app.node.tryGetContext('config') as string | undefined);

try {
  if (!configPath) throw new Error('no configuration: set HA_CONFIG or pass -c config=path/to/config.yaml');
  buildApp(loadConfig(configPath), { app });
  app.synth();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
