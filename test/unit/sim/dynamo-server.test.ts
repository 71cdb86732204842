/**
 * The twin's DynamoDB server across twins of one process: a stopped DynamoSim leaves dynalite empty for the
 * next one, which then sees what a new server shows (no table, no item), and a server that went away is
 * replaced.
 */
import { ListTablesCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { VirtualClock } from '../../../sim/core/clock';
import { DynamoSim } from '../../../sim/runner/dynamo';

jest.setTimeout(30_000);

async function withTable(sim: DynamoSim): Promise<void> {
  await sim.createTable('eu-west-1', 'c-state-eu-west-1', { sortKey: 'sk' });
  await sim.createTable('us-east-1', 'c-routing-us-east-1', { sortKey: 'sk' });
  await sim
    .client('eu-west-1')
    .send(new PutItemCommand({ TableName: 'c-state-eu-west-1', Item: { pk: { S: 'p' }, sk: { S: 's' } } }));
}

describe('DynamoSim between twins', () => {
  it('hands the next twin an empty server: no table, and a table made again holds no old item', async () => {
    const first = new DynamoSim(new VirtualClock());
    await first.start();
    await withTable(first);
    const endpoint = first.endpoint;
    await first.stop();

    const second = new DynamoSim(new VirtualClock());
    await second.start();
    try {
      expect(second.endpoint).toBe(endpoint);
      expect((await second.client('us-east-1').send(new ListTablesCommand({}))).TableNames).toEqual([]);
      await second.createTable('eu-west-1', 'c-state-eu-west-1', { sortKey: 'sk' });
      const scan = await second.client('eu-west-1').send(new ScanCommand({ TableName: 'c-state-eu-west-1' }));
      expect(scan.Items).toEqual([]);
    } finally {
      await second.stop();
    }
  });

  it('stops an idle server after a while; the next twin then gets a new one', async () => {
    const first = new DynamoSim(new VirtualClock());
    await first.start();
    const endpoint = first.endpoint;
    await first.stop();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const second = new DynamoSim(new VirtualClock());
    await second.start();
    try {
      expect(second.endpoint).not.toBe(endpoint);
      await withTable(second);
    } finally {
      await second.stop();
    }
  });
});
