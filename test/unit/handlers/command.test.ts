import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetCommandInvocationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler, LATE_COMPLETION_METRIC } from '../../../functions/command/handler';
import { resetClients, setClientsForTest } from '../../../functions/shared/clients/base';
import { ENV } from '../../../functions/shared/env';
import { TransientError, ValidationError } from '../../../functions/shared/errors';
import { loadEventFixture, mutate } from '../shared/fixtures';

const CLUSTER = 'artifactory-prod';
const COMMAND = 'e8d3c0e4-71f7-4491-898f-c9b35bee5f3b';
const INSTANCE = 'i-0123456789abcdef0';
const TOKEN = 'AQCtoken-of-the-wait';
const KEY = { pk: `CLUSTER#${CLUSTER}`, sk: `COMMAND#${COMMAND}#${INSTANCE}` };

const context = {
  functionName: 'command',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

const doc = mockClient(DynamoDBDocumentClient);
const ssm = mockClient(SSMClient);
const sfn = mockClient(SFNClient);
const mocks = [doc, ssm, sfn] as unknown as {
  reset(): void;
  restore(): void;
  calls(): unknown[];
  onAnyCommand(): { rejects(e: Error): void };
}[];
const anyCalls = () => mocks.reduce((n, m) => n + m.calls().length, 0);

const wait = { taskToken: TOKEN, commandId: COMMAND, instanceId: INSTANCE };
const statusEvent = (status: string, document = `${CLUSTER}-StopArtifactory`) =>
  mutate(
    mutate(
      mutate(
        mutate(loadEventFixture('ssm-command-invocation-status-change.json'), ['detail', 'status'], status),
        ['detail', 'document-name'],
        document,
      ),
      ['detail', 'instance-id'],
      INSTANCE,
    ),
    ['detail', 'command-id'],
    COMMAND,
  );
const invocation = (Status: string, StandardOutputContent = '', StatusDetails = Status) =>
  ssm.on(GetCommandInvocationCommand).resolves({ Status, StatusDetails, StandardOutputContent } as never);
const item = (attributes: Record<string, unknown>) =>
  doc.on(UpdateCommand).resolves({ Attributes: { ...KEY, ...attributes } });
const named = (name: string) => Object.assign(new Error(name), { name });

const savedEnv = { ...process.env };
beforeEach(() => {
  for (const m of mocks) {
    m.reset();
    m.onAnyCommand().rejects(new Error('unexpected command'));
  }
  resetClients();
  setClientsForTest({
    dynamoDoc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
    ssm: new SSMClient({ region: 'eu-west-1' }),
    sfn: new SFNClient({ region: 'eu-west-1' }),
  });
  Object.assign(process.env, { [ENV.clusterName]: CLUSTER, [ENV.stateTable]: 'state' });
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => {
  jest.restoreAllMocks();
  process.env = { ...savedEnv };
});
afterAll(() => {
  for (const m of mocks) m.restore();
  resetClients();
});

describe("node-command's wait (task token)", () => {
  it('registers the token and, the command still running, leaves the task to the event', async () => {
    item({ token: TOKEN });
    invocation('InProgress');
    await expect(handler(wait, context)).resolves.toEqual({ registered: true, completed: false });
    expect(doc).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'state',
      Key: KEY,
      UpdateExpression: 'SET #token = :token, #ttl = :ttl',
      ExpressionAttributeValues: expect.objectContaining({ ':token': TOKEN }),
      ReturnValues: 'ALL_NEW',
    });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('takes an invocation not visible yet for one still running', async () => {
    item({ token: TOKEN });
    ssm.on(GetCommandInvocationCommand).rejects(named('InvocationDoesNotExist'));
    await expect(handler(wait, context)).resolves.toEqual({ registered: true, completed: false });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('completes the task itself when the command has already succeeded (its event lost or not yet come)', async () => {
    item({ token: TOKEN });
    invocation('Success', '{"ready":true}');
    sfn.on(SendTaskSuccessCommand).resolves({});
    await expect(handler(wait, context)).resolves.toEqual({
      registered: true,
      completed: true,
      from: 'invocation',
    });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: TOKEN,
      output: JSON.stringify({ status: 'Success', stdout: '{"ready":true}' }),
    });
  });

  it('fails the task as CommandFailed when the command has ended otherwise', async () => {
    item({ token: TOKEN });
    invocation('TimedOut', 'partial output', 'DeliveryTimedOut');
    sfn.on(SendTaskFailureCommand).resolves({});
    await handler(wait, context);
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: TOKEN,
      error: 'CommandFailed',
      cause: 'the SSM command ended TimedOut (DeliveryTimedOut) on the node',
    });
  });

  it('completes at once from a status the event recorded before the wait registered', async () => {
    item({ token: TOKEN, status: 'Success' });
    invocation('Success', 'out');
    sfn.on(SendTaskSuccessCommand).resolves({});
    await expect(handler(wait, context)).resolves.toEqual({
      registered: true,
      completed: true,
      from: 'event',
    });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: TOKEN,
      output: JSON.stringify({ status: 'Success', stdout: 'out' }),
    });
  });

  it.each([
    ['a missing token', { commandId: COMMAND, instanceId: INSTANCE }, 'taskToken'],
    ['a command id that is not one', { ...wait, commandId: 'abc' }, 'commandId'],
    ['an instance id that is not one', { ...wait, instanceId: 'node-1' }, 'instanceId'],
    ['an unknown field', { ...wait, extra: 1 }, ''],
  ])('refuses %s, naming it, and changes nothing', async (_label, input, field) => {
    const err = await handler(input, context).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toContain(field);
    expect(anyCalls()).toBe(0);
  });

  it('turns a throttled table into a TransientError the workflow retries', async () => {
    doc.on(UpdateCommand).rejects(
      Object.assign(new Error('slow down'), {
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: {},
      }),
    );
    const err = await handler(wait, context).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
  });
});

describe("SSM's status event", () => {
  it('records a terminal status and completes the registered token with the output', async () => {
    item({ token: TOKEN, status: 'Success' });
    invocation('Success', 'stopped');
    sfn.on(SendTaskSuccessCommand).resolves({});
    await expect(handler(statusEvent('Success'), context)).resolves.toEqual({
      recorded: true,
      completed: true,
    });
    expect(doc).toHaveReceivedCommandWith(UpdateCommand, {
      Key: KEY,
      UpdateExpression: 'SET #status = :status, #ttl = :ttl',
      ExpressionAttributeValues: expect.objectContaining({ ':status': 'Success' }),
    });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: TOKEN,
      output: JSON.stringify({ status: 'Success', stdout: 'stopped' }),
    });
  });

  it('only records the status when no wait has registered yet', async () => {
    item({ status: 'Failed' });
    await expect(handler(statusEvent('Failed'), context)).resolves.toEqual({
      recorded: true,
      completed: false,
    });
    expect(sfn.calls()).toHaveLength(0);
    expect(ssm.calls()).toHaveLength(0);
  });

  it('ignores a status on the way (nothing written)', async () => {
    await expect(handler(statusEvent('InProgress'), context)).resolves.toEqual({
      recorded: false,
      status: 'InProgress',
    });
    expect(anyCalls()).toBe(0);
  });

  it.each(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'])(
    'takes %s for a task already closed: logged and counted, not an error',
    async (error) => {
      item({ token: TOKEN, status: 'Failed' });
      invocation('Failed', '', 'Failed');
      sfn.on(SendTaskFailureCommand).rejects(named(error));
      await expect(handler(statusEvent('Failed'), context)).resolves.toEqual({
        recorded: true,
        completed: false,
      });
      const out = (process.stdout.write as jest.Mock).mock.calls.map((c) => String(c[0])).join('');
      expect(out).toContain(LATE_COMPLETION_METRIC);
    },
  );

  it('never completes without the output: an invocation not visible yet is a TransientError (retried)', async () => {
    item({ token: TOKEN, status: 'Success' });
    ssm.on(GetCommandInvocationCommand).rejects(named('InvocationDoesNotExist'));
    await expect(handler(statusEvent('Success'), context)).rejects.toBeInstanceOf(TransientError);
    await expect(handler(wait, context)).rejects.toBeInstanceOf(TransientError);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('lets any other Step Functions error fail the invocation (EventBridge retries it)', async () => {
    item({ token: TOKEN, status: 'Success' });
    invocation('Success');
    sfn.on(SendTaskSuccessCommand).rejects(named('InvalidOutput'));
    await expect(handler(statusEvent('Success'), context)).rejects.toThrow('InvalidOutput');
  });

  it("refuses another document's event, naming the field, and changes nothing", async () => {
    const err = await handler(statusEvent('Success', 'AWS-RunShellScript'), context).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual(['detail.document-name']);
    expect(anyCalls()).toBe(0);
  });

  it('refuses a malformed event naming the field, and changes nothing', async () => {
    const err = await handler(
      mutate(statusEvent('Success'), ['detail', 'instance-id'], 'not-an-instance'),
      context,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(anyCalls()).toBe(0);
  });
});
