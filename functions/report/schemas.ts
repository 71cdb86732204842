/**
 * The report Lambda's three inputs: a workflow's outcome (its Report step), regional-failover's whole run, and
 * (issue 15) a Step Functions status event of a run that ended FAILED, TIMED_OUT or ABORTED.
 */
import * as z from 'zod/mini';
import { PAUSED_FINDINGS } from '../core/paused';
import { REGIONAL_RUN_OUTCOMES } from '../core/regional-report';
import { EXECUTION_ARN, STATE_MACHINE_ARN } from '../core/run-end';
import { eventBridgeEnvelope, nonEmpty } from '../shared/event-envelope';

export const WorkflowReportSchema = z.strictObject({
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
export const RegionalReportSchema = z.strictObject({
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

export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';

const nullableText = z.optional(z.nullable(z.string()));
const epochMs = z.int().check(z.gte(0));

/**
 * AWS's "Step Functions Execution Status Change" event (EventBridge; the detail is DescribeExecution's). Every
 * status is accepted (the rule filters; the twin and AWS emit every change). The state machine is read from
 * `stateMachineArn` alone: AWS's own samples name a different machine in `executionArn`.
 */
export const RunStatusEventSchema = eventBridgeEnvelope(
  EXECUTION_STATUS_CHANGE,
  'aws.states',
  z.looseObject({
    executionArn: z.string().check(z.regex(EXECUTION_ARN, 'must be a Step Functions execution ARN')),
    stateMachineArn: z.string().check(z.regex(STATE_MACHINE_ARN, 'must be a state machine ARN')),
    name: nonEmpty,
    status: nonEmpty,
    startDate: epochMs,
    stopDate: z.optional(z.nullable(epochMs)),
    input: nullableText,
    output: nullableText,
    error: nullableText,
    cause: nullableText,
  }),
);

export type RunStatusEvent = z.infer<typeof RunStatusEventSchema>;

export const ReportInputSchema = z.union([WorkflowReportSchema, RegionalReportSchema, RunStatusEventSchema]);
export type ReportHandlerInput = z.infer<typeof ReportInputSchema>;
