/** The operations Lambda's `audit` op (issue 15 §6): one Query over the cluster's trail, paged, normalised. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { auditKey } from '../../../functions/core/keys';
import { handler } from '../../../functions/operations/handler';
import { resetClients, setClientsForTest } from '../../../functions/shared/clients/base';
import { ENV } from '../../../functions/shared/env';
import { ValidationError } from '../../../functions/shared/errors';

const doc = mockClient(DynamoDBDocumentClient);
const context = { functionName: 'operations', awsRequestId: 'req-1' } as unknown as Context;
const saved = { ...process.env };
const entry = (at: string, n: number) => ({
  ...auditKey('prod', at, `ev-${n}`),
  trigger: 'alarm',
  workflow: 'primary-failover',
  outcome: 'started',
  executionName: `pf-${n}`,
});
const queries = () => doc.commandCalls(QueryCommand).map((c) => c.args[0].input);

beforeEach(() => {
  doc.reset();
  doc.onAnyCommand().rejects(new Error('unexpected command'));
  resetClients();
  setClientsForTest({ dynamoDoc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })) });
  Object.assign(process.env, { [ENV.clusterName]: 'prod', [ENV.stateTable]: 'prod-state' });
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

afterEach(() => {
  jest.restoreAllMocks();
  process.env = { ...saved };
});

afterAll(() => resetClients());

describe('audit', () => {
  it('queries the window oldest first, follows pages, and returns normalised entries', async () => {
    doc
      .on(QueryCommand)
      .resolvesOnce({ Items: [entry('2026-03-10T10:00:00.000Z', 1)], LastEvaluatedKey: { pk: 'x', sk: 'y' } })
      .resolvesOnce({ Items: [entry('2026-03-10T11:00:00.000Z', 2)] });

    const out = await handler(
      { op: 'audit', since: '2026-03-10T00:00:00Z', until: '2026-03-10T12:00:00Z', limit: 10 },
      context,
    );

    expect(queries()[0]).toEqual({
      TableName: 'prod-state',
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': 'CLUSTER#prod',
        ':from': 'AUDIT#2026-03-10T00:00:00.000Z',
        ':to': 'AUDIT#2026-03-10T12:00:00.000Z~',
      },
      ScanIndexForward: true,
      Limit: 10,
    });
    expect(queries()[1]).toMatchObject({ ExclusiveStartKey: { pk: 'x', sk: 'y' }, Limit: 9 });
    expect(out).toEqual({
      since: '2026-03-10T00:00:00.000Z',
      until: '2026-03-10T12:00:00.000Z',
      count: 2,
      entries: [
        {
          at: '2026-03-10T10:00:00.000Z',
          id: 'ev-1',
          kind: 'alarm',
          workflow: 'primary-failover',
          execution: 'pf-1',
          outcome: 'started',
        },
        {
          at: '2026-03-10T11:00:00.000Z',
          id: 'ev-2',
          kind: 'alarm',
          workflow: 'primary-failover',
          execution: 'pf-2',
          outcome: 'started',
        },
      ],
    });
  });

  it('stops at the limit and says where to go on', async () => {
    doc
      .on(QueryCommand)
      .resolves({ Items: [entry('2026-03-10T10:00:00.000Z', 1)], LastEvaluatedKey: { pk: 'x', sk: 'y' } });

    await expect(handler({ op: 'audit', limit: 1 }, context)).resolves.toMatchObject({
      count: 1,
      more: true,
      nextSince: '2026-03-10T10:00:00.000Z',
    });
    expect(doc).toHaveReceivedCommandTimes(QueryCommand, 1);
  });

  it('defaults to the last 24 hours', async () => {
    doc.on(QueryCommand).resolves({ Items: [] });
    const out = (await handler({ op: 'audit' }, context)) as { since: string; until: string };
    expect(Date.parse(out.until) - Date.parse(out.since)).toBe(86_400_000);
    expect(Math.abs(Date.parse(out.until) - Date.now())).toBeLessThan(60_000);
  });

  it.each([
    [
      'a reversed window',
      { op: 'audit', since: '2026-03-10T12:00:00Z', until: '2026-03-10T00:00:00Z' },
      'since',
    ],
    ['a time that is not ISO', { op: 'audit', since: 'yesterday' }, 'since'],
    ['a limit out of range', { op: 'audit', limit: 0 }, 'limit'],
  ])('refuses %s, touching nothing', async (_what, request, field) => {
    const err: unknown = await handler(request, context).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toContain(field);
    expect(doc.calls()).toHaveLength(0);
  });
});
