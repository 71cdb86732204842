/** hactl's exit codes (documented in `hactl --help` and cli/README.md). */
export const EXIT = {
  /** Done: the read answered, the change or run succeeded. */
  OK: 0,
  /** Usage: a bad flag or argument (commander's). */
  USAGE: 1,
  /** Refused: a dry run's verdict refuses, the operator declined, no `--yes` on a non-TTY, no `--reason`. */
  REFUSED: 2,
  /** Failed: the run or operation failed, timed out or was aborted; an unexpected error. */
  FAILED: 3,
  /** Environment: config, region not in config, stack missing, no credentials. */
  ENVIRONMENT: 4,
  /** Pending: a run waits for an approval (the output says how to approve). */
  PENDING: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0  done
  1  usage: a bad flag or argument
  2  refused: the dry run refuses, the operator declined, no --yes on a non-TTY, no --reason
  3  failed: the run or operation failed (or timed out, or was aborted)
  4  environment: config, region not in config, stack missing, no credentials
  5  pending: the run waits for an approval (hactl approve <run>)`;
