import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { type SceneSummary, summaryTable } from '../../../sim/scene-summary';
import { fakeSummary } from './scene-summary-fixture';

const ROOT = path.resolve(__dirname, '../../..');

/** `npm start -- <args>` as a child process (the CLI needs a process of its own: the twin owns the clock). */
function cli(...args: string[]) {
  const r = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), ['sim/cli.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const summary = (scene: string, extra: Partial<SceneSummary> = {}): SceneSummary =>
  fakeSummary(scene, {
    executions: { total: 2, succeeded: 2, failed: 0 },
    transitions: 30,
    lambda: { requests: 1, gbSeconds: 0 },
    dollars: { stepFunctions: 0.00075, lambda: 0, total: 0.00075 },
    ...extra,
  });

describe('summaryTable', () => {
  it('has one row per scene and a total row, windows against floors, invariants held or violated', () => {
    const table = summaryTable([
      summary('primary-crash', {
        window: {
          kind: 'primary-loss',
          label: 'no ready primary',
          windowMs: 252_000,
          floorMs: 185_000,
          parts: {},
        },
        invariants: { held: true, violations: [], accepted: 2 },
      }),
      summary('odd', {
        outcome: 'failed',
        why: ['x'],
        invariants: { held: false, violations: ['a', 'b'], accepted: 0 },
      }),
    ]).split('\n');
    expect(table[0]).toMatch(
      /^scene +outcome +key window \/ floor +executions +transitions +dollars +invariants$/,
    );
    expect(table[2]).toMatch(
      /^primary-crash +passed +4m12s \/ 3m05s = 1\.36× +2 +30 +\$0\.00075 +held \(2 accepted\)$/,
    );
    expect(table[3]).toMatch(/^odd +failed +— +2 +30 +\$0\.00075 +2 violated$/);
    expect(table[4]).toMatch(/^total \(2\) +1 passed +4 +60 +\$0\.00150 +1 held$/);
    expect(table).toHaveLength(5);
  });
});

describe('npm start', () => {
  jest.setTimeout(180_000);

  it('runs one short scene quietly: a progress line, the table, then hactl status of the final world, exit 0', () => {
    const r = cli('--scenario', 'primary-false-alarm');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const all = r.stdout.trimEnd().split('\n');
    // The end: `hactl status` of the scene's world (issue 16), every region of the example config.
    const hactlAt = all.indexOf('  $ npx hactl --twin --scenario primary-false-alarm --seed 1 status');
    expect(hactlAt).toBeGreaterThan(0);
    const status = all.slice(hactlAt + 1).join('\n');
    expect(status).toMatch(/^ {2}eu-west-1 /m);
    expect(status).toMatch(/^ {2}us-east-1 /m);
    expect(status).not.toMatch(/hactl status exit/);
    expect(all[0]).toMatch(/^\[1\/1\] primary-false-alarm +passed +—$/);
    // The table (then the last scene's dashboard, when the config has one).
    const header = all.findIndex((l) =>
      /^scene +outcome +key window \/ floor +executions +transitions +dollars +invariants$/.test(l),
    );
    expect(header).toBeGreaterThan(0);
    const lines = all.slice(0, header + 4);
    expect(lines.at(-1)).toMatch(/^total \(1\) +1 passed +\d+ +\d+ +\$0\.\d{5} +1 held$/);
    const row = lines.at(-2) as string;
    expect(row).toMatch(/^primary-false-alarm +passed +— +[1-9]\d* +[1-9]\d* +\$0\.\d{5} +held$/);
    // Quiet: no timeline, no colour codes.
    expect(r.stdout).not.toMatch(/T\+\d\d:\d\d:\d\d/);
    expect(r.stdout).not.toContain('\u001b[');
    expect(lines.length).toBeLessThan(10);
  });

  it('prints the timeline with --verbose, workflow steps included', () => {
    const r = cli('--scenario', 'primary-false-alarm', '--verbose');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /T\+00:0\d:\d\d +[a-z]+-[a-z]+-\d +sfn-step +primary-failover\/false-alarm-1: ValidateInput/,
    );
    expect(r.stdout).toMatch(/^total \(1\) +1 passed/m);
  });

  it('refuses a seed that is not a whole number, running nothing', () => {
    const r = cli('--scenario', 'primary-false-alarm', '--seed', '1.5');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('a seed is a whole number ≥ 0, got "1.5"');
    expect(r.stdout).toBe('');
  });

  it('refuses an unknown scenario with exit 2, naming the known ones', () => {
    const r = cli('--scenario', 'no-such-scene');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown scenario "no-such-scene"; known: member-crash,');
    expect(r.stdout).toBe('');
  });
});
