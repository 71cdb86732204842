/**
 * The normal report path: a workflow's Report step hands over its outcome. The escalation does not depend on
 * one call (issue 15): the outcome's metric is counted first, then the audit write and the publish are each
 * attempted; a failed audit still notifies, a failed publish still audits, and only when neither got through
 * does the Lambda throw (its errors alarm fires, the workflow's Retry runs it again). When the run kept its
 * promise, its `REPORTED#` marker says so, and the run-status path does not notify its end a second time.
 */
import type * as z from 'zod/mini';
import { type RegionalRun, regionalOutcome } from '../core/regional-report';
import { innermostError, renderOutcome, type WorkflowOutcome } from '../core/report';
import { type Attempt, deliveryVerdict, reportKept, selfReportMark } from '../core/run-end';
import { dynamoDocSdk } from '../shared/clients/dynamodb';
import { snsSdk } from '../shared/clients/sns';
import { ENV, requireEnv } from '../shared/env';
import { isRetryable, TransientError } from '../shared/errors';
import type { HandlerContext } from '../shared/handler';
import { claimNotice, releaseNotice } from '../shared/notice';
import { MetricUnit } from '../shared/powertools';
import type { RegionalReportSchema, WorkflowReportSchema } from './schemas';

export type ReportInput = z.infer<typeof WorkflowReportSchema> | z.infer<typeof RegionalReportSchema>;
export type ReportContext = Pick<HandlerContext<'dynamoDoc' | 'sns'>, 'clients' | 'metrics' | 'logger'>;

/** Neither the audit write nor the notification got through: only the metric counted the outcome. */
export class ReportUndelivered extends Error {
  override readonly name = 'ReportUndelivered';
}

/** The outcome to render: a regional run's is worded from its record. */
function outcomeOf(input: ReportInput): WorkflowOutcome {
  if ('regional' in input) {
    return regionalOutcome({ ...(input.regional as RegionalRun), outcome: input.outcome }, input);
  }
  return input;
}

const errorName = (err: unknown) => (err as Error | undefined)?.name ?? 'Error';

/**
 * Records a workflow's outcome: metric, audit entry, notification (when the operator must know; for a run
 * held by the pause, only when it opens an incident), and the run's report marker.
 */
export async function report(input: ReportInput, ctx: ReportContext, now = Date.now()) {
  const { PutCommand, UpdateCommand } = dynamoDocSdk();
  const { PublishCommand } = snsSdk();
  const o = outcomeOf(input);
  const out = renderOutcome(o, now);
  const stateTable = requireEnv(ENV.stateTable);
  const topicArn = requireEnv(ENV.topicArn);
  // Counted first: whatever fails below, the outcome's metric (and its alarm) stands. The middleware flushes
  // it when the invocation ends, by error too.
  ctx.metrics.addDimension('Workflow', input.workflow);
  ctx.metrics.addMetric(out.metric, MetricUnit.Count, 1);

  const sighting =
    'incident' in input && input.incident !== undefined
      ? { stateTable, cluster: input.cluster, finding: input.incident, source: input.workflow }
      : undefined;
  let notify = out.notify;
  if (notify && sighting !== undefined) {
    try {
      notify = await claimNotice(sighting, ctx, now);
    } catch (err) {
      // The notice record is unreadable: notify rather than risk telling no one about a new incident.
      ctx.logger.warn('paused incident claim failed: notifying', { errorName: errorName(err) });
    }
  }

  let audit: Attempt = 'ok';
  const auditError = await ctx.clients
    .dynamoDoc()
    .send(
      new PutCommand({
        TableName: stateTable,
        Item: sighting !== undefined ? { ...out.audit, notified: notify } : out.audit,
      }),
    )
    .then(
      () => undefined,
      (err: unknown) => err,
    );
  if (auditError !== undefined) audit = 'failed';

  let publish: Attempt = notify ? 'ok' : 'skipped';
  let publishError: unknown;
  if (notify) {
    try {
      await ctx.clients
        .sns()
        .send(new PublishCommand({ TopicArn: topicArn, Subject: out.subject, Message: out.message }));
    } catch (err) {
      publish = 'failed';
      publishError = err;
      if (sighting !== undefined) {
        await releaseNotice(sighting, ctx, now).catch((e: unknown) =>
          ctx.logger.warn('paused incident claim not given back', { errorName: errorName(e) }),
        );
      }
    }
  }

  if (reportKept(notify, audit, publish)) {
    await ctx.clients
      .dynamoDoc()
      .send(
        new UpdateCommand({
          TableName: stateTable,
          ...selfReportMark(input.cluster, input.execution, input.workflow, o.outcome, now),
        }),
      )
      .catch((err: unknown) =>
        // Without the mark, a failed end of this run is notified once more: a duplicate, never a loss.
        ctx.logger.warn('report marker not written', { errorName: errorName(err) }),
      );
  }

  const verdict = deliveryVerdict(audit, publish);
  if (verdict === 'undelivered') {
    const message = `${input.workflow} ${o.outcome}: audit write failed (${errorName(auditError)})${
      publish === 'failed' ? ` and publish failed (${errorName(publishError)})` : ''
    }`;
    const cause = publish === 'failed' ? publishError : auditError;
    // A throttled or failing service is worth the Report task's Retry (it names TransientError); anything else
    // (a denied call, a missing table) is not.
    throw isRetryable(auditError) || isRetryable(publishError)
      ? new TransientError(`ReportUndelivered: ${message}`, { cause })
      : new ReportUndelivered(message, { cause });
  }
  if (verdict === 'partial') {
    ctx.logger.error('workflow outcome partly delivered', {
      workflow: input.workflow,
      outcome: o.outcome,
      audit,
      publish,
      errorName: errorName(audit === 'failed' ? auditError : publishError),
    });
  }
  ctx.logger.info('workflow outcome', { workflow: input.workflow, outcome: o.outcome, subject: o.subject });
  // A regional run ends with its worded outcome and the error that ended it, for its own final state.
  const caught = o.error ? innermostError(o.error) : undefined;
  return {
    audited: audit === 'ok' ? out.audit.sk : undefined,
    notified: publish === 'ok',
    ...('regional' in input
      ? {
          outcome: o.outcome,
          error: caught?.Error ?? `RegionalFailover${out.metric.replace(/^RegionalFailover/, '')}`,
          cause: o.summary.split('\n')[0] ?? o.outcome,
        }
      : {}),
  };
}
