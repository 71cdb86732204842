/** Exact behaviours of the operations core (run-end, dead-letters, audit-trail) that the property tests leave open. */
import { censusAuditPut, normaliseAuditItem, operatorAuditPut } from '../../../functions/core/audit-trail';
import {
  type DeadLetter,
  parseDeadLetter,
  parseReplayTargets,
  planReplay,
  summarise,
} from '../../../functions/core/dead-letters';
import { clip } from '../../../functions/core/report';
import {
  classifyRunEnd,
  parseRunBounds,
  type RunStatusChange,
  runEndAudit,
  runEndClaim,
  runEndNotice,
  selfReportMark,
} from '../../../functions/core/run-end';

const NOW = Date.UTC(2026, 2, 10, 12);
const FN = 'arn:aws:lambda:eu-west-1:111122223333:function:prod-dispatch';
const SM = 'arn:aws:states:eu-west-1:111122223333:stateMachine:prod-primary-failover';
const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:prod-primary-failover:run-1';

describe('clip', () => {
  it('cuts to n characters, the last an ellipsis, and leaves a string of n alone', () => {
    expect(clip('abcdef', 4)).toBe('abc…');
    expect(clip('abcd', 4)).toBe('abcd');
    expect(clip('abc', 4)).toBe('abc');
  });
});

describe('run-end, exactly', () => {
  const change: RunStatusChange = {
    region: 'eu-west-1',
    executionArn: EXECUTION,
    stateMachineArn: SM,
    name: 'run-1',
    status: 'TIMED_OUT',
    startDate: NOW - 30 * 60_000,
    stopDate: NOW,
  };
  const root = { kind: 'root', workflow: 'primary-failover', status: 'TIMED_OUT', known: true } as const;

  it('words the notification line by line', () => {
    expect(runEndNotice('prod', { ...change, error: 'States.Timeout' }, root, NOW + 5).message).toBe(
      [
        'primary-failover run run-1 ended TIMED_OUT in eu-west-1 (cluster prod) at 2026-03-10T12:00:00.000Z, after 30 min, without reporting its outcome.',
        'Error: States.Timeout',
        'The run outlived its TimeoutSeconds (a lost callback or a wait that never ended). Read its last states in the execution history; a lease it held expires by itself.',
        `Execution: ${EXECUTION}`,
      ].join('\n'),
    );
  });

  it('takes the stop time from now when the event has none, and never a negative duration', () => {
    const n = runEndNotice(
      'prod',
      { ...change, stopDate: null },
      { ...root, known: false },
      NOW + 90 * 60_000,
    );
    expect(n.message).toContain('at 2026-03-10T13:30:00.000Z, after 120 min');
    expect(n.message).toContain('not in RUN_BOUNDS');
    expect(
      runEndNotice('prod', { ...change, stopDate: change.startDate - 60_000 }, root, NOW).message,
    ).toContain('after 0 min');
    expect(n.message).not.toContain('Error:');
  });

  it('leaves the error out of an audit entry that has none, and names the machine from its ARN', () => {
    const item = runEndAudit('prod', change, root, undefined, NOW).Item;
    expect(item).not.toHaveProperty('error');
    expect(item).not.toHaveProperty('notified');
    expect(item.sk).toBe('AUDIT#2026-03-10T12:00:00.000Z#prod-primary-failover:run-1#TIMED_OUT');
  });

  it('ignores a RUNNING event with the reason, and names an unknown machine by its ARN', () => {
    expect(classifyRunEnd({ ...change, status: 'RUNNING' }, [])).toEqual({
      kind: 'ignored',
      reason: 'status RUNNING is not a failed end',
    });
    expect(classifyRunEnd(change, [])).toMatchObject({ workflow: 'prod-primary-failover' });
  });

  it('writes the marker with every name and value it uses', () => {
    expect(selfReportMark('prod', EXECUTION, 'primary-failover', 'escalated', NOW)).toEqual({
      Key: { pk: 'CLUSTER#prod', sk: `REPORTED#${EXECUTION}` },
      UpdateExpression: 'SET reportedAt = :now, workflow = :workflow, outcome = :outcome, #ttl = :ttl',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':now': NOW,
        ':workflow': 'primary-failover',
        ':outcome': 'escalated',
        ':ttl': NOW / 1000 + 30 * 86_400,
      },
    });
    expect(runEndClaim('prod', change, 'TIMED_OUT', NOW).ExpressionAttributeNames).toEqual({ '#ttl': 'ttl' });
  });

  it('names the first invalid field of RUN_BOUNDS and its message', () => {
    expect(() => parseRunBounds('[{"workflow":"","arn":"x","root":true,"boundSeconds":1}]')).toThrow(
      /^RUN_BOUNDS is invalid at \[0\.workflow\]: \S.*$/,
    );
  });
});

describe('dead-letters, exactly', () => {
  const eb = (attrs: Record<string, string>, body: unknown = { 'detail-type': 'X', source: 'y' }) =>
    parseDeadLetter(
      {
        MessageId: 'm',
        ReceiptHandle: 'h',
        Body: JSON.stringify(body),
        MessageAttributes: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, { StringValue: v }])),
      },
      NOW,
    ) as DeadLetter;

  it('words an EventBridge error from what the attributes give, empty ones counted as absent', () => {
    expect(eb({ TARGET_ARN: FN }).error).toBe('no error code');
    expect(eb({ TARGET_ARN: FN, ERROR_CODE: '', ERROR_MESSAGE: '' }).error).toBe('no error code');
    expect(eb({ TARGET_ARN: FN, ERROR_CODE: 'C', ERROR_MESSAGE: '  two\n\n words  ' }).error).toBe(
      'C: two words',
    );
    expect(
      eb({ TARGET_ARN: FN, ERROR_CODE: 'C', EXHAUSTED_RETRY_CONDITION: 'MaximumEventAgeInSeconds' }).error,
    ).toBe('C (MaximumEventAgeInSeconds)');
    expect(eb({ TARGET_ARN: '', ERROR_CODE: 'C' }).ok).toBe(false);
  });

  it('clips a long error to 300 characters', () => {
    expect(eb({ TARGET_ARN: FN, ERROR_CODE: 'x '.repeat(400) }).error).toHaveLength(300);
  });

  it('words a destination record’s error from what it gives', () => {
    const rec = (ctx: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      parseDeadLetter(
        {
          MessageId: 'm',
          ReceiptHandle: 'h',
          Body: JSON.stringify({ requestContext: { functionArn: FN, ...ctx }, requestPayload: {}, ...extra }),
        },
        NOW,
      ) as DeadLetter;
    expect(rec({}).error).toBe('no condition');
    expect(rec({ condition: 'EventAgeExceeded', approximateInvokeCount: '3' }).error).toBe(
      'EventAgeExceeded',
    );
    expect(rec({ condition: 'RetriesExhausted', approximateInvokeCount: 3 }).error).toBe(
      'RetriesExhausted after 3 attempt(s)',
    );
    expect(rec({ condition: 'R' }, { responsePayload: { errorType: 'E' } }).error).toBe('R: E');
  });

  it('calls a tick stale only when it is a schedule’s (detail-type and source both)', () => {
    expect(eb({ TARGET_ARN: FN }, { 'detail-type': 'Scheduled Event', source: 'aws.events' }).scheduled).toBe(
      true,
    );
    expect(eb({ TARGET_ARN: FN }, { 'detail-type': 'Scheduled Event', source: 'my.app' }).scheduled).toBe(
      false,
    );
    expect(eb({ TARGET_ARN: FN }, { 'detail-type': 'Other', source: 'aws.events' }).scheduled).toBe(false);
    expect(eb({ TARGET_ARN: FN }, {}).scheduled).toBe(false);
  });

  it('gives an age only for a real send time', () => {
    const age = (SentTimestamp?: string) =>
      (
        parseDeadLetter(
          {
            MessageId: 'm',
            ReceiptHandle: 'h',
            Body: '{}',
            MessageAttributes: { TARGET_ARN: { StringValue: FN } },
            Attributes: { SentTimestamp },
          },
          NOW,
        ) as DeadLetter
      ).ageSeconds;
    expect(age(String(NOW - 61_500))).toBe(61);
    expect(age(String(NOW + 5_000))).toBe(0);
    expect(age('0')).toBeUndefined();
    expect(age('soon')).toBeUndefined();
    expect(age(undefined)).toBeUndefined();
  });

  it('rejects what it cannot read, naming the message when it can', () => {
    expect(parseDeadLetter({ ReceiptHandle: 'h', Body: '{}' }, NOW)).toEqual({
      ok: false,
      messageId: '(no message id)',
      reason: 'not an SQS message (no MessageId or ReceiptHandle)',
    });
    expect(parseDeadLetter({ MessageId: 'm', ReceiptHandle: 'h' }, NOW)).toMatchObject({
      reason: 'the body is not JSON',
    });
  });

  it('summarises only what it knows', () => {
    expect(summarise({ ok: false, messageId: 'm', reason: 'r' })).toEqual({
      messageId: 'm',
      shape: 'unreadable',
      reason: 'r',
    });
    expect(summarise(eb({ TARGET_ARN: FN, ERROR_CODE: 'C' }, {}))).toEqual({
      messageId: 'm',
      shape: 'eventbridge-dlq',
      target: FN,
      error: 'C',
    });
  });

  it('keeps a target of another kind even when listed, names a discard, and bounds an execution name', () => {
    const letter = eb({ TARGET_ARN: 'arn:aws:sqs:eu-west-1:111122223333:q', ERROR_CODE: 'C' });
    expect(planReplay(letter, ['arn:aws:sqs:eu-west-1:111122223333:q'], false)).toMatchObject({
      action: 'keep',
    });
    expect(planReplay({ ...letter, scheduled: true }, [], true)).toEqual({
      action: 'discard',
      reason: 'stale scheduled event (a past tick), deleted on request',
    });
    const long = { ...letter, target: SM, targetKind: 'state-machine' as const, messageId: 'x'.repeat(100) };
    const plan = planReplay(long, [SM], false);
    expect(plan.action === 'start-execution' && plan.name).toBe(`replay-${'x'.repeat(73)}`);
  });

  it('refuses REPLAY_TARGETS missing either list', () => {
    for (const bad of [
      'null',
      '{"functions":[]}',
      '{"stateMachines":[]}',
      '{"functions":{},"stateMachines":[]}',
    ]) {
      expect(() => parseReplayTargets(bad)).toThrow(
        'REPLAY_TARGETS must be { functions: [ARN], stateMachines: [ARN] }',
      );
    }
  });
});

describe('audit-trail, exactly', () => {
  const at = '2026-03-10T12:00:00.000Z';

  it('drops what is not a non-empty string (or a boolean notified)', () => {
    expect(
      normaliseAuditItem({
        sk: `AUDIT#${at}#x`,
        workflow: 5,
        outcome: '',
        actor: '',
        notified: 'yes',
        trigger: 'sweep',
      }),
    ).toEqual({ at, id: 'x', kind: 'sweep' });
    expect(normaliseAuditItem({ pk: 'CLUSTER#prod' })).toBeUndefined();
  });

  it('splits the sort key at the first # after the prefix, even an empty time', () => {
    expect(normaliseAuditItem({ sk: 'AUDIT##id#more' })).toEqual({ at: '', id: 'id#more', kind: 'report' });
  });

  it('keys an operator’s entry by kind and request, and leaves out what was not given', () => {
    const item = operatorAuditPut({
      cluster: 'prod',
      at: NOW,
      requestId: 'r-1',
      kind: 'dead-letters-list',
      outcome: 'listed 0',
    }).Item;
    expect(item.sk).toBe(`AUDIT#${at}#dead-letters-list#r-1`);
    expect(item).not.toHaveProperty('reason');
  });

  it('clips the census’s reason to 500 characters', () => {
    const item = censusAuditPut(
      {
        cluster: 'prod',
        eventTime: at,
        eventId: 'e',
        census: 'two',
        why: 'w'.repeat(600),
        executionName: 'n',
        outcome: 'started',
      },
      NOW,
    ).Item;
    expect(item.detail).toHaveLength(500);
  });
});
