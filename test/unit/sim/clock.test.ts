import { VirtualClock } from '../../../sim/core/clock';

describe('the virtual clock across worlds in one process', () => {
  it('a late clearTimeout from a stopped world cannot clear the next world’s timer', async () => {
    const first = new VirtualClock();
    first.install();
    const stale = setTimeout(() => undefined, 1_000);
    first.uninstall();

    const second = new VirtualClock();
    second.install();
    try {
      let fired = false;
      second.after(1_000, () => {
        fired = true;
      });
      // The first world's invocation finishes late and clears the timer it had set.
      clearTimeout(stale);
      await second.runUntil(second.now() + 2_000);
      expect(fired).toBe(true);
    } finally {
      second.uninstall();
    }
  });
});
