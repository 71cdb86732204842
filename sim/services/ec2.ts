import type {
  DescribeInstanceStatusResult,
  DescribeInstancesResult,
  Filter,
  Instance,
  InstanceStatus,
} from '@aws-sdk/client-ec2';
import type {
  ApiHandler,
  Ec2Contract,
  InstanceState,
  SimContext,
  SimInstance,
  SimService,
} from '../core/contracts';
import { AwsError } from '../core/errors';
import { ArtifactoryCluster, ArtifactoryNode, clusterModeOf, NODE_TIMING } from './artifactory';

/** How long EC2 takes (ms, seeded within the range). */
export const EC2_TIMING = {
  /** `pending` to `running`. */
  boot: [30_000, 90_000],
  /** `shutting-down` to `terminated`, `stopping` to `stopped`. */
  shutdown: [10_000, 40_000],
  /**
   * "Status checks are performed every minute, returning a pass or a fail status" (Amazon EC2 User Guide,
   * *Status checks for your instances*).
   */
  statusCheckInterval: 60_000,
  /** Terminated instances stay visible to DescribeInstances for about an hour (Amazon EC2 User Guide, *Terminate*). */
  terminatedVisible: 3_600_000,
} as const;

/** Instance state codes (EC2 API reference, `InstanceState`). */
const STATE_CODES: Record<InstanceState, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

type StatusCheck = 'initializing' | 'ok' | 'impaired';

class Ec2Instance implements SimInstance {
  state: InstanceState = 'pending';
  crashed = false;
  /** Cut off from the network (SSM, the ALB, the control plane) while its host and Artifactory keep running. */
  partitioned = false;
  statusCheck: StatusCheck = 'initializing';
  impairedSince: number | undefined;
  stateTransitionReason = '';
  terminatedAt: number | undefined;
  // Assigned right after construction (the node needs the instance as its host).
  node!: ArtifactoryNode;

  constructor(
    readonly id: string,
    readonly reservationId: string,
    readonly az: string,
    readonly privateIp: string,
    readonly launchTime: number,
    readonly tags: Map<string, string>,
    private readonly azDown: () => boolean,
  ) {}

  /** False when the host died, its AZ or region is lost, or it is partitioned: no probe reaches it. */
  get reachable(): boolean {
    return this.hostUp && !this.partitioned;
  }

  /** The host runs (the hypervisor's view, which status checks report): a partitioned host is up. */
  get hostUp(): boolean {
    return this.alive && !this.azDown();
  }

  get alive(): boolean {
    return this.state === 'running' && !this.crashed;
  }
}

/**
 * EC2 in one region: instances with a lifecycle (pending → running → stopping/stopped, shutting-down →
 * terminated), a private IP from their AZ's subnet, status checks, and the Artifactory node on each.
 * Subnets are 10.0.<AZ index>.0/24; addresses are handed out lowest-free first from .4 (AWS reserves the
 * first four and the last address of every subnet: Amazon VPC User Guide, *Subnet CIDR blocks*), so a
 * terminated instance's address is reused, as in AWS.
 */
export class Ec2Sim implements SimService, Ec2Contract {
  readonly service = 'ec2' as const;
  readonly api: Readonly<Record<string, ApiHandler>>;
  /** The region's Artifactory HA cluster (every node on this region's instances). */
  readonly cluster: ArtifactoryCluster;
  private readonly byId = new Map<string, Ec2Instance>();
  private readonly usedIps = new Set<string>();
  private readonly listeners: ((instance: SimInstance, previous: InstanceState) => void)[] = [];
  private statusLoop: (() => void) | undefined;

  constructor(
    private readonly ctx: SimContext,
    readonly azs: readonly string[],
  ) {
    this.cluster = new ArtifactoryCluster(() =>
      [...this.byId.values()].filter((i) => i.state !== 'terminated').map((i) => i.node),
    );
    this.api = {
      DescribeInstances: (input: { InstanceIds?: string[]; Filters?: Filter[] }) =>
        this.describeInstances(input),
      DescribeInstanceStatus: (input: { InstanceIds?: string[]; IncludeAllInstances?: boolean }) =>
        this.describeInstanceStatus(input),
      StopInstances: (input: { InstanceIds?: string[]; Force?: boolean }) => this.stopInstances(input),
    };
  }

  get licenseCount(): number {
    return this.cluster.licenseCount;
  }

  set licenseCount(n: number) {
    this.cluster.licenseCount = n;
  }

  launch(opts: {
    az: string;
    launchedBy: string;
    role: 'primary' | 'member';
    bootstrap: 'none' | 'user-data' | 'running';
    tags?: Record<string, string>;
  }): SimInstance {
    const azIndex = this.azs.indexOf(opts.az);
    if (azIndex < 0)
      throw new Error(`${opts.az} is not an AZ of ${this.ctx.region} (${this.azs.join(', ')})`);
    let id: string;
    do id = `i-${this.ctx.rng.hex(17)}`;
    while (this.byId.has(id));
    const reservationId = `r-${this.ctx.rng.hex(17)}`;
    const ip = this.allocateIp(azIndex);
    const now = this.ctx.clock.now();
    const inst = new Ec2Instance(
      id,
      reservationId,
      opts.az,
      ip,
      now,
      new Map(Object.entries(opts.tags ?? {})),
      () => this.ctx.world.faults.isAzDown(this.ctx.region, opts.az),
    );
    inst.node = new ArtifactoryNode(inst, this.ctx, this.ctx.rng.fork(id), this.cluster);
    this.byId.set(id, inst);
    this.ensureStatusLoop();
    const mode = clusterModeOf(this.ctx.world);

    if (opts.bootstrap === 'running') {
      inst.state = 'running';
      inst.statusCheck = 'ok';
      inst.node.bootstrapRunning(opts.role, mode);
      this.log(`${id} running in ${opts.az} at ${ip} (initial cluster, ${opts.launchedBy})`);
      this.ctx.world.region(this.ctx.region).ssm.agentStarted(id, true);
      return inst;
    }

    if (this.ctx.world.faults.takeBootStall(this.ctx.region)) inst.node.stallNextStart();
    this.log(`${id} launched in ${opts.az} at ${ip} by ${opts.launchedBy} (bootstrap: ${opts.bootstrap})`);
    this.ctx.clock.after(this.ctx.rng.between(...EC2_TIMING.boot), () => {
      if (inst.state !== 'pending') return;
      this.setState(inst, 'running');
      this.ctx.world.region(this.ctx.region).ssm.agentStarted(id);
      if (opts.bootstrap === 'user-data') {
        this.ctx.clock.after(this.ctx.rng.between(...NODE_TIMING.userData), () => {
          if (inst.state === 'running' && !inst.crashed) inst.node.bootstrapFromUserData(opts.role, mode);
        });
      }
    });
    return inst;
  }

  instance(id: string): SimInstance | undefined {
    return this.byId.get(id);
  }

  /** Every instance DescribeInstances still shows (terminated ones for an hour). */
  instances(): SimInstance[] {
    return [...this.byId.values()];
  }

  terminate(id: string, reason: string): void {
    const inst = this.byId.get(id);
    if (!inst || inst.state === 'shutting-down' || inst.state === 'terminated') return;
    inst.stateTransitionReason = `${reason} (${gmt(this.ctx.clock.now())})`;
    this.setState(inst, 'shutting-down');
    inst.node.hostDown('shutdown');
    this.ctx.clock.after(this.ctx.rng.between(...EC2_TIMING.shutdown), () => {
      inst.terminatedAt = this.ctx.clock.now();
      this.usedIps.delete(inst.privateIp);
      this.setState(inst, 'terminated');
      this.ctx.clock.after(EC2_TIMING.terminatedVisible, () => this.byId.delete(id));
    });
  }

  crash(id: string): void {
    const inst = this.byId.get(id);
    if (!inst || inst.crashed || (inst.state !== 'running' && inst.state !== 'pending')) return;
    inst.crashed = true;
    this.log(`${id}: host crashed (unreachable; status checks will fail)`);
    inst.node.hostDown('crash');
  }

  /**
   * Fault: a network partition. The host keeps running, and so does Artifactory (still the primary for the
   * clients inside the partition), but nothing outside reaches it: SSM commands are not delivered, the ALB's
   * health checks time out. EC2 status checks run on the host itself, so they still pass ("Status checks are
   * built into Amazon EC2 ... they detect problems with the host", Amazon EC2 User Guide, *Status checks for
   * your instances*: a network path outside the host is not what they test).
   */
  partition(id: string): void {
    const inst = this.byId.get(id);
    if (!inst || inst.partitioned || !inst.alive) return;
    inst.partitioned = true;
    this.log(`${id}: network partition (alive, unreachable; status checks still pass)`);
  }

  /** Ends a partition: the host is reachable again. */
  heal(id: string): void {
    const inst = this.byId.get(id);
    if (!inst?.partitioned) return;
    inst.partitioned = false;
    this.log(`${id}: partition healed (reachable again)`);
  }

  stallBoot(id: string): void {
    this.byId.get(id)?.node.stallNextStart();
  }

  stop(id: string, reason: string): void {
    const inst = this.byId.get(id);
    if (!inst || (inst.state !== 'running' && inst.state !== 'pending')) return;
    inst.stateTransitionReason = `${reason} (${gmt(this.ctx.clock.now())})`;
    this.setState(inst, 'stopping');
    inst.node.hostDown('shutdown');
    // The hypervisor stops the instance; while its AZ is lost nothing reaches the host, and the instance
    // stays `stopping` until the AZ is back (Amazon EC2 User Guide, *Troubleshoot Amazon EC2 instance stop
    // issues*: an instance can stay in the stopping state).
    const complete = () => {
      if (inst.state !== 'stopping') return;
      if (!this.ctx.world.faults.isAzDown(this.ctx.region, inst.az)) {
        inst.partitioned = false;
        this.setState(inst, 'stopped');
      } else this.ctx.clock.after(10_000, complete);
    };
    this.ctx.clock.after(this.ctx.rng.between(...EC2_TIMING.shutdown), complete);
  }

  start(id: string): void {
    const inst = this.byId.get(id);
    if (inst?.state !== 'stopped') return;
    // A stopped instance starts on a new host (Amazon EC2 User Guide, *Stop and start your instance*).
    inst.crashed = false;
    inst.statusCheck = 'initializing';
    inst.impairedSince = undefined;
    this.setState(inst, 'pending');
    this.ctx.clock.after(this.ctx.rng.between(...EC2_TIMING.boot), () => {
      if (inst.state !== 'pending') return;
      this.setState(inst, 'running');
      this.ctx.world.region(this.ctx.region).ssm.agentStarted(id);
    });
  }

  instanceStatus(id: string): StatusCheck | undefined {
    const inst = this.byId.get(id);
    return inst?.state === 'running' ? inst.statusCheck : undefined;
  }

  onStateChange(listener: (instance: SimInstance, previous: InstanceState) => void): void {
    this.listeners.push(listener);
  }

  // ---------------------------------------------------------------- internals

  private setState(inst: Ec2Instance, next: InstanceState): void {
    const previous = inst.state;
    if (previous === next) return;
    inst.state = next;
    if (next !== 'running') {
      inst.statusCheck = 'initializing';
      inst.impairedSince = undefined;
    }
    this.log(`${inst.id}: ${previous} → ${next}`);
    for (const l of this.listeners) l(inst, previous);
  }

  private allocateIp(azIndex: number): string {
    for (let host = 4; host <= 254; host++) {
      const ip = `10.0.${azIndex}.${host}`;
      if (!this.usedIps.has(ip)) {
        this.usedIps.add(ip);
        return ip;
      }
    }
    throw new AwsError(
      'InsufficientFreeAddressesInSubnet',
      `There are not enough free addresses in subnet 10.0.${azIndex}.0/24 to satisfy the requested number of instances.`,
    );
  }

  /**
   * Instance and system status checks every minute: a host that cannot be reached (crashed, or its AZ or
   * region lost) fails them and the status becomes `impaired`; a reachable running one passes (`ok`).
   */
  private ensureStatusLoop(): void {
    this.statusLoop ??= this.ctx.clock.every(EC2_TIMING.statusCheckInterval, () => {
      const now = this.ctx.clock.now();
      for (const inst of this.byId.values()) {
        if (inst.state !== 'running') continue;
        const next: StatusCheck = inst.hostUp ? 'ok' : 'impaired';
        if (next === inst.statusCheck) continue;
        inst.statusCheck = next;
        inst.impairedSince = next === 'impaired' ? now : undefined;
        this.log(`${inst.id}: status checks ${next === 'impaired' ? 'failed (impaired)' : 'passed (ok)'}`);
      }
    });
  }

  private log(message: string): void {
    this.ctx.timeline.add(this.ctx.region, 'ec2', message);
  }

  // ---------------------------------------------------------------- API

  /**
   * StopInstances (EC2 API Reference): each instance goes `running` → `stopping` → `stopped` (a stopped or
   * stopping one is left as it is); the answer lists the previous and current states. `Force` stops it at the
   * hypervisor, without a graceful OS shutdown: it works on a host that no longer answers on the network
   * (the twin's stop is always at the hypervisor; Artifactory gets no chance to stop gracefully either way).
   */
  private stopInstances(input: { InstanceIds?: string[]; Force?: boolean }) {
    if (!input.InstanceIds || input.InstanceIds.length === 0) {
      throw new AwsError('MissingParameter', 'The request must contain the parameter InstanceIds');
    }
    const selected = this.select(input.InstanceIds);
    const out = selected.map((inst) => {
      const previous = inst.state;
      if (previous === 'running' || previous === 'pending') this.stop(inst.id, 'User initiated');
      return {
        InstanceId: inst.id,
        PreviousState: { Code: STATE_CODES[previous], Name: previous },
        CurrentState: { Code: STATE_CODES[inst.state], Name: inst.state },
      };
    });
    return { StoppingInstances: out };
  }

  private select(ids: string[] | undefined): Ec2Instance[] {
    if (!ids || ids.length === 0) return [...this.byId.values()];
    for (const id of ids) {
      if (!/^i-[0-9a-f]{8}([0-9a-f]{9})?$/.test(id)) {
        throw new AwsError('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
      }
    }
    const missing = ids.filter((id) => !this.byId.has(id));
    if (missing.length === 1) {
      throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
    }
    if (missing.length > 1) {
      throw new AwsError(
        'InvalidInstanceID.NotFound',
        `The instance IDs '${missing.join(', ')}' do not exist`,
      );
    }
    return ids.flatMap((id) => this.byId.get(id) ?? []);
  }

  /**
   * DescribeInstances with `InstanceIds` and the filters `instance-id`, `instance-state-name`,
   * `instance-state-code`, `availability-zone`, `private-ip-address`, `tag:<key>` and `tag-key`; values
   * may use the `*` and `?` wildcards (EC2 API reference, DescribeInstances). Pagination is not modelled:
   * every match is returned at once.
   */
  private describeInstances(input: { InstanceIds?: string[]; Filters?: Filter[] }): DescribeInstancesResult {
    const matchers = (input.Filters ?? []).map((f) => filterMatcher(f));
    const selected = this.select(input.InstanceIds).filter((i) => matchers.every((m) => m(i)));
    return {
      Reservations: selected.map((i) => ({
        ReservationId: i.reservationId,
        OwnerId: this.ctx.world.accountId,
        Groups: [],
        Instances: [this.describe(i)],
      })),
    };
  }

  private describe(i: Ec2Instance): Instance {
    const out: Instance = {
      InstanceId: i.id,
      State: { Code: STATE_CODES[i.state], Name: i.state },
      PrivateIpAddress: i.privateIp,
      PrivateDnsName: privateDnsName(i.privateIp, this.ctx.region),
      Placement: { AvailabilityZone: i.az, Tenancy: 'default' },
      LaunchTime: new Date(i.launchTime),
      StateTransitionReason: i.stateTransitionReason,
      Tags: [...i.tags].map(([Key, Value]) => ({ Key, Value })),
    };
    if (i.state === 'terminated') delete out.PrivateIpAddress;
    return out;
  }

  /**
   * DescribeInstanceStatus: running instances unless `IncludeAllInstances`; the instance reachability and
   * system reachability checks both follow the host here (a crash or a lost AZ fails both).
   */
  private describeInstanceStatus(input: {
    InstanceIds?: string[];
    IncludeAllInstances?: boolean;
  }): DescribeInstanceStatusResult {
    const statuses: InstanceStatus[] = [];
    for (const i of this.select(input.InstanceIds)) {
      if (i.state !== 'running' && !input.IncludeAllInstances) continue;
      const summary =
        i.state !== 'running'
          ? { Status: 'not-applicable' as const }
          : {
              Status: i.statusCheck,
              Details: [
                {
                  Name: 'reachability' as const,
                  Status:
                    i.statusCheck === 'ok'
                      ? ('passed' as const)
                      : i.statusCheck === 'impaired'
                        ? ('failed' as const)
                        : ('initializing' as const),
                  ...(i.impairedSince !== undefined ? { ImpairedSince: new Date(i.impairedSince) } : {}),
                },
              ],
            };
      statuses.push({
        InstanceId: i.id,
        AvailabilityZone: i.az,
        InstanceState: { Code: STATE_CODES[i.state], Name: i.state },
        InstanceStatus: summary,
        SystemStatus: summary,
      });
    }
    return { InstanceStatuses: statuses };
  }
}

function filterMatcher(filter: Filter): (i: Ec2Instance) => boolean {
  const name = filter.Name ?? '';
  const patterns = (filter.Values ?? []).map(globToRegExp);
  const any = (value: string | undefined) => value !== undefined && patterns.some((p) => p.test(value));
  if (name === 'instance-id') return (i) => any(i.id);
  if (name === 'instance-state-name') return (i) => any(i.state);
  if (name === 'instance-state-code') return (i) => any(String(STATE_CODES[i.state]));
  if (name === 'availability-zone') return (i) => any(i.az);
  if (name === 'private-ip-address') return (i) => i.state !== 'terminated' && any(i.privateIp);
  if (name === 'tag-key') return (i) => [...i.tags.keys()].some((k) => any(k));
  if (name.startsWith('tag:')) {
    const key = name.slice(4);
    return (i) => any(i.tags.get(key));
  }
  throw new AwsError('InvalidParameterValue', `The filter '${name}' is invalid`);
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/** us-east-1 uses `ec2.internal`; other regions `<region>.compute.internal` (Amazon VPC User Guide, DNS). */
function privateDnsName(ip: string, region: string): string {
  const host = `ip-${ip.replaceAll('.', '-')}`;
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

/** `StateTransitionReason` stamps, e.g. `User initiated (2026-01-05 09:00:00 GMT)`. */
function gmt(at: number): string {
  return `${new Date(at).toISOString().slice(0, 19).replace('T', ' ')} GMT`;
}
