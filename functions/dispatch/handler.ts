/**
 * dispatch (DESIGN §3.2): the EventBridge target for the cluster's Auto Scaling lifecycle actions. It turns
 * each one into a node-bootstrap or node-drain execution with a deterministic name, completes warm-pool
 * traffic at once, refuses events of foreign groups, and audits every decision. The lifecycle action token
 * is used for CompleteLifecycleAction only: it is never logged, audited or passed to a workflow.
 */
import { CompleteLifecycleActionCommand } from '@aws-sdk/client-auto-scaling';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { failoverExecutionName, primaryAlarmName } from '../core/failover';
import {
  type ClusterGroups,
  type ClusterMode,
  decideLifecycle,
  type LifecycleAction,
  type LifecycleDecision,
  type LifecycleWorkflow,
} from '../core/lifecycle';
import { AUDIT_RETENTION_DAYS } from '../core/report';
import { ENV } from '../shared/env';
import { ConfigurationError, requireEnv, ValidationError } from '../shared/errors';
import {
  type AlarmStateChangeEvent,
  AlarmStateChangeEventSchema,
  LaunchLifecycleActionEventSchema,
  type LifecycleActionEvent,
  TerminateLifecycleActionEventSchema,
} from '../shared/events';
import { type HandlerContext, makeHandler } from '../shared/handler';
import { MetricUnit } from '../shared/powertools';

export const LifecycleActionEventSchema = z.union([
  LaunchLifecycleActionEventSchema,
  TerminateLifecycleActionEventSchema,
]);

export const DispatchMetrics = {
  started: 'DispatchStarted',
  duplicate: 'DispatchDuplicate',
  warmPoolCompleted: 'DispatchWarmPoolCompleted',
  foreign: 'ForeignEvent',
} as const;

/**
 * StartExecution answers a repeated name + identical input with success while the first execution is still
 * open (Step Functions API reference, StartExecution), returning that execution's startDate. A startDate this
 * far before our call means we did not start it; the margin absorbs clock skew and an SDK retry of our own
 * request (whose startDate is after the call began anyway).
 */
export const EXISTING_EXECUTION_MARGIN_MS = 2_000;

/** The deployment config dispatch and the reconciler read from the environment. */
export interface LifecycleConfig {
  readonly cluster: string;
  readonly mode: ClusterMode;
  readonly primaryAsgName: string;
  readonly memberAsgName: string;
  readonly stateMachineArns: Readonly<Record<LifecycleWorkflow, string>>;
  readonly stateTable: string;
}

const CLUSTER_MODES: readonly ClusterMode[] = ['legacy-primary', 'cloud-native'];

/** Read and check the lifecycle config; any missing or invalid variable is a {@link ConfigurationError}. */
export function loadLifecycleConfig(env: NodeJS.ProcessEnv = process.env): LifecycleConfig {
  const mode = requireEnv(ENV.clusterMode, env);
  if (!CLUSTER_MODES.includes(mode as ClusterMode)) {
    throw new ConfigurationError(`${ENV.clusterMode} must be one of ${CLUSTER_MODES.join(', ')}`);
  }
  const primaryAsgName = requireEnv(ENV.primaryAsgName, env);
  const memberAsgName = requireEnv(ENV.memberAsgName, env);
  if (primaryAsgName === memberAsgName) {
    // One group cannot give two roles: every node would be taken for the primary.
    throw new ConfigurationError(`${ENV.primaryAsgName} and ${ENV.memberAsgName} must differ`);
  }
  return {
    cluster: requireEnv(ENV.clusterName, env),
    mode: mode as ClusterMode,
    primaryAsgName,
    memberAsgName,
    stateMachineArns: {
      'node-bootstrap': requireEnv(ENV.bootstrapStateMachineArn, env),
      'node-drain': requireEnv(ENV.drainStateMachineArn, env),
    },
    stateTable: requireEnv(ENV.stateTable, env),
  };
}

/** The cluster's groups in the region an event came from. */
export function clusterGroups(config: LifecycleConfig, region: string): ClusterGroups {
  return {
    cluster: config.cluster,
    region,
    mode: config.mode,
    primaryAsgName: config.primaryAsgName,
    memberAsgName: config.memberAsgName,
  };
}

export type Deps = Pick<HandlerContext, 'clients' | 'logger' | 'metrics'> & {
  /** Epoch milliseconds; default `Date.now`. */
  now?: () => number;
  env?: NodeJS.ProcessEnv;
};

type StartDecision = Extract<LifecycleDecision, { kind: 'start' }>;

/**
 * Start the decided workflow. `duplicate` when Step Functions already has the execution: closed or with
 * another input (ExecutionAlreadyExists), or still open with the same input (success, earlier startDate).
 * Any other error propagates.
 */
export async function startNodeWorkflow(
  decision: StartDecision,
  config: LifecycleConfig,
  deps: Pick<Deps, 'clients' | 'now'>,
): Promise<'started' | 'duplicate'> {
  return startNamedExecution(
    config.stateMachineArns[decision.workflow],
    decision.executionName,
    decision.input,
    deps,
  );
}

/**
 * StartExecution under a deterministic name: `duplicate` when Step Functions already has it (see
 * {@link startNodeWorkflow}); any other error propagates.
 */
export async function startNamedExecution(
  stateMachineArn: string,
  name: string,
  input: unknown,
  deps: Pick<Deps, 'clients' | 'now'>,
): Promise<'started' | 'duplicate'> {
  const now = deps.now ?? Date.now;
  const calledAt = now();
  try {
    const out = await deps.clients
      .sfn()
      .send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    const startedAt = out.startDate?.getTime();
    return startedAt !== undefined && startedAt < calledAt - EXISTING_EXECUTION_MARGIN_MS
      ? 'duplicate'
      : 'started';
  } catch (err) {
    if ((err as Error | undefined)?.name === 'ExecutionAlreadyExists') return 'duplicate';
    throw err;
  }
}

export type AuditOutcome = 'started' | 'duplicate' | 'completed' | 'error';

export interface AuditEntry {
  readonly trigger: 'event' | 'sweep';
  readonly cluster: string;
  /** The triggering event's time and id; the sk makes one entry per event (and instance, for a sweep). */
  readonly eventTime: string;
  readonly eventKey: string;
  readonly detailType: string;
  readonly instanceId: string;
  readonly group: string;
  readonly decision: LifecycleDecision;
  readonly outcome: AuditOutcome;
  /** For `error`: the error's name only (messages can quote input). */
  readonly error?: string;
}

/** The audit item (DESIGN §3.1 `AUDIT#time#id`), expiring after {@link AUDIT_RETENTION_DAYS}. */
export function auditItem(entry: AuditEntry, now: number): Record<string, unknown> {
  const d = entry.decision;
  return {
    pk: `CLUSTER#${entry.cluster}`,
    sk: `AUDIT#${new Date(entry.eventTime).toISOString()}#${entry.eventKey}`,
    trigger: entry.trigger,
    detailType: entry.detailType,
    instanceId: entry.instanceId,
    group: entry.group,
    decision: d.kind,
    ...(d.kind === 'start' ? { workflow: d.workflow, executionName: d.executionName } : {}),
    outcome: entry.outcome,
    ...(entry.error !== undefined ? { error: entry.error } : {}),
    ttl: Math.floor(now / 1000) + AUDIT_RETENTION_DAYS * 86_400,
  };
}

/**
 * Write an audit item. A redelivered event (same id, so same sk) must not replace what the first delivery
 * recorded with `duplicate`, only an `error` it left behind; a later `started`/`completed` always wins.
 */
export async function writeAudit(
  entry: AuditEntry,
  config: LifecycleConfig,
  deps: Pick<Deps, 'clients' | 'now'>,
): Promise<void> {
  const Item = auditItem(entry, (deps.now ?? Date.now)());
  const condition =
    entry.outcome === 'duplicate'
      ? {
          ConditionExpression: 'attribute_not_exists(sk) OR outcome = :error',
          ExpressionAttributeValues: { ':error': 'error' },
        }
      : {};
  try {
    await deps.clients.dynamoDoc().send(new PutCommand({ TableName: config.stateTable, Item, ...condition }));
  } catch (err) {
    if (entry.outcome === 'duplicate' && (err as Error).name === 'ConditionalCheckFailedException') return;
    throw err;
  }
}

const isNoActiveLifecycleAction = (err: unknown) =>
  (err as Error | undefined)?.name === 'ValidationError' &&
  /No active Lifecycle Action found/i.test((err as Error).message);

export interface DispatchResult {
  outcome: 'started' | 'duplicate' | 'completed';
  executionName?: string;
}

/**
 * Act on one lifecycle action event: start its workflow, or complete a warm-pool action with CONTINUE.
 * A foreign group's event is a {@link ValidationError} on `detail.AutoScalingGroupName` (the rule should not
 * have sent it) and touches nothing. SDK errors propagate, so Lambda and EventBridge retry the event.
 */
export async function dispatch(event: LifecycleActionEvent, deps: Deps): Promise<DispatchResult> {
  const config = loadLifecycleConfig(deps.env);
  const { detail } = event;
  const action: LifecycleAction = {
    groupName: detail.AutoScalingGroupName,
    hookName: detail.LifecycleHookName,
    instanceId: detail.EC2InstanceId,
    transition: detail.LifecycleTransition,
    origin: detail.Origin,
    destination: detail.Destination,
  };
  const decision = decideLifecycle(action, clusterGroups(config, event.region));
  const logKeys = {
    instanceId: action.instanceId,
    detailType: event['detail-type'],
    decision: decision.kind,
  };

  if (decision.kind === 'ignore') {
    deps.metrics.addMetric(DispatchMetrics.foreign, MetricUnit.Count, 1);
    deps.logger.warn('lifecycle event for a group that is not the cluster’s', logKeys);
    throw new ValidationError('Invalid lifecycle event: detail.AutoScalingGroupName: not a cluster group', [
      { path: 'detail.AutoScalingGroupName', message: 'not one of the cluster’s Auto Scaling groups' },
    ]);
  }

  const audit = (outcome: AuditOutcome, error?: string) =>
    writeAudit(
      {
        trigger: 'event',
        cluster: config.cluster,
        eventTime: event.time,
        eventKey: event.id,
        detailType: event['detail-type'],
        instanceId: action.instanceId,
        group: action.groupName,
        decision,
        outcome,
        ...(error !== undefined ? { error } : {}),
      },
      config,
      deps,
    );

  let result: DispatchResult;
  try {
    if (decision.kind === 'start') {
      const outcome = await startNodeWorkflow(decision, config, deps);
      result = { outcome, executionName: decision.executionName };
      if (
        config.mode === 'legacy-primary' &&
        decision.workflow === 'node-bootstrap' &&
        decision.input.role === 'primary'
      ) {
        await startReplacementFailover(decision.input.instanceId, event.region, config, deps);
      }
    } else {
      result = { outcome: await completeWarmPoolAction(event, decision.result, deps) };
    }
  } catch (err) {
    const errorName = (err as Error | undefined)?.name ?? 'Error';
    deps.logger.error('lifecycle dispatch failed', { ...logKeys, errorName });
    // Best effort: the retry's own entry replaces this one; a failing audit write must not hide the cause.
    await audit('error', errorName).catch((auditErr: unknown) =>
      deps.logger.error('audit write failed', { ...logKeys, errorName: (auditErr as Error).name }),
    );
    throw err;
  }

  await audit(result.outcome);
  const metric =
    result.outcome === 'started'
      ? DispatchMetrics.started
      : result.outcome === 'duplicate'
        ? DispatchMetrics.duplicate
        : DispatchMetrics.warmPoolCompleted;
  deps.metrics.addMetric(metric, MetricUnit.Count, 1);
  deps.logger.info('lifecycle event dispatched', {
    ...logKeys,
    group: action.groupName,
    outcome: result.outcome,
    ...(decision.kind === 'start'
      ? { workflow: decision.workflow, executionName: decision.executionName }
      : { reason: decision.reason }),
  });
  return result;
}

/**
 * CompleteLifecycleAction for warm-pool traffic. An action that is no longer active was completed by an
 * earlier delivery of the same event: `duplicate`. The token is scrubbed from any error that quotes it.
 */
async function completeWarmPoolAction(
  event: LifecycleActionEvent,
  result: 'CONTINUE',
  deps: Pick<Deps, 'clients'>,
): Promise<'completed' | 'duplicate'> {
  const token = event.detail.LifecycleActionToken;
  try {
    await deps.clients.autoScaling().send(
      new CompleteLifecycleActionCommand({
        AutoScalingGroupName: event.detail.AutoScalingGroupName,
        LifecycleHookName: event.detail.LifecycleHookName,
        LifecycleActionToken: token,
        InstanceId: event.detail.EC2InstanceId,
        LifecycleActionResult: result,
      }),
    );
    return 'completed';
  } catch (err) {
    if (isNoActiveLifecycleAction(err)) return 'duplicate';
    if (err instanceof Error && err.message.includes(token)) {
      err.message = err.message.split(token).join('[redacted]');
    }
    throw err;
  }
}

/**
 * The primary-unhealthy alarm went into ALARM: start primary-failover (trigger `alarm`), named after the
 * alarm's state-change time so a redelivered event finds its execution. Any other alarm is refused. The
 * workflow itself confirms, gates and locks: dispatch only starts it and audits.
 */
export async function dispatchAlarm(event: AlarmStateChangeEvent, deps: Deps): Promise<DispatchResult> {
  const config = loadLifecycleConfig(deps.env);
  const failoverArn = requireEnv(ENV.failoverStateMachineArn, deps.env);
  const expected = primaryAlarmName(config.cluster, event.region);
  const { detail } = event;
  if (detail.alarmName !== expected || detail.state.value !== 'ALARM') {
    deps.metrics.addMetric(DispatchMetrics.foreign, MetricUnit.Count, 1);
    throw new ValidationError(
      'Invalid alarm event: detail.alarmName: not the primary-unhealthy alarm in ALARM',
      [{ path: 'detail.alarmName', message: `expected ${expected} going into ALARM` }],
    );
  }
  const executionName = failoverExecutionName('alarm', `${event.region}-${Date.parse(event.time) / 1000}`);
  const input = {
    cluster: config.cluster,
    region: event.region,
    trigger: 'alarm',
    reason:
      `${detail.alarmName} is in ALARM: ${detail.state.reason ?? 'no healthy primary behind the ALB'}`.slice(
        0,
        500,
      ),
  };
  const now = deps.now ?? Date.now;
  const outcome = await startNamedExecution(failoverArn, executionName, input, deps);
  await deps.clients
    .dynamoDoc()
    .send(
      new PutCommand({
        TableName: config.stateTable,
        Item: {
          pk: `CLUSTER#${config.cluster}`,
          sk: `AUDIT#${new Date(event.time).toISOString()}#${event.id}`,
          trigger: 'alarm',
          detailType: event['detail-type'],
          alarmName: detail.alarmName,
          workflow: 'primary-failover',
          executionName,
          outcome,
          ttl: Math.floor(now() / 1000) + AUDIT_RETENTION_DAYS * 86_400,
        },
        // As for lifecycle events: a redelivered event (same sk) keeps the first delivery's `started`.
        ...(outcome === 'duplicate' ? { ConditionExpression: 'attribute_not_exists(sk)' } : {}),
      }),
    )
    .catch((err: Error) => {
      if (outcome !== 'duplicate' || err.name !== 'ConditionalCheckFailedException') throw err;
    });
  deps.metrics.addMetric(
    outcome === 'started' ? DispatchMetrics.started : DispatchMetrics.duplicate,
    MetricUnit.Count,
    1,
  );
  deps.logger.info('alarm dispatched', { alarmName: detail.alarmName, executionName, outcome });
  return { outcome, executionName };
}

/**
 * The primary group launching an instance means Auto Scaling is replacing a primary it found unhealthy (the
 * group holds one instance): the earliest sign the primary is gone, minutes before the terminate hook (after
 * the ALB's deregistration delay) or the alarm. Start primary-failover (trigger `replacement`): it confirms on
 * the nodes and fences before the new instance's bootstrap can claim the role, so a member that is already
 * running is promoted instead of waiting for a fresh boot; the new instance then joins as a member.
 */
async function startReplacementFailover(
  instanceId: string,
  region: string,
  config: LifecycleConfig,
  deps: Pick<Deps, 'clients' | 'env' | 'logger' | 'now'>,
): Promise<void> {
  const name = failoverExecutionName('replacement', instanceId);
  await startNamedExecution(
    requireEnv(ENV.failoverStateMachineArn, deps.env),
    name,
    {
      cluster: config.cluster,
      region,
      trigger: 'replacement',
      reason: `Auto Scaling launched ${instanceId} into the primary group ${config.primaryAsgName}`,
    },
    deps,
  );
  deps.logger.info('primary replacement: primary-failover started', { instanceId, executionName: name });
}

export const DispatchEventSchema = z.union([LifecycleActionEventSchema, AlarmStateChangeEventSchema]);

export const handler = makeHandler(
  DispatchEventSchema,
  (event, ctx) =>
    event['detail-type'] === 'CloudWatch Alarm State Change'
      ? dispatchAlarm(event as AlarmStateChangeEvent, ctx)
      : dispatch(event as LifecycleActionEvent, ctx),
  { inputName: 'event' },
);
