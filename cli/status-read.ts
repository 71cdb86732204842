/**
 * What `hactl status` reads (reads only): per region the switch (alarm and routing record), the cluster's
 * STATE, nodes (NODE# + Auto Scaling + target health), locks, gates, the pause and the last run of each root
 * workflow. A region that cannot be read is reported with its error; if none can, the first error is thrown.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  clusterPk,
  gateSk,
  instanceOfNodeSk,
  lockSk,
  NODE_SK_PREFIX,
  pauseKey,
  routingGateKey,
  stateKey,
  switchKey,
} from '../functions/core/keys';
import { WORKFLOW_NAMES, WORKFLOW_RUNS } from '../infra/operations';
import { switchAlarmName } from '../infra/stacks/names';
import type { BackendClients } from './backend';
import { runsSince } from './commands/runs';
import type { CliContext } from './context';
import { CliError } from './errors';
import { EXIT } from './exit-codes';
import { callOperation } from './ops';
import { isoTime } from './output';

export interface NodeStatus {
  instanceId: string;
  group: string;
  role: string;
  /** Auto Scaling lifecycle state and health, e.g. `InService/Healthy` */
  readiness: string;
  /** target health per target group (`healthy`, `unhealthy`, `draining`, … or `-` when not registered) */
  targetHealth: string;
  certExpiry: string | null;
}

/**
 * Whether a region serves, as Route 53 sees its switch: ALARM evacuates, OK serves. INSUFFICIENT_DATA is a switch
 * that never had data (the alarm ignores missing data, so it keeps its last state once it had one) and Route 53's
 * copy check counts it healthy (LastKnownStatus; a new check is healthy): serving, unless the routing table
 * records the region switched off. A missing alarm is unknown.
 */
export function servingOf(
  alarmState: string | undefined,
  recorded: unknown,
): 'serving' | 'evacuated' | 'unknown' {
  if (alarmState === 'OK') return 'serving';
  if (alarmState === 'ALARM') return 'evacuated';
  if (alarmState === 'INSUFFICIENT_DATA') return recorded === false ? 'evacuated' : 'serving';
  return 'unknown';
}

export interface RegionStatus {
  region: string;
  stackName?: string;
  /** the switch alarm: OK serves, ALARM evacuated, no data yet serves unless recorded off ({@link servingOf}) */
  serving: 'serving' | 'evacuated' | 'unknown';
  switchAlarm: string;
  switchRecord: { serving?: boolean; changedAt?: string } | null;
  primary: string | null;
  epoch: number | null;
  phase: string | null;
  nodes: NodeStatus[];
  locks: { name: string; holder: string; expiresAt: string; expired: boolean }[];
  gates: {
    action: string;
    cooldownUntil: string | null;
    budgetLeft: number | null;
    lastAt: string | null;
  }[];
  pause: {
    paused: boolean | null;
    effective: boolean | 'unknown';
    actor?: string;
    reason?: string;
    source: string;
  };
  lastRuns: { workflow: string; name: string; status: string; startedAt: string; stoppedAt: string | null }[];
  error?: string;
}

export interface StatusDoc {
  cluster: string;
  at: string;
  regions: RegionStatus[];
}

type Item = Record<string, unknown>;

async function queryPrefix(c: BackendClients, table: string, pk: string, prefix: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  for (let page = 0; page < 20; page++) {
    const out = await c.dynamoDoc.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...((out.Items ?? []) as Item[]));
    start = out.LastEvaluatedKey;
    if (!start) break;
  }
  return items;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

async function nodesOf(ctx: CliContext, region: string, table: string): Promise<NodeStatus[]> {
  const c = ctx.backend.clients(region);
  const cluster = ctx.config.cluster.name;
  const rc = ctx.config.regions.find((r) => r.name === region);
  const records = await queryPrefix(c, table, clusterPk(cluster), NODE_SK_PREFIX);
  const byId = new Map<string, NodeStatus>();
  const node = (id: string): NodeStatus => {
    let n = byId.get(id);
    if (!n) {
      n = {
        instanceId: id,
        group: '-',
        role: '-',
        readiness: 'not in a group',
        targetHealth: '-',
        certExpiry: null,
      };
      byId.set(id, n);
    }
    return n;
  };
  for (const r of records) {
    const id = instanceOfNodeSk(String(r.sk ?? ''));
    if (!id) continue;
    const n = node(id);
    n.role = str(r.role) ?? '-';
    n.group = str(r.group) ?? '-';
    const notAfter = str((r.cert as Item | undefined)?.notAfter);
    n.certExpiry = notAfter === undefined ? null : isoTime(notAfter);
  }
  if (rc) {
    const groups = await c.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [rc.primaryAsgName, rc.memberAsgName] }),
    );
    for (const g of groups.AutoScalingGroups ?? []) {
      for (const i of g.Instances ?? []) {
        if (!i.InstanceId) continue;
        const n = node(i.InstanceId);
        n.group = g.AutoScalingGroupName ?? n.group;
        n.readiness = `${i.LifecycleState ?? '?'}/${i.HealthStatus ?? '?'}`;
      }
    }
    const health = new Map<string, string[]>();
    for (const tg of rc.targetGroupArns) {
      const out = await c.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }));
      for (const d of out.TargetHealthDescriptions ?? []) {
        const id = d.Target?.Id;
        if (!id) continue;
        health.set(id, [...(health.get(id) ?? []), d.TargetHealth?.State ?? '?']);
      }
    }
    for (const [id, states] of health) node(id).targetHealth = states.join(',');
  }
  return [...byId.values()].sort(
    (a, b) => a.group.localeCompare(b.group) || a.instanceId.localeCompare(b.instanceId),
  );
}

async function lastRuns(
  ctx: CliContext,
  region: string,
  arnOf: (w: string) => string,
): Promise<RegionStatus['lastRuns']> {
  const sfn = ctx.backend.clients(region).sfn;
  const out: RegionStatus['lastRuns'] = [];
  for (const workflow of WORKFLOW_NAMES.filter((w) => WORKFLOW_RUNS[w].root)) {
    const [last] = await runsSince(sfn, arnOf(workflow), 0, 1);
    if (!last) continue;
    out.push({
      workflow,
      name: last.name ?? '',
      status: last.status ?? 'UNKNOWN',
      startedAt: isoTime(last.startDate),
      stoppedAt: last.stopDate ? isoTime(last.stopDate) : null,
    });
  }
  return out;
}

interface PauseStatusAnswer {
  effective: boolean | 'unknown';
  majority: { paused?: boolean; actor?: string; reason?: string; error?: string };
}

async function pauseOf(ctx: CliContext, region: string): Promise<RegionStatus['pause']> {
  try {
    const s = await callOperation<PauseStatusAnswer>(ctx, region, { op: 'pause-status' });
    return {
      paused: s.majority.paused ?? null,
      effective: s.effective,
      ...(s.majority.actor ? { actor: s.majority.actor } : {}),
      ...(s.majority.reason ? { reason: s.majority.reason } : {}),
      source: 'pause-status',
    };
  } catch {
    // The operations Lambda did not answer: the local routing table's PAUSE copy (what this region's paths read).
    const out = await ctx.backend.clients(region).dynamoDoc.send(
      new GetCommand({
        TableName: (await ctx.backend.stack(region)).routingTable,
        Key: pauseKey(ctx.config.cluster.name),
      }),
    );
    const item = out.Item as Item | undefined;
    const paused = item?.paused === true;
    return { paused, effective: paused || !ctx.config.automation.enabled, source: 'routing table copy' };
  }
}

/** The cooldown of each gated action (config `automation.cooldownMinutes`). */
function cooldownMinutes(ctx: CliContext, action: string): number {
  const m = ctx.config.automation.cooldownMinutes;
  if (action === 'regional-failover') return m.regionalFailover;
  if (action === 'cert-rotation') return m.certRotation;
  return m.primaryFailover;
}

/** A gate item (GATE#<action>): its last automatic action (each writer names it its own way), cooldown, budget. */
function gateStatus(ctx: CliContext, g: Item, now: number): RegionStatus['gates'][number] {
  const action = String(g.sk).slice(gateSk('').length);
  const last = num(g.lastElectionAt) ?? num(g.lastStartAt) ?? num(g.lastAt);
  const until = last === undefined ? undefined : last + cooldownMinutes(ctx, action) * 60_000;
  const used = g.day === new Date(now).toISOString().slice(0, 10) ? (num(g.count) ?? 0) : 0;
  return {
    action,
    cooldownUntil: until !== undefined && until > now ? isoTime(until) : null,
    budgetLeft: Math.max(0, ctx.config.automation.dailyBudget - used),
    lastAt: last === undefined ? null : isoTime(last),
  };
}

async function regionStatus(ctx: CliContext, region: string): Promise<RegionStatus> {
  const cluster = ctx.config.cluster.name;
  const c = ctx.backend.clients(region);
  const stack = await ctx.backend.stack(region);
  const now = ctx.backend.now();
  const alarmName = switchAlarmName(ctx.config, region);
  const alarms = await c.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName] }));
  const alarmState = alarms.MetricAlarms?.[0]?.StateValue;
  const sw = (
    await c.dynamoDoc.send(new GetCommand({ TableName: stack.routingTable, Key: switchKey(cluster, region) }))
  ).Item as Item | undefined;
  const state = (
    await c.dynamoDoc.send(
      new GetCommand({ TableName: stack.stateTable, Key: stateKey(cluster), ConsistentRead: true }),
    )
  ).Item as Item | undefined;
  const locks = (await queryPrefix(c, stack.stateTable, clusterPk(cluster), lockSk(''))).map((l) => {
    const expiresAt = num(l.expiresAt) ?? 0;
    return {
      name: String(l.sk).slice(lockSk('').length),
      holder: str(l.owner) ?? '-',
      expiresAt: isoTime(expiresAt),
      expired: expiresAt <= now,
    };
  });
  const gateItems = await queryPrefix(c, stack.stateTable, clusterPk(cluster), gateSk(''));
  const routingGate = (
    await c.dynamoDoc.send(new GetCommand({ TableName: stack.routingTable, Key: routingGateKey(cluster) }))
  ).Item as Item | undefined;
  const gates = [...gateItems, ...(routingGate ? [routingGate] : [])].map((g) => gateStatus(ctx, g, now));
  return {
    region,
    stackName: stack.stackName,
    serving: servingOf(alarmState, sw?.serving),
    switchAlarm: alarmState ?? 'missing',
    switchRecord: sw
      ? {
          ...(typeof sw.serving === 'boolean' ? { serving: sw.serving } : {}),
          ...(sw.changedAt !== undefined ? { changedAt: isoTime(sw.changedAt as number) } : {}),
        }
      : null,
    primary: str(state?.primary) ?? null,
    epoch: num(state?.epoch) ?? null,
    phase: str(state?.phase) ?? null,
    nodes: await nodesOf(ctx, region, stack.stateTable),
    locks,
    gates,
    pause: await pauseOf(ctx, region),
    lastRuns: await lastRuns(ctx, region, stack.stateMachineArn),
  };
}

export async function collectStatus(ctx: CliContext, regionFlag?: string): Promise<StatusDoc> {
  const regions = regionFlag === undefined ? ctx.config.regions.map((r) => r.name) : [ctx.region(regionFlag)];
  const out: RegionStatus[] = [];
  let firstError: unknown;
  for (const region of regions) {
    try {
      out.push(await regionStatus(ctx, region));
    } catch (err) {
      // One region down is what status must still show; the others are read.
      if (regions.length === 1 || !(err instanceof CliError)) throw err;
      firstError ??= err;
      out.push({
        region,
        serving: 'unknown',
        switchAlarm: 'unknown',
        switchRecord: null,
        primary: null,
        epoch: null,
        phase: null,
        nodes: [],
        locks: [],
        gates: [],
        pause: { paused: null, effective: 'unknown', source: 'unread' },
        lastRuns: [],
        error: err.message,
      });
    }
  }
  if (out.every((r) => r.error !== undefined))
    throw firstError ?? new CliError(EXIT.ENVIRONMENT, 'no region answered');
  return { cluster: ctx.config.cluster.name, at: isoTime(ctx.backend.now()), regions: out };
}
