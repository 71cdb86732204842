/**
 * Run by runs.test.ts in a child process (tsx): `hactl runs --follow` on a fake TTY, stubbed Step Functions and
 * a virtual clock; prints `{ code, out }` as JSON.
 */

import { fakeClock, run } from './helpers';
import { EXEC, growingHistory, history, T0 } from './history';

async function fixture(): Promise<void> {
  const clock = fakeClock(T0 + 2000);
  const h = growingHistory(history('ExecutionSucceeded')) as unknown as ((...a: unknown[]) => unknown) & {
    bind: (n: () => number) => void;
  };
  h.bind(clock.now);
  const r = await run(
    ['runs', '--follow', EXEC],
    {
      'sfn.GetExecutionHistoryCommand': h,
      'sfn.DescribeExecutionCommand': () => ({ executionArn: EXEC, status: 'SUCCEEDED' }),
    },
    { clock, tty: true },
  );
  process.stdout.write(JSON.stringify({ code: r.code, out: r.out, err: r.err }));
}

void fixture();
