/**
 * The operations Lambda: the operator's entry point for what is not a workflow (issue 15). Thin: each op is
 * its own module (./pause, ./dead-letters, ./audit), the decisions in functions/core.
 */
import { cloudWatch } from '../shared/clients/cloudwatch';
import { dynamoDoc } from '../shared/clients/dynamodb';
import { lambda } from '../shared/clients/lambda';
import { sfn } from '../shared/clients/sfn';
import { sns } from '../shared/clients/sns';
import { sqs } from '../shared/clients/sqs';
import { type HandlerContext, makeHandler } from '../shared/handler';
import { auditQuery } from './audit';
import { deadLettersList, deadLettersReplay } from './dead-letters';
import { type OperationsInput, OperationsInputSchema } from './input';
import { pause, pauseStatus, resume } from './pause';

export type OperationsContext = Pick<
  HandlerContext<'dynamoDoc' | 'sns' | 'sqs' | 'lambda' | 'sfn' | 'cloudWatch'>,
  'clients' | 'logger' | 'metrics'
>;

export async function operations(input: OperationsInput, ctx: OperationsContext, now = Date.now()) {
  switch (input.op) {
    case 'pause':
      return pause(input, ctx, now);
    case 'resume':
      return resume(input, ctx, now);
    case 'pause-status':
      return pauseStatus(input, ctx, now);
    case 'dead-letters-list':
      return deadLettersList(input, ctx, now);
    case 'dead-letters-replay':
      return deadLettersReplay(input, ctx, now);
    case 'audit':
      return auditQuery(input, ctx, now);
  }
}

export const handler = makeHandler(
  OperationsInputSchema,
  { dynamoDoc, sns, sqs, lambda, sfn, cloudWatch },
  (input, ctx) => operations(input, ctx),
  { inputName: 'operations request' },
);
