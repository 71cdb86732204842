/**
 * `npm start`: runs the control plane on the twin and prints what happened.
 *   npm start                         every scenario, one world each
 *   npm start -- --scenario <name>    one scenario
 *   npm start -- --list               the scenarios
 *   npm start -- --seed 7 --verbose   another seed; show every workflow step
 */
import { styleText } from 'node:util';
import { Command } from 'commander';
import type { TimelineEntry } from './core/timeline';
import { SCENARIOS, scenarioByName, startTwinFor } from './scenarios';
import { type Scenario, unexpectedViolations } from './scenarios/types';

const out = (line = '') => process.stdout.write(`${line}\n`);

function clockLabel(at: number, start: number): string {
  const s = Math.floor((at - start) / 1000);
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `T+${hh}:${mm}:${ss}`;
}

const COLORS: Record<string, Parameters<typeof styleText>[0]> = {
  scenario: 'bold',
  fault: 'red',
  invariant: 'magenta',
  sfn: 'cyan',
  'sfn-step': 'gray',
};

async function runScenario(scenario: Scenario, seed: number, verbose: boolean): Promise<boolean> {
  out(styleText('bold', `\n=== ${scenario.name}: ${scenario.title} (seed ${seed})`));
  out(styleText('dim', scenario.description));
  const twin = await startTwinFor(scenario, seed);
  const start = twin.world.clock.startAt;
  const print = (e: TimelineEntry) => {
    if (
      !verbose &&
      (e.source === 'sfn-step' || e.data?.verbose === true || /matches no rule/.test(e.message))
    )
      return;
    const line = `  ${clockLabel(e.at, start)}  ${e.region.padEnd(10)} ${e.source.padEnd(9)} ${e.message}`;
    out(COLORS[e.source] ? styleText(COLORS[e.source] as Parameters<typeof styleText>[0], line) : line);
  };
  twin.world.timeline.onEntry(print);
  const say = (message: string) => twin.world.timeline.add('-', 'scenario', message);
  let ok = true;
  let result: Awaited<ReturnType<Scenario['run']>>;
  try {
    result = await scenario.run(twin, say);
  } catch (err) {
    ok = false;
    out(styleText('red', `  scenario failed: ${(err as Error).message}`));
  }
  twin.invariants.check();
  const { world } = twin;
  const violations = unexpectedViolations(scenario, twin.invariants.violations);
  const accepted = twin.invariants.violations.length - violations.length;
  out(styleText('bold', '\n  summary'));
  out(`    virtual time     ${clockLabel(world.clock.now(), start).slice(2)}`);
  const execs = world.executions;
  const transitions = execs.reduce((n, e) => n + e.transitions, 0);
  out(
    `    executions       ${execs.length} (${execs.filter((e) => e.status === 'SUCCEEDED').length} succeeded, ${execs.filter((e) => e.status === 'FAILED').length} failed), ${transitions} state transitions ≈ $${((transitions * 0.025) / 1000).toFixed(5)}`,
  );
  out(
    `    API calls        ${world.apiCalls.length} (${world.apiCalls.filter((c) => c.error).length} failed)`,
  );
  for (const [k, v] of Object.entries(result ?? {})) out(`    ${k.padEnd(16)} ${v}`);
  if (world.notModelled.length > 0) {
    // Each is a twin-not-modelled violation too (listed below): the scene fails even if a workflow caught it.
    out(styleText('red', `    not modelled     ${world.notModelled.length} call(s) the twin does not model`));
  }
  for (const [region, ms] of Object.entries(twin.invariants.primaryGapTotals())) {
    if (ms > 0) out(`    no primary       ${region}: ${Math.round(ms / 1000)} s in total`);
  }
  if (accepted > 0) {
    out(
      `    injected         ${accepted} episode(s) of an invariant the scene breaks on purpose, each ended in its bound`,
    );
  }
  if (violations.length === 0) out(styleText('green', '    invariants       all held'));
  else {
    ok = false;
    out(styleText('red', `    invariants       ${violations.length} violation(s):`));
    for (const v of violations)
      out(styleText('red', `      ${clockLabel(v.at, start)} ${v.invariant}: ${v.message}`));
  }
  await twin.stop();
  return ok;
}

async function main(): Promise<void> {
  const program = new Command()
    .name('npm start --')
    .description(
      'Run the Artifactory HA control plane against the twin (a simulated AWS) and print what happened.',
    )
    .option('-s, --scenario <name>', 'run one scenario (default: all of them)')
    .option('-l, --list', 'list the scenarios')
    .option('--seed <n>', 'seed of the simulated world', (v) => Number.parseInt(v, 10), 1)
    .option('-v, --verbose', 'also show every workflow step')
    .parse();
  const opts = program.opts<{ scenario?: string; list?: boolean; seed: number; verbose?: boolean }>();
  if (opts.list) {
    for (const s of SCENARIOS) out(`${s.name.padEnd(28)} ${s.title}`);
    return;
  }
  let chosen: readonly Scenario[] = SCENARIOS;
  if (opts.scenario) {
    const s = scenarioByName(opts.scenario);
    if (!s) {
      console.error(`unknown scenario "${opts.scenario}"; known: ${SCENARIOS.map((x) => x.name).join(', ')}`);
      process.exitCode = 2;
      return;
    }
    chosen = [s];
  }
  let failed = 0;
  for (const s of chosen) if (!(await runScenario(s, opts.seed, opts.verbose ?? false))) failed++;
  out(
    failed === 0
      ? styleText('green', `\n${chosen.length} scenario(s) ran; every invariant held.`)
      : styleText('red', `\n${failed} of ${chosen.length} scenario(s) failed.`),
  );
  if (failed > 0) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
