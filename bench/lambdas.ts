/**
 * Lambda bundles (issue 12, goal 1): size and cold module load of every functions/<name>/handler.ts, built with
 * exactly the construct's esbuild options (LAMBDA_BUNDLING). Load is a ratio to a bare Node start, measured
 * in PAIRS of fresh processes of the same Node binary (process.execPath), `node -e 0` and
 * `node -e "require(bundle)"`, alternating which goes first, so that the machine's load at the moment hits
 * both halves of a pair alike. Beside the budgeted figures: the cost of the handler's first use of its
 * clients (their SDK packages are loaded only then), and the same figures with the SDK bundled, the choice
 * not made (docs/performance.md says why).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build, type Metafile } from 'esbuild';
import { esbuildOptions, LAMBDA_BUNDLING } from '../infra/constructs/control-plane-function';
import { ROOT } from './synth';
import { type BenchSection, type Budget, type Spread, spread, table } from './types';

/** The other choice, measured for comparison: the SDK bundled (pinned to the version the tests ran). */
const BUNDLED_SDK: BundlingOptions = { ...LAMBDA_BUNDLING, externalModules: [] };

/** Paired runs per figure (issue 12 asks for at least 10). */
export const PAIRS = 15;
export const BUDGET_KB = 600;
export const BUDGET_RATIO = 2.0;
const SOURCE = 'issue 12 goal 1';

/** The child's own CPU time (user + system, all threads, from its start), written to stderr as it exits. */
const REPORT_CPU =
  "process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write(String((u.user+u.system)/1e3))})";

/** One fresh Node process running `code`: wall time as seen from here, and the CPU time it used. */
function timedRun(code: string): { wall: number; cpu: number } {
  const start = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ['-e', `${REPORT_CPU};${code}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = Number(run.stderr.toString());
  if (run.status !== 0 || !Number.isFinite(cpu))
    throw new Error(`node -e ${code} failed: ${run.stderr.toString()}`);
  return { wall, cpu };
}

/**
 * Load of `file` over a bare Node start, one ratio per pair of fresh processes (`node -e 0` and
 * `node -e "require(file)"`, alternating which runs first): wall time, and CPU time, which other work on a
 * shared machine disturbs far less.
 */
export function pairedRatios(file: string, pairs = PAIRS): { wall: number[]; cpu: number[] } {
  const load = `require(${JSON.stringify(file)})`;
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const [b, l] = i % 2 === 0 ? [timedRun('0'), timedRun(load)] : [undefined, timedRun(load)];
    const bare = b ?? timedRun('0');
    wall.push(l.wall / bare.wall);
    cpu.push(l.cpu / bare.cpu);
  }
  return { wall, cpu };
}

/** The client modules (functions/shared/clients/<name>.ts, not base) a bundle holds, by metafile. */
export function clientModules(meta: Metafile): string[] {
  return Object.keys(meta.inputs)
    .filter((f) => /^functions\/shared\/clients\/(?!base\.ts$)[^/]+\.ts$/.test(f))
    .sort();
}

/** The AWS SDK packages a bundle holds (bundled) or requires (external), by metafile. */
export function sdkPackages(meta: Metafile): string[] {
  const found = new Set<string>();
  for (const f of Object.keys(meta.inputs)) {
    const m = /node_modules\/(@aws-sdk\/[^/]+)\//.exec(f);
    if (m?.[1]) found.add(m[1]);
  }
  for (const out of Object.values(meta.outputs)) {
    for (const imp of out.imports) if (imp.external && imp.path.startsWith('@aws-sdk/')) found.add(imp.path);
  }
  return [...found].sort();
}

/** Every Lambda's directory under functions/ (shared/ holds the wrapper, not a Lambda). */
export function lambdaHandlers(): string[] {
  const dir = path.join(ROOT, 'functions');
  return readdirSync(dir)
    .filter((d) => d !== 'shared' && existsSync(path.join(dir, d, 'handler.ts')))
    .sort();
}

/** Bundle one handler; `outdir` must be under the repository so an external SDK resolves from node_modules. */
export async function bundleHandler(
  name: string,
  outdir: string,
  bundling: BundlingOptions = LAMBDA_BUNDLING,
): Promise<{ outfile: string; meta: Metafile }> {
  const outfile = path.join(outdir, name, 'index.js');
  const result = await build({
    ...esbuildOptions(bundling),
    entryPoints: [path.join(ROOT, 'functions', name, 'handler.ts')],
    absWorkingDir: ROOT,
    outfile,
    metafile: true,
    logLevel: 'silent',
  });
  return { outfile, meta: result.metafile };
}

/**
 * A bundle that loads the handler and then makes each of its clients and loads each of their SDK packages:
 * what its first invocation adds to the module load (before any network call).
 */
async function bundleFirstUse(
  name: string,
  modules: readonly string[],
  outdir: string,
  bundling: BundlingOptions,
): Promise<string> {
  const dir = path.join(outdir, `${name}-first-use`);
  mkdirSync(dir, { recursive: true });
  const entry = path.join(dir, 'entry.ts');
  const lines = [`require(${JSON.stringify(path.join(ROOT, 'functions', name, 'handler.ts'))});`];
  for (const m of modules) {
    lines.push(
      `for (const f of Object.values(require(${JSON.stringify(path.join(ROOT, m))}))) if (typeof f === 'function') f();`,
    );
  }
  writeFileSync(entry, `${lines.join('\n')}\n`);
  const outfile = path.join(dir, 'index.js');
  await build({
    ...esbuildOptions(bundling),
    entryPoints: [entry],
    absWorkingDir: ROOT,
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

interface Row {
  readonly handler: string;
  readonly bundleKB: number;
  readonly clients: string[];
  readonly sdk: string[];
  readonly load: Spread;
  readonly loadCpu: Spread;
  readonly firstUse: Spread;
}

async function measure(name: string, outdir: string, bundling: BundlingOptions): Promise<Row> {
  const { outfile, meta } = await bundleHandler(name, outdir, bundling);
  const modules = clientModules(meta);
  const firstUse = await bundleFirstUse(name, modules, outdir, bundling);
  const load = pairedRatios(outfile);
  return {
    handler: name,
    bundleKB: Math.round(statSync(outfile).size / 1000),
    clients: modules.map((m) => path.basename(m, '.ts')),
    sdk: sdkPackages(meta),
    load: spread(load.wall),
    loadCpu: spread(load.cpu),
    firstUse: spread(pairedRatios(firstUse).wall),
  };
}

const fmt = (s: Spread) => `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;

function render(rows: readonly Row[]): string {
  return table(
    ['Lambda', 'bundle (KB)', 'module load ×bare', 'same, CPU time', 'load + first use ×bare', 'clients'],
    rows.map((r) => [
      r.handler,
      String(r.bundleKB),
      fmt(r.load),
      fmt(r.loadCpu),
      fmt(r.firstUse),
      r.clients.join(', '),
    ]),
  );
}

export async function lambdaSection(): Promise<BenchSection> {
  // Under node_modules so that, with the SDK external, `require('@aws-sdk/…')` resolves as in the runtime.
  const outdir = path.join(ROOT, 'node_modules', '.cache', 'bench-lambdas');
  rmSync(outdir, { recursive: true, force: true });
  const deployed: Row[] = [];
  const bundledSdk: Row[] = [];
  for (const name of lambdaHandlers()) {
    deployed.push(await measure(name, path.join(outdir, 'deployed'), LAMBDA_BUNDLING));
    bundledSdk.push(await measure(name, path.join(outdir, 'bundled-sdk'), BUNDLED_SDK));
  }
  const budgets: Budget[] = deployed.flatMap((r) => [
    { name: `${r.handler} bundle (KB)`, value: r.bundleKB, limit: BUDGET_KB, source: SOURCE },
    {
      name: `${r.handler} module load (median ×bare)`,
      value: Number(r.load.median.toFixed(2)),
      limit: BUDGET_RATIO,
      source: SOURCE,
    },
  ]);
  const bare = spread(Array.from({ length: PAIRS }, () => timedRun('0').wall));
  const os = await import('node:os');
  const loadAverage = os.loadavg()[0]?.toFixed(1) ?? '?';
  return {
    title: 'Lambda bundles',
    markdown: [
      `Each handler bundled with the construct's esbuild options (\`LAMBDA_BUNDLING\`: minified, no source map, ` +
        `ES module entry points first). Size: the bundle without any map. Load: \`require(bundle)\` in a fresh ` +
        `process over \`node -e 0\`, median (min–max) of ${PAIRS} paired runs of ${path.relative(ROOT, process.execPath)} ` +
        `(Node ${process.version}; bare start ${bare.median.toFixed(0)} ms median; load average ${loadAverage} ` +
        `on ${os.cpus().length} CPUs at the end), and the same pairs in CPU time (user + system of the child ` +
        'process), which other work on the machine disturbs less. "Load + first use" also ' +
        'makes every client the handler passes to `makeHandler` and loads its SDK package, which the module ' +
        'load defers to the first invocation that needs it.',
      '',
      render(deployed),
      '',
      "The SDK is taken from the runtime (`externalModules: ['@aws-sdk/*', '@smithy/*']`); here it loads " +
        "from node_modules, as in Lambda from the runtime's own node_modules. The choice not made, for " +
        'comparison: the same handlers with the SDK bundled (`externalModules: []`).',
      '',
      render(bundledSdk),
    ].join('\n'),
    budgets,
    data: { pairs: PAIRS, bareMs: bare, deployed, bundledSdk },
  };
}
