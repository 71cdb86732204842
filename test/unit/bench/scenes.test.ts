import { renderScenes, scenesSection, spreadText } from '../../../bench/scenes';
import { withinBudget } from '../../../bench/types';
import type { SceneSummary, WorkflowRun } from '../../../sim/scene-summary';
import { fakeSummary } from '../sim/scene-summary-fixture';

const run = (
  stateMachine: string,
  transitions: number,
  name = `${stateMachine}-${transitions}`,
): WorkflowRun => ({
  stateMachine,
  name,
  status: 'SUCCEEDED',
  executions: 1,
  transitions,
  lambdaRequests: 0,
  dollars: transitions * 0.000025,
});

const summary = (scene: string, seed: number, extra: Partial<SceneSummary> = {}): SceneSummary =>
  fakeSummary(scene, { seed, ...extra });

const options = { standardSeeds: 5, otherSeeds: 1 };

describe('spread', () => {
  it('is min / median / max, the mean of the middle two for an even count', () => {
    expect(spreadText([3, 1, 2], String)).toBe('1 / 2 / 3');
    expect(spreadText([4, 1, 3, 2], String)).toBe('1 / 2.5 / 4');
    expect(spreadText([], String)).toBe('—');
  });
});

describe('renderScenes', () => {
  it('budgets the largest node-bootstrap and primary-failover runs of the standard scenes', () => {
    const standard = [
      {
        scene: { name: 'scale-out' },
        runs: [
          summary('scale-out', 1, { runs: [run('node-bootstrap', 40), run('node-bootstrap', 61)] }),
          summary('scale-out', 2, { runs: [run('node-bootstrap', 55)] }),
        ],
      },
      {
        scene: { name: 'primary-crash' },
        runs: [summary('primary-crash', 1, { runs: [run('primary-failover', 120)] })],
      },
    ];
    // A larger run in another scene does not count toward the standard-scene budgets.
    const others = [
      { scene: { name: 'odd' }, runs: [summary('odd', 1, { runs: [run('node-bootstrap', 999)] })] },
    ];
    const section = renderScenes(options, standard, others);
    const [bootstrap, failover, command] = section.budgets;
    expect([bootstrap?.value, bootstrap?.limit, withinBudget(bootstrap as never)]).toEqual([61, 60, false]);
    expect([failover?.value, failover?.limit, withinBudget(failover as never)]).toEqual([120, 120, true]);
    expect(command?.value).toBe(0);
    expect(section.markdown).toContain('| node-bootstrap run | 61 | scale-out seed 1 (node-bootstrap-61) |');
    expect(section.markdown).toContain('| scale-out | node-bootstrap | 3 | 1 / 1 / 1 | 40 / 55 / 61 |');
  });

  it('budgets the largest node command that ended timed out, over every scene run', () => {
    const others = [
      {
        scene: { name: 'partitioned' },
        runs: [summary('partitioned', 1, { timedOutCommands: [{ name: 'probe-1', transitions: 23 }] })],
      },
    ];
    const section = renderScenes(options, [], others);
    expect(section.budgets[2]?.value).toBe(23);
    expect(withinBudget(section.budgets[2] as never)).toBe(false);
    expect(section.markdown).toContain('partitioned seed 1 (probe-1)');
  });

  it('shows each scene window against its floor, "—" without one, and names the runs that failed', () => {
    const window = {
      kind: 'node-join' as const,
      label: 'launch → in service',
      windowMs: 120_000,
      floorMs: 100_000,
      parts: {},
    };
    const standard = [{ scene: { name: 'scale-out' }, runs: [summary('scale-out', 1, { window })] }];
    const others = [
      {
        scene: { name: 'odd' },
        runs: [summary('odd', 1, { outcome: 'failed', why: ['expectation failed: x'] })],
      },
    ];
    const md = renderScenes(options, standard, others).markdown;
    expect(md).toContain(
      '| scale-out | 1 | 1/1 | launch → in service | 2m00s / 2m00s / 2m00s | 1m40s / 1m40s / 1m40s | 1.20 / 1.20 / 1.20 |',
    );
    expect(md).toContain('| odd | 1 | 0/1 | — | — | — | — |');
    expect(md).toContain('1 of 2 scene runs failed: odd seed 1 (expectation failed: x).');
  });
});

describe('scenesSection', () => {
  it('refuses fewer than 5 seeds per standard scene before running anything', async () => {
    await expect(scenesSection({ standardSeeds: 4, otherSeeds: 1 })).rejects.toThrow(
      'scenes: at least 5 seeds per standard scene (got 4)',
    );
    await expect(scenesSection({ standardSeeds: 5, otherSeeds: 0 })).rejects.toThrow(
      'scenes: at least 1 seed per other scene (got 0)',
    );
  });
});
