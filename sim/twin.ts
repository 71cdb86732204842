import './polyfills';
import * as path from 'node:path';
import {
  resetClients,
  setClientsForTest,
  setRegionalClientFactoryForTest,
} from '../functions/shared/clients/base';
import { loadConfig } from '../infra/config/load';
import type { Config } from '../infra/config/schema';
import { Invariants } from './core/invariants';
import { type ControlPlaneLayout, deployControlPlane } from './deploy';
import { controlPlaneStack } from './deploy-stack';
import type { TwinRuntime, WorldLayout } from './layout';
import { DynamoSim } from './runner/dynamo';
import { LambdaSim } from './runner/lambda';
import { twinClients, twinRegionalClient } from './runner/sdk';
import { StepFunctionsSim } from './runner/sfn';
import { CloudFormationSim } from './services/cloudformation';
import { StsSim } from './services/sts';
import { buildWorld, createTables } from './setup';
import { assembleWorld, type SimWorld } from './world-assembly';

export const EXAMPLE_CONFIG = path.resolve(__dirname, '../infra/config/example.yaml');

export interface TwinOptions {
  readonly seed: number;
  /** Deployment config; the example config by default. */
  readonly config?: Config;
  /** Member nodes per region in the initial cluster (default 2). */
  readonly members?: number;
  /** Deploy the control plane (hooks, rules, Lambdas, workflows). Default true; false shows AWS alone. */
  readonly controlPlane?: boolean;
  readonly startAt?: number;
  /**
   * The nodes' TLS can break them (served certificate expired, not for the node's IP, or not trusted by its
   * own trusted directory) and the trust-mesh invariant is checked. Default off: see docs/twin.md.
   */
  readonly tls?: 'off' | 'on';
  /**
   * Sets the world up after the control plane is deployed and before the invariants watch it: e.g. gives the
   * initial cluster its certificates when `tls` is on (otherwise its nodes serve Artifactory's own, which no
   * peer trusts, and trust-mesh fails at once).
   */
  readonly prepare?: (twin: Twin) => Promise<void>;
}

/**
 * The twin, running: a World on an installed virtual clock, with dynalite, Lambda and Step Functions, the
 * default infrastructure from the config, and the invariant monitors. One at a time per process (the clock
 * and Math.random are process-wide).
 */
export class Twin implements TwinRuntime {
  readonly world: SimWorld;
  readonly dynamo: DynamoSim;
  readonly lambda: LambdaSim;
  readonly sfn = new Map<string, StepFunctionsSim>();
  readonly invariants: Invariants;
  layout!: WorldLayout;
  readonly controlPlane = new Map<string, ControlPlaneLayout>();
  private readonly realRandom = Math.random;
  private static active: Twin | undefined;

  private constructor(readonly options: TwinOptions & { config: Config }) {
    this.world = assembleWorld({
      seed: options.seed,
      config: options.config,
      ...(options.startAt !== undefined ? { startAt: options.startAt } : {}),
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
    });
    const world = this.world;
    this.dynamo = new DynamoSim(world.clock, {
      beforeCall: (region, action, caller) => world.faults.beforeCall(region, 'dynamodb', action, caller),
      record: (region, action, error) =>
        world.apiCalls.push({
          at: world.clock.now(),
          region,
          service: 'dynamodb',
          action,
          ...(error !== undefined ? { error } : {}),
        }),
    });
    this.lambda = new LambdaSim(this.world);
    this.invariants = new Invariants(this.world);
  }

  static async start(options: TwinOptions): Promise<Twin> {
    if (Twin.active) throw new Error('a twin is already running in this process; stop it first');
    const twin = new Twin({ ...options, config: options.config ?? loadConfig(EXAMPLE_CONFIG) });
    Twin.active = twin;
    try {
      await twin.dynamo.start();
      await createTables(twin);
      twin.world.clock.install();
      // aws-local-stepfunctions' retry jitter and the SDK's back-off draw from Math.random: seed it.
      const random = twin.world.rng.fork('Math.random');
      Math.random = () => random.next();
      for (const region of twin.world.regionNames) {
        const sfn = new StepFunctionsSim(twin.world, region, twin.lambda, twin.dynamo);
        twin.sfn.set(region, sfn);
        twin.world.region(region).services.sfn = sfn;
        // The Lambda API (Invoke) for handlers' SDK clients, e.g. the dead-letter replay.
        twin.world.region(region).services.lambda = twin.lambda.apiFor(region);
        // CloudFormation (the deployed stacks' outputs) and STS (the caller), for hactl (cli/twin-backend.ts).
        twin.world.region(region).services.cloudformation = new CloudFormationSim(
          region,
          twin.world.accountId,
          () => twin.world.clock.now(),
        );
        twin.world.region(region).services.sts = new StsSim(twin.world.accountId);
      }
      setClientsForTest(twinClients(twin.world, twin.dynamo, twin.world.regionNames[0] ?? 'us-east-1'));
      setRegionalClientFactoryForTest((name, region) =>
        twinRegionalClient(twin.world, twin.dynamo, name, region),
      );
      const controlPlane = options.controlPlane ?? true;
      twin.layout = await buildWorld(twin, {
        controlPlane,
        ...(options.members !== undefined ? { members: options.members } : {}),
      });
      if (controlPlane) {
        for (const layout of twin.layout.regions.values()) {
          const deployed = deployControlPlane(twin, layout);
          twin.controlPlane.set(layout.region, deployed);
          twin.cloudFormation(layout.region).putStack(controlPlaneStack(twin.world.config, layout, deployed));
        }
      }
      if (options.prepare) await options.prepare(twin);
      twin.invariants.start();
      await twin.world.clock.settle();
      return twin;
    } catch (err) {
      await twin.stop();
      throw err;
    }
  }

  /** Advances virtual time by `ms` (or until `stop()` holds); returns whether it stopped early. */
  run(ms: number, stop?: () => boolean): Promise<boolean> {
    return this.world.clock.runFor(ms, stop);
  }

  /** Runs until `predicate` holds, at most `maxMs` of virtual time; throws naming `what` if it never does. */
  async runUntil(predicate: () => boolean, maxMs: number, what: string): Promise<void> {
    const met = await this.run(maxMs, predicate);
    if (!met)
      throw new Error(`twin: ${what} did not happen within ${Math.round(maxMs / 1000)} s of virtual time`);
  }

  /** The region's CloudFormation (the stacks the twin deployed). */
  cloudFormation(region: string): CloudFormationSim {
    return this.world.region(region).services.cloudformation as CloudFormationSim;
  }

  sfnIn(region: string): StepFunctionsSim {
    const sfn = this.sfn.get(region);
    if (!sfn) throw new Error(`no Step Functions in ${region}`);
    return sfn;
  }

  async stop(): Promise<void> {
    this.invariants.stop();
    this.world.clock.uninstall();
    Math.random = this.realRandom;
    resetClients();
    setRegionalClientFactoryForTest(undefined);
    await this.dynamo.stop();
    if (Twin.active === this) Twin.active = undefined;
  }
}
