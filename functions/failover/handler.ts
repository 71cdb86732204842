/**
 * failover: the primary-failover workflow's Lambda steps (DESIGN §3.2) and node-bootstrap's primary claim.
 * Each `op` gathers observations or writes one conditional update; every decision is a pure function of
 * functions/core/failover.ts. Epoch fencing (principle 3): `fence` bumps the cluster's epoch with a
 * conditional write and names the execution that owns it; `assert` and `commit` refuse an execution whose
 * epoch has moved on, so a stale or redriven execution can never promote, move or record anything.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstanceStatusCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  bootstrapRole,
  CandidateError,
  type ClusterState,
  condemned,
  confirm,
  type GateRecord,
  gateDecision,
  type NodeObservation,
  observe,
  parseProbe,
  plan,
  recordElection,
  UNREACHABLE,
} from '../core/failover';
import type { ClusterMode } from '../core/lifecycle';
import { AWS_REGIONS } from '../shared/aws-regions';
import { ENV } from '../shared/env';
import { ConfigurationError, requireEnv, ValidationError } from '../shared/errors';
import { InstanceIdSchema } from '../shared/events';
import { type HandlerContext, makeHandler } from '../shared/handler';
import { MetricUnit } from '../shared/powertools';
import { parseOrThrow } from '../shared/validation';

/** What an operator (or dispatch, the reconciler, node-drain) starts primary-failover with. */
export const FailoverInputSchema = z.strictObject({
  cluster: z.string().min(1, 'cluster is required'),
  region: z.string().min(1, 'region is required'),
  reason: z.string().trim().min(1, 'reason is required').max(500, 'reason is longer than 500 characters'),
  trigger: z.enum(['alarm', 'drain', 'reconciler', 'manual', 'replacement']).default('manual'),
  candidate: InstanceIdSchema.optional(),
  /** node-drain: the instance being drained. */
  instanceId: InstanceIdSchema.optional(),
  dryRun: z.boolean().default(false),
  force: z.boolean().default(false),
  /** Set by Step Functions when a workflow starts this one (node-drain): accepted, not used. */
  AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: z.string().optional(),
});
export type FailoverInput = z.infer<typeof FailoverInputSchema>;

/** A typed execution error: the epoch moved on (another election fenced after this one). */
export class StaleEpochError extends Error {
  override readonly name = 'StaleEpoch';
}

export interface FailoverConfig {
  readonly cluster: string;
  readonly region: string;
  readonly mode: ClusterMode;
  readonly primaryAsgName: string;
  readonly memberAsgName: string;
  readonly targetGroupArn: string;
  readonly stateTable: string;
  readonly minTaskNodes: number;
  readonly cooldownMinutes: number;
  readonly dailyBudget: number;
  readonly automationEnabled: boolean;
}

const intEnv = (name: string, env: NodeJS.ProcessEnv) => {
  const v = Number(requireEnv(name, env));
  if (!Number.isInteger(v) || v < 0) throw new ConfigurationError(`${name} must be a whole number >= 0`);
  return v;
};

export function loadFailoverConfig(env: NodeJS.ProcessEnv = process.env): FailoverConfig {
  const mode = requireEnv(ENV.clusterMode, env);
  if (mode !== 'legacy-primary' && mode !== 'cloud-native') {
    throw new ConfigurationError(`${ENV.clusterMode} must be legacy-primary or cloud-native`);
  }
  return {
    cluster: requireEnv(ENV.clusterName, env),
    region: requireEnv('AWS_REGION', env),
    mode,
    primaryAsgName: requireEnv(ENV.primaryAsgName, env),
    memberAsgName: requireEnv(ENV.memberAsgName, env),
    targetGroupArn: requireEnv(ENV.targetGroupArn, env),
    stateTable: requireEnv(ENV.stateTable, env),
    minTaskNodes: intEnv(ENV.minTaskNodes, env),
    cooldownMinutes: intEnv(ENV.cooldownMinutes, env),
    dailyBudget: intEnv(ENV.dailyBudget, env),
    automationEnabled: requireEnv(ENV.automationEnabled, env) === 'true',
  };
}

type Deps = Pick<HandlerContext, 'clients' | 'logger' | 'metrics'> & {
  now?: () => number;
  env?: NodeJS.ProcessEnv;
};

const stateKey = (cluster: string) => ({ pk: `CLUSTER#${cluster}`, sk: 'STATE' });
const gateKey = (cluster: string) => ({ pk: `CLUSTER#${cluster}`, sk: 'GATE#primary-failover' });

/**
 * `validate`: the run's input, checked against this deployment. A wrong cluster or region (each region's
 * stack runs its own failover) is a {@link ValidationError} naming the field; nothing has been touched yet.
 */
export function validate(raw: unknown, config: FailoverConfig): FailoverInput {
  const input = parseOrThrow(FailoverInputSchema, raw, 'primary-failover input');
  const issues: { path: string; message: string }[] = [];
  if (input.cluster !== config.cluster) {
    issues.push({ path: 'cluster', message: `not this deployment's cluster (${config.cluster})` });
  }
  if (input.region !== config.region) {
    issues.push({
      path: 'region',
      message: (AWS_REGIONS as readonly string[]).includes(input.region)
        ? `this is the ${config.region} control plane: start the execution in ${input.region}'s stack`
        : 'not an AWS region',
    });
  }
  if (input.trigger === 'drain' && input.instanceId === undefined) {
    issues.push({ path: 'instanceId', message: 'required when trigger is drain' });
  }
  if (issues.length > 0) {
    throw new ValidationError(
      `Invalid primary-failover input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return input;
}

/** The snapshot `observe` returns: the cluster's instances (no probes yet), the state item and the gate. */
export interface Snapshot {
  readonly nodes: NodeObservation[];
  readonly state: ClusterState;
  readonly gate: GateRecord;
  /** The instances worth probing (running). */
  readonly probeTargets: string[];
}

/** `observe`: Auto Scaling, the ALB, EC2 and the state table, read once. */
export async function snapshot(config: FailoverConfig, deps: Deps): Promise<Snapshot> {
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
      new GetCommand({ TableName: config.stateTable, Key: gateKey(config.cluster), ConsistentRead: true }),
    ),
  ]);
  const state = stateItem.Item as ClusterState | undefined;
  const members = new Map<
    string,
    { group: 'primary' | 'member'; az: string; state: string; health: string }
  >();
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
  // The recorded primary, and the candidate of the last fence (an interrupted election may have detached it),
  // are looked at even outside the groups.
  for (const id of [state?.primary, state?.candidate]) {
    if (id !== undefined && !members.has(id) && !ids.includes(id)) ids.push(id);
  }
  const ec2 = new Map<string, { state: string; az: string }>();
  if (ids.length > 0) {
    const describe = (InstanceIds: string[]) =>
      deps.clients.ec2().send(new DescribeInstancesCommand({ InstanceIds }));
    // EC2 forgets a terminated instance about an hour later: a long-gone recorded primary (or candidate) must
    // not fail every observation, nor hide the other one. The groups' instances exist; the extra ids are
    // asked one by one, and a missing one counts as terminated.
    const forgotten = (err: Error) => {
      if (err.name !== 'InvalidInstanceID.NotFound') throw err;
      return { Reservations: [] };
    };
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
  const nodes: NodeObservation[] = ids.map((id) => {
    const m = members.get(id);
    const e = ec2.get(id);
    return {
      instanceId: id,
      group: m?.group ?? 'none',
      az: m?.az || e?.az || '',
      lifecycleState: m?.state ?? 'none',
      health: m?.health === 'Unhealthy' ? 'Unhealthy' : 'Healthy',
      target: targetState.get(id) ?? 'absent',
      ec2State: e?.state ?? 'terminated',
      hostStatus: hostStatus.get(id) ?? 'unknown',
    };
  });
  nodes.sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  // Every field present: Step Functions' JSONPath fails on a missing one.
  return {
    nodes,
    state: state ? { epoch: Number(state.epoch ?? 0), ...pick(state) } : { epoch: 0 },
    gate: (gateItem.Item as GateRecord | undefined) ?? {},
    // Every running instance but a condemned one on an impaired host (probing it would only wait out SSM's
    // delivery timeout): a primary being scaled in (Terminating:Wait) still serves and must be stopped before
    // another is promoted, and only its probe says so.
    probeTargets: nodes
      .filter((n) => n.ec2State === 'running' && !(condemned(n) && n.hostStatus === 'impaired'))
      .map((n) => n.instanceId),
  };
}

const pick = (s: ClusterState) => ({
  ...(s.primary !== undefined ? { primary: s.primary } : {}),
  ...(s.phase !== undefined ? { phase: s.phase } : {}),
  ...(s.owner !== undefined ? { owner: s.owner } : {}),
  ...(s.fencedAt !== undefined ? { fencedAt: Number(s.fencedAt) } : {}),
  ...(s.candidate !== undefined ? { candidate: s.candidate } : {}),
});

const ProbeResultSchema = z.looseObject({
  instanceId: z.string(),
  stdout: z.string().optional(),
  unreachable: z.boolean().optional(),
});

/** Nodes with their probe results merged in (a node the Map did not probe counts as unreachable). */
export function withProbes(
  nodes: readonly NodeObservation[],
  probes: readonly z.infer<typeof ProbeResultSchema>[],
) {
  const byId = new Map(probes.map((p) => [p.instanceId, p]));
  return nodes.map((n) => {
    const p = byId.get(n.instanceId);
    return {
      ...n,
      probe: !p || p.unreachable || p.stdout === undefined ? UNREACHABLE : parseProbe(p.stdout),
    };
  });
}

const NodeSchema = z.looseObject({
  instanceId: z.string(),
  group: z.enum(['primary', 'member', 'none']),
  az: z.string(),
  lifecycleState: z.string(),
  health: z.enum(['Healthy', 'Unhealthy']),
  target: z.string(),
  ec2State: z.string(),
});
const StateSchema = z
  .looseObject({
    epoch: z.number(),
    primary: z.string().optional(),
    phase: z.enum(['fenced', 'committed', 'claimed', 'escalated']).optional(),
    owner: z.string().optional(),
    fencedAt: z.number().optional(),
    candidate: z.string().optional(),
  })
  .optional();
const SnapshotSchema = z.looseObject({
  nodes: z.array(NodeSchema),
  state: StateSchema,
  gate: z.looseObject({}).optional(),
  probeTargets: z.array(z.string()),
});

const execution = z
  .string()
  .startsWith('arn:aws:states:', 'execution must be a Step Functions execution ARN');

export const FailoverRequestSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('validate'), input: z.unknown() }),
  z.strictObject({ op: z.literal('observe') }),
  z.strictObject({
    op: z.literal('assess'),
    input: FailoverInputSchema,
    snapshot: SnapshotSchema,
    probes: z.array(ProbeResultSchema),
    round: z.number().int().min(0),
    confirmations: z.number().int().min(0),
  }),
  z.strictObject({
    op: z.literal('decide'),
    input: FailoverInputSchema,
    snapshot: SnapshotSchema,
    probes: z.array(ProbeResultSchema),
    verdict: z.looseObject({ verdict: z.string() }),
  }),
  z.strictObject({
    op: z.literal('fence'),
    cluster: z.string(),
    execution,
    expectedEpoch: z.number().int().min(0),
    plan: z.looseObject({
      failedPrimary: z.string().optional(),
      /** An automatic election: counted against the daily budget. */
      budgeted: z.boolean().optional(),
    }),
  }),
  z.strictObject({
    op: z.literal('assert'),
    cluster: z.string(),
    execution,
    epoch: z.number().int(),
    /** The instance about to be detached and promoted: recorded so a re-run can find it if this one dies. */
    candidate: z.string().optional(),
  }),
  z.strictObject({
    op: z.literal('commit'),
    cluster: z.string(),
    execution,
    epoch: z.number().int(),
    primary: z.string().optional(),
  }),
  z.strictObject({ op: z.literal('escalate'), cluster: z.string(), execution, epoch: z.number().int() }),
  z.strictObject({
    op: z.literal('claim'),
    cluster: z.string(),
    execution,
    instanceId: InstanceIdSchema,
    role: z.enum(['primary', 'member']),
  }),
]);
export type FailoverRequest = z.infer<typeof FailoverRequestSchema>;

/** Whether this run is a planned handover: node-drain of the primary while it is still ready. */
function plannedHandover(input: FailoverInput, nodes: readonly NodeObservation[]): boolean {
  if (input.trigger !== 'drain') return false;
  const drained = nodes.find((n) => n.instanceId === input.instanceId);
  return drained?.probe?.ready === true && drained.probe.role === 'primary';
}

export async function failover(request: FailoverRequest, deps: Deps): Promise<unknown> {
  const config = loadFailoverConfig(deps.env);
  const now = (deps.now ?? Date.now)();
  const doc = deps.clients.dynamoDoc();
  const TableName = config.stateTable;

  switch (request.op) {
    case 'validate':
      return validate(request.input, config);

    case 'observe':
      return snapshot(config, deps);

    case 'assess': {
      const { input } = request;
      const nodes = withProbes(request.snapshot.nodes as NodeObservation[], request.probes);
      const state = request.snapshot.state as ClusterState | undefined;
      if (input.trigger === 'drain') {
        const presumed = state?.primary;
        const drained = nodes.find((n) => n.instanceId === input.instanceId);
        const isPrimary =
          drained?.probe?.role === 'primary' || presumed === input.instanceId || drained?.group === 'primary';
        if (config.mode === 'legacy-primary' && !isPrimary) {
          return { verdict: 'not-primary', why: `${input.instanceId} is not the primary` };
        }
        if (plannedHandover(input, nodes)) {
          return { verdict: 'confirmed', primary: input.instanceId, why: 'planned handover', planned: true };
        }
      }
      if (input.trigger === 'manual' || input.dryRun) {
        // The operator asked: no confirmation window, but a healthy single primary is still reported.
        const obs = observe(nodes, state, config);
        if (obs.kind === 'split') return { verdict: 'split', primaries: obs.primaries };
        if (obs.kind === 'unhoused' && input.candidate === undefined) {
          return { verdict: 'adopt', primary: obs.primary, why: obs.why, manual: true };
        }
        return {
          verdict: 'confirmed',
          primary: obs.primary,
          why: obs.kind === 'healthy' ? 'requested by the operator' : obs.why,
          manual: true,
        };
      }
      const verdict = confirm(observe(nodes, state, config), request.round, request.confirmations);
      deps.logger.info('primary assessed', { round: request.round, verdict: verdict.verdict });
      return verdict;
    }

    case 'decide': {
      const { input } = request;
      const nodes = withProbes(request.snapshot.nodes as NodeObservation[], request.probes);
      const state = request.snapshot.state as ClusterState | undefined;
      const planned = (request.verdict as { planned?: boolean }).planned === true;
      const repair = request.verdict.verdict === 'adopt';
      const gate = gateDecision(
        // A repair moves the group around the running primary; it still passes the gate like an election, so
        // a repair that keeps failing (e.g. an attach Auto Scaling refuses) cannot loop every sweep.
        { trigger: input.trigger, planned, force: input.force },
        request.snapshot.gate as GateRecord | undefined,
        {
          cooldownMs: config.cooldownMinutes * 60_000,
          dailyBudget: config.dailyBudget,
          automationEnabled: config.automationEnabled,
        },
        now,
      );
      const v = request.verdict as { verdict: string; primary?: string; primaries?: string[] };
      let decided: ReturnType<typeof plan>;
      try {
        decided = plan(nodes, state, {
          mode: config.mode,
          minTaskNodes: config.minTaskNodes,
          split: v.verdict === 'split' ? v.primaries : undefined,
          failedPrimary: config.mode === 'legacy-primary' && !repair ? v.primary : undefined,
          candidate: input.candidate,
          adopt: repair ? v.primary : undefined,
        });
      } catch (err) {
        if (err instanceof CandidateError) {
          throw new ValidationError(`Invalid primary-failover input: candidate: ${err.message}`, [
            { path: 'candidate', message: err.message },
          ]);
        }
        throw err;
      }
      deps.logger.info('failover decided', { gate: gate.allow, action: decided.action });
      return {
        gate,
        // The workflow indexes these for every action.
        plan: {
          candidates: [],
          candidateSteps: [],
          needed: 0,
          failedPrimaryReachable: false,
          ...decided,
          budgeted: input.trigger !== 'manual' && !planned,
        },
        expectedEpoch: state?.epoch ?? 0,
        summary: describePlan(decided, gate),
      };
    }

    case 'fence': {
      const next = request.expectedEpoch + 1;
      try {
        await doc.send(
          new UpdateCommand({
            TableName,
            Key: stateKey(request.cluster),
            UpdateExpression:
              'SET epoch = :next, phase = :fenced, #owner = :me, fencedAt = :now, failedPrimary = :failed',
            // Idempotent for a retried call of the same execution.
            ConditionExpression:
              '(attribute_not_exists(epoch) AND :expected = :zero) OR epoch = :expected OR (epoch = :next AND #owner = :me)',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: {
              ':next': next,
              ':expected': request.expectedEpoch,
              ':zero': 0,
              ':fenced': 'fenced',
              ':me': request.execution,
              ':now': now,
              ':failed': request.plan.failedPrimary ?? '',
            },
          }),
        );
      } catch (err) {
        if ((err as Error).name === 'ConditionalCheckFailedException') {
          throw new StaleEpochError(
            `epoch ${request.expectedEpoch} is stale: another election or bootstrap claim fenced first`,
          );
        }
        throw err;
      }
      const gateNow = await doc.send(
        new GetCommand({ TableName, Key: gateKey(request.cluster), ConsistentRead: true }),
      );
      // A retried fence of the same execution (its first answer lost) must not count the election twice.
      if ((gateNow.Item as { execution?: string } | undefined)?.execution !== request.execution) {
        await doc.send(
          new UpdateCommand({
            TableName,
            Key: gateKey(request.cluster),
            UpdateExpression: 'SET lastElectionAt = :at, #day = :day, #count = :count, execution = :me',
            ExpressionAttributeNames: { '#day': 'day', '#count': 'count' },
            ExpressionAttributeValues: {
              ...Object.fromEntries(
                Object.entries(
                  recordElection(
                    gateNow.Item as GateRecord | undefined,
                    now,
                    request.plan.budgeted !== false,
                  ),
                ).map(([k, v]) => [k === 'lastElectionAt' ? ':at' : `:${k}`, v]),
              ),
              ':me': request.execution,
            },
          }),
        );
      }
      deps.metrics.addMetric('PrimaryFenced', MetricUnit.Count, 1);
      deps.logger.info('fenced', { epoch: next });
      return { epoch: next };
    }

    case 'assert':
    case 'commit':
    case 'escalate': {
      const common = {
        TableName,
        Key: stateKey(request.cluster),
        ConditionExpression: 'epoch = :epoch AND #owner = :me',
        ExpressionAttributeNames: { '#owner': 'owner' },
      };
      const values = { ':epoch': request.epoch, ':me': request.execution };
      try {
        if (request.op === 'assert') {
          const got = await doc.send(
            new GetCommand({ TableName, Key: stateKey(request.cluster), ConsistentRead: true }),
          );
          const s = got.Item as ClusterState | undefined;
          if (
            !s ||
            Number(s.epoch) !== request.epoch ||
            s.owner !== request.execution ||
            (s.phase !== 'fenced' && s.phase !== 'committed')
          ) {
            throw new StaleEpochError(
              `epoch ${request.epoch} no longer belongs to this execution (now ${s?.epoch ?? 0}, ${s?.phase ?? 'none'})`,
            );
          }
          if (request.candidate !== undefined && s.candidate !== request.candidate) {
            await doc.send(
              new UpdateCommand({
                ...common,
                ConditionExpression: `${common.ConditionExpression} AND phase IN (:fenced, :committed)`,
                UpdateExpression: 'SET candidate = :candidate',
                ExpressionAttributeValues: {
                  ...values,
                  ':candidate': request.candidate,
                  ':fenced': 'fenced',
                  ':committed': 'committed',
                },
              }),
            );
          }
          return { epoch: request.epoch, held: true };
        }
        if (request.op === 'commit') {
          await doc.send(
            new UpdateCommand({
              ...common,
              UpdateExpression:
                request.primary !== undefined
                  ? 'SET phase = :committed, committedAt = :now, #primary = :primary REMOVE candidate'
                  : 'SET phase = :committed, committedAt = :now',
              ExpressionAttributeNames: {
                ...common.ExpressionAttributeNames,
                ...(request.primary !== undefined ? { '#primary': 'primary' } : {}),
              },
              ExpressionAttributeValues: {
                ...values,
                ':committed': 'committed',
                ':now': now,
                ...(request.primary !== undefined ? { ':primary': request.primary } : {}),
              },
            }),
          );
          return { epoch: request.epoch, committed: true };
        }
        await doc.send(
          new UpdateCommand({
            ...common,
            // Its candidates were stopped and are kept for investigation: none is a candidate any more.
            UpdateExpression: 'SET phase = :escalated, escalatedAt = :now REMOVE candidate',
            ExpressionAttributeValues: { ...values, ':escalated': 'escalated', ':now': now },
          }),
        );
        return { epoch: request.epoch, escalated: true };
      } catch (err) {
        if ((err as Error).name === 'ConditionalCheckFailedException') {
          throw new StaleEpochError(`epoch ${request.epoch} no longer belongs to this execution`);
        }
        throw err;
      }
    }

    case 'claim':
      return claim(request, config, deps, now);
  }
}

/** node-bootstrap: decide the launching node's role and, for the primary, take the epoch (fenced claim). */
async function claim(
  request: Extract<FailoverRequest, { op: 'claim' }>,
  config: FailoverConfig,
  deps: Deps,
  now: number,
): Promise<{ role: 'primary' | 'member'; reason: string; epoch?: number }> {
  const doc = deps.clients.dynamoDoc();
  const TableName = config.stateTable;
  for (let attempt = 0; attempt < 3; attempt++) {
    const got = await doc.send(
      new GetCommand({ TableName, Key: stateKey(request.cluster), ConsistentRead: true }),
    );
    const raw = got.Item as ClusterState | undefined;
    const state = raw && { epoch: Number(raw.epoch ?? 0), ...pick(raw) };
    let recordedPrimaryRunning = false;
    if (state?.primary !== undefined && state.primary !== request.instanceId) {
      const out = await deps.clients
        .ec2()
        .send(new DescribeInstancesCommand({ InstanceIds: [state.primary] }))
        .catch((err: Error) => {
          if (err.name === 'InvalidInstanceID.NotFound') return { Reservations: [] };
          throw err;
        });
      const s = out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
      recordedPrimaryRunning = s === 'running' || s === 'pending';
      if (recordedPrimaryRunning) {
        // A crashed host stays `running` in EC2 for minutes. It is gone when Auto Scaling has condemned it
        // (Unhealthy, Terminating) AND EC2's status checks call its host impaired; a condemned primary on a live
        // host (scaled in, Terminating:Wait) still serves until an election stops it, so the newcomer waits.
        const groups = await deps.clients.autoScaling().send(
          new DescribeAutoScalingGroupsCommand({
            AutoScalingGroupNames: [config.primaryAsgName, config.memberAsgName],
          }),
        );
        const member = (groups.AutoScalingGroups ?? [])
          .flatMap((g) => g.Instances ?? [])
          .find((i) => i.InstanceId === state.primary);
        if (
          member &&
          (member.HealthStatus === 'Unhealthy' || (member.LifecycleState ?? '').startsWith('Terminating'))
        ) {
          const status = await deps.clients
            .ec2()
            .send(
              new DescribeInstanceStatusCommand({ InstanceIds: [state.primary], IncludeAllInstances: true }),
            );
          if (status.InstanceStatuses?.[0]?.InstanceStatus?.Status === 'impaired')
            recordedPrimaryRunning = false;
        }
      }
    }
    const decision = bootstrapRole(
      { instanceId: request.instanceId, groupRole: request.role, mode: config.mode, recordedPrimaryRunning },
      state,
      now,
    );
    if (!decision.claim) {
      deps.logger.info('bootstrap role', { instanceId: request.instanceId, role: decision.role });
      return { role: decision.role, reason: decision.reason };
    }
    const expected = state?.epoch ?? 0;
    try {
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: stateKey(request.cluster),
          UpdateExpression:
            'SET epoch = :next, phase = :claimed, #primary = :me, #owner = :exec, claimedAt = :now',
          ConditionExpression:
            '(attribute_not_exists(epoch) AND :expected = :zero) OR epoch = :expected OR (#primary = :me AND #owner = :exec)',
          ExpressionAttributeNames: { '#primary': 'primary', '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':next': expected + 1,
            ':expected': expected,
            ':zero': 0,
            ':claimed': 'claimed',
            ':me': request.instanceId,
            ':exec': request.execution,
            ':now': now,
          },
        }),
      );
      deps.logger.info('primary claimed', { instanceId: request.instanceId, epoch: expected + 1 });
      return { role: 'primary', reason: decision.reason, epoch: expected + 1 };
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      // Someone fenced or claimed between the read and the write: decide again on the new state.
    }
  }
  throw new StaleEpochError('the cluster state kept changing while claiming the primary role');
}

/** One line for the audit and the operator: what the run decided and why. */
export function describePlan(p: ReturnType<typeof plan>, gate: ReturnType<typeof gateDecision>): string {
  const gateText = gate.allow
    ? gate.note
      ? ` (${gate.note})`
      : ''
    : ` Refused by the gate (${gate.rule}): ${gate.reason}.`;
  switch (p.action) {
    case 'promote':
      if (p.candidateSteps[0] === 'adopt')
        return `Re-house the primary ${p.candidates[0]}: ${p.steps.join('; ')}.${gateText}`;
      return `Promote ${p.candidates[0]}${p.candidates.length > 1 ? ` (then ${p.candidates.slice(1).join(', ')} if it fails)` : ''}: ${p.steps.join('; ')}.${gateText}`;
    case 'demote':
      return `Keep ${p.keep} as the primary and demote ${p.demote.join(', ')}: ${p.steps.join('; ')}.${gateText}`;
    case 'escalate':
      return `No election possible: ${p.reason}.${gateText}`;
    case 'none':
      return `Nothing to do: ${p.reason}.${gateText}`;
  }
}

export const handler = makeHandler(FailoverRequestSchema, (request, ctx) => failover(request, ctx), {
  inputName: 'failover request',
});
