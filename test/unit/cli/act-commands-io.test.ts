/** The ACT commands' confirmation prompt and --json documents, against stubbed clients (see act-world.ts). */
import type { PassThrough } from 'node:stream';
import { failoverPrimary } from '../../../cli/act/primary';
import { regionalChange } from '../../../cli/act/regional';
import { code, go, regionalPlan, starts, world } from './act-world';

jest.mock('../../../cli/follow', () => ({
  ...jest.requireActual('../../../cli/follow'),
  followRun: jest.fn(async (_ctx: unknown, arn: string) => ({
    executionArn: arn,
    status: 'SUCCEEDED',
    exitCode: 0,
    phases: [],
    output: { outcome: 'succeeded', summary: 'the report' },
  })),
}));

describe('the confirmation on a TTY', () => {
  for (const [typed, expected, runs] of [
    ['y\n', 0, 2],
    ['n\n', 2, 1],
    ['\n', 2, 1],
  ] as const) {
    it(`${JSON.stringify(typed)}: exit ${expected}`, async () => {
      const w = world({ dry: () => go });
      Object.assign(w.ctx, { yes: false, interactive: true });
      const stdin = w.ctx.io.stdin as PassThrough;
      setTimeout(() => stdin.write(typed), 5);
      expect(await code(failoverPrimary(w.ctx, { region: 'eu-west-1', reason: 'r' }))).toBe(expected);
      expect(w.errText()).toContain('Run failover primary in eu-west-1? [y/N]');
      expect(starts(w.sent)).toHaveLength(runs);
    });
  }
});

describe('--json', () => {
  it('one document on stdout: the dry run’s verdict, or the run’s ending', async () => {
    const dry = world({ dry: () => go });
    Object.assign(dry.ctx, { json: true });
    expect(await failoverPrimary(dry.ctx, { region: 'eu-west-1', reason: 'r', dryRun: true })).toBe(0);
    expect(JSON.parse(dry.text())).toMatchObject({
      result: 'dry-run',
      workflow: 'primary-failover',
      dryRun: { verdict: { kind: 'go' } },
    });
    const real = world({ dry: () => go });
    Object.assign(real.ctx, { json: true });
    expect(await failoverPrimary(real.ctx, { region: 'eu-west-1', reason: 'r' })).toBe(0);
    expect(JSON.parse(real.text())).toMatchObject({
      result: 'SUCCEEDED',
      outcome: 'succeeded',
      summary: 'the report',
    });
    const refused = world({ dry: () => regionalPlan('refused') });
    Object.assign(refused.ctx, { json: true });
    expect(await code(regionalChange(refused.ctx, 'evacuate', 'eu-west-1', { reason: 'r' }))).toBe(2);
    expect(JSON.parse(refused.text())).toMatchObject({
      result: 'refused',
      dryRun: { verdict: { kind: 'refused' } },
    });
  });
});
