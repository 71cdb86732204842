/**
 * dispatch's cert-rotation triggers (issue 13, item 5): the region's certificate-expiry alarm going into ALARM
 * (trigger `alarm`) and the daily census schedule (trigger `schedule`) each start one cert-rotation run,
 * named `cert-rotation-<trigger>-<UTC yyyymmddHHMM>` after the event's time, under the gates recorded in
 * `GATE#cert-rotation` (pause, cooldown, daily budget: functions/core/cert-triggers.ts). The run decides
 * which nodes are due. Every decision is audited; another region's event, another alarm or state, or a
 * schedule that is not the census is refused and changes nothing.
 */
import {
  type CertAutoTrigger,
  type CertGateRecord,
  censusRuleName,
  certAlarmName,
  certGateDecision,
  certGateUpdate,
  certRotationExecutionName,
  certTriggerAuditPut,
} from '../core/cert-triggers';
import { gateKey } from '../core/keys';
import { putAudit } from '../shared/audit';
import { dynamoDocSdk } from '../shared/clients/dynamodb';
import { ENV, requireEnv, requireWholeNumberEnv } from '../shared/env';
import type { ScheduledEvent } from '../shared/event-envelope';
import type { AlarmStateChangeEvent } from '../shared/events';
import { startNamedExecution } from '../shared/executions';
import type { Deps } from '../shared/handler';
import { type LifecycleConfig, loadLifecycleConfig } from '../shared/lifecycle-config';
import { automationActive } from '../shared/pause';
import { MetricUnit } from '../shared/powertools';
import { DispatchMetrics, type DispatchResult, refuse } from './refuse';

type CertDeps = Deps<'sfn' | 'dynamoDoc'>;

/** Whether the alarm event is the region's certificate-expiry alarm (by name; the state is checked later). */
export function isCertAlarm(event: AlarmStateChangeEvent, env?: NodeJS.ProcessEnv): boolean {
  return (
    event.detail.alarmName === certAlarmName(requireEnv(ENV.clusterName, env), requireEnv(ENV.awsRegion, env))
  );
}

/** The certificate-expiry alarm: going into ALARM starts a run (trigger `alarm`). */
export async function dispatchCertAlarm(
  event: AlarmStateChangeEvent,
  deps: CertDeps,
): Promise<DispatchResult> {
  const config = loadLifecycleConfig(deps.env);
  const region = requireEnv(ENV.awsRegion, deps.env);
  const { detail } = event;
  const logKeys = {
    detailType: event['detail-type'],
    alarmName: detail.alarmName,
    state: detail.state.value,
  };
  if (event.region !== region) {
    return refuse('region', `alarm event of region ${event.region}, not ${region}`, logKeys, deps);
  }
  if (detail.state.value !== 'ALARM') {
    return refuse('alarm', `${detail.alarmName} going into ${detail.state.value}, not ALARM`, logKeys, deps);
  }
  const reason =
    `${detail.alarmName} is in ALARM: ${detail.state.reason ?? 'a certificate is close to expiry'}`.slice(
      0,
      500,
    );
  return startGated('alarm', event, reason, config, deps);
}

/** The daily census schedule: starts a run (trigger `schedule`) that renews every node due. */
export async function dispatchCensus(event: ScheduledEvent, deps: CertDeps): Promise<DispatchResult> {
  const config = loadLifecycleConfig(deps.env);
  const region = requireEnv(ENV.awsRegion, deps.env);
  const rule = censusRuleName(config.cluster);
  const logKeys = { detailType: event['detail-type'], resources: event.resources };
  if (event.region !== region) {
    return refuse('region', `scheduled event of region ${event.region}, not ${region}`, logKeys, deps);
  }
  // A rule ARN is arn:aws:events:<region>:<account>:rule/<name> (or rule/<bus>/<name>).
  if (!event.resources.some((arn) => arn.startsWith('arn:') && arn.endsWith(`:rule/${rule}`))) {
    return refuse('schedule', `scheduled event not from the census rule ${rule}`, logKeys, deps);
  }
  return startGated('schedule', event, `daily certificate census (${rule})`, config, deps);
}

async function readGate(config: LifecycleConfig, deps: CertDeps): Promise<CertGateRecord | undefined> {
  const { GetCommand } = dynamoDocSdk();
  const got = await deps.clients.dynamoDoc().send(
    new GetCommand({
      TableName: config.stateTable,
      Key: gateKey(config.cluster, 'cert-rotation'),
      ConsistentRead: true,
    }),
  );
  return got.Item as CertGateRecord | undefined;
}

/**
 * Gate, record, start, audit. The gate item is written before the start, conditionally on what the gate
 * read: of two triggers at once one records its start, the other finds it and is refused by the cooldown.
 * A redelivery of the recorded event passes the gate (the item names its execution) and StartExecution
 * answers `duplicate`, or starts the run a failed first delivery recorded but never started.
 */
async function startGated(
  trigger: CertAutoTrigger,
  event: { readonly time: string; readonly id: string; readonly 'detail-type': string },
  reason: string,
  config: LifecycleConfig,
  deps: CertDeps,
): Promise<DispatchResult> {
  const { UpdateCommand } = dynamoDocSdk();
  const arn = requireEnv(ENV.certRotationStateMachineArn, deps.env);
  const settings = {
    cooldownMs: requireWholeNumberEnv(ENV.certCooldownMinutes, deps.env) * 60_000,
    dailyBudget: requireWholeNumberEnv(ENV.dailyBudget, deps.env),
    automationEnabled: await automationActive(config.automationEnabled, deps),
  };
  const now = (deps.now ?? Date.now)();
  const executionName = certRotationExecutionName(trigger, event.time);
  const audit = (outcome: 'started' | 'duplicate' | 'gated', gate?: { rule: string; reason: string }) =>
    putAudit(
      config.stateTable,
      certTriggerAuditPut(
        {
          cluster: config.cluster,
          trigger,
          eventTime: event.time,
          eventId: event.id,
          detailType: event['detail-type'],
          executionName,
          outcome,
          ...(gate === undefined
            ? {}
            : { rule: gate.rule as 'paused' | 'cooldown' | 'budget', reason: gate.reason }),
        },
        now,
      ),
      deps,
    );

  let record = await readGate(config, deps);
  let decision = certGateDecision(executionName, record, settings, now);
  if (decision.allow && !decision.repeat) {
    try {
      await deps.clients.dynamoDoc().send(
        new UpdateCommand({
          TableName: config.stateTable,
          ...certGateUpdate(config.cluster, executionName, record, now),
        }),
      );
    } catch (err) {
      if ((err as Error | undefined)?.name !== 'ConditionalCheckFailedException') throw err;
      // Another trigger (or a concurrent delivery of this one) recorded a start since the read: decide again.
      record = await readGate(config, deps);
      decision = certGateDecision(executionName, record, settings, now);
      if (decision.allow && !decision.repeat) {
        decision = {
          allow: false,
          rule: 'cooldown',
          reason: 'another trigger recorded a start at the same time',
        };
      }
    }
  }
  if (!decision.allow) {
    await audit('gated', decision);
    deps.metrics.addMetric(
      decision.rule === 'paused' ? DispatchMetrics.paused : DispatchMetrics.gated,
      MetricUnit.Count,
      1,
    );
    deps.logger.warn('cert-rotation trigger gated', {
      trigger,
      executionName,
      rule: decision.rule,
      reason: decision.reason,
    });
    return { outcome: decision.rule === 'paused' ? 'paused' : 'gated', executionName };
  }
  const outcome = await startNamedExecution(arn, executionName, { trigger, reason }, deps);
  await audit(outcome);
  deps.metrics.addMetric(
    outcome === 'started' ? DispatchMetrics.started : DispatchMetrics.duplicate,
    MetricUnit.Count,
    1,
  );
  deps.logger.info('cert-rotation trigger dispatched', { trigger, executionName, outcome });
  return { outcome, executionName };
}
