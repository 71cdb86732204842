/**
 * hactl against the twin (issue 16): the commands run through `main` on one world, the primary-crash scene run to
 * its end (a primary failover happened), as `hactl --twin --scenario primary-crash --seed 1 …` runs them.
 */
import { PassThrough } from 'node:stream';
import { awsLoader } from '../../cli/aws-loader';
import { main } from '../../cli/hactl';
import { twinLoader } from '../../cli/twin-backend';

jest.setTimeout(240_000);

const twin = twinLoader();
const TWIN = ['--twin', '--scenario', 'primary-crash', '--seed', '1'];

/** Runs hactl with `args` on a non-TTY (no prompt, plain progress); returns the exit code and both outputs. */
async function hactl(...args: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => {
    out += String(d);
  });
  stderr.on('data', (d) => {
    err += String(d);
  });
  const code = await main(
    ['node', 'hactl', ...TWIN, ...args],
    { stdout, stderr, stdin, env: { NO_COLOR: '1' } },
    { aws: awsLoader(), twin },
  );
  return { code, out, err };
}

afterAll(async () => {
  await twin.stop();
});

describe('hactl --twin (primary-crash, seed 1)', () => {
  it('shows the status after the failover: the new primary and its epoch', async () => {
    const world = await hactl('status');
    expect(world.err).toBe('');
    expect(world.code).toBe(0);
    const recorded = twin
      .current()
      ?.twin.world.executions.filter((e) => e.stateMachine === 'primary-failover');
    expect(recorded?.some((e) => e.status === 'SUCCEEDED')).toBe(true);
    expect(world.out).toMatch(/primary i-[0-9a-f]+ .*epoch \d+|epoch \d+.*primary i-[0-9a-f]+/);
    expect(world.out).toMatch(/eu-west-1/);
    expect(world.out).toMatch(/us-east-1/);
  });

  it('--json gives one JSON document that parses', async () => {
    const { code, out, err } = await hactl('--json', 'status');
    expect(err).toBe('');
    expect(code).toBe(0);
    const doc = JSON.parse(out) as { regions?: unknown[] };
    expect(Array.isArray(doc.regions)).toBe(true);
  });

  it("--follow of the scene's primary failover shows its phases and exits 0 (succeeded)", async () => {
    const run = twin
      .current()
      ?.twin.world.executions.find((e) => e.stateMachine === 'primary-failover' && e.status === 'SUCCEEDED');
    expect(run).toBeDefined();
    const { code, out } = await hactl('runs', '--follow', run?.executionArn as string);
    expect(code).toBe(0);
    expect(out).toMatch(/SUCCEEDED|succeeded/);
  });

  it('a dry run shows the verdict and starts no real run', async () => {
    const before = twin.current()?.twin.world.executions.length ?? 0;
    const { code, out, err } = await hactl(
      'failover',
      'primary',
      '--region',
      'eu-west-1',
      '--reason',
      'test: dry run',
      '--dry-run',
    );
    // The scene's election was 10 minutes ago: the gate's cooldown refuses, and the dry run says so.
    expect(out).toMatch(/^Verdict: refused\./m);
    expect(err).toMatch(/^hactl: refused by the dry run: .*cooldown/);
    expect(code).toBe(2);
    const started = (twin.current()?.twin.world.executions ?? []).slice(before);
    expect(
      started.filter((e) => (e.input as { dryRun?: boolean }).dryRun !== true && e.parentArn === undefined),
    ).toEqual([]);
  });

  it('a forced failover runs its dry run, starts the real run and follows its phases to the end (exit 0)', async () => {
    const { code, out } = await hactl(
      'failover',
      'primary',
      '--region',
      'eu-west-1',
      '--reason',
      'test: forced',
      '--force',
      '--yes',
    );
    expect(out).toMatch(/^Verdict: go\./m);
    expect(out).toMatch(/^Started arn:aws:states:eu-west-1:\d+:execution:primary-failover:/m);
    expect(out).toMatch(/✔ FenceEpoch/);
    expect(out).toMatch(/✔ TryCandidate \(child run\)/);
    expect(out).toMatch(/^SUCCEEDED \(succeeded\): arn:aws:states:/m);
    expect(code).toBe(0);
    const after = await hactl('--json', 'status', '--region', 'eu-west-1');
    expect(after.out).toMatch(/"epoch": ?2/);
  });

  it('refuses a change without --reason (exit 2, one line) before reading anything', async () => {
    const calls = twin.current()?.twin.world.apiCalls.length ?? 0;
    const { code, out, err } = await hactl('failover', 'primary', '--region', 'eu-west-1');
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/^hactl: .*--reason/);
    expect(twin.current()?.twin.world.apiCalls.length).toBe(calls);
  });

  it('refuses a change on a non-TTY without --yes (exit 2)', async () => {
    const { code, err } = await hactl('pause', '--reason', 'test: no yes');
    expect(code).toBe(2);
    expect(err).toMatch(/--yes/);
  });

  it('a region not in the config is one line naming the fix, exit 4', async () => {
    const { code, out, err } = await hactl('status', '--region', 'ap-south-1');
    expect(code).toBe(4);
    expect(out).toBe('');
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/^hactl: region ap-south-1 is not in the config/);
  });
});
