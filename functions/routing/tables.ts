/**
 * The routing tables: one per voter region, each reached through a client pinned to its region. A voter that
 * fails to answer (its region lost, DynamoDB failing there) is unreachable for this call; the callers decide
 * with what the others answered.
 */
import { routingLeaseKey, type TableKey } from '../core/keys';
import type { RoutingLeaseItem, VoterRead, WriteOutcome } from '../core/regional-lease';
import { dynamoDocIn, dynamoDocSdk } from '../shared/clients/dynamodb';
import type { RoutingSettings } from './settings';

/** Each voter's answer: a value or the error's name. */
export type Answer<T> =
  | { readonly region: string; readonly ok: true; readonly value: T }
  | { readonly region: string; readonly ok: false; readonly error: string; readonly conditional: boolean };

const errorName = (err: unknown): string => (err as Error | undefined)?.name ?? 'Error';

/** Run `fn` against every voter's table at once and collect each answer. */
export async function eachVoter<T>(
  s: RoutingSettings,
  fn: (table: string, region: string) => Promise<T>,
): Promise<Answer<T>[]> {
  return Promise.all(
    s.voters.map(async (region): Promise<Answer<T>> => {
      try {
        return { region, ok: true, value: await fn(s.tables[region] as string, region) };
      } catch (err) {
        const error = errorName(err);
        return { region, ok: false, error, conditional: error === 'ConditionalCheckFailedException' };
      }
    }),
  );
}

/** A consistent read of one item in every voter. */
export async function readEveryVoter<T>(s: RoutingSettings, key: TableKey): Promise<Answer<T | undefined>[]> {
  const { GetCommand } = dynamoDocSdk();
  return eachVoter(s, async (TableName, region) => {
    const out = await dynamoDocIn(region).send(new GetCommand({ TableName, Key: key, ConsistentRead: true }));
    return out.Item as T | undefined;
  });
}

/** Every voter's `LEASE` item, as the lease rules read them. */
export async function readLeases(s: RoutingSettings): Promise<VoterRead[]> {
  const answers = await readEveryVoter<RoutingLeaseItem>(s, routingLeaseKey(s.cluster));
  return answers.map((a) =>
    a.ok
      ? { region: a.region, reachable: true, item: a.value }
      : { region: a.region, reachable: false, error: a.error },
  );
}

/** A write's answer as the quorum rules count it. */
export function outcomeOf(a: Answer<unknown>): WriteOutcome {
  if (a.ok) return 'ok';
  return a.conditional ? 'lost' : 'unreachable';
}

/** The regions whose answer was a success. */
export const okRegions = (answers: readonly Answer<unknown>[]): string[] =>
  answers.filter((a) => a.ok).map((a) => a.region);

/** The values of the reachable voters. */
export const values = <T>(answers: readonly Answer<T>[]): T[] =>
  answers.flatMap((a) => (a.ok ? [a.value] : []));
