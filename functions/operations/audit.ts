/**
 * The `audit` op (issue 15 §6): the cluster's audit trail between two times, oldest first, normalised. One
 * Query over the state table (`pk = CLUSTER#<cluster> AND sk BETWEEN AUDIT#<since> AND AUDIT#<until>~`, the
 * query docs/operations.md gives for the AWS CLI), paged until `limit` entries or the end of the window.
 */
import {
  type AuditRecord,
  auditWindow,
  DEFAULT_AUDIT_LIMIT,
  DEFAULT_AUDIT_WINDOW_MS,
  normaliseAuditItem,
} from '../core/audit-trail';
import { AUDIT_SK_PREFIX } from '../core/keys';
import { dynamoDocSdk } from '../shared/clients/dynamodb';
import { ENV, requireEnv } from '../shared/env';
import { ValidationError } from '../shared/errors';
import type { HandlerContext } from '../shared/handler';
import type { OperationsRequest } from './input';

type Context = Pick<HandlerContext<'dynamoDoc'>, 'clients' | 'logger'>;

/** At most this many Query pages per request (1 MB each): the op stays inside its Lambda's 60 s. */
const MAX_PAGES = 20;

export async function auditQuery(i: OperationsRequest<'audit'>, ctx: Context, now: number) {
  const { QueryCommand } = dynamoDocSdk();
  const until = i.until ?? new Date(now).toISOString();
  const since = i.since ?? new Date(new Date(until).getTime() - DEFAULT_AUDIT_WINDOW_MS).toISOString();
  let window: ReturnType<typeof auditWindow>;
  try {
    window = auditWindow(requireEnv(ENV.clusterName), since, until);
  } catch (err) {
    throw new ValidationError(`Invalid operations request: ${(err as Error).message}`, [
      { path: 'since', message: (err as Error).message },
    ]);
  }
  const limit = i.limit ?? DEFAULT_AUDIT_LIMIT;
  const entries: AuditRecord[] = [];
  let start: Record<string, unknown> | undefined;
  let pages = 0;
  do {
    const out = await ctx.clients.dynamoDoc().send(
      new QueryCommand({
        TableName: requireEnv(ENV.stateTable),
        ...window,
        Limit: limit - entries.length,
        ...(start !== undefined ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of out.Items ?? []) {
      const entry = normaliseAuditItem(item);
      if (entry !== undefined) entries.push(entry);
    }
    start = out.LastEvaluatedKey;
    pages++;
  } while (start !== undefined && entries.length < limit && pages < MAX_PAGES);
  const more = start !== undefined;
  return {
    since: window.ExpressionAttributeValues[':from'].slice(AUDIT_SK_PREFIX.length),
    until: window.ExpressionAttributeValues[':to'].slice(AUDIT_SK_PREFIX.length, -1),
    count: entries.length,
    entries,
    // The window holds more: ask again with `since` = the last entry's `at` (entries at that instant repeat).
    ...(more ? { more: true, nextSince: entries.at(-1)?.at } : {}),
  };
}
