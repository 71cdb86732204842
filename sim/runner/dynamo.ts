import { type ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { VirtualClock } from '../core/clock';
import { invocationStore } from './invocation';

/**
 * The HTTP exchange with dynalite, and only it, is real I/O the virtual clock must wait for: the SDK's own
 * waits around it (retry back-off, adaptive rate limiting) are timers that run on virtual time like any
 * other. The response body is read inside the tracked region so no real I/O is left once it ends.
 */
type Handle = NodeHttpHandler['handle'];

class TrackedHttpHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };
  private readonly inner = new NodeHttpHandler();

  constructor(private readonly clock: VirtualClock) {}

  handle(...[request, options]: Parameters<Handle>): ReturnType<Handle> {
    return this.clock.track(async () => {
      const { response } = await this.inner.handle(request, options);
      const chunks: Buffer[] = [];
      for await (const chunk of response.body as AsyncIterable<Buffer | string>) {
        chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      }
      return { response: { ...response, body: Readable.from([Buffer.concat(chunks)]) } };
    });
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {
    this.inner.destroy();
  }
}

const SERVER = path.join(__dirname, 'dynalite-server.cjs');

/** Real timers: the idle server's reaper runs on wall time, whatever clock a twin installs later. */
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
/** How long an emptied server waits for the next twin of this process before it is stopped. */
const IDLE_SERVER_MS = 2_000;

interface Server {
  readonly child: ChildProcess;
  readonly port: number;
}
let idleServer: (Server & { reaper: ReturnType<typeof setTimeout> }) | undefined;

function takeIdleServer(): Server | undefined {
  const idle = idleServer;
  idleServer = undefined;
  if (!idle) return undefined;
  realClearTimeout(idle.reaper);
  if (idle.child.exitCode !== null || !idle.child.connected) return undefined;
  idle.child.ref();
  idle.child.channel?.ref();
  return { child: idle.child, port: idle.port };
}

function keepIdleServer(server: Server): void {
  if (idleServer) void stopServer(idleServer.child);
  // An idle server holds neither this process nor the test runner: it exits with its parent (dynalite-server.cjs).
  server.child.unref();
  server.child.channel?.unref();
  const reaper = realSetTimeout(() => {
    if (idleServer?.child === server.child) idleServer = undefined;
    void stopServer(server.child);
  }, IDLE_SERVER_MS);
  (reaper as { unref?: () => void }).unref?.();
  idleServer = { ...server, reaper };
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || !child.connected) return Promise.resolve();
  return new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.disconnect();
  });
}

/** Deletes every table of the server (in any region: dynalite's tables are global); whether it is now empty. */
async function emptyServer(port: number): Promise<boolean> {
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'twin', secretAccessKey: 'twin' },
    maxAttempts: 1,
  });
  try {
    for (let round = 0; round < 10; round++) {
      const { TableNames = [] } = await client.send(new ListTablesCommand({}));
      if (TableNames.length === 0) return true;
      for (const TableName of TableNames) await client.send(new DeleteTableCommand({ TableName }));
    }
    return false;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

/** What the twin does around every DynamoDB request: inject the world's faults, record the call. */
export interface DynamoObserver {
  /** The error an injected fault makes this call fail with, if any; `caller` is whose client makes it. */
  beforeCall(region: string, action: string, caller: 'workflow' | 'handler'): Error | undefined;
  /** Every call, with its error's name when it failed. */
  record(region: string, action: string, error?: string): void;
}

interface StackClient {
  middlewareStack: { add(mw: unknown, opts: Record<string, unknown>): void };
}

/**
 * DynamoDB for the twin: a real dynalite server on 127.0.0.1 in a child process (started and stopped by the
 * twin), reached by real SDK clients whose requests are tracked by the virtual clock.
 */
export class DynamoSim {
  private child: ChildProcess | undefined;
  private port: number | undefined;
  private readonly clients: DynamoDBClient[] = [];

  constructor(
    private readonly clock: VirtualClock,
    private readonly observer?: DynamoObserver,
  ) {}

  /** Starts the server (or takes the idle one a stopped DynamoSim left empty); before or after the clock is installed. */
  async start(): Promise<void> {
    if (this.child) return;
    const idle = takeIdleServer();
    if (idle) {
      this.child = idle.child;
      this.port = idle.port;
      return;
    }
    const child = fork(SERVER, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.child = child;
    this.port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m: { port: number }) => resolve(m.port));
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`dynalite exited with ${code}`)));
    });
  }

  /**
   * Stops using the server: every table is deleted (dynalite drops a deleted table's items), and the empty
   * server is kept for the next DynamoSim of this process, which then starts exactly as on a new server
   * without paying a new process (about 0.2 s of CPU and 0.3 s of waiting per twin). A server that cannot be
   * emptied is stopped instead.
   */
  async stop(): Promise<void> {
    for (const c of this.clients.splice(0)) c.destroy();
    const child = this.child;
    const port = this.port;
    this.child = undefined;
    if (!child || child.exitCode !== null || port === undefined) return;
    if (await emptyServer(port)) {
      keepIdleServer({ child, port });
      return;
    }
    await stopServer(child);
  }

  get endpoint(): string {
    if (this.port === undefined) throw new Error('dynalite is not started');
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * A real DynamoDB client for `region` pointed at dynalite; its requests hold virtual time still. A handler's
   * client retries as the SDK does (3 attempts, standard mode); Step Functions' optimized integration gets
   * `{ sdkRetries: false }`, so a failed request fails the Task and the workflow's own Retry decides.
   */
  client(region: string, opts: { sdkRetries?: boolean; pinned?: boolean } = {}): DynamoDBClient {
    const client = new DynamoDBClient({
      region,
      endpoint: this.endpoint,
      credentials: { accessKeyId: 'twin', secretAccessKey: 'twin' },
      maxAttempts: opts.sdkRetries === false ? 1 : 3,
      retryMode: 'standard',
      requestHandler: new TrackedHttpHandler(this.clock) as unknown as NodeHttpHandler,
    });
    if (this.observer)
      observe(
        client as unknown as StackClient,
        region,
        opts.sdkRetries === false ? 'workflow' : 'handler',
        this.observer,
        opts.pinned === true,
      );
    this.clients.push(client);
    return client;
  }

  /** Creates a table with the control plane's key schema (string pk, optional string sk) and TTL. */
  async createTable(
    region: string,
    name: string,
    opts: { sortKey?: string; partitionKey?: string; ttlAttribute?: string },
  ): Promise<void> {
    const client = this.client(region);
    const pk = opts.partitionKey ?? 'pk';
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: pk, AttributeType: 'S' },
          ...(opts.sortKey ? [{ AttributeName: opts.sortKey, AttributeType: 'S' as const }] : []),
        ],
        KeySchema: [
          { AttributeName: pk, KeyType: 'HASH' },
          ...(opts.sortKey ? [{ AttributeName: opts.sortKey, KeyType: 'RANGE' as const }] : []),
        ],
      }),
    );
    if (opts.ttlAttribute) {
      // dynalite accepts the call; expiry itself is not enforced (audit entries simply stay).
      await client
        .send(
          new UpdateTimeToLiveCommand({
            TableName: name,
            TimeToLiveSpecification: { AttributeName: opts.ttlAttribute, Enabled: true },
          }),
        )
        .catch(() => undefined);
    }
  }
}

/**
 * The twin's faults and call log for one DynamoDB client. The middleware sits in the deserialize step, inside
 * the SDK's retry middleware, so the SDK retries an injected throttling error (ProvisionedThroughputExceeded,
 * ThrottlingException) or 500 (InternalServerError) exactly as it would one from DynamoDB: "the AWS SDKs
 * implement automatic retry logic and exponential backoff" for them (DynamoDB developer guide, "Error handling
 * with DynamoDB"). The region is the current Lambda invocation's, else the client's.
 */
function observe(
  client: StackClient,
  clientRegion: string,
  caller: 'workflow' | 'handler',
  observer: DynamoObserver,
  pinned = false,
): void {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: unknown) => {
        const action = (context.commandName ?? '').replace(/Command$/, '');
        // A pinned client (another region's table) calls its own region; the others the invocation's.
        const region = pinned ? clientRegion : (invocationStore.getStore()?.region ?? clientRegion);
        const fault = observer.beforeCall(region, action, caller);
        if (fault) {
          observer.record(region, action, fault.name);
          throw fault;
        }
        try {
          const out = await next(args);
          observer.record(region, action);
          return out;
        } catch (err) {
          observer.record(region, action, (err as Error).name);
          throw err;
        }
      },
    { step: 'deserialize', priority: 'high', name: 'twinDynamoFaults' },
  );
}
