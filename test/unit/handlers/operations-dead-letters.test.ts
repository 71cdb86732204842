/**
 * The operations Lambda's dead-letter ops (issue 15 §2): list peeks; replay re-delivers to this stack's targets
 * only and deletes a message only when it was processed; both are audited.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../../functions/operations/handler';
import { resetClients, setClientsForTest } from '../../../functions/shared/clients/base';
import { ENV } from '../../../functions/shared/env';
import { ConfigurationError, ValidationError } from '../../../functions/shared/errors';

const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/111122223333/prod-dead-letters';
const DISPATCH = 'arn:aws:lambda:eu-west-1:111122223333:function:prod-dispatch';
const SM = 'arn:aws:states:eu-west-1:111122223333:stateMachine:prod-cert-rotation';
const FIXTURES = path.resolve(__dirname, '../../fixtures/events/operations');
const alarmEvent = {
  version: '0',
  id: 'e-1',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  time: '2026-03-10T11:58:00Z',
  detail: { alarmName: 'prod-eu-west-1-primary-unhealthy' },
};
/** dispatch's on-failure record of a lost primary-alarm event, as the destination queue holds it. */
const fromDestination: Message = {
  MessageId: 'm-dest',
  ReceiptHandle: 'h-dest',
  Body: JSON.stringify({
    version: '1.0',
    timestamp: '2026-03-10T11:59:00.000Z',
    requestContext: {
      requestId: 'r',
      functionArn: `${DISPATCH}:$LATEST`,
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    },
    requestPayload: alarmEvent,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: 'TransientError', errorMessage: 'ThrottlingException: Rate exceeded' },
  }),
};
const scheduled = JSON.parse(
  readFileSync(path.join(FIXTURES, 'eventbridge-dlq-message.json'), 'utf8'),
) as Message;
const stale: Message = {
  ...scheduled,
  MessageId: 'm-stale',
  ReceiptHandle: 'h-stale',
  MessageAttributes: {
    ...scheduled.MessageAttributes,
    TARGET_ARN: { DataType: 'String', StringValue: DISPATCH },
  },
};
const foreign: Message = {
  MessageId: 'm-foreign',
  ReceiptHandle: 'h-foreign',
  Body: JSON.stringify(alarmEvent),
  MessageAttributes: {
    TARGET_ARN: { DataType: 'String', StringValue: 'arn:aws:lambda:eu-west-1:999999999999:function:evil' },
  },
};
const toMachine: Message = {
  MessageId: 'm-sm',
  ReceiptHandle: 'h-sm',
  Body: JSON.stringify(alarmEvent),
  MessageAttributes: { TARGET_ARN: { DataType: 'String', StringValue: SM } },
};
const context = { functionName: 'operations', awsRequestId: 'req-1' } as unknown as Context;
const actor = { actor: 'arn:aws:iam::111122223333:user/ops', reason: 'dispatch was throttled' };

const sqs = mockClient(SQSClient);
const lambda = mockClient(LambdaClient);
const sfn = mockClient(SFNClient);
const doc = mockClient(DynamoDBDocumentClient);
const saved = { ...process.env };
// The SDK wraps the payload in a blob adapter; the handler only decodes its bytes.
const ok = (payload: unknown = { started: true }) =>
  ({
    StatusCode: 200,
    Payload: new TextEncoder().encode(JSON.stringify(payload)),
  }) as unknown as InvokeCommandOutput;
const audits = () => doc.commandCalls(PutCommand).map((c) => c.args[0].input.Item as Record<string, unknown>);
const deleted = () => sqs.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input.ReceiptHandle);

beforeEach(() => {
  for (const m of [sqs, lambda, sfn, doc] as unknown as {
    reset(): void;
    onAnyCommand(): { rejects(e: Error): void };
  }[]) {
    m.reset();
    m.onAnyCommand().rejects(new Error('unexpected command'));
  }
  sqs.on(ReceiveMessageCommand).resolves({ Messages: [fromDestination, stale, foreign, toMachine] });
  sqs.on(DeleteMessageCommand).resolves({});
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
  lambda.on(InvokeCommand).resolves(ok());
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'x', startDate: new Date() });
  doc.on(PutCommand).resolves({});
  resetClients();
  setClientsForTest({
    sqs: new SQSClient({ region: 'eu-west-1' }),
    lambda: new LambdaClient({ region: 'eu-west-1' }),
    sfn: new SFNClient({ region: 'eu-west-1' }),
    dynamoDoc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  });
  Object.assign(process.env, {
    [ENV.clusterName]: 'prod',
    [ENV.stateTable]: 'prod-state',
    [ENV.deadLetterQueueUrl]: QUEUE,
    [ENV.replayTargets]: JSON.stringify({ functions: [DISPATCH], stateMachines: [SM] }),
  });
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

afterEach(() => {
  jest.restoreAllMocks();
  process.env = { ...saved };
});

afterAll(() => resetClients());

describe('dead-letters-list', () => {
  it('peeks (VisibilityTimeout 0), summarises without payloads, and audits who looked', async () => {
    const out = (await handler({ op: 'dead-letters-list', ...actor }, context)) as {
      messages: Record<string, unknown>[];
    };

    expect(sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input).toMatchObject({
      QueueUrl: QUEUE,
      VisibilityTimeout: 0,
      MaxNumberOfMessages: 10,
      MessageAttributeNames: ['All'],
    });
    expect(out.messages).toEqual([
      expect.objectContaining({
        messageId: 'm-dest',
        shape: 'lambda-destination',
        target: DISPATCH,
        detailType: alarmEvent['detail-type'],
      }),
      expect.objectContaining({ messageId: 'm-stale', shape: 'eventbridge-dlq', stale: true }),
      expect.objectContaining({ messageId: 'm-foreign' }),
      expect.objectContaining({ messageId: 'm-sm', target: SM }),
    ]);
    expect(JSON.stringify(out)).not.toContain('prod-eu-west-1-primary-unhealthy');
    expect(sqs).toHaveReceivedCommandTimes(DeleteMessageCommand, 0);
    expect(audits()[0]).toMatchObject({
      trigger: 'operator',
      kind: 'dead-letters-list',
      actor: actor.actor,
      outcome: 'listed 4',
    });
  });

  it('stops when a peek brings nothing new (bounded)', async () => {
    await handler({ op: 'dead-letters-list', max: 50 }, context);
    expect(sqs).toHaveReceivedCommandTimes(ReceiveMessageCommand, 2);
  });
});

describe('dead-letters-replay', () => {
  it('replays allowed targets, deletes what was processed, keeps the rest with the reason, and audits it', async () => {
    const out = (await handler({ op: 'dead-letters-replay', ...actor }, context)) as Record<string, unknown>;

    expect(sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input.VisibilityTimeout).toBe(120);
    expect(lambda.commandCalls(InvokeCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({ FunctionName: DISPATCH, InvocationType: 'RequestResponse' }),
    ]);
    const payload = lambda.commandCalls(InvokeCommand)[0]?.args[0].input.Payload as Uint8Array;
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(alarmEvent);
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: SM,
      name: 'replay-m-sm',
      input: JSON.stringify(alarmEvent),
    });
    expect(deleted()).toEqual(['h-dest', 'h-sm']);
    expect(out).toMatchObject({
      replayed: 2,
      kept: 2,
      failed: 0,
      results: expect.arrayContaining([
        expect.objectContaining({
          messageId: 'm-stale',
          result: 'kept',
          reason: expect.stringContaining('stale scheduled event'),
        }),
        expect.objectContaining({
          messageId: 'm-foreign',
          result: 'kept',
          reason: expect.stringContaining('not one of'),
        }),
      ]),
    });
    expect(audits()[0]).toMatchObject({
      kind: 'dead-letters-replay',
      actor: actor.actor,
      reason: actor.reason,
      outcome: 'replayed 2, discarded 0, kept 2, failed 0',
    });
  });

  it('leaves a message whose replay fails again, and says why', async () => {
    lambda.on(InvokeCommand).resolves({ ...ok({ errorType: 'TransientError' }), FunctionError: 'Unhandled' });
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [fromDestination] });

    const out = await handler({ op: 'dead-letters-replay', ...actor }, context);
    expect(out).toMatchObject({
      failed: 1,
      results: [
        {
          messageId: 'm-dest',
          result: 'failed',
          reason: 'the function failed again (Unhandled: TransientError)',
        },
      ],
    });
    expect(deleted()).toEqual([]);
  });

  it('leaves a message whose target cannot be reached', async () => {
    lambda.on(InvokeCommand).rejects(Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' }));
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [fromDestination] });

    await expect(handler({ op: 'dead-letters-replay', ...actor }, context)).resolves.toMatchObject({
      results: [{ result: 'failed', reason: 'the replay call failed (ResourceNotFoundException)' }],
    });
    expect(deleted()).toEqual([]);
  });

  it('counts an execution already started by an earlier replay as processed', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists' }));
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [toMachine] });

    await expect(handler({ op: 'dead-letters-replay', ...actor }, context)).resolves.toMatchObject({
      replayed: 1,
    });
    expect(deleted()).toEqual(['h-sm']);
  });

  it('deletes a stale tick only when asked to', async () => {
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [stale] });
    await expect(
      handler({ op: 'dead-letters-replay', ...actor, discardStale: true }, context),
    ).resolves.toMatchObject({
      discarded: 1,
    });
    expect(deleted()).toEqual(['h-stale']);
    expect(lambda.calls()).toHaveLength(0);
  });

  it('dry run: peeks and plans, changes nothing', async () => {
    const out = await handler({ op: 'dead-letters-replay', ...actor, dryRun: true }, context);
    expect(out).toMatchObject({ dryRun: true, wouldReplay: 2, kept: 2 });
    expect(sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input.VisibilityTimeout).toBe(0);
    expect(lambda.calls().length + sfn.calls().length).toBe(0);
    expect(deleted()).toEqual([]);
  });

  it('replays only the messages named, and makes the others visible again at once', async () => {
    await handler({ op: 'dead-letters-replay', ...actor, messageIds: ['m-dest'] }, context);
    expect(deleted()).toEqual(['h-dest']);
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand).map((c) => c.args[0].input)).toEqual(
      ['h-stale', 'h-foreign', 'h-sm'].map((h) => ({
        QueueUrl: QUEUE,
        ReceiptHandle: h,
        VisibilityTimeout: 0,
      })),
    );
  });

  it('refuses to run with a REPLAY_TARGETS that is not a list of ARNs, touching nothing', async () => {
    process.env[ENV.replayTargets] =
      '{"functions":["arn:aws:sqs:eu-west-1:111122223333:q"],"stateMachines":[]}';
    const err: unknown = await handler({ op: 'dead-letters-replay', ...actor }, context).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(sqs.calls()).toHaveLength(0);
  });

  it.each([
    ['without a reason', { op: 'dead-letters-replay', actor: 'me' }, 'reason'],
    ['with an empty reason', { op: 'dead-letters-replay', actor: 'me', reason: '  ' }, 'reason'],
    [
      'with a non-boolean discardStale',
      { op: 'dead-letters-replay', ...actor, discardStale: 'yes' },
      'discardStale',
    ],
    ['asking too many', { op: 'dead-letters-list', max: 51 }, 'max'],
  ])('refuses a request %s, touching nothing', async (_what, request, field) => {
    const err: unknown = await handler(request, context).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toContain(field);
    expect(sqs.calls().length + doc.calls().length).toBe(0);
  });
});
