/**
 * Scenes on the twin (issue 12): per standard scene, state transitions and dollars per workflow run (root
 * executions, their `.sync` children included) and the key window against its physical floor; per scene, the
 * window/floor ratio. Figures come from sim/scene-summary.ts, floors from sim/scenarios/floors.ts.
 */

import { SCENARIOS, STANDARD_SCENES } from '../sim/scenarios';
import { TRANSITION_BUDGETS } from '../sim/scenarios/costs';
import { NODE_COMMAND_TRANSITION_BUDGET } from '../sim/scenarios/node-commands';
import type { Scenario } from '../sim/scenarios/types';
import { runSceneSummary } from '../sim/scene-run';
import { dollars, duration, type SceneSummary } from '../sim/scene-summary';
import { PRICES } from './prices';
import { type BenchSection, type Budget, spread, table } from './types';

export interface SceneBenchOptions {
  /** Seeds 1..n for each standard scene (≥ 5). */
  readonly standardSeeds: number;
  /** Seeds 1..n for every other scene (1-3 keeps the bench short). */
  readonly otherSeeds: number;
}

const GOAL = 'issue 12 goal 2 (waiting costs little)';

/** min / median / max of a non-empty list, formatted. */
/** `min / median / max` of `values` (bench/types.ts `spread`), each formatted; "—" for none. */
export function spreadText(values: readonly number[], fmt: (v: number) => string): string {
  if (values.length === 0) return '—';
  const { min, median, max } = spread(values);
  return `${fmt(min)} / ${fmt(median)} / ${fmt(max)}`;
}

const ratioOf = (s: SceneSummary) =>
  s.window && s.window.floorMs > 0 ? s.window.windowMs / s.window.floorMs : undefined;
const defined = <T>(xs: readonly (T | undefined)[]): T[] => xs.filter((x): x is T => x !== undefined);
const fixed2 = (v: number) => v.toFixed(2);
const int = (v: number) => String(Math.round(v));

/** One scene's summaries over its seeds. */
export interface SceneRuns {
  readonly scene: Pick<Scenario, 'name'>;
  readonly runs: readonly SceneSummary[];
}

async function runAll(scenes: readonly Scenario[], seeds: number): Promise<SceneRuns[]> {
  const out: SceneRuns[] = [];
  for (const scene of scenes) {
    const runs: SceneSummary[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      process.stderr.write(`bench: scenes: ${scene.name} seed ${seed}\n`);
      runs.push((await runSceneSummary(scene, seed)).summary);
    }
    out.push({ scene, runs });
  }
  return out;
}

/** The largest root run of `stateMachine` over the summaries, with where it was seen. */
function largestRun(
  summaries: readonly SceneSummary[],
  stateMachine: string,
): { value: number; where: string } {
  let best = { value: 0, where: 'none ran' };
  for (const s of summaries)
    for (const r of s.runs)
      if (r.stateMachine === stateMachine && r.transitions >= best.value)
        best = { value: r.transitions, where: `${s.scene} seed ${s.seed} (${r.name})` };
  return best;
}

export async function scenesSection(options: SceneBenchOptions): Promise<BenchSection> {
  if (options.standardSeeds < 5)
    throw new Error(`scenes: at least 5 seeds per standard scene (got ${options.standardSeeds})`);
  if (options.otherSeeds < 1)
    throw new Error(`scenes: at least 1 seed per other scene (got ${options.otherSeeds})`);
  const standardNames = new Set(STANDARD_SCENES.map((s) => s.name));
  const standard = await runAll(STANDARD_SCENES, options.standardSeeds);
  const others = await runAll(
    SCENARIOS.filter((s) => !standardNames.has(s.name)),
    options.otherSeeds,
  );
  return renderScenes(options, standard, others);
}

/** The section from the summaries (exported for its unit test). */
export function renderScenes(
  options: SceneBenchOptions,
  standard: readonly SceneRuns[],
  others: readonly SceneRuns[],
): BenchSection {
  const perRun: string[][] = [];
  for (const { scene, runs } of standard) {
    const machines = [...new Set(runs.flatMap((s) => s.runs.map((r) => r.stateMachine)))].sort();
    for (const m of machines) {
      const list = runs.flatMap((s) => s.runs.filter((r) => r.stateMachine === m));
      perRun.push([
        scene.name,
        m,
        String(list.length),
        spreadText(
          list.map((r) => r.executions),
          int,
        ),
        spreadText(
          list.map((r) => r.transitions),
          int,
        ),
        spreadText(
          list.map((r) => r.dollars),
          dollars,
        ),
      ]);
    }
  }
  const windowRow = ({ scene, runs }: SceneRuns) => [
    scene.name,
    String(runs.length),
    `${runs.filter((s) => s.outcome === 'passed').length}/${runs.length}`,
    runs[0]?.window?.label ?? '—',
    spreadText(defined(runs.map((s) => s.window?.windowMs)), duration),
    spreadText(defined(runs.map((s) => s.window?.floorMs)), duration),
    spreadText(defined(runs.map(ratioOf)), fixed2),
    spreadText(
      runs.map((s) => s.transitions),
      int,
    ),
    spreadText(
      runs.map((s) => s.dollars.total),
      dollars,
    ),
  ];
  const all = [...standard, ...others].flatMap((x) => x.runs);
  const bootstrap = largestRun(
    standard.flatMap((x) => x.runs),
    'node-bootstrap',
  );
  const failover = largestRun(
    standard.flatMap((x) => x.runs),
    'primary-failover',
  );
  const timedOut = all.flatMap((s) =>
    s.timedOutCommands.map((c) => ({
      transitions: c.transitions,
      where: `${s.scene} seed ${s.seed} (${c.name})`,
    })),
  );
  const worstCommand = timedOut.reduce((best, c) => (c.transitions >= best.transitions ? c : best), {
    transitions: 0,
    where: 'none timed out',
  });
  const budgets: Budget[] = [
    {
      name: 'node-bootstrap run, largest (transitions, children included)',
      value: bootstrap.value,
      limit: TRANSITION_BUDGETS['node-bootstrap'],
      source: GOAL,
    },
    {
      name: 'primary-failover run, largest (transitions, children included)',
      value: failover.value,
      limit: TRANSITION_BUDGETS['primary-failover'],
      source: GOAL,
    },
    {
      name: 'node-command execution that ended timed out, largest (transitions)',
      value: worstCommand.transitions,
      limit: NODE_COMMAND_TRANSITION_BUDGET,
      source: GOAL,
    },
  ];
  const failedRuns = all.filter((s) => s.outcome === 'failed');
  const markdown = [
    `Each standard scene on seeds 1–${options.standardSeeds}, every other scene on seeds 1–${options.otherSeeds}, on the twin (virtual time).`,
    'Transitions are Step Functions Standard state transitions as the twin counts them (every state entered, every',
    'retry); dollars are those transitions plus Lambda requests and GB-seconds (virtual durations: a lower bound) at',
    `${PRICES.sfnStandardTransition.source} and ${PRICES.lambdaRequest.source} (read ${PRICES.sfnStandardTransition.read}).`,
    'A workflow run is a root execution with its `.sync` children. Windows and floors: docs/twin.md, "Windows and floors";',
    'spreads are min / median / max.',
    '',
    '### Largest runs (the budgets above)',
    '',
    table(
      ['budget', 'value', 'seen in'],
      [
        ['node-bootstrap run', String(bootstrap.value), bootstrap.where],
        ['primary-failover run', String(failover.value), failover.where],
        [
          `node-command timed out (${timedOut.length} over every scene run)`,
          String(worstCommand.transitions),
          worstCommand.where,
        ],
      ],
    ),
    '',
    '### Per workflow run, standard scenes',
    '',
    'Every root run counts, those that found nothing to do included (a second trigger finding the cluster lock held,',
    "a drain's handover after the election): hence medians of a few transitions beside the maxima.",
    '',
    table(['scene', 'state machine', 'runs', 'executions / run', 'transitions / run', '$ / run'], perRun),
    '',
    '### Key window against its floor, standard scenes',
    '',
    table(
      ['scene', 'seeds', 'passed', 'key window', 'window', 'floor', 'window / floor', 'transitions', '$'],
      standard.map(windowRow),
    ),
    '',
    '### Key window against its floor, every other scene',
    '',
    table(
      ['scene', 'seeds', 'passed', 'key window', 'window', 'floor', 'window / floor', 'transitions', '$'],
      others.map(windowRow),
    ),
    '',
    failedRuns.length === 0
      ? `Every scene run passed (${all.length}).`
      : `${failedRuns.length} of ${all.length} scene runs failed: ${failedRuns
          .map((s) => `${s.scene} seed ${s.seed} (${s.why[0]?.slice(0, 160) ?? '?'})`)
          .join('; ')}.`,
  ].join('\n');
  return {
    title: 'Scenes',
    markdown,
    budgets,
    data: { options, scenes: all },
  };
}
