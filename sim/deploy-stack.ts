/**
 * The control-plane stack as the twin's CloudFormation describes it: the stack name the CDK app gives it
 * (infra/stacks/names.ts controlPlaneStackName) and the outputs ControlPlaneStack declares
 * (CONTROL_PLANE_OUTPUTS), valued from what the twin deployed.
 */
import type { Config } from '../infra/config/schema';
import { CONTROL_PLANE_OUTPUTS, controlPlaneStackName } from '../infra/stacks/names';
import type { ControlPlaneLayout } from './deploy';
import type { RegionLayout } from './layout';
import type { SimStack } from './services/cloudformation';
import { routingTables } from './setup';

/** The function name of a Lambda ARN `arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]`. */
function functionNameOf(arn: string): string {
  const name = arn.split(':')[6];
  if (!name) throw new Error(`not a Lambda function ARN: ${arn}`);
  return name;
}

export function controlPlaneStack(
  config: Config,
  layout: RegionLayout,
  deployed: ControlPlaneLayout,
): SimStack {
  return {
    name: controlPlaneStackName(config, layout.region),
    outputs: {
      [CONTROL_PLANE_OUTPUTS.stateTable]: layout.stateTable,
      [CONTROL_PLANE_OUTPUTS.operationsFunction]: functionNameOf(deployed.operations.operationsArn),
      [CONTROL_PLANE_OUTPUTS.topicArn]: layout.topicArn,
      [CONTROL_PLANE_OUTPUTS.routingTable]: routingTables(config)[layout.region] as string,
    },
  };
}
