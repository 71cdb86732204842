import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Config } from './config/schema';
import { ControlPlaneStack } from './stacks/control-plane-stack';
import { GlobalRoutingStack } from './stacks/global-routing-stack';
import { controlPlaneStackName, globalRoutingStackName, witnessStackName } from './stacks/names';
import { WitnessStack } from './stacks/witness-stack';

export interface BuiltApp {
  readonly app: App;
  readonly controlPlanes: ReadonlyMap<string, ControlPlaneStack>;
  readonly globalRouting: GlobalRoutingStack;
  /** The routing table in `failover.witnessRegion`, when one is configured. */
  readonly witness?: WitnessStack;
}

export interface BuildOptions {
  /** Run cdk-nag (AwsSolutions) and cfn-guard (Control Tower rules) at synth. Default true. */
  readonly policyChecks?: boolean;
  /** The app to build into (its context already read); a new one by default. */
  readonly app?: App;
}

/**
 * Builds the whole deployment for a validated config: one control-plane stack per region, the witness stack
 * (routing table only) when `failover.witnessRegion` is set, and the global routing stack last: its copy checks
 * name every region's switch alarm copies, which the control-plane stacks create. The control-plane stacks do
 * not depend on each other or on the witness: each region deploys (and acts) alone; the routing Lambda finds a
 * voter's table missing as an unreachable voter.
 */
export function buildApp(config: Config, options: BuildOptions = {}): BuiltApp {
  const checks = options.policyChecks ?? true;
  const app = options.app ?? new App();
  if (checks) {
    Validations.of(app).addPlugins(
      new AwsSolutionsChecks(app),
      new CfnGuardValidator({ controlTowerRulesEnabled: true }),
    );
  }

  const account = config.account ?? process.env.CDK_DEFAULT_ACCOUNT;
  const controlPlanes = new Map<string, ControlPlaneStack>();
  for (const regionConfig of config.regions) {
    const name = controlPlaneStackName(config, regionConfig.name);
    controlPlanes.set(
      regionConfig.name,
      new ControlPlaneStack(app, name, {
        stackName: name,
        env: { region: regionConfig.name, ...(account ? { account } : {}) },
        description: `Artifactory HA control plane for ${config.cluster.name} in ${regionConfig.name}`,
        config,
        regionConfig,
        terminationProtection: true,
      }),
    );
  }
  const witnessRegion = config.failover.witnessRegion;
  const witness =
    witnessRegion === undefined
      ? undefined
      : new WitnessStack(app, witnessStackName(config), {
          stackName: witnessStackName(config),
          env: { region: witnessRegion, ...(account ? { account } : {}) },
          description: `Routing witness (routing table only) for ${config.cluster.name} in ${witnessRegion}`,
          config,
          terminationProtection: true,
        });
  const routingName = globalRoutingStackName(config);
  const globalRouting = new GlobalRoutingStack(app, routingName, {
    stackName: routingName,
    env: { region: config.routing.stackRegion, ...(account ? { account } : {}) },
    description: `Latency records and health checks for ${config.cluster.name}`,
    config,
    terminationProtection: true,
  });
  // The switch copy checks reference the regional switch alarms by name and region; create those first.
  for (const stack of controlPlanes.values()) globalRouting.addStackDependency(stack);

  return { app, controlPlanes, globalRouting, ...(witness ? { witness } : {}) };
}
