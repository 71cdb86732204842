/**
 * Starting Step Functions executions under deterministic names, so that an event delivered twice, or an event
 * and the reconciler's sweep for the same action, start one execution; and reading whether the execution
 * that holds a lease or a fence still runs.
 */
import type { HolderStatus } from '../core/lease';
import type { LifecycleDecision } from '../core/lifecycle';
import { sfnSdk } from './clients/sfn';
import type { Deps } from './handler';
import type { LifecycleConfig } from './lifecycle-config';

/**
 * StartExecution answers a repeated name + identical input with success while the first execution is still
 * open (Step Functions API reference, StartExecution), returning that execution's startDate. A startDate this
 * far before our call means we did not start it; the margin absorbs clock skew and an SDK retry of our own
 * request (whose startDate is after the call began anyway).
 */
export const EXISTING_EXECUTION_MARGIN_MS = 2_000;

/**
 * StartExecution under a deterministic name. `duplicate` when Step Functions already has the execution:
 * closed or with another input (ExecutionAlreadyExists), or still open with the same input (success, earlier
 * startDate). Any other error propagates.
 */
export async function startNamedExecution(
  stateMachineArn: string,
  name: string,
  input: unknown,
  deps: Pick<Deps<'sfn'>, 'clients' | 'now'>,
): Promise<'started' | 'duplicate'> {
  const { StartExecutionCommand } = sfnSdk();
  const now = deps.now ?? Date.now;
  const calledAt = now();
  try {
    const out = await deps.clients
      .sfn()
      .send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    const startedAt = out.startDate?.getTime();
    return startedAt !== undefined && startedAt < calledAt - EXISTING_EXECUTION_MARGIN_MS
      ? 'duplicate'
      : 'started';
  } catch (err) {
    if ((err as Error | undefined)?.name === 'ExecutionAlreadyExists') return 'duplicate';
    throw err;
  }
}

/** Start the node workflow a lifecycle decision names (see {@link startNamedExecution}). */
export async function startNodeWorkflow(
  decision: Extract<LifecycleDecision, { kind: 'start' }>,
  config: LifecycleConfig,
  deps: Pick<Deps<'sfn'>, 'clients' | 'now'>,
): Promise<'started' | 'duplicate'> {
  return startNamedExecution(
    config.stateMachineArns[decision.workflow],
    decision.executionName,
    decision.input,
    deps,
  );
}

/**
 * An execution's status (DescribeExecution). `GONE` when Step Functions no longer knows it (ExecutionDoesNotExist:
 * deleted, or past the 90 days it keeps closed executions): it has ended. Any other error propagates, so the
 * caller's retry runs rather than guessing.
 */
export async function executionStatus(
  executionArn: string,
  deps: Pick<Deps<'sfn'>, 'clients'>,
): Promise<HolderStatus> {
  const { DescribeExecutionCommand } = sfnSdk();
  try {
    const out = await deps.clients.sfn().send(new DescribeExecutionCommand({ executionArn }));
    return (out.status ?? 'GONE') as HolderStatus;
  } catch (e) {
    if ((e as Error).name === 'ExecutionDoesNotExist') return 'GONE';
    throw e;
  }
}
