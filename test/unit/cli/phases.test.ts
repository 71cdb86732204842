/** phasesOf: a run's phases from its history (examples and properties). */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import fc from 'fast-check';
import { phasesOf } from '../../../cli/phases';

let id = 0;
const ev = (t: number, type: string, extra: Partial<HistoryEvent> = {}): HistoryEvent =>
  ({ id: ++id, timestamp: new Date(t * 1000), type, ...extra }) as HistoryEvent;
const entered = (t: number, type: string, name: string) =>
  ev(t, type, { stateEnteredEventDetails: { name } });
const exited = (t: number, type: string, name: string) => ev(t, type, { stateExitedEventDetails: { name } });

describe('phasesOf', () => {
  it('states inside a Map belong to the Map phase; Choice/Pass are not phases; loops count entries', () => {
    const s = phasesOf([
      ev(0, 'ExecutionStarted'),
      entered(1, 'PassStateEntered', 'Init'),
      exited(1, 'PassStateExited', 'Init'),
      entered(1, 'MapStateEntered', 'EachNode'),
      entered(2, 'TaskStateEntered', 'Drain'),
      exited(3, 'TaskStateExited', 'Drain'),
      exited(4, 'MapStateExited', 'EachNode'),
      entered(4, 'WaitStateEntered', 'Settle'),
      exited(5, 'WaitStateExited', 'Settle'),
      entered(5, 'ChoiceStateEntered', 'Again'),
      exited(5, 'ChoiceStateExited', 'Again'),
      entered(5, 'WaitStateEntered', 'Settle'),
    ]);
    expect(s.status).toBe('RUNNING');
    expect(s.phases.map((p) => [p.name, p.status, p.entries])).toEqual([
      ['EachNode', 'done', 1],
      ['Settle', 'running', 2],
    ]);
  });

  it('a caught error (no Exited event) is ended by the next phase; the run failing fails the current one', () => {
    const s = phasesOf([
      ev(0, 'ExecutionStarted'),
      entered(1, 'TaskStateEntered', 'Promote'),
      ev(2, 'TaskFailed'),
      entered(3, 'TaskStateEntered', 'Rollback'),
      ev(4, 'ExecutionFailed', { executionFailedEventDetails: { error: 'E', cause: 'C' } }),
    ]);
    expect(s).toMatchObject({ status: 'FAILED', error: 'E', cause: 'C', startedAt: 0, endedAt: 4000 });
    expect(s.phases.map((p) => [p.name, p.status, p.endedAt])).toEqual([
      ['Promote', 'done', 3000],
      ['Rollback', 'failed', 4000],
    ]);
  });

  it('a child run: marked, its ARN from TaskSubmitted; an unanswered SNS token wait is an approval wait', () => {
    const child = 'arn:aws:states:eu-west-1:1:execution:x-approval:run-1';
    const s = phasesOf([
      ev(0, 'ExecutionStarted'),
      entered(1, 'TaskStateEntered', 'AwaitApproval'),
      ev(1, 'TaskScheduled', {
        taskScheduledEventDetails: {
          resourceType: 'states',
          resource: 'startExecution.sync:2',
          region: 'r',
          parameters: '{}',
        },
      }),
      ev(1, 'TaskSubmitted', {
        taskSubmittedEventDetails: {
          resourceType: 'states',
          resource: 'startExecution.sync:2',
          output: JSON.stringify({ ExecutionArn: child }),
        },
      }),
    ]);
    expect(s.phases[0]).toMatchObject({
      name: 'AwaitApproval',
      child: true,
      childArn: child,
      status: 'running',
    });
    expect(s.waitingForApproval).toBeUndefined();
    const asking = [
      ev(0, 'ExecutionStarted'),
      entered(1, 'TaskStateEntered', 'RequestApproval'),
      ev(1, 'TaskScheduled', {
        taskScheduledEventDetails: {
          resourceType: 'sns',
          resource: 'publish.waitForTaskToken',
          region: 'r',
          parameters: '{}',
        },
      }),
    ];
    expect(phasesOf(asking).waitingForApproval).toEqual({ state: 'RequestApproval' });
    expect(phasesOf([...asking, ev(9, 'TaskSucceeded')]).waitingForApproval).toBeUndefined();
    // a machine's token wait (an SSM command through Lambda) is not an approval
    const machine = [
      ev(0, 'ExecutionStarted'),
      entered(1, 'TaskStateEntered', 'RunCommand'),
      ev(1, 'TaskScheduled', {
        taskScheduledEventDetails: {
          resourceType: 'lambda',
          resource: 'invoke.waitForTaskToken',
          region: 'r',
          parameters: '{}',
        },
      }),
    ];
    expect(phasesOf(machine).waitingForApproval).toBeUndefined();
  });

  const stateTypes = ['Task', 'Wait', 'Choice', 'Pass', 'Map', 'Parallel'] as const;
  const step = fc.record({
    kind: fc.constantFrom('enter', 'exit', 'end'),
    type: fc.constantFrom(...stateTypes),
    name: fc.constantFrom('A', 'B', 'C', 'D'),
    end: fc.constantFrom('ExecutionSucceeded', 'ExecutionFailed', 'ExecutionTimedOut', 'ExecutionAborted'),
  });

  it('property: unique phase names, at most one running, none running once the run ended, times ordered', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const events: HistoryEvent[] = [ev(0, 'ExecutionStarted')];
        // a history ends with the run's end event: nothing follows it
        const end = steps.findIndex((st) => st.kind === 'end');
        (end < 0 ? steps : steps.slice(0, end + 1)).forEach((st, i) => {
          const t = i + 1;
          if (st.kind === 'end') events.push(ev(t, st.end));
          else if (st.kind === 'enter') events.push(entered(t, `${st.type}StateEntered`, st.name));
          else events.push(exited(t, `${st.type}StateExited`, st.name));
        });
        const s = phasesOf(events);
        const names = s.phases.map((p) => p.name);
        expect(new Set(names).size).toBe(names.length);
        expect(s.phases.filter((p) => p.status === 'running').length).toBeLessThanOrEqual(1);
        if (s.status !== 'RUNNING') expect(s.phases.every((p) => p.status !== 'running')).toBe(true);
        for (const p of s.phases) {
          expect(p.entries).toBeGreaterThanOrEqual(1);
          if (p.endedAt !== undefined) expect(p.endedAt).toBeGreaterThanOrEqual(p.startedAt);
        }
      }),
      { numRuns: 300 },
    );
  });
});
