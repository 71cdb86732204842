/**
 * A run's phases from its execution history (pure): a phase is a top-level state of the workflow (states
 * inside a Map or Parallel belong to it), a Task that starts a child workflow is marked as such; routing
 * states (Choice, Pass) are not phases. A state entered again (a counted loop) stays one phase.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';

export type PhaseStatus = 'running' | 'done' | 'failed';
export type RunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface Phase {
  name: string;
  /** the state starts a child workflow (`states:startExecution`) */
  child: boolean;
  status: PhaseStatus;
  startedAt: number;
  endedAt?: number;
  /** how many times the state was entered */
  entries: number;
  /** the child run's execution ARN (from the TaskSubmitted event of `startExecution.sync`) */
  childArn?: string;
  /** the child's state machine (the TaskScheduled parameters' `StateMachineArn`) */
  childMachine?: string;
}

export interface RunSnapshot {
  status: RunStatus;
  startedAt?: number;
  endedAt?: number;
  phases: Phase[];
  error?: string;
  cause?: string;
  /**
   * The run waits for a person: a `sns:publish.waitForTaskToken` Task (the approval request) scheduled and not
   * yet answered. Machine waits on a token (`lambda:invoke.waitForTaskToken`, an SSM command) are not this.
   */
  waitingForApproval?: { state: string };
}

const ROUTING = new Set(['ChoiceStateEntered', 'PassStateEntered', 'SucceedStateEntered']);
const NESTING_ENTER = new Set(['MapStateEntered', 'ParallelStateEntered']);
const NESTING_EXIT = new Set(['MapStateExited', 'ParallelStateExited']);
const ENDED: Record<string, RunStatus> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionTimedOut: 'TIMED_OUT',
  ExecutionAborted: 'ABORTED',
};

function ms(t: Date | undefined): number {
  // Not `instanceof Date`: a Date from another realm (the twin's structuredClone under jest) is a Date too.
  return Object.prototype.toString.call(t) === '[object Date]' ? (t as Date).getTime() : 0;
}

/** The snapshot of a run from its history events (oldest first). */
export function phasesOf(events: readonly HistoryEvent[]): RunSnapshot {
  const phases: Phase[] = [];
  const byName = new Map<string, Phase>();
  let depth = 0;
  let current: Phase | undefined;
  const snap: RunSnapshot = { status: 'RUNNING', phases };
  let asking: string | undefined;
  for (const e of events) {
    const type = e.type ?? '';
    const at = ms(e.timestamp);
    if (type === 'ExecutionStarted') snap.startedAt = at;
    const ended = ENDED[type];
    if (ended) {
      snap.status = ended;
      snap.endedAt = at;
      const d =
        e.executionFailedEventDetails ?? e.executionTimedOutEventDetails ?? e.executionAbortedEventDetails;
      if (d?.error) snap.error = d.error;
      if (d?.cause) snap.cause = d.cause;
      if (current && current.status === 'running') {
        current.status = ended === 'SUCCEEDED' ? 'done' : 'failed';
        current.endedAt = at;
      }
      continue;
    }
    if (type.endsWith('StateEntered')) {
      const name = e.stateEnteredEventDetails?.name ?? '?';
      if (depth === 0 && current && current.status === 'running' && current.name !== name) {
        // A caught error leaves the state without an Exited event: the next top-level state ends it.
        current.status = 'done';
        current.endedAt = at;
      }
      if (depth === 0 && !ROUTING.has(type)) {
        let phase = byName.get(name);
        if (!phase) {
          phase = { name, child: false, status: 'running', startedAt: at, entries: 0 };
          byName.set(name, phase);
          phases.push(phase);
        }
        phase.entries += 1;
        phase.status = 'running';
        delete phase.endedAt;
        current = phase;
      }
      if (NESTING_ENTER.has(type)) depth += 1;
      continue;
    }
    if (type.endsWith('StateExited')) {
      if (NESTING_EXIT.has(type)) depth = Math.max(0, depth - 1);
      const name = e.stateExitedEventDetails?.name ?? '?';
      // A Task's end may show only as its Exited event (the twin's history has no TaskSucceeded).
      if (name === asking) asking = undefined;
      if (depth === 0 && current && current.name === name) {
        current.status = 'done';
        current.endedAt = at;
      }
      continue;
    }
    if (type === 'TaskScheduled') {
      const d = e.taskScheduledEventDetails;
      if (depth === 0 && current && d?.resourceType === 'states') {
        current.child = true;
        const machine = fieldOf(d.parameters, 'StateMachineArn');
        if (machine) current.childMachine = machine;
      }
      if (d?.resourceType === 'sns' && /waitForTaskToken$/.test(d.resource ?? '')) {
        asking = current?.name ?? '?';
      }
      continue;
    }
    if (type === 'TaskSubmitted' && depth === 0 && current?.child) {
      const arn = fieldOf(e.taskSubmittedEventDetails?.output, 'ExecutionArn');
      if (arn) current.childArn = arn;
      continue;
    }
    if (TASK_ENDED.has(type)) asking = undefined;
  }
  if (asking !== undefined && snap.status === 'RUNNING') snap.waitingForApproval = { state: asking };
  return snap;
}

const TASK_ENDED = new Set([
  'TaskSucceeded',
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
]);

/** A string field of an event's JSON (`ExecutionArn` of a submitted child, `StateMachineArn` of its parameters). */
function fieldOf(text: string | undefined, field: string): string | undefined {
  if (!text) return undefined;
  try {
    const v = (JSON.parse(text) as Record<string, unknown>)[field];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The exit code of a run's end: 0 succeeded, 3 otherwise. */
export function runFailed(status: RunStatus): boolean {
  return status === 'FAILED' || status === 'TIMED_OUT' || status === 'ABORTED';
}
