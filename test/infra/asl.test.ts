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
