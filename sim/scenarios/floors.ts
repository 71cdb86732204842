/**
 * Each scene's key window and its physical floor (issue 12): the one place the floor formulas live. A floor is
 * the least time the thing measured could take given the twin's timings for the seed (per-seed draws: EC2
 * boot, SSM Agent registration, Artifactory start and stop; fixed settings: the ALB's health-check interval
 * and thresholds, the target group's deregistration delay), never the measured window
 * itself. A window ≥ its floor by construction; the ratio says how much the control plane adds.
 *
 * The kinds (docs/twin.md, "Windows and floors"):
 * - `primary-loss` (an unplanned loss: crash, AZ, lost signals): window = the time without a ready primary
 *   (the invariants' primary gaps, summed); floor per gap = ALB detection (UnhealthyThresholdCount checks
 *   after the gap opens) + the boot of the node that closed the gap if it was launched inside it + that node's Artifactory stop and start as drawn.
 * - `primary-handover` (planned: an operator's run, a primary scaled in, a primary the ALB alone rejects): the
 *   same window, which opens when the old primary's graceful stop begins; floor per gap = the rest of that stop
 *   (fencing: the old primary is stopped before the promotion) + the closing node's stop and start (no
 *   detection, no confirmation).
 * - `node-join`: window = the first launch of the scene's joins to the last joined node InService; floor =
 *   the first node's boot and SSM registration + every joined node's Artifactory start (JFrog: nodes start
 *   one at a time) + the wait for the ALB's first check of the last target registered (a target registered once
 *   its node is ready is healthy after one passing check).
 * - `node-drain`: window = Auto Scaling starting to terminate a member to its node-drain run ending; floor =
 *   the target group's deregistration delay (as the ALB drained it) + the node's graceful stop as drawn.
 * - `task-nodes` (cloud-native): window = the run's start to the restarted node's readiness; floor = that
 *   node's stop and start (node commands wait on SSM's status event: no poll).
 */
import type { PrimaryGap } from '../core/invariants';
import type { TimelineEntry } from '../core/timeline';
import type { Elbv2Sim } from '../services/elbv2';
import type { Twin } from '../twin';
import { expectThat } from './types';

export type WindowKind = 'primary-loss' | 'primary-handover' | 'node-join' | 'node-drain' | 'task-nodes';

/** Which window each scene is judged by; a scene not listed has no meaningful one ("—"). */
export const SCENE_WINDOWS: Readonly<Record<string, WindowKind>> = {
  'primary-crash': 'primary-loss',
  'primary-az-loss': 'primary-loss',
  'primary-candidate-fails': 'primary-loss',
  'primary-crash-asg-only': 'primary-loss',
  'primary-crash-dynamodb-throttled': 'primary-loss',
  'primary-crash-lambda-errors': 'primary-loss',
  'primary-crash-lambda-timeout': 'primary-loss',
  'primary-crash-events-lost': 'primary-loss',
  'primary-promotion-hangs': 'primary-loss',
  'primary-candidate-half-promoted': 'primary-loss',
  'primary-slow-election': 'primary-loss',
  'primary-flapping': 'primary-loss',
  'promotion-during-join': 'primary-loss',
  'paused-primary-crash': 'primary-loss',
  'primary-superseded-promotion': 'primary-handover',
  'primary-partitioned': 'primary-loss',
  'primary-scale-in': 'primary-handover',
  'primary-manual': 'primary-handover',
  'primary-election-crash': 'primary-handover',
  'alb-rejects-ready-primary': 'primary-handover',
  'scale-out': 'node-join',
  'ssm-fails-once': 'node-join',
  'lost-launch-event': 'node-join',
  'duplicated-event': 'node-join',
  'throttled-scale-out': 'node-join',
  'boot-never-ready': 'node-join',
  'slow-ssm-bootstrap': 'node-join',
  'foreign-launch-hook': 'node-join',
  'alb-passes-unready-node': 'node-join',
  'scale-in': 'node-drain',
  'primary-cloud-native': 'task-nodes',
};

/** A scene's key window against its floor; `parts` names the floor's terms with their values (ms). */
export interface KeyWindow {
  readonly kind: WindowKind;
  /** What the window measures, e.g. "no ready primary". */
  readonly label: string;
  readonly windowMs: number;
  readonly floorMs: number;
  readonly parts: Readonly<Record<string, number>>;
}

const regionOf = (twin: Twin) => twin.world.regionNames[0] as string;

/**
 * When the ALB has seen UnhealthyThresholdCount failed checks after `at` (its checks run on a fixed schedule
 * from the target group's creation).
 */
export function albDetection(twin: Twin, at: number): { detectionMs: number } {
  const region = regionOf(twin);
  const tg = twin.layout.regions.get(region)?.targetGroupArn as string;
  const checks = (twin.world.region(region).services.elbv2 as Elbv2Sim).healthChecksAfter(tg, at, 10);
  return { detectionMs: (checks.times[checks.unhealthyThreshold - 1] as number) - at };
}

/** The last start drawn for `instanceId` in [from, until] and the stop drawn just before it (if any). */
export function restartIn(
  twin: Twin,
  instanceId: string,
  from: number,
  until: number,
): { startMs: number; stopMs: number } | undefined {
  const drawn = (twin.world.region(regionOf(twin)).ec2.instance(instanceId)?.node.drawnTimings ?? []).filter(
    (t) => t.at >= from && t.at <= until,
  );
  const start = drawn.filter((t) => t.kind === 'start').at(-1);
  if (!start) return undefined;
  const stop = drawn.filter((t) => t.kind === 'stop' && t.at <= start.at).at(-1);
  return { startMs: start.ms, stopMs: stop?.ms ?? 0 };
}

/**
 * The least time a ready primary can take to come back after the primary's host died at `crashedAt` (the
 * `primary-loss` floor, as the crash scenes assert it at the moment of recovery): the ALB's health checks must
 * fail UnhealthyThresholdCount times in a row before anything can notice; the promoted member restarts as the primary
 * (its graceful stop and its start to readiness, as drawn). SSM delivery, event latency and the Lambdas add to
 * it, hence a ratio above 1.
 */
export function crashFloor(
  twin: Twin,
  crashedAt: number,
  promoted: string,
): { floorMs: number; detectionMs: number; restartMs: number } {
  const { detectionMs } = albDetection(twin, crashedAt);
  const restart = restartIn(twin, promoted, crashedAt, twin.world.clock.now());
  expectThat(restart !== undefined, `${promoted} was restarted as the primary after the crash`);
  const restartMs = (restart?.stopMs ?? 0) + (restart?.startMs ?? 0);
  return { floorMs: detectionMs + restartMs, detectionMs, restartMs };
}

const asgEntries = (twin: Twin, pattern: RegExp): TimelineEntry[] =>
  twin.world.timeline.entries.filter(
    (e) => e.source === 'asg' && e.region === regionOf(twin) && pattern.test(e.message),
  );

const ec2At = (twin: Twin, id: string, pattern: RegExp): number | undefined =>
  twin.world.timeline.entries.find(
    (e) => e.source === 'ec2' && e.message.startsWith(`${id}`) && pattern.test(e.message),
  )?.at;

/** The node whose drawn start made it ready at the gap's end (the one that closed the gap). */
function closerOf(twin: Twin, gap: PrimaryGap): string | undefined {
  if (gap.end === undefined) return undefined;
  const end = gap.end;
  let best: { id: string; readyAt: number } | undefined;
  for (const i of twin.world.region(regionOf(twin)).ec2.instances()) {
    for (const t of i.node.drawnTimings) {
      const readyAt = t.at + t.ms;
      if (t.kind === 'start' && t.at >= gap.start && readyAt <= end && (!best || readyAt > best.readyAt))
        best = { id: i.id, readyAt };
    }
  }
  return best?.id;
}

/** The rest of a graceful stop under way at `at` on a node other than `except` (the old primary's). */
function stopUnderway(twin: Twin, at: number, except: string | undefined): number {
  let rest = 0;
  for (const i of twin.world.region(regionOf(twin)).ec2.instances()) {
    if (i.id === except) continue;
    for (const t of i.node.drawnTimings)
      if (t.kind === 'stop' && t.at <= at && t.at + t.ms > at) rest = Math.max(rest, t.at + t.ms - at);
  }
  return rest;
}

function primaryWindow(twin: Twin, planned: boolean): KeyWindow {
  const region = regionOf(twin);
  const now = twin.world.clock.now();
  const gaps = twin.invariants.primaryGaps.filter((g) => g.region === region);
  const parts: Record<string, number> = {};
  const add = (k: string, ms: number) => {
    parts[k] = (parts[k] ?? 0) + ms;
  };
  for (const gap of gaps) {
    const closer = closerOf(twin, gap);
    if (planned) add('old primary stop', stopUnderway(twin, gap.start, closer));
    else {
      add('ALB detection', albDetection(twin, gap.start).detectionMs);
    }
    if (closer === undefined) continue;
    const launched = ec2At(twin, closer, / launched /);
    const running = ec2At(twin, closer, /pending → running/);
    if (launched !== undefined && running !== undefined && launched >= gap.start)
      add('boot', running - launched);
    const restart = restartIn(twin, closer, gap.start, gap.end ?? now);
    add('stop', restart?.stopMs ?? 0);
    add('start', restart?.startMs ?? 0);
  }
  return {
    kind: planned ? 'primary-handover' : 'primary-loss',
    label: 'no ready primary',
    windowMs: gaps.reduce((t, g) => t + ((g.end ?? now) - g.start), 0),
    floorMs: sum(parts),
    parts,
  };
}

/**
 * The wait for the ALB's first check of the last joined target after its registration: a target registered
 * once its node is ready is healthy after that one passing check (ALB User Guide, "Health checks for your
 * target groups": "After your target is registered, it must pass one health check to be considered healthy").
 */
function firstCheckAfterRegistration(twin: Twin, joined: readonly string[]): number {
  const region = regionOf(twin);
  const registeredAt = twin.world.timeline.entries
    .filter((e) => e.source === 'elb' && joined.some((id) => e.message.startsWith(`${id} registered with `)))
    .map((e) => e.at);
  if (registeredAt.length === 0) return 0;
  const last = Math.max(...registeredAt);
  const tg = twin.layout.regions.get(region)?.targetGroupArn as string;
  const checks = (twin.world.region(region).services.elbv2 as Elbv2Sim).healthChecksAfter(tg, last, 1);
  return Math.max(0, (checks.times[0] ?? last) - last);
}

function joinWindow(twin: Twin): KeyWindow | undefined {
  const launches = asgEntries(twin, /: launching i-/);
  const inService = asgEntries(twin, / InService$/);
  const ids = launches.map((e) => /launching (i-[0-9a-f]+)/.exec(e.message)?.[1] as string);
  const joined = ids.filter((id) => inService.some((e) => e.message.endsWith(`${id} InService`)));
  const first = launches[0];
  if (!first || joined.length === 0) return undefined;
  const firstId = ids[0] as string;
  const r = twin.world.region(regionOf(twin));
  const running = ec2At(twin, firstId, /pending → running/);
  const registered = twin.world.timeline.entries.find(
    (e) => e.source === 'ssm' && e.message === `${firstId} registered as a managed node`,
  )?.at;
  const end = Math.max(
    ...inService.filter((e) => joined.some((id) => e.message.endsWith(`${id} InService`))).map((e) => e.at),
  );
  const starts = joined.map(
    (id) =>
      r.ec2
        .instance(id)
        ?.node.drawnTimings.filter((t) => t.kind === 'start')
        .at(-1)?.ms ?? 0,
  );
  const parts = {
    boot: (running ?? first.at) - first.at,
    'SSM registration': registered !== undefined && running !== undefined ? registered - running : 0,
    [`start × ${joined.length}`]: starts.reduce((a, b) => a + b, 0),
    'ALB first check': firstCheckAfterRegistration(twin, joined),
  };
  return {
    kind: 'node-join',
    label: 'launch → in service',
    windowMs: end - first.at,
    floorMs: sum(parts),
    parts,
  };
}

function drainWindow(twin: Twin): KeyWindow | undefined {
  const drain = twin.world.executions.find((e) => e.stateMachine === 'node-drain' && e.stoppedAt);
  if (!drain) return undefined;
  const id = String((drain.input as { instanceId?: string }).instanceId ?? '');
  const from = asgEntries(twin, new RegExp(`terminating ${id}`)).at(-1)?.at ?? drain.startedAt;
  const elb = twin.world.timeline.entries.filter((e) => e.source === 'elb' && e.message.startsWith(`${id} `));
  const deregistered = elb.find((e) => /-> draining/.test(e.message))?.at;
  const drained = elb.find((e) => /draining done/.test(e.message))?.at;
  const stop = (twin.world.region(regionOf(twin)).ec2.instance(id)?.node.drawnTimings ?? [])
    .filter((t) => t.kind === 'stop' && t.at >= from)
    .at(-1);
  const parts = {
    'deregistration delay': deregistered !== undefined && drained !== undefined ? drained - deregistered : 0,
    stop: stop?.ms ?? 0,
  };
  return {
    kind: 'node-drain',
    label: 'terminate → drained',
    windowMs: (drain.stoppedAt as number) - from,
    floorMs: sum(parts),
    parts,
  };
}

function taskNodeWindow(twin: Twin): KeyWindow | undefined {
  const run = twin.world.executions.find((e) => e.stateMachine === 'primary-failover' && !e.parentArn);
  if (!run) return undefined;
  const until = run.stoppedAt ?? twin.world.clock.now();
  let ready: { id: string; at: number; ms: number } | undefined;
  for (const i of twin.world.region(regionOf(twin)).ec2.instances()) {
    for (const t of i.node.drawnTimings)
      if (t.kind === 'start' && t.at >= run.startedAt && t.at + t.ms <= until) ready = { id: i.id, ...t };
  }
  if (!ready) return undefined;
  const restart = restartIn(twin, ready.id, run.startedAt, until);
  const parts = { stop: restart?.stopMs ?? 0, start: ready.ms };
  return {
    kind: 'task-nodes',
    label: 'run → task node ready',
    windowMs: ready.at + ready.ms - run.startedAt,
    floorMs: sum(parts),
    parts,
  };
}

const sum = (parts: Readonly<Record<string, number>>) => Object.values(parts).reduce((a, b) => a + b, 0);

/** The scene's key window and floor from the finished twin, or undefined when it has none (shown "—"). */
export function keyWindowOf(scene: string, twin: Twin): KeyWindow | undefined {
  switch (SCENE_WINDOWS[scene]) {
    case 'primary-loss':
      return primaryWindow(twin, false);
    case 'primary-handover':
      return primaryWindow(twin, true);
    case 'node-join':
      return joinWindow(twin);
    case 'node-drain':
      return drainWindow(twin);
    case 'task-nodes':
      return taskNodeWindow(twin);
    default:
      return undefined;
  }
}
