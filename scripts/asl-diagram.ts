// Mermaid diagrams for the Step Functions workflows in statemachines/*.asl.json.
//
//   tsx scripts/asl-diagram.ts          regenerate statemachines/README.md (and README.md's diagram blocks)
//   tsx scripts/asl-diagram.ts --check  exit 1, naming the stale file, if regenerating would change anything
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

// Just the ASL fields the diagram reads (JSONPath ASL).
export interface AslDefinition {
  Comment?: string;
  StartAt: string;
  States: Record<string, AslState>;
}
export interface AslState {
  Type: string;
  Comment?: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: ChoiceRule[];
  Catch?: Catcher[];
  Retry?: unknown[];
  Branches?: AslDefinition[];
  ItemProcessor?: AslDefinition;
  Iterator?: AslDefinition;
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  Error?: string;
}
export interface Catcher {
  ErrorEquals: string[];
  Next: string;
}
/** A Choice rule (with Next) or a nested condition of And / Or / Not (without). */
export type ChoiceRule = {
  Next?: string;
  Variable?: string;
  And?: ChoiceRule[];
  Or?: ChoiceRule[];
  Not?: ChoiceRule;
} & {
  [comparison: string]: unknown;
};

const START_ID = '__start';
const END_ID = '__end';
const MAX_LABEL = 80;
// Words Mermaid's flowchart grammar reserves; a node id equal to one (any case for `end`) breaks the chart.
const RESERVED = new Set([
  'end',
  'graph',
  'flowchart',
  'subgraph',
  'direction',
  'style',
  'class',
  'classdef',
  'linkstyle',
  'click',
  'call',
  'href',
  'default',
]);

/** Text inside a quoted Mermaid label: entity codes for the characters the parser or the HTML would eat. */
function label(text: string): string {
  const short = text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text;
  return `"${short.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;')}"`;
}

/** `$.lock.acquired` → `lock.acquired` (context paths `$$.…` stay as they are). */
function shortPath(p: unknown): string {
  const s = String(p);
  if (s.startsWith('$$')) return s;
  if (s === '$') return '$';
  return s.startsWith('$.') ? s.slice(2) : s;
}

function literal(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}

const SYMBOLS: Record<string, string> = {
  Equals: '=',
  LessThan: '<',
  GreaterThan: '>',
  LessThanEquals: '≤',
  GreaterThanEquals: '≥',
};
const COMPARISON =
  /^(String|Numeric|Boolean|Timestamp)(Equals|LessThan|GreaterThan|LessThanEquals|GreaterThanEquals)(Path)?$/;
const TYPE_TESTS: Record<string, string> = {
  IsString: 'string',
  IsNumeric: 'number',
  IsBoolean: 'boolean',
  IsTimestamp: 'timestamp',
};

/** The comparison operator of a leaf rule: its one key besides Variable, Next and Comment. */
function operatorOf(rule: ChoiceRule): string | undefined {
  return Object.keys(rule).find((k) => k !== 'Variable' && k !== 'Next' && k !== 'Comment');
}

/** A short, human rendering of a Choice rule's condition, e.g. `lock.acquired = true`. */
export function condition(rule: ChoiceRule): string {
  const nested = (r: ChoiceRule) => (r.And || r.Or ? `(${condition(r)})` : condition(r));
  if (Array.isArray(rule.And)) return rule.And.map(nested).join(' and ');
  if (Array.isArray(rule.Or)) {
    // `x = 'a' or x = 'b' or x = 'c'` reads better as `x in ('a', 'b', 'c')`.
    const first = rule.Or[0];
    const op = first && operatorOf(first);
    if (
      first?.Variable !== undefined &&
      rule.Or.length > 1 &&
      op !== undefined &&
      /^(String|Numeric)Equals$/.test(op) &&
      rule.Or.every((r) => r.Variable === first.Variable && operatorOf(r) === op)
    ) {
      return `${shortPath(first.Variable)} in (${rule.Or.map((r) => literal(r[op])).join(', ')})`;
    }
    return rule.Or.map(nested).join(' or ');
  }
  if (rule.Not) return `not ${nested(rule.Not)}`;

  const variable = shortPath(rule.Variable);
  const op = operatorOf(rule);
  if (op === undefined) return variable;
  const value = rule[op];
  const comparison = COMPARISON.exec(op);
  if (comparison) {
    const [, , relation = 'Equals', isPath] = comparison;
    return `${variable} ${SYMBOLS[relation]} ${isPath ? shortPath(value) : literal(value)}`;
  }
  if (op === 'StringMatches') return `${variable} matches ${literal(value)}`;
  if (op === 'IsPresent') return `${variable} is ${value ? 'present' : 'absent'}`;
  if (op === 'IsNull') return `${variable} is ${value ? '' : 'not '}null`;
  const type = TYPE_TESTS[op];
  if (type) return `${variable} is ${value ? '' : 'not '}${type}`;
  return `${variable} ${op} ${literal(value)}`;
}

/** Allocates Mermaid ids from state names: [A-Za-z0-9_] only, never reserved, never reused. */
class Ids {
  private readonly taken = new Set<string>([START_ID, END_ID]);
  private readonly byName = new Map<string, string>();

  fresh(raw: string): string {
    let base = raw.replace(/[^A-Za-z0-9_]/g, '_') || 'state';
    if (/^[0-9]/.test(base) || RESERVED.has(base.toLowerCase())) base = `s_${base}`;
    let id = base;
    for (let n = 2; this.taken.has(id); n++) id = `${base}_${n}`;
    this.taken.add(id);
    return id;
  }

  state(name: string): string {
    let id = this.byName.get(name);
    if (id === undefined) {
      id = this.fresh(name);
      this.byName.set(name, id);
    }
    return id;
  }
}

function waitDetail(state: AslState): string {
  if (state.Seconds !== undefined) return ` (${state.Seconds}s)`;
  if (state.SecondsPath !== undefined) return ` (${shortPath(state.SecondsPath)} s)`;
  if (state.Timestamp !== undefined) return ` (until ${state.Timestamp})`;
  if (state.TimestampPath !== undefined) return ` (until ${shortPath(state.TimestampPath)})`;
  return '';
}

function node(id: string, name: string, state: AslState): string {
  const retried = state.Retry && state.Retry.length > 0 ? ' ↻' : '';
  switch (state.Type) {
    case 'Task':
      return `${id}[${label(name + retried)}]`;
    case 'Choice':
      return `${id}{${label(name)}}`;
    case 'Wait':
      return `${id}(${label(name + waitDetail(state))})`;
    case 'Succeed':
      return `${id}([${label(`✔ ${name}`)}])`;
    case 'Fail': {
      const error = state.Error && state.Error !== name ? ` (${state.Error})` : '';
      return `${id}([${label(`✘ ${name}${error}`)}])`;
    }
    default: // Pass, and anything newer: rounded
      return `${id}(${label(name)})`;
  }
}

/** The Mermaid `flowchart TD` of one ASL definition. Pure and deterministic (definition order throughout). */
export function mermaid(definition: AslDefinition): string {
  const ids = new Ids();
  const declarations: string[] = [];
  const edges: string[] = [];
  const succeeded: string[] = [];
  const failed: string[] = [];
  let hasEnd = false;

  const edge = (from: string, to: string, text?: string, dashed = false) => {
    const arrow = dashed ? '-.->' : '-->';
    edges.push(`  ${from} ${arrow}${text === undefined ? '' : `|${label(text)}|`} ${ids.state(to)}`);
  };

  const visit = (machine: AslDefinition, depth: number) => {
    const indent = '  '.repeat(depth);
    for (const [name, state] of Object.entries(machine.States)) {
      const id = ids.state(name);
      const processor = state.ItemProcessor ?? state.Iterator;
      if (state.Type === 'Parallel' || state.Type === 'Map') {
        const retried = state.Retry && state.Retry.length > 0 ? ' ↻' : '';
        declarations.push(
          `${indent}subgraph ${id}[${label(`${name} (${state.Type.toLowerCase()})${retried}`)}]`,
        );
        (state.Branches ?? []).forEach((branch, i) => {
          declarations.push(
            `${indent}  subgraph ${ids.fresh(`${id}_branch${i + 1}`)}[${label(`branch ${i + 1}`)}]`,
          );
          visit(branch, depth + 2);
          declarations.push(`${indent}  end`);
        });
        if (processor) visit(processor, depth + 1);
        declarations.push(`${indent}end`);
      } else {
        declarations.push(`${indent}${node(id, name, state)}`);
      }
      if (state.Type === 'Succeed') succeeded.push(id);
      if (state.Type === 'Fail') failed.push(id);

      for (const choice of state.Choices ?? []) if (choice.Next) edge(id, choice.Next, condition(choice));
      if (state.Default) edge(id, state.Default, 'default');
      if (state.Next) edge(id, state.Next);
      if (state.End && depth === 1) {
        hasEnd = true;
        edges.push(`  ${id} --> ${END_ID}`);
      }
      for (const catcher of state.Catch ?? []) {
        const errors = catcher.ErrorEquals.filter((e) => e !== 'States.ALL');
        edge(id, catcher.Next, errors.length ? `catch ${errors.join(', ')}` : 'catch', true);
      }
    }
  };

  // Nested states' edges are emitted with their own states, so ids are allocated in one definition-order pass.
  visit(definition, 1);
  const lines = [
    'flowchart TD',
    `  ${START_ID}(("Start"))`,
    ...declarations,
    ...(hasEnd ? [`  ${END_ID}(("End"))`] : []),
    `  ${START_ID} --> ${ids.state(definition.StartAt)}`,
    ...edges,
  ];
  if (succeeded.length)
    lines.push(
      '  classDef succeed stroke:#2e7d32,stroke-width:2px',
      `  class ${succeeded.join(',')} succeed`,
    );
  if (failed.length)
    lines.push('  classDef fail stroke:#c62828,stroke-width:2px', `  class ${failed.join(',')} fail`);
  return `${lines.join('\n')}\n`;
}

/** Every state (nested ones included) of a definition. */
function allStates(machine: AslDefinition): AslState[] {
  return Object.values(machine.States).flatMap((state) => [
    state,
    ...(state.Branches ?? []).flatMap(allStates),
    ...[state.ItemProcessor ?? state.Iterator].filter((m) => m !== undefined).flatMap(allStates),
  ]);
}

// ---------------------------------------------------------------------------------------------------------------
// Files

export const ROOT = path.resolve(__dirname, '..');
const MACHINES = 'statemachines';
const MACHINES_README = `${MACHINES}/README.md`;
const ROOT_README = 'README.md';
const START = '<!-- generated:start -->';
const END = '<!-- generated:end -->';
// The placeholder paragraph the generated block replaces the first time (up to a blank line or the end).
const PLACEHOLDER = /(^|\n)No workflow has landed yet[\s\S]*?(?=\n[ \t]*\n|\s*$)/;

export interface Workflow {
  name: string;
  file: string;
  definition: AslDefinition;
}

function workflows(root: string): Workflow[] {
  const dir = path.join(root, MACHINES);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.asl.json'))
    .sort()
    .map((file) => ({
      name: file.slice(0, -'.asl.json'.length),
      file,
      definition: JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as AslDefinition,
    }));
}

const fence = (definition: AslDefinition) => `\`\`\`mermaid\n${mermaid(definition)}\`\`\``;
const cell = (text: string) => text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();

/** The generated block of statemachines/README.md, markers included. */
export function machinesSection(flows: Workflow[]): string {
  const rows = flows.map(({ name, definition }) => {
    const states = allStates(definition);
    // Comments open with "<name>: …"; the table already names the workflow.
    const comment = (definition.Comment ?? '').replace(new RegExp(`^${escapeRegExp(name)}:\\s*`), '');
    const tasks = states.filter((s) => s.Type === 'Task').length;
    return `| [\`${name}\`](#${name}) | ${cell(comment)} | ${states.length} | ${tasks} |`;
  });
  const sections = flows.map(({ name, file, definition }) =>
    [`## ${name}`, `Source: [\`${file}\`](${file}).`, fence(definition)].join('\n\n'),
  );
  return [
    START,
    '<!-- Written by `npm run diagrams` (scripts/asl-diagram.ts) from the definitions: edit those, not this. -->',
    ['| workflow | what it does | states | tasks |', '| --- | --- | ---: | ---: |', ...rows].join('\n'),
    'In the diagrams, solid arrows are `Next`, `Default` and `Choices` (labelled with the condition), dashed ' +
      'arrows are `Catch`; ↻ marks a Task with `Retry`. Parallel and Map states are boxes around their branches.',
    ...sections,
    END,
  ].join('\n\n');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** statemachines/README.md with its generated block replaced (or put in place of the placeholder paragraph). */
export function updateMachinesReadme(current: string, flows: Workflow[]): string {
  const block = machinesSection(flows);
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  if (start >= 0 && end > start) return current.slice(0, start) + block + current.slice(end + END.length);
  if (PLACEHOLDER.test(current)) return current.replace(PLACEHOLDER, (_m, lead: string) => lead + block);
  return `${current.trimEnd()}\n\n${block}\n`;
}

/** README.md with the content between `<!-- diagram:<name> -->` and `<!-- /diagram:<name> -->` regenerated. */
export function updateRootReadme(current: string, flows: Workflow[]): string {
  let next = current;
  for (const { name, definition } of flows) {
    const markers = new RegExp(
      `(<!-- diagram:${escapeRegExp(name)} -->)[\\s\\S]*?(<!-- /diagram:${escapeRegExp(name)} -->)`,
      'g',
    );
    next = next.replace(
      markers,
      (_m, open: string, close: string) => `${open}\n\n${fence(definition)}\n\n${close}`,
    );
  }
  return next;
}

export interface PlannedFile {
  /** Relative to the root, `/`-separated. */
  file: string;
  current: string;
  next: string;
}

/** What generate() would write under root (the repo by default); files it would leave alone are omitted. */
export function plan(root: string = ROOT): PlannedFile[] {
  const flows = workflows(root);
  const out: PlannedFile[] = [];
  const machinesReadme = path.join(root, MACHINES_README);
  const machinesCurrent = existsSync(machinesReadme) ? readFileSync(machinesReadme, 'utf8') : '# Workflows\n';
  out.push({
    file: MACHINES_README,
    current: machinesCurrent,
    next: updateMachinesReadme(machinesCurrent, flows),
  });
  const rootReadme = path.join(root, ROOT_README);
  if (existsSync(rootReadme)) {
    const current = readFileSync(rootReadme, 'utf8');
    out.push({ file: ROOT_README, current, next: updateRootReadme(current, flows) });
  }
  return out;
}

/** The files (relative to root) that regenerating would change. */
export function check(root: string = ROOT): string[] {
  return plan(root)
    .filter((p) => p.current !== p.next)
    .map((p) => p.file);
}

/** Regenerates the diagrams; returns the files (relative to root) it changed. */
export function generate(root: string = ROOT): string[] {
  const changed = plan(root).filter((p) => p.current !== p.next);
  for (const p of changed) writeFileSync(path.join(root, p.file), p.next);
  return changed.map((p) => p.file);
}

if (require.main === module) {
  if (process.argv.includes('--check')) {
    const stale = check();
    for (const file of stale)
      console.error(`${file} is stale: run \`npm run diagrams\` and commit the result`);
    if (stale.length) process.exit(1);
    console.log('workflow diagrams are up to date');
  } else {
    const changed = generate();
    console.log(changed.length ? `wrote ${changed.join(', ')}` : 'workflow diagrams are up to date');
  }
}
