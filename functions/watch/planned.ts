/**
 * The watch's reads and write for a planned primary restart (functions/core/planned-restart.ts decides): the
 * `cluster` lease, the holder's status when it is a cert-rotation execution, and the `WATCH#primary-restart`
 * item that remembers since when the restart lasts. Only called when the primary is down.
 */
import { lockKey, type TableKey, watchKey } from '../core/keys';
import {
  type ClusterLease,
  isExecutionOf,
  type PlannedRestartRecord,
  type WatchVerdict,
  watchVerdict,
} from '../core/planned-restart';
import { dynamoDocSdk } from '../shared/clients/dynamodb';
import { executionStatus } from '../shared/executions';
import type { HandlerContext } from '../shared/handler';

export const PLANNED_RESTART_ITEM = 'primary-restart';

export async function plannedRestart(
  settings: { readonly cluster: string; readonly stateTable: string; readonly certRotationArn: string },
  now: number,
  ctx: Pick<HandlerContext<'dynamoDoc' | 'sfn'>, 'clients'>,
): Promise<WatchVerdict> {
  const { GetCommand, PutCommand } = dynamoDocSdk();
  const get = (Key: TableKey) =>
    ctx.clients
      .dynamoDoc()
      .send(new GetCommand({ TableName: settings.stateTable, Key, ConsistentRead: true }))
      .then((out) => out.Item);
  const [lease, record] = await Promise.all([
    get(lockKey(settings.cluster, 'cluster')) as Promise<ClusterLease | undefined>,
    get(watchKey(settings.cluster, PLANNED_RESTART_ITEM)) as Promise<PlannedRestartRecord | undefined>,
  ]);
  const owner = lease?.owner;
  const holderRunning =
    owner !== undefined && isExecutionOf(owner, settings.certRotationArn)
      ? (await executionStatus(owner, ctx)) === 'RUNNING'
      : false;
  const verdict = watchVerdict({
    healthy: 0,
    lease,
    holderRunning,
    record,
    certRotationArn: settings.certRotationArn,
    now,
  });
  if (verdict.kind === 'planned' || verdict.kind === 'overdue') {
    await ctx.clients.dynamoDoc().send(
      new PutCommand({
        TableName: settings.stateTable,
        Item: { ...watchKey(settings.cluster, PLANNED_RESTART_ITEM), ...verdict.record },
      }),
    );
  }
  return verdict;
}
