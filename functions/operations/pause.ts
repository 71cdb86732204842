/**
 * The operator's global pause (issue 15): `pause` and `resume` write every voter's copy (functions/shared/pause.ts)
 * and are done when a majority accepted; each change is audited in the local state table and announced once on
 * the topic. `pause-status` shows every copy and the effective state.
 */
import {
  changeDone,
  effectivePause,
  nextPause,
  type PauseItem,
  pauseAuditItem,
  pauseNotice,
  quorumPause,
} from '../core/pause';
import { dynamoDocSdk } from '../shared/clients/dynamodb';
import { snsSdk } from '../shared/clients/sns';
import { ENV, requireBooleanEnv, requireEnv } from '../shared/env';
import { NoQuorum, ValidationError } from '../shared/errors';
import type { HandlerContext } from '../shared/handler';
import { type CopyResult, loadPauseHome, type PauseHome, readAll, writeAll } from '../shared/pause';
import type { OperationsRequest } from './input';

/**
 * What the pause ops use of the operations Lambda's context (not imported from ./handler: the handler imports
 * this module); `env` replaces the process environment in tests.
 */
type OperationsContext = Pick<HandlerContext<'dynamoDoc' | 'sns'>, 'clients' | 'logger' | 'metrics'>;
type Ctx = OperationsContext & { readonly env?: NodeJS.ProcessEnv };

interface OperationsConfig {
  readonly home: PauseHome;
  readonly automationEnabled: boolean;
  readonly stateTable: string;
  readonly topicArn: string;
}

function loadConfig(env?: NodeJS.ProcessEnv): OperationsConfig {
  return {
    home: loadPauseHome(env),
    automationEnabled: requireBooleanEnv(ENV.automationEnabled, env),
    stateTable: requireEnv(ENV.stateTable, env),
    topicArn: requireEnv(ENV.topicArn, env),
  };
}

/** The result of a change: each copy, and the effective state this region's automatic paths now see. */
export interface PauseChangeResult {
  readonly op: 'pause' | 'resume';
  readonly done: true;
  readonly version: number;
  readonly paused: boolean;
  /** `automation.enabled: false` or paused. */
  readonly effective: boolean;
  readonly automationEnabled: boolean;
  readonly copies: CopyResult[];
  readonly audited: boolean;
  readonly notified: boolean;
}

/** Bad input changes nothing: every field is checked before any table is read. */
function checkChange(i: { readonly actor: string; readonly reason: string }): void {
  const issues = [
    ...(typeof i.actor !== 'string' || i.actor.trim() === ''
      ? [{ path: 'actor', message: 'actor must not be empty' }]
      : []),
    ...(typeof i.reason !== 'string' || i.reason.trim() === ''
      ? [{ path: 'reason', message: 'reason must not be empty' }]
      : []),
  ];
  if (issues.length > 0)
    throw new ValidationError(`invalid pause request: ${issues.map((x) => x.path).join(', ')}`, issues);
}

const listCopies = (copies: readonly CopyResult[]) =>
  copies
    .map((c) =>
      c.error === undefined ? `${c.region} ${c.outcome}` : `${c.region} ${c.outcome} (${c.error})`,
    )
    .join(', ');

async function change(
  paused: boolean,
  i: { readonly actor: string; readonly reason: string },
  ctx: Ctx,
  now: number,
): Promise<PauseChangeResult> {
  checkChange(i);
  const config = loadConfig(ctx.env);
  const { home } = config;
  const reads = await readAll(home);
  const reachable = reads.filter((r) => r.reachable).length;
  if (reachable < home.quorum) {
    const unread = reads.flatMap((r) => (r.reachable ? [] : [`${r.region} (${r.error})`]));
    throw new NoQuorum(
      `${paused ? 'pause' : 'resume'} not done, nothing written: only ${reachable} of ${home.voters.length} copies answered (the majority is ${home.quorum}); unreachable: ${unread.join(', ')}`,
    );
  }
  const item = nextPause(reads, { paused, actor: i.actor.trim(), reason: i.reason.trim() }, now);
  const copies = await writeAll(home, item);
  if (
    !changeDone(
      copies.map((c) => c.outcome),
      home.quorum,
    )
  ) {
    ctx.logger.error('pause change without a majority', { version: item.version, copies });
    throw new NoQuorum(
      `${paused ? 'pause' : 'resume'} not done: ${copies.filter((c) => c.outcome === 'written').length} of ${home.voters.length} copies accepted version ${item.version} (the majority is ${home.quorum}): ${listCopies(copies)}. The copies that took it keep it until a newer change; run it again.`,
    );
  }
  const written = copies.filter((c) => c.outcome === 'written').map((c) => c.region);
  // The change stands once a majority holds it: the audit and the announcement are each attempted, and one
  // failing does not keep the other (the result says which failed; so does the log).
  const audited = await attempt(ctx, 'pause audit', () => audit(ctx, config, item, copies));
  const notified = await attempt(ctx, 'pause notification', () => announce(ctx, config, item, written));
  ctx.logger.info(`automation ${paused ? 'paused' : 'resumed'}`, {
    actor: item.actor,
    reason: item.reason,
    version: item.version,
    copies,
  });
  return {
    op: paused ? 'pause' : 'resume',
    done: true,
    version: item.version,
    paused,
    effective: effectivePause(config.automationEnabled, item),
    automationEnabled: config.automationEnabled,
    copies,
    audited,
    notified,
  };
}

async function attempt(ctx: Ctx, what: string, fn: () => Promise<void>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (err) {
    ctx.logger.error(`${what} failed`, { errorName: (err as Error).name, error: (err as Error).message });
    return false;
  }
}

async function audit(
  ctx: Ctx,
  config: OperationsConfig,
  item: PauseItem,
  copies: readonly CopyResult[],
): Promise<void> {
  const { PutCommand } = dynamoDocSdk();
  await ctx.clients.dynamoDoc().send(
    new PutCommand({
      TableName: config.stateTable,
      Item: pauseAuditItem(config.home.cluster, item, copies),
    }),
  );
}

async function announce(
  ctx: Ctx,
  config: OperationsConfig,
  item: PauseItem,
  written: readonly string[],
): Promise<void> {
  const { PublishCommand } = snsSdk();
  const notice = pauseNotice(config.home.cluster, item, written);
  await ctx.clients
    .sns()
    .send(
      new PublishCommand({ TopicArn: config.topicArn, Subject: notice.subject, Message: notice.message }),
    );
}

/** Turn the global pause on: every automatic path holds; manual runs act. */
export async function pause(i: OperationsRequest<'pause'>, ctx: OperationsContext, now: number) {
  return change(true, i, ctx, now);
}

/** Turn it off. */
export async function resume(i: OperationsRequest<'resume'>, ctx: OperationsContext, now: number) {
  return change(false, i, ctx, now);
}

/** Every copy as read, the state a majority shows, and the effective pause this region's paths see. */
export async function pauseStatus(
  _i: OperationsRequest<'pause-status'>,
  ctx: OperationsContext,
  _now: number,
) {
  const config = loadConfig((ctx as Ctx).env);
  const { home } = config;
  const reads = await readAll(home);
  const local = reads.find((r) => r.region === home.region);
  const localItem = local?.reachable ? local.item : undefined;
  const q = quorumPause(reads, home.quorum);
  return {
    op: 'pause-status' as const,
    automationEnabled: config.automationEnabled,
    /** What this region's automatic paths see now (its own copy; unreadable: they do not act). */
    effective: local?.reachable === true ? effectivePause(config.automationEnabled, localItem) : 'unknown',
    majority:
      q.kind === 'ok'
        ? {
            paused: q.item?.paused ?? false,
            version: q.version,
            actor: q.item?.actor,
            reason: q.item?.reason,
          }
        : {
            error: `only ${q.reachable} of ${home.voters.length} copies answered; the majority is ${home.quorum}`,
          },
    copies: reads.map((r) =>
      r.reachable
        ? { region: r.region, ...(r.item ?? { paused: false, version: 0 }) }
        : { region: r.region, error: r.error },
    ),
  };
}
