/**
 * Pause means pause (issue 11, item 6): with `automation.enabled: false`, nothing the control plane does on
 * its own changes anything (no failover started by an alarm, the sweep or a replacement; an automatic run
 * observes and reports without the cluster lock, without resuming or suspending a scaling process, moving a
 * group or changing a node's role), lifecycle hooks are still answered, the operator is told once per
 * incident, and an operator's manual run still acts.
 */
import { FINDING_TEXT, PAUSED_FINDINGS, type PausedFinding } from '../../functions/core/paused';
import type { Config } from '../../infra/config/schema';
import type { SnsMessage } from '../core/contracts';
import type { ExecutionRecord } from '../core/world';
import type { Twin } from '../twin';
import {
  endedAs,
  entered,
  expectCleanEnd,
  failovers,
  launchFailover,
  layoutOf,
  minutes,
  readyPrimaries,
  recovered,
  regionOf,
  settled,
  startFailover,
  thePrimary,
} from './primary-failover';
import { expectThat, MINUTE, type Scenario } from './types';

const paused = (config: Config): Config => ({
  ...config,
  automation: { ...config.automation, enabled: false },
});

/** How long each scene watches the paused cluster. */
const WATCH_MS = 60 * MINUTE;

/**
 * The API actions that change a group, a scaling process or an instance. Lifecycle answers
 * (CompleteLifecycleAction, heartbeats) and target (de)registration by node-bootstrap and node-drain are not
 * among them: they answer Auto Scaling's own actions.
 */
const CHANGING = new Set([
  'autoscaling:SuspendProcesses',
  'autoscaling:ResumeProcesses',
  'autoscaling:UpdateAutoScalingGroup',
  'autoscaling:SetDesiredCapacity',
  'autoscaling:AttachInstances',
  'autoscaling:DetachInstances',
  'autoscaling:SetInstanceHealth',
  'autoscaling:TerminateInstanceInAutoScalingGroup',
  'autoscaling:EnterStandby',
  'autoscaling:ExitStandby',
  'ec2:StopInstances',
  'ec2:TerminateInstances',
  'ec2:RebootInstances',
]);

/** Where the paused watch starts: its time, and how many API calls were made before it. */
export interface Mark {
  readonly at: number;
  readonly calls: number;
  readonly timeline: number;
}
export const mark = (twin: Twin): Mark => ({
  at: twin.world.clock.now(),
  calls: twin.world.apiCalls.length,
  timeline: twin.world.timeline.entries.length,
});

/** The changing calls made in the region since the mark. */
const changes = (twin: Twin, since: Mark) =>
  twin.world.apiCalls
    .slice(since.calls)
    .filter((c) => c.region === regionOf(twin) && CHANGING.has(`${c.service}:${c.action}`))
    .map((c) => `${c.service}:${c.action} at +${minutes(c.at - since.at)}`);

/** The states of primary-failover that take the lock or change something; an automatic run enters none. */
const ACTING_STATES = [
  'AcquireClusterLock',
  'FenceEpoch',
  'SuspendPrimaryLaunch',
  'SuspendMemberHealthCheck',
  'DemoteExtraPrimaries',
  'RestorePrimaryGroup',
  'ResumeLaunch',
  'ResumeHealthCheck',
];

const trigger = (e: ExecutionRecord) => (e.input as { trigger?: string } | undefined)?.trigger ?? 'manual';

/** Every automatic run since `since` observed only: no lock, no change, ended refused or with nothing to do. */
function expectObservedOnly(twin: Twin, since: number): ExecutionRecord[] {
  const automatic = failovers(twin).filter((e) => e.startedAt >= since && trigger(e) !== 'manual');
  for (const e of automatic) {
    const acted = ACTING_STATES.filter((s) => entered(e, s));
    expectThat(
      acted.length === 0,
      `the automatic run ${e.name} changed nothing (it entered ${acted.join(', ')})`,
    );
  }
  return automatic;
}

/** Failovers dispatch or the sweep started (their names say so): none while paused. */
const startedByAutomation = (twin: Twin, since: number) =>
  failovers(twin)
    .filter((e) => e.startedAt >= since && /-(alarm|reconciler|replacement)-/.test(e.name))
    .map((e) => e.name);

/** What the operator was told about the primary since `since`: failover reports and pause notices. */
/** A run's end told by its Step Functions status event (issue 15): a run that could not report itself. */
export const isRunEndNotice = (m: SnsMessage): boolean =>
  / run (FAILED|TIMED_OUT|ABORTED)\b/.test(m.subject ?? '');

export const incidentNotices = (twin: Twin, since: number) =>
  twin.world
    .region(regionOf(twin))
    .sns.messages.filter(
      (m) =>
        m.at >= since && /primary-failover|automation paused/.test(m.subject ?? '') && !isRunEndNotice(m),
    );

/**
 * The incident a notice is about: a pause notice names it in its subject, a run's report in the `incident`
 * its ReportRun sent (undefined for a report that is no pause notice).
 */
function incidentOf(twin: Twin, m: SnsMessage): PausedFinding | undefined {
  const paused = /automation paused: (.*)$/.exec(m.subject ?? '')?.[1];
  if (paused !== undefined) return PAUSED_FINDINGS.find((f) => FINDING_TEXT[f] === paused);
  const arn = /Execution: (\S+)/.exec(m.message)?.[1];
  const run = failovers(twin).find((e) => e.executionArn === arn);
  const report = run?.history.find((h) => h.type === 'StateEntered' && h.state === 'ReportRun');
  return (report?.data as { state?: { input?: { conclusion?: { report?: { incident?: PausedFinding } } } } })
    ?.state?.input?.conclusion?.report?.incident;
}

/** Every notice since `since` names its incident, and no incident was notified twice. */
function expectOncePerIncident(twin: Twin, since: number): Map<PausedFinding, number> {
  const told = incidentNotices(twin, since);
  const list = told.map((m) => m.subject).join(' | ');
  const count = new Map<PausedFinding, number>();
  for (const m of told) {
    const incident = incidentOf(twin, m);
    expectThat(incident !== undefined, `every notice while paused names its incident (${m.subject})`);
    count.set(incident as PausedFinding, (count.get(incident as PausedFinding) ?? 0) + 1);
  }
  expectThat(
    [...count.values()].every((n) => n === 1),
    `the operator was told once per incident (got ${list})`,
  );
  return count;
}

/** Role changes (the SetPrimaryRole document) the control plane sent since the mark. */
const roleCommands = (twin: Twin, since: Mark) =>
  twin.world.timeline.entries
    .slice(since.timeline)
    .filter((e) => e.region === regionOf(twin) && /SendCommand \S+-SetPrimaryRole /.test(e.message))
    .map((e) => `${e.message} at +${minutes(e.at - since.at)}`);

/** The paused hour's promises: no failover started, every automatic run observed only, nothing changed. */
export function expectNothingAutomatic(twin: Twin, since: Mark): ExecutionRecord[] {
  const started = startedByAutomation(twin, since.at);
  expectThat(
    started.length === 0,
    `no failover started by dispatch or the sweep (got ${started.join(', ')})`,
  );
  const runs = expectObservedOnly(twin, since.at);
  const changed = changes(twin, since);
  expectThat(changed.length === 0, `no group, process or instance changed (got ${changed.join('; ')})`);
  const roles = roleCommands(twin, since);
  expectThat(roles.length === 0, `no node's role changed (got ${roles.join('; ')})`);
  return runs;
}

/** Running, reachable, ready nodes that are not the primary. */
export const readyMembers = (twin: Twin) =>
  twin.world
    .region(regionOf(twin))
    .ec2.instances()
    .filter((i) => i.state === 'running' && i.reachable && i.node.ready() && !i.node.isPrimary())
    .map((i) => i.id);

export const pausedPrimaryCrash: Scenario = {
  name: 'paused-primary-crash',
  title: 'Automation paused, the primary dies: the control plane changes nothing and says so once',
  description:
    "automation.enabled is false. The primary's host dies. The primary-unhealthy alarm fires and Auto Scaling replaces the instance; node-drain still answers the terminate hook and node-bootstrap the launch hook (lifecycle actions answer Auto Scaling, they are not remediation), so the replacement joins with its group's role as the seed deployment would. Dispatch and the sweep start no failover; node-drain's handover run observes and reports without the cluster lock. For an hour no scaling process, group or instance is changed by the control plane, no member's role changes, and the operator gets exactly one notice.",
  configure: paused,
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    const ec2 = twin.world.region(regionOf(twin)).ec2;
    const old = thePrimary(twin);
    const members = readyMembers(twin);
    say(`automation is paused; the host of the primary ${old} dies`);
    const watch = mark(twin);
    const at = watch.at;
    ec2.crash(old);
    const back = await twin.run(WATCH_MS, () => readyPrimaries(twin).some((p) => p !== old));
    const gap = twin.world.clock.now() - at;
    await twin.run(at + WATCH_MS - twin.world.clock.now());
    const runs = expectNothingAutomatic(twin, watch);
    expectOncePerIncident(twin, at);
    const told = incidentNotices(twin, at);
    expectThat(
      told.length === 1,
      `the operator was told exactly once (got ${told.length}: ${told.map((m) => m.subject).join(' | ')})`,
    );
    // Auto Scaling's own replacement, answered by node-bootstrap, is what brings a primary back.
    const primary = readyPrimaries(twin);
    expectThat(
      back && primary.length === 1 && primary[0] !== old && !members.includes(primary[0] as string),
      `the primary is Auto Scaling's replacement (got ${primary.join(', ') || 'none'})`,
    );
    await twin.runUntil(() => settled(twin), 30 * MINUTE, 'every run ending');
    say(
      `an hour later: ${runs.length} automatic run(s) observed only, nothing changed by the control plane, one notice; Auto Scaling's replacement ${primary[0]} became the primary ${minutes(gap)} after the crash`,
    );
    return {
      'automatic runs (observe only)': runs.length,
      notices: told.length,
      "time without a ready primary (Auto Scaling's replacement)": minutes(gap),
      gapMs: gap,
    };
  },
};

/**
 * Where the operator's election dies: after Launch was suspended and the old primary stopped (the twin's
 * clock may carry it a little further, into the candidate's promotion).
 */
const CRASH_AT = 'PickCandidate';

export const pausedLeftovers: Scenario = {
  name: 'paused-leftovers',
  title: 'Automation paused, an election died mid-way: its leftovers stay untouched, reported once',
  description: `automation.enabled is false. An operator's manual election (allowed while paused) dies at ${CRASH_AT}: Launch is suspended on the primary group and the old primary stopped; no primary serves from the primary group. For an hour the automatic paths (the alarm, node-drain's handover run, the sweep's census) change nothing: Launch stays suspended, nothing takes the cluster lock, no group, process or node role is changed; the operator is told once that the primary group has no primary and once that Launch was left suspended. The operator's next manual run takes the dead run's lock over, resumes Launch, elects (or adopts the node the dead run promoted) and moves it into the primary group.`,
  configure: paused,
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    const cluster = twin.world.config.cluster.name;
    const region = regionOf(twin);
    const asg = twin.world.region(region).autoscaling;
    const { primaryGroup } = layoutOf(twin);
    const old = thePrimary(twin);
    await launchFailover(twin, 'manual-interrupted', {
      cluster,
      region,
      reason: 'maintenance of the primary host',
    });
    const dying = () => failovers(twin).find((e) => e.name === 'manual-interrupted') as ExecutionRecord;
    await twin.runUntil(() => entered(dying(), CRASH_AT), 20 * MINUTE, `the election reaching ${CRASH_AT}`);
    await twin.world.call(region, 'sfn', 'StopExecution', {
      executionArn: dying().executionArn,
      error: 'Crashed',
      cause: 'scene: the execution dies',
    });
    const watch = mark(twin);
    const at = watch.at;
    expectThat(asg.isSuspended(primaryGroup, 'Launch'), 'the dead run left Launch suspended');
    say(`the operator's election dies at ${CRASH_AT}: ${old} stopped, Launch suspended on ${primaryGroup}`);
    let resumedAt: number | undefined;
    await twin.run(WATCH_MS, () => {
      if (!asg.isSuspended(primaryGroup, 'Launch')) resumedAt ??= twin.world.clock.now();
      return resumedAt !== undefined;
    });
    expectThat(
      resumedAt === undefined,
      `Launch stays suspended while paused (resumed ${minutes((resumedAt ?? at) - at)} after the crash)`,
    );
    const runs = expectNothingAutomatic(twin, watch);
    // The stopped run never reached its report: its status event (ABORTED) tells its end, once.
    const ended = twin.world
      .region(region)
      .sns.messages.filter(
        (m) => m.at >= at && isRunEndNotice(m) && m.message.includes('manual-interrupted'),
      );
    expectThat(ended.length === 1, `the dead run's end is told once by its status event (${ended.length})`);
    const incidents = expectOncePerIncident(twin, at);
    const told = incidentNotices(twin, at);
    const aboutLeftovers = told.filter(
      (m) => incidentOf(twin, m) === 'suspended-processes' && m.message.includes(`Launch on ${primaryGroup}`),
    );
    expectThat(
      aboutLeftovers.length === 1,
      `the operator was told once that Launch was left suspended (got ${told.map((m) => m.subject).join(' | ')})`,
    );
    expectThat(
      incidents.get('no-primary') === 1,
      `the operator was told once that the primary group has no primary (got ${told.map((m) => m.subject).join(' | ')})`,
    );
    say(
      `an hour later: Launch still suspended, ${runs.length} automatic run(s) observed only, ${told.length} notices (${[...incidents.keys()].join(', ')})`,
    );
    const recover = await startFailover(twin, 'manual-recover', {
      cluster,
      region,
      reason: 'the previous run died while automation is paused; converge',
    });
    expectThat(
      endedAs(recover, 'succeeded'),
      `the operator's run recovered (${recover.status} ${recover.error ?? ''} ${recover.cause?.slice(0, 200) ?? ''})`,
    );
    await twin.runUntil(
      () => recovered(twin) && settled(twin),
      60 * MINUTE,
      'the primary group holding the new primary',
    );
    expectCleanEnd(twin);
    say(`the operator's run resumed Launch and elected ${thePrimary(twin)}`);
    return { 'automatic runs (observe only)': runs.length, notices: told.length };
  },
};

export const AUTOMATION_PAUSED_SCENARIOS: readonly Scenario[] = [pausedPrimaryCrash, pausedLeftovers];
