/**
 * The operator transcripts of docs/hactl.md: real `hactl --twin` runs (commands, output, exit code), taken by
 * `npm run transcripts` and checked by test/workflows/hactl-transcripts.test.ts (each command runs again and exits
 * and prints as shown).
 */
import { PassThrough } from 'node:stream';
import { awsLoader } from './aws-loader';
import { main } from './hactl';
import { twinLoader } from './twin-backend';

/** The world every transcript runs in, in order (one world: each command sees the previous ones' effects). */
export const TRANSCRIPT_WORLD = ['--twin', '--scenario', 'primary-crash', '--seed', '1'] as const;

export const TRANSCRIPT_COMMANDS: readonly (readonly string[])[] = [
  ['status', '--region', 'eu-west-1'],
  ['failover', 'primary', '--region', 'eu-west-1', '--reason', 'INC-42: primary slow', '--dry-run'],
  ['failover', 'primary', '--region', 'eu-west-1', '--reason', 'INC-42: primary slow', '--force', '--yes'],
  ['runs', '--region', 'eu-west-1', '--workflow', 'primary-failover'],
  ['status', '--region', 'eu-west-1'],
  ['pause'],
  ['status', '--region', 'ap-south-1'],
];

export interface Transcript {
  readonly args: readonly string[];
  readonly output: string;
  readonly code: number;
}

/** Runs the commands against one twin world on a non-TTY (plain progress, no colour). */
export async function takeTranscripts(
  commands: readonly (readonly string[])[] = TRANSCRIPT_COMMANDS,
): Promise<Transcript[]> {
  const twin = twinLoader();
  const out: Transcript[] = [];
  try {
    for (const args of commands) {
      let text = '';
      const sink = new PassThrough();
      sink.on('data', (d) => {
        text += String(d);
      });
      const code = await main(
        ['node', 'hactl', ...TRANSCRIPT_WORLD, ...args],
        { stdout: sink, stderr: sink, stdin: new PassThrough(), env: { NO_COLOR: '1' } },
        { aws: awsLoader(), twin },
      );
      out.push({ args, output: text, code });
    }
  } finally {
    await twin.stop();
  }
  return out;
}

const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `"${a}"`);

/** One transcript as the page shows it: the command line, its output, its exit code. */
export function renderTranscript(t: Transcript): string {
  const line = `$ npx hactl ${[...TRANSCRIPT_WORLD, ...t.args].map(quote).join(' ')}`;
  return ['```console', line, t.output.trimEnd(), `[exit ${t.code}]`, '```']
    .filter((l) => l !== '')
    .join('\n');
}

/** The transcripts in a page's text, parsed back (the test re-runs them). */
export function parseTranscripts(page: string): { line: string; output: string; code: number }[] {
  const blocks = [...page.matchAll(/```console\n(\$ npx hactl [^\n]*)\n([\s\S]*?)\[exit (\d+)\]\n```/g)];
  return blocks.map((m) => ({
    line: m[1] as string,
    output: (m[2] as string).trimEnd(),
    code: Number(m[3]),
  }));
}
