// Issue 5's harder faults, split over two files so jest's two workers share them (see package.json).
import {
  cloudNativeTaskNodes,
  electionCrash,
  primaryAzLoss,
  primaryScaleIn,
} from '../../sim/scenarios/primary-failover-faults';
import { recordGap, reportCosts, reportGaps, runScene, SEEDS } from './scene-runner';

jest.setTimeout(180_000);

describe.each(
  [primaryScaleIn, primaryAzLoss, electionCrash, cloudNativeTaskNodes].map((s) => [s.name, s] as const),
)('%s', (_name, scenario) => {
  it.each(SEEDS)('meets its expectations with every invariant holding (seed %i)', async (seed) => {
    recordGap(scenario.name, await runScene(scenario, seed));
  });
});

// Reported, not asserted (performance is measured, not timed).
afterAll(() => {
  reportGaps();
  reportCosts();
});
