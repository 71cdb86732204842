/**
 * `npm start`: runs the control plane on the twin and prints what happened. Quiet by default: one line per
 * scene as it finishes, then one table (scene, outcome, key window against its floor, executions,
 * transitions, dollars, invariants). `--verbose` prints each scene's timeline, every workflow step included.
 *   npm start                         every scenario, one world each
 *   npm start -- --scenario <name>    one scenario
 *   npm start -- --list               the scenarios
 *   npm start -- --seed 7 --verbose   another seed, with the timelines
 *   npm start -- --dashboard          and the last scene's CloudWatch dashboard, rendered from the twin
 * Exit code: 0 when every scene passed, 1 when one failed, 2 for an unknown scenario.
 */
import { styleText } from 'node:util';
import { Command, InvalidArgumentError } from 'commander';
import { statusOf } from '../cli/twin-status';
import type { TimelineEntry } from './core/timeline';
import { renderDashboard } from './dashboard';
import { SCENARIOS, scenarioByName } from './scenarios';
import type { Scenario } from './scenarios/types';
import { runSceneSummary } from './scene-run';
import { dollars, duration, type SceneSummary, summaryTable, windowText } from './scene-summary';

type Style = Parameters<typeof styleText>[0];
/** Colour only on a terminal, and never with NO_COLOR set. */
const COLOUR = process.stdout.isTTY === true && !process.env.NO_COLOR;
const paint = (style: Style, text: string) => (COLOUR ? styleText(style, text) : text);
const out = (line = '') => process.stdout.write(`${line}\n`);

function clockLabel(at: number, start: number): string {
  const s = Math.floor((at - start) / 1000);
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `T+${hh}:${mm}:${ss}`;
}

const COLORS: Record<string, Style> = {
  scenario: 'bold',
  fault: 'red',
  invariant: 'magenta',
  sfn: 'cyan',
  'sfn-step': 'gray',
};

function printTimeline(scenario: Scenario, seed: number) {
  return (twin: Parameters<NonNullable<Parameters<typeof runSceneSummary>[2]>>[0]) => {
    out(paint('bold', `\n=== ${scenario.name}: ${scenario.title} (seed ${seed})`));
    out(paint('dim', scenario.description));
    const start = twin.world.clock.startAt;
    twin.world.timeline.onEntry((e: TimelineEntry) => {
      const line = `  ${clockLabel(e.at, start)}  ${e.region.padEnd(10)} ${e.source.padEnd(9)} ${e.message}`;
      const style = COLORS[e.source];
      out(style ? paint(style, line) : line);
    });
  };
}

/** A scene's details under its timeline (--verbose): the figures and what the scene reported. */
function printDetails(s: SceneSummary, result: Record<string, string | number> | undefined): void {
  out(paint('bold', '\n  summary'));
  out(`    virtual time     ${duration(s.virtualMs)}`);
  out(
    `    executions       ${s.executions.total} (${s.executions.succeeded} succeeded, ${s.executions.failed} failed), ${s.transitions} state transitions`,
  );
  out(
    `    dollars          ${dollars(s.dollars.total)} (Step Functions ${dollars(s.dollars.stepFunctions)}, Lambda ${s.lambda.requests} requests ${dollars(s.dollars.lambda)})`,
  );
  out(`    key window       ${s.window ? `${s.window.label}: ${windowText(s.window)}` : '—'}`);
  for (const [k, v] of Object.entries(result ?? {})) out(`    ${k.padEnd(16)} ${v}`);
}

function parseSeed(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError(`a seed is a whole number ≥ 0, got "${v}"`);
  return n;
}

async function main(): Promise<void> {
  const program = new Command()
    .name('npm start --')
    .description(
      'Run the Artifactory HA control plane against the twin (a simulated AWS) and print what happened.',
    )
    .option('-s, --scenario <name>', 'run one scenario (default: all of them)')
    .option('-l, --list', 'list the scenarios')
    .option('--seed <n>', 'seed of the simulated world (a whole number ≥ 0)', parseSeed, 1)
    .option('-v, --verbose', "print each scene's timeline, every workflow step included")
    .option('-d, --dashboard', "print the last scene's CloudWatch dashboard (its first region) as text")
    .parse();
  const opts = program.opts<{
    scenario?: string;
    list?: boolean;
    seed: number;
    verbose?: boolean;
    dashboard?: boolean;
  }>();
  if (opts.list) {
    for (const s of SCENARIOS) out(`${s.name.padEnd(32)} ${s.title}`);
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
  const summaries: SceneSummary[] = [];
  let dashboard: string[] = [];
  let status: { code: number; text: string } | undefined;
  for (const [i, s] of chosen.entries()) {
    const { summary, result } = await runSceneSummary(
      s,
      opts.seed,
      opts.verbose ? printTimeline(s, opts.seed) : undefined,
      // The last scene's world, as its first region's dashboard shows it when the scene ends.
      i === chosen.length - 1 && s.controlPlane !== false
        ? async (twin) => {
            if (opts.dashboard) dashboard = await renderDashboard(twin, twin.world.regionNames[0] as string);
            // The operator's view of the same world (issue 16): `hactl status`, as `hactl --twin` shows it.
            status = await statusOf({ twin, scenario: s.name, seed: opts.seed });
          }
        : undefined,
    );
    summaries.push(summary);
    if (opts.verbose) printDetails(summary, result);
    const mark = summary.outcome === 'passed' ? paint('green', 'passed') : paint('red', 'FAILED');
    out(
      `[${String(i + 1).padStart(String(chosen.length).length)}/${chosen.length}] ${s.name.padEnd(32)} ${mark}  ${windowText(summary.window)}`,
    );
    for (const why of summary.why) out(paint('red', `      ${why}`));
    // Windows a scene bounds by its floor (the regional scenes: evacuation and failback), under its line.
    if (!opts.verbose)
      for (const [k, v] of Object.entries(result ?? {}))
        if (/ floor /.test(String(v))) out(paint('dim', `      ${k}: ${v}`));
  }
  out('');
  out(
    `seed ${opts.seed}; key windows: docs/twin.md, "Windows and floors"; dollars: Step Functions + Lambda.`,
  );
  out(summaryTable(summaries));
  if (dashboard.length > 0) {
    out('');
    out(paint('bold', `  the last scene's ${dashboard[0]}`));
    for (const line of dashboard.slice(1)) out(line);
  }
  if (status) {
    out('');
    out(paint('bold', `  $ npx hactl --twin --scenario ${chosen.at(-1)?.name} --seed ${opts.seed} status`));
    for (const line of status.text.trimEnd().split('\n')) out(`  ${line}`);
    if (status.code !== 0) out(paint('red', `  [hactl status exit ${status.code}]`));
  }
  if (summaries.some((s) => s.outcome === 'failed')) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
