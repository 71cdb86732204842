/**
 * The routing Lambda on real conditional writes (dynalite: one routing table per voter, the state table) with
 * strict per-region SDK mocks (CloudWatch, ELB, Auto Scaling, Step Functions) and a strict Route 53 mock. A
 * region in `down` fails every call its pinned clients make, as a lost region does. Not a test file itself.
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DeleteCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { routing } from '../../../functions/routing/handler';
import type { RoutingInput } from '../../../functions/routing/input';
import type { RoutingSettings } from '../../../functions/routing/settings';
import {
  type ClientSet,
  resetClients,
  setClientsForTest,
  setRegionalClientFactoryForTest,
} from '../../../functions/shared/clients/base';
import { ENV } from '../../../functions/shared/env';
import type { HandlerContext } from '../../../functions/shared/handler';
import { logger } from '../../../functions/shared/powertools';
import { VirtualClock } from '../../../sim/core/clock';
import { DynamoSim } from '../../../sim/runner/dynamo';

export const EU = 'eu-west-1';
export const US = 'us-east-1';
export const WITNESS = 'us-west-2';
export const REGIONS = [EU, US] as const;
export const VOTERS = [EU, US, WITNESS] as const;
export const STATE_TABLE = 'prod-state';
export const tableOf = (region: string) => `prod-routing-${region}`;
export const tg = (region: string) =>
  `arn:aws:elasticloadbalancing:${region}:111122223333:targetgroup/art/0123456789abcdef`;
export const exec = (name: string, region = EU) =>
  `arn:aws:states:${region}:111122223333:execution:prod-regional-failover:${name}`;

export function settings(over: Partial<RoutingSettings> = {}): RoutingSettings {
  return {
    cluster: 'prod',
    region: EU,
    account: '111122223333',
    namespace: 'ArtifactoryHA',
    regions: REGIONS.map((name) => ({
      name,
      targetGroupArns: [tg(name)],
      primaryAsgName: 'prod-primary',
      memberAsgName: 'prod-members',
      switchAlarmName: `prod-${name}-region-serving`,
      canarySwitchAlarmName: `prod-${name}-canary-serving`,
      degradedAlarmName: `prod-${name}-region-degraded`,
    })),
    voters: [...VOTERS],
    quorum: 2,
    tables: Object.fromEntries(VOTERS.map((v) => [v, tableOf(v)])),
    driver: 'cloudwatch-switch',
    minServingRegions: 1,
    flipWaitMinutes: 10,
    restoreHysteresisMinutes: 30,
    noHealthyMinutes: 5,
    readiness: {
      minCapacityShare: 1,
      minCertificateDays: 7,
      maxReplicationLagMinutes: 60,
      replicationRepos: [],
      tokenSecretId: 'prod/replication-token',
      evaluationMinutes: 60,
    },
    cooldownMinutes: 60,
    dailyBudget: 10,
    automationEnabled: true,
    mode: 'legacy-primary',
    minTaskNodes: 2,
    routing: { ttlSeconds: 60, healthCheckIntervalSeconds: 30, healthCheckFailureThreshold: 3 },
    canary: true,
    stateTable: STATE_TABLE,
    ...over,
  };
}

/**
 * The client as its region's callers see it: every call fails while the region is down (the error a lost
 * endpoint gives). A proxy over `send`, so it stands in front of aws-sdk-client-mock's stub as well.
 */
function failWhenDown<C extends object>(client: C, region: string, down: ReadonlySet<string>): C {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return (...args: unknown[]) => {
        if (down.has(region))
          return Promise.reject(
            Object.assign(new Error(`${region} is unreachable`), { name: 'UnknownEndpoint' }),
          );
        return (target as unknown as { send: (...a: unknown[]) => Promise<unknown> }).send(...args);
      };
    },
  });
}

/** `rec[key]`, which must be there. */
export function at<T>(rec: Readonly<Record<string, T>>, key: string): T {
  const v = rec[key];
  if (v === undefined) throw new Error(`nothing for ${key}`);
  return v;
}

export function routingFixture() {
  const dynamo = new DynamoSim(new VirtualClock());
  const down = new Set<string>();
  const clock = { now: Date.parse('2026-06-01T12:00:00Z') };
  const metricsSeen: string[] = [];
  const cw = Object.fromEntries(REGIONS.map((r) => [r, new CloudWatchClient({ region: r })]));
  const elb = Object.fromEntries(REGIONS.map((r) => [r, new ElasticLoadBalancingV2Client({ region: r })]));
  const asg = Object.fromEntries(REGIONS.map((r) => [r, new AutoScalingClient({ region: r })]));
  const sfn = Object.fromEntries(REGIONS.map((r) => [r, new SFNClient({ region: r })]));
  const r53 = new Route53Client({ region: US });
  const mocks = {
    cw: Object.fromEntries(REGIONS.map((r) => [r, mockClient(cw[r] as CloudWatchClient)])),
    elb: Object.fromEntries(REGIONS.map((r) => [r, mockClient(elb[r] as ElasticLoadBalancingV2Client)])),
    asg: Object.fromEntries(REGIONS.map((r) => [r, mockClient(asg[r] as AutoScalingClient)])),
    sfn: Object.fromEntries(REGIONS.map((r) => [r, mockClient(sfn[r] as SFNClient)])),
    r53: mockClient(r53),
  };
  const all = () => [
    ...Object.values(mocks.cw),
    ...Object.values(mocks.elb),
    ...Object.values(mocks.asg),
    ...Object.values(mocks.sfn),
    mocks.r53,
  ];
  const docs = new Map<string, DynamoDBDocumentClient>();
  let env: NodeJS.ProcessEnv = {};

  const ctx = {
    clients: { route53: () => r53 } as unknown as HandlerContext<'route53'>['clients'],
    logger,
    metrics: { addMetric: (name: string) => metricsSeen.push(name) } as unknown as HandlerContext['metrics'],
  };

  beforeAll(async () => {
    await dynamo.start();
    for (const v of VOTERS) await dynamo.createTable(v, tableOf(v), { sortKey: 'sk' });
    await dynamo.createTable(EU, STATE_TABLE, { sortKey: 'sk' });
    logger.setLogLevel('SILENT');
  });

  beforeEach(async () => {
    down.clear();
    metricsSeen.length = 0;
    for (const m of all()) {
      (m as { reset(): void }).reset();
      (m as unknown as { onAnyCommand(): { rejects(e: Error): void } })
        .onAnyCommand()
        .rejects(new Error('unexpected command'));
    }
    resetClients();
    docs.clear();
    setClientsForTest({});
    setRegionalClientFactoryForTest(<K extends keyof ClientSet>(name: K, region: string) => {
      const pick = (set: Record<string, unknown>) => {
        const c = set[region];
        if (c === undefined) throw new Error(`no ${name} client for ${region}`);
        return failWhenDown(c as object, region, down);
      };
      switch (name) {
        case 'dynamoDoc': {
          const doc = failWhenDown(
            DynamoDBDocumentClient.from(dynamo.client(region), {
              marshallOptions: { removeUndefinedValues: true },
            }),
            region,
            down,
          );
          docs.set(region, doc);
          return doc as ClientSet[K];
        }
        case 'cloudWatch':
          return pick(cw) as ClientSet[K];
        case 'elbv2':
          return pick(elb) as ClientSet[K];
        case 'autoScaling':
          return pick(asg) as ClientSet[K];
        case 'sfn':
          return pick(sfn) as ClientSet[K];
        default:
          throw new Error(`unexpected regional client ${String(name)}`);
      }
    });
    // Every test starts with empty routing tables and state table.
    for (const [r, TableName] of [
      ...VOTERS.map((v) => [v, tableOf(v)] as const),
      [EU, STATE_TABLE] as const,
    ]) {
      const doc = DynamoDBDocumentClient.from(dynamo.client(r));
      const out = await doc.send(new ScanCommand({ TableName }));
      for (const item of out.Items ?? [])
        await doc.send(new DeleteCommand({ TableName, Key: { pk: item.pk, sk: item.sk } }));
    }
    env = { [ENV.routingSettings]: JSON.stringify(settings()) };
  });

  afterAll(async () => {
    for (const m of all()) (m as { restore(): void }).restore();
    setRegionalClientFactoryForTest(undefined);
    resetClients();
    await dynamo.stop();
  });

  return {
    mocks,
    down,
    clock,
    metricsSeen,
    /** Replace the settings for the rest of the test. */
    configure: (over: Partial<RoutingSettings>) => {
      env = { [ENV.routingSettings]: JSON.stringify(settings(over)) };
    },
    /** The raw environment (bad-settings tests). */
    setEnv: (e: NodeJS.ProcessEnv) => {
      env = e;
    },
    /** Make the mocked regions answer with `w` (read ops only; writes stay unexpected). */
    stage: (w: World) => {
      for (const copy of REGIONS) {
        const cwm = at(mocks.cw, copy);
        cwm.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames?: string[] }) => ({
          MetricAlarms: (input.AlarmNames ?? []).flatMap((AlarmName) => {
            const switched = REGIONS.find((r) => AlarmName.startsWith(`prod-${r}-`));
            if (switched === undefined) return [];
            if (AlarmName.endsWith('-region-degraded')) {
              const d = w.degraded?.[switched];
              return d === undefined || copy !== switched
                ? []
                : [{ AlarmName, StateValue: d.state, StateTransitionedTimestamp: new Date(d.since) }];
            }
            return [{ AlarmName, StateValue: w.alarms?.[`${copy}/${switched}`] ?? 'OK' }];
          }),
        }));
      }
      for (const r of REGIONS) {
        at(mocks.elb, r)
          .on(DescribeTargetHealthCommand)
          .resolves({
            TargetHealthDescriptions: (w.healthy?.[r] ?? []).map((Id) => ({
              Target: { Id },
              TargetHealth: { State: 'healthy' },
            })),
          });
        at(mocks.asg, r)
          .on(DescribeAutoScalingGroupsCommand)
          .resolves({
            AutoScalingGroups: [
              {
                AutoScalingGroupName: 'prod-primary',
                Instances: (w.primary?.[r] ?? []).map((InstanceId) => ({
                  InstanceId,
                  LifecycleState: 'InService',
                })),
              },
            ] as never,
          });
      }
    },
    call: <I extends RoutingInput>(input: I) => routing(input, ctx, { now: () => clock.now, env }),
    /** A document client on one region's routing table (ignores `down`). */
    table: (region: string) => DynamoDBDocumentClient.from(dynamo.client(region)),
  };
}

/** The facts the mocked regions answer with: switch copy alarms, healthy targets, primaries, degraded alarm. */
export interface World {
  /** Copy alarm state of `switched`'s switch as seen in copy region `copy`: `${copy}/${switched}`. */
  readonly alarms?: Record<string, 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'>;
  /** Healthy target ids per region. */
  readonly healthy?: Record<string, string[]>;
  /** The primary group's InService instances per region. */
  readonly primary?: Record<string, string[]>;
  readonly degraded?: Record<string, { state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'; since: number }>;
}
