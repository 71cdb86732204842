/** The rules cli/ is kept to (like functions/): small modules, keys from core/keys.ts, no process globals. */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '../../../cli');
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(path.join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [path.join(dir, e.name)]
        : [],
  );
const files = sources(ROOT).map((file) => ({
  name: path.relative(ROOT, file).split(path.sep).join('/'),
  text: readFileSync(file, 'utf8'),
}));
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

describe('cli/', () => {
  it('has modules, and none over 400 lines', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(files.filter((f) => f.text.split('\n').length > 400).map((f) => f.name)).toEqual([]);
  });

  it('spells no state or routing table key (functions/core/keys.ts builds them)', () => {
    expect(
      files
        .filter((f) => /['`"](CLUSTER|ROUTING|NODE|LOCK|GATE|SWITCH|AUDIT)#/.test(code(f.text)))
        .map((f) => f.name),
    ).toEqual([]);
  });

  it('never touches the process: main gets its streams and environment (io), only the bin sets the exit code', () => {
    expect(
      files
        .filter((f) => /\bprocess\.(env|exit|stdout|stderr|stdin|argv)/.test(code(f.text)))
        .map((f) => f.name),
    ).toEqual([]);
  });
});
