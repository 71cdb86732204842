// FOUNDATION PLACEHOLDER (int branch only): the operations helper replaces this file. Never lands as is.
import type { OperationsContext } from './handler';
import type { OperationsRequest } from './input';

export async function auditQuery(
  _i: OperationsRequest<'audit'>,
  _c: OperationsContext,
  _now: number,
): Promise<unknown> {
  throw new Error('not built yet');
}
