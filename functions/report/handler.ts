/**
 * The report Lambda: a workflow's outcome from its Report step (./outcome), and (issue 15) the Step Functions
 * status event of a run that ended FAILED, TIMED_OUT or ABORTED (./run-status).
 */
import { dynamoDoc } from '../shared/clients/dynamodb';
import { sns } from '../shared/clients/sns';
import { makeHandler } from '../shared/handler';
import { report } from './outcome';
import { reportRunEnd } from './run-status';
import { ReportInputSchema } from './schemas';

export { report } from './outcome';
export { ReportInputSchema } from './schemas';

export const handler = makeHandler(
  ReportInputSchema,
  { dynamoDoc, sns },
  async (input, ctx): Promise<object> =>
    'detail-type' in input ? reportRunEnd(input, ctx) : report(input, ctx),
  { inputName: 'workflow outcome or run status event' },
);
