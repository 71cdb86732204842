/**
 * reconciler: the scheduled sweep for lifecycle events EventBridge lost. Every instance of the
 * cluster's groups waiting on a lifecycle hook gets the execution dispatch would have started, under the
 * same deterministic name and input, so an execution that exists already is left alone by Step Functions.
 * While automation is paused the sweep still answers lifecycle hooks (they answer Auto Scaling's own
 * actions), but its census starts no failover: what it finds, and any scaling process a dead failover left
 * suspended, is reported instead (./paused.ts).
 */
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { censusAuditPut } from '../core/audit-trail';
import { primaryCensus } from '../core/election-census';
import { type ClusterState, failoverExecutionName } from '../core/failover';
import { stateKey } from '../core/keys';
import { clusterGroups, decideLifecycle, sweptAction, WAITING_STATES } from '../core/lifecycle';
import { findingOfCensus, type Suspension } from '../core/paused';
import { putAudit, writeAudit } from '../shared/audit';
import { autoScaling, autoScalingSdk } from '../shared/clients/auto-scaling';
import { cloudWatch } from '../shared/clients/cloudwatch';
import { dynamoDoc, dynamoDocSdk } from '../shared/clients/dynamodb';
import { sfn } from '../shared/clients/sfn';
import { sns } from '../shared/clients/sns';
import { ENV, requireEnv, requireWholeNumberEnv } from '../shared/env';
import type { ScheduledEvent } from '../shared/event-envelope';
import { ScheduledEventSchema } from '../shared/event-envelope';
import { executionStatus, startNamedExecution, startNodeWorkflow } from '../shared/executions';
import { makeHandler } from '../shared/handler';
import { type LifecycleConfig, loadLifecycleConfig } from '../shared/lifecycle-config';
import { loadPauseHome } from '../shared/pause';
import { MetricUnit } from '../shared/powertools';
import { type CertificateCensus, publishCertificateDaysLeft } from './certificates';
import { reminderHours, type SweepPause, sweepPause } from './pause';
import { reportLeftovers, reportPausedFinding, type SweepDeps } from './paused';
import { findOverdueRuns, loadRunBounds, logCensus, publishSweepMetrics } from './report';

export const SweepMetrics = {
  primaryCensus: 'PrimaryCensusFailover',
  recovered: 'SweepRecovered',
  errors: 'SweepErrors',
} as const;

type WaitingState = (typeof WAITING_STATES)[number];
const isWaiting = (state: string | undefined): state is WaitingState =>
  (WAITING_STATES as readonly (string | undefined)[]).includes(state);

/**
 * The sweep could not handle every waiting instance (or could not see a group). Thrown after the others were
 * handled, so the schedule's retry and the function's error alarm see it.
 */
export class SweepIncompleteError extends Error {
  override readonly name = 'SweepIncomplete';
  /** The instances (and, as `group:<name>`, the missing groups) that were not handled. */
  readonly failed: readonly string[];

  constructor(failed: readonly string[], options?: ErrorOptions) {
    super(`Sweep incomplete: ${failed.length} not handled: ${failed.join(', ')}`, options);
    this.failed = failed;
  }
}

export interface SweepResult {
  /** Instances found waiting on a lifecycle hook. */
  checked: number;
  /** Of those, the ones whose execution the sweep started (their event was lost). */
  recovered: number;
  /** Of those, the ones that already had their execution. */
  alreadyHandled: number;
  /**
   * Legacy mode: what the census of primaries found, and the failover it started, if any; `paused` when
   * automation is paused and the finding was reported instead (`notified`: it opened an incident).
   */
  primaries?: Census;
  /** While paused: the scaling processes a dead failover run left suspended (reported, not resumed). */
  leftovers?: Suspension[];
  /** `CertificateDaysLeft` as published (./certificates.ts); absent when no node has a recorded certificate. */
  certificates?: CertificateCensus;
  /** Remediation was held (the effective pause, or a pause that could not be read). */
  paused?: boolean;
  /** The version the sweep copied into this region's copy of the pause. */
  pauseRepaired?: number;
  /** The pause reminder was sent by this sweep. */
  reminded?: boolean;
  /** Runs past their workflow's bound (`RunsOverdue`). */
  overdue?: number;
}

type Census = {
  census: 'ok' | 'zero' | 'two';
  execution?: string;
  paused?: boolean;
  notified?: boolean;
};

/** One sweep over both groups. Failures are collected; the rest still run; then {@link SweepIncompleteError}. */
export async function sweep(event: ScheduledEvent, deps: SweepDeps): Promise<SweepResult> {
  const { DescribeAutoScalingGroupsCommand } = autoScalingSdk();
  const deployed = loadLifecycleConfig(deps.env);
  // Fail fast: the census needs it only when it finds a problem, the worst moment to learn it is missing.
  if (deployed.mode === 'legacy-primary') requireEnv(ENV.failoverStateMachineArn, deps.env);
  // The same for the pause's copies, the reminder period, the runs' bounds and the gate settings of the census.
  loadPauseHome(deps.env);
  reminderHours(deps.env);
  loadRunBounds(deps.env);
  requireWholeNumberEnv(ENV.cooldownMinutes, deps.env);
  requireWholeNumberEnv(ENV.dailyBudget, deps.env);
  const result: SweepResult = { checked: 0, recovered: 0, alreadyHandled: 0 };
  const failed: string[] = [];
  const errors: unknown[] = [];
  // The pause first: its repair makes this region's copy current before anything reads it. Unreadable: no
  // remediation this sweep (lifecycle hooks are still answered, as while paused).
  let pause: SweepPause | undefined;
  try {
    pause = await sweepPause(deployed, deps);
    if (pause.repaired !== undefined) result.pauseRepaired = pause.repaired;
    if (pause.reminded === true) result.reminded = true;
    if (pause.reminderError !== undefined) {
      failed.push('reminder');
      errors.push(new Error(`pause reminder: ${pause.reminderError}`));
    }
  } catch (err) {
    deps.logger.error('pause check failed: no remediation this sweep', { errorName: (err as Error).name });
    failed.push('pause');
    errors.push(err);
  }
  const config: LifecycleConfig = { ...deployed, automationEnabled: pause?.active ?? false };
  if (!config.automationEnabled) result.paused = true;
  const groups = clusterGroups(config, event.region);
  const names = [config.primaryAsgName, config.memberAsgName];
  const described = await deps.clients
    .autoScaling()
    .send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names }));

  for (const name of names) {
    const group = described.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === name);
    if (group === undefined) {
      // A group the config names but Auto Scaling does not know: the sweep is blind there, say so.
      deps.logger.error('cluster group not found', { group: name });
      failed.push(`group:${name}`);
      continue;
    }
    for (const instance of group.Instances ?? []) {
      const state = instance.LifecycleState;
      if (instance.InstanceId === undefined || !isWaiting(state)) continue;
      const instanceId = instance.InstanceId;
      result.checked++;
      const decision = decideLifecycle(sweptAction(name, instanceId, state), groups);
      if (decision.kind !== 'start') continue;
      try {
        const outcome = await startNodeWorkflow(decision, config, deps);
        if (outcome === 'duplicate') {
          result.alreadyHandled++;
          continue;
        }
        result.recovered++;
        deps.logger.warn('lost lifecycle event recovered', {
          instanceId,
          group: name,
          lifecycleState: state,
          workflow: decision.workflow,
          executionName: decision.executionName,
        });
        await writeAudit(
          {
            trigger: 'sweep',
            cluster: config.cluster,
            eventTime: event.time,
            eventKey: `${event.id}#${instanceId}`,
            detailType: event['detail-type'],
            instanceId,
            group: name,
            decision,
            outcome: 'started',
          },
          config,
          deps,
        );
      } catch (err) {
        deps.logger.error('sweep could not handle instance', {
          instanceId,
          group: name,
          errorName: (err as Error | undefined)?.name,
          error: (err as Error | undefined)?.message,
        });
        failed.push(instanceId);
        errors.push(err);
      }
    }
  }

  if (config.mode === 'legacy-primary') {
    try {
      result.primaries = await censusOfPrimaries(event, config, described.AutoScalingGroups ?? [], deps);
    } catch (err) {
      deps.logger.error('primary census failed', { errorName: (err as Error).name });
      failed.push('census');
      errors.push(err);
    }
  }
  try {
    const certificates = await publishCertificateDaysLeft(
      event,
      config,
      described.AutoScalingGroups ?? [],
      deps,
    );
    if (certificates.daysLeft !== undefined) result.certificates = certificates;
  } catch (err) {
    deps.logger.error('certificate census failed', { errorName: (err as Error).name });
    failed.push('certificates');
    errors.push(err);
  }
  if (!config.automationEnabled) {
    try {
      result.leftovers = await reportLeftovers(event, config, described.AutoScalingGroups ?? [], deps);
    } catch (err) {
      deps.logger.error('leftover check failed', { errorName: (err as Error).name });
      failed.push('leftovers');
      errors.push(err);
    }
  }

  const runs = await findOverdueRuns(deps).catch((err: unknown) => ({
    overdue: [],
    failed: ['runs'],
    errors: [err],
  }));
  failed.push(...runs.failed);
  errors.push(...runs.errors);
  if (runs.overdue.length > 0) result.overdue = runs.overdue.length;
  try {
    await logCensus(
      event,
      config,
      described.AutoScalingGroups ?? [],
      { paused: !config.automationEnabled, reason: pause?.reason ?? 'the pause could not be read' },
      deps,
    );
  } catch (err) {
    deps.logger.error('sweep census failed', { errorName: (err as Error).name });
    failed.push('census-line');
    errors.push(err);
  }

  // Only news is published: a custom metric costs $0.30 for every hour it has a datapoint, so a zero every
  // five minutes would cost $0.60 a region each month for two lines nobody reads (docs/performance.md, "Idle
  // cost"). An alarm on SweepErrors treats missing data as not breaching; a failed sweep also throws.
  if (result.recovered > 0)
    deps.metrics.addMetric(SweepMetrics.recovered, MetricUnit.Count, result.recovered);
  try {
    await publishSweepMetrics(
      event,
      config,
      {
        ...(pause?.metric === undefined ? {} : { paused: pause.metric }),
        ...(runs.overdue.length > 0 ? { overdue: runs.overdue.length } : {}),
        ...(failed.length > 0 ? { errors: failed.length } : {}),
      },
      deps,
    );
  } catch (err) {
    deps.logger.error('sweep metrics could not be published', { errorName: (err as Error).name });
    failed.push('metrics');
    errors.push(err);
  }
  deps.logger.info('sweep done', { ...result, failed: failed.length });
  if (failed.length > 0) {
    throw new SweepIncompleteError(failed, { cause: new AggregateError(errors, 'sweep errors') });
  }
  return result;
}

/**
 * Zero or two primaries: from the groups and the state item, start primary-failover
 * (trigger `reconciler`, one execution per sweep); the workflow confirms on the nodes, gates and locks.
 * While automation is paused, report the finding instead (once per incident).
 */
async function censusOfPrimaries(
  event: ScheduledEvent,
  config: LifecycleConfig,
  groups: readonly AutoScalingGroup[],
  deps: SweepDeps,
): Promise<Census> {
  const { GetCommand } = dynamoDocSdk();
  const list = (name: string) =>
    (groups.find((g) => g.AutoScalingGroupName === name)?.Instances ?? []).map((i) => ({
      id: i.InstanceId ?? '',
      state: i.LifecycleState ?? '',
    }));
  const got = await deps.clients.dynamoDoc().send(
    new GetCommand({
      TableName: config.stateTable,
      Key: stateKey(config.cluster),
      ConsistentRead: true,
    }),
  );
  const state = got.Item as ClusterState | undefined;
  // An election's fence hides the census while that election runs, however long; not once it has ended.
  const fenceOwnerRunning =
    state?.phase === 'fenced' && state.owner !== undefined
      ? (await executionStatus(state.owner, deps)) === 'RUNNING'
      : undefined;
  const census = primaryCensus(
    { primary: list(config.primaryAsgName), member: list(config.memberAsgName) },
    state,
    (deps.now ?? Date.now)(),
    fenceOwnerRunning,
  );
  if (census.kind === 'ok') return { census: 'ok' };
  if (!config.automationEnabled) {
    const notified = await reportPausedFinding(
      event,
      config,
      findingOfCensus(census.kind),
      `The sweep's census found ${census.kind} primaries: ${census.why}. No failover was started.`,
      deps,
    );
    return { census: census.kind, paused: true, notified };
  }
  const name = failoverExecutionName('reconciler', `${event.region}-${Date.parse(event.time) / 1000}`);
  const started = await startNamedExecution(
    requireEnv(ENV.failoverStateMachineArn, deps.env),
    name,
    {
      cluster: config.cluster,
      region: event.region,
      trigger: 'reconciler',
      reason: `reconciler: ${census.kind} primaries (${census.why})`.slice(0, 500),
    },
    deps,
  );
  // The start is a decision: audited like dispatch's (issue 15 §6).
  await putAudit(
    config.stateTable,
    censusAuditPut(
      {
        cluster: config.cluster,
        eventTime: event.time,
        eventId: event.id,
        census: census.kind,
        why: census.why,
        executionName: name,
        outcome: started,
      },
      (deps.now ?? Date.now)(),
    ),
    deps,
  );
  deps.metrics.addMetric(SweepMetrics.primaryCensus, MetricUnit.Count, 1);
  deps.logger.warn('primary census: starting primary-failover', {
    census: census.kind,
    why: census.why,
    execution: name,
  });
  return { census: census.kind, execution: name };
}

export const handler = makeHandler(
  ScheduledEventSchema,
  { autoScaling, sfn, dynamoDoc, sns, cloudWatch },
  (event, ctx) => sweep(event, ctx),
  {
    inputName: 'scheduled event',
  },
);
