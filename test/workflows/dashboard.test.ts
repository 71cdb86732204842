// Issue 15 §5: the region's dashboard, rendered from the twin as `npm start` prints it (sim/dashboard.ts).
import { loadConfig } from '../../infra/config/load';
import { renderDashboard } from '../../sim/dashboard';
import { EXAMPLE_CONFIG, Twin } from '../../sim/twin';

jest.setTimeout(120_000);

describe('the dashboard rendered from the twin', () => {
  it('shows every alarm deployed, the last sweep census and the runs, from the names CDK deploys', async () => {
    const twin = await Twin.start({ seed: 1, config: loadConfig(EXAMPLE_CONFIG) });
    try {
      await twin.run(12 * 60_000);
      const region = twin.world.regionNames[0] as string;
      const lines = await renderDashboard(twin, region);
      const text = lines.join('\n');
      expect(lines[0]).toMatch(new RegExp(`^dashboard ${twin.world.config.cluster.name}-${region} at `));
      // Every alarm widget names alarms the twin deployed from the same specs (none missing).
      expect(text).not.toContain('NOT DEPLOYED');
      expect(text).toMatch(/The control plane itself: \d+ OK/);
      // The sweep ran twice in 12 minutes: its census line says who the primary is and that nothing is paused.
      const census = lines.find((l) => /^\s+\d\d:\d\d primary=i-/.test(l));
      expect(census).toContain('paused=false');
      expect(census).toMatch(/epoch=\d+/);
    } finally {
      await twin.stop();
    }
  });
});
