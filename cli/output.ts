/** Output helpers: tables, colour only on a TTY, one JSON document for --json. */
import type { CliContext } from './context';

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

/** `text` in `colour` when the context allows colour (a TTY, not NO_COLOR, not --json). */
export function paint(ctx: Pick<CliContext, 'colour'>, colour: Colour, text: string): string {
  return ctx.colour ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI colour codes
const ANSI = /\u001b\[[0-9;]*m/g;

/** The printed width of a cell (colour codes take no room). */
function width(text: string): number {
  return text.replace(ANSI, '').length;
}

/** A left-aligned table with a header row; cells may be coloured. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - width(c))))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** Writes lines to stdout (human output; never with --json). */
export function say(ctx: Pick<CliContext, 'io'>, text: string): void {
  ctx.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Writes notes to stderr (hints, warnings): stdout stays machine-readable. */
export function note(ctx: Pick<CliContext, 'io'>, text: string): void {
  ctx.io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** The one JSON document of --json. */
export function printJson(ctx: Pick<CliContext, 'io'>, doc: unknown): void {
  ctx.io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}

/** `2h`, `30m`, `24h`, `7d`, `90s` → milliseconds; anything else: undefined. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/** Elapsed milliseconds as `1m 05s` / `12s` / `2h 03m`. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** An ISO time without milliseconds, or '-'. */
export function isoTime(t: Date | number | string | undefined): string {
  if (t === undefined) return '-';
  const d = t instanceof Date ? t : new Date(t);
  return Number.isNaN(d.getTime()) ? '-' : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
