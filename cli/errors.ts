import { EXIT, type ExitCode } from './exit-codes';

/** An error hactl reports as one line on stderr (`hactl: <message>`) and exits with `code`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly code: ExitCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** `--reason` is required for every change; refused before anything is read. */
export function requireReason(reason: unknown): string {
  if (typeof reason !== 'string' || reason.trim() === '') {
    throw new CliError(EXIT.REFUSED, 'refused: a change needs --reason "<why>" (it goes to the audit trail)');
  }
  return reason.trim();
}

/** The one line an error prints; the first line only, so a multi-line message stays one line. */
export function oneLine(message: string): string {
  return message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('; ');
}
