/**
 * The global pause's copies on real conditional writes (dynalite: one routing table per voter, one state table),
 * each voter reached through its region-pinned client; a region in `down` fails every call its clients make.
 * SNS is a strict mock. Not a test file itself.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { pauseKey } from '../../../functions/core/keys';
import type { PauseItem } from '../../../functions/core/pause';
import {
  type ClientSet,
  resetClients,
  setClientsForTest,
  setRegionalClientFactoryForTest,
} from '../../../functions/shared/clients/base';
import { ENV } from '../../../functions/shared/env';
import { logger } from '../../../functions/shared/powertools';
import { VirtualClock } from '../../../sim/core/clock';
import { DynamoSim } from '../../../sim/runner/dynamo';

export const EU = 'eu-west-1';
export const US = 'us-east-1';
export const WITNESS = 'us-west-2';
export const VOTERS = [EU, US, WITNESS] as const;
export const STATE_TABLE = 'prod-state';
export const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:prod-events';
export const tableOf = (region: string) => `prod-routing-${region}`;

/** Called before each command a region's client sends (a test's race, between a read and a write). */
export type SendHook = (region: string, command: { constructor: { name: string } }) => Promise<void>;

function failWhenDown<C extends object>(
  client: C,
  region: string,
  down: ReadonlySet<string>,
  hook: { current?: SendHook | undefined },
): C {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (...args: unknown[]) => {
        await hook.current?.(region, args[0] as { constructor: { name: string } });
        if (down.has(region))
          throw Object.assign(new Error(`${region} is unreachable`), { name: 'UnknownEndpoint' });
        return (target as unknown as { send: (...a: unknown[]) => Promise<unknown> }).send(...args);
      };
    },
  });
}

export function pauseEnv(over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    [ENV.clusterName]: 'prod',
    [ENV.awsRegion]: EU,
    [ENV.pauseTables]: JSON.stringify(Object.fromEntries(VOTERS.map((v) => [v, tableOf(v)]))),
    [ENV.automationEnabled]: 'true',
    [ENV.stateTable]: STATE_TABLE,
    [ENV.topicArn]: TOPIC,
    [ENV.pauseReminderHours]: '4',
    ...over,
  };
}

export function pauseFixture() {
  const dynamo = new DynamoSim(new VirtualClock());
  const down = new Set<string>();
  const snsClient = new SNSClient({ region: EU });
  const sns = mockClient(snsClient);
  const metrics: { name: string; value: number }[] = [];
  const hook: { current?: SendHook | undefined } = {};
  const doc = (region: string) =>
    failWhenDown(
      DynamoDBDocumentClient.from(dynamo.client(region), {
        marshallOptions: { removeUndefinedValues: true },
      }),
      region,
      down,
      hook,
    );
  const ctx = {
    clients: { dynamoDoc: () => doc(EU), sns: () => snsClient } as never,
    logger,
    metrics: {
      addMetric: (name: string, _unit: string, value: number) => metrics.push({ name, value }),
    } as never,
    env: pauseEnv(),
  };

  beforeAll(async () => {
    await dynamo.start();
    for (const v of VOTERS) await dynamo.createTable(v, tableOf(v), { sortKey: 'sk' });
    await dynamo.createTable(EU, STATE_TABLE, { sortKey: 'sk' });
    logger.setLogLevel('SILENT');
  });

  beforeEach(async () => {
    down.clear();
    hook.current = undefined;
    metrics.length = 0;
    ctx.env = pauseEnv();
    sns.reset();
    sns.onAnyCommand().rejects(new Error('unexpected command'));
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    resetClients();
    setClientsForTest({});
    setRegionalClientFactoryForTest(<K extends keyof ClientSet>(name: K, region: string) => {
      if (name !== 'dynamoDoc') throw new Error(`unexpected regional client ${String(name)}`);
      return doc(region) as ClientSet[K];
    });
    for (const [r, TableName] of [
      ...VOTERS.map((v) => [v, tableOf(v)] as const),
      [EU, STATE_TABLE] as const,
    ]) {
      const d = DynamoDBDocumentClient.from(dynamo.client(r));
      const out = await d.send(new ScanCommand({ TableName }));
      for (const i of out.Items ?? [])
        await d.send(new DeleteCommand({ TableName, Key: { pk: i.pk, sk: i.sk } }));
    }
  });

  afterAll(async () => {
    sns.restore();
    setRegionalClientFactoryForTest(undefined);
    resetClients();
    await dynamo.stop();
  });

  const raw = (region: string) => DynamoDBDocumentClient.from(dynamo.client(region));
  return {
    ctx,
    down,
    hook,
    snsClient,
    /** `region`'s document client that no `down` affects (a state table that stays reachable). */
    raw,
    sns,
    metrics,
    doc,
    /** The copy in `region`, read straight from its table. */
    copy: async (region: string) =>
      (await raw(region).send(new GetCommand({ TableName: tableOf(region), Key: pauseKey('prod') }))).Item as
        | PauseItem
        | undefined,
    seed: (region: string, item: Partial<PauseItem> | Record<string, unknown>) =>
      raw(region).send(
        new PutCommand({ TableName: tableOf(region), Item: { ...pauseKey('prod'), ...item } }),
      ),
    /** Every item of the state table. */
    stateItems: async () =>
      (await raw(EU).send(new ScanCommand({ TableName: STATE_TABLE }))).Items as Record<string, unknown>[],
  };
}
