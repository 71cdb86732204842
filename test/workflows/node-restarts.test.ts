import { NODE_RESTART_SCENARIOS } from '../../sim/scenarios/node-restarts';
import { recordGap, reportGaps, runScene, SEEDS } from './scene-runner';

jest.setTimeout(300_000);

/** The longest wait without a lifecycle heartbeat, per seed (slow-ssm-bootstrap), reported when the file ends. */
const heartbeatGaps: number[] = [];

afterAll(() => {
  reportGaps();
  if (heartbeatGaps.length > 0) {
    process.stdout.write(
      `slow-ssm-bootstrap: longest wait without a heartbeat ${Math.round(Math.min(...heartbeatGaps) / 1000)}-${Math.round(Math.max(...heartbeatGaps) / 1000)} s over ${heartbeatGaps.length} seeds (the hook's timeout: 900 s)\n`,
    );
  }
});

describe.each(NODE_RESTART_SCENARIOS.map((s) => [s.name, s] as const))('%s', (name, scenario) => {
  it.each(SEEDS)('meets its promises with every invariant holding (seed %i)', async (seed) => {
    const result = await runScene(scenario, seed);
    recordGap(name, result);
    if (result?.heartbeatGapMs !== undefined) heartbeatGaps.push(Number(result.heartbeatGapMs));
  });
});
