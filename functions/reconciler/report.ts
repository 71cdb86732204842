/**
 * The sweep's reports (issue 15): overdue runs (`RUN_BOUNDS`, ListExecutions RUNNING), the `sweep census` log
 * line, and the sweep's own metrics (`AutomationPaused`, `RunsOverdue`, `SweepErrors`), each with exactly the
 * dimensions `{ Cluster, Region }` the alarms and the dashboard name (infra/operations.ts), in one PutMetricData.
 */
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import * as z from 'zod/mini';
import type { ClusterState } from '../core/failover';
import type { GateRecord } from '../core/failover-gate';
import { gateKey, stateKey } from '../core/keys';
import { type OverdueRun, overdueRuns, type RunBound, sweepCensus } from '../core/sweep-report';
import { cloudWatchSdk } from '../shared/clients/cloudwatch';
import { dynamoDocSdk } from '../shared/clients/dynamodb';
import { sfnSdk } from '../shared/clients/sfn';
import { ENV, requireEnv, requireWholeNumberEnv } from '../shared/env';
import { ConfigurationError } from '../shared/errors';
import type { ScheduledEvent } from '../shared/event-envelope';
import type { LifecycleConfig } from '../shared/lifecycle-config';
import type { SweepDeps } from './paused';

/** The sweep's metric names (infra/stacks/names.ts spells the same ones for the alarms). */
export const SWEEP_REPORT_METRICS = {
  paused: 'AutomationPaused',
  overdue: 'RunsOverdue',
  errors: 'SweepErrors',
} as const;

/**
 * ListExecutions' page size. One page is enough: runs of one workflow never pile up (each is named
 * deterministically, and every workflow but node-bootstrap/drain is serialized by a lease; those run one per
 * instance of groups far smaller than this). A full page with more to come is reported as a sweep error.
 */
const PAGE = 1000;

const RunBoundsSchema = z.array(
  z.object({
    workflow: z.string().check(z.minLength(1)),
    arn: z.string().check(z.minLength(1)),
    root: z.boolean(),
    boundSeconds: z.int().check(z.gte(1)),
  }),
);

/** `RUN_BOUNDS` checked; a malformed value is a {@link ConfigurationError}. */
export function loadRunBounds(env?: NodeJS.ProcessEnv): RunBound[] {
  let raw: unknown;
  try {
    raw = JSON.parse(requireEnv(ENV.runBounds, env));
  } catch (err) {
    if (err instanceof ConfigurationError) throw err;
    throw new ConfigurationError(`${ENV.runBounds} is not JSON`);
  }
  const parsed = RunBoundsSchema.safeParse(raw);
  if (!parsed.success)
    throw new ConfigurationError(`${ENV.runBounds} must list { workflow, arn, root, boundSeconds }`);
  return parsed.data;
}

/** Every overdue run of every workflow (each logged); a workflow that could not be listed is in `failed`. */
export async function findOverdueRuns(
  deps: SweepDeps,
): Promise<{ overdue: OverdueRun[]; failed: string[]; errors: unknown[] }> {
  const { ListExecutionsCommand } = sfnSdk();
  const bounds = loadRunBounds(deps.env);
  const now = (deps.now ?? Date.now)();
  const overdue: OverdueRun[] = [];
  const failed: string[] = [];
  const errors: unknown[] = [];
  for (const bound of bounds) {
    try {
      const out = await deps.clients.sfn().send(
        new ListExecutionsCommand({
          stateMachineArn: bound.arn,
          statusFilter: 'RUNNING',
          maxResults: PAGE,
        }),
      );
      if (out.nextToken !== undefined)
        throw new Error(`more than ${PAGE} running executions of ${bound.workflow}`);
      const running = (out.executions ?? []).map((e) => ({
        name: e.name ?? '',
        startedAt: e.startDate === undefined ? now : new Date(e.startDate).getTime(),
      }));
      for (const run of overdueRuns(bound, running, now)) {
        deps.logger.warn('run overdue', { ...run });
        overdue.push(run);
      }
    } catch (err) {
      deps.logger.error('running executions could not be listed', {
        workflow: bound.workflow,
        errorName: (err as Error).name,
        error: (err as Error).message,
      });
      failed.push(`runs:${bound.workflow}`);
      errors.push(err);
    }
  }
  return { overdue, failed, errors };
}

/** Log the `sweep census` line (the dashboard's log widget reads it). */
export async function logCensus(
  event: ScheduledEvent,
  config: LifecycleConfig,
  groups: readonly AutoScalingGroup[],
  pause: { readonly paused: boolean; readonly reason: string },
  deps: SweepDeps,
): Promise<void> {
  const { GetCommand } = dynamoDocSdk();
  const get = async (Key: { pk: string; sk: string }) =>
    (
      await deps.clients
        .dynamoDoc()
        .send(new GetCommand({ TableName: config.stateTable, Key, ConsistentRead: true }))
    ).Item;
  const view = (name: string, role: 'primary' | 'member') => ({
    name,
    role,
    instances: (groups.find((g) => g.AutoScalingGroupName === name)?.Instances ?? []).map((i) => ({
      state: i.LifecycleState,
      health: i.HealthStatus,
    })),
  });
  const census = sweepCensus({
    mode: config.mode,
    state: (await get(stateKey(config.cluster))) as ClusterState | undefined,
    groups: [view(config.primaryAsgName, 'primary'), view(config.memberAsgName, 'member')],
    gate: (await get(gateKey(config.cluster, 'primary-failover'))) as GateRecord | undefined,
    cooldownMinutes: requireWholeNumberEnv(ENV.cooldownMinutes, deps.env),
    dailyBudget: requireWholeNumberEnv(ENV.dailyBudget, deps.env),
    now: (deps.now ?? Date.now)(),
    paused: pause.paused,
    pauseReason: pause.reason,
  });
  deps.logger.info('sweep census', { census, region: event.region });
}

/** Publish the sweep's metrics that have a value this sweep (none: no call). */
export async function publishSweepMetrics(
  event: ScheduledEvent,
  config: LifecycleConfig,
  values: Partial<Record<keyof typeof SWEEP_REPORT_METRICS, number>>,
  deps: SweepDeps,
): Promise<void> {
  const { PutMetricDataCommand } = cloudWatchSdk();
  const data = (Object.keys(SWEEP_REPORT_METRICS) as (keyof typeof SWEEP_REPORT_METRICS)[]).flatMap((k) => {
    const value = values[k];
    return value === undefined
      ? []
      : [
          {
            MetricName: SWEEP_REPORT_METRICS[k],
            Dimensions: [
              { Name: 'Cluster', Value: config.cluster },
              { Name: 'Region', Value: event.region },
            ],
            Timestamp: new Date(event.time),
            Value: value,
            Unit: 'Count' as const,
          },
        ];
  });
  if (data.length === 0) return;
  await deps.clients
    .cloudWatch()
    .send(
      new PutMetricDataCommand({ Namespace: requireEnv(ENV.metricNamespace, deps.env), MetricData: data }),
    );
}
