import { DescribeExecutionCommand, ExecutionDoesNotExist } from '@aws-sdk/client-sfn';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { routingLeaseKey } from '../../../functions/core/keys';
import { ROUTING_LEASE_EXPIRED_METRIC } from '../../../functions/routing/lease';
import { at, EU, exec, routingFixture, tableOf, US, VOTERS, WITNESS } from './routing-fixture';

const f = routingFixture();
const A = exec('a');
const B = exec('b', US);

const leaseIn = async (region: string) =>
  (await f.table(region).send(new GetCommand({ TableName: tableOf(region), Key: routingLeaseKey('prod') })))
    .Item;
const seed = (region: string, item: Record<string, unknown>) =>
  f
    .table(region)
    .send(new PutCommand({ TableName: tableOf(region), Item: { ...routingLeaseKey('prod'), ...item } }));

describe('routing lease: acquire', () => {
  it('takes epoch 1 in every voter when the tables are empty', async () => {
    const out = await f.call({ op: 'acquire', owner: A, ttlSeconds: 3600 });
    expect(out).toEqual({ epoch: 1, votes: [...VOTERS], quorum: 2 });
    for (const v of VOTERS) expect(await leaseIn(v)).toMatchObject({ holder: A, epoch: 1 });
  });

  it('takes 1 + the highest epoch any reachable voter holds, and keeps it when retried', async () => {
    await seed(WITNESS, { epoch: 7 });
    await seed(EU, { epoch: 3 });
    const first = await f.call({ op: 'acquire', owner: A, ttlSeconds: 3600 });
    expect(first.epoch).toBe(8);
    const again = await f.call({ op: 'acquire', owner: A, ttlSeconds: 3600 });
    expect(again.epoch).toBe(8);
  });

  it('holds with a majority while one voter (the sick region) is unreachable', async () => {
    f.down.add(EU);
    const out = await f.call({ op: 'acquire', owner: B, ttlSeconds: 3600 });
    expect(out.votes).toEqual([US, WITNESS]);
    f.down.clear();
    expect(await leaseIn(EU)).toBeUndefined();
  });

  it('fails NoQuorum without writing when only a minority answers', async () => {
    f.down.add(EU);
    f.down.add(WITNESS);
    await expect(f.call({ op: 'acquire', owner: B, ttlSeconds: 3600 })).rejects.toMatchObject({
      name: 'NoQuorum',
    });
    expect(await leaseIn(US)).toBeUndefined();
  });

  it('is busy while a running execution holds it, even expired (and says so in a metric)', async () => {
    for (const v of VOTERS) await seed(v, { holder: B, epoch: 4, expiresAt: f.clock.now + 60_000 });
    at(f.mocks.sfn, US).on(DescribeExecutionCommand, { executionArn: B }).resolves({ status: 'RUNNING' });
    await expect(f.call({ op: 'acquire', owner: A, ttlSeconds: 3600 })).rejects.toMatchObject({
      name: 'RoutingLeaseBusy',
      holder: B,
    });
    expect(f.metricsSeen).toEqual([]);
    f.clock.now += 120_000;
    await expect(f.call({ op: 'acquire', owner: A, ttlSeconds: 3600 })).rejects.toMatchObject({
      name: 'RoutingLeaseBusy',
    });
    expect(f.metricsSeen).toEqual([ROUTING_LEASE_EXPIRED_METRIC]);
    expect(await leaseIn(EU)).toMatchObject({ holder: B, epoch: 4 });
  });

  it("counts a holder whose region cannot be asked as running (asks the holder's own region)", async () => {
    for (const v of VOTERS) await seed(v, { holder: B, epoch: 4, expiresAt: 0 });
    f.down.add(US);
    await expect(f.call({ op: 'acquire', owner: A, ttlSeconds: 3600 })).rejects.toMatchObject({
      name: 'RoutingLeaseBusy',
    });
    expect(at(f.mocks.sfn, EU).calls()).toHaveLength(0);
  });

  it('takes over from an ended holder with a higher epoch', async () => {
    for (const v of VOTERS) await seed(v, { holder: B, epoch: 4, expiresAt: f.clock.now + 60_000 });
    at(f.mocks.sfn, US)
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'gone', $metadata: {} }));
    const out = await f.call({ op: 'acquire', owner: A, ttlSeconds: 3600 });
    expect(
      at(f.mocks.sfn, US)
        .calls()
        .map((c) => c.args[0].input),
    ).toEqual([{ executionArn: B }]);
    expect(out.epoch).toBe(5);
    expect(await leaseIn(WITNESS)).toMatchObject({ holder: A, epoch: 5 });
  });

  it('never lets two concurrent acquirers both hold it; a minority winner gives back what it won', async () => {
    at(f.mocks.sfn, EU).on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    at(f.mocks.sfn, US).on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    for (let round = 0; round < 8; round++) {
      const results = await Promise.allSettled([
        f.call({ op: 'acquire', owner: A, ttlSeconds: 3600 }),
        f.call({ op: 'acquire', owner: B, ttlSeconds: 3600 }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won.length).toBeLessThanOrEqual(1);
      for (const r of results)
        if (r.status === 'rejected')
          expect(['NoQuorum', 'RoutingLeaseBusy']).toContain((r.reason as Error).name);
      const holders = await Promise.all(VOTERS.map(async (v) => (await leaseIn(v))?.holder));
      for (const owner of [A, B]) {
        const count = holders.filter((h) => h === owner).length;
        const held = won.some(
          (r) => r.status === 'fulfilled' && results.indexOf(r) === (owner === A ? 0 : 1),
        );
        // A winner holds a majority; a loser holds nothing (it gave back a minority).
        expect(count >= 2).toBe(held);
        if (!held) expect(count).toBe(0);
      }
      for (const owner of [A, B]) {
        const epoch = Math.max(
          ...(await Promise.all(VOTERS.map(async (v) => (await leaseIn(v))?.epoch ?? 0))),
        );
        await f.call({ op: 'release', owner, epoch });
      }
    }
  });
});

describe('routing lease: extend and release', () => {
  it('extends in a majority, and fails Fenced once a newer epoch holds it', async () => {
    const { epoch } = await f.call({ op: 'acquire', owner: A, ttlSeconds: 3600 });
    f.clock.now += 1000;
    const out = await f.call({ op: 'extend', owner: A, epoch, ttlSeconds: 7200 });
    expect(out.votes).toEqual([...VOTERS]);
    expect(await leaseIn(US)).toMatchObject({ expiresAt: f.clock.now + 7_200_000 });
    for (const v of [EU, US]) await seed(v, { holder: B, epoch: epoch + 1, expiresAt: f.clock.now + 1 });
    await expect(f.call({ op: 'extend', owner: A, epoch, ttlSeconds: 3600 })).rejects.toMatchObject({
      name: 'Fenced',
    });
  });

  it('fails NoQuorum (not Fenced) when too few voters answer an extend', async () => {
    const { epoch } = await f.call({ op: 'acquire', owner: A, ttlSeconds: 3600 });
    f.down.add(US);
    f.down.add(WITNESS);
    await expect(f.call({ op: 'extend', owner: A, epoch, ttlSeconds: 3600 })).rejects.toMatchObject({
      name: 'NoQuorum',
    });
  });

  it('releases where it is ours, keeps the epoch, and never fails for an unreachable table', async () => {
    const { epoch } = await f.call({ op: 'acquire', owner: A, ttlSeconds: 3600 });
    f.down.add(EU);
    expect(await f.call({ op: 'release', owner: A, epoch })).toEqual({ released: [US, WITNESS] });
    f.down.clear();
    const us = await leaseIn(US);
    expect(us?.holder).toBeUndefined();
    expect(us?.epoch).toBe(epoch);
    // The next acquirer's epoch is higher, never a repeat (EU still names A, whose run has ended).
    at(f.mocks.sfn, EU).on(DescribeExecutionCommand, { executionArn: A }).resolves({ status: 'SUCCEEDED' });
    expect((await f.call({ op: 'acquire', owner: B, ttlSeconds: 3600 })).epoch).toBe(epoch + 1);
  });

  it('does not release a lease that is not ours', async () => {
    await f.call({ op: 'acquire', owner: B, ttlSeconds: 3600 });
    expect(await f.call({ op: 'release', owner: A, epoch: 1 })).toEqual({ released: [] });
    expect(await leaseIn(EU)).toMatchObject({ holder: B });
  });
});
