/**
 * hactl's approval path against the twin (issue 16): in the regional-approval-failback world (approval required),
 * `evacuate` runs its dry run, starts the run and stops at the approval wait (exit 5, printing how to answer);
 * `approve` finds the waiting task's token in the approval child's execution history (TaskScheduled's
 * parameters, as AWS records them) and the run then flips and succeeds; `reject` of a run that no longer waits
 * is refused.
 */
import { PassThrough } from 'node:stream';
import { awsLoader } from '../../cli/aws-loader';
import { main } from '../../cli/hactl';
import { twinLoader } from '../../cli/twin-backend';

jest.setTimeout(240_000);

const twin = twinLoader();
const TWIN = ['--twin', '--scenario', 'regional-approval-failback', '--seed', '1'];

async function hactl(...args: string[]) {
  const sink = new PassThrough();
  let out = '';
  sink.on('data', (d) => {
    out += String(d);
  });
  const code = await main(
    ['node', 'hactl', ...TWIN, ...args],
    { stdout: sink, stderr: sink, stdin: new PassThrough(), env: { NO_COLOR: '1' } },
    { aws: awsLoader(), twin },
  );
  return { code, out };
}

afterAll(async () => {
  await twin.stop();
});

it('evacuate waits for approval (exit 5); approve lets the run flip and succeed; a second answer is refused', async () => {
  // us-east-1: the scene flipped eu-west-1 last, so its flip wait would refuse eu-west-1.
  const evacuate = await hactl('evacuate', 'us-east-1', '--reason', 'approval drill', '--yes');
  expect(evacuate.out).toMatch(/Verdict: go\./);
  expect(evacuate.code).toBe(5);
  const run = /hactl approve (arn:aws:states:\S+)/.exec(evacuate.out)?.[1];
  expect(run).toMatch(/:execution:artifactory-prod-regional-failover:/);

  const approve = await hactl('approve', run as string, '--reason', 'looked at it', '--yes');
  expect(approve.out).toMatch(/^Approved arn:aws:states:/m);
  expect(approve.out).toMatch(/SwitchRegion/);
  expect(approve.out).toMatch(/^SUCCEEDED \(succeeded\)/m);
  expect(approve.code).toBe(0);

  const late = await hactl('reject', run as string, '--reason', 'too late', '--yes');
  expect(late.code).not.toBe(0);
  expect(late.out).not.toMatch(/^Rejected/m);
});
