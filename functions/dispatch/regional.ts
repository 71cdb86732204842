/**
 * dispatch's automatic regional failover (issue 14, item 5): the region's degraded alarm going into ALARM starts
 * regional-failover `{action: 'evacuate', region: <own>, trigger: 'automatic'}`; going back to OK from ALARM
 * starts a restore when `failover.automaticRestore` (the workflow's hysteresis check decides when). The run is
 * started in the first PEER region (config order) whose Step Functions accepts it, through a client pinned to
 * that region: evacuating a sick region must not depend on it. Its name, `<action>-<region>-<epoch s>`, makes a
 * redelivery (or a second peer after a lost answer) find the run (ExecutionAlreadyExists = handled). While
 * automation is paused nothing is started: the operator is told once per incident. Every decision is audited;
 * another region's event, another alarm or an OK that does not end an ALARM is refused and changes nothing.
 */
import * as z from 'zod/mini';
import {
  type RegionalAudit,
  regionalActionOf,
  regionalAuditPut,
  regionalExecutionName,
  regionalInput,
} from '../core/region-dispatch';
import { putAudit } from '../shared/audit';
import { sfnIn } from '../shared/clients/sfn';
import { ENV, readEnv, requireEnv } from '../shared/env';
import { ConfigurationError } from '../shared/errors';
import type { AlarmStateChangeEvent } from '../shared/events';
import { startNamedExecution } from '../shared/executions';
import type { Deps } from '../shared/handler';
import { loadLifecycleConfig } from '../shared/lifecycle-config';
import { notifyOnce } from '../shared/notice';
import { automationActive } from '../shared/pause';
import { MetricUnit } from '../shared/powertools';
import { DispatchMetrics, type DispatchResult, refuse } from './refuse';

type RegionalDeps = Deps<'sfn' | 'dynamoDoc' | 'sns'>;

const SettingsSchema = z.strictObject({
  cluster: z.string().check(z.minLength(1)),
  region: z.string().check(z.minLength(1)),
  degradedAlarmName: z.string().check(z.minLength(1)),
  peers: z.array(
    z.strictObject({
      region: z.string().check(z.minLength(1)),
      stateMachineArn: z.string().check(z.regex(/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:.+$/)),
    }),
  ),
  automaticRestore: z.boolean(),
});
export type RegionalDispatchSettings = z.infer<typeof SettingsSchema>;

/** `REGIONAL_DISPATCH`, or undefined when this deployment has no automatic regional failover. */
export function regionalSettings(env?: NodeJS.ProcessEnv): RegionalDispatchSettings | undefined {
  const raw = readEnv(ENV.regionalDispatch, env);
  if (raw === undefined || raw.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigurationError(`${ENV.regionalDispatch} is not JSON`);
  }
  const result = SettingsSchema.safeParse(parsed);
  if (!result.success) {
    const fields = result.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new ConfigurationError(`${ENV.regionalDispatch} is invalid at ${fields}`);
  }
  return result.data;
}

/** Whether the alarm event is this region's degraded alarm (by name; the state is checked later). */
export function isRegionalAlarm(event: AlarmStateChangeEvent, env?: NodeJS.ProcessEnv): boolean {
  return regionalSettings(env)?.degradedAlarmName === event.detail.alarmName;
}

/** The region's degraded alarm changed: start (or hold) the evacuation or restore it asks for. */
export async function dispatchRegionalAlarm(
  event: AlarmStateChangeEvent,
  deps: RegionalDeps,
): Promise<DispatchResult> {
  const settings = regionalSettings(deps.env);
  if (settings === undefined)
    throw new ConfigurationError(`Missing required environment variable ${ENV.regionalDispatch}`);
  const config = loadLifecycleConfig(deps.env);
  const region = requireEnv(ENV.awsRegion, deps.env);
  const { detail } = event;
  const logKeys = {
    detailType: event['detail-type'],
    alarmName: detail.alarmName,
    state: detail.state.value,
    previousState: detail.previousState.value,
  };
  if (event.region !== region || settings.region !== region) {
    return refuse('region', `alarm event of region ${event.region}, not ${region}`, logKeys, deps);
  }
  if (detail.alarmName !== settings.degradedAlarmName) {
    return refuse('alarm', `not ${settings.degradedAlarmName}`, logKeys, deps);
  }
  const action = regionalActionOf(detail.state.value, detail.previousState.value, settings.automaticRestore);
  if (action === undefined) {
    return refuse(
      'alarm',
      `${detail.alarmName} going from ${detail.previousState.value} to ${detail.state.value}: neither ALARM nor a recovery`,
      logKeys,
      deps,
    );
  }
  const now = (deps.now ?? Date.now)();
  const base = {
    cluster: config.cluster,
    eventTime: event.time,
    eventId: event.id,
    alarmName: detail.alarmName,
  };
  const audit = (a: RegionalAudit) => putAudit(config.stateTable, regionalAuditPut(a, now), deps);

  if (action === 'manual-restore' || settings.peers.length === 0) {
    // A restore without automaticRestore is the operator's; with one configured region there is nowhere to
    // run (and nothing to move traffic to: the last serving region is never evacuated).
    await audit({ ...base, action, outcome: 'manual-only' });
    deps.logger.info(
      action === 'manual-restore'
        ? 'region recovered: restore is manual (failover.automaticRestore is false)'
        : 'no peer region: a single-region deployment is never evacuated',
      logKeys,
    );
    return { outcome: 'skipped' };
  }
  if (!(await automationActive(config.automationEnabled, deps))) {
    // Paused: nothing starts. An evacuation the operator should know about is told once per incident; a
    // recovery while paused is only audited (the region was never evacuated by us).
    const notified =
      action === 'evacuate'
        ? await notifyOnce(
            {
              stateTable: config.stateTable,
              topicArn: config.topicArn,
              cluster: config.cluster,
              region,
              finding: 'region-degraded',
              source: 'dispatch',
              detail: `${detail.alarmName} went into ALARM at ${event.time}: ${detail.state.reason ?? 'the region is degraded'}. No evacuation was started.`,
            },
            deps,
          )
        : false;
    await audit({ ...base, action, outcome: 'paused', notified });
    deps.metrics.addMetric(DispatchMetrics.paused, MetricUnit.Count, 1);
    deps.logger.warn('automation paused: degraded alarm held', { ...logKeys, action, notified });
    return { outcome: 'paused' };
  }

  const executionName = regionalExecutionName(action, region, event.time);
  const input = regionalInput(action, region, detail.alarmName, detail.state.reason);
  const skipped: { region: string; error: string }[] = [];
  for (const peer of settings.peers) {
    try {
      const outcome = await startNamedExecution(peer.stateMachineArn, executionName, input, {
        clients: { ...deps.clients, sfn: () => sfnIn(peer.region) },
        now: deps.now ?? Date.now,
      });
      await audit({ ...base, action, outcome, executionName, startedIn: peer.region, skipped });
      deps.metrics.addMetric(
        outcome === 'started' ? DispatchMetrics.started : DispatchMetrics.duplicate,
        MetricUnit.Count,
        1,
      );
      deps.logger.info('degraded alarm dispatched', {
        ...logKeys,
        action,
        executionName,
        startedIn: peer.region,
        outcome,
        skipped,
      });
      return { outcome, executionName };
    } catch (err) {
      // This peer's Step Functions did not answer (its region is lost, throttled, or refused): the next one.
      const error = (err as Error | undefined)?.name ?? 'Error';
      skipped.push({ region: peer.region, error });
      deps.logger.warn('peer did not start regional-failover; trying the next', { peer: peer.region, error });
    }
  }
  await audit({ ...base, action, outcome: 'error', executionName, skipped });
  deps.logger.error('no peer region started regional-failover', {
    ...logKeys,
    action,
    executionName,
    skipped,
  });
  // Thrown: Lambda's asynchronous retries (and EventBridge's) try the peers again with the same name.
  throw new PeersUnavailable(action, region, skipped);
}

/** No peer region's Step Functions started the run (or there is no peer region). */
export class PeersUnavailable extends Error {
  override readonly name = 'PeersUnavailable';
  constructor(action: string, region: string, skipped: readonly { region: string; error: string }[]) {
    super(
      `no peer region started the ${action} of ${region}: ${skipped.map((s) => `${s.region} ${s.error}`).join(', ')}`,
    );
  }
}
