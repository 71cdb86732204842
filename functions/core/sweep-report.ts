/**
 * What the sweep reports each run besides its remediation (issue 15): the `sweep census` line the dashboard's
 * log widget reads (primary, epoch, nodes by group, role and readiness, the gate, the pause), and the runs that
 * are overdue (running longer than their workflow's bound: a run stuck on a lost callback shows here long before
 * its state machine's TimeoutSeconds).
 */
import type { ClusterState } from './failover';
import type { GateRecord } from './failover-gate';

/** One group as the sweep saw it: its instances' lifecycle state and health. */
export interface GroupView {
  readonly name: string;
  readonly role: 'primary' | 'member';
  readonly instances: readonly {
    readonly state?: string | undefined;
    readonly health?: string | undefined;
  }[];
}

/** The `census` field of the `sweep census` log line (docs/operations.md reads it). */
export interface SweepCensus {
  readonly primary: string;
  readonly epoch: number;
  readonly taskNodes: number;
  readonly nodes: string;
  readonly nodesReady: number;
  readonly nodesNotReady: number;
  readonly gate: string;
  readonly paused: boolean;
  readonly pauseReason: string;
}

/** Ready = in service and healthy by Auto Scaling (what the ALB and the watch then confirm). */
const ready = (i: GroupView['instances'][number]) => i.state === 'InService' && i.health === 'Healthy';

const utcDay = (at: number) => new Date(at).toISOString().slice(0, 10);

/**
 * The census line. `primary`: the recorded primary (legacy mode) or `none`; `taskNodes`: cloud-native mode's
 * ready nodes (node-bootstrap gives every node `taskAffinity: any`), 0 in legacy mode; `gate`: the primary
 * election's cooldown and the day's budget left.
 */
export function sweepCensus(c: {
  readonly mode: 'legacy-primary' | 'cloud-native';
  readonly state: ClusterState | undefined;
  readonly groups: readonly GroupView[];
  readonly gate: GateRecord | undefined;
  readonly cooldownMinutes: number;
  readonly dailyBudget: number;
  readonly now: number;
  readonly paused: boolean;
  readonly pauseReason: string;
}): SweepCensus {
  const parts: string[] = [];
  let nodesReady = 0;
  let nodesNotReady = 0;
  for (const g of c.groups) {
    const r = g.instances.filter(ready).length;
    const n = g.instances.length - r;
    nodesReady += r;
    nodesNotReady += n;
    if (r > 0 || n === 0) parts.push(`${g.name} ${g.role} ready ${r}`);
    if (n > 0) parts.push(`${g.name} ${g.role} not ready ${n}`);
  }
  const last = c.gate?.lastElectionAt;
  const until = last === undefined ? undefined : last + c.cooldownMinutes * 60_000;
  const used = c.gate?.day === utcDay(c.now) ? (c.gate.count ?? 0) : 0;
  const cooldown =
    until !== undefined && until > c.now ? `cooldown until ${new Date(until).toISOString()}` : 'none';
  return {
    primary: c.mode === 'legacy-primary' ? (c.state?.primary ?? 'none') : 'none',
    epoch: c.state?.epoch ?? 0,
    taskNodes: c.mode === 'cloud-native' ? nodesReady : 0,
    nodes: parts.join('; '),
    nodesReady,
    nodesNotReady,
    gate: `${cooldown}; budget left ${Math.max(0, c.dailyBudget - used)}`,
    paused: c.paused,
    pauseReason: c.paused ? c.pauseReason : '',
  };
}

/** One workflow's bound, as `RUN_BOUNDS` lists it (infra/operations.ts `runBounds`). */
export interface RunBound {
  readonly workflow: string;
  readonly arn: string;
  readonly root: boolean;
  readonly boundSeconds: number;
}

/** A running execution as ListExecutions returns it. */
export interface RunningExecution {
  readonly name: string;
  readonly startedAt: number;
}

/** An overdue run: its workflow, its name and how long it has been running. */
export interface OverdueRun {
  readonly workflow: string;
  readonly execution: string;
  readonly runningSeconds: number;
  readonly boundSeconds: number;
}

/** The runs of one workflow running longer than its bound (strictly), oldest first. */
export function overdueRuns(
  bound: RunBound,
  running: readonly RunningExecution[],
  now: number,
): OverdueRun[] {
  return running
    .map((e) => ({
      workflow: bound.workflow,
      execution: e.name,
      runningSeconds: Math.floor((now - e.startedAt) / 1000),
      boundSeconds: bound.boundSeconds,
    }))
    .filter((r) => r.runningSeconds > bound.boundSeconds)
    .sort((a, b) => b.runningSeconds - a.runningSeconds);
}
