import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { lockKey } from '../../../functions/core/keys';
import { lease } from '../../../functions/lease/handler';
import { ENV } from '../../../functions/shared/env';
import type { HandlerContext } from '../../../functions/shared/handler';

/** The lease handler against strict SDK mocks: the failure paths a real table does not produce on demand. */
const TABLE = 'lease-mutants';
const ME = 'arn:aws:states:eu-west-1:111122223333:execution:primary-failover:me';
const HOLDER = 'arn:aws:states:eu-west-1:111122223333:execution:primary-failover:holder';
const NOW = 1_000_000;

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const sfn = new SFNClient({ region: 'eu-west-1' });
const docMock = mockClient(doc);
const sfnMock = mockClient(sfn);
const logged: { level: string; message: string; data: unknown }[] = [];
const logger = {
  info: (message: string, data: unknown) => logged.push({ level: 'info', message, data }),
  warn: (message: string, data: unknown) => logged.push({ level: 'warn', message, data }),
  error: (message: string, data: unknown) => logged.push({ level: 'error', message, data }),
};
const counted: string[] = [];
const ctx = {
  clients: { dynamoDoc: () => doc, sfn: () => sfn } as unknown as HandlerContext['clients'],
  logger: logger as unknown as HandlerContext['logger'],
  metrics: { addMetric: (name: string) => counted.push(name) } as unknown as HandlerContext['metrics'],
};
const named = (name: string, message = name) => Object.assign(new Error(message), { name });
const conditionFailed = () => named('ConditionalCheckFailedException', 'The conditional request failed');
const request = (op: 'acquire' | 'release') =>
  op === 'acquire'
    ? ({ op, cluster: 'prod', name: 'cluster', owner: ME, ttlSeconds: 900 } as const)
    : ({ op, cluster: 'prod', name: 'cluster', owner: ME } as const);

beforeAll(() => {
  process.env[ENV.stateTable] = TABLE;
});
beforeEach(() => {
  logged.length = 0;
  counted.length = 0;
  docMock.reset();
  sfnMock.reset();
  docMock.onAnyCommand().rejects(new Error('unexpected command'));
  sfnMock.onAnyCommand().rejects(new Error('unexpected command'));
});

describe('lease: what it logs', () => {
  it('logs an acquire, a release and a busy lease with its holder', async () => {
    docMock.on(UpdateCommand).resolves({});
    docMock.on(DeleteCommand).resolves({});
    await lease(request('acquire'), ctx, NOW);
    await lease(request('release'), ctx, NOW);
    docMock.on(UpdateCommand).rejects(conditionFailed());
    docMock
      .on(GetCommand)
      .resolves({ Item: { ...lockKey('prod', 'cluster'), owner: HOLDER, expiresAt: NOW + 5 } });
    sfnMock.on(DescribeExecutionCommand, { executionArn: HOLDER }).resolves({ status: 'RUNNING' });
    await lease(request('acquire'), ctx, NOW);
    expect(logged).toEqual([
      { level: 'info', message: 'lease acquired', data: { lease: 'cluster', owner: ME } },
      { level: 'info', message: 'lease released', data: { lease: 'cluster', owner: ME } },
      {
        level: 'info',
        message: 'lease busy',
        data: { lease: 'cluster', holder: HOLDER, expiresAt: NOW + 5 },
      },
    ]);
  });

  it('reads the holder consistently from the lease’s own item', async () => {
    docMock.on(UpdateCommand).rejects(conditionFailed());
    docMock.on(GetCommand).resolves({});
    await expect(lease(request('acquire'), ctx, NOW)).resolves.toEqual({
      acquired: false,
      holder: undefined,
      expiresAt: undefined,
      checkedAt: new Date(NOW).toISOString(),
    });
    expect(docMock).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE,
      Key: lockKey('prod', 'cluster'),
      ConsistentRead: true,
    });
  });

  it('logs a takeover as a warning naming the previous holder and its status', async () => {
    docMock.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});
    docMock.on(GetCommand).resolves({ Item: { owner: HOLDER, expiresAt: NOW + 5 } });
    sfnMock.on(DescribeExecutionCommand, { executionArn: HOLDER }).resolves({ status: 'FAILED' });
    await expect(lease(request('acquire'), ctx, NOW)).resolves.toMatchObject({ tookOverFrom: HOLDER });
    expect(logged).toEqual([
      {
        level: 'warn',
        message: 'lease taken over from an ended execution',
        data: { lease: 'cluster', previous: HOLDER, previousStatus: 'FAILED' },
      },
    ]);
  });
});

describe('lease: errors that are not a failed condition fail the call (the workflow retries it)', () => {
  it.each(['acquire', 'release'] as const)('%s', async (op) => {
    const throttled = named('ProvisionedThroughputExceededException');
    docMock.on(UpdateCommand).rejects(throttled);
    docMock.on(DeleteCommand).rejects(throttled);
    await expect(lease(request(op), ctx, NOW)).rejects.toBe(throttled);
  });

  it('a failed takeover write', async () => {
    const throttled = named('ThrottlingException');
    docMock.on(UpdateCommand).rejectsOnce(conditionFailed()).rejects(throttled);
    docMock.on(GetCommand).resolves({ Item: { owner: HOLDER, expiresAt: NOW + 5 } });
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });
    await expect(lease(request('acquire'), ctx, NOW)).rejects.toBe(throttled);
  });

  it('a Step Functions error other than a missing execution', async () => {
    const denied = named('AccessDeniedException');
    docMock.on(UpdateCommand).rejects(conditionFailed());
    docMock.on(GetCommand).resolves({ Item: { owner: HOLDER, expiresAt: NOW + 5 } });
    sfnMock.on(DescribeExecutionCommand).rejects(denied);
    await expect(lease(request('acquire'), ctx, NOW)).rejects.toBe(denied);
  });

  it('release answers false on a failed condition', async () => {
    docMock.on(DeleteCommand).rejects(conditionFailed());
    await expect(lease(request('release'), ctx, NOW)).resolves.toEqual({ released: false });
  });
});

describe('lease: an expired lease under a running holder', () => {
  it('is not taken: logged as an error and counted', async () => {
    docMock.on(UpdateCommand).rejects(conditionFailed());
    docMock.on(GetCommand).resolves({ Item: { owner: HOLDER, expiresAt: NOW - 1 } });
    sfnMock.on(DescribeExecutionCommand, { executionArn: HOLDER }).resolves({ status: 'RUNNING' });
    await expect(lease(request('acquire'), ctx, NOW)).resolves.toEqual({
      acquired: false,
      holder: HOLDER,
      expiresAt: NOW - 1,
      checkedAt: new Date(NOW).toISOString(),
    });
    expect(docMock).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(counted).toEqual(['LeaseExpiredUnderRunningHolder']);
    expect(logged).toEqual([
      {
        level: 'error',
        message: 'lease expired under a running holder: not taken over',
        data: { lease: 'cluster', holder: HOLDER, expiresAt: NOW - 1, requester: ME },
      },
    ]);
  });
});

describe('lease: a holder that is no execution ARN (an item written by hand)', () => {
  it('is not asked about: it holds until its expiry, then is taken over', async () => {
    docMock.on(UpdateCommand).rejects(conditionFailed());
    docMock.on(GetCommand).resolves({ Item: { owner: 'someone', expiresAt: NOW + 5 } });
    await expect(lease(request('acquire'), ctx, NOW)).resolves.toEqual({
      acquired: false,
      holder: 'someone',
      expiresAt: NOW + 5,
      checkedAt: new Date(NOW).toISOString(),
    });
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 0);
    docMock.reset();
    docMock.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});
    docMock.on(GetCommand).resolves({ Item: { owner: 'someone', expiresAt: NOW + 5 } });
    await expect(lease(request('acquire'), ctx, NOW + 6)).resolves.toMatchObject({
      acquired: true,
      tookOverFrom: 'someone',
    });
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 0);
  });
});
