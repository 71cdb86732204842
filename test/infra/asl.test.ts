import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import aslValidator from 'asl-validator';

const ROOT = path.resolve(__dirname, '../..');
const dirs = ['statemachines', 'test/fixtures/asl'];
const files = dirs.flatMap((d) =>
  (existsSync(path.join(ROOT, d)) ? readdirSync(path.join(ROOT, d)) : [])
    .filter((f) => f.endsWith('.asl.json'))
    .map((f) => path.join(d, f)),
);
const valid = files.filter((f) => !f.endsWith('invalid.asl.json'));

describe('ASL definitions', () => {
  it('finds the definitions to check', () => {
    expect(valid.length).toBeGreaterThan(0);
  });

  it.each(valid)('%s passes asl-validator (paths and ARNs checked)', (file) => {
    const { isValid, errorsText } = aslValidator(JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')));
    expect(errorsText('\n')).toBe('');
    expect(isValid).toBe(true);
  });

  it('rejects a broken definition (the check can fail)', () => {
    const broken = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/asl/invalid.asl.json'), 'utf8'));
    expect(aslValidator(broken).isValid).toBe(false);
  });
});

interface State {
  Type: string;
  Retry?: { ErrorEquals: string[]; MaxAttempts?: number; JitterStrategy?: string }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Branches?: Machine[];
  Iterator?: Machine;
  ItemProcessor?: Machine;
  [key: string]: unknown;
}
interface Machine {
  States: Record<string, State>;
}

/** Every state of a definition with its path, including those inside Parallel branches and Map processors. */
function allStates(machine: Machine, prefix = ''): [string, State][] {
  return Object.entries(machine.States).flatMap(([name, state]) => [
    [`${prefix}${name}`, state] as [string, State],
    ...[...(state.Branches ?? []), state.Iterator, state.ItemProcessor]
      .filter((m): m is Machine => m !== undefined)
      .flatMap((m) => allStates(m, `${prefix}${name}/`)),
  ]);
}

const workflows = files.filter((f) => f.startsWith('statemachines'));
const load = (file: string): Machine => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8'));

describe('ASL conventions (DESIGN §6)', () => {
  it('finds the workflows to check', () => {
    expect(workflows.length).toBeGreaterThan(0);
  });

  it.each(workflows)('%s: every Task retries with full jitter, a bounded number of times', (file) => {
    const offenders = allStates(load(file))
      .filter(([, s]) => s.Type === 'Task')
      .flatMap(([name, s]) => {
        if (!s.Retry || s.Retry.length === 0) return [`${name}: no Retry`];
        return s.Retry.flatMap((r, i) => [
          ...(r.JitterStrategy === 'FULL' ? [] : [`${name}: Retry[${i}] JitterStrategy is not FULL`]),
          ...(typeof r.MaxAttempts === 'number' && r.MaxAttempts >= 1 && r.MaxAttempts <= 10
            ? []
            : [`${name}: Retry[${i}] MaxAttempts is not an explicit 1-10`]),
        ]);
      });
    expect(offenders).toEqual([]);
  });

  it.each(workflows)('%s: every Task catches every error (States.ALL) to a path of its own', (file) => {
    const offenders = allStates(load(file))
      .filter(([, s]) => s.Type === 'Task')
      .filter(([, s]) => !(s.Catch ?? []).some((c) => c.ErrorEquals.includes('States.ALL')))
      .map(([name]) => name);
    expect(offenders).toEqual([]);
  });

  it.each(workflows)('%s: state names are unique across the definition; JSONPath only, no Assign', (file) => {
    const definition = load(file);
    const names = allStates(definition).map(([p]) => p.split('/').pop());
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    const text = JSON.stringify(definition);
    expect(text).not.toMatch(/"Assign"\s*:/);
    expect(text).not.toMatch(/"QueryLanguage"\s*:\s*"JSONata"/);
  });
});
