/**
 * Benchmarks: performance is measured here (`npm run bench`), never asserted by timed tests.
 * - Lambda bundles: size and cold-start module load of every functions/<name>/handler.ts, bundled exactly
 *   as the CDK construct bundles it (esbuild, minified, CJS, Node 24 target).
 * - Synth: wall time of synthesizing the example deployment with policy checks.
 * Results are printed as a table and written to bench/results/latest.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(__dirname, '..');

async function lambdaBundles() {
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
    // Median of 5 fresh processes: the time to evaluate the bundle, as a cold start pays it.
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
      bundleKiB: Math.round(statSync(outfile).size / 1024),
      moduleLoadMs: samples[2],
    });
  }
  return rows;
}

function synthSeconds(): number {
  const start = process.hrtime.bigint();
  execFileSync(
    path.join(ROOT, 'node_modules/.bin/cdk'),
    ['synth', '--no-notices', '--quiet', '-o', mkdtempSync(path.join(tmpdir(), 'bench-synth-'))],
    {
      cwd: ROOT,
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
      stdio: 'ignore',
    },
  );
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function main() {
  const bundles = await lambdaBundles();
  const synth = synthSeconds();
  console.log('Lambda bundles (esbuild, minified; module load = median of 5 cold processes)');
  if (bundles.length === 0) console.log('  (no handlers yet)');
  else console.table(bundles);
  console.log(`cdk synth of the example deployment with cdk-nag and cfn-guard: ${synth.toFixed(1)} s`);
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  const result = { node: process.version, date: new Date().toISOString(), bundles, synthSeconds: synth };
  writeFileSync(path.join(ROOT, 'bench/results/latest.json'), `${JSON.stringify(result, null, 2)}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
