/**
 * The import graph of functions/, infra/ and sim/ stays a clean DAG with arrows pointing the right way:
 * no cycles (type-only imports included), sim/core below everything else in sim/, functions/core pure, and
 * no function package reaching into another's handler. The graph comes from a regex over the import and
 * export-from statements of the .ts files, following relative specifiers only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const SCANNED = ['functions', 'infra', 'sim'];
/** functions/ directories that are libraries, not function packages (shared/handler.ts is the middleware). */
const LIBRARIES = new Set(['core', 'shared']);

interface ImportRef {
  readonly specifier: string;
  /** `import type` / `export type`, or every named specifier marked `type`: erased at runtime. */
  readonly typeOnly: boolean;
}

/** An edge of the graph: `to` is a repository-relative path (resolved .ts file if one exists). */
interface Edge {
  readonly to: string;
  readonly typeOnly: boolean;
}

type Graph = ReadonlyMap<string, readonly Edge[]>;

// `import x from 'm'`, `import { a,\n b } from 'm'`, `import type ...`, `import 'm'`, `export * from 'm'`,
// `export { a } from 'm'`, `export type { A } from 'm'`. Statements start a line; names never hold quotes.
const STATEMENT = /^[ \t]*(import|export)\s+(type\s+)?(?:([^'";]*?)\s*\bfrom\s*)?['"]([^'"]+)['"]/gm;
// `import('m')` and `require('m')` with a literal argument.
const CALL = /(?<![\w.$])(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(source: string): ImportRef[] {
  const refs: ImportRef[] = [];
  for (const m of source.matchAll(STATEMENT)) {
    const [, , typeKeyword, clause, specifier] = m;
    const names = clause
      ?.match(/^\{([^}]*)\}$/)?.[1]
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const allTyped = names !== undefined && names.length > 0 && names.every((n) => n.startsWith('type '));
    refs.push({ specifier: specifier as string, typeOnly: typeKeyword !== undefined || allTyped });
  }
  for (const m of source.matchAll(CALL)) refs.push({ specifier: m[1] as string, typeOnly: false });
  return refs;
}

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : tsFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

const rel = (abs: string) => path.relative(ROOT, abs).split(path.sep).join('/');

function resolveRelative(fromFile: string, specifier: string): string {
  const base = path.resolve(path.dirname(fromFile), specifier);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')])
    if (candidate.endsWith('.ts') && fs.existsSync(candidate)) return rel(candidate);
  return rel(base);
}

/** Files of the scanned trees and their relative imports; bare specifiers (npm, node:) become `npm:<name>`. */
function buildGraph(): Graph {
  const graph = new Map<string, Edge[]>();
  for (const top of SCANNED) {
    for (const file of tsFiles(path.join(ROOT, top))) {
      const edges = importsOf(fs.readFileSync(file, 'utf8')).map(({ specifier, typeOnly }) => ({
        to: specifier.startsWith('.') ? resolveRelative(file, specifier) : `npm:${specifier}`,
        typeOnly,
      }));
      graph.set(rel(file), edges);
    }
  }
  return graph;
}

/** One cycle per back edge the depth-first walk meets, each as [a, b, ..., a]; empty exactly for a DAG. */
function findCycles(graph: Graph): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const { to } of graph.get(node) ?? []) {
      if (!graph.has(to)) continue;
      if (state.get(to) === 'open') cycles.push([...stack.slice(stack.indexOf(to)), to]);
      else if (!state.has(to)) visit(to);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

/** Imports that point the wrong way, as `from -> to: rule`. */
function layeringViolations(graph: Graph): string[] {
  const out: string[] = [];
  for (const [from, edges] of graph) {
    for (const { to, typeOnly } of edges) {
      const bad = (rule: string) => out.push(`${from} -> ${to}: ${rule}`);
      if (from.startsWith('sim/core/') && to.startsWith('sim/') && !to.startsWith('sim/core/'))
        bad(
          'sim/core depends on nothing else in sim/ (services, runner, scenarios and the twin build on it)',
        );
      if (from.startsWith('functions/core/') && !to.startsWith('npm:') && !to.startsWith('functions/core/')) {
        if (!(to.startsWith('functions/shared/') && typeOnly))
          bad('functions/core is pure: functions/core, npm packages, and only types from functions/shared');
      }
      const fromPkg = from.match(/^functions\/([^/]+)\//)?.[1];
      const toPkg = to.match(/^functions\/([^/]+)\/handler\.ts$/)?.[1];
      if (fromPkg && toPkg && fromPkg !== toPkg && !LIBRARIES.has(toPkg))
        bad("a function package never imports another's handler");
    }
  }
  return out.sort();
}

describe('architecture: the graph walk itself', () => {
  const g = (edges: Record<string, string[]>): Graph =>
    new Map(Object.entries(edges).map(([k, v]) => [k, v.map((to) => ({ to, typeOnly: false }))]));

  it('reads every import and export-from form, multi-line and type-only included', () => {
    const refs = importsOf(
      [
        "import './polyfills';",
        "import * as path from 'node:path';",
        "import type { Twin } from './twin';",
        'import {',
        '  type A,',
        '  type B,',
        "} from './types';",
        "import { type C, d } from './mixed';",
        "export * from './all';",
        "export type { E } from './e';",
        "const lazy = () => import('./lazy');",
        " * import { not } from 'a-comment-line';",
        'const s = \'import x from "./inline"\';',
      ].join('\n'),
    );
    expect(refs).toEqual([
      { specifier: './polyfills', typeOnly: false },
      { specifier: 'node:path', typeOnly: false },
      { specifier: './twin', typeOnly: true },
      { specifier: './types', typeOnly: true },
      { specifier: './mixed', typeOnly: false },
      { specifier: './all', typeOnly: false },
      { specifier: './e', typeOnly: true },
      { specifier: './lazy', typeOnly: false },
    ]);
  });

  it('finds cycles, including a self-import, and none in a DAG', () => {
    expect(findCycles(g({ a: ['b'], b: ['c'], c: ['a'], d: ['a'] }))).toEqual([['a', 'b', 'c', 'a']]);
    expect(findCycles(g({ a: ['a'] }))).toEqual([['a', 'a']]);
    expect(findCycles(g({ a: ['b', 'c'], b: ['c'], c: ['npm:zod'] }))).toEqual([]);
  });

  it('flags arrows that point the wrong way', () => {
    const graph: Graph = new Map([
      ['sim/core/world.ts', [{ to: 'sim/services/ec2.ts', typeOnly: true }]],
      ['sim/services/ec2.ts', [{ to: 'sim/core/contracts.ts', typeOnly: true }]],
      [
        'functions/core/lease.ts',
        [
          { to: 'npm:zod', typeOnly: false },
          { to: 'functions/shared/env.ts', typeOnly: true },
          { to: 'functions/shared/clients/base.ts', typeOnly: false },
        ],
      ],
      [
        'functions/watch/handler.ts',
        [
          { to: 'functions/lease/handler.ts', typeOnly: false },
          { to: 'functions/shared/handler.ts', typeOnly: false },
        ],
      ],
    ]);
    expect(layeringViolations(graph)).toEqual([
      expect.stringMatching(/^functions\/core\/lease\.ts -> functions\/shared\/clients\/base\.ts/),
      expect.stringMatching(/^functions\/watch\/handler\.ts -> functions\/lease\/handler\.ts/),
      expect.stringMatching(/^sim\/core\/world\.ts -> sim\/services\/ec2\.ts/),
    ]);
  });
});

describe('architecture: functions/, infra/ and sim/', () => {
  const graph = buildGraph();

  it('scans the trees and resolves their relative imports', () => {
    expect(graph.get('sim/twin.ts')?.map((e) => e.to)).toContain('sim/setup.ts');
    expect(graph.size).toBeGreaterThan(50);
  });

  it('has no import cycle', () => {
    expect(findCycles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('keeps sim/core at the bottom, functions/core pure, and handlers private to their package', () => {
    expect(layeringViolations(graph)).toEqual([]);
  });
});
