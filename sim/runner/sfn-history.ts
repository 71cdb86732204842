/**
 * GetExecutionHistory for the twin's Step Functions: the interpreter's event log (aws-local-stepfunctions)
 * in the shape of the Step Functions API (what hactl's `runs --follow` reads).
 *
 * Modelled from the Step Functions API Reference, GetExecutionHistory and HistoryEvent
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html,
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html): events oldest first
 * (`reverseOrder` newest first), `maxResults` 1-1000 (default 100) with a `nextToken` for the rest; each event
 * has `id` (from 1), `previousEventId`, `timestamp` and `type`, with its details: ExecutionStarted (input),
 * `<StateType>StateEntered` (name, input), `<StateType>StateExited` (name, output), for a Task TaskScheduled
 * (resourceType, resource, region: `arn:aws:states:::states:startExecution.sync:2` is resourceType `states`,
 * resource `startExecution.sync:2`; parameters: the data passed to the resource, Parameters applied and
 * `$$.Task.Token` resolved — TaskScheduledEventDetails) and TaskFailed (error, cause), MapIterationStarted / Succeeded / Failed
 * (name, index), ExecutionSucceeded (output), ExecutionFailed / ExecutionTimedOut / ExecutionAborted (error,
 * cause). Not modelled: TaskStarted, TaskSubmitted, TaskSucceeded, the Parallel and Map state's own
 * Started/Succeeded events, and the retried attempts (a retry shows as another TaskScheduled).
 */

import { AwsError } from '../core/errors';
import type { ExecutionRecord } from '../core/world';

type Event = Record<string, unknown> & { type: string };

/** A Task's resource as the history names it: `resourceType` and `resource`. */
export function taskResourceOf(arn: string): { resourceType: string; resource: string } {
  const parts = arn.split(':');
  // arn:aws:lambda:<region>:<account>:function:<name>: a Lambda invoked by ARN.
  if (parts[2] === 'lambda') return { resourceType: 'lambda', resource: 'invoke' };
  const rest = parts.slice(5);
  if (rest[0] === 'aws-sdk')
    return { resourceType: rest.slice(0, 2).join(':'), resource: rest.slice(2).join(':') };
  return { resourceType: rest[0] ?? '', resource: rest.slice(1).join(':') };
}

const json = (v: unknown) => JSON.stringify(v ?? null);

/** The execution's events in the API's shape, oldest first. */
export function historyEvents(
  record: ExecutionRecord,
  region: string,
  resourceOf: (state: string) => string | undefined,
  /** The n-th (from 0) attempt's effective parameters of a Task state, when the twin recorded them. */
  parametersOf: (state: string, n: number) => unknown = () => undefined,
): Event[] {
  const out: Event[] = [];
  const scheduled = new Map<string, number>();
  const add = (at: number, type: string, details: Record<string, unknown> = {}) => {
    const id = out.length + 1;
    out.push({ id, previousEventId: id - 1, timestamp: new Date(at), type, ...details });
  };
  for (const h of record.history) {
    const data = (h.data ?? {}) as {
      state?: { name?: string; type?: string; input?: unknown; output?: unknown };
      index?: number;
      parentState?: { name?: string };
      Error?: string;
      Cause?: string;
      input?: unknown;
    };
    const state = data.state;
    switch (h.type) {
      case 'ExecutionStarted':
        add(h.at, 'ExecutionStarted', { executionStartedEventDetails: { input: json(record.input) } });
        break;
      case 'StateEntered':
        add(h.at, `${state?.type ?? ''}StateEntered`, {
          stateEnteredEventDetails: { name: state?.name, input: json(state?.input) },
        });
        if (state?.type === 'Task' && state.name) {
          const resource = resourceOf(state.name);
          if (resource !== undefined) {
            const n = scheduled.get(state.name) ?? 0;
            scheduled.set(state.name, n + 1);
            // The data passed to the resource (Parameters applied, the task token in it), as AWS records it.
            const parameters = parametersOf(state.name, n);
            add(h.at, 'TaskScheduled', {
              taskScheduledEventDetails: {
                ...taskResourceOf(resource),
                region,
                parameters: json(parameters === undefined ? state.input : parameters),
              },
            });
          }
        }
        break;
      case 'StateExited':
        add(h.at, `${state?.type ?? ''}StateExited`, {
          stateExitedEventDetails: { name: state?.name, output: json(state?.output) },
        });
        break;
      case 'StateFailed':
        if (state?.type === 'Task' && state.name) {
          const resource = resourceOf(state.name);
          add(h.at, 'TaskFailed', {
            taskFailedEventDetails: {
              ...(resource !== undefined ? taskResourceOf(resource) : {}),
              error: data.Error,
              cause: data.Cause,
            },
          });
        }
        break;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const key = `${h.type[0]?.toLowerCase()}${h.type.slice(1)}EventDetails`;
        add(h.at, h.type, { [key]: { name: data.parentState?.name, index: data.index } });
        break;
      }
      default:
        break;
    }
  }
  if (record.status !== 'RUNNING') {
    const at = record.stoppedAt ?? record.history.at(-1)?.at ?? record.startedAt;
    const failure = { error: record.error, cause: record.cause };
    if (record.status === 'SUCCEEDED')
      add(at, 'ExecutionSucceeded', { executionSucceededEventDetails: { output: json(record.output) } });
    else if (record.status === 'FAILED') add(at, 'ExecutionFailed', { executionFailedEventDetails: failure });
    else if (record.status === 'TIMED_OUT')
      add(at, 'ExecutionTimedOut', { executionTimedOutEventDetails: failure });
    else add(at, 'ExecutionAborted', { executionAbortedEventDetails: failure });
  }
  return out;
}

/** One page of GetExecutionHistory. */
export function historyPage(
  events: readonly Event[],
  input: { maxResults?: number; nextToken?: string; reverseOrder?: boolean },
): { events: Event[]; nextToken?: string } {
  const max = input.maxResults ?? 100;
  if (!Number.isInteger(max) || max < 0 || max > 1000)
    throw new AwsError('ValidationException', `maxResults must be 0-1000, got ${max}`, { status: 400 });
  const size = max === 0 ? 100 : max;
  const start = input.nextToken === undefined ? 0 : Number(input.nextToken);
  if (!Number.isInteger(start) || start < 0 || start > events.length)
    throw new AwsError('InvalidToken', `Invalid Token: '${input.nextToken}'`, { status: 400 });
  const ordered = input.reverseOrder ? [...events].reverse() : [...events];
  const page = ordered.slice(start, start + size);
  const next = start + size;
  return { events: page, ...(next < ordered.length ? { nextToken: String(next) } : {}) };
}
