/**
 * The control plane watches itself (issue 15): a Lambda that keeps failing raises its errors alarm and loses
 * nothing; a dead watch raises watch-silent and starts no failover; events dispatch did not accept land in the
 * dead-letter queue and the operator's replay does their work. Bounds: sim/scenarios/operations-common.ts.
 */
import { primaryAlarmSpec } from '../../infra/primary-failover';
import { functionAlarmName, operationsAlarmName } from '../../infra/stacks/names';
import type { Twin } from '../twin';
import {
  asyncDestinationBoundMs,
  DEAD_LETTERS_ALARM_BOUND_MS,
  type DeadLetter,
  type DestinationRecord,
  detailTypeOf,
  EVENTBRIDGE_DLQ_BOUND_MS,
  eventOf,
  failedInvocations,
  firedAt,
  isDestinationRecord,
  operate,
  PERIOD_ALARM_LATENCY_MS,
  peekDeadLetters,
  untilFired,
  WATCH_SILENT_BOUND_MS,
} from './operations-common';
import {
  expectCleanEnd,
  failovers,
  minutes,
  readyPrimaries,
  recovered,
  regionOf,
  settled,
  thePrimary,
} from './primary-failover';
import { expectThat, MINUTE, type Scenario } from './types';

const fnName = (twin: Twin, fn: string) => `${twin.world.config.cluster.name}-${fn}`;
const fnArn = (twin: Twin, fn: string) => twin.lambda.arnOf(regionOf(twin), fnName(twin, fn));
const SCHEDULED = 'Scheduled Event';
const secs = (ms: number) => `${Math.round(ms / 1000)} s`;

/** Runs until the queue holds a message `which` accepts (checked every 15 s), at most `withinMs`. */
async function untilDeadLetter(
  twin: Twin,
  which: (m: DeadLetter) => boolean,
  withinMs: number,
  what: string,
): Promise<DeadLetter[]> {
  const until = twin.world.clock.now() + withinMs;
  for (;;) {
    const found = (await peekDeadLetters(twin)).filter(which);
    if (found.length > 0) return found;
    if (twin.world.clock.now() >= until)
      throw new Error(`twin: ${what} did not reach the dead-letter queue within ${secs(withinMs)}`);
    await twin.run(15_000);
  }
}

async function untilRecovered(twin: Twin): Promise<void> {
  await twin.runUntil(
    () => recovered(twin) && settled(twin),
    60 * MINUTE,
    'the primary group holding one ready primary',
  );
}

/** How long dispatch keeps failing in the first scene (long enough for every retry of the crash's events). */
const FAILING_MS = 12 * MINUTE;

export const lambdaKeepsFailing: Scenario = {
  name: 'ops-lambda-keeps-failing',
  title: 'dispatch keeps failing: its errors alarm fires, what it failed on is kept and replayed',
  description: `Every invocation of dispatch fails at once (an unhandled error, as from a broken deployment: a function error) for ${FAILING_MS / MINUTE} minutes, while the primary's host dies. EventBridge hands the events to Lambda (accepted: asynchronous invocation); Lambda retries each twice (~1 then ~2 minutes apart) and then sends a destination record (RetriesExhausted) to the dead-letter queue. The dispatch-errors alarm (AWS/Lambda Errors, 300 s, >= 1) fires within a period and its evaluation of the first error. The sweep brings a primary back meanwhile; once dispatch works again the operator replays the queue (dead-letters-replay): every record is re-delivered to dispatch and deleted, nothing is left but stale schedule ticks.`,
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    const region = regionOf(twin);
    const start = twin.world.clock.now();
    twin.world.faults.lambda({
      region,
      functionName: fnName(twin, 'dispatch'),
      fraction: 1,
      mode: 'function-error',
    });
    const old = thePrimary(twin);
    say(`dispatch fails on every invocation; the host of the primary ${old} dies`);
    twin.world.region(region).ec2.crash(old);
    await twin.runUntil(
      () => failedInvocations(twin, 'dispatch', start).length > 0,
      10 * MINUTE,
      'an event reaching the failing dispatch',
    );
    const firstError = failedInvocations(twin, 'dispatch', start)[0]?.at as number;
    const alarm = functionAlarmName(twin.world.config, region, 'dispatch', 'errors');
    const alarmAt = await untilFired(twin, alarm, firstError, PERIOD_ALARM_LATENCY_MS);
    say(`${alarm} fired ${secs(alarmAt - firstError)} after dispatch's first error`);

    // The first event dispatch failed on comes back twice (Lambda's retries) and then lands in the queue.
    const bound = asyncDestinationBoundMs(0);
    const ofDispatch = (m: DeadLetter) =>
      isDestinationRecord(m) &&
      (m.body as unknown as DestinationRecord).requestContext.functionArn.startsWith(fnArn(twin, 'dispatch'));
    await untilDeadLetter(twin, ofDispatch, firstError + bound - twin.world.clock.now(), "dispatch's record");
    const firstRecordAt = twin.world.clock.now();
    await twin.run(Math.max(0, start + FAILING_MS - twin.world.clock.now()));
    twin.world.faults.clearLambdaFaults();
    say('dispatch works again');
    await twin.run(4 * MINUTE); // the retries still pending when it recovered now succeed
    const records = (await peekDeadLetters(twin)).filter(ofDispatch);
    for (const r of records) {
      const ctx = (r.body as unknown as DestinationRecord).requestContext;
      expectThat(
        ctx.condition === 'RetriesExhausted'
          ? ctx.approximateInvokeCount === 3
          : ctx.condition === 'EventAgeExceeded',
        `a record says why: tried three times (${ctx.condition}, ${ctx.approximateInvokeCount} invocations)`,
      );
    }
    const kinds = [...new Set(records.map(detailTypeOf))];
    expectThat(
      kinds.some((k) => k !== SCHEDULED),
      `the events dispatch failed on are kept (${kinds.join(', ') || 'none'})`,
    );
    await untilRecovered(twin);
    say(
      `${readyPrimaries(twin)[0]} is the primary (the sweep); ${records.length} record(s) of dispatch in the queue`,
    );

    const replayedAt = twin.world.clock.now();
    await operate(twin, {
      op: 'dead-letters-replay',
      actor: 'scene-operator',
      reason: 'dispatch failed for 12 minutes; replaying what it missed',
    });
    const left = (await peekDeadLetters(twin)).filter((m) => detailTypeOf(m) !== SCHEDULED);
    expectThat(
      left.length === 0,
      `every event was replayed and deleted (left: ${left.map((m) => `${detailTypeOf(m)} ${m.messageId}`).join(', ')})`,
    );
    const replayed = twin.lambda.invocations.filter(
      (i) => i.at >= replayedAt && i.functionName === fnName(twin, 'dispatch') && i.error === undefined,
    );
    expectThat(
      replayed.length >= records.filter((r) => detailTypeOf(r) !== SCHEDULED).length,
      `dispatch ran once per replayed event (${replayed.length} for ${records.length})`,
    );
    await untilRecovered(twin);
    expectCleanEnd(twin);
    say(`replayed ${replayed.length} event(s); the queue holds no event of dispatch`);
    return {
      'errors alarm after the first error': secs(alarmAt - firstError),
      'first record after the first error': secs(firstRecordAt - firstError),
      'records replayed': replayed.length,
    };
  },
};

/** How long the dead watch is observed: well past watch-silent's bound and several sweeps. */
const DEAD_WATCH_MS = 20 * MINUTE;

export const watchDead: Scenario = {
  name: 'ops-watch-dead',
  title: 'The watch dies: watch-silent fires, no failover starts',
  description: `Every invocation of the primary watch hangs until its timeout: PrimaryHealthy stops. The primary-unhealthy alarm treats missing data as ignore (a dead watch must not start a failover), so watch-silent (PrimaryHealthy SampleCount, 60 s, 3 of 3, < 1, missing data breaching) is what tells: it fires within ${WATCH_SILENT_BOUND_MS / MINUTE} minutes of the death (the last tick, three silent minutes, CloudWatch's two extra periods of evaluation range, the evaluation), and watch-errors within a period. For ${DEAD_WATCH_MS / MINUTE} minutes no failover starts and the primary stays. When the watch works again watch-silent returns to OK.`,
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    const region = regionOf(twin);
    const primary = thePrimary(twin);
    const deathAt = twin.world.clock.now();
    twin.world.faults.lambda({ region, functionName: fnName(twin, 'watch'), fraction: 1, mode: 'timeout' });
    say('the primary watch hangs on every invocation');
    const silent = operationsAlarmName(twin.world.config, region, 'watch-silent');
    const silentAt = await untilFired(twin, silent, deathAt, WATCH_SILENT_BOUND_MS);
    const firstError = failedInvocations(twin, 'watch', deathAt)[0]?.at as number;
    const errors = functionAlarmName(twin.world.config, region, 'watch', 'errors');
    const errorsAt = await untilFired(twin, errors, firstError, PERIOD_ALARM_LATENCY_MS);
    say(
      `${silent} fired ${minutes(silentAt - deathAt)} after the death, ${errors} ${secs(errorsAt - firstError)} after the first error`,
    );
    await twin.run(Math.max(0, deathAt + DEAD_WATCH_MS - twin.world.clock.now()));
    const started = failovers(twin).filter((e) => e.startedAt >= deathAt);
    expectThat(started.length === 0, `no failover started (${started.map((e) => e.name).join(', ')})`);
    const unhealthy = primaryAlarmSpec(twin.world.config, region).name;
    expectThat(
      firedAt(twin, region, unhealthy, deathAt) === undefined,
      `${unhealthy} did not fire on the missing data`,
    );
    expectThat(thePrimary(twin) === primary, `${primary} is still the primary`);
    twin.world.faults.clearLambdaFaults();
    const back = twin.world.clock.now();
    const okAgain = () =>
      twin.world.timeline.entries.some(
        (e) => e.at >= back && e.source === 'cw' && e.message.startsWith(`alarm ${silent}: ALARM -> OK`),
      );
    await twin.runUntil(okAgain, 4 * MINUTE, `${silent} returning to OK once the watch works`);
    await twin.runUntil(() => settled(twin), 10 * MINUTE, 'every run ending');
    say(
      `${DEAD_WATCH_MS / MINUTE} minutes without the watch: no failover, ${primary} still the primary; ${silent} OK again`,
    );
    return {
      'watch-silent after the death': minutes(silentAt - deathAt),
      'watch-errors after the first error': secs(errorsAt - firstError),
    };
  },
};

/** How long Lambda refuses dispatch's and the sweep's invocations in the third scene. */
const OUTAGE_MS = 10 * MINUTE;

export const dispatchDeadLetters: Scenario = {
  name: 'ops-dispatch-dead-letters',
  title: "Lambda refuses dispatch's events: they land in the queue, the replay does their work",
  description: `For ${OUTAGE_MS / MINUTE} minutes Lambda's Invoke API refuses EventBridge's asynchronous invocations of dispatch and of the sweep (ServiceException, 500) while the primary's host dies: their events are never accepted. EventBridge retries each (RetryPolicy: 4 retries) and then sends it to its DLQ, the dead-letter queue, with RULE_ARN, TARGET_ARN and the error as attributes, within ${EVENTBRIDGE_DLQ_BOUND_MS / MINUTE} minutes; the dead-letters alarm fires within a period and its evaluation. Nothing does the work meanwhile (the sweep's ticks are refused too). When Lambda is back the operator replays the queue: each of dispatch's events is re-delivered to it, it starts what it would have started (the replacement's node-bootstrap) during the replay, and the message is deleted; schedule ticks are stale, reported and left. A ready primary comes back.`,
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    const region = regionOf(twin);
    const start = twin.world.clock.now();
    // Lambda's Invoke API refuses EventBridge's asynchronous invocations of the two functions: the events are
    // never accepted (a 500 of an accepted event would be retried by Lambda's own queue for up to its maximum
    // event age, and nothing would reach the queue).
    for (const fn of ['dispatch', 'reconciler'])
      twin.world.faults.fail({
        service: 'lambda',
        action: 'Invoke',
        region,
        resource: fnName(twin, fn),
        fraction: 1,
        errorName: 'ServiceException',
        status: 500,
      });
    const old = thePrimary(twin);
    say(`Lambda's Invoke API refuses dispatch and the sweep; the host of the primary ${old} dies`);
    twin.world.region(region).ec2.crash(old);
    const ofDispatch = (m: DeadLetter) =>
      !isDestinationRecord(m) && m.attributes.TARGET_ARN === fnArn(twin, 'dispatch');
    const first = await untilDeadLetter(
      twin,
      (m) => ofDispatch(m) && detailTypeOf(m) !== SCHEDULED,
      OUTAGE_MS - MINUTE,
      'an event for dispatch',
    );
    const firstAt = Number((first[0] as DeadLetter).attributes.SentTimestamp ?? twin.world.clock.now());
    const alarm = operationsAlarmName(twin.world.config, region, 'dead-letters');
    const alarmAt = await untilFired(twin, alarm, firstAt, DEAD_LETTERS_ALARM_BOUND_MS);
    say(
      `${detailTypeOf(first[0] as DeadLetter)} is in the queue; ${alarm} fired ${secs(alarmAt - firstAt)} later`,
    );
    await twin.run(Math.max(0, start + OUTAGE_MS - twin.world.clock.now()));
    twin.world.faults.clearApiFaults();
    const letters = await peekDeadLetters(twin);
    const events = letters.filter((m) => ofDispatch(m) && detailTypeOf(m) !== SCHEDULED);
    for (const m of events) {
      const sent = Number(m.attributes.SentTimestamp ?? Number.NaN);
      const eventAt = Date.parse(String(eventOf(m).time));
      expectThat(
        !(sent - eventAt > EVENTBRIDGE_DLQ_BOUND_MS),
        `${detailTypeOf(m)} reached the queue within ${secs(EVENTBRIDGE_DLQ_BOUND_MS)} of its event (${secs(sent - eventAt)})`,
      );
      expectThat(
        m.attributes.RULE_ARN !== undefined && m.attributes.ERROR_CODE !== undefined,
        `EventBridge says which rule and why (${JSON.stringify(m.attributes)})`,
      );
    }
    const launches = events.filter((m) => detailTypeOf(m) === 'EC2 Instance-launch Lifecycle Action');
    expectThat(
      launches.length > 0,
      `the replacement's launch event is kept (${events.map(detailTypeOf).join(', ')})`,
    );
    expectThat(readyPrimaries(twin).length === 0, 'nothing did the work while Lambda refused it');
    say(
      `Lambda is back; the queue holds ${letters.length} message(s), ${events.length} of them dispatch's events`,
    );

    const replayStart = twin.world.clock.now();
    await operate(twin, {
      op: 'dead-letters-replay',
      actor: 'scene-operator',
      reason: 'Lambda refused dispatch for 10 minutes',
    });
    const replayEnd = twin.world.clock.now();
    const during = twin.world.executions.filter(
      (e) => e.startedAt >= replayStart && e.startedAt <= replayEnd && e.parentArn === undefined,
    );
    for (const m of launches) {
      const id = String((eventOf(m).detail as { EC2InstanceId?: string } | undefined)?.EC2InstanceId);
      expectThat(
        during.some((e) => e.stateMachine === 'node-bootstrap' && e.name.endsWith(id)),
        `the replay started ${id}'s node-bootstrap (started: ${during.map((e) => e.name).join(', ') || 'none'})`,
      );
    }
    const left = await peekDeadLetters(twin);
    const unprocessed = left.filter((m) => detailTypeOf(m) !== SCHEDULED);
    expectThat(
      unprocessed.length === 0,
      `every event was replayed and deleted (left: ${unprocessed.map(detailTypeOf).join(', ')})`,
    );
    await untilRecovered(twin);
    expectCleanEnd(twin);
    say(
      `the replay started ${during.map((e) => e.name).join(', ')}; ${thePrimary(twin)} is the primary; ${left.length} stale tick(s) left`,
    );
    return {
      'dead letters': events.length,
      'dead-letters alarm after the first': secs(alarmAt - firstAt),
      'runs started by the replay': during.length,
    };
  },
};

export const OPERATIONS_FAILURE_SCENARIOS: readonly Scenario[] = [
  lambdaKeepsFailing,
  watchDead,
  dispatchDeadLetters,
];
