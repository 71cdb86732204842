/** A primary-failover run's history for the follow tests: each event appears at its time on the virtual clock. */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { ACCOUNT, type Answers } from './helpers';

export const T0 = Date.parse('2026-12-02T04:00:00Z');
export const EXEC = `arn:aws:states:eu-west-1:${ACCOUNT}:execution:artifactory-prod-control-plane-eu-west-1-primary-failover:manual-1`;

/** A run's history as it grows: each event appears at its time on the virtual clock. */
export function growingHistory(
  events: (HistoryEvent & { at: number })[],
): Answers['sfn.GetExecutionHistoryCommand'] {
  let clockNow = () => T0;
  const answer = () => ({
    events: events
      .filter((e) => e.at <= clockNow())
      .map(({ at, ...e }) => ({ ...e, timestamp: new Date(at) })),
  });
  return Object.assign(answer, { bind: (now: () => number) => (clockNow = now) }) as never;
}

export function history(end: 'ExecutionSucceeded' | 'ExecutionFailed') {
  let id = 0;
  const e = (at: number, type: string, extra: Partial<HistoryEvent> = {}) =>
    ({ id: ++id, at: T0 + at * 1000, type, ...extra }) as HistoryEvent & { at: number };
  const entered = (at: number, type: string, name: string) =>
    e(at, type, { stateEnteredEventDetails: { name } });
  const exited = (at: number, type: string, name: string) =>
    e(at, type, { stateExitedEventDetails: { name } });
  return [
    e(0, 'ExecutionStarted'),
    entered(1, 'TaskStateEntered', 'Observe'),
    exited(5, 'TaskStateExited', 'Observe'),
    entered(5, 'ChoiceStateEntered', 'Decide'),
    exited(5, 'ChoiceStateExited', 'Decide'),
    entered(6, 'TaskStateEntered', 'Elect'),
    e(6, 'TaskScheduled', {
      taskScheduledEventDetails: {
        resource: 'startExecution.sync:2',
        resourceType: 'states',
        region: 'eu-west-1',
        parameters: '{}',
      },
    }),
    ...(end === 'ExecutionSucceeded'
      ? [
          exited(60, 'TaskStateExited', 'Elect'),
          entered(60, 'TaskStateEntered', 'Report'),
          exited(62, 'TaskStateExited', 'Report'),
          e(62, 'ExecutionSucceeded'),
        ]
      : [
          e(40, 'ExecutionFailed', {
            executionFailedEventDetails: { error: 'Elect.Failed', cause: 'no candidate' },
          }),
        ]),
  ];
}
