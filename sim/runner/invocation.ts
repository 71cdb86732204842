import { AsyncLocalStorage } from 'node:async_hooks';

/** Who is running right now: a Lambda invocation in the twin, with its region and environment. */
export interface Invocation {
  readonly region: string;
  readonly functionName: string;
  readonly env: Readonly<Record<string, string>>;
  readonly lines: string[];
}

export const invocationStore = new AsyncLocalStorage<Invocation>();

let envPatched = false;
let outputPatched = false;

/**
 * Handlers read configuration from process.env, and in the twin several functions in several regions run
 * interleaved in one process. process.env becomes a view that answers from the current invocation's
 * environment first, so each handler sees its own region's values.
 */
export function patchProcessEnv(): void {
  if (envPatched) return;
  envPatched = true;
  const real = process.env;
  process.env = new Proxy(real, {
    get(target, key) {
      const inv = invocationStore.getStore();
      if (inv && typeof key === 'string' && key in inv.env) return inv.env[key];
      return Reflect.get(target, key);
    },
    has(target, key) {
      const inv = invocationStore.getStore();
      return (inv !== undefined && typeof key === 'string' && key in inv.env) || Reflect.has(target, key);
    },
  });
}

/**
 * Lines a handler writes (Powertools logs and EMF metrics, on stdout and stderr) are captured into its
 * invocation instead of the terminal, as Lambda sends them to CloudWatch Logs.
 */
export function patchOutput(): void {
  if (outputPatched) return;
  outputPatched = true;
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (c: string | Uint8Array, ...r: unknown[]) => boolean;
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const inv = invocationStore.getStore();
      if (!inv) return write(chunk, ...rest);
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      for (const line of text.split('\n')) if (line.trim() !== '') inv.lines.push(line);
      return true;
    }) as typeof stream.write;
  }
}
