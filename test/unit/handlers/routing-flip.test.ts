import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ListHealthChecksCommand, UpdateHealthCheckCommand } from '@aws-sdk/client-route-53';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { routingGateKey, routingLeaseKey, switchKey } from '../../../functions/core/keys';
import { at, EU, exec, REGIONS, routingFixture, tableOf, US, VOTERS, WITNESS } from './routing-fixture';

const f = routingFixture();
const A = exec('a');
const B = exec('b', US);

const item = async (region: string, key: { pk: string; sk: string }) =>
  (await f.table(region).send(new GetCommand({ TableName: tableOf(region), Key: key }))).Item;
const puts = (region: string) =>
  at(f.mocks.cw, region)
    .commandCalls(PutMetricDataCommand)
    .map((c) => c.args[0].input.MetricData?.[0]);
const acceptPuts = (...regions: string[]) => {
  for (const r of regions) at(f.mocks.cw, r).on(PutMetricDataCommand).resolves({});
};
const lease = async () => (await f.call({ op: 'acquire', owner: A, ttlSeconds: 3600 })).epoch;
const flipEu = (epoch: number, serving: boolean, extra: Record<string, unknown> = {}) =>
  f.call({
    op: 'flip',
    region: EU,
    serving,
    owner: A,
    epoch,
    reason: 'test',
    trigger: 'manual',
    ...extra,
  });

describe('flip (cloudwatch-switch)', () => {
  it('evacuates: publishes 0 in every copy region and records the switch in every voter', async () => {
    const epoch = await lease();
    acceptPuts(EU, US);
    const out = await flipEu(epoch, false);
    expect(out).toEqual({
      region: EU,
      serving: false,
      driver: 'cloudwatch-switch',
      copies: [
        { region: EU, ok: true },
        { region: US, ok: true },
      ],
      recordedIn: [...VOTERS],
    });
    for (const r of REGIONS)
      expect(puts(r)).toEqual([
        {
          MetricName: 'RegionServing',
          Dimensions: [
            { Name: 'Cluster', Value: 'prod' },
            { Name: 'Region', Value: EU },
          ],
          Value: 0,
          Unit: 'Count',
        },
      ]);
    expect(await item(WITNESS, switchKey('prod', EU))).toMatchObject({
      serving: false,
      epoch,
      by: A,
      trigger: 'manual',
      changedAt: new Date(f.clock.now).toISOString(),
    });
    expect(await item(US, routingGateKey('prod'))).toBeUndefined();
  });

  it('evacuates a region whose own CloudWatch and table are unreachable (one copy outside it suffices)', async () => {
    const epoch = await lease();
    f.down.add(EU);
    acceptPuts(US);
    const out = await flipEu(epoch, false);
    expect(out.copies).toEqual([
      { region: EU, ok: false, error: 'UnknownEndpoint' },
      { region: US, ok: true },
    ]);
    expect(out.recordedIn).toEqual([US, WITNESS]);
  });

  it('fails SwitchUnreachable when no copy outside the region can be written, recording nothing', async () => {
    const epoch = await lease();
    acceptPuts(EU);
    at(f.mocks.cw, US)
      .on(PutMetricDataCommand)
      .rejects(Object.assign(new Error('x'), { name: 'InternalFailure' }));
    await expect(flipEu(epoch, false)).rejects.toMatchObject({ name: 'SwitchUnreachable' });
    expect(await item(US, switchKey('prod', EU))).toBeUndefined();
  });

  it('restores only when every copy is written (an unwritten copy keeps the region out)', async () => {
    const epoch = await lease();
    f.down.add(EU);
    acceptPuts(US);
    await expect(flipEu(epoch, true)).rejects.toMatchObject({
      name: 'SwitchUnreachable',
      message: expect.stringContaining('every switch copy'),
    });
  });

  it('a restore that cannot write every copy publishes 0 again where it wrote 1 (the region stays out)', async () => {
    const epoch = await lease();
    f.down.add(EU);
    acceptPuts(US);
    await expect(flipEu(epoch, true)).rejects.toMatchObject({
      name: 'SwitchUnreachable',
      message: expect.stringContaining('0 published again in us-east-1'),
    });
    // 1, then 0 in the same minute: the alarm's Minimum is 0, the copy stays in ALARM.
    expect(puts(US).map((d) => d?.Value)).toEqual([1, 0]);
  });

  it('fails Fenced and changes nothing when a newer epoch holds the lease', async () => {
    const epoch = await lease();
    for (const v of [EU, US])
      await f.table(v).send(
        new PutCommand({
          TableName: tableOf(v),
          Item: { ...routingLeaseKey('prod'), holder: B, epoch: epoch + 1, expiresAt: f.clock.now + 60_000 },
        }),
      );
    await expect(flipEu(epoch, false)).rejects.toMatchObject({ name: 'Fenced' });
    expect(puts(EU)).toEqual([]);
    expect(puts(US)).toEqual([]);
    expect(await item(US, switchKey('prod', EU))).toBeUndefined();
  });

  it("fails Fenced when the switch record carries a newer writer's epoch", async () => {
    const epoch = await lease();
    acceptPuts(EU, US);
    for (const v of VOTERS)
      await f.table(v).send(
        new PutCommand({
          TableName: tableOf(v),
          Item: { ...switchKey('prod', EU), serving: true, epoch: epoch + 3 },
        }),
      );
    await expect(flipEu(epoch, false)).rejects.toMatchObject({ name: 'Fenced' });
    expect(await item(EU, switchKey('prod', EU))).toMatchObject({ serving: true, epoch: epoch + 3 });
  });

  it('fails NoQuorum when a minority of the tables can confirm the lease', async () => {
    const epoch = await lease();
    f.down.add(EU);
    f.down.add(WITNESS);
    await expect(flipEu(epoch, false)).rejects.toMatchObject({ name: 'NoQuorum' });
    expect(puts(US)).toEqual([]);
  });

  it('counts an automatic flip in the gate, but not its revert', async () => {
    const epoch = await lease();
    acceptPuts(EU, US);
    await flipEu(epoch, false, { trigger: 'automatic' });
    expect(await item(WITNESS, routingGateKey('prod'))).toMatchObject({
      lastAt: f.clock.now,
      day: '2026-06-01',
      count: 1,
      epoch,
    });
    f.clock.now += 60_000;
    const out = await flipEu(epoch, true, { trigger: 'automatic', revert: true });
    expect(out.serving).toBe(true);
    expect(await item(US, routingGateKey('prod'))).toMatchObject({ count: 1 });
    expect(await item(US, switchKey('prod', EU))).toMatchObject({ trigger: 'automatic (revert)' });
    // An automatic restore counts against the budget but starts no cooldown.
    const evacuatedAt = f.clock.now - 60_000;
    await flipEu(epoch, true, { trigger: 'automatic' });
    expect(await item(EU, routingGateKey('prod'))).toMatchObject({ lastAt: evacuatedAt, count: 2 });
  });

  it("flips the canary's switch only: CanaryServing, no record, no gate", async () => {
    const epoch = await lease();
    acceptPuts(EU, US);
    const out = await flipEu(epoch, false, { canary: true, trigger: 'drill' });
    expect(out.recordedIn).toEqual([]);
    expect(puts(US)[0]?.MetricName).toBe('CanaryServing');
    expect(await item(US, switchKey('prod', EU))).toBeUndefined();
  });
});

describe('flip (route53-api)', () => {
  const checks = {
    HealthChecks: [
      {
        Id: 'hc-us',
        CallerReference: 'u',
        HealthCheckVersion: 1,
        HealthCheckConfig: {
          Type: 'CLOUDWATCH_METRIC' as const,
          AlarmIdentifier: { Region: US as 'us-east-1', Name: `prod-${EU}-region-serving` },
        },
      },
      {
        Id: 'hc-eu',
        CallerReference: 'e',
        HealthCheckVersion: 1,
        HealthCheckConfig: {
          Type: 'CLOUDWATCH_METRIC' as const,
          AlarmIdentifier: { Region: EU as 'eu-west-1', Name: `prod-${EU}-region-serving` },
        },
      },
    ],
    Marker: '',
    MaxItems: 100,
    IsTruncated: false,
  };

  it('inverts the copy check that lives in the region, found by its alarm', async () => {
    f.configure({ driver: 'route53-api' });
    const epoch = await lease();
    f.mocks.r53.on(ListHealthChecksCommand).resolves(checks);
    f.mocks.r53.on(UpdateHealthCheckCommand).resolves({ HealthCheck: checks.HealthChecks[1] });
    const out = await flipEu(epoch, false);
    expect(out.copies).toEqual([{ region: EU, ok: true }]);
    expect(f.mocks.r53.commandCalls(UpdateHealthCheckCommand).map((c) => c.args[0].input)).toEqual([
      { HealthCheckId: 'hc-eu', Inverted: true },
    ]);
    expect(puts(US)).toEqual([]);
  });

  it("fails ControlPlaneUnavailable when Route 53's API fails, recording nothing", async () => {
    f.configure({ driver: 'route53-api' });
    const epoch = await lease();
    f.mocks.r53
      .on(ListHealthChecksCommand)
      .rejects(Object.assign(new Error('x'), { name: 'ServiceUnavailable' }));
    await expect(flipEu(epoch, false)).rejects.toMatchObject({ name: 'ControlPlaneUnavailable' });
    expect(await item(US, switchKey('prod', EU))).toBeUndefined();
  });

  it('fails ControlPlaneUnavailable when no check watches the switch alarm', async () => {
    f.configure({ driver: 'route53-api' });
    const epoch = await lease();
    f.mocks.r53.on(ListHealthChecksCommand).resolves({ ...checks, HealthChecks: [] });
    await expect(flipEu(epoch, false)).rejects.toMatchObject({
      name: 'ControlPlaneUnavailable',
      message: expect.stringContaining('no health check watches'),
    });
  });
});

describe('verify', () => {
  const verifyEu = (serving: boolean) => f.call({ op: 'verify', region: EU, serving, owner: A, epoch: 1 });

  it('settles an evacuation on one copy in ALARM, and the rules hold while another region serves', async () => {
    f.stage({ alarms: { [`${US}/${EU}`]: 'ALARM' }, healthy: { [EU]: ['i-1'], [US]: ['i-2'] } });
    const out = await verifyEu(false);
    expect(out).toMatchObject({
      settled: true,
      rulesHold: true,
      serving: { [EU]: 'evacuated', [US]: 'serving' },
      broken: [],
    });
  });

  it('is not settled while every copy is still OK', async () => {
    f.stage({ healthy: { [EU]: ['i-1'], [US]: ['i-2'] } });
    expect((await verifyEu(false)).settled).toBe(false);
  });

  it('breaks the rule when no region serves after the flip', async () => {
    f.stage({ alarms: { [`${EU}/${EU}`]: 'ALARM' }, healthy: { [EU]: ['i-1'] } });
    const out = await verifyEu(false);
    expect(out.rulesHold).toBe(false);
    expect(out.broken).toEqual(['min-serving-regions: 0 region(s) serve, fewer than 1']);
  });

  it('settles a restore only when every copy is readable and none in ALARM', async () => {
    f.stage({ healthy: { [EU]: ['i-1'], [US]: ['i-2'] } });
    expect((await verifyEu(true)).settled).toBe(true);
    f.down.add(US);
    expect((await verifyEu(true)).settled).toBe(false);
  });

  it("counts an unreadable copy as the routing table's record says", async () => {
    for (const v of VOTERS)
      await f.table(v).send(
        new PutCommand({
          TableName: tableOf(v),
          Item: { ...switchKey('prod', EU), serving: false, epoch: 1 },
        }),
      );
    f.stage({ healthy: { [EU]: ['i-1'], [US]: ['i-2'] } });
    f.down.add(US);
    // US's CloudWatch and ALB are unreadable: US does not serve; EU's copy in US falls back to the record (off).
    const out = await verifyEu(false);
    expect(out.serving).toEqual({ [EU]: 'evacuated', [US]: 'unknown' });
    expect(out.rulesHold).toBe(false);
  });
});
