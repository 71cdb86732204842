import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { Config } from '../config/schema';
import { routingTable } from '../constructs/regional-routing';

export interface WitnessStackProps extends StackProps {
  readonly config: Config;
}

/**
 * The routing witness: a copy of the routing table, and nothing else, in `failover.witnessRegion` (a region
 * outside `regions`). With an even number of regions it is the odd voter: the routing lease is held in a
 * majority of the routing tables, so with two regions a run in the healthy one still reaches a quorum
 * (its own table and the witness's) while the sick region is lost (statemachines/regional-failover.md).
 * No Lambda, workflow or alarm runs here: the voters' routing Lambdas write this table across regions.
 */
export class WitnessStack extends Stack {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: WitnessStackProps) {
    super(scope, id, props);
    this.table = routingTable(this, 'RoutingTable', props.config);
  }
}
