/**
 * The run-status path (issue 15): a Step Functions status event of a run that ended FAILED, TIMED_OUT or
 * ABORTED. A root run is counted (`RunsEnded {Cluster, Region, Outcome}`, once per execution: the claim on its
 * `REPORTED#` marker is conditional) and, unless it reported itself, audited and notified, each attempted on
 * its own; a child run is audited only (its parent reports). Decisions in functions/core/run-end.ts.
 */
import {
  type Attempt,
  classifyRunEnd,
  deliveryVerdict,
  parseRunBounds,
  RUNS_ENDED_METRIC,
  type RunStatusChange,
  reportedItself,
  runEndAudit,
  runEndClaim,
  runEndNotice,
  runEndRelease,
} from '../core/run-end';
import { putAudit } from '../shared/audit';
import { dynamoDocSdk } from '../shared/clients/dynamodb';
import { snsSdk } from '../shared/clients/sns';
import { emitClusterMetric } from '../shared/cluster-metric';
import { ENV, requireEnv } from '../shared/env';
import { ConfigurationError } from '../shared/errors';
import type { ReportContext } from './outcome';
import type { RunStatusEvent } from './schemas';

/** Neither the audit write nor the notification of a root run's unreported end got through. */
export class RunEndUndelivered extends Error {
  override readonly name = 'RunEndUndelivered';
}

const errorName = (err: unknown) => (err as Error | undefined)?.name ?? 'Error';
const conditionFailed = (err: unknown) => errorName(err) === 'ConditionalCheckFailedException';

function runBounds() {
  try {
    return parseRunBounds(requireEnv(ENV.runBounds));
  } catch (err) {
    if (err instanceof ConfigurationError) throw err;
    throw new ConfigurationError((err as Error).message);
  }
}

/** Report one run's end from its status event (see the module comment). */
export async function reportRunEnd(event: RunStatusEvent, ctx: ReportContext, now = Date.now()) {
  const { UpdateCommand } = dynamoDocSdk();
  const { PublishCommand } = snsSdk();
  const cluster = requireEnv(ENV.clusterName);
  const stateTable = requireEnv(ENV.stateTable);
  const topicArn = requireEnv(ENV.topicArn);
  const change: RunStatusChange = { ...event.detail, region: event.region };
  const end = classifyRunEnd(change, runBounds());
  const run = { execution: change.executionArn, status: change.status };
  if (end.kind === 'ignored') {
    ctx.logger.info('run status ignored', { ...run, reason: end.reason });
    return { run: 'ignored' as const, reason: end.reason };
  }
  if (end.kind === 'child') {
    await putAudit(stateTable, runEndAudit(cluster, change, end, undefined, now), ctx);
    ctx.logger.info('child run ended: audited (its parent reports it)', { ...run, workflow: end.workflow });
    return { run: 'child' as const, workflow: end.workflow, audited: true };
  }

  const doc = ctx.clients.dynamoDoc();
  let claimed = false;
  let reported = false;
  try {
    const out = await doc.send(
      new UpdateCommand({ TableName: stateTable, ...runEndClaim(cluster, change, end.status, now) }),
    );
    claimed = true;
    reported = reportedItself(out.Attributes);
  } catch (err) {
    if (conditionFailed(err)) {
      ctx.logger.info('run end already handled (duplicate status event)', run);
      return { run: 'root' as const, workflow: end.workflow, duplicate: true };
    }
    // The marker is unreadable: count and notify rather than risk losing the end (a duplicate at worst).
    ctx.logger.warn('run end claim failed: reporting it anyway', { ...run, errorName: errorName(err) });
  }
  emitClusterMetric(ctx.metrics, RUNS_ENDED_METRIC, {
    Cluster: cluster,
    Region: change.region,
    Outcome: end.status,
  });
  if (reported) {
    ctx.logger.info('run ended after reporting itself: counted', { ...run, workflow: end.workflow });
    return { run: 'root' as const, workflow: end.workflow, counted: true, reportedItself: true };
  }

  let audit: Attempt = 'ok';
  let auditError: unknown;
  try {
    await putAudit(stateTable, runEndAudit(cluster, change, end, true, now), ctx);
  } catch (err) {
    audit = 'failed';
    auditError = err;
  }
  let publish: Attempt = 'ok';
  let publishError: unknown;
  try {
    const notice = runEndNotice(cluster, change, end, now);
    await ctx.clients
      .sns()
      .send(new PublishCommand({ TopicArn: topicArn, Subject: notice.subject, Message: notice.message }));
  } catch (err) {
    publish = 'failed';
    publishError = err;
  }

  const verdict = deliveryVerdict(audit, publish);
  if (verdict === 'undelivered') {
    if (claimed) {
      // Give the claim back, so the event's retry (Lambda's async retries, then the DLQ) reports it.
      await doc
        .send(
          new UpdateCommand({ TableName: stateTable, ...runEndRelease(cluster, change.executionArn, now) }),
        )
        .catch((e: unknown) => ctx.logger.warn('run end claim not given back', { errorName: errorName(e) }));
    }
    throw new RunEndUndelivered(
      `${end.workflow} run ${end.status}: audit write failed (${errorName(auditError)}) and publish failed (${errorName(publishError)})`,
      { cause: publishError },
    );
  }
  if (verdict === 'partial') {
    ctx.logger.error('run end partly delivered', {
      ...run,
      audit,
      publish,
      errorName: errorName(audit === 'failed' ? auditError : publishError),
    });
  }
  ctx.logger.warn('run ended without reporting itself: notified', { ...run, workflow: end.workflow });
  return {
    run: 'root' as const,
    workflow: end.workflow,
    counted: true,
    reportedItself: false,
    audited: audit === 'ok',
    notified: publish === 'ok',
  };
}
