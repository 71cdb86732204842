/** Wall time of `cdk synth` of the example deployment with its policy checks (cdk-nag, cfn-guard). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type BenchSection, table } from './types';

export const ROOT = path.resolve(__dirname, '..');

/** Synthesizes into a fresh directory and returns it with the wall time. */
export function synthOnce(): { outdir: string; seconds: number } {
  const outdir = mkdtempSync(path.join(tmpdir(), 'bench-synth-'));
  const start = process.hrtime.bigint();
  execFileSync(path.join(ROOT, 'node_modules/.bin/cdk'), ['synth', '--no-notices', '--quiet', '-o', outdir], {
    cwd: ROOT,
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
    stdio: 'ignore',
  });
  return { outdir, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

export function synthSection(runs: readonly number[]): BenchSection {
  const sorted = [...runs].sort((a, b) => a - b);
  const fmt = (s: number | undefined) => (s === undefined ? '-' : s.toFixed(1));
  return {
    title: 'Synth',
    markdown: [
      '`cdk synth` of the example deployment (every stack, with cdk-nag and cfn-guard), wall time in seconds.',
      '',
      table(
        ['n', 'min', 'median', 'max'],
        [
          [
            String(sorted.length),
            fmt(sorted[0]),
            fmt(sorted[Math.floor(sorted.length / 2)]),
            fmt(sorted.at(-1)),
          ],
        ],
      ),
    ].join('\n'),
    budgets: [],
    data: { seconds: runs },
  };
}
