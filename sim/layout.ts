import type { DynamoSim } from './runner/dynamo';
import type { LambdaSim } from './runner/lambda';
import type { StepFunctionsSim } from './runner/sfn';
import type { SimWorld } from './world-assembly';

/**
 * What building the default world (setup.ts) and deploying the control plane (deploy.ts) need of a running
 * twin. The Twin class implements it; the two modules depend on this shape, not on twin.ts, so the imports
 * run one way: twin.ts -> setup.ts / deploy.ts -> layout.ts.
 */
export interface TwinRuntime {
  readonly world: SimWorld;
  readonly dynamo: DynamoSim;
  readonly lambda: LambdaSim;
  sfnIn(region: string): StepFunctionsSim;
}

/** Names of what the default world holds in one region, for scenarios and tests. */
export interface RegionLayout {
  readonly region: string;
  readonly primaryGroup: string;
  readonly memberGroup: string;
  readonly targetGroupArn: string;
  readonly albDnsName: string;
  readonly stateTable: string;
  readonly topicArn: string;
  readonly masterKeySecret: string;
  readonly joinKeySecret: string;
  readonly switchAlarm: string;
  /** The seed deployment's own monitoring: unhealthy targets behind the ALB. */
  readonly unhealthyTargetsAlarm: string;
  readonly healthChecks: { readonly endpoint: string; readonly switch: string; readonly calculated: string };
}

export interface WorldLayout {
  readonly regions: ReadonlyMap<string, RegionLayout>;
}
