import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The rules functions/ is kept to, checked on the sources themselves. */
const ROOT = path.join(__dirname, '../../../functions');

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
/** The code without its comments (a comment may name a key or a variable). */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
const imports = (text: string) => [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1] as string);

describe('functions/', () => {
  it('has no module over 400 lines', () => {
    const long = files
      .map((f) => ({ name: f.name, lines: f.text.split('\n').length - (f.text.endsWith('\n') ? 1 : 0) }))
      .filter((f) => f.lines > 400);
    expect(long).toEqual([]);
  });

  it('reads the environment only through shared/env.ts', () => {
    const readers = files
      .filter((f) => f.name !== 'shared/env.ts' && /process\.env/.test(code(f.text)))
      .map((f) => f.name);
    expect(readers).toEqual([]);
  });

  it('spells the state table keys only in core/keys.ts', () => {
    const spellers = files
      .filter((f) => f.name !== 'core/keys.ts')
      .filter((f) => /['"`](CLUSTER#|LOCK#|NODE#|GATE#|AUDIT#|STATE['"`])/.test(code(f.text)))
      .map((f) => f.name);
    expect(spellers).toEqual([]);
  });

  it('has no module importing a Lambda handler (code two handlers share lives in core/ or shared/)', () => {
    const crossing = files.flatMap((f) =>
      imports(f.text)
        .filter((i) => i.startsWith('.'))
        .map((i) => path.posix.join(path.posix.dirname(f.name), i))
        .filter((target) => /^[^/]+\/handler$/.test(target) && !target.startsWith('shared/'))
        .map((target) => `${f.name} -> ${target}`),
    );
    expect(crossing).toEqual([]);
  });

  it('keeps core pure: it imports only core modules and zod/mini (no AWS SDK, clients or environment)', () => {
    const impure = files
      .filter((f) => f.name.startsWith('core/'))
      .flatMap((f) =>
        imports(f.text)
          .filter((i) => !i.startsWith('./') && i !== 'zod/mini')
          .map((i) => `${f.name} -> ${i}`),
      );
    expect(impure).toEqual([]);
  });
});
