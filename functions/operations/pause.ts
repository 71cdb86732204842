// FOUNDATION PLACEHOLDER (int branch only): the pause helper replaces this file. Never lands as is.
import type { OperationsContext } from './handler';
import type { OperationsRequest } from './input';

export async function pause(
  _i: OperationsRequest<'pause'>,
  _c: OperationsContext,
  _now: number,
): Promise<unknown> {
  throw new Error('not built yet');
}
export async function resume(
  _i: OperationsRequest<'resume'>,
  _c: OperationsContext,
  _now: number,
): Promise<unknown> {
  throw new Error('not built yet');
}
export async function pauseStatus(
  _i: OperationsRequest<'pause-status'>,
  _c: OperationsContext,
  _now: number,
): Promise<unknown> {
  throw new Error('not built yet');
}
