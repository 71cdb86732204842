/**
 * The failover Lambda's reads: `observe` gathers Auto Scaling, the ALB, EC2 and the state table once;
 * `assess` and `decide` hand what the workflow observed to the pure decisions of functions/core; the claim's
 * look at the recorded primary. Nothing here writes.
 */
import { type ClusterState, toClusterState } from '../core/failover';
import { type Assessment, immediateVerdict } from '../core/failover-assess';
import { type AssessedVerdict, type Decision, decide as decideFailover } from '../core/failover-decide';
import { FAILOVER_GATE, type GateRecord } from '../core/failover-gate';
import {
  confirm,
  type InstanceSightings,
  type NodeObservation,
  nodeObservation,
  observe,
  probeTargets,
  withProbes,
} from '../core/failover-observe';
import { CandidateError } from '../core/failover-plan';
import { gateKey, stateKey } from '../core/keys';
import { mayActAsPrimary, quarantinedIds, quarantineOf } from '../core/quarantine';
import { autoScalingSdk } from '../shared/clients/auto-scaling';
import { dynamoDocSdk } from '../shared/clients/dynamodb';
import { ec2Sdk } from '../shared/clients/ec2';
import { elbv2Sdk } from '../shared/clients/elbv2';
import { ValidationError } from '../shared/errors';
import type { OpContext } from './config';
import type { OpRequest } from './input';

/** The snapshot `observe` returns: the cluster's instances (no probes yet), the state item and the gate. */
export interface Snapshot {
  readonly nodes: NodeObservation[];
  readonly state: ClusterState;
  readonly gate: GateRecord;
  /** The instances worth probing (running). */
  readonly probeTargets: string[];
}

const forgotten = (err: Error) => {
  if (err.name !== 'InvalidInstanceID.NotFound') throw err;
  return { Reservations: [] };
};

/** `observe`: Auto Scaling, the ALB, EC2 and the state table, read once. */
export async function snapshot(
  _request: OpRequest<'observe'>,
  { config, deps }: OpContext,
): Promise<Snapshot> {
  const { DescribeAutoScalingGroupsCommand } = autoScalingSdk();
  const { DescribeTargetHealthCommand } = elbv2Sdk();
  const { GetCommand } = dynamoDocSdk();
  const { DescribeInstanceStatusCommand, DescribeInstancesCommand } = ec2Sdk();
  const doc = deps.clients.dynamoDoc();
  const [groups, targets, stateItem, gateItem] = await Promise.all([
    deps.clients.autoScaling().send(
      new DescribeAutoScalingGroupsCommand({
        AutoScalingGroupNames: [config.primaryAsgName, config.memberAsgName],
      }),
    ),
    deps.clients.elbv2().send(new DescribeTargetHealthCommand({ TargetGroupArn: config.targetGroupArn })),
    doc.send(
      new GetCommand({ TableName: config.stateTable, Key: stateKey(config.cluster), ConsistentRead: true }),
    ),
    doc.send(
      new GetCommand({
        TableName: config.stateTable,
        Key: gateKey(config.cluster, FAILOVER_GATE),
        ConsistentRead: true,
      }),
    ),
  ]);
  const state = stateItem.Item as ClusterState | undefined;
  const members = new Map<string, NonNullable<InstanceSightings['member']>>();
  for (const g of groups.AutoScalingGroups ?? []) {
    const group = g.AutoScalingGroupName === config.primaryAsgName ? 'primary' : 'member';
    for (const i of g.Instances ?? []) {
      if (i.InstanceId) {
        members.set(i.InstanceId, {
          group,
          az: i.AvailabilityZone ?? '',
          state: i.LifecycleState ?? 'unknown',
          health: i.HealthStatus ?? 'Healthy',
        });
      }
    }
  }
  const ids = [...members.keys()];
  // The recorded primary, the candidate of the last fence (an interrupted election may have detached it) and
  // the quarantined nodes are looked at even outside the groups: each may run as a primary.
  for (const id of [state?.primary, state?.candidate, ...quarantinedIds(toClusterState(state))]) {
    if (id !== undefined && !members.has(id) && !ids.includes(id)) ids.push(id);
  }
  const ec2 = new Map<string, { state: string; az: string }>();
  if (ids.length > 0) {
    const describe = (InstanceIds: string[]) =>
      deps.clients.ec2().send(new DescribeInstancesCommand({ InstanceIds }));
    // EC2 forgets a terminated instance about an hour later: a long-gone recorded primary (or candidate) must
    // not fail every observation, nor hide the other one. The groups' instances exist; the extra ids are
    // asked one by one, and a missing one counts as terminated.
    const out = await describe(ids).catch(async (err: Error) => {
      if (err.name !== 'InvalidInstanceID.NotFound' || ids.length === members.size) throw err;
      const parts = await Promise.all([
        members.size > 0 ? describe([...members.keys()]) : { Reservations: [] },
        ...ids.filter((id) => !members.has(id)).map((id) => describe([id]).catch(forgotten)),
      ]);
      return { Reservations: parts.flatMap((p) => p.Reservations ?? []) };
    });
    for (const r of out.Reservations ?? []) {
      for (const i of r.Instances ?? []) {
        if (i.InstanceId) {
          ec2.set(i.InstanceId, {
            state: i.State?.Name ?? 'unknown',
            az: i.Placement?.AvailabilityZone ?? '',
          });
        }
      }
    }
  }
  // EC2's status checks tell a crashed host (impaired) from one that is alive: a condemned instance whose
  // host still passes them may still serve as the primary (scaled in, Terminating:Wait) and is probed.
  const running = [...ec2].filter(([, e]) => e.state === 'running').map(([id]) => id);
  const hostStatus = new Map<string, string>();
  if (running.length > 0) {
    const status = await deps.clients
      .ec2()
      .send(new DescribeInstanceStatusCommand({ InstanceIds: running, IncludeAllInstances: true }));
    for (const st of status.InstanceStatuses ?? []) {
      if (st.InstanceId) hostStatus.set(st.InstanceId, st.InstanceStatus?.Status ?? 'unknown');
    }
  }
  const targetState = new Map<string, string>();
  for (const t of targets.TargetHealthDescriptions ?? []) {
    if (t.Target?.Id) targetState.set(t.Target.Id, t.TargetHealth?.State ?? 'unavailable');
  }
  const nodes = ids.map((id) =>
    nodeObservation(id, {
      member: members.get(id),
      ec2: ec2.get(id),
      hostStatus: hostStatus.get(id),
      target: targetState.get(id),
    }),
  );
  nodes.sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  // Every field present: Step Functions' JSONPath fails on a missing one.
  return {
    nodes,
    state: toClusterState(state) ?? { epoch: 0 },
    gate: (gateItem.Item as GateRecord | undefined) ?? {},
    probeTargets: probeTargets(nodes),
  };
}

/** `assess`: one round's verdict on the primary, from the snapshot and the probes the workflow took. */
export function assess(request: OpRequest<'assess'>, { config, deps }: OpContext): Assessment {
  const nodes = withProbes(request.snapshot.nodes as NodeObservation[], request.probes);
  const state = request.snapshot.state as ClusterState | undefined;
  const immediate = immediateVerdict(request.input, nodes, state, config);
  if (immediate !== undefined) return immediate;
  const verdict = confirm(observe(nodes, state, config), request.round, request.confirmations);
  deps.logger.info('primary assessed', { round: request.round, verdict: verdict.verdict });
  return verdict;
}

/**
 * `decide`: the gate's answer and the plan for the assessed verdict. An ineligible requested candidate is a
 * {@link ValidationError} on `candidate`.
 */
export function decide(request: OpRequest<'decide'>, { config, deps, now }: OpContext): Decision {
  let decision: Decision;
  try {
    decision = decideFailover(
      {
        run: request.input,
        verdict: request.verdict as AssessedVerdict,
        nodes: withProbes(request.snapshot.nodes as NodeObservation[], request.probes),
        state: request.snapshot.state as ClusterState | undefined,
        gate: request.snapshot.gate as GateRecord | undefined,
      },
      config,
      now,
    );
  } catch (err) {
    if (err instanceof CandidateError) {
      throw new ValidationError(`Invalid primary-failover input: candidate: ${err.message}`, [
        { path: 'candidate', message: err.message },
      ]);
    }
    throw err;
  }
  deps.logger.info('failover decided', { gate: decision.gate.allow, action: decision.plan.action });
  return decision;
}

/** The cluster's state item as stored (a consistent read), or undefined when nothing was recorded yet. */
export async function readState(
  { config, deps }: OpContext,
  cluster: string,
): Promise<ClusterState | undefined> {
  const { GetCommand } = dynamoDocSdk();
  const got = await deps.clients
    .dynamoDoc()
    .send(new GetCommand({ TableName: config.stateTable, Key: stateKey(cluster), ConsistentRead: true }));
  return got.Item as ClusterState | undefined;
}

/**
 * Whether an instance still serves, for node-bootstrap's claim. A crashed host stays `running` in EC2 for
 * minutes. It is `gone` when it does not run, or when Auto Scaling has condemned it (Unhealthy, Terminating)
 * AND EC2's status checks call its host impaired; condemned on a live host it is `leaving` (scaled in,
 * Terminating:Wait, or stopped by an election and being replaced): it may still serve until it is gone;
 * otherwise it is `serving`.
 */
async function instanceLiveness(
  instanceId: string,
  { config, deps }: OpContext,
): Promise<'gone' | 'leaving' | 'serving'> {
  const { DescribeInstanceStatusCommand, DescribeInstancesCommand } = ec2Sdk();
  const { DescribeAutoScalingGroupsCommand } = autoScalingSdk();
  const out = await deps.clients
    .ec2()
    .send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))
    .catch(forgotten);
  const s = out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
  if (s !== 'running' && s !== 'pending') return 'gone';
  const groups = await deps.clients.autoScaling().send(
    new DescribeAutoScalingGroupsCommand({
      AutoScalingGroupNames: [config.primaryAsgName, config.memberAsgName],
    }),
  );
  const member = (groups.AutoScalingGroups ?? [])
    .flatMap((g) => g.Instances ?? [])
    .find((i) => i.InstanceId === instanceId);
  if (
    !member ||
    (member.HealthStatus !== 'Unhealthy' && !(member.LifecycleState ?? '').startsWith('Terminating'))
  ) {
    return 'serving';
  }
  const status = await deps.clients
    .ec2()
    .send(new DescribeInstanceStatusCommand({ InstanceIds: [instanceId], IncludeAllInstances: true }));
  return status.InstanceStatuses?.[0]?.InstanceStatus?.Status === 'impaired' ? 'gone' : 'leaving';
}

/**
 * Whether the recorded primary still serves, for node-bootstrap's claim: not gone by the rule of
 * {@link instanceLiveness}. A condemned primary on a live host (scaled in, Terminating:Wait) still serves
 * until an election stops it, so the newcomer joins as a member.
 */
export async function recordedPrimaryRunning(primary: string, ctx: OpContext): Promise<boolean> {
  return (await instanceLiveness(primary, ctx)) !== 'gone';
}

/**
 * The live instances of the primary group other than `self`, by the rule of {@link instanceLiveness}: `live`
 * when any is not gone, `leaving` when every live one is condemned by Auto Scaling (on its way out).
 */
export async function livePrimaryGroupPeers(
  self: string,
  ctx: OpContext,
): Promise<{ readonly live: boolean; readonly leaving: boolean }> {
  const { DescribeAutoScalingGroupsCommand } = autoScalingSdk();
  const groups = await ctx.deps.clients
    .autoScaling()
    .send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [ctx.config.primaryAsgName] }));
  const peers = (groups.AutoScalingGroups ?? [])
    .flatMap((g) => g.Instances ?? [])
    .map((i) => i.InstanceId)
    .filter((id): id is string => id !== undefined && id !== self);
  let live = false;
  for (const peer of peers) {
    const liveness = await instanceLiveness(peer, ctx);
    if (liveness === 'serving') return { live: true, leaving: false };
    if (liveness === 'leaving') live = true;
  }
  return { live, leaving: live };
}

/**
 * The quarantined nodes (other than `self`) that may act as a primary unseen, for node-bootstrap's claim:
 * EC2 runs or starts them and their demotion was not confirmed. One EC2 call for all of them; a node EC2 has
 * forgotten is terminated.
 */
export async function quarantinedLive(
  state: ClusterState | undefined,
  self: string,
  { deps }: OpContext,
): Promise<string[]> {
  const { DescribeInstancesCommand } = ec2Sdk();
  const entries = Object.entries(quarantineOf(state)).filter(([id]) => id !== self);
  if (entries.length === 0) return [];
  const describe = (InstanceIds: string[]) =>
    deps.clients.ec2().send(new DescribeInstancesCommand({ InstanceIds }));
  const ids = entries.map(([id]) => id);
  const out = await describe(ids).catch(async (err: Error) => {
    if (err.name !== 'InvalidInstanceID.NotFound') throw err;
    const parts = await Promise.all(ids.map((id) => describe([id]).catch(forgotten)));
    return { Reservations: parts.flatMap((p) => p.Reservations ?? []) };
  });
  const ec2State = new Map(
    (out.Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .map((i) => [i.InstanceId ?? '', i.State?.Name ?? 'unknown'] as const),
  );
  return entries.filter(([id, e]) => mayActAsPrimary(e, ec2State.get(id))).map(([id]) => id);
}
