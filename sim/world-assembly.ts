import { World, type WorldAssembler, type WorldOptions } from './core/world';
import { AutoScalingSim } from './services/autoscaling';
import { CloudWatchSim } from './services/cloudwatch';
import { Ec2Sim } from './services/ec2';
import { Elbv2Sim } from './services/elbv2';
import { EventBridgeSim } from './services/events';
import { KmsSim } from './services/kms';
import { Route53Sim } from './services/route53';
import { SecretsManagerSim } from './services/secrets';
import { SnsSim } from './services/sns';
import { SqsSim } from './services/sqs';
import { SsmSim } from './services/ssm';

/** The world the twin runs: the core's World holding the simulated services of sim/services. */
export type SimWorld = World<Route53Sim>;

/** Constructs every simulated service of a region, and the global Route 53, for a World. */
export const SIMULATED_SERVICES: WorldAssembler<Route53Sim> = {
  region: (_name, azs, ctx) => ({
    ec2: new Ec2Sim(ctx('ec2'), azs),
    autoscaling: new AutoScalingSim(ctx('autoscaling')),
    ssm: new SsmSim(ctx('ssm')),
    secretsmanager: new SecretsManagerSim(ctx('secretsmanager')),
    kms: new KmsSim(ctx('kms')),
    elbv2: new Elbv2Sim(ctx('elbv2')),
    cloudwatch: new CloudWatchSim(ctx('cloudwatch')),
    events: new EventBridgeSim(ctx('events')),
    sns: new SnsSim(ctx('sns')),
    sqs: new SqsSim(ctx('sqs')),
  }),
  route53: (ctx) => new Route53Sim(ctx),
};

/** A World of every configured region, assembled from the simulated services. */
export function assembleWorld(options: WorldOptions): SimWorld {
  return new World(options, SIMULATED_SERVICES);
}
