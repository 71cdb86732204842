/**
 * Lambda bundles: size and cold-start module load of every functions/<name>/handler.ts, bundled as the CDK
 * construct bundles it (esbuild, minified, CJS, Node 24 target).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { ROOT } from './synth';
import { type BenchSection, table } from './types';

export async function lambdaSection(): Promise<BenchSection> {
  const dir = path.join(ROOT, 'functions');
  // shared/handler.ts is the wrapper every Lambda uses, not a Lambda.
  const handlers = readdirSync(dir).filter(
    (d) => d !== 'shared' && existsSync(path.join(dir, d, 'handler.ts')),
  );
  const out = mkdtempSync(path.join(tmpdir(), 'bench-'));
  const rows = [];
  for (const name of handlers) {
    const outfile = path.join(out, name, 'index.js');
    await build({
      entryPoints: [path.join(dir, name, 'handler.ts')],
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node24',
      format: 'cjs',
      outfile,
      logLevel: 'silent',
    });
    const samples = Array.from({ length: 5 }, () =>
      Number(
        execFileSync(process.execPath, [
          '-e',
          `const t=process.hrtime.bigint();require(${JSON.stringify(outfile)});console.log(Number(process.hrtime.bigint()-t)/1e6)`,
        ]).toString(),
      ),
    ).sort((a, b) => a - b);
    rows.push({
      handler: name,
      bundleKB: Math.round(statSync(outfile).size / 1000),
      moduleLoadMs: samples[2] ?? 0,
    });
  }
  return {
    title: 'Lambda bundles',
    markdown: table(
      ['Lambda', 'bundle (KB)', 'module load (ms, median of 5)'],
      rows.map((r) => [r.handler, String(r.bundleKB), r.moduleLoadMs.toFixed(1)]),
    ),
    budgets: [],
    data: rows,
  };
}
