/**
 * The operator's switch and the runs nobody reported (issue 15): the global pause set during an incident holds
 * every automatic path and says so once; a run that times out is reported from Step Functions' status event
 * (notification, RunsEnded, runs-timed-out). Bounds: sim/scenarios/operations-common.ts.
 */
import { AUTOMATION_PAUSED_METRIC, operationsAlarmName, RUNS_ENDED_METRIC } from '../../infra/stacks/names';
import type { Twin } from '../twin';
import { expectNothingAutomatic, mark } from './automation-paused';
import {
  metricSum,
  operate,
  PERIOD_ALARM_LATENCY_MS,
  STATUS_REPORT_BOUND_MS,
  untilFired,
} from './operations-common';
import { layoutOf, minutes, readyPrimaries, regionOf, settled, thePrimary } from './primary-failover';
import { expectThat, MINUTE, type Scenario } from './types';

const secs = (ms: number) => `${Math.round(ms / 1000)} s`;

/** What the region's topic carried since `since`. */
const notices = (twin: Twin, since: number) =>
  twin.world
    .region(regionOf(twin))
    .sns.messages.filter((m) => m.at >= since && m.topicArn === layoutOf(twin).topicArn);

/** Calls that change routing (Route 53's control plane) or start an evacuation, since `since`. */
function routingChanges(twin: Twin, since: number): string[] {
  const calls = twin.world.apiCalls
    .filter(
      (c) =>
        c.at >= since &&
        c.error === undefined &&
        c.service === 'route53' &&
        /^(Change|Update|Create|Delete)/.test(c.action),
    )
    .map((c) => `${c.service}:${c.action}`);
  const runs = twin.world.executions
    .filter((e) => e.startedAt >= since && /regional-failover/.test(e.stateMachine))
    .map((e) => e.name);
  return [...calls, ...runs];
}

/** How long the paused cluster is watched. */
const PAUSED_MS = 60 * MINUTE;
/** When the operator pauses: the incident has begun, the primary-unhealthy alarm has not fired yet. */
const PAUSE_AFTER_MS = 30_000;

export const pauseDuringIncident: Scenario = {
  name: 'ops-pause-during-incident',
  title: 'The operator pauses automation during an incident: nothing automatic changes, one notice',
  description: `The primary's host dies; ${PAUSE_AFTER_MS / 1000} s later an operator sets the global pause (operations Lambda, op pause, with a reason), written to every voter's routing table. The announcement goes to the topic once. For ${PAUSED_MS / MINUTE} minutes dispatch and the sweep start no failover, the automatic runs that answer Auto Scaling (node-drain's handover) observe only, no group, scaling process, instance or node role is changed by the control plane, nothing touches routing, AutomationPaused is published, and the incident is notified exactly once. Auto Scaling's own replacement, whose launch hook node-bootstrap still answers, becomes the primary. The operator resumes.`,
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    const region = regionOf(twin);
    const old = thePrimary(twin);
    say(`the host of the primary ${old} dies`);
    twin.world.region(region).ec2.crash(old);
    await twin.run(PAUSE_AFTER_MS);
    const watch = mark(twin);
    const pausedAt = watch.at;
    await operate(twin, { op: 'pause', actor: 'scene-operator', reason: 'investigating the primary host' });
    const announced = notices(twin, pausedAt);
    expectThat(
      announced.length === 1,
      `the pause was announced once (${announced.map((m) => m.subject).join(' | ') || 'none'})`,
    );
    const afterPause = twin.world.clock.now() + 1;
    say(`${announced[0]?.subject}`);
    await twin.run(PAUSED_MS);
    const runs = expectNothingAutomatic(twin, watch);
    const routing = routingChanges(twin, pausedAt);
    expectThat(routing.length === 0, `nothing touched routing (${routing.join(', ')})`);
    const told = notices(twin, afterPause);
    expectThat(
      told.length === 1,
      `the incident was notified exactly once besides the pause (${told.map((m) => m.subject).join(' | ') || 'none'})`,
    );
    const dims = { Cluster: twin.world.config.cluster.name, Region: region };
    const pausedPoints = await metricSum(
      twin,
      AUTOMATION_PAUSED_METRIC,
      dims,
      pausedAt,
      twin.world.clock.now(),
    );
    expectThat(pausedPoints >= 1, `AutomationPaused was published while paused (${pausedPoints})`);
    const primary = readyPrimaries(twin);
    expectThat(
      primary.length === 1 && primary[0] !== old,
      `Auto Scaling's replacement is the primary (${primary.join(', ') || 'none'})`,
    );
    const resumedAt = twin.world.clock.now();
    await operate(twin, { op: 'resume', actor: 'scene-operator', reason: 'the replacement serves' });
    const resumed = notices(twin, resumedAt);
    expectThat(resumed.length === 1, `the resume was announced once (${resumed.length})`);
    await twin.runUntil(() => settled(twin), 30 * MINUTE, 'every run ending');
    say(
      `${minutes(PAUSED_MS)} paused: ${runs.length} automatic run(s) observed only, no change, one notice (${told[0]?.subject}); resumed`,
    );
    return { 'automatic runs (observe only)': runs.length, 'incident notices': told.length };
  },
};

/**
 * Re-deploys a state machine with a shorter TimeoutSeconds (UpdateStateMachine; same ARN, so the status-event
 * rule still matches it). Every workflow bounds each of its steps, so none of ours outlives its own timeout on
 * the twin; the scene shortens one to make Step Functions end a run TIMED_OUT, which is what it reports on.
 */
function shortenTimeout(twin: Twin, name: string, seconds: number): void {
  const sfn = twin.sfnIn(regionOf(twin));
  // The twin keeps each deployed (substituted) definition; the scene reads it to re-deploy it.
  const machines = (sfn as unknown as { machines: Map<string, { definition: Record<string, unknown> }> })
    .machines;
  const deployed = machines.get(sfn.arnOf(name));
  if (!deployed) throw new Error(`no state machine ${name} in the twin`);
  sfn.createStateMachine(name, JSON.stringify({ ...deployed.definition, TimeoutSeconds: seconds }), {});
}

const READINESS = 'regional-readiness';
const SHORT_TIMEOUT_SECONDS = 30;

export const runTimedOut: Scenario = {
  name: 'ops-run-timed-out',
  title: 'A run times out: its status event reports it (notice, RunsEnded, runs-timed-out)',
  description: `A ${READINESS} run (a root run: the hourly schedule starts it) is re-deployed with TimeoutSeconds ${SHORT_TIMEOUT_SECONDS} and its routing Lambda hangs once (60 s): Step Functions ends the run TIMED_OUT; it never reaches a report step. Its status event (Step Functions Execution Status Change, TIMED_OUT) reaches the report Lambda through the run-status rule: within ${STATUS_REPORT_BOUND_MS / MINUTE} minute the topic names the workflow, the status and the run; RunsEnded{Outcome: TIMED_OUT} counts it once; runs-timed-out fires within a period and its evaluation; the audit trail holds it.`,
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    const region = regionOf(twin);
    const cluster = twin.world.config.cluster.name;
    shortenTimeout(twin, READINESS, SHORT_TIMEOUT_SECONDS);
    twin.world.faults.lambda({ region, functionName: `${cluster}-routing`, times: 1, mode: 'timeout' });
    const started = (await twin.world.call(region, 'sfn', 'StartExecution', {
      stateMachineArn: twin.sfnIn(region).arnOf(READINESS),
      input: '{}',
    })) as { executionArn: string };
    const run = () => twin.world.executions.find((e) => e.executionArn === started.executionArn);
    await twin.runUntil(() => run()?.status !== 'RUNNING', 5 * MINUTE, `the ${READINESS} run ending`);
    const ended = run();
    expectThat(ended?.status === 'TIMED_OUT', `the run timed out (${ended?.status} ${ended?.error ?? ''})`);
    const endedAt = ended?.stoppedAt as number;
    const name = ended?.name as string;
    say(`${READINESS} run ${name} timed out`);
    const about = () =>
      notices(twin, endedAt).filter((m) => `${m.subject ?? ''} ${m.message}`.includes(name));
    await twin.runUntil(
      () => about().length > 0,
      STATUS_REPORT_BOUND_MS,
      `a notification of the timed-out run ${name}`,
    );
    const notice = about()[0];
    const text = `${notice?.subject ?? ''} ${notice?.message ?? ''}`;
    expectThat(
      text.includes(READINESS) && text.includes('TIMED_OUT'),
      `the notice names the workflow and the status (${notice?.subject})`,
    );
    const reportedAfter = (notice?.at as number) - endedAt;
    const alarm = operationsAlarmName(twin.world.config, region, 'runs-timed-out');
    const alarmAt = await untilFired(twin, alarm, endedAt, PERIOD_ALARM_LATENCY_MS);
    await twin.run(5 * MINUTE);
    expectThat(about().length === 1, `the run was notified once (${about().length})`);
    const dims = { Cluster: cluster, Region: region, Outcome: 'TIMED_OUT' };
    const counted = await metricSum(twin, RUNS_ENDED_METRIC, dims, endedAt - MINUTE, twin.world.clock.now());
    expectThat(counted === 1, `RunsEnded{Outcome: TIMED_OUT} counted the run once (${counted})`);
    const trail = JSON.stringify(await operate(twin, { op: 'audit' }));
    expectThat(trail.includes(name), `the audit trail holds the run ${name}`);
    await twin.runUntil(() => settled(twin), 10 * MINUTE, 'every run ending');
    say(`notified ${secs(reportedAfter)} after it ended; ${alarm} fired ${secs(alarmAt - endedAt)} after`);
    return {
      'notice after the run ended': secs(reportedAfter),
      'runs-timed-out after the run ended': secs(alarmAt - endedAt),
    };
  },
};

export const OPERATIONS_REPORT_SCENARIOS: readonly Scenario[] = [pauseDuringIncident, runTimedOut];
