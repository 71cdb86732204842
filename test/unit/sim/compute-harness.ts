/**
 * A hand-made world for the compute services (EC2, Artifactory, Auto Scaling, SSM, Secrets Manager) with
 * small recording stand-ins for the services other engineers own (ELBv2, EventBridge, CloudWatch, SNS,
 * Route 53).
 */
import { VirtualClock } from '../../../sim/core/clock';
import type {
  BusEvent,
  CloudWatchContract,
  Elbv2Contract,
  EventBridgeContract,
  RegionServices,
  Route53Contract,
  SimContext,
  SnsContract,
  TargetHealthState,
  WorldView,
} from '../../../sim/core/contracts';
import { Faults } from '../../../sim/core/faults';
import { Rng } from '../../../sim/core/rng';
import { Timeline } from '../../../sim/core/timeline';
import { AutoScalingSim } from '../../../sim/services/autoscaling';
import { registerProjectDocuments } from '../../../sim/services/documents';
import { Ec2Sim } from '../../../sim/services/ec2';
import { clusterKeySecretNames, SecretsManagerSim } from '../../../sim/services/secrets';
import { SsmSim } from '../../../sim/services/ssm';

export const TG =
  'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/artifactory/0123456789abcdef';

/** Registered targets are healthy at once; deregistered ones drain for `drainMs`. Tests set states directly. */
export class FakeElbv2 implements Elbv2Contract {
  readonly calls: { at: number; action: 'register' | 'deregister'; tg: string; id: string }[] = [];
  private readonly states = new Map<string, TargetHealthState>();
  drainMs = 30_000;

  constructor(private readonly clock: VirtualClock) {}

  createTargetGroup(): void {}

  registerTargets(tg: string, ids: readonly string[]): void {
    for (const id of ids) {
      this.calls.push({ at: this.clock.now(), action: 'register', tg, id });
      this.states.set(`${tg}|${id}`, 'healthy');
    }
  }

  deregisterTargets(tg: string, ids: readonly string[]): void {
    for (const id of ids) {
      this.calls.push({ at: this.clock.now(), action: 'deregister', tg, id });
      this.states.set(`${tg}|${id}`, 'draining');
      this.clock.after(this.drainMs, () => this.states.delete(`${tg}|${id}`));
    }
  }

  targetState(tg: string, id: string): TargetHealthState | undefined {
    return this.states.get(`${tg}|${id}`);
  }

  set(tg: string, id: string, state: TargetHealthState): void {
    this.states.set(`${tg}|${id}`, state);
  }

  albHealthy(): boolean {
    return [...this.states.values()].includes('healthy');
  }
}

export class FakeEvents implements Pick<EventBridgeContract, 'emit' | 'emitted'> {
  readonly emitted: BusEvent[] = [];
  private readonly listeners: ((e: BusEvent) => void)[] = [];

  constructor(
    private readonly clock: VirtualClock,
    private readonly region: string,
  ) {}

  emit(e: {
    source: string;
    detailType: string;
    detail: Record<string, unknown>;
    resources?: readonly string[];
  }): void {
    const event: BusEvent = {
      id: `evt-${this.emitted.length}`,
      source: e.source,
      'detail-type': e.detailType,
      account: '111122223333',
      region: this.region,
      time: this.clock.iso(),
      resources: e.resources ?? [],
      detail: e.detail,
      version: '0',
    };
    this.emitted.push(event);
    for (const l of this.listeners) l(event);
  }

  on(listener: (e: BusEvent) => void): void {
    this.listeners.push(listener);
  }
}

export interface ComputeRegion {
  readonly services: RegionServices;
  readonly ec2: Ec2Sim;
  readonly autoscaling: AutoScalingSim;
  readonly ssm: SsmSim;
  readonly secrets: SecretsManagerSim;
  readonly elb: FakeElbv2;
  readonly events: FakeEvents;
}

export interface ComputeWorld {
  readonly clock: VirtualClock;
  readonly timeline: Timeline;
  readonly faults: Faults;
  readonly world: WorldView;
  region(name?: string): ComputeRegion;
}

export function makeWorld(
  opts: {
    seed?: number;
    regions?: string[];
    mode?: 'legacy-primary' | 'cloud-native';
    tls?: 'off' | 'on';
  } = {},
): ComputeWorld {
  const clock = new VirtualClock();
  const rng = new Rng(opts.seed ?? 42);
  const timeline = new Timeline(() => clock.now());
  const faults = new Faults(rng.fork('faults'), timeline);
  const names = opts.regions ?? ['eu-west-1'];
  const regions = new Map<string, ComputeRegion>();
  // The compute services never reach Route 53, CloudWatch or SNS, and of ELBv2 and EventBridge only what the
  // fakes below record; the rest of those contracts belongs to other engineers and stays out of this harness.
  const route53 = {} as Route53Contract;
  const world: WorldView & { config: { cluster: { mode: string } } } = {
    accountId: '111122223333',
    clusterName: 'artifactory-test',
    ...(opts.tls !== undefined ? { tls: opts.tls } : {}),
    regionNames: names,
    route53,
    faults,
    config: { cluster: { mode: opts.mode ?? 'legacy-primary' } },
    region(name: string) {
      const r = regions.get(name);
      if (!r) throw new Error(`no region ${name}`);
      return r.services;
    },
  };
  const ctx = (region: string, service: string): SimContext => ({
    region,
    clock,
    rng: rng.fork(`${region}/${service}`),
    timeline,
    world,
  });
  for (const name of names) {
    const azs = ['a', 'b', 'c'].map((x) => `${name}${x}`);
    const ec2 = new Ec2Sim(ctx(name, 'ec2'), azs);
    const autoscaling = new AutoScalingSim(ctx(name, 'autoscaling'));
    const ssm = new SsmSim(ctx(name, 'ssm'));
    // As the world's setup does (sim/setup.ts).
    registerProjectDocuments(ssm, world.clusterName);
    const secrets = new SecretsManagerSim(ctx(name, 'secretsmanager'));
    // The seed deployment's keys, as the world's setup puts them (`openssl rand -hex 32`).
    const keyNames = clusterKeySecretNames(world.clusterName);
    const keyRng = rng.fork(`${name}/keys`);
    secrets.putSecret(keyNames.masterKey, keyRng.hex(64));
    secrets.putSecret(keyNames.joinKey, keyRng.hex(64));
    const elb = new FakeElbv2(clock);
    const events = new FakeEvents(clock, name);
    const cloudwatch = {} as CloudWatchContract;
    const sns = {} as SnsContract;
    const services = {
      name,
      azs,
      ec2,
      autoscaling,
      ssm,
      secretsmanager: secrets,
      elbv2: elb,
      cloudwatch,
      events,
      sns,
    } as unknown as RegionServices;
    regions.set(name, { services, ec2, autoscaling, ssm, secrets, elb, events });
  }
  return {
    clock,
    timeline,
    faults,
    world,
    region(name = names[0] ?? 'eu-west-1') {
      const r = regions.get(name);
      if (!r) throw new Error(`no region ${name}`);
      return r;
    },
  };
}

/** Runs an API call and returns the AWS error it throws. */
export async function apiError(fn: () => unknown): Promise<{ name: string; message: string }> {
  try {
    await fn();
  } catch (err) {
    return err as { name: string; message: string };
  }
  throw new Error('expected an AWS error');
}
