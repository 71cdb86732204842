// Issue 15 §5: the region's dashboard, rendered from the twin as `npm start` prints it (sim/dashboard.ts).
import { loadConfig } from '../../infra/config/load';
import { renderDashboard } from '../../sim/dashboard';
import { EXAMPLE_CONFIG, Twin } from '../../sim/twin';

jest.setTimeout(120_000);

describe('the dashboard rendered from the twin', () => {
  it("shows the control plane's own alarms deployed and OK, the sweep census and the dead letters", async () => {
    const twin = await Twin.start({ seed: 1, config: loadConfig(EXAMPLE_CONFIG) });
    try {
      await twin.run(12 * 60_000);
      const region = twin.world.regionNames[0] as string;
      const lines = await renderDashboard(twin, region);
      const text = lines.join('\n');
      expect(lines[0]).toMatch(new RegExp(`^dashboard ${twin.world.config.cluster.name}-${region} at `));
      // The control plane's own alarms (issue 15) are the twin's, deployed from the same specs, every one OK.
      const own = lines.find((l) => l.includes('The control plane itself:'));
      expect(own).toMatch(/The control plane itself: 30 OK$/);
      // The sweep ran twice in 12 minutes: its latest census line, and the history under it.
      const census = lines.filter((l) => /^\s+\d\d:\d\d primary=/.test(l));
      expect(census.length).toBe(3);
      expect(census[0]).toMatch(/epoch=\d+ .*nodesReady=3 nodesNotReady=0 .*paused=false/);
      expect(text).toMatch(/Rejected events, sweep errors, dead letters: .*dead letters 0/);
    } finally {
      await twin.stop();
    }
  });
});
