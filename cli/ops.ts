/** Calls the operations Lambda (functions/operations/input.ts is its API) of a region's control plane. */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { OperationsInput } from '../functions/operations/input';
import type { CliContext } from './context';
import { CliError } from './errors';
import { EXIT } from './exit-codes';

/** Invokes the op synchronously; a function error is CliError(3) with the function's message. */
export async function callOperation<T = Record<string, unknown>>(
  ctx: CliContext,
  region: string,
  input: OperationsInput,
): Promise<T> {
  const stack = await ctx.backend.stack(region);
  const out = await ctx.backend.clients(region).lambda.send(
    new InvokeCommand({
      FunctionName: stack.operationsFunction,
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(JSON.stringify(input)),
    }),
  );
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  if (out.FunctionError) {
    const b = body as { errorType?: string; errorMessage?: string } | undefined;
    throw new CliError(
      EXIT.FAILED,
      `the operation ${input.op} failed in ${region}: ${b?.errorType ?? out.FunctionError}: ${b?.errorMessage ?? text}`,
    );
  }
  return body as T;
}
