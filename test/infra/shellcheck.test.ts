import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

// The SSM documents' scripts run as root on every node: shellcheck at `style` severity is part of `npm test`.
const DOCUMENTS_DIR = path.resolve(__dirname, '../../infra/ssm-documents');
const ARGS = ['-S', 'style', '-s', 'bash', '-f', 'gcc'];

function shellcheck(files: string[]) {
  const out = spawnSync('shellcheck', [...ARGS, ...files], { encoding: 'utf8' });
  if ((out.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error('shellcheck is not on PATH: install shellcheck: apt-get install -y shellcheck');
  }
  if (out.error) throw out.error;
  return { status: out.status, output: `${out.stdout}${out.stderr}` };
}

describe('shellcheck', () => {
  const scripts = readdirSync(DOCUMENTS_DIR)
    .filter((f) => f.endsWith('.sh'))
    .map((f) => path.join(DOCUMENTS_DIR, f));

  it('passes on every SSM document script', () => {
    expect(scripts.map((s) => path.basename(s)).sort()).toEqual([
      'configure-node.sh',
      'demote-primary.sh',
      'probe-readiness.sh',
      'promote-primary.sh',
      'start-artifactory.sh',
      'stop-artifactory.sh',
    ]);
    const { status, output } = shellcheck(scripts);
    if (status !== 0) throw new Error(`shellcheck found problems:\n${output}`);
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
