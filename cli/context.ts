/** What every command gets: the config, the backend, the terminal, the global flags. */
import type { Command } from 'commander';
import type { Config } from '../infra/config/schema';
import type { Backend } from './backend';
import { CliError, requireReason } from './errors';
import { EXIT, type ExitCode } from './exit-codes';

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface CliContext {
  /** infra/config/load.ts, the same file the CDK app reads. */
  config: Config;
  backend: Backend;
  io: Io;
  /** --json: machine output only on stdout (one JSON document), no progress, no colour. */
  json: boolean;
  /** --yes */
  yes: boolean;
  /** stdout is a TTY and not NO_COLOR and not --json. */
  colour: boolean;
  /** stdin and stdout are TTYs and not --json. */
  interactive: boolean;
  /** --region or the config's first region; a region not in the config: CliError(4). */
  region(flag?: string): string;
}

/** The program's global options (hactl.ts declares them). */
export interface GlobalOptions {
  config?: string;
  region?: string;
  json?: boolean;
  yes?: boolean;
  debug?: boolean;
  twin?: boolean;
  scenario?: string;
  seed?: number;
}

/** Builds the config and backend from the global options (AWS: cli/aws-loader.ts; twin: TWIN's loader). */
export type BackendLoader = (opts: GlobalOptions, io: Io) => Promise<{ config: Config; backend: Backend }>;

export interface Loaders {
  aws: BackendLoader;
  twin?: BackendLoader;
  /** Runs when main ends (the bin's twin world is stopped so the process can exit). */
  finish?: () => Promise<void>;
}

/** A command's body: gets the context, its options and arguments, returns the exit code. */
export type CommandBody<O> = (ctx: CliContext, opts: O, args: string[]) => Promise<ExitCode>;

export interface CliContextFactory {
  /** The context for `cmd` (its global options), built once per run. */
  create(cmd: Command): Promise<CliContext>;
  /**
   * Wraps a command's body as a commander action; its exit code becomes main's. The body gets the command's
   * options merged with the global ones. `change: true`: a change, refused (exit 2) without `--reason` before
   * anything (the config included) is read.
   */
  action<O>(body: CommandBody<O>, how?: { change?: boolean }): (...args: unknown[]) => Promise<void>;
  /** The exit code of the last action. */
  readonly exitCode: ExitCode;
  readonly io: Io;
}

/** The config's region names, as a list for error messages. */
function regionList(config: Config): string {
  return config.regions.map((r) => r.name).join(', ');
}

export function makeContext(config: Config, backend: Backend, io: Io, opts: GlobalOptions): CliContext {
  const json = opts.json === true;
  const tty = io.stdout.isTTY === true;
  const noColour = io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '';
  return {
    config,
    backend,
    io,
    json,
    yes: opts.yes === true,
    colour: tty && !noColour && !json,
    interactive: tty && io.stdin.isTTY === true && !json,
    region(flag?: string): string {
      const wanted = flag ?? opts.region;
      if (wanted === undefined) {
        const first = config.regions[0];
        if (!first) throw new CliError(EXIT.ENVIRONMENT, 'the config has no regions: check --config');
        return first.name;
      }
      if (!config.regions.some((r) => r.name === wanted)) {
        throw new CliError(
          EXIT.ENVIRONMENT,
          `region ${wanted} is not in the config (${regionList(config)}): pick one of them or check --config`,
        );
      }
      return wanted;
    },
  };
}

export function contextFactory(io: Io, loaders: Loaders): CliContextFactory {
  let built: Promise<CliContext> | undefined;
  let exitCode: ExitCode = EXIT.OK;
  const factory: CliContextFactory = {
    io,
    get exitCode() {
      return exitCode;
    },
    create(cmd: Command): Promise<CliContext> {
      built ??= (async () => {
        const opts = cmd.optsWithGlobals<GlobalOptions>();
        const loader = opts.twin ? loaders.twin : loaders.aws;
        if (!loader) throw new CliError(EXIT.ENVIRONMENT, '--twin is not available in this build of hactl');
        const { config, backend } = await loader(opts, io);
        return makeContext(config, backend, io, opts);
      })();
      return built;
    },
    action<O>(body: CommandBody<O>, how: { change?: boolean } = {}) {
      return async (...args: unknown[]) => {
        // commander passes the positional arguments, then the options, then the command.
        const cmd = args[args.length - 1] as Command;
        const opts = cmd.optsWithGlobals<O & { reason?: unknown }>();
        if (how.change) requireReason(opts.reason);
        const positional = args
          .slice(0, -2)
          .flat()
          .filter((a): a is string => typeof a === 'string');
        const ctx = await factory.create(cmd);
        exitCode = await body(ctx, opts, positional);
      };
    },
  };
  return factory;
}
