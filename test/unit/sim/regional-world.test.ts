/**
 * The twin's routing world (issue 14, contract §1 and §5) on a whole Twin: the switch copies and the flat
 * calculated check setup.ts builds, the routing tables of every voter (the witness too), regional faults seen
 * through the world's API entry point, and the client population's TTL caching and 95 % measure.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../../../infra/config/load';
import type { Config } from '../../../infra/config/schema';
import {
  canarySwitchAlarmName,
  METRIC_NAMESPACE,
  REGION_SERVING_METRIC,
  switchAlarmName,
} from '../../../infra/stacks/names';
import { ClientPopulation } from '../../../sim/services/resolvers';
import { EXAMPLE_CONFIG, Twin } from '../../../sim/twin';

jest.setTimeout(60_000);

const EU = 'eu-west-1';
const US = 'us-east-1';
const WITNESS = 'us-west-2';
const MIN = 60_000;

let twin: Twin | undefined;
afterEach(async () => {
  await twin?.stop();
  twin = undefined;
});

async function start(config?: Config): Promise<Twin> {
  twin = await Twin.start({ seed: 7, controlPlane: false, ...(config ? { config } : {}) });
  return twin;
}

async function publish(
  t: Twin,
  inRegion: string,
  switched: string,
  value: number,
  metric = REGION_SERVING_METRIC,
) {
  await t.world.call(inRegion, 'cloudwatch', 'PutMetricData', {
    Namespace: METRIC_NAMESPACE,
    MetricData: [
      {
        MetricName: metric,
        Dimensions: [
          { Name: 'Cluster', Value: t.world.config.cluster.name },
          { Name: 'Region', Value: switched },
        ],
        Value: value,
      },
    ],
  });
}

const errorName = async (p: Promise<unknown>) =>
  p.then(
    () => 'none',
    (e: Error) => e.name,
  );

describe('setup.ts builds the routing design of §1', () => {
  it('a copy of every region switch alarm in every region, and a flat calculated check per record', async () => {
    const t = await start();
    const { config } = t.world;
    for (const inRegion of [EU, US]) {
      for (const switched of [EU, US]) {
        expect(
          t.world.region(inRegion).cloudwatch.alarmSpec(switchAlarmName(config, switched)),
        ).toMatchObject({
          namespace: METRIC_NAMESPACE,
          metricName: REGION_SERVING_METRIC,
          dimensions: { Cluster: config.cluster.name, Region: switched },
          statistic: 'Minimum',
          periodSeconds: 60,
          evaluationPeriods: 1,
          threshold: 1,
          comparison: 'LessThanThreshold',
          treatMissingData: 'ignore',
        });
      }
    }
    for (const region of [EU, US]) {
      const layout = t.layout.regions.get(region);
      const checks = layout?.healthChecks;
      expect(Object.keys(checks?.copies ?? {}).sort()).toEqual([EU, US]);
      expect(checks?.switch).toBe(checks?.copies[region]);
      const calculated = (await t.world.call('global', 'route53', 'GetHealthCheck', {
        HealthCheckId: checks?.calculated,
      })) as { HealthCheck: { HealthCheckConfig: { ChildHealthChecks: string[]; HealthThreshold: number } } };
      const cfg = calculated.HealthCheck.HealthCheckConfig;
      expect(cfg.ChildHealthChecks).toEqual([checks?.endpoint, checks?.copies[EU], checks?.copies[US]]);
      expect(cfg.HealthThreshold).toBe(3);
      for (const copyRegion of [EU, US]) {
        const copy = (await t.world.call('global', 'route53', 'GetHealthCheck', {
          HealthCheckId: checks?.copies[copyRegion],
        })) as { HealthCheck: { HealthCheckConfig: Record<string, unknown> } };
        expect(copy.HealthCheck.HealthCheckConfig).toMatchObject({
          Type: 'CLOUDWATCH_METRIC',
          AlarmIdentifier: { Region: copyRegion, Name: switchAlarmName(config, region) },
          InsufficientDataHealthStatus: 'LastKnownStatus',
        });
      }
    }
    expect(t.world.route53.recordTtl(config.routing.recordName)).toBe(config.routing.ttlSeconds);
    expect(t.layout.regions.get(EU)?.canaryHealthChecks).toBeUndefined();
  });

  it('one copy in ALARM takes the region out (AND); every copy must say 1 to bring it back', async () => {
    const t = await start();
    const record = t.world.config.routing.recordName;
    await t.run(2 * MIN);
    expect(t.world.route53.servingRegions(record)).toEqual([EU, US]);
    await publish(t, US, EU, 0); // the copy of eu-west-1's switch that lives in us-east-1
    await t.run(2 * MIN);
    expect(t.world.route53.servingRegions(record)).toEqual([US]);
    expect(t.world.route53.switchedOff(record)).toEqual([EU]);
    await publish(t, EU, EU, 1); // not enough: the us-east-1 copy still says 0
    await t.run(2 * MIN);
    expect(t.world.route53.servingRegions(record)).toEqual([US]);
    await publish(t, US, EU, 1);
    await t.run(2 * MIN);
    expect(t.world.route53.servingRegions(record)).toEqual([EU, US]);
    expect(t.world.route53.switchedOff(record)).toEqual([]);
  });

  it('a lost CloudWatch region keeps each copy at its last state (LastKnownStatus)', async () => {
    const t = await start();
    const record = t.world.config.routing.recordName;
    await publish(t, EU, EU, 0);
    await t.run(2 * MIN);
    expect(t.world.route53.servingRegions(record)).toEqual([US]);
    t.world.faults.cloudWatchLost(EU);
    expect(await errorName(publish(t, EU, EU, 1))).toBe('ServiceUnavailable');
    await t.run(5 * MIN);
    // eu-west-1's copy is insufficient data to Route 53 now: its last known status (unhealthy) holds.
    expect(t.world.route53.servingRegions(record)).toEqual([US]);
    t.world.faults.cloudWatchRestored(EU);
    await publish(t, EU, EU, 1);
    await t.run(2 * MIN);
    expect(t.world.route53.servingRegions(record)).toEqual([EU, US]);
  });

  it('builds the canary record with its own switch copies when failover.drill.canaryRecordName is set', async () => {
    const base = loadConfig(EXAMPLE_CONFIG);
    const canaryRecordName = 'artifactory-canary.example.com';
    const config: Config = {
      ...base,
      failover: { ...base.failover, drill: { ...base.failover.drill, canaryRecordName } },
    };
    const t = await start(config);
    expect(t.world.region(US).cloudwatch.alarmSpec(canarySwitchAlarmName(config, EU))).toMatchObject({
      metricName: 'CanaryServing',
      dimensions: { Cluster: config.cluster.name, Region: EU },
    });
    expect(Object.keys(t.layout.regions.get(EU)?.canaryHealthChecks?.copies ?? {}).sort()).toEqual([EU, US]);
    await t.run(2 * MIN);
    await publish(t, US, EU, 0, 'CanaryServing');
    await t.run(2 * MIN);
    // The live drill's flip takes eu-west-1 out of the canary record only.
    expect(t.world.route53.servingRegions(canaryRecordName)).toEqual([US]);
    expect(t.world.route53.servingRegions(config.routing.recordName)).toEqual([EU, US]);
  });
});

describe("each region's degraded alarm (metric math over its ALB, from infra/regional-routing.ts)", () => {
  it('stays OK in a serving world from t=0 (its history is seeded), fires on a brownout and on a lost ALB', async () => {
    const t = await start();
    const { config } = t.world;
    const degraded = (region: string) =>
      t.world.region(region).cloudwatch.alarmState(t.layout.regions.get(region)?.degradedAlarm as string);
    const n = config.failover.degraded.noHealthyMinutes;
    await t.run(15 * MIN);
    expect([degraded(EU), degraded(US)]).toEqual(['OK', 'OK']);
    expect(t.world.timeline.find('cw', /region-degraded: .* -> ALARM/)).toEqual([]);
    const readiness = t.layout.regions.get(EU)?.readinessAlarm as string;
    expect(t.world.region(EU).cloudwatch.alarmState(readiness)).not.toBe('ALARM');

    t.world.faults.brownout({ region: EU, share: 0.5 });
    const brownAt = t.world.clock.now();
    await t.runUntil(() => degraded(EU) === 'ALARM', (n + 2) * MIN, 'the brownout alarm');
    expect(t.world.clock.now() - brownAt).toBeGreaterThanOrEqual(n * MIN);
    expect(degraded(US)).toBe('OK');
    t.world.faults.clearBrownout(EU);
    await t.runUntil(() => degraded(EU) === 'OK', 3 * MIN, 'the alarm clearing');

    t.world.faults.albLost(US);
    const lostAt = t.world.clock.now();
    await t.runUntil(() => degraded(US) === 'ALARM', (n + 4) * MIN, 'the lost-ALB alarm');
    // Missing data breaches once fewer than N datapoints are left in the N + 2 periods retrieved (docs/twin.md).
    expect(t.world.clock.now() - lostAt).toBeGreaterThan((n + 1) * MIN);
  });
});

describe('routing tables of every voter', () => {
  it('one per configured region and one in the witness region, which a lost witness fails', async () => {
    const t = await start();
    const tables = t.layout.routingTables;
    expect(tables).toEqual({
      [EU]: 'artifactory-prod-routing-eu-west-1',
      [US]: 'artifactory-prod-routing-us-east-1',
      [WITNESS]: 'artifactory-prod-routing-us-west-2',
    });
    const client = t.dynamo.client(WITNESS, { pinned: true });
    const item = { pk: { S: 'ROUTING#artifactory-prod' }, sk: { S: 'LEASE' }, epoch: { N: '1' } };
    await client.send(new PutItemCommand({ TableName: tables[WITNESS], Item: item }));
    const got = await client.send(
      new GetItemCommand({ TableName: tables[WITNESS], Key: { pk: item.pk, sk: item.sk } }),
    );
    expect(got.Item?.epoch).toEqual({ N: '1' });
    t.world.faults.regionDown(WITNESS);
    // One attempt (no SDK back-off on the virtual clock, which this test does not run).
    const once = t.dynamo.client(WITNESS, { pinned: true, sdkRetries: false });
    expect(
      await errorName(
        once.send(new GetItemCommand({ TableName: tables[WITNESS], Key: { pk: item.pk, sk: item.sk } })),
      ),
    ).toBe('ServiceUnavailable');
    // The other voters still answer.
    const eu = t.dynamo.client(EU, { pinned: true });
    await eu.send(new PutItemCommand({ TableName: tables[EU], Item: item }));
  });
});

describe('Route 53 API failing (us-east-1 control plane)', () => {
  it('fails every API action while checks and DNS go on', async () => {
    const t = await start();
    const record = t.world.config.routing.recordName;
    t.world.faults.route53ApiFailing();
    expect(await errorName(t.world.call('global', 'route53', 'ListHealthChecks', {}))).toBe(
      'ServiceUnavailable',
    );
    await publish(t, US, EU, 0);
    await t.run(2 * MIN);
    expect(t.world.route53.servingRegions(record)).toEqual([US]);
    t.world.faults.route53ApiFailing(false);
    expect(await errorName(t.world.call('global', 'route53', 'ListHealthChecks', {}))).toBe('none');
  });
});

describe('client population (resolvers.ts)', () => {
  it('caches answers for the TTL: 95 % of the clients move within TTL + a query interval of the switch', async () => {
    const t = await start();
    const record = t.world.config.routing.recordName;
    await t.run(2 * MIN);
    const clients = new ClientPopulation(t.world, { recordName: record, clients: 200 });
    try {
      const before = clients.counts();
      expect((before[EU] ?? 0) + (before[US] ?? 0)).toBe(200);
      expect(before[EU]).toBe(100);
      await publish(t, US, EU, 0);
      const flippedAt = t.world.clock.now();
      // The alarm evaluates at the next minute boundary; Route 53 follows it.
      await t.runUntil(() => !t.world.route53.servingRegions(record).includes(EU), 2 * MIN, 'EU out');
      const outAt = t.world.clock.now();
      // Right after the record changes, most resolvers still hold the old answer.
      expect(clients.counts()[EU]).toBeGreaterThan(50);
      await t.run(90_000);
      expect(clients.counts()[EU] ?? 0).toBe(0);
      const away = clients.timeUntilAway(EU, flippedAt);
      expect(away).toBeDefined();
      const ttl = t.world.config.routing.ttlSeconds * 1000;
      expect((away as number) - (outAt - flippedAt)).toBeGreaterThan(ttl * 0.8);
      expect((away as number) - (outAt - flippedAt)).toBeLessThanOrEqual(ttl + 10_000);
      // The clients' requests follow their answers: eu-west-1's ALB receives none now.
      expect(clients.requestsPerMinute(EU)).toBe(0);
      expect(clients.requestsPerMinute(US)).toBe(600);
    } finally {
      clients.stop();
    }
  });

  it('refuses bad options and unknown records, changing nothing', async () => {
    const t = await start();
    const record = t.world.config.routing.recordName;
    expect(() => new ClientPopulation(t.world, { recordName: 'nope.example.com' })).toThrow(
      /no latency record/,
    );
    expect(() => new ClientPopulation(t.world, { recordName: record, clients: 0 })).toThrow(/clients/);
    expect(() => new ClientPopulation(t.world, { recordName: record, regions: { [EU]: 0 } })).toThrow(
      /weight/,
    );
    expect(() => new ClientPopulation(t.world, { recordName: record, queryIntervalSeconds: 0 })).toThrow(
      /query/,
    );
  });
});
