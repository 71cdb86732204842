/**
 * hactl: the operator's CLI of the control plane (issue 16). `main` builds the commander program, runs it and
 * returns the exit code (cli/exit-codes.ts); it never calls process.exit (cli/bin/hactl.cjs does).
 */
import { Command, CommanderError, Option } from 'commander';
import { awsLoader } from './aws-loader';
import * as audit from './commands/audit';
import * as certs from './commands/certs';
import * as dlq from './commands/dlq';
import * as failover from './commands/failover';
import * as pause from './commands/pause';
import * as regions from './commands/regions';
import * as runs from './commands/runs';
import * as status from './commands/status';
import { contextFactory, type Io, type Loaders } from './context';
import { CliError, oneLine } from './errors';
import { EXIT, EXIT_CODES_HELP, type ExitCode } from './exit-codes';
import { twinLoader } from './twin-backend';

/** The command groups; each registers its commands on the program. */
export const COMMAND_GROUPS: readonly { register: typeof status.register }[] = [
  status,
  runs,
  audit,
  dlq,
  pause,
  failover,
  regions,
  certs,
];

const defaultTwin = twinLoader();
/** AWS, and the twin (`--twin`): the bin's world is stopped when the command ends. */
export const DEFAULT_LOADERS: Loaders = { aws: awsLoader(), twin: defaultTwin, finish: defaultTwin.stop };

function seedOf(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw new CliError(EXIT.USAGE, `--seed must be a whole number, got ${text}`);
  return n;
}

export function buildProgram(io: Io, loaders: Loaders) {
  const factory = contextFactory(io, loaders);
  const program = new Command('hactl')
    .description('Operate the Artifactory HA control plane: see it, steer its workflows, audit it.')
    .option('--config <file>', 'the config file the CDK app deployed (default: $HA_CONFIG)')
    .option('--region <region>', "a region of the config (default: the config's first)")
    .option('--json', 'machine output: one JSON document on stdout, no progress, no colour')
    .option('-y, --yes', 'confirm changes without a prompt (required when stdin is not a TTY)')
    .option('--debug', 'print the stack of unexpected errors')
    .option('--twin', 'run against an in-process twin world instead of AWS')
    .option('--scenario <name>', 'with --twin: the scenario to build the world of')
    .addOption(new Option('--seed <n>', 'with --twin: the seed').argParser(seedOf))
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(s.startsWith('error:') ? `hactl: ${s}` : s),
    });
  for (const group of COMMAND_GROUPS) group.register(program, factory);
  for (const sub of program.commands) sub.exitOverride();
  return { program, factory };
}

/** Runs hactl with `argv` (process.argv shape: node, script, args…); returns the exit code. */
export async function main(
  argv: readonly string[],
  io: Io,
  loaders: Loaders = DEFAULT_LOADERS,
): Promise<ExitCode> {
  const { program, factory } = buildProgram(io, loaders);
  try {
    await program.parseAsync([...argv]);
    return factory.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with exitCode 0; every other commander error is a usage error.
      return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (err instanceof CliError) {
      io.stderr.write(`hactl: ${oneLine(err.message)}\n`);
      return err.code;
    }
    const e = err as Error;
    io.stderr.write(
      `hactl: unexpected error: ${oneLine(`${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`)}\n`,
    );
    if (argv.includes('--debug') && e?.stack) io.stderr.write(`${e.stack}\n`);
    return EXIT.FAILED;
  } finally {
    await loaders.finish?.();
  }
}
