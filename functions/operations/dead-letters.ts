// FOUNDATION PLACEHOLDER (int branch only): the operations helper replaces this file. Never lands as is.
import type { OperationsContext } from './handler';
import type { OperationsRequest } from './input';

export async function deadLettersList(
  _i: OperationsRequest<'dead-letters-list'>,
  _c: OperationsContext,
  _now: number,
): Promise<unknown> {
  throw new Error('not built yet');
}
export async function deadLettersReplay(
  _i: OperationsRequest<'dead-letters-replay'>,
  _c: OperationsContext,
  _now: number,
): Promise<unknown> {
  throw new Error('not built yet');
}
