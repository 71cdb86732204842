/**
 * regional-failover refuses bad input with a clear error naming the field and changes nothing (no lease, no
 * switch written, no flip, no notification), before anything is read from the routing tables.
 */
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Twin } from '../../sim/twin';

jest.setTimeout(120_000);

describe('regional-failover input validation on the twin', () => {
  let twin: Twin;
  beforeAll(async () => {
    twin = await Twin.start({ seed: 7 });
    await twin.run(2 * 60_000);
  });
  afterAll(async () => {
    await twin?.stop();
  });

  it.each([
    [
      'an unknown region',
      { action: 'evacuate', region: 'ap-south-9', reason: 'x', trigger: 'manual' },
      /ap-south-9|region/,
    ],
    [
      'force on an automatic run',
      { action: 'evacuate', region: 'eu-west-1', reason: 'x', trigger: 'automatic', force: true },
      /force/,
    ],
    ['no reason', { action: 'evacuate', region: 'eu-west-1', trigger: 'manual' }, /reason/],
    ['an unknown action', { action: 'drain', region: 'eu-west-1', reason: 'x', trigger: 'manual' }, /action/],
  ])('%s: fails ValidationError naming the field, changing nothing', async (_label, input, field) => {
    const [a, b] = twin.world.regionNames as [string, string];
    const sfn = twin.sfnIn(b);
    const arn = twin.controlPlane.get(b)?.regionalFailoverArn as string;
    const published = twin.world.regionNames.map((r) => twin.world.region(r).sns.messages.length);
    const name = `bad-${Object.values(input)
      .join('-')
      .replace(/[^A-Za-z0-9_-]/g, '')}`.slice(0, 80);
    const { executionArn } = sfn.startExecution({ stateMachineArn: arn, name, input: JSON.stringify(input) });
    await twin.runUntil(
      () => twin.world.executions.find((e) => e.executionArn === executionArn)?.status !== 'RUNNING',
      5 * 60_000,
      name,
    );
    const run = twin.world.executions.find((e) => e.executionArn === executionArn);
    expect(run?.status).toBe('FAILED');
    expect(run?.error).toBe('ValidationError');
    // The execution's own cause is the plan's message, naming the field.
    expect(run?.cause ?? '').toMatch(field);
    // No child ran, nothing was published, no lease or switch record exists in any routing table.
    expect(run?.children ?? []).toEqual([]);
    expect(twin.world.regionNames.map((r) => twin.world.region(r).sns.messages.length)).toEqual(published);
    const doc = DynamoDBDocumentClient.from(twin.dynamo.client(a));
    for (const table of Object.values(twin.layout.routingTables)) {
      const items = (await doc.send(new ScanCommand({ TableName: table }))).Items ?? [];
      expect(items.filter((i) => /^(LEASE|SWITCH#|GATE#)/.test(String(i.sk)))).toEqual([]);
    }
  });
});
