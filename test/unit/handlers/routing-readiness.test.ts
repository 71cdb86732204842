import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { nodeKey, readinessKey } from '../../../functions/core/keys';
import {
  at,
  EU,
  routingFixture,
  STATE_TABLE,
  settings,
  tableOf,
  US,
  VOTERS,
  WITNESS,
} from './routing-fixture';

const f = routingFixture();
const DAY = 86_400_000;

const node = (id: string, daysLeft: number) =>
  f.table(EU).send(
    new PutCommand({
      TableName: STATE_TABLE,
      Item: {
        ...nodeKey('prod', id),
        cert: { notAfter: new Date(f.clock.now + daysLeft * DAY).toISOString() },
      },
    }),
  );
const recordIn = async (region: string) =>
  (await f.table(region).send(new GetCommand({ TableName: tableOf(region), Key: readinessKey('prod', EU) })))
    .Item;
const published = () =>
  at(f.mocks.cw, EU)
    .commandCalls(PutMetricDataCommand)
    .map((c) => c.args[0].input.MetricData?.[0]?.Value);
const line = (repo: string, minutesAgo: number, status = 'ok') =>
  JSON.stringify({ repo, status, lastCompleted: new Date(f.clock.now - minutesAgo * 60_000).toISOString() });
const withRepos = (repos: string[], over = {}) =>
  f.configure({ readiness: { ...settings().readiness, replicationRepos: repos }, ...over });

describe('readiness-target', () => {
  it('skips when no repository is configured', async () => {
    expect(await f.call({ op: 'readiness-target', region: EU })).toEqual({
      skip: true,
      reason: expect.stringContaining('no repositories'),
    });
  });

  it('names the healthy primary (legacy), or skips without one', async () => {
    withRepos(['libs']);
    f.stage({ healthy: { [EU]: ['i-b', 'i-a'] }, primary: { [EU]: ['i-b'] } });
    expect(await f.call({ op: 'readiness-target', region: EU })).toEqual({
      instanceId: 'i-b',
      skip: false,
      reason: 'the primary node',
      parameters: { RepoKeys: ['libs'], TokenSecretId: ['prod/replication-token'] },
    });
    f.stage({ healthy: { [EU]: ['i-a'] }, primary: { [EU]: ['i-b'] } });
    expect(await f.call({ op: 'readiness-target', region: EU })).toMatchObject({ skip: true });
  });

  it('names the first healthy node (cloud-native)', async () => {
    withRepos(['libs'], { mode: 'cloud-native' });
    f.stage({ healthy: { [EU]: ['i-c', 'i-a'] } });
    expect(await f.call({ op: 'readiness-target', region: EU })).toMatchObject({ instanceId: 'i-a' });
  });

  it("skips when the region's ALB cannot be read", async () => {
    withRepos(['libs']);
    f.down.add(EU);
    expect(await f.call({ op: 'readiness-target', region: EU })).toMatchObject({
      skip: true,
      reason: expect.stringContaining('could not be read'),
    });
  });
});

describe('assess', () => {
  beforeEach(() => {
    at(f.mocks.cw, EU).on(PutMetricDataCommand).resolves({});
  });

  it('records a ready region in every voter and publishes RegionReady 1', async () => {
    f.stage({ healthy: { [EU]: ['i-1', 'i-2'] }, primary: { [EU]: ['i-1'] } });
    await node('i-1', 80);
    await node('i-2', 30);
    await node('i-gone', 1); // not a healthy target: not counted
    const out = await f.call({ op: 'assess', region: EU });
    expect(out).toMatchObject({ region: EU, ready: true, recordedIn: [...VOTERS] });
    expect(out.checks.map((c) => [c.name, c.ok])).toEqual([
      ['capacity', true],
      ['primary', true],
      ['certificates', true],
      ['replication', true],
    ]);
    expect(await recordIn(WITNESS)).toMatchObject({ ready: true, servingNodes: 2, minCertificateDays: 30 });
    expect(published()).toEqual([1]);
  });

  it("fails capacity against the largest other region's last load, and publishes 0", async () => {
    await f.table(US).send(
      new PutCommand({
        TableName: tableOf(US),
        Item: { ...readinessKey('prod', US), at: new Date(f.clock.now).toISOString(), servingNodes: 5 },
      }),
    );
    f.stage({ healthy: { [EU]: ['i-1', 'i-2'] }, primary: { [EU]: ['i-1'] } });
    await node('i-1', 80);
    const out = await f.call({ op: 'assess', region: EU });
    expect(out.ready).toBe(false);
    expect(out.checks[0]).toMatchObject({ name: 'capacity', ok: false });
    expect(published()).toEqual([0]);
  });

  it('reads replication from the document output, within and beyond the lag', async () => {
    withRepos(['libs', 'docker']);
    f.stage({ healthy: { [EU]: ['i-1'] }, primary: { [EU]: ['i-1'] } });
    await node('i-1', 80);
    let out = await f.call({
      op: 'assess',
      region: EU,
      replication: { output: `${line('libs', 5)}\n${line('docker', 30)}\n` },
    });
    expect(out.checks[3]).toMatchObject({ name: 'replication', ok: true });
    expect(await recordIn(US)).toMatchObject({ replicationLagMinutes: 30 });
    out = await f.call({
      op: 'assess',
      region: EU,
      replication: { output: `${line('libs', 5)}\n${line('docker', 90)}` },
    });
    expect(out.checks[3]).toMatchObject({ ok: false, detail: 'docker: 90 min behind (max 60)' });
    out = await f.call({ op: 'assess', region: EU, replication: { error: 'command failed' } });
    expect(out.checks[3]).toMatchObject({ ok: false, detail: expect.stringContaining('command failed') });
  });

  it('records in the reachable voters when one is lost, and still publishes', async () => {
    f.stage({ healthy: { [EU]: ['i-1'] }, primary: { [EU]: ['i-1'] } });
    await node('i-1', 80);
    f.down.add(US);
    const out = await f.call({ op: 'assess', region: EU });
    expect(out.recordedIn).toEqual([EU, WITNESS]);
  });

  it('fails certificates without a recorded node certificate, and primary without a healthy primary', async () => {
    f.stage({ healthy: { [EU]: ['i-1'] }, primary: { [EU]: ['i-9'] } });
    const out = await f.call({ op: 'assess', region: EU });
    expect(out.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['primary', 'certificates']);
  });
});
