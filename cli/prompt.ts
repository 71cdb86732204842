/** Confirmation of a change: a y/N prompt on a TTY, `--yes` otherwise (refused without it). */
import { createInterface } from 'node:readline/promises';
import type { CliContext } from './context';
import { CliError } from './errors';
import { EXIT } from './exit-codes';

/** True when the change may go on; a non-TTY without --yes is refused (exit 2). */
export async function confirm(ctx: CliContext, question: string): Promise<boolean> {
  if (ctx.yes) return true;
  if (!ctx.interactive) {
    throw new CliError(EXIT.REFUSED, 'refused: not a terminal, so pass --yes to confirm the change');
  }
  const rl = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr as NodeJS.WritableStream });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
