/** One line of what happened, at a virtual time. */
export interface TimelineEntry {
  readonly at: number;
  readonly region: string;
  /** Who reported it: `asg`, `ec2`, `node`, `elb`, `cw`, `r53`, `events`, `sns`, `sfn`, `fault`, `invariant`, `scenario`. */
  readonly source: string;
  readonly message: string;
  readonly data?: Record<string, unknown>;
}

/** The world's log, in virtual-time order; what `npm start` prints and what tests assert on. */
export class Timeline {
  readonly entries: TimelineEntry[] = [];
  private readonly listeners: ((e: TimelineEntry) => void)[] = [];

  constructor(private readonly now: () => number) {}

  add(region: string, source: string, message: string, data?: Record<string, unknown>): TimelineEntry {
    const entry: TimelineEntry = { at: this.now(), region, source, message, ...(data ? { data } : {}) };
    this.entries.push(entry);
    for (const l of this.listeners) l(entry);
    return entry;
  }

  onEntry(listener: (e: TimelineEntry) => void): void {
    this.listeners.push(listener);
  }

  /** Entries whose source and message match, for assertions. */
  find(source: string, pattern: RegExp | string): TimelineEntry[] {
    return this.entries.filter(
      (e) =>
        e.source === source &&
        (typeof pattern === 'string' ? e.message.includes(pattern) : pattern.test(e.message)),
    );
  }
}
