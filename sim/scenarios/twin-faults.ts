/**
 * The AWS service faults issue 11 asks the twin to produce, against the real workflows, each scene asserting a
 * bound: DynamoDB throttling and 500s (on the Lambdas' SDK calls and the workflows' own DynamoDB Tasks),
 * Lambda throttling, 500s and a hung invocation on the lambda:invoke integration, and an SSM command that hangs
 * because the node never answers. Delivery and health-signal faults are in twin-signal-faults.ts.
 */
import { primaryAlarmSpec, WATCH_MINUTES } from '../../infra/primary-failover';
import { FUNCTION_TIMEOUT_SECONDS } from '../../infra/workflow-definitions';
import type { Twin } from '../twin';
import { expectNodeCommandBudget } from './node-commands';
import {
  CRASH_GAP_FACTOR,
  crashAndRecover,
  crashFloor,
  endedAs,
  entered,
  expectCleanEnd,
  failovers,
  minutes,
  NODE_COMMAND_WAIT_MS,
  outcomeOf,
  readyPrimaries,
  recovered,
  regionOf,
  settled,
  thePrimary,
} from './primary-failover';
import { expectThat, MINUTE, type Scenario, type ScenarioResult } from './types';

/** Retries of `state` after it failed with an error named `error` (StateFailed then StateRetried), any run. */
export function retriesAfter(
  twin: Twin,
  error: RegExp,
  machine?: string,
): { state: string; error: string }[] {
  const out: { state: string; error: string }[] = [];
  for (const e of twin.world.executions) {
    if (machine !== undefined && e.stateMachine !== machine) continue;
    let failed: { state: string; error: string } | undefined;
    for (const h of e.history) {
      if (h.type === 'StateFailed') {
        const name = String((h.data as { Error?: string } | undefined)?.Error ?? '');
        failed = { state: h.state ?? '', error: name };
      } else if (
        h.type === 'StateRetried' &&
        failed &&
        failed.state === h.state &&
        error.test(failed.error)
      ) {
        out.push(failed);
        failed = undefined;
      }
    }
  }
  return out;
}

/** The crash window's promise under a fault: at most CRASH_GAP_FACTOR x its floor, plus what the fault costs. */
export function expectCrashBound(
  twin: Twin,
  result: { gapMs: number; crashedAt: number },
  allowanceMs: number,
  why: string,
): ScenarioResult {
  const promoted = readyPrimaries(twin)[0] as string;
  const floor = crashFloor(twin, result.crashedAt, promoted);
  const bound = CRASH_GAP_FACTOR * floor.floorMs + allowanceMs;
  expectThat(
    result.gapMs <= bound,
    `the window without a ready primary (${minutes(result.gapMs)}) is at most ${CRASH_GAP_FACTOR}x its floor ${minutes(floor.floorMs)} + ${Math.round(allowanceMs / 1000)} s for ${why} (got ${minutes(result.gapMs)} > ${minutes(bound)})`,
  );
  return {
    'time without a ready primary': minutes(result.gapMs),
    gapMs: result.gapMs,
    'floor (seed)': minutes(floor.floorMs),
    bound: minutes(bound),
  };
}

/** How much later the alarm's run can start than the first trigger: one watch period and the evaluation window. */
export function alarmPathMs(twin: Twin): number {
  const alarm = primaryAlarmSpec(twin.world.config, regionOf(twin));
  return alarm.evaluationPeriods * alarm.periodSeconds * 1000 + WATCH_MINUTES * MINUTE;
}

export const promotedRuns = (twin: Twin) => failovers(twin).filter((e) => endedAs(e, 'succeeded'));

export async function untilRecovered(twin: Twin, within: number): Promise<void> {
  await twin.runUntil(
    () => recovered(twin) && settled(twin),
    within,
    'the primary group holding one ready primary',
  );
}

export const crashDynamoThrottled: Scenario = {
  name: 'primary-crash-dynamodb-throttled',
  title: 'The primary dies while DynamoDB throttles: the SDK and the workflows retry, the election completes',
  description:
    "While the election runs, 20% of the Lambdas' DynamoDB requests are throttled (ProvisionedThroughputExceededException) and the workflows' own DynamoDB Tasks get two 500s (InternalServerError) and a throttle. The handlers' SDK clients retry with back-off; the workflows' Retry blocks retry the DynamoDB.* errors. The member is promoted within the crash's bound, never two primaries. A request throttled on all three SDK attempts fails its Lambda step with a TransientError (the shared handler wraps retryable AWS errors), which the workflows retry: no run ends for it.",
  async run(twin, say) {
    const region = regionOf(twin);
    const faults = twin.world.faults;
    faults.fail({
      service: 'dynamodb',
      region,
      caller: 'handler',
      fraction: 0.2,
      errorName: 'ProvisionedThroughputExceededException',
      status: 400,
    });
    faults.fail({
      service: 'dynamodb',
      region,
      caller: 'workflow',
      times: 2,
      errorName: 'InternalServerError',
    });
    faults.fail({
      service: 'dynamodb',
      region,
      caller: 'workflow',
      times: 1,
      errorName: 'ProvisionedThroughputExceededException',
      status: 400,
    });
    const result = await crashAndRecover(twin, say, 30 * MINUTE);
    // A Lambda whose request is throttled on all three SDK attempts fails its step with a TransientError (the
    // shared handler wraps retryable AWS errors), which every Lambda Task retries: the raw AWS error never
    // reaches a workflow, and no run ends for it.
    const raw = twin.world.executions.filter((e) =>
      e.history.some(
        (h) =>
          h.type === 'StateFailed' &&
          (h.data as { Error?: string } | undefined)?.Error === 'ProvisionedThroughputExceededException',
      ),
    );
    expectThat(
      raw.length === 0,
      `no workflow step failed with the raw throttling error (${raw.map((e) => e.name).join(', ')})`,
    );
    const out = expectCrashBound(twin, result, 30_000, "the SDK back-off and the workflows' retries");
    await untilRecovered(twin, 60 * MINUTE);
    faults.clearApiFaults();
    const throttled = twin.world.apiCalls.filter(
      (c) => c.service === 'dynamodb' && c.error === 'ProvisionedThroughputExceededException',
    ).length;
    const workflowRetries = retriesAfter(twin, /^DynamoDB\./);
    expectThat(throttled > 0, `DynamoDB throttled some requests (${throttled})`);
    expectThat(
      workflowRetries.length >= 3,
      `the workflows' Retry blocks retried the DynamoDB.* errors (${workflowRetries.map((r) => `${r.state}: ${r.error}`).join(', ') || 'none'})`,
    );
    const elected = promotedRuns(twin).length;
    expectThat(elected === 1, `one run promoted a member (${elected})`);
    expectCleanEnd(twin);
    say(
      `${throttled} DynamoDB requests throttled, ${workflowRetries.length} workflow retries; ${thePrimary(twin)} is the primary`,
    );
    return {
      ...out,
      'throttled requests': throttled,
      'workflow DynamoDB retries': workflowRetries.length,
      'Lambda retries of TransientError': retriesAfter(twin, /^TransientError$/).length,
    };
  },
};

export const crashLambdaErrors: Scenario = {
  name: 'primary-crash-lambda-errors',
  title: 'The primary dies while the failover Lambda throttles and fails: the Lambda.* retries run',
  description:
    "The failover function's next invocations fail: two with Lambda.TooManyRequestsException (429) and two with Lambda.ServiceException (500), as Lambda answers when throttled or failing. The workflows' Retry blocks (jittered back-off) retry them; the election completes within the crash's bound plus the retries' back-off.",
  async run(twin, say) {
    const region = regionOf(twin);
    const fn = `${twin.world.config.cluster.name}-failover`;
    twin.world.faults.lambda({ region, functionName: fn, times: 2, mode: 'throttle' });
    twin.world.faults.lambda({ region, functionName: fn, times: 2, mode: 'service-error' });
    const result = await crashAndRecover(twin, say, 30 * MINUTE);
    const out = expectCrashBound(twin, result, 30_000, 'the retries');
    await untilRecovered(twin, 60 * MINUTE);
    const retried = retriesAfter(twin, /^Lambda\.(TooManyRequests|Service)Exception$/);
    expectThat(
      retried.length === 4,
      `the four failed invocations were retried by the workflows (${retried.map((r) => `${r.state}: ${r.error}`).join(', ') || 'none'})`,
    );
    expectThat(promotedRuns(twin).length === 1, `one run promoted a member (${promotedRuns(twin).length})`);
    expectCleanEnd(twin);
    say(`${retried.length} failover invocations failed and were retried; ${thePrimary(twin)} is the primary`);
    return { ...out, 'retried invocations': retried.length };
  },
};

/**
 * Which of the failover function's invocations after the crash hangs, by seed: the 1st (ValidateInput), 2nd
 * (ObserveCluster), 3rd (AssessPrimary), 4th (DecideFailover), 5th (FenceEpoch), 6th (AssertFenceBeforePromote,
 * whose Catch takes any error for the candidate's failure: a hung invocation must be retried before it gets
 * there) or 7th (CommitElection, or a bootstrap's ClaimRole).
 */
const TIMEOUT_AT = [0, 1, 2, 3, 4, 5, 6] as const;

export const crashLambdaTimeout: Scenario = {
  name: 'primary-crash-lambda-timeout',
  title:
    'The failover Lambda hangs once during the election: the Task retries it, a ready primary comes back',
  description:
    "One invocation of the failover function after the crash (which one, the seed picks: validation, observation, assessment, decision, fence, the fence check before promotion, or commit) hangs until the function's 60 s timeout (Sandbox.Timedout). Every Lambda Task retries a timed-out function (its operations are idempotent): the run goes on, no healthy member is given up for the hang, and a ready primary comes back within the crash's bound plus the one hung invocation, never two.",
  async run(twin, say) {
    const region = regionOf(twin);
    const fn = `${twin.world.config.cluster.name}-failover`;
    const skip = TIMEOUT_AT[twin.options.seed % TIMEOUT_AT.length] as number;
    twin.world.faults.lambda({ region, functionName: fn, skip, times: 1, mode: 'timeout' });
    const result = await crashAndRecover(twin, say, 40 * MINUTE);
    // The Task's Retry (Sandbox.Timedout is in every Lambda Task's policy; the operations are idempotent)
    // invokes the function again after its first back-off (1 s, jittered): the run goes on, the window grows
    // by the hung invocation only, never by the alarm's delay.
    const allowance = FUNCTION_TIMEOUT_SECONDS.failover * 1000 + LAMBDA_RETRY_MARGIN_MS;
    const out = expectCrashBound(twin, result, allowance, 'the hung invocation and its retry');
    await untilRecovered(twin, 60 * MINUTE);
    const saw = timedOutTasks(twin);
    expectThat(saw.length === 1, `one workflow Task saw the failover Lambda time out (${saw.join(', ')})`);
    // A hung invocation is not the candidate's fault: no healthy member may be stopped for it.
    const lost = failovers(twin).filter((e) => entered(e, 'CandidateFailed'));
    expectThat(
      lost.length === 0,
      `no candidate was given up (and stopped) for the hung invocation (${lost.map((e) => e.name).join(', ')})`,
    );
    // The retry absorbed the hang: no run (parent or phase) ended on it.
    const ended = twin.world.executions.filter((e) => e.status !== 'RUNNING' && e.status !== 'SUCCEEDED');
    expectThat(
      ended.every((e) => !`${e.error ?? ''} ${e.cause ?? ''}`.includes('Sandbox.Timedout')),
      `no run ended on the hung invocation (${ended.map((e) => `${e.name}: ${e.error}`).join(', ')})`,
    );
    expectCleanEnd(twin);
    const outcomes = failovers(twin).map(
      (e) => `${e.name.replace(/^primary-failover-/, '')}: ${outcomeOf(e)}`,
    );
    say(`${saw[0]} timed out; runs: ${outcomes.join('; ')}; ${thePrimary(twin)} is the primary`);
    return { ...out, 'timed out in': saw[0] ?? '' };
  },
};

/** The first Lambda retry's back-off (1 s, jittered) with a margin for the retried invocation's own work. */
const LAMBDA_RETRY_MARGIN_MS = 30_000;

/** The Task states (in any run) whose Lambda invocation timed out. */
function timedOutTasks(twin: Twin): string[] {
  return twin.world.executions.flatMap((e) =>
    e.history
      .filter((h) => {
        const d = h.data as { Error?: string; state?: { type?: string } } | undefined;
        return h.type === 'StateFailed' && d?.Error === 'Sandbox.Timedout' && d.state?.type === 'Task';
      })
      .map((h) => `${e.stateMachine}/${h.state}`),
  );
}

export const promotionHangs: Scenario = {
  name: 'primary-promotion-hangs',
  title:
    "The candidate's promotion command hangs (the node never answers): it is abandoned in bound, the next is tried",
  description:
    "The primary dies. The first candidate's SetPrimaryRole command reaches its SSM Agent, which never answers again: the invocation stays InProgress until the command expires (delivery plus execution timeout, 20 minutes), far past node-command's own bound (10 rounds of 60 s). node-command gives up (CommandTimedOut), the workflow quarantines that candidate and promotes the next one: a ready primary within the crash's bound plus node-command's. The next promotion's restart takes the join lock, so it may queue behind the member group's replacement while that one starts (JFrog: nodes must not start in parallel): the bound adds that queue, itself bounded by the candidate's lock wait (20 minutes).",
  async run(twin, say) {
    const region = regionOf(twin);
    twin.world.faults.ssmCommand({
      region,
      document: `${twin.world.config.cluster.name}-SetPrimaryRole`,
      times: 1,
      outcome: 'Hang',
    });
    await twin.run(3 * MINUTE);
    const old = thePrimary(twin);
    say(`the host of the primary ${old} dies; the first promotion command will hang`);
    const crashedAt = twin.world.clock.now();
    twin.world.region(region).ec2.crash(old);
    const escalated = () => failovers(twin).some((e) => outcomeOf(e) === 'escalated');
    await twin.runUntil(
      () => readyPrimaries(twin).some((p) => p !== old) || escalated(),
      60 * MINUTE,
      'a new ready primary, or an escalation',
    );
    const hung = twin.world.executions.filter(
      (e) => e.stateMachine === 'node-command' && e.status === 'FAILED' && e.error === 'CommandTimedOut',
    );
    expectThat(hung.length === 1, `node-command gave up on the hung command once (${hung.length})`);
    const held = (hung[0]?.stoppedAt ?? 0) - (hung[0]?.startedAt ?? 0);
    expectThat(
      held <= NODE_COMMAND_WAIT_MS + 2 * MINUTE,
      `node-command gave up within its bound (${minutes(held)})`,
    );
    const runs = failovers(twin).filter((e) => entered(e, 'CandidateFailed'));
    expectThat(runs.length === 1, `one run gave the hung candidate up and stopped it (${runs.length})`);
    expectThat(!escalated(), 'the run did not escalate: the next candidate was promoted');
    // Every restart takes the join lock: the next candidate may queue behind the member group's replacement,
    // which Auto Scaling launched when the hung candidate was detached and which is starting. That wait is
    // bounded by the candidate's own lock queue (60 rounds of 20 s), and it is part of the promise.
    const queued = lockQueueMs(twin);
    expectThat(
      queued <= PROMOTION_LOCK_QUEUE_MS,
      `the next promotion queued for the join lock within its bound (${minutes(queued)})`,
    );
    const gapMs = twin.world.clock.now() - crashedAt;
    const out = expectCrashBound(
      twin,
      { gapMs, crashedAt },
      NODE_COMMAND_WAIT_MS + MINUTE + queued,
      "node-command's bound, the stop and the join lock's queue",
    );
    await untilRecovered(twin, 60 * MINUTE);
    expectThat(promotedRuns(twin).length === 1, `one run promoted a member (${promotedRuns(twin).length})`);
    expectCleanEnd(twin);
    const budget = expectNodeCommandBudget(twin);
    say(`the hung promotion was abandoned after ${minutes(held)}; ${thePrimary(twin)} is the primary`);
    return {
      ...out,
      ...budget,
      'hung command abandoned after': minutes(held),
      'queued for the join lock': minutes(queued),
    };
  },
};

/** The candidate child's bound on queueing for the join lock: 60 rounds of 20 s. */
const PROMOTION_LOCK_QUEUE_MS = 60 * 20_000;

/**
 * How long candidate attempts queued for the join lock: from their first AcquirePromotionJoinLock until they
 * entered PromoteCandidate (or ended), summed over the attempts.
 */
function lockQueueMs(twin: Twin): number {
  let total = 0;
  for (const e of twin.world.executions.filter((x) => x.stateMachine === 'primary-failover-candidate')) {
    const first = e.history.find((h) => h.type === 'StateEntered' && h.state === 'AcquirePromotionJoinLock');
    const taken = e.history.find((h) => h.type === 'StateEntered' && h.state === 'PromoteCandidate');
    if (first) total += (taken?.at ?? e.stoppedAt ?? twin.world.clock.now()) - first.at;
  }
  return total;
}

export const TWIN_FAULT_SCENARIOS: readonly Scenario[] = [
  crashDynamoThrottled,
  crashLambdaErrors,
  crashLambdaTimeout,
  promotionHangs,
];
