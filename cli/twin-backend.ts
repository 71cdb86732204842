/**
 * `hactl --twin [--scenario S] [--seed N]`: the commands run against an in-process twin world (sim/) instead of
 * AWS. The world is built as `npm start` builds a scene's (sim/scene-run.ts): the scenario's config and start,
 * its scene run to its end; then the command gets twin clients pinned to each region, the twin's stacks
 * (DescribeStacks answers the outputs ControlPlaneStack declares) and the twin's caller. While a command waits
 * (a follow's poll, a sleep) the virtual clock advances. Without --scenario: the baseline world (the example
 * config, the cluster up, the control plane deployed, BASELINE_MS of quiet time).
 */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { WorkflowName } from '../infra/operations';
import { stateMachineArnOf } from '../sim/deploy-operations';
import { twinOperatorClients } from '../sim/runner/sdk';
import { SCENARIOS, scenarioByName, startTwinFor } from '../sim/scenarios';
import type { Scenario } from '../sim/scenarios/types';
import { Twin } from '../sim/twin';
import { type Backend, type BackendClients, describeControlPlane, type StackRefs } from './backend';
import type { BackendLoader, GlobalOptions, Io } from './context';
import { CliError } from './errors';
import { EXIT } from './exit-codes';

/** The quiet time the baseline world runs before the command (the sweep and the alarms have run). */
export const BASELINE_MS = 5 * 60_000;
export const BASELINE = 'baseline';

/** The world a `--twin` command runs against, once its scene ended. */
export interface TwinWorld {
  readonly twin: Twin;
  readonly scenario: string;
  readonly seed: number;
  /** The scene's own failure (its expectation or a thrown error), if it had one: the world is still given. */
  readonly sceneError?: string;
}

/** Builds the world of `scenario` (default the baseline) with `seed` and runs its scene to its end. */
export async function buildTwinWorld(scenario: string | undefined, seed: number): Promise<TwinWorld> {
  const name = scenario ?? BASELINE;
  if (name === BASELINE) {
    const twin = await Twin.start({ seed });
    try {
      await twin.run(BASELINE_MS);
    } catch (err) {
      await twin.stop();
      throw err;
    }
    return { twin, scenario: name, seed };
  }
  const scene: Scenario | undefined = scenarioByName(name);
  if (!scene)
    throw new CliError(
      EXIT.USAGE,
      `unknown scenario ${name}: use ${BASELINE} or one of ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
  const twin = await startTwinFor(scene, seed);
  let sceneError: string | undefined;
  try {
    await scene.run(twin, (m) => twin.world.timeline.add('-', 'scenario', m));
  } catch (err) {
    sceneError = (err as Error).message;
  }
  return { twin, scenario: name, seed, ...(sceneError !== undefined ? { sceneError } : {}) };
}

/**
 * Drives the virtual clock while the operator waits: the world is still between commands (its clock moves only
 * when driven), so every call of the twin clients and every sleep is awaited here while one loop advances the
 * clock timer by timer until nothing is awaited (a Lambda invoke takes its virtual time, the SDK's back-off
 * elapses, a follow's poll interval passes). One loop for every waiter: the clock is never driven twice at once.
 */
export class ClockDriver {
  private pending = 0;
  private loop: Promise<void> | undefined;

  constructor(private readonly twin: Twin) {}

  drive<T>(work: () => Promise<T>): Promise<T> {
    this.pending++;
    const done = (async () => {
      try {
        return await work();
      } finally {
        this.pending--;
      }
    })();
    this.loop ??= this.run().finally(() => {
      this.loop = undefined;
    });
    return done;
  }

  private async run(): Promise<void> {
    while (this.pending > 0) await this.twin.run(60_000, () => this.pending === 0);
  }
}

type Middleware = (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>;
interface WithStack {
  middlewareStack: { add(mw: Middleware, opts: Record<string, unknown>): void };
}

/** Each call of `client` (its retries included) is awaited through `driver`. */
function driven<C extends WithStack>(client: C, driver: ClockDriver): C {
  client.middlewareStack.add((next) => (args) => driver.drive(() => next(args)), {
    step: 'initialize',
    priority: 'high',
    name: 'twinClockDriver',
  });
  return client;
}

/** The twin backend over a built world. */
export class TwinBackend implements Backend {
  readonly kind = 'twin' as const;
  private readonly byRegion = new Map<string, BackendClients>();
  private readonly stacks = new Map<string, Promise<StackRefs>>();
  private readonly driver: ClockDriver;

  constructor(readonly world: TwinWorld) {
    this.driver = new ClockDriver(world.twin);
  }

  private get twin(): Twin {
    return this.world.twin;
  }

  clients(region: string): BackendClients {
    let c = this.byRegion.get(region);
    if (!c) {
      const made = twinOperatorClients(this.twin.world, this.twin.dynamo, region);
      for (const client of Object.values(made)) driven(client as unknown as WithStack, this.driver);
      c = made;
      this.byRegion.set(region, c);
    }
    return c;
  }

  stack(region: string): Promise<StackRefs> {
    let s = this.stacks.get(region);
    if (!s) {
      const config = this.twin.world.config;
      s = describeControlPlane(config, region, this.clients(region).cloudFormation).then((refs) => {
        // The twin names its state machines by workflow (regional-failover by its fixed name), not CDK's
        // `<stack>-<workflow>`: its own rule (docs/twin.md, "CloudFormation and STS").
        const arnOf = stateMachineArnOf(config, (name) => this.twin.sfnIn(region).arnOf(name));
        return { ...refs, stateMachineArn: (workflow: string) => arnOf(workflow as WorkflowName) };
      });
      this.stacks.set(region, s);
    }
    return s;
  }

  async identity(): Promise<string> {
    const region = this.twin.world.regionNames[0] as string;
    const out = await this.clients(region).sts.send(new GetCallerIdentityCommand({}));
    if (!out.Arn) throw new CliError(EXIT.ENVIRONMENT, 'the twin STS returned no caller ARN');
    return out.Arn;
  }

  /** Advances the virtual clock by `ms` (the world's workflows, timers and schedules run meanwhile). */
  sleep(ms: number): Promise<void> {
    return this.driver.drive(() => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  }

  now(): number {
    return this.twin.world.clock.now();
  }
}

/**
 * A loader of twin worlds: one world per (scenario, seed), kept across commands (a test file runs several
 * commands against one world); another scenario or seed stops the previous world first (one twin per process).
 * `stop()` stops the world.
 */
export function twinLoader(): BackendLoader & { stop(): Promise<void>; current(): TwinWorld | undefined } {
  let held: { key: string; world: Promise<TwinWorld> } | undefined;
  let built: TwinWorld | undefined;
  const stop = async () => {
    const h = held;
    held = undefined;
    built = undefined;
    if (h) await (await h.world.catch(() => undefined))?.twin.stop();
  };
  const load = async (opts: GlobalOptions, io: Io) => {
    if (opts.config !== undefined)
      throw new CliError(
        EXIT.USAGE,
        '--twin builds its world from the example config (or the scenario’s): drop --config',
      );
    const seed = opts.seed ?? 1;
    const key = `${opts.scenario ?? BASELINE}/${seed}`;
    if (held?.key !== key) {
      await stop();
      held = { key, world: buildTwinWorld(opts.scenario, seed) };
      held.world.catch(() => {
        held = undefined;
      });
    }
    const world = await held.world;
    if (built !== world && world.sceneError !== undefined)
      io.stderr.write(
        `hactl: twin: scene ${world.scenario} (seed ${seed}) ended with: ${world.sceneError}\n`,
      );
    built = world;
    return { config: world.twin.world.config, backend: new TwinBackend(world) };
  };
  return Object.assign(load, { stop, current: () => built });
}
