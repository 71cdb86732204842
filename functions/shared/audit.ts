/** Writing audit entries to the state table. */
import { type AuditEntry, type AuditPut, auditPut } from '../core/audit';
import { dynamoDocSdk } from './clients/dynamodb';
import type { Deps } from './handler';

/**
 * Put an audit entry built by functions/core/audit.ts. A `duplicate` entry is conditional: when the condition
 * fails, an earlier delivery's entry stands, and that is no error.
 */
export async function putAudit(
  stateTable: string,
  put: AuditPut,
  deps: Pick<Deps<'dynamoDoc'>, 'clients'>,
): Promise<void> {
  const { PutCommand } = dynamoDocSdk();
  try {
    await deps.clients.dynamoDoc().send(new PutCommand({ TableName: stateTable, ...put }));
  } catch (err) {
    if (put.ConditionExpression !== undefined && (err as Error).name === 'ConditionalCheckFailedException') {
      return;
    }
    throw err;
  }
}

/** Write a lifecycle decision's audit entry (see {@link auditPut}). */
export async function writeAudit(
  entry: AuditEntry,
  config: { readonly stateTable: string },
  deps: Pick<Deps<'dynamoDoc'>, 'clients' | 'now'>,
): Promise<void> {
  await putAudit(config.stateTable, auditPut(entry, (deps.now ?? Date.now)()), deps);
}
