import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  type DeadLetter,
  normaliseTarget,
  parseDeadLetter,
  parseReplayTargets,
  planReplay,
  type QueueMessage,
  summarise,
} from '../../../functions/core/dead-letters';

const NOW = Date.UTC(2026, 2, 10, 12);
const FIXTURES = path.resolve(__dirname, '../../fixtures/events/operations');
const load = (name: string) =>
  JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
const FN = 'arn:aws:lambda:eu-west-1:111122223333:function:prod-dispatch';
const SM = 'arn:aws:states:eu-west-1:111122223333:stateMachine:prod-cert-rotation';
/** The destination record of AWS's page, as an SQS on-failure destination delivers it (the record is the body). */
const destinationMessage = (
  record: Record<string, unknown> = load('lambda-destination-record.json'),
): QueueMessage => ({
  MessageId: 'm-1',
  ReceiptHandle: 'h-1',
  Body: JSON.stringify(record),
  Attributes: { SentTimestamp: String(NOW - 90_000) },
});
const alarmEvent = {
  version: '0',
  id: 'e-1',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  time: '2026-03-10T11:58:00Z',
  detail: { alarmName: 'prod-eu-west-1-primary-unhealthy' },
};

describe('parseDeadLetter: AWS-documented messages', () => {
  it('reads a Lambda destination record: target without its qualifier, the request payload, why it failed', () => {
    const letter = parseDeadLetter(destinationMessage(), NOW);
    expect(letter).toMatchObject({
      ok: true,
      shape: 'lambda-destination',
      target: 'arn:aws:lambda:us-east-2:123456789012:function:my-function',
      targetKind: 'function',
      event: { ORDER_IDS: expect.any(Array) },
      error:
        'RetriesExhausted after 3 attempt(s): Unhandled: RequestId: e4b46cbf-b738-xmpl-8880-a18cdf61200e Process exited before completing request',
      ageSeconds: 90,
      scheduled: false,
    });
  });

  it('reads an EventBridge dead letter: its scheduled event is a stale tick', () => {
    const letter = parseDeadLetter(load('eventbridge-dlq-message.json') as QueueMessage, NOW);
    expect(letter).toMatchObject({
      ok: true,
      shape: 'eventbridge-dlq',
      target: 'arn:aws:lambda:us-east-1:123456789012:function:LogScheduledEvent',
      detailType: 'Scheduled Event',
      eventTime: '2015-10-08T16:53:06Z',
      error: 'SDK_CLIENT_ERROR: Unable to invoke Lambda function (MaximumRetryAttempts, 4 retries)',
      scheduled: true,
    });
  });

  it('treats a state machine target whose body is no event (a schedule’s constant input) as a stale tick', () => {
    const m = { ...(load('eventbridge-dlq-message.json') as QueueMessage), Body: '{}' } as QueueMessage & {
      MessageAttributes: Record<string, { StringValue: string }>;
    };
    const letter = parseDeadLetter(
      { ...m, MessageAttributes: { ...m.MessageAttributes, TARGET_ARN: { StringValue: SM } } },
      NOW,
    );
    expect(letter).toMatchObject({ ok: true, targetKind: 'state-machine', scheduled: true });
  });

  it.each<[string, QueueMessage, string]>([
    ['no receipt handle', { MessageId: 'm', Body: '{}' }, 'not an SQS message'],
    ['a body that is not JSON', { MessageId: 'm', ReceiptHandle: 'h', Body: 'oops' }, 'the body is not JSON'],
    [
      'neither shape',
      { MessageId: 'm', ReceiptHandle: 'h', Body: '{"a":1}' },
      'neither a Lambda destination record',
    ],
    [
      'a record without a function',
      { MessageId: 'm', ReceiptHandle: 'h', Body: '{"requestContext":{},"requestPayload":{}}' },
      'without requestContext.functionArn',
    ],
    [
      'a record without its payload',
      { MessageId: 'm', ReceiptHandle: 'h', Body: JSON.stringify({ requestContext: { functionArn: FN } }) },
      'without requestPayload',
    ],
    [
      'an EventBridge letter whose body is no object',
      {
        MessageId: 'm',
        ReceiptHandle: 'h',
        Body: '[1]',
        MessageAttributes: { TARGET_ARN: { StringValue: FN } },
      },
      'body is not an event object',
    ],
  ])('rejects %s with a clear reason', (_what, m, reason) => {
    const letter = parseDeadLetter(m, NOW);
    expect(letter.ok).toBe(false);
    expect(letter.ok ? '' : letter.reason).toContain(reason);
  });
});

const arnish = fc.oneof(
  fc.constantFrom(FN, `${FN}:$LATEST`, `${FN}:live`, SM, 'arn:aws:sqs:eu-west-1:111122223333:q'),
  fc.string(),
);
const anyMessage = fc.record(
  {
    MessageId: fc.option(fc.string(), { nil: undefined }),
    ReceiptHandle: fc.option(fc.string(), { nil: undefined }),
    Body: fc.option(
      fc.oneof(
        fc.string(),
        fc.jsonValue().map((v) => JSON.stringify(v)),
        fc.record({ functionArn: arnish, payload: fc.jsonValue(), condition: fc.string() }).map((r) =>
          JSON.stringify({
            requestContext: { functionArn: r.functionArn, condition: r.condition },
            requestPayload: r.payload,
          }),
        ),
      ),
      { nil: undefined },
    ),
    MessageAttributes: fc.option(
      fc.dictionary(
        fc.constantFrom('TARGET_ARN', 'ERROR_CODE', 'ERROR_MESSAGE', 'RETRY_ATTEMPTS', 'X'),
        fc.record({ StringValue: fc.option(arnish, { nil: undefined }) }),
      ),
      { nil: undefined },
    ),
    Attributes: fc.option(fc.record({ SentTimestamp: fc.string() }), { nil: undefined }),
  },
  { requiredKeys: [] },
);
const allowList = fc.array(fc.constantFrom(FN, SM, 'arn:aws:lambda:eu-west-1:111122223333:function:other'), {
  maxLength: 3,
});

describe('parseDeadLetter and planReplay: any message', () => {
  it('parses or is rejected with a reason, never throws', () => {
    fc.assert(
      fc.property(anyMessage, (m) => {
        const letter = parseDeadLetter(m, NOW);
        if (!letter.ok) expect(letter.reason.length).toBeGreaterThan(0);
        else expect(letter.error.length).toBeLessThanOrEqual(300);
      }),
    );
  });

  it('is never replayed to a target outside the allow-list, and a scheduled tick never at all', () => {
    fc.assert(
      fc.property(anyMessage, allowList, fc.boolean(), (m, allowed, discardStale) => {
        const letter = parseDeadLetter(m, NOW);
        const plan = planReplay(letter, allowed, discardStale);
        if (plan.action === 'invoke' || plan.action === 'start-execution') {
          expect(allowed).toContain(plan.target);
          expect(letter.ok && !letter.scheduled).toBe(true);
          expect(plan.action === 'invoke').toBe((letter as DeadLetter).targetKind === 'function');
        }
        if (plan.action === 'discard') expect(discardStale && letter.ok && letter.scheduled).toBe(true);
      }),
    );
  });

  it('summarises without the payload', () => {
    const secret = 'S3CR3T-do-not-show';
    fc.assert(
      fc.property(fc.constantFrom('lambda', 'eventbridge'), (shape) => {
        const m: QueueMessage =
          shape === 'lambda'
            ? destinationMessage({
                requestContext: { functionArn: FN },
                requestPayload: { ...alarmEvent, secret },
              })
            : {
                MessageId: 'm',
                ReceiptHandle: 'h',
                Body: JSON.stringify({ ...alarmEvent, secret }),
                MessageAttributes: { TARGET_ARN: { StringValue: FN } },
              };
        const s = summarise(parseDeadLetter(m, NOW));
        expect(JSON.stringify(s)).not.toContain(secret);
        expect(s).toMatchObject({
          target: FN,
          detailType: 'CloudWatch Alarm State Change',
          eventTime: alarmEvent.time,
        });
      }),
    );
  });
});

describe('planReplay', () => {
  const letter = (change: Partial<DeadLetter>): DeadLetter => ({
    ok: true,
    messageId: 'm-1',
    receiptHandle: 'h',
    shape: 'eventbridge-dlq',
    target: FN,
    targetKind: 'function',
    event: alarmEvent,
    error: 'x',
    scheduled: false,
    ...change,
  });

  it('invokes an allowed function with the original event', () => {
    expect(planReplay(letter({}), [FN], false)).toEqual({
      action: 'invoke',
      target: FN,
      payload: JSON.stringify(alarmEvent),
    });
  });

  it('starts an allowed state machine under a name derived from the message', () => {
    expect(
      planReplay(letter({ target: SM, targetKind: 'state-machine', messageId: 'a/b' }), [SM], false),
    ).toEqual({
      action: 'start-execution',
      target: SM,
      input: JSON.stringify(alarmEvent),
      name: 'replay-a-b',
    });
  });

  it('keeps a stale tick unless asked to discard it, and anything not allowed', () => {
    expect(planReplay(letter({ scheduled: true }), [FN], false)).toMatchObject({
      action: 'keep',
      reason: expect.stringContaining('discardStale'),
    });
    expect(planReplay(letter({ scheduled: true }), [FN], true)).toMatchObject({ action: 'discard' });
    expect(planReplay(letter({}), [], true)).toMatchObject({
      action: 'keep',
      reason: expect.stringContaining('not one of'),
    });
    expect(planReplay({ ok: false, messageId: 'm', reason: 'bad' }, [FN], true)).toEqual({
      action: 'keep',
      reason: 'unreadable: bad',
    });
  });
});

describe('targets', () => {
  it('normalises a function ARN with or without its qualifier, and names the kind', () => {
    expect(normaliseTarget(`${FN}:$LATEST`)).toEqual({ target: FN, kind: 'function' });
    expect(normaliseTarget(`${FN}:live`)).toEqual({ target: FN, kind: 'function' });
    expect(normaliseTarget(SM)).toEqual({ target: SM, kind: 'state-machine' });
    expect(normaliseTarget('arn:aws:sqs:eu-west-1:111122223333:q').kind).toBe('other');
  });

  it('reads REPLAY_TARGETS or refuses it, naming it', () => {
    expect(parseReplayTargets(JSON.stringify({ functions: [`${FN}:$LATEST`], stateMachines: [SM] }))).toEqual(
      [FN, SM],
    );
    expect(parseReplayTargets('{"functions":[],"stateMachines":[]}')).toEqual([]);
    expect(() => parseReplayTargets('nope')).toThrow('REPLAY_TARGETS is not JSON');
    expect(() => parseReplayTargets(JSON.stringify([FN]))).toThrow(
      'REPLAY_TARGETS must be { functions: [ARN], stateMachines: [ARN] }',
    );
    expect(() => parseReplayTargets(JSON.stringify({ functions: [SM], stateMachines: [] }))).toThrow(
      'REPLAY_TARGETS.functions[0] is not a function ARN',
    );
    expect(() => parseReplayTargets(JSON.stringify({ functions: [], stateMachines: [FN, 1] }))).toThrow(
      'REPLAY_TARGETS.stateMachines[0] is not a state-machine ARN',
    );
    expect(() => parseReplayTargets(JSON.stringify({ functions: [1], stateMachines: [] }))).toThrow(
      'REPLAY_TARGETS.functions[0] is not a function ARN',
    );
  });
});
