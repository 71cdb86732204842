/**
 * Telling the operator once per incident while automation is paused: the conditional write of
 * functions/core/paused.ts decides which sighting notifies (across Lambdas: dispatch, the sweep and
 * primary-failover's report), and a notification that could not be sent gives its claim back.
 */
import { noticeClaim, noticeRelease, noticeRepeat, type PausedFinding, pausedNotice } from '../core/paused';
import { dynamoDocSdk } from './clients/dynamodb';
import { snsSdk } from './clients/sns';
import type { Deps } from './handler';
import { MetricUnit } from './powertools';

export const NoticeMetrics = {
  notified: 'PausedIncidentNotified',
  repeat: 'PausedIncidentRepeat',
} as const;

interface Sighting {
  readonly stateTable: string;
  readonly cluster: string;
  readonly finding: PausedFinding;
  /** Who saw it (`dispatch`, `reconciler`, `primary-failover`), kept on the record. */
  readonly source: string;
}

const conditionFailed = (err: unknown) =>
  (err as Error | undefined)?.name === 'ConditionalCheckFailedException';

/**
 * Record a sighting: true when it opens an incident (the caller notifies, then calls {@link releaseNotice}
 * if it could not), false for a repeat, which is recorded (last seen, count) and counted as a metric.
 */
export async function claimNotice(
  s: Sighting,
  deps: Pick<Deps<'dynamoDoc'>, 'clients' | 'metrics'>,
  now: number,
): Promise<boolean> {
  const { UpdateCommand } = dynamoDocSdk();
  const doc = deps.clients.dynamoDoc();
  try {
    await doc.send(new UpdateCommand({ TableName: s.stateTable, ...noticeClaim(s, now) }));
    return true;
  } catch (err) {
    if (!conditionFailed(err)) throw err;
  }
  await doc.send(new UpdateCommand({ TableName: s.stateTable, ...noticeRepeat(s, now) }));
  deps.metrics.addMetric(NoticeMetrics.repeat, MetricUnit.Count, 1);
  return false;
}

/** Give back the claim made at `claimedAt` (its notification failed), so the next sighting notifies. */
export async function releaseNotice(
  s: Omit<Sighting, 'source'>,
  deps: Pick<Deps<'dynamoDoc'>, 'clients'>,
  claimedAt: number,
): Promise<void> {
  const { UpdateCommand } = dynamoDocSdk();
  try {
    await deps.clients
      .dynamoDoc()
      .send(new UpdateCommand({ TableName: s.stateTable, ...noticeRelease(s, claimedAt) }));
  } catch (err) {
    if (!conditionFailed(err)) throw err;
  }
}

/**
 * A paused control plane's finding: notify the operator when it opens an incident, otherwise only record
 * it. SNS errors propagate (after the claim is given back) so the caller's retry notifies.
 */
export async function notifyOnce(
  s: Sighting & { readonly region: string; readonly topicArn: string; readonly detail: string },
  deps: Pick<Deps<'dynamoDoc' | 'sns'>, 'clients' | 'metrics' | 'logger' | 'now'>,
): Promise<boolean> {
  const { PublishCommand } = snsSdk();
  const now = (deps.now ?? Date.now)();
  const due = await claimNotice(s, deps, now);
  deps.logger.warn('automation paused: finding', { finding: s.finding, source: s.source, notified: due });
  if (!due) return false;
  const notice = pausedNotice(s);
  try {
    await deps.clients
      .sns()
      .send(new PublishCommand({ TopicArn: s.topicArn, Subject: notice.subject, Message: notice.message }));
  } catch (err) {
    await releaseNotice(s, deps, now);
    throw err;
  }
  deps.metrics.addMetric(NoticeMetrics.notified, MetricUnit.Count, 1);
  return true;
}
