/**
 * One section of `npm run bench`: each measures something, renders it as markdown for BENCHMARKS.md, and
 * states its budgets. `bench/run.ts` writes every section to BENCHMARKS.md and exits non-zero when a budget
 * is exceeded.
 */
export interface Budget {
  /** What is bounded, e.g. "dispatch bundle (KB)". */
  readonly name: string;
  readonly value: number;
  readonly limit: number;
  /** Where the limit comes from (issue, goal), shown next to it. */
  readonly source: string;
}

export interface BenchSection {
  readonly title: string;
  /** The section's body in markdown: tables with n and spread, and a sentence on how it was measured. */
  readonly markdown: string;
  readonly budgets: readonly Budget[];
  /** Raw figures, kept in bench/results/latest.json (not committed). */
  readonly data: unknown;
}

export const withinBudget = (b: Budget): boolean => b.value <= b.limit;

/** Markdown table from a header and rows (cells already formatted). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly n: number;
}

/** min, median (the mean of the middle two for an even count), max and n of `values`. */
export function spread(values: readonly number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { min: s[0] ?? Number.NaN, median, max: s[s.length - 1] ?? Number.NaN, n: s.length };
}
