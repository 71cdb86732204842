import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { routeToTwin } from '../../../sim/runner/sdk';
import { Twin } from '../../../sim/twin';

const REGION = 'eu-west-1';
const MINUTE = 60_000;

jest.setTimeout(60_000);

describe('the twin SQS (standard queues, as the dead-letter queue uses them)', () => {
  let twin: Twin;
  let sqs: SQSClient;

  beforeEach(async () => {
    twin = await Twin.start({ seed: 3, controlPlane: false });
    sqs = routeToTwin(
      new SQSClient({
        region: REGION,
        credentials: { accessKeyId: 'twin', secretAccessKey: 'twin' },
        maxAttempts: 1,
      }),
      twin.world,
      'sqs',
      REGION,
    );
  });

  afterEach(async () => {
    await twin?.stop();
  });

  const create = async (attributes: Record<string, string> = {}) => {
    const out = await sqs.send(
      new CreateQueueCommand({ QueueName: 'art-dead-letters', Attributes: attributes }),
    );
    return out.QueueUrl as string;
  };
  const counts = async (url: string) => {
    const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    return {
      visible: Number(out.Attributes?.ApproximateNumberOfMessages),
      inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible),
    };
  };

  it('sends with attributes, peeks with VisibilityTimeout 0, hides on receive and shows the message again', async () => {
    const url = await create({ KmsMasterKeyId: 'alias/control-plane' });
    expect(url).toBe(`https://sqs.${REGION}.amazonaws.com/${twin.world.accountId}/art-dead-letters`);
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: 'art-dead-letters' }))).QueueUrl).toBe(url);
    // The SDK checks MD5OfMessageBody and MD5OfBody: the twin computes them as SQS does.
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: '{"a":1}',
        MessageAttributes: { RULE_ARN: { DataType: 'String', StringValue: 'arn:rule' } },
      }),
    );
    for (let i = 0; i < 2; i++) {
      const peek = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          VisibilityTimeout: 0,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      expect(peek.Messages?.map((m) => m.Body)).toEqual(['{"a":1}']);
      expect(peek.Messages?.[0]?.MessageAttributes?.RULE_ARN?.StringValue).toBe('arn:rule');
      expect(peek.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe(String(i + 1));
    }
    expect(await counts(url)).toEqual({ visible: 1, inFlight: 0 });
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 30 }));
    expect(got.Messages).toHaveLength(1);
    expect(await counts(url)).toEqual({ visible: 0, inFlight: 1 });
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
    await twin.run(31_000);
    expect(await counts(url)).toEqual({ visible: 1, inFlight: 0 });
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    expect(attrs.Attributes?.KmsMasterKeyId).toBe('alias/control-plane');
    expect(attrs.Attributes?.MessageRetentionPeriod).toBe('345600');
  });

  it('deletes only under the latest receipt handle, and refuses handles it never issued', async () => {
    const url = await create();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }));
    const second = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 10 }));
    const stale = first.Messages?.[0]?.ReceiptHandle as string;
    const latest = second.Messages?.[0]?.ReceiptHandle as string;
    expect(stale).not.toBe(latest);
    // "the request succeeds, but the message might not be deleted"
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: stale }));
    expect(twin.world.region(REGION).sqs.messages(url)).toHaveLength(1);
    await expect(
      sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'made-up' })),
    ).rejects.toMatchObject({ name: 'ReceiptHandleIsInvalid' });
    await sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: latest, VisibilityTimeout: 0 }),
    );
    await expect(
      sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: latest, VisibilityTimeout: 5 }),
      ),
    ).rejects.toMatchObject({ name: 'MessageNotInflight' });
    const third = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    await sqs.send(
      new DeleteMessageCommand({
        QueueUrl: url,
        ReceiptHandle: third.Messages?.[0]?.ReceiptHandle as string,
      }),
    );
    expect(twin.world.region(REGION).sqs.messages(url)).toHaveLength(0);
  });

  it('rejects bad input and changes nothing', async () => {
    const url = await create();
    await expect(
      sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(
      sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 43_201 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: `${url}-nope`, MessageBody: 'x' })),
    ).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(256 * 1024 + 1) })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(
      sqs.send(new CreateQueueCommand({ QueueName: 'q', Attributes: { MessageRetentionPeriod: '59' } })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    expect(twin.world.region(REGION).sqs.messages(url)).toHaveLength(0);
    expect(twin.world.region(REGION).sqs.queueUrl('q')).toBeUndefined();
  });

  it('deletes messages past the retention period', async () => {
    const url = await create({ MessageRetentionPeriod: '60' });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'old' }));
    await twin.run(30_000);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'new' }));
    await twin.run(31_000);
    expect(
      twin.world
        .region(REGION)
        .sqs.messages(url)
        .map((m) => m.body),
    ).toEqual(['new']);
  });

  it('publishes AWS/SQS ApproximateNumberOfMessagesVisible each minute while the queue is active', async () => {
    const url = await create();
    twin.world.region(REGION).sqs.send(url, 'dead letter');
    const cw = twin.world.region(REGION).cloudwatch;
    cw.putAlarm({
      name: 'depth',
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: 'art-dead-letters' },
      statistic: 'Maximum',
      periodSeconds: 300,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
    });
    await twin.run(11 * MINUTE);
    expect(cw.alarmState('depth')).toBe('ALARM');
    // No API call for six hours: the queue goes inactive and its metrics stop (missing: notBreaching, OK).
    await twin.run(6 * 60 * MINUTE + 10 * MINUTE);
    expect(cw.alarmState('depth')).toBe('OK');
  });
});
