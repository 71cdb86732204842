/**
 * The approval a regional-failover run waits on (docs/regional-failover.md "Approve it"): its
 * regional-failover-approval child (started with `AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID` = the run) waits in
 * `RequestApproval`, an `sns:publish.waitForTaskToken` Task whose resolved parameters (the history's
 * TaskScheduled event, Step Functions API Reference "TaskScheduledEventDetails": `parameters`, the JSON data
 * passed to the resource) carry the token as the `TaskToken` message attribute. The token is still open while
 * no later event ends that Task (TaskSucceeded / TaskFailed / TaskTimedOut) or the execution.
 */

/** The parts of a GetExecutionHistory event this reads (the SDK's HistoryEvent). */
export interface HistoryEventLike {
  readonly id?: number | undefined;
  readonly type?: string | undefined;
  readonly taskScheduledEventDetails?:
    | {
        readonly resourceType?: string | undefined;
        readonly resource?: string | undefined;
        readonly parameters?: string | undefined;
      }
    | undefined;
}

/** Any of these ends the waiting Task (TaskStateExited follows every Task's end, whatever the end events). */
const TASK_ENDS = new Set([
  'TaskStateExited',
  'TaskSucceeded',
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
]);
const EXECUTION_ENDS = new Set([
  'ExecutionSucceeded',
  'ExecutionFailed',
  'ExecutionAborted',
  'ExecutionTimedOut',
]);

/** The token of the callback Task still waiting in `events` (oldest first), or undefined. */
export function openApprovalToken(events: readonly HistoryEventLike[]): string | undefined {
  let token: string | undefined;
  for (const e of events) {
    const type = e.type ?? '';
    if (EXECUTION_ENDS.has(type)) return undefined;
    if (type === 'TaskScheduled') {
      token = tokenOf(e.taskScheduledEventDetails);
      continue;
    }
    if (TASK_ENDS.has(type)) token = undefined;
  }
  return token;
}

function tokenOf(d: HistoryEventLike['taskScheduledEventDetails']): string | undefined {
  if (d?.resourceType !== 'sns' || !String(d.resource ?? '').endsWith('.waitForTaskToken')) return undefined;
  try {
    const p = JSON.parse(d.parameters ?? '') as {
      MessageAttributes?: { TaskToken?: { StringValue?: unknown } };
    };
    const v = p.MessageAttributes?.TaskToken?.StringValue;
    return typeof v === 'string' && v.length > 0 ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The approval child started by `runArn`, from the children's inputs (DescribeExecution's `input`). */
export function startedBy(input: string | undefined, runArn: string): boolean {
  try {
    const p = JSON.parse(input ?? '') as { AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID?: unknown };
    return p.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID === runArn;
  } catch {
    return false;
  }
}

/**
 * `<run>` as an execution ARN: given whole, or a name of an execution of `stateMachineArn`
 * (`arn:aws:states:R:A:stateMachine:M` → `arn:aws:states:R:A:execution:M:<name>`).
 */
export function executionArnOf(run: string, stateMachineArn: string): string {
  if (run.startsWith('arn:')) return run;
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(run))
    throw new Error(`${JSON.stringify(run)} is neither an execution ARN nor an execution name`);
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${run}`;
}

/** The region of an execution ARN (its fourth field). */
export function regionOfArn(arn: string): string {
  const region = arn.split(':')[3];
  if (!region) throw new Error(`${JSON.stringify(arn)} is not an execution ARN`);
  return region;
}
