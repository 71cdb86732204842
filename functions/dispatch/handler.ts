/**
 * dispatch: the EventBridge target for the cluster's Auto Scaling lifecycle actions, its primary-unhealthy
 * alarm, cert-rotation's triggers (the certificate-expiry alarm and the daily census: ./cert-rotation.ts) and the
 * region's degraded alarm (regional-failover in a peer region: ./regional.ts). It turns each lifecycle action into a node-bootstrap or node-drain execution with a deterministic
 * name, completes warm-pool traffic at once, starts primary-failover for the alarm (not while automation is
 * paused: the operator is told instead, once per incident), and audits every decision.
 * It acts only on events of this stack's region (the Lambda's `AWS_REGION`), the cluster's groups, the project's
 * own lifecycle hooks (`HOOK_NAMES`) and the cluster's primary-unhealthy alarm. Any other event, or a malformed
 * one, is refused: logged and counted once, touching nothing, and NOT thrown, since Lambda's asynchronous
 * retries cannot make it acceptable (they would only run it three times). The lifecycle action token is used
 * for CompleteLifecycleAction only: it is never logged, audited or passed to a workflow.
 */
import * as z from 'zod/mini';
import { type AuditOutcome, alarmAuditPut } from '../core/audit';
import { failoverExecutionName, primaryAlarmName } from '../core/failover';
import { clusterGroups, decideLifecycle, isProjectHook, type LifecycleAction } from '../core/lifecycle';
import { putAudit, writeAudit } from '../shared/audit';
import { autoScaling, autoScalingSdk } from '../shared/clients/auto-scaling';
import { dynamoDoc } from '../shared/clients/dynamodb';
import { sfn } from '../shared/clients/sfn';
import { sns } from '../shared/clients/sns';
import { ENV, requireEnv } from '../shared/env';
import { ValidationError } from '../shared/errors';
import { type ScheduledEvent, ScheduledEventSchema } from '../shared/event-envelope';
import {
  type AlarmStateChangeEvent,
  AlarmStateChangeEventSchema,
  LaunchLifecycleActionEventSchema,
  type LifecycleActionEvent,
  TerminateLifecycleActionEventSchema,
} from '../shared/events';
import { startNamedExecution, startNodeWorkflow } from '../shared/executions';
import { type Deps, type LambdaHandler, makeHandler } from '../shared/handler';
import { type LifecycleConfig, loadLifecycleConfig } from '../shared/lifecycle-config';
import { notifyOnce } from '../shared/notice';
import { automationActive } from '../shared/pause';
import { MetricUnit } from '../shared/powertools';
import { dispatchCensus, dispatchCertAlarm, isCertAlarm } from './cert-rotation';
import { DispatchMetrics, type DispatchResult, refuse } from './refuse';
import { dispatchRegionalAlarm, isRegionalAlarm } from './regional';

export { DispatchMetrics, type DispatchResult, type ForeignReason } from './refuse';

/** What dispatch may call: Auto Scaling, Step Functions, the state table and SNS. */
type DispatchDeps = Deps<'autoScaling' | 'sfn' | 'dynamoDoc' | 'sns'>;

export const LifecycleActionEventSchema = z.union([
  LaunchLifecycleActionEventSchema,
  TerminateLifecycleActionEventSchema,
]);

const isNoActiveLifecycleAction = (err: unknown) =>
  (err as Error | undefined)?.name === 'ValidationError' &&
  /No active Lifecycle Action found/i.test((err as Error).message);

/**
 * Act on one lifecycle action event: start its workflow, or complete a warm-pool action with CONTINUE.
 * An event of another region, of a group that is not the cluster's, or of a hook that is not the project's
 * (another team's hook on the same group) is refused ({@link refuse}) and touches nothing: acting on another
 * hook's action would take the deterministic execution name the project's own action needs. SDK errors
 * propagate, so Lambda and EventBridge retry the event.
 */
export async function dispatch(event: LifecycleActionEvent, deps: DispatchDeps): Promise<DispatchResult> {
  const config = loadLifecycleConfig(deps.env);
  const region = requireEnv(ENV.awsRegion, deps.env);
  const { detail } = event;
  const action: LifecycleAction = {
    groupName: detail.AutoScalingGroupName,
    hookName: detail.LifecycleHookName,
    instanceId: detail.EC2InstanceId,
    transition: detail.LifecycleTransition,
    origin: detail.Origin,
    destination: detail.Destination,
  };
  const decision = decideLifecycle(action, clusterGroups(config, region));
  const logKeys = {
    instanceId: action.instanceId,
    detailType: event['detail-type'],
    decision: decision.kind,
  };

  if (event.region !== region) {
    return refuse('region', `lifecycle event of region ${event.region}, not ${region}`, logKeys, deps);
  }
  if (decision.kind === 'ignore') {
    return refuse('group', 'lifecycle event of a group that is not the cluster’s', logKeys, deps);
  }
  if (!isProjectHook(action.hookName, action.transition)) {
    return refuse(
      'hook',
      'lifecycle event of a hook that is not the control plane’s',
      { ...logKeys, group: action.groupName, hookName: action.hookName },
      deps,
    );
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

  let result: DispatchResult & { outcome: AuditOutcome };
  try {
    if (decision.kind === 'start') {
      const outcome = await startNodeWorkflow(decision, config, deps);
      result = { outcome, executionName: decision.executionName };
      if (
        config.mode === 'legacy-primary' &&
        decision.workflow === 'node-bootstrap' &&
        decision.input.role === 'primary'
      ) {
        await startReplacementFailover(decision.input.instanceId, region, config, deps);
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
  deps: Pick<Deps<'autoScaling'>, 'clients'>,
): Promise<'completed' | 'duplicate'> {
  const { CompleteLifecycleActionCommand } = autoScalingSdk();
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
 * alarm's state-change time so a redelivered event finds its execution. Another region's event, any other
 * alarm, or another state is refused ({@link refuse}). The workflow itself confirms, gates and locks: dispatch
 * only starts it and audits. While automation is paused nothing is started ({@link holdAlarm}).
 */
export async function dispatchAlarm(
  event: AlarmStateChangeEvent,
  deps: DispatchDeps,
): Promise<DispatchResult> {
  const config = loadLifecycleConfig(deps.env);
  const failoverArn = requireEnv(ENV.failoverStateMachineArn, deps.env);
  const region = requireEnv(ENV.awsRegion, deps.env);
  const expected = primaryAlarmName(config.cluster, region);
  const { detail } = event;
  const logKeys = {
    detailType: event['detail-type'],
    alarmName: detail.alarmName,
    state: detail.state.value,
  };
  if (event.region !== region) {
    return refuse('region', `alarm event of region ${event.region}, not ${region}`, logKeys, deps);
  }
  if (detail.alarmName !== expected || detail.state.value !== 'ALARM') {
    return refuse('alarm', `not ${expected} going into ALARM`, logKeys, deps);
  }
  const now = deps.now ?? Date.now;
  if (!(await automationActive(config.automationEnabled, deps)))
    return holdAlarm(event, region, config, deps);
  const executionName = failoverExecutionName('alarm', `${region}-${Date.parse(event.time) / 1000}`);
  const input = {
    cluster: config.cluster,
    region,
    trigger: 'alarm',
    reason:
      `${detail.alarmName} is in ALARM: ${detail.state.reason ?? 'no healthy primary behind the ALB'}`.slice(
        0,
        500,
      ),
  };
  const outcome = await startNamedExecution(failoverArn, executionName, input, deps);
  await putAudit(
    config.stateTable,
    alarmAuditPut(
      {
        cluster: config.cluster,
        eventTime: event.time,
        eventId: event.id,
        detailType: event['detail-type'],
        alarmName: detail.alarmName,
        executionName,
        outcome,
      },
      now(),
    ),
    deps,
  );
  deps.metrics.addMetric(
    outcome === 'started' ? DispatchMetrics.started : DispatchMetrics.duplicate,
    MetricUnit.Count,
    1,
  );
  deps.logger.info('alarm dispatched', { alarmName: detail.alarmName, executionName, outcome });
  return { outcome, executionName };
}

/**
 * The primary-unhealthy alarm while automation is paused: no failover. The operator is told once per
 * incident (a missing primary), every delivery is audited (`paused`, whether it notified) and counted.
 */
async function holdAlarm(
  event: AlarmStateChangeEvent,
  region: string,
  config: LifecycleConfig,
  deps: DispatchDeps,
): Promise<DispatchResult> {
  const { detail } = event;
  const notified = await notifyOnce(
    {
      stateTable: config.stateTable,
      topicArn: config.topicArn,
      cluster: config.cluster,
      region,
      finding: 'no-primary',
      source: 'dispatch',
      detail: `${detail.alarmName} went into ALARM at ${event.time}: ${detail.state.reason ?? 'no healthy primary behind the ALB'}. No failover was started.`,
    },
    deps,
  );
  await putAudit(
    config.stateTable,
    alarmAuditPut(
      {
        cluster: config.cluster,
        eventTime: event.time,
        eventId: event.id,
        detailType: event['detail-type'],
        alarmName: detail.alarmName,
        outcome: 'paused',
        notified,
      },
      (deps.now ?? Date.now)(),
    ),
    deps,
  );
  deps.metrics.addMetric(DispatchMetrics.paused, MetricUnit.Count, 1);
  deps.logger.warn('automation paused: alarm held', { alarmName: detail.alarmName, notified });
  return { outcome: 'paused' };
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
  deps: Pick<DispatchDeps, 'clients' | 'env' | 'logger' | 'metrics' | 'now'>,
): Promise<void> {
  if (!(await automationActive(config.automationEnabled, deps))) {
    // Paused: the replacement's own bootstrap still runs and takes its group's role if no live primary holds
    // it. Not notified: a missing primary is reported by the alarm or the sweep, once per incident.
    deps.metrics.addMetric(DispatchMetrics.paused, MetricUnit.Count, 1);
    deps.logger.warn('automation paused: no failover for the primary replacement', { instanceId });
    return;
  }
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

export const DispatchEventSchema = z.union([
  LifecycleActionEventSchema,
  AlarmStateChangeEventSchema,
  ScheduledEventSchema,
]);

const validated = makeHandler(
  DispatchEventSchema,
  { autoScaling, sfn, dynamoDoc, sns },
  (event, ctx) => {
    if (event['detail-type'] === 'Scheduled Event') return dispatchCensus(event as ScheduledEvent, ctx);
    if (event['detail-type'] !== 'CloudWatch Alarm State Change') {
      return dispatch(event as LifecycleActionEvent, ctx);
    }
    const alarm = event as AlarmStateChangeEvent;
    if (isRegionalAlarm(alarm)) return dispatchRegionalAlarm(alarm, ctx);
    return isCertAlarm(alarm) ? dispatchCertAlarm(alarm, ctx) : dispatchAlarm(alarm, ctx);
  },
  { inputName: 'event' },
);

/**
 * The entry point. A malformed event has been logged (field paths, not values) and counted once
 * (`InvalidEvent`) by {@link makeHandler}; it is answered `rejected` instead of thrown, because Lambda's
 * asynchronous retries would only fail it twice more. Configuration and SDK errors still throw (a retry or
 * the function's error alarm is the right answer to those).
 */
export const handler: LambdaHandler<DispatchResult> = async (event, context) => {
  try {
    return await validated(event, context);
  } catch (err) {
    if (err instanceof ValidationError) return { outcome: 'rejected', reason: 'malformed' };
    throw err;
  }
};
