// The generated parts of the workflows' documentation, from statemachines/*.asl.json:
// - in each workflow's specification, statemachines/<name>.md, its Mermaid diagram between
//   `<!-- diagram:<name> -->` and `<!-- /diagram:<name> -->`;
// - statemachines/README.md's table of contents: one row per workflow (states, TimeoutSeconds, the child
//   workflows it starts, its Comment), between `<!-- generated:start -->` and `<!-- generated:end -->`.
// Every .asl.json must have its .md with its diagram markers, and every .md a .asl.json.
//
//   tsx scripts/asl-diagram.ts          regenerate (npm run diagrams)
//   tsx scripts/asl-diagram.ts --check  exit 1, naming each stale or missing file, if anything is out of step
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

// Just the ASL fields the diagram reads (JSONPath ASL).
export interface AslDefinition {
  Comment?: string;
  TimeoutSeconds?: number;
  StartAt: string;
  States: Record<string, AslState>;
}
export interface AslState {
  Type: string;
  Comment?: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Arguments?: Record<string, unknown>;
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

/** Every state (nested ones included) of a definition, with its name, in definition order. */
function allStates(machine: AslDefinition): [string, AslState][] {
  return Object.entries(machine.States).flatMap(([name, state]): [string, AslState][] => [
    [name, state],
    ...(state.Branches ?? []).flatMap(allStates),
    ...[state.ItemProcessor ?? state.Iterator].filter((m) => m !== undefined).flatMap(allStates),
  ]);
}

// ---------------------------------------------------------------------------------------------------------------
// Child workflows

/**
 * Placeholders whose name does not follow the `${PascalCaseName}StateMachineArn` → `kebab-case-name`
 * convention, by the PascalCase part.
 */
export const CHILD_ALIASES: Readonly<Record<string, string>> = { Failover: 'primary-failover' };

const CHILD_ARN = /^\$\{([A-Za-z0-9]+)StateMachineArn\}$/;

/** The workflow a `${…StateMachineArn}` placeholder names: `NodeCommand` → `node-command`, or an alias. */
export function workflowOfPlaceholder(placeholder: string): string | undefined {
  const match = CHILD_ARN.exec(placeholder);
  if (!match) return undefined;
  const pascal = match[1] as string;
  return CHILD_ALIASES[pascal] ?? pascal.replace(/(?<=[a-z0-9])(?=[A-Z])/g, '-').toLowerCase();
}

export interface ChildStart {
  /** The state that starts it. */
  state: string;
  placeholder: string;
  /** The workflow the placeholder names by convention. */
  workflow: string;
}

/**
 * The child executions a definition starts: every `states:startExecution` Task (any integration pattern)
 * whose `StateMachineArn` is a `${…StateMachineArn}` placeholder, in definition order.
 */
export function childStarts(definition: AslDefinition): ChildStart[] {
  return allStates(definition).flatMap(([state, s]) => {
    if (s.Type !== 'Task' || !/^arn:aws:states:::states:startExecution(\.|$)/.test(s.Resource ?? ''))
      return [];
    const arn = (s.Parameters ?? s.Arguments)?.StateMachineArn;
    if (typeof arn !== 'string') return [];
    const workflow = workflowOfPlaceholder(arn);
    return workflow === undefined ? [] : [{ state, placeholder: arn, workflow }];
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Files

export const ROOT = path.resolve(__dirname, '..');
const MACHINES = 'statemachines';
const INDEX = `${MACHINES}/README.md`;
const START = '<!-- generated:start -->';
const END = '<!-- generated:end -->';
// The placeholder paragraph the generated block replaces the first time (up to a blank line or the end).
const PLACEHOLDER = /(^|\n)No workflow has landed yet[\s\S]*?(?=\n[ \t]*\n|\s*$)/;
const REGENERATE = 'run `npm run diagrams`';

export interface Workflow {
  name: string;
  file: string;
  definition: AslDefinition;
}

function workflows(root: string): Workflow[] {
  const dir = path.join(root, MACHINES);
  // Sorted by name (code units), so a parent comes right before its `<parent>-<phase>` children.
  return readdirSync(dir)
    .filter((f) => f.endsWith('.asl.json'))
    .map((file) => file.slice(0, -'.asl.json'.length))
    .sort()
    .map((name) => ({
      name,
      file: `${name}.asl.json`,
      definition: JSON.parse(readFileSync(path.join(dir, `${name}.asl.json`), 'utf8')) as AslDefinition,
    }));
}

/** The workflows' specifications: every statemachines/*.md but the README, by workflow name. */
function specNames(root: string): string[] {
  return readdirSync(path.join(root, MACHINES))
    .filter((f) => f.endsWith('.md') && f !== 'README.md' && !f.startsWith('.'))
    .map((f) => f.slice(0, -'.md'.length))
    .sort();
}

const openMarker = (name: string) => `<!-- diagram:${name} -->`;
const closeMarker = (name: string) => `<!-- /diagram:${name} -->`;
const fence = (definition: AslDefinition) => `\`\`\`mermaid\n${mermaid(definition)}\`\`\``;
const cell = (text: string) => text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();

/** What goes between a workflow's diagram markers. */
export function diagramBlock({ file, definition }: Workflow): string {
  return [
    `Generated from [\`${file}\`](${file}) by \`npm run diagrams\`: solid arrows are \`Next\`, \`Default\` and ` +
      '`Choices` (labelled with the condition), dashed arrows are `Catch`; ↻ marks a Task with `Retry`; ' +
      `Parallel and Map states are boxes around their branches.`,
    fence(definition),
  ].join('\n\n');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A specification with every `<!-- diagram:<name> -->` … `<!-- /diagram:<name> -->` block regenerated (its
 * own, and any other workflow's it shows), and the problems found: its own diagram missing or doubled, a
 * block for a workflow that does not exist.
 */
export function updateSpec(
  file: string,
  current: string,
  own: string,
  flows: readonly Workflow[],
): { next: string; problems: string[] } {
  const problems: string[] = [];
  const opens = current.match(new RegExp(escapeRegExp(openMarker(own)), 'g'))?.length ?? 0;
  const closes = current.match(new RegExp(escapeRegExp(closeMarker(own)), 'g'))?.length ?? 0;
  if (opens === 0 || closes === 0) {
    problems.push(
      `${file} has no diagram: put \`${openMarker(own)}\` and \`${closeMarker(own)}\` in it, then ${REGENERATE}`,
    );
  } else if (opens > 1 || closes > 1) {
    problems.push(`${file} holds its diagram markers more than once: keep one \`${openMarker(own)}\` … pair`);
  }
  const byName = new Map(flows.map((f) => [f.name, f]));
  const next = current.replace(
    /(<!-- diagram:([A-Za-z0-9._-]+) -->)[\s\S]*?(<!-- \/diagram:\2 -->)/g,
    (block, open: string, name: string, close: string) => {
      const flow = byName.get(name);
      if (!flow) {
        problems.push(
          `${file} shows the diagram of ${name}, but ${MACHINES}/${name}.asl.json does not exist`,
        );
        return block;
      }
      return `${open}\n\n${diagramBlock(flow)}\n\n${close}`;
    },
  );
  if (opens === 1 && closes === 1 && current.indexOf(closeMarker(own)) < current.indexOf(openMarker(own))) {
    problems.push(`${file}: \`${closeMarker(own)}\` comes before \`${openMarker(own)}\``);
  }
  return { next, problems };
}

/** `7200` → `7200 s (2 h)`; none → `none`. */
function duration(seconds: number | undefined): string {
  if (seconds === undefined) return 'none';
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds} s (${seconds / 3600} h)`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds} s (${seconds / 60} min)`;
  return `${seconds} s`;
}

/** The generated block of statemachines/README.md, markers included: the table of contents. */
export function machinesSection(flows: readonly Workflow[]): string {
  const rows = flows.map(({ name, definition }) => {
    // Comments open with "<name>: …"; the table already names the workflow.
    const comment = (definition.Comment ?? '').replace(new RegExp(`^${escapeRegExp(name)}:\\s*`), '');
    const children = [...new Set(childStarts(definition).map((c) => c.workflow))]
      .sort()
      .map((child) => `[\`${child}\`](${child}.md)`);
    return (
      `| [\`${name}\`](${name}.md) | ${allStates(definition).length} | ${duration(definition.TimeoutSeconds)} | ` +
      `${children.join(', ') || '—'} | ${cell(comment)} |`
    );
  });
  return [
    START,
    '<!-- Written by `npm run diagrams` (scripts/asl-diagram.ts) from the definitions: edit those, not this. -->',
    [
      '| workflow | states | timeout | starts | what it does |',
      '| --- | ---: | --- | --- | --- |',
      ...rows,
    ].join('\n'),
    END,
  ].join('\n\n');
}

/** statemachines/README.md with its generated block replaced (or put in place of the placeholder paragraph). */
export function updateMachinesReadme(current: string, flows: readonly Workflow[]): string {
  const block = machinesSection(flows);
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  if (start >= 0 && end > start) return current.slice(0, start) + block + current.slice(end + END.length);
  if (PLACEHOLDER.test(current)) return current.replace(PLACEHOLDER, (_m, lead: string) => lead + block);
  return `${current.trimEnd()}\n\n${block}\n`;
}

export interface PlannedFile {
  /** Relative to the root, `/`-separated. */
  file: string;
  current: string;
  next: string;
}

export interface Plan {
  /** Every generated file, changed or not. */
  files: PlannedFile[];
  /** What regenerating cannot fix: missing specifications or markers, unknown child workflows. */
  problems: string[];
}

/** What generate() would write under root (the repo by default), and what it cannot fix. */
export function plan(root: string = ROOT): Plan {
  const flows = workflows(root);
  const names = new Set(flows.map((f) => f.name));
  const specs = specNames(root);
  const files: PlannedFile[] = [];
  const problems: string[] = [];

  for (const flow of flows) {
    if (!specs.includes(flow.name)) {
      problems.push(
        `${MACHINES}/${flow.file} has no specification: write ${MACHINES}/${flow.name}.md (what triggers it, what ` +
          `a run does, what it guarantees) with \`${openMarker(flow.name)}\` and \`${closeMarker(flow.name)}\` ` +
          `where its diagram goes, then ${REGENERATE}`,
      );
    }
    for (const child of childStarts(flow.definition)) {
      if (!names.has(child.workflow)) {
        problems.push(
          `${MACHINES}/${flow.file}: ${child.state} starts ${child.placeholder}, but ` +
            `${MACHINES}/${child.workflow}.asl.json does not exist (name the placeholder after the workflow, or ` +
            'add it to CHILD_ALIASES in scripts/asl-diagram.ts)',
        );
      }
    }
  }
  for (const name of specs) {
    const file = `${MACHINES}/${name}.md`;
    if (!names.has(name)) {
      problems.push(`${file} specifies no workflow: ${MACHINES}/${name}.asl.json does not exist`);
      continue;
    }
    const current = readFileSync(path.join(root, file), 'utf8');
    const updated = updateSpec(file, current, name, flows);
    problems.push(...updated.problems);
    files.push({ file, current, next: updated.next });
  }

  const index = path.join(root, INDEX);
  const indexCurrent = existsSync(index) ? readFileSync(index, 'utf8') : '# Workflows\n';
  files.push({ file: INDEX, current: indexCurrent, next: updateMachinesReadme(indexCurrent, flows) });
  return { files, problems };
}

/** Everything out of step under root, one message per file naming it; empty when all is up to date. */
export function check(root: string = ROOT): string[] {
  const { files, problems } = plan(root);
  return [
    ...problems,
    ...files.filter((p) => p.current !== p.next).map((p) => `${p.file} is stale: ${REGENERATE}`),
  ];
}

/**
 * Regenerates the diagrams and the table of contents; returns the files (relative to root) it changed.
 * Throws, writing nothing, when there is a problem regenerating cannot fix.
 */
export function generate(root: string = ROOT): string[] {
  const { files, problems } = plan(root);
  if (problems.length) throw new Error(problems.join('\n'));
  const changed = files.filter((p) => p.current !== p.next);
  for (const p of changed) writeFileSync(path.join(root, p.file), p.next);
  return changed.map((p) => p.file);
}

if (require.main === module) {
  if (process.argv.includes('--check')) {
    const messages = check();
    for (const message of messages) console.error(message);
    if (messages.length) process.exit(1);
    console.log('workflow diagrams and statemachines/README.md are up to date');
  } else {
    try {
      const changed = generate();
      console.log(changed.length ? `wrote ${changed.join(', ')}` : 'workflow diagrams are up to date');
    } catch (err) {
      console.error((err as Error).message);
      process.exit(1);
    }
  }
}
