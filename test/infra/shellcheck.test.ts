import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  DOCUMENT_KINDS,
  DOCUMENTS,
  type DocumentKind,
  documentCommands,
  headerLines,
  LIB_SCRIPT,
  libPath,
} from '../../infra/ssm-documents';

// The SSM documents' scripts run as root on every node: shellcheck at `style` severity is part of `npm test`.
// It checks what each document runs (header + lib.sh + script, as one file), not the files alone: a script
// uses what lib.sh defines, and lib.sh is only ever run in front of a script.
const DOCUMENTS_DIR = path.dirname(libPath());
const ARGS = ['-S', 'style', '-s', 'bash', '-f', 'gcc'];

function shellcheck(files: string[]) {
  const out = spawnSync('shellcheck', [...ARGS, ...files], { encoding: 'utf8' });
  if ((out.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error('shellcheck is not on PATH: install shellcheck: apt-get install -y shellcheck');
  }
  if (out.error) throw out.error;
  return { status: out.status, output: `${out.stdout}${out.stderr}` };
}

/** Where line N (1-based) of a document's commands comes from: the header, lib.sh:L or the script:L. */
function origin(kind: DocumentKind, n: number): string {
  const header = headerLines(kind).length;
  const lib = readFileSync(libPath(), 'utf8').replace(/\n+$/, '').split('\n').length;
  if (n === 1) return `${DOCUMENTS[kind].script}:1`;
  if (n <= 1 + header) return 'header';
  if (n <= 1 + header + lib) return `${LIB_SCRIPT}:${n - 1 - header}`;
  return `${DOCUMENTS[kind].script}:${n - header - lib}`;
}

/** Writes each document's commands to `<Suffix>.sh` in a temporary directory. */
function writeDocuments(): Map<string, DocumentKind> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ssm-documents-'));
  const files = new Map<string, DocumentKind>();
  for (const kind of DOCUMENT_KINDS) {
    const file = path.join(dir, `${DOCUMENTS[kind].suffix}.sh`);
    writeFileSync(file, `${documentCommands(kind).join('\n')}\n`);
    files.set(file, kind);
  }
  return files;
}

describe('shellcheck', () => {
  it('every .sh file in infra/ssm-documents is lib.sh or a document’s script (none escapes the check)', () => {
    const files = readdirSync(DOCUMENTS_DIR).filter((f) => f.endsWith('.sh'));
    expect(files.sort()).toEqual([LIB_SCRIPT, ...DOCUMENT_KINDS.map((k) => DOCUMENTS[k].script)].sort());
  });

  it('passes on what every SSM document runs: header, lib.sh and script together', () => {
    const files = writeDocuments();
    const { status, output } = shellcheck([...files.keys()]);
    if (status !== 0) {
      // gcc format: FILE:LINE:COLUMN: ...; say which source file and line each finding is in.
      const located = output.replace(/^(\S+\.sh):(\d+):/gm, (all, file: string, line: string) => {
        const kind = files.get(file);
        return kind ? `${path.basename(file)}:${line} (${origin(kind, Number(line))}):` : all;
      });
      throw new Error(`shellcheck found problems:\n${located}`);
    }
  });

  it('fails on a script with problems (the check can fail)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'shellcheck-'));
    const bad = path.join(dir, 'bad.sh');
    writeFileSync(bad, '#!/usr/bin/env bash\ntarget=$1\nrm -rf $target/*\n');
    const { status, output } = shellcheck([bad]);
    expect(status).toBe(1);
    expect(output).toContain('SC2086'); // unquoted expansion
  });
});
