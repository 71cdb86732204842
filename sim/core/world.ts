import type { Config } from '../../infra/config/schema';
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

/** One region's simulated services, each both its contract and an API endpoint. */
export type RegionServiceSet = {
  readonly [K in Exclude<keyof RegionServices, 'name' | 'azs'>]: RegionServices[K] & SimService;
};

/**
 * Builds the services a World holds. The core defines the world (clock, faults, records, API routing); the
 * assembler outside the core (sim/world-assembly.ts) constructs the simulated services and wires them in.
 */
export interface WorldAssembler<R53 extends Route53Contract & SimService> {
  /** The services of one region; `context(service)` is each service's SimContext. */
  region(name: string, azs: readonly string[], context: (service: string) => SimContext): RegionServiceSet;
  /** The global Route 53. */
  route53(context: SimContext): R53;
}

export interface WorldOptions {
  readonly seed: number;
  readonly config: Config;
  readonly accountId?: string;
  readonly startAt?: number;
  /** The nodes' TLS can break them, and the trust-mesh invariant is checked (default off; docs/twin.md). */
  readonly tls?: 'off' | 'on';
}

/**
 * The twin: every simulated service of every configured region on one virtual clock, the global Route 53,
 * injected faults, and the records (executions, logs, API calls) tests and invariants read.
 */
export class World<R53 extends Route53Contract & SimService = Route53Contract & SimService>
  implements WorldView
{
  readonly clock: VirtualClock;
  readonly rng: Rng;
  readonly timeline: Timeline;
  readonly faults: Faults;
  readonly accountId: string;
  readonly tls: 'off' | 'on';
  readonly config: Config;
  readonly regionNames: readonly string[];
  readonly route53: R53;
  readonly executions: ExecutionRecord[] = [];
  readonly outputs: CapturedOutput[] = [];
  readonly apiCalls: { at: number; region: string; service: ServiceName; action: string; error?: string }[] =
    [];
  /**
   * Every attempted call the twin does not model (a TwinNotModelled error), recorded where it is thrown, so
   * one a workflow or handler catches is still seen: each is a violation of the `twin-not-modelled` invariant
   * and fails the scene. A scene must never pass over behaviour the twin does not have.
   */
  readonly notModelled: { at: number; region: string; message: string }[] = [];
  private readonly regions = new Map<string, RegionWorld>();

  constructor(options: WorldOptions, assembler: WorldAssembler<R53>) {
    this.config = options.config;
    this.accountId = options.accountId ?? '111122223333';
    this.tls = options.tls ?? 'off';
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
      const services = assembler.region(r.name, azs, (service) => ctx(r.name, service));
      this.regions.set(r.name, { ...base, ...services, services: { ...services } });
    }
    this.route53 = assembler.route53(ctx('global', 'route53'));
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
    if (!handler) {
      this.apiCalls.push({ at, region, service, action, error: 'TwinNotModelled' });
      throw this.notModelledCall(
        region,
        new NotModelledError(`the twin does not model ${service}:${action}`),
      );
    }
    try {
      const out = await handler(structuredClone(input ?? {}));
      this.apiCalls.push({ at, region, service, action });
      return structuredClone(out ?? {});
    } catch (err) {
      this.apiCalls.push({ at, region, service, action, error: (err as Error).name });
      if (err instanceof NotModelledError) this.notModelledCall(region, err);
      throw err;
    }
  }

  /** Records a TwinNotModelled error where it is thrown (see {@link notModelled}); returns it to throw. */
  notModelledCall(region: string, err: NotModelledError): NotModelledError {
    this.notModelled.push({ at: this.clock.now(), region, message: err.message });
    this.timeline.add(region, 'twin', `TwinNotModelled: ${err.message}`);
    return err;
  }
}
