import FakeTimers from '@sinonjs/fake-timers';

type InstalledClock = ReturnType<ReturnType<typeof FakeTimers.withGlobal>['install']>;

/** The virtual epoch every world starts at unless told otherwise. */
export const DEFAULT_START = Date.parse('2026-01-05T09:00:00.000Z');

const realSetImmediate = globalThis.setImmediate;

/**
 * One fake-timers instance for the process. Its timer ids count on across every world that installs it: each
 * `withGlobal()` starts its own counter at the same id, so a world created afresh would hand out the ids of the
 * previous world's timers again, and a late `clearTimeout` from the previous world (an invocation finishing
 * after its twin stopped) would clear an unrelated timer of the next one: a drain or a retry that then never
 * fires.
 */
const fakeTimers = FakeTimers.withGlobal(globalThis);

/**
 * Virtual time for the whole process. The global timers and Date are replaced (fake-timers) so that the
 * workflow interpreter's Wait states, retry pauses and task timeouts, the SDK's retry back-off and the
 * twin's own schedules all run on one clock that moves only when the driver moves it. Real I/O (the
 * dynalite server) still takes real time: the driver never advances virtual time while any is in flight.
 */
export class VirtualClock {
  private fake: InstalledClock | undefined;
  private inFlight = 0;
  /** Serializes tracked I/O so that concurrent requests complete in the order they were issued. */
  private ioChain: Promise<unknown> = Promise.resolve();

  constructor(readonly startAt: number = DEFAULT_START) {}

  install(): void {
    if (this.fake) return;
    this.fake = fakeTimers.install({
      now: this.startAt,
      shouldClearNativeTimers: true,
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
  }

  uninstall(): void {
    this.fake?.uninstall();
    this.fake = undefined;
  }

  get installed(): boolean {
    return this.fake !== undefined;
  }

  now(): number {
    return this.fake ? this.fake.now : Date.now();
  }

  iso(at = this.now()): string {
    return new Date(at).toISOString();
  }

  /** Milliseconds since the world started. */
  elapsed(): number {
    return this.now() - this.startAt;
  }

  /** Resolves after `ms` of virtual time. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Runs `fn` every `ms` of virtual time (first run after `firstAfterMs`, default `ms`); returns a cancel function. */
  every(ms: number, fn: () => void, firstAfterMs = ms): () => void {
    let timer: ReturnType<typeof setTimeout>;
    let cancelled = false;
    const tick = () => {
      if (cancelled) return;
      fn();
      if (!cancelled) timer = setTimeout(tick, ms);
    };
    timer = setTimeout(tick, firstAfterMs);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }

  /** Runs `fn` once after `ms`; returns a cancel function. */
  after(ms: number, fn: () => void): () => void {
    const timer = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(timer);
  }

  /**
   * Wraps real I/O: while it runs, virtual time stands still, and it starts only after the previously
   * tracked operation finished (so the same seed gives the same interleaving).
   */
  track<T>(start: () => Promise<T>): Promise<T> {
    this.inFlight++;
    const run = this.ioChain.then(start, start);
    this.ioChain = run.catch(() => undefined);
    return run.finally(() => {
      this.inFlight--;
    });
  }

  /** Lets every runnable continuation run at the current instant, waiting out tracked real I/O. */
  async settle(): Promise<void> {
    let quiet = 0;
    while (quiet < 3) {
      this.fake?.tick(0);
      await new Promise<void>((resolve) => realSetImmediate(resolve));
      quiet = this.inFlight === 0 ? quiet + 1 : 0;
    }
  }

  /** Virtual time of the next pending timer, if any. */
  nextTimerAt(): number | undefined {
    if (!this.fake) throw new Error('virtual clock not installed');
    if (this.fake.countTimers() === 0) return undefined;
    const at = this.fake.now;
    // fake-timers has no public peek. Its timer table was a plain object before v15 and is a Map since.
    type Table = Map<number, { callAt: number }> | Record<string, { callAt: number }>;
    const timers = (this.fake as unknown as { timers?: Table }).timers ?? {};
    let next = Number.POSITIVE_INFINITY;
    for (const t of timers instanceof Map ? timers.values() : Object.values(timers))
      next = Math.min(next, t.callAt);
    return Number.isFinite(next) ? Math.max(next, at) : undefined;
  }

  /**
   * Advances virtual time to `until`, firing every timer due on the way and settling after each, or stops
   * early when `stop()` becomes true. Returns whether it stopped early.
   */
  async runUntil(until: number, stop: () => boolean = () => false): Promise<boolean> {
    if (!this.fake) throw new Error('virtual clock not installed');
    await this.settle();
    while (!stop()) {
      const next = this.nextTimerAt();
      if (next === undefined || next > until) {
        // tick, not setSystemTime: the latter shifts pending timers along with the clock.
        if (until > this.fake.now) this.fake.tick(until - this.fake.now);
        await this.settle();
        return stop();
      }
      this.fake.tick(next - this.fake.now);
      await this.settle();
    }
    return true;
  }

  /** Advances by `ms` of virtual time. */
  async runFor(ms: number, stop?: () => boolean): Promise<boolean> {
    return this.runUntil(this.now() + ms, stop);
  }
}
