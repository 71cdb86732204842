/**
 * The routing lease across the voters' tables (functions/core/regional-lease.ts decides): acquire, extend,
 * release, and the fencing check before a switch or gate write.
 */
import type { HolderStatus } from '../core/lease';
import {
  extendWrite,
  fenceVerdict,
  leaseWrite,
  otherHolderVerdict,
  planAcquire,
  quorumVerdict,
  releaseWrite,
  type VoterRead,
} from '../core/regional-lease';
import { dynamoDocIn, dynamoDocSdk } from '../shared/clients/dynamodb';
import { sfnIn, sfnSdk } from '../shared/clients/sfn';
import { Fenced, NoQuorum, RoutingLeaseBusy } from '../shared/errors';
import { MetricUnit } from '../shared/powertools';
import type { OpInput } from './input';
import type { RoutingCtx } from './observe';
import type { RoutingSettings } from './settings';
import { eachVoter, okRegions, outcomeOf, readLeases } from './tables';

/** Emitted when the routing lease ran out under a running holder: its TTL was sized too short. */
export const ROUTING_LEASE_EXPIRED_METRIC = 'RoutingLeaseExpiredUnderRunningHolder';

/** The region of an execution ARN (`arn:aws:states:<region>:…`). */
export const regionOfArn = (arn: string): string => arn.split(':')[3] ?? '';

/**
 * The holder's status from Step Functions in ITS region: a region that cannot be asked counts as running (a
 * lost region's run may still act when it comes back).
 */
async function holderStatus(holder: string): Promise<HolderStatus | 'UNREACHABLE'> {
  const { DescribeExecutionCommand } = sfnSdk();
  try {
    const out = await sfnIn(regionOfArn(holder)).send(new DescribeExecutionCommand({ executionArn: holder }));
    return (out.status ?? 'GONE') as HolderStatus;
  } catch (err) {
    if ((err as Error).name === 'ExecutionDoesNotExist') return 'GONE';
    return 'UNREACHABLE';
  }
}

export interface LeaseResult {
  readonly epoch: number;
  readonly votes: string[];
  readonly quorum: number;
}

/** Take the routing lease in a majority of the voters, or fail `RoutingLeaseBusy` / `NoQuorum`. */
export async function acquire(
  input: OpInput<'acquire'>,
  s: RoutingSettings,
  ctx: RoutingCtx,
): Promise<LeaseResult> {
  const now = ctx.now();
  const reads = await readLeases(s);
  const ended = new Set<string>();
  // Each round settles one other holder; there are at most as many holders as voters.
  for (let round = 0; round <= s.voters.length; round++) {
    const plan = planAcquire(reads, input.owner, s.quorum, ended);
    if (plan.kind === 'no-quorum')
      throw new NoQuorum(
        `routing lease: only ${plan.reachable} of ${s.voters.length} routing tables answered; the quorum is ${plan.quorum}`,
      );
    if (plan.kind === 'ask') {
      const item = reads.find((r) => r.reachable && r.item?.holder === plan.holder);
      const status = await holderStatus(plan.holder);
      const verdict = otherHolderVerdict((item?.reachable && item.item) || {}, status, now);
      if (verdict === 'take-over') {
        ctx.logger.warn('routing lease: taking over from an ended execution', {
          previous: plan.holder,
          status,
        });
        ended.add(plan.holder);
        continue;
      }
      if (verdict === 'expired-under-running-holder') {
        ctx.logger.error('routing lease expired under a running holder: not taken over', {
          holder: plan.holder,
        });
        ctx.metrics.addMetric(ROUTING_LEASE_EXPIRED_METRIC, MetricUnit.Count, 1);
      }
      throw new RoutingLeaseBusy(`the routing lease is held by ${plan.holder} (${status})`, plan.holder);
    }
    const answers = await writeLease(s, reads, { ...input, epoch: plan.epoch }, now);
    const verdict = quorumVerdict(answers.map(outcomeOf), s.quorum);
    const votes = okRegions(answers);
    if (verdict === 'held') {
      ctx.logger.info('routing lease acquired', { owner: input.owner, epoch: plan.epoch, votes });
      return { epoch: plan.epoch, votes, quorum: s.quorum };
    }
    // A minority: give back what we won, so another run can gather its majority.
    await giveBack(s, { owner: input.owner, epoch: plan.epoch });
    throw new NoQuorum(
      `routing lease: ${votes.length} of ${s.voters.length} routing tables accepted epoch ${plan.epoch} (${votes.join(', ') || 'none'}); the quorum is ${s.quorum}`,
    );
  }
  // `ended` grows each round, so more rounds than voters means a table keeps naming new holders.
  throw new NoQuorum('routing lease: too many holders to settle');
}

async function writeLease(
  s: RoutingSettings,
  reads: readonly VoterRead[],
  req: { owner: string; epoch: number; ttlSeconds: number },
  now: number,
) {
  const { UpdateCommand } = dynamoDocSdk();
  return eachVoter(s, async (TableName, region) => {
    const read = reads.find((r) => r.region === region);
    // A voter we could not read is not written: we do not know what we would overwrite.
    if (read === undefined || !read.reachable) throw Object.assign(new Error('unread'), { name: 'Unread' });
    await dynamoDocIn(region).send(
      new UpdateCommand({ TableName, ...leaseWrite(s.cluster, read.item, req, now) }),
    );
  });
}

async function giveBack(s: RoutingSettings, req: { owner: string; epoch: number }) {
  const { UpdateCommand } = dynamoDocSdk();
  return eachVoter(s, async (TableName, region) => {
    await dynamoDocIn(region).send(new UpdateCommand({ TableName, ...releaseWrite(s.cluster, req) }));
  });
}

/** Extend our lease in a majority, or fail `Fenced` (lost) / `NoQuorum` (too few answered). */
export async function extend(
  input: OpInput<'extend'>,
  s: RoutingSettings,
  ctx: RoutingCtx,
): Promise<LeaseResult> {
  const { UpdateCommand } = dynamoDocSdk();
  const now = ctx.now();
  const answers = await eachVoter(s, async (TableName, region) => {
    await dynamoDocIn(region).send(new UpdateCommand({ TableName, ...extendWrite(s.cluster, input, now) }));
  });
  const verdict = quorumVerdict(answers.map(outcomeOf), s.quorum);
  const votes = okRegions(answers);
  if (verdict === 'fenced')
    throw new Fenced(`routing lease epoch ${input.epoch} is no longer ${input.owner}'s in a majority`);
  if (verdict === 'no-quorum')
    throw new NoQuorum(
      `routing lease: ${votes.length} of ${s.voters.length} routing tables extended; the quorum is ${s.quorum}`,
    );
  return { epoch: input.epoch, votes, quorum: s.quorum };
}

/** Give the lease back wherever it is ours; never fails for an unreachable table. */
export async function release(
  input: OpInput<'release'>,
  s: RoutingSettings,
  ctx: RoutingCtx,
): Promise<{ released: string[] }> {
  const answers = await giveBack(s, input);
  const released = okRegions(answers);
  ctx.logger.info('routing lease released', { owner: input.owner, epoch: input.epoch, released });
  return { released };
}

/** Before a fenced write: a majority must still show our epoch and holder, and none a newer epoch. */
export async function checkFence(s: RoutingSettings, owner: string, epoch: number): Promise<void> {
  const v = fenceVerdict(await readLeases(s), owner, epoch, s.quorum);
  if (v.verdict === 'fenced') throw new Fenced(`superseded: ${v.detail}`);
  if (v.verdict === 'no-quorum') throw new NoQuorum(`routing lease: ${v.detail}`);
}
