/**
 * The sweep while automation is paused: what the census of primaries finds is reported instead of starting a
 * failover, and scaling processes a dead primary-failover run left suspended are reported (not resumed).
 * Each finding is audited on every sweep and notified once per incident (functions/shared/notice.ts).
 */
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { pausedSweepAuditPut } from '../core/audit';
import { lockKey } from '../core/keys';
import {
  describeSuspensions,
  FAILOVER_SUSPENSIONS,
  type LockView,
  leftoverSuspensions,
  lockHeld,
  type PausedFinding,
  type Suspension,
} from '../core/paused';
import { putAudit } from '../shared/audit';
import { dynamoDocSdk } from '../shared/clients/dynamodb';
import { sfnSdk } from '../shared/clients/sfn';
import type { ScheduledEvent } from '../shared/event-envelope';
import type { Deps } from '../shared/handler';
import type { LifecycleConfig } from '../shared/lifecycle-config';
import { notifyOnce } from '../shared/notice';

/** The lease primary-failover takes (statemachines/primary-failover.asl.json, AcquireClusterLock). */
const CLUSTER_LOCK = 'cluster';

/** What the sweep may call: Auto Scaling, Step Functions, the state table and SNS. */
export type SweepDeps = Deps<'autoScaling' | 'sfn' | 'dynamoDoc' | 'sns' | 'cloudWatch'>;

/** Report one finding of a paused sweep: notified once per incident, audited every time. */
export async function reportPausedFinding(
  event: ScheduledEvent,
  config: LifecycleConfig,
  finding: PausedFinding,
  detail: string,
  deps: SweepDeps,
): Promise<boolean> {
  const notified = await notifyOnce(
    {
      stateTable: config.stateTable,
      topicArn: config.topicArn,
      cluster: config.cluster,
      region: event.region,
      finding,
      source: 'reconciler',
      detail,
    },
    deps,
  );
  await putAudit(
    config.stateTable,
    pausedSweepAuditPut(
      {
        cluster: config.cluster,
        eventTime: event.time,
        eventKey: event.id,
        finding,
        detail,
        notified,
      },
      (deps.now ?? Date.now)(),
    ),
    deps,
  );
  return notified;
}

/** The cluster lock and, while its lease runs, whether its holder's execution still runs. */
async function readLock(
  config: LifecycleConfig,
  deps: SweepDeps,
  now: number,
): Promise<LockView | undefined> {
  const { GetCommand } = dynamoDocSdk();
  const { DescribeExecutionCommand } = sfnSdk();
  const got = await deps.clients.dynamoDoc().send(
    new GetCommand({
      TableName: config.stateTable,
      Key: lockKey(config.cluster, CLUSTER_LOCK),
      ConsistentRead: true,
    }),
  );
  const item = got.Item as { owner?: string; expiresAt?: number } | undefined;
  if (item?.owner === undefined) return undefined;
  const lock: LockView = { owner: item.owner, expiresAt: Number(item.expiresAt ?? 0) };
  if (!lockHeld(lock, now) || !item.owner.startsWith('arn:aws:states:')) return lock;
  // A lease outlives a run that died; the lease Lambda takes such a lock over the same way.
  const holder = await deps.clients
    .sfn()
    .send(new DescribeExecutionCommand({ executionArn: item.owner }))
    .catch((err: Error) => {
      if (err.name === 'ExecutionDoesNotExist') return { status: 'GONE' };
      throw err;
    });
  return { ...lock, holderRunning: holder.status === 'RUNNING' };
}

/**
 * Launch on the primary group or HealthCheck on the member group suspended while no live run holds the
 * cluster lock: reported (once per incident), left as they are. Returns what was found.
 */
export async function reportLeftovers(
  event: ScheduledEvent,
  config: LifecycleConfig,
  groups: readonly AutoScalingGroup[],
  deps: SweepDeps,
): Promise<Suspension[]> {
  const suspendedIn = (name: string) =>
    (groups.find((g) => g.AutoScalingGroupName === name)?.SuspendedProcesses ?? []).flatMap((p) =>
      p.ProcessName !== undefined ? [p.ProcessName] : [],
    );
  const suspended = {
    primary: suspendedIn(config.primaryAsgName),
    member: suspendedIn(config.memberAsgName),
  };
  if (!FAILOVER_SUSPENSIONS.some((s) => suspended[s.group].includes(s.process))) return [];
  const now = (deps.now ?? Date.now)();
  const leftovers = leftoverSuspensions(suspended, await readLock(config, deps, now), now);
  if (leftovers.length === 0) return [];
  const names = describeSuspensions(leftovers, {
    primary: config.primaryAsgName,
    member: config.memberAsgName,
  });
  await reportPausedFinding(
    event,
    config,
    'suspended-processes',
    `${names} suspended while no primary-failover run holds the cluster lock: left by a run that ended without its cleanup (or suspended by hand). They stay suspended while automation is paused.`,
    deps,
  );
  return leftovers;
}
