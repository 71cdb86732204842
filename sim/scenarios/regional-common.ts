/**
 * What the regional-failover scenes share (issue 14, rf-contract §6): starting regional-failover in a region,
 * reading its plan and outcome, watching DNS, the switch copies and the client population on the virtual clock,
 * and the floors the scenes bound their windows by.
 *
 * A floor is computed from the deployment's settings and the twin's documented timings (Route 53's checkers,
 * the alarms' periods, the record's TTL), never from the measured window (sim/scenarios/floors.ts).
 */
import {
  fixedStateMachineName,
  regionDegradedAlarmName,
  switchAlarmName,
  switchCopyRegions,
} from '../../infra/stacks/names';
import type { ExecutionRecord } from '../core/world';
import type { Twin } from '../twin';
import { clientsOf, stopClients } from './regional-twin';
import { expectThat, MINUTE } from './types';

export const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/** The fixed name of regional-failover (every region can address every other region's). */
export const regionalMachine = (twin: Twin) => fixedStateMachineName(twin.world.config, 'regional-failover');

/** The parent regional-failover runs (not their children), in start order. */
export const regionalRuns = (twin: Twin): ExecutionRecord[] =>
  twin.world.executions.filter((e) => e.stateMachine === regionalMachine(twin) && !e.parentArn);

export const recordName = (twin: Twin) => twin.world.config.routing.recordName;

/** Regions Route 53 considers healthy for the record now (what it answers with, unless it fails open). */
export const servingNow = (twin: Twin): string[] => twin.world.route53.servingRegions(recordName(twin));

export interface RegionalInput {
  readonly action: 'evacuate' | 'restore';
  readonly region: string;
  readonly reason: string;
  readonly trigger?: 'manual' | 'automatic' | 'drill';
  readonly force?: boolean;
  readonly dryRun?: boolean;
  readonly canary?: boolean;
  readonly requestedBy?: string;
}

/** Starts regional-failover in `from` (an operator's StartExecution there); returns the execution's name. */
export async function launchRegional(
  twin: Twin,
  from: string,
  name: string,
  input: RegionalInput,
): Promise<string> {
  await twin.world.call(from, 'sfn', 'StartExecution', {
    stateMachineArn: twin.sfnIn(from).arnOf(regionalMachine(twin)),
    name,
    input: JSON.stringify({ trigger: 'manual', requestedBy: 'scene-operator', ...input }),
  });
  return name;
}

/** The parent run named `name` once it has ended (throws if it does not end within `withinMs`). */
export async function awaitRun(twin: Twin, name: string, withinMs: number): Promise<ExecutionRecord> {
  const find = () => regionalRuns(twin).find((e) => e.name === name);
  await twin.runUntil(
    () => find()?.status !== undefined && find()?.status !== 'RUNNING',
    withinMs,
    `${name} ending`,
  );
  return find() as ExecutionRecord;
}

/** Starts regional-failover in `from` and waits for it to end. */
export async function runRegional(
  twin: Twin,
  from: string,
  name: string,
  input: RegionalInput,
  withinMs = 20 * MINUTE,
): Promise<ExecutionRecord> {
  await launchRegional(twin, from, name, input);
  return awaitRun(twin, name, withinMs);
}

/** The plan (routing Lambda `plan` op, rf-contract §2) as a run's history shows it. */
export interface Plan {
  readonly action: string;
  readonly region: string;
  readonly verdict: 'go' | 'refused' | 'nothing-to-do' | 'wait';
  readonly reasons: readonly string[];
  readonly breakGlass: boolean;
  readonly checks: readonly { name: string; region?: string; ok: boolean; detail: string }[];
  readonly serving: Readonly<Record<string, string>>;
  readonly servingAfter: number;
  readonly expected: { exclusionSeconds: number; floorSeconds: number; explanation: string };
  readonly summary: string;
  readonly dryRun?: boolean;
}

const isPlan = (x: unknown): x is Plan =>
  typeof x === 'object' &&
  x !== null &&
  typeof (x as Plan).verdict === 'string' &&
  Array.isArray((x as Plan).checks) &&
  typeof (x as Plan).expected === 'object';

/** Every plan object found in `value` (depth-first). */
function plansIn(value: unknown, out: Plan[], depth = 0): void {
  if (depth > 12 || typeof value !== 'object' || value === null) return;
  if (isPlan(value)) {
    out.push(value);
    return;
  }
  for (const v of Object.values(value)) plansIn(v, out, depth + 1);
}

/** The last plan the run (or one of its children) made: its history's latest object shaped as a plan. */
export function planOf(e: ExecutionRecord): Plan | undefined {
  const found: Plan[] = [];
  for (const h of e.history) plansIn(h.data, found);
  plansIn(e.output, found);
  return found.at(-1);
}

/** The run's plan, which must exist. */
export function thePlan(e: ExecutionRecord): Plan {
  const p = planOf(e);
  expectThat(p !== undefined, `${e.name} made a plan (its history shows one)`);
  return p as Plan;
}

/** The run entered `state`, itself or in a child (at any depth). */
export const enteredState = (e: ExecutionRecord, state: string | RegExp): boolean =>
  e.history.some(
    (h) =>
      h.type === 'StateEntered' &&
      h.state !== undefined &&
      (typeof state === 'string' ? h.state === state : state.test(h.state)),
  ) || (e.children ?? []).some((c) => enteredState(c, state));

/** Everything a run and its children recorded (errors, causes, outputs), as text: where an inner error shows. */
export const runText = (e: ExecutionRecord): string =>
  [
    e.error,
    e.cause,
    JSON.stringify(e.output ?? ''),
    JSON.stringify(e.history),
    ...(e.children ?? []).map(runText),
  ].join('\n');

/** The switch copies of `region`'s switch: the alarm's state in every copy region. */
export function switchCopies(twin: Twin, region: string): Record<string, string | undefined> {
  const name = switchAlarmName(twin.world.config, region);
  const out: Record<string, string | undefined> = {};
  for (const copy of switchCopyRegions(twin.world.config))
    out[copy] = twin.world.region(copy).cloudwatch.alarmState(name);
  return out;
}

/**
 * Our switch has `region` out (a copy in ALARM, or its switch check inverted): Route 53 would exclude it even
 * with its endpoint check healthy (the twin's `switchedOff`).
 */
export const switchedOut = (twin: Twin, region: string): boolean =>
  twin.world.route53.switchedOff(recordName(twin)).includes(region);

/** `region`'s degraded alarm (in the region itself). */
export const degradedState = (twin: Twin, region: string) =>
  twin.world.region(region).cloudwatch.alarmState(regionDegradedAlarmName(twin.world.config, region));

/** When, after `since`, an alarm `name` in `region` moved to `state` (from the twin's timeline). */
export function alarmMovedAt(
  twin: Twin,
  region: string,
  name: string,
  state: string,
  since: number,
): number | undefined {
  return twin.world.timeline.entries.find(
    (e) =>
      e.at >= since &&
      e.region === region &&
      e.source === 'cw' &&
      e.message.startsWith(`alarm ${name}: `) &&
      e.message.endsWith(`-> ${state}`),
  )?.at;
}

/**
 * Switch flips of `region` as the copies show them: each time the switch went from in to out (some copy to
 * ALARM while none was) or back (the last copy leaving ALARM), from the timeline's alarm transitions.
 */
export function switchFlips(twin: Twin, region: string): { at: number; out: boolean }[] {
  const name = switchAlarmName(twin.world.config, region);
  const state = new Map<string, string>();
  const flips: { at: number; out: boolean }[] = [];
  let out = false;
  for (const e of twin.world.timeline.entries) {
    if (e.source !== 'cw' || !e.message.startsWith(`alarm ${name}: `)) continue;
    const to = e.message.split('-> ')[1] ?? '';
    state.set(e.region, to);
    const nowOut = [...state.values()].some((s) => s === 'ALARM');
    if (nowOut !== out) {
      flips.push({ at: e.at, out: nowOut });
      out = nowOut;
    }
  }
  return flips;
}

/**
 * A sampler on the virtual clock: every `everyMs` it notes which regions serve the record and which of them
 * our switch has out. Scenes read windows from it (its resolution is `everyMs`).
 */
export class RoutingWatch {
  readonly samples: { at: number; serving: string[]; switchedOut: string[]; failOpen: boolean }[] = [];
  private readonly cancel: () => void;

  constructor(
    private readonly twin: Twin,
    everyMs = 5_000,
  ) {
    clientsOf(twin);
    const sample = () => {
      const serving = servingNow(twin);
      const out = twin.world.regionNames.filter((r) => switchedOut(twin, r));
      this.samples.push({
        at: twin.world.clock.now(),
        serving,
        switchedOut: out,
        failOpen: serving.length === 0,
      });
    };
    sample();
    this.cancel = twin.world.clock.every(everyMs, sample);
  }

  /** The first sample at or after `since` where `predicate` holds. */
  firstAfter(since: number, predicate: (s: RoutingWatch['samples'][number]) => boolean): number | undefined {
    return this.samples.find((s) => s.at >= since && predicate(s))?.at;
  }

  /** The fewest regions serving in any sample since `since` (fail-open counts as 0). */
  fewestServing(since = 0): number {
    return Math.min(...this.samples.filter((s) => s.at >= since).map((s) => s.serving.length));
  }

  /** Stops sampling and the clients. */
  stop(): void {
    this.cancel();
    stopClients(this.twin);
  }
}

/**
 * Lets the world settle and every region evaluate its readiness (what the hourly schedule has done before on a
 * deployed control plane: a plan reads the receiving regions' last evaluation), then returns the time (scenes
 * start their faults after it).
 */
export async function settle(twin: Twin, ms = 3 * MINUTE): Promise<number> {
  await twin.run(ms);
  for (const region of twin.world.regionNames) await runReadiness(twin, region);
  const all = twin.world.regionNames;
  expectThat(
    servingNow(twin).length === all.length,
    `every region serves before the scene (serving: ${servingNow(twin).join(', ') || 'none'})`,
  );
  return twin.world.clock.now();
}

/** Runs the readiness evaluation of `region` (what its schedule starts) and waits for it. */
export async function runReadiness(twin: Twin, region: string): Promise<void> {
  const name = `readiness-${twin.world.clock.now()}`;
  await twin.world.call(region, 'sfn', 'StartExecution', {
    stateMachineArn: twin.sfnIn(region).arnOf('regional-readiness'),
    name,
    input: '{}',
  });
  await twin.runUntil(
    () => twin.world.executions.some((e) => e.name === name && e.status !== 'RUNNING'),
    15 * MINUTE,
    `the readiness evaluation of ${region}`,
  );
  const run = twin.world.executions.find((e) => e.name === name);
  expectThat(
    run?.status === 'SUCCEEDED',
    `the readiness evaluation of ${region} succeeded (${run?.status} ${run?.error ?? ''}: ${run?.cause ?? ''})`,
  );
}
