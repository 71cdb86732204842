import * as z from 'zod/mini';
import { PAUSED_FINDINGS } from '../core/paused';
import { REGIONAL_RUN_OUTCOMES, type RegionalRun, regionalOutcome } from '../core/regional-report';
import { innermostError, renderOutcome, type WorkflowOutcome } from '../core/report';
import { dynamoDoc, dynamoDocSdk } from '../shared/clients/dynamodb';
import { sns, snsSdk } from '../shared/clients/sns';
import { ENV, requireEnv } from '../shared/env';
import { type HandlerContext, makeHandler } from '../shared/handler';
import { claimNotice, releaseNotice } from '../shared/notice';
import { MetricUnit } from '../shared/powertools';

const WorkflowReportSchema = z.strictObject({
  cluster: z.string().check(z.minLength(1)),
  region: z.string().check(z.minLength(1)),
  workflow: z.string().check(z.minLength(1)),
  execution: z
    .string()
    .check(z.startsWith('arn:aws:states:', 'execution must be a Step Functions execution ARN')),
  outcome: z.enum([
    'succeeded',
    'failed',
    'compensated',
    'skipped',
    'no-handover',
    'false-alarm',
    'refused',
    'dry-run',
    'superseded',
    'escalated',
    'handover-started',
    'not-approved',
    'reverted',
  ]),
  subject: z.string().check(z.minLength(1)),
  summary: z.string().check(z.minLength(1)).check(z.maxLength(2000)),
  error: z.optional(z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
  /** Override whether the operator is notified (default: by outcome). */
  notify: z.optional(z.boolean()),
  /** A run held by the pause: the kind of incident it found, notified once per incident. */
  incident: z.optional(z.enum(PAUSED_FINDINGS)),
});

/**
 * regional-failover hands over its whole run (`regional`); functions/core/regional-report.ts words it. Only
 * the outcomes its Pass states set are accepted; the run's parts are checked there, field by field.
 */
const RegionalReportSchema = z.strictObject({
  cluster: z.string().check(z.minLength(1)),
  region: z.string().check(z.minLength(1)),
  workflow: z.literal('regional-failover'),
  execution: z
    .string()
    .check(z.startsWith('arn:aws:states:', 'execution must be a Step Functions execution ARN')),
  outcome: z.enum(REGIONAL_RUN_OUTCOMES),
  regional: z.looseObject({
    input: z.optional(z.looseObject({})),
    planned: z.optional(z.looseObject({ plan: z.optional(z.looseObject({})) })),
  }),
});

export const ReportInputSchema = z.union([WorkflowReportSchema, RegionalReportSchema]);

/** The outcome to render: a regional run's is worded from its record. */
function outcomeOf(input: z.infer<typeof ReportInputSchema>): WorkflowOutcome {
  if ('regional' in input) {
    return regionalOutcome({ ...(input.regional as RegionalRun), outcome: input.outcome }, input);
  }
  return input;
}

/**
 * Records a workflow's outcome: audit entry, notification (when the operator must know; for a run held by
 * the pause, only when it opens an incident), metric.
 */
export async function report(
  input: z.infer<typeof ReportInputSchema>,
  ctx: Pick<HandlerContext<'dynamoDoc' | 'sns'>, 'clients' | 'metrics' | 'logger'>,
  now = Date.now(),
) {
  const { PutCommand } = dynamoDocSdk();
  const { PublishCommand } = snsSdk();
  const o = outcomeOf(input);
  const out = renderOutcome(o, now);
  const stateTable = requireEnv(ENV.stateTable);
  const sighting =
    'incident' in input && input.incident !== undefined
      ? { stateTable, cluster: input.cluster, finding: input.incident, source: input.workflow }
      : undefined;
  const notify = out.notify && (sighting === undefined || (await claimNotice(sighting, ctx, now)));
  await ctx.clients.dynamoDoc().send(
    new PutCommand({
      TableName: stateTable,
      Item: sighting !== undefined ? { ...out.audit, notified: notify } : out.audit,
    }),
  );
  if (notify) {
    try {
      await ctx.clients.sns().send(
        new PublishCommand({
          TopicArn: requireEnv(ENV.topicArn),
          Subject: out.subject,
          Message: out.message,
        }),
      );
    } catch (err) {
      if (sighting !== undefined) await releaseNotice(sighting, ctx, now);
      throw err;
    }
  }
  ctx.metrics.addDimension('Workflow', input.workflow);
  ctx.metrics.addMetric(out.metric, MetricUnit.Count, 1);
  ctx.logger.info('workflow outcome', {
    workflow: input.workflow,
    outcome: o.outcome,
    subject: o.subject,
  });
  // A regional run ends with its worded outcome and the error that ended it, for its own final state.
  const caught = o.error ? innermostError(o.error) : undefined;
  return {
    audited: out.audit.sk,
    notified: notify,
    ...('regional' in input
      ? {
          outcome: o.outcome,
          error: caught?.Error ?? `RegionalFailover${out.metric.replace(/^RegionalFailover/, '')}`,
          cause: o.summary.split('\n')[0] ?? o.outcome,
        }
      : {}),
  };
}

export const handler = makeHandler(
  ReportInputSchema,
  { dynamoDoc, sns },
  (input, ctx) => report(input, ctx),
  {
    inputName: 'workflow outcome',
  },
);
