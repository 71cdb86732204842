import type { Config } from '../../infra/config/schema';
import { AutoScalingSim } from '../services/autoscaling';
import { CloudWatchSim } from '../services/cloudwatch';
import { Ec2Sim } from '../services/ec2';
import { Elbv2Sim } from '../services/elbv2';
import { EventBridgeSim } from '../services/events';
import { Route53Sim } from '../services/route53';
import { SecretsManagerSim } from '../services/secrets';
import { SnsSim } from '../services/sns';
import { SsmSim } from '../services/ssm';
import { VirtualClock } from './clock';
import type {
  RegionServices,
  Route53Contract,
  ServiceName,
  SimContext,
  SimService,
  WorldView,
} from './contracts';
import { NotModelledError } from './errors';
import { Faults } from './faults';
import { Rng } from './rng';
import { Timeline } from './timeline';

/** One execution of a workflow, as the runner records it. */
export interface ExecutionRecord {
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachine: string;
  readonly region: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly startedAt: number;
  stoppedAt?: number;
  readonly input: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
  /** The interpreter's event log (ExecutionStarted, StateEntered, ...), with virtual timestamps. */
  readonly history: { at: number; type: string; state?: string; data?: unknown }[];
  /** State transitions, the unit Step Functions Standard bills. */
  transitions: number;
  /** The execution whose `.sync` Task started this one, if any. */
  readonly parentArn?: string;
  /** The executions this one started with `.sync` Tasks (its phases), in start order. */
  readonly children?: ExecutionRecord[];
}

/** A log line a Lambda handler wrote, or a Lambda's output, for the secret scan. */
export interface CapturedOutput {
  readonly at: number;
  readonly region: string;
  readonly source: string;
  readonly text: string;
}

export interface RegionWorld extends RegionServices {
  /** The region's services by API name; the runner attaches `sfn` when it deploys workflows. */
  readonly services: Record<string, SimService>;
}

export interface WorldOptions {
  readonly seed: number;
  readonly config: Config;
  readonly accountId?: string;
  readonly startAt?: number;
}

/**
 * The twin: every simulated service of every configured region on one virtual clock, the global Route 53,
 * injected faults, and the records (executions, logs, API calls) tests and invariants read.
 */
export class World implements WorldView {
  readonly clock: VirtualClock;
  readonly rng: Rng;
  readonly timeline: Timeline;
  readonly faults: Faults;
  readonly accountId: string;
  readonly config: Config;
  readonly regionNames: readonly string[];
  readonly route53: Route53Sim & Route53Contract;
  readonly executions: ExecutionRecord[] = [];
  readonly outputs: CapturedOutput[] = [];
  readonly apiCalls: { at: number; region: string; service: ServiceName; action: string; error?: string }[] =
    [];
  private readonly regions = new Map<string, RegionWorld>();

  constructor(options: WorldOptions) {
    this.config = options.config;
    this.accountId = options.accountId ?? '111122223333';
    this.clock = new VirtualClock(options.startAt);
    this.rng = new Rng(options.seed);
    this.timeline = new Timeline(() => this.clock.now());
    this.faults = new Faults(this.rng.fork('faults'), this.timeline);
    this.regionNames = options.config.regions.map((r) => r.name);

    const ctx = (region: string, service: string): SimContext => ({
      region,
      clock: this.clock,
      rng: this.rng.fork(`${region}/${service}`),
      timeline: this.timeline,
      world: this,
    });
    for (const r of options.config.regions) {
      const azs = ['a', 'b', 'c'].map((x) => `${r.name}${x}`);
      const base = { name: r.name, azs };
      const services = {
        ec2: new Ec2Sim(ctx(r.name, 'ec2'), azs),
        autoscaling: new AutoScalingSim(ctx(r.name, 'autoscaling')),
        ssm: new SsmSim(ctx(r.name, 'ssm')),
        secretsmanager: new SecretsManagerSim(ctx(r.name, 'secretsmanager')),
        elbv2: new Elbv2Sim(ctx(r.name, 'elbv2')),
        cloudwatch: new CloudWatchSim(ctx(r.name, 'cloudwatch')),
        events: new EventBridgeSim(ctx(r.name, 'events')),
        sns: new SnsSim(ctx(r.name, 'sns')),
      };
      this.regions.set(r.name, { ...base, ...services, services: { ...services } });
    }
    this.route53 = new Route53Sim(ctx('global', 'route53'));
  }

  get clusterName(): string {
    return this.config.cluster.name;
  }

  region(name: string): RegionWorld {
    const r = this.regions.get(name);
    if (!r) throw new Error(`the twin has no region ${name} (regions: ${this.regionNames.join(', ')})`);
    return r;
  }

  /**
   * The one entry point for AWS API calls, from workflow tasks and handlers' SDK clients alike: injected
   * faults first, then the service. Inputs and outputs are copied so no caller shares state with a service.
   */
  async call(region: string, service: ServiceName, action: string, input: unknown): Promise<unknown> {
    const at = this.clock.now();
    const fault = this.faults.beforeCall(region, service, action);
    if (fault) {
      this.apiCalls.push({ at, region, service, action, error: fault.name });
      throw fault;
    }
    const svc: SimService | undefined =
      service === 'route53'
        ? this.route53
        : (this.region(region).services as Record<string, SimService>)[service];
    const handler = svc?.api[action];
    if (!handler) throw new NotModelledError(`the twin does not model ${service}:${action}`);
    try {
      const out = await handler(structuredClone(input ?? {}));
      this.apiCalls.push({ at, region, service, action });
      return structuredClone(out ?? {});
    } catch (err) {
      this.apiCalls.push({ at, region, service, action, error: (err as Error).name });
      throw err;
    }
  }
}
