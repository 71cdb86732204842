/**
 * The global pause's copies for handler tests with class-level DynamoDB document client mocks: the routing
 * table of each voter answers a GetCommand with the given item (none: never paused). Not a test file itself.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsStub } from 'aws-sdk-client-mock';
import { pauseKey } from '../../../functions/core/keys';
import type { PauseItem } from '../../../functions/core/pause';
import { ENV } from '../../../functions/shared/env';

/** The routing table a test names in `region`. */
export const routingTableIn = (region: string) => `routing-${region}`;

/** `PAUSE_TABLES` for these voter regions (the first is usually the function's own). */
export function pauseTablesEnv(...regions: string[]): Record<string, string> {
  return {
    [ENV.pauseTables]: JSON.stringify(Object.fromEntries(regions.map((r) => [r, routingTableIn(r)]))),
  };
}

/** An operator's pause (or resume) item. */
export const pausedItem = (over: Partial<PauseItem> = {}): PauseItem => ({
  paused: true,
  reason: 'maintenance window',
  actor: 'arn:aws:sts::111122223333:assumed-role/ops/alice',
  changedAt: Date.parse('2026-01-01T00:00:00Z'),
  version: 1,
  ...over,
});

// biome-ignore lint/suspicious/noExplicitAny: the document client's stub types do not unify across tests.
type DocStub = AwsStub<any, any, any>;

/** Every voter's copy answers with `item` (per region, or one for all); undefined: no copy. */
export function stubPause(
  doc: DocStub,
  regions: readonly string[],
  item?: PauseItem | Readonly<Record<string, PauseItem | undefined>>,
  cluster = 'artifactory-prod',
): void {
  for (const r of regions) {
    const it =
      item === undefined || 'version' in item
        ? (item as PauseItem | undefined)
        : (item as Record<string, PauseItem | undefined>)[r];
    doc
      .on(GetCommand, { TableName: routingTableIn(r), Key: pauseKey(cluster) })
      .resolves(it === undefined ? {} : { Item: { ...pauseKey(cluster), ...it } });
  }
}

/** The writes the sweep made to the copies (repairs, reminder claims). */
export function pauseWrites(doc: DocStub): { command: string; table: string }[] {
  return doc
    .calls()
    .map((c: { args: [{ input: { TableName?: string } }] }) => c.args[0])
    .filter((cmd: unknown) => cmd instanceof PutCommand || cmd instanceof UpdateCommand)
    .map((cmd: { constructor: { name: string }; input: { TableName?: string } }) => ({
      command: cmd.constructor.name,
      table: String(cmd.input.TableName),
    }))
    .filter((w: { table: string }) => w.table.startsWith('routing-'));
}
