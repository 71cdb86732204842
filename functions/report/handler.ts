import { PublishCommand } from '@aws-sdk/client-sns';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { renderOutcome } from '../core/report';
import { ENV, requireEnv } from '../shared/env';
import { type HandlerContext, makeHandler } from '../shared/handler';
import { MetricUnit } from '../shared/powertools';

export const ReportInputSchema = z.strictObject({
  cluster: z.string().min(1),
  region: z.string().min(1),
  workflow: z.string().min(1),
  execution: z.string().startsWith('arn:aws:states:', 'execution must be a Step Functions execution ARN'),
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
  ]),
  subject: z.string().min(1),
  summary: z.string().min(1).max(2000),
  error: z.looseObject({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
  /** Override whether the operator is notified (default: by outcome). */
  notify: z.boolean().optional(),
});

/** Records a workflow's outcome: audit entry, notification (when the operator must know), metric. */
export async function report(
  input: z.infer<typeof ReportInputSchema>,
  ctx: Pick<HandlerContext, 'clients' | 'metrics' | 'logger'>,
  now = Date.now(),
) {
  const out = renderOutcome(input, now);
  await ctx.clients
    .dynamoDoc()
    .send(new PutCommand({ TableName: requireEnv(ENV.stateTable), Item: out.audit }));
  if (out.notify) {
    await ctx.clients.sns().send(
      new PublishCommand({
        TopicArn: requireEnv(ENV.topicArn),
        Subject: out.subject,
        Message: out.message,
      }),
    );
  }
  ctx.metrics.addDimension('Workflow', input.workflow);
  ctx.metrics.addMetric(out.metric, MetricUnit.Count, 1);
  ctx.logger.info('workflow outcome', {
    workflow: input.workflow,
    outcome: input.outcome,
    subject: input.subject,
  });
  return { audited: out.audit.sk, notified: out.notify };
}

export const handler = makeHandler(ReportInputSchema, (input, ctx) => report(input, ctx), {
  inputName: 'workflow outcome',
});
