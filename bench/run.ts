/**
 * `npm run bench`: performance is measured here, never asserted by timed tests. Each section (bench/*.ts)
 * measures, renders markdown and states its budgets; this writes them all to BENCHMARKS.md (committed) and
 * the raw figures to bench/results/latest.json, and exits 1 when a budget is exceeded.
 *   npm run bench                     every section
 *   npm run bench -- --only lambdas   some sections (comma-separated: lambdas, scenes, synth, idle-cost, rotation)
 *   --seeds <n>        seeds per standard scene (default 10, at least 5)
 *   --other-seeds <n>  seeds per other scene (default 2)
 *   --synth-runs <n>   cdk synth runs for the spread (default 3)
 *   --rotation-nodes <n>  nodes renewed by the rotation section (default 500; one seed)
 *   --rotation-ca      the rotation section also rotates the CA of those nodes
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

import { Command, InvalidArgumentError } from 'commander';
import { idleCostSection } from './idle-cost';
import { lambdaSection } from './lambdas';
import { rotationSection } from './rotation';
import { scenesSection } from './scenes';
import { ROOT, synthOnce, synthSection } from './synth';
import { type BenchSection, table, withinBudget } from './types';

interface Options {
  readonly only?: string;
  readonly seeds: number;
  readonly otherSeeds: number;
  readonly synthRuns: number;
  readonly rotationNodes: number;
  readonly rotationCa: boolean;
}

const SECTIONS: Record<string, (o: Options) => Promise<BenchSection>> = {
  lambdas: lambdaSection,
  scenes: (o) => scenesSection({ standardSeeds: o.seeds, otherSeeds: o.otherSeeds }),
  synth: async (o) => synthSection(Array.from({ length: o.synthRuns }, () => synthOnce().seconds)),
  'idle-cost': async () => idleCostSection(),
  rotation: (o) => rotationSection({ nodes: o.rotationNodes, ca: o.rotationCa }),
};

const count = (min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new InvalidArgumentError(`expected a whole number ≥ ${min}, got "${v}"`);
  return n;
};

function render(
  sections: readonly BenchSection[],
  meta: { node: string; date: string; cpus: string },
): string {
  const budgets = sections.flatMap((s) => s.budgets);
  const failed = budgets.filter((b) => !withinBudget(b));
  return [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${meta.date} (Node ${meta.node}, ${meta.cpus}). Do not edit by hand.`,
    '',
    '## Budgets',
    '',
    budgets.length === 0
      ? 'No budgets.'
      : table(
          ['budget', 'value', 'limit', 'within', 'source'],
          budgets.map((b) => [
            b.name,
            String(b.value),
            String(b.limit),
            withinBudget(b) ? 'yes' : '**no**',
            b.source,
          ]),
        ),
    '',
    failed.length === 0 ? 'Every budget holds.' : `${failed.length} budget(s) exceeded.`,
    ...sections.flatMap((s) => ['', `## ${s.title}`, '', s.markdown]),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const opts = new Command()
    .option('--only <sections>', `comma-separated subset of: ${Object.keys(SECTIONS).join(', ')}`)
    .option('--seeds <n>', 'seeds per standard scene (at least 5)', count(5), 10)
    .option('--other-seeds <n>', 'seeds per other scene', count(1), 2)
    .option('--synth-runs <n>', 'cdk synth runs', count(1), 3)
    .option('--rotation-nodes <n>', 'nodes in the rotation section', count(3), 500)
    .option('--rotation-ca', 'the rotation section also rotates the CA', false)
    .parse()
    .opts<Options>();
  const names = opts.only ? opts.only.split(',') : Object.keys(SECTIONS);
  const unknown = names.filter((n) => !(n in SECTIONS));
  if (unknown.length > 0) throw new Error(`unknown section(s): ${unknown.join(', ')}`);
  const sections: BenchSection[] = [];
  for (const name of names) {
    process.stderr.write(`bench: ${name}…\n`);
    sections.push(await (SECTIONS[name] as (o: Options) => Promise<BenchSection>)(opts));
  }
  const os = await import('node:os');
  const meta = {
    node: process.version,
    date: new Date().toISOString().slice(0, 10),
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
  };
  const markdown = render(sections, meta);
  // A partial run (--only) prints but does not overwrite the committed file.
  if (!opts.only) {
    const file = path.join(ROOT, 'BENCHMARKS.md');
    writeFileSync(file, markdown);
    // Formatted as `npm run lint` wants every markdown file (aligned tables), so the committed file stays clean.
    execFileSync(path.join(ROOT, 'node_modules/.bin/biome'), ['format', '--write', file], {
      stdio: 'ignore',
    });
  }
  process.stdout.write(markdown);
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(
    path.join(ROOT, 'bench/results/latest.json'),
    `${JSON.stringify({ ...meta, sections: sections.map((s) => ({ title: s.title, budgets: s.budgets, data: s.data })) }, null, 2)}\n`,
  );
  const failed = sections.flatMap((s) => s.budgets).filter((b) => !withinBudget(b));
  for (const b of failed) process.stderr.write(`bench: over budget: ${b.name} ${b.value} > ${b.limit}\n`);
  if (failed.length > 0) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
