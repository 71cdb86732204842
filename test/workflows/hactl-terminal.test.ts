/**
 * The real bin in a real terminal (tmux): `npx hactl --twin … failover primary … --yes` renders listr2's live
 * progress view (a TTY: spinner and ticks) and ends; the exit code is captured. Skipped with a reason only when
 * tmux is missing locally; in CI (CI=true) a missing tmux fails (.ci/run installs it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

jest.setTimeout(240_000);

const ROOT = path.resolve(__dirname, '../..');
const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
const SESSION = `hactl-terminal-${process.pid}`;

const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' });
const realSleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('hactl in a terminal (tmux)', () => {
  if (!HAS_TMUX) {
    if (process.env.CI === 'true') {
      it('needs tmux in CI', () => {
        throw new Error('tmux is not on PATH: .ci/run installs it (apt-get install -y tmux)');
      });
    } else {
      it.skip('skipped: tmux is not installed on this machine (apt-get install -y tmux)', () => {});
    }
    return;
  }

  afterAll(() => {
    tmux('kill-session', '-t', SESSION);
  });

  it('renders the progress view of a forced primary failover and ends with exit 0', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hactl-tmux-'));
    const codeFile = path.join(dir, 'exit');
    expect(tmux('new-session', '-d', '-x', '120', '-y', '40', '-s', SESSION, '-c', ROOT).status).toBe(0);
    // A long scrollback for the window the command runs in (history-limit applies to windows created after it).
    expect(tmux('set-option', '-t', SESSION, 'history-limit', '50000').status).toBe(0);
    expect(tmux('new-window', '-t', SESSION, '-c', ROOT).status).toBe(0);
    const command = `npx hactl --twin --scenario primary-crash --seed 1 failover primary --region eu-west-1 --reason 'tmux test' --force --yes; echo $? > ${codeFile}`;
    expect(tmux('send-keys', '-t', SESSION, command, 'Enter').status).toBe(0);
    const screens: string[] = [];
    let ended = false;
    for (let i = 0; i < 360 && !ended; i++) {
      await realSleep(500);
      screens.push(tmux('capture-pane', '-p', '-t', SESSION).stdout);
      try {
        ended = readFileSync(codeFile, 'utf8').trim() !== '';
      } catch {
        ended = false;
      }
    }
    expect(ended).toBe(true);
    expect(readFileSync(codeFile, 'utf8').trim()).toBe('0');
    const last = tmux('capture-pane', '-p', '-J', '-t', SESSION, '-S', '-50000').stdout;
    // listr2's default renderer on a TTY: a tick per finished phase, the child runs marked, the end line.
    expect(last).toMatch(/✔ FenceEpoch/);
    expect(last).toMatch(/✔ TryCandidate \(child run\)/);
    expect(last).toMatch(/SUCCEEDED \(succeeded\): arn:aws:states:eu-west-1:/);
    expect(last).toMatch(/Verdict: go\./);
    // The screen was captured while the run went on (before the end line), not only at the end.
    expect(screens.some((s) => !/SUCCEEDED \(succeeded\): arn/.test(s))).toBe(true);
    // Only hactl's output: none of the twin's in-process Lambda log lines (JSON, or EMF metrics) on the terminal.
    expect(last).not.toMatch(/"level"|"_aws"/);
  });
});
