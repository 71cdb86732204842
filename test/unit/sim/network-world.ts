/**
 * A hand-made world for the network services' unit tests: real ELBv2, CloudWatch and Route 53 sims on a virtual
 * clock, with fake EC2 instances (whose router health a test toggles) and an EventBridge stub that records what
 * is emitted.
 */

import type { VirtualClock } from '../../../sim/core/clock';
import type {
  BusEvent,
  EventBridgeContract,
  InstanceState,
  NodeStatus,
  RegionServices,
  SimContext,
  WorldView,
} from '../../../sim/core/contracts';
import { Faults } from '../../../sim/core/faults';
import { Rng } from '../../../sim/core/rng';
import { Timeline } from '../../../sim/core/timeline';
import { CloudWatchSim } from '../../../sim/services/cloudwatch';
import { Elbv2Sim } from '../../../sim/services/elbv2';
import { Route53Sim } from '../../../sim/services/route53';

export const ACCOUNT = '111122223333';

/** The part of an Artifactory node the network services look at: its status and its router health. */
export class FakeNode {
  status: NodeStatus = 'running';
  healthy = true;

  constructor(readonly instanceId: string) {}

  routerHealthy(): boolean {
    return this.status === 'running' && this.healthy;
  }
}

/** The part of an EC2 instance the network services look at. */
export interface FakeInstance {
  readonly id: string;
  readonly az: string;
  readonly privateIp: string;
  readonly launchTime: number;
  state: InstanceState;
  reachable: boolean;
  readonly node: FakeNode;
}

export class FakeEc2 {
  private readonly list = new Map<string, FakeInstance>();
  private seq = 0;

  constructor(private readonly region: string) {}

  add(state: InstanceState = 'running'): FakeInstance {
    this.seq++;
    const id = `i-${this.region === 'us-east-1' ? '0a' : '0b'}${String(this.seq).padStart(15, '0')}`;
    const inst: FakeInstance = {
      id,
      az: `${this.region}a`,
      privateIp: `10.0.0.${this.seq}`,
      launchTime: 0,
      state,
      reachable: true,
      node: new FakeNode(id),
    };
    this.list.set(id, inst);
    return inst;
  }

  instance(id: string): FakeInstance | undefined {
    return this.list.get(id);
  }

  instances(): FakeInstance[] {
    return [...this.list.values()];
  }
}

export class FakeEvents implements Pick<EventBridgeContract, 'emit' | 'emitted'> {
  readonly emitted: BusEvent[] = [];
  private seq = 0;

  constructor(
    private readonly region: string,
    private readonly clock: VirtualClock,
  ) {}

  emit(event: {
    source: string;
    detailType: string;
    detail: Record<string, unknown>;
    resources?: readonly string[];
  }): void {
    this.seq++;
    this.emitted.push({
      version: '0',
      id: `00000000-0000-0000-0000-${String(this.seq).padStart(12, '0')}`,
      source: event.source,
      'detail-type': event.detailType,
      account: ACCOUNT,
      region: this.region,
      time: new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      resources: [...(event.resources ?? [])],
      detail: event.detail,
    });
  }
}

export interface TestRegion {
  readonly name: string;
  readonly ec2: FakeEc2;
  readonly elbv2: Elbv2Sim;
  readonly cloudwatch: CloudWatchSim;
  readonly events: FakeEvents;
}

export interface TestWorld {
  readonly world: WorldView;
  readonly faults: Faults;
  readonly timeline: Timeline;
  readonly route53: Route53Sim;
  region(name: string): TestRegion;
}

/** Builds the world; the clock must already be installed (services create their timers on it). */
export function makeWorld(
  clock: VirtualClock,
  opts: { seed?: number; regions?: readonly string[] } = {},
): TestWorld {
  const rng = new Rng(opts.seed ?? 42);
  const timeline = new Timeline(() => clock.now());
  const faults = new Faults(rng.fork('faults'), timeline);
  const regionNames = opts.regions ?? ['us-east-1', 'eu-west-1'];
  const regions = new Map<string, TestRegion>();
  let route53: Route53Sim | undefined;
  const world: WorldView = {
    accountId: ACCOUNT,
    clusterName: 'art',
    regionNames,
    faults,
    get route53() {
      if (!route53) throw new Error('route53 not built yet');
      return route53;
    },
    region(name: string): RegionServices {
      const r = regions.get(name);
      if (!r) throw new Error(`no region ${name}`);
      return r as unknown as RegionServices;
    },
  };
  const ctx = (region: string, service: string): SimContext => ({
    region,
    clock,
    rng: rng.fork(`${region}/${service}`),
    timeline,
    world,
  });
  for (const name of regionNames) {
    regions.set(name, {
      name,
      ec2: new FakeEc2(name),
      elbv2: new Elbv2Sim(ctx(name, 'elbv2')),
      cloudwatch: new CloudWatchSim(ctx(name, 'cloudwatch')),
      events: new FakeEvents(name, clock),
    });
  }
  route53 = new Route53Sim(ctx('global', 'route53'));
  const r53 = route53;
  return {
    world,
    faults,
    timeline,
    route53: r53,
    region(name: string): TestRegion {
      const r = regions.get(name);
      if (!r) throw new Error(`no region ${name}`);
      return r;
    },
  };
}

/** A target group ARN in the region, in AWS's form. */
export function tgArn(region: string, name: string, id = '73e2d6bc24d8a067'): string {
  return `arn:aws:elasticloadbalancing:${region}:${ACCOUNT}:targetgroup/${name}/${id}`;
}

/** Calls an API action and returns the AWS error it throws (fails the test if it does not throw). */
export async function errorOf(
  call: () => unknown,
): Promise<{ name: string; message: string; $metadata?: unknown }> {
  try {
    await call();
  } catch (err) {
    return err as { name: string; message: string };
  }
  throw new Error('expected the call to throw');
}
