/**
 * The global pause's copies (functions/core/pause.ts decides): one `PAUSE` item in every voter's routing table.
 * Readers read their own region's copy ({@link readPause}); the operations Lambda and the sweep read and write
 * every copy through the region-pinned clients, as the routing lease does (functions/routing/lease.ts).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { pauseKey } from '../core/keys';
import {
  type CopyOutcome,
  effectivePause,
  majority,
  type PauseItem,
  type PauseRead,
  pauseWrite,
  reminderClaim,
} from '../core/pause';
import { dynamoDocIn, dynamoDocSdk } from './clients/dynamodb';
import { ENV, requireEnv } from './env';
import { ConfigurationError } from './errors';

/** Where the pause lives: the voters' routing tables, and this function's region and cluster. */
export interface PauseHome {
  readonly cluster: string;
  /** This function's region (its copy is the one {@link readPause} reads). */
  readonly region: string;
  /** The voters, in configuration order (every configured region, then the witness). */
  readonly voters: readonly string[];
  /** The routing table's name in each voter region. */
  readonly tables: Readonly<Record<string, string>>;
  readonly quorum: number;
}

const TablesSchema = z.record(z.string().check(z.minLength(1)), z.string().check(z.minLength(1)));

/**
 * Read {@link ENV.pauseTables} (JSON: voter region → routing table name), the cluster and the region; a
 * missing or malformed value, or a region without a table, is a {@link ConfigurationError} naming it.
 */
export function loadPauseHome(env?: NodeJS.ProcessEnv): PauseHome {
  const cluster = requireEnv(ENV.clusterName, env);
  const region = requireEnv(ENV.awsRegion, env);
  let raw: unknown;
  try {
    raw = JSON.parse(requireEnv(ENV.pauseTables, env));
  } catch (err) {
    if (err instanceof ConfigurationError) throw err;
    throw new ConfigurationError(`${ENV.pauseTables} is not JSON`);
  }
  const parsed = TablesSchema.safeParse(raw);
  if (!parsed.success || Object.keys(parsed.data).length === 0)
    throw new ConfigurationError(`${ENV.pauseTables} must map each voter region to its routing table`);
  const tables = parsed.data;
  if (tables[region] === undefined)
    throw new ConfigurationError(`${ENV.pauseTables} has no routing table for this region (${region})`);
  const voters = Object.keys(tables);
  return { cluster, region, voters, tables, quorum: majority(voters.length) };
}

const PauseItemSchema = z.object({
  paused: z.boolean(),
  reason: z.string(),
  actor: z.string(),
  changedAt: z.number(),
  version: z.int().check(z.gte(1)),
  remindedAt: z.optional(z.number()),
});

/** A copy that is not a pause item (edited by hand): no automatic path may guess what it means. */
export class PauseItemInvalid extends Error {
  override readonly name = 'PauseItemInvalid';
}

function asPause(item: Record<string, unknown> | undefined, region: string): PauseItem | undefined {
  if (item === undefined) return undefined;
  const parsed = PauseItemSchema.safeParse(item);
  if (!parsed.success)
    throw new PauseItemInvalid(
      `the PAUSE item in ${region}'s routing table is malformed (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`,
    );
  const { paused, reason, actor, changedAt, version, remindedAt } = parsed.data;
  return { paused, reason, actor, changedAt, version, ...(remindedAt === undefined ? {} : { remindedAt }) };
}

async function getCopy(
  client: DynamoDBDocumentClient,
  home: PauseHome,
  region: string,
): Promise<PauseItem | undefined> {
  const { GetCommand } = dynamoDocSdk();
  const out = await client.send(
    new GetCommand({ TableName: home.tables[region], Key: pauseKey(home.cluster), ConsistentRead: true }),
  );
  return asPause(out.Item, region);
}

/**
 * The local region's copy (consistent read), through the function's own DynamoDB client. A failed read throws:
 * an automatic path that cannot tell whether it is paused does not act (its event is retried, then kept).
 */
export async function readPause(
  home: PauseHome,
  client: DynamoDBDocumentClient,
): Promise<PauseItem | undefined> {
  return getCopy(client, home, home.region);
}

/** The effective pause as the local copy and the deploy-time switch say it, with the item read. */
export async function pauseState(
  home: PauseHome,
  automationEnabled: boolean,
  client: DynamoDBDocumentClient,
): Promise<{ readonly paused: boolean; readonly item: PauseItem | undefined }> {
  const item = await readPause(home, client);
  return { paused: effectivePause(automationEnabled, item), item };
}

const errorName = (err: unknown): string => (err as Error | undefined)?.name ?? 'Error';

/** Every voter's copy, read at once; a copy that did not answer (or is malformed) is unreachable with its error. */
export async function readAll(home: PauseHome): Promise<PauseRead[]> {
  return Promise.all(
    home.voters.map(async (region): Promise<PauseRead> => {
      try {
        return { region, reachable: true, item: await getCopy(dynamoDocIn(region), home, region) };
      } catch (err) {
        return { region, reachable: false, error: errorName(err) };
      }
    }),
  );
}

/** One copy's answer to a write: written, refused because it holds a newer version, or the error. */
export interface CopyResult {
  readonly region: string;
  readonly outcome: CopyOutcome;
  readonly error?: string;
}

async function writeCopy(home: PauseHome, region: string, item: PauseItem): Promise<CopyResult> {
  const { PutCommand } = dynamoDocSdk();
  try {
    await dynamoDocIn(region).send(
      new PutCommand({ TableName: home.tables[region], ...pauseWrite(home.cluster, item) }),
    );
    return { region, outcome: 'written' };
  } catch (err) {
    const error = errorName(err);
    if (error === 'ConditionalCheckFailedException') return { region, outcome: 'newer', error };
    return { region, outcome: 'unreachable', error };
  }
}

/** Write `item` into every voter's copy (each only over a lower version). */
export async function writeAll(home: PauseHome, item: PauseItem): Promise<CopyResult[]> {
  return Promise.all(home.voters.map((region) => writeCopy(home, region, item)));
}

/** The sweep's repair: write the majority's newer `item` into this region's copy. */
export async function repairLocal(home: PauseHome, item: PauseItem): Promise<CopyResult> {
  return writeCopy(home, home.region, item);
}

/**
 * Claim this period's reminder on every copy; the claim holds when a majority accepted (so at most one sweep
 * sends it per period, cluster-wide).
 */
export async function claimReminder(
  home: PauseHome,
  item: PauseItem,
  hours: number,
  now: number,
): Promise<{ readonly claimed: boolean; readonly copies: CopyResult[] }> {
  const { UpdateCommand } = dynamoDocSdk();
  const copies = await Promise.all(
    home.voters.map(async (region): Promise<CopyResult> => {
      try {
        await dynamoDocIn(region).send(
          new UpdateCommand({
            TableName: home.tables[region],
            ...reminderClaim(home.cluster, item, hours, now),
          }),
        );
        return { region, outcome: 'written' };
      } catch (err) {
        const error = errorName(err);
        return {
          region,
          outcome: error === 'ConditionalCheckFailedException' ? 'newer' : 'unreachable',
          error,
        };
      }
    }),
  );
  return { claimed: copies.filter((c) => c.outcome === 'written').length >= home.quorum, copies };
}

/**
 * Whether an automatic path may act: the deploy-time switch on (`automation.enabled`) and this region's copy
 * not paused. With the switch off nothing is read (it is paused whatever the copy says). A failed read throws:
 * the path does not act, and its event is retried (then kept in the dead-letter queue).
 */
export async function automationActive(
  automationEnabled: boolean,
  deps: {
    readonly clients: { readonly dynamoDoc: () => DynamoDBDocumentClient };
    readonly env?: NodeJS.ProcessEnv | undefined;
  },
): Promise<boolean> {
  if (!automationEnabled) return false;
  const item = await readPause(loadPauseHome(deps.env), deps.clients.dynamoDoc());
  return item?.paused !== true;
}
