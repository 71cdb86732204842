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
  /** The region's degraded alarm (metric math over its ALB metrics): dispatch evacuates the region on it. */
  readonly degradedAlarm: string;
  /** The region's readiness alarm on RegionReady: the region could not take over. */
  readonly readinessAlarm: string;
  /**
   * The record's health checks (§1 of the routing design): the endpoint check, the copy checks of this region's
   * switch (one per copy region, `copies[copyRegion]`; `switch` is the copy in the region itself) and the flat
   * calculated check that ANDs them.
   */
  readonly healthChecks: {
    readonly endpoint: string;
    readonly switch: string;
    readonly calculated: string;
    readonly copies: Readonly<Record<string, string>>;
  };
  /** The canary record's copy checks and calculated check, when `failover.drill.canaryRecordName` is set. */
  readonly canaryHealthChecks?: {
    readonly calculated: string;
    readonly copies: Readonly<Record<string, string>>;
  };
}

export interface WorldLayout {
  readonly regions: ReadonlyMap<string, RegionLayout>;
  /** The routing table of every voter (configured regions, then the witness), by region. */
  readonly routingTables: Readonly<Record<string, string>>;
}
