/**
 * The failover Lambda's conditional writes to the cluster's state item: `fence` takes the next epoch for an
 * election, `assert`, `commit` and `escalate` act only for the execution that still owns it, and `claim`
 * takes it for a launching primary. The update expressions are built in functions/core/fencing.ts; a write
 * whose condition fails is a {@link StaleEpochError}.
 */
import { bootstrapRole } from '../core/election-census';
import { toClusterState } from '../core/failover';
import { FAILOVER_GATE, type GateRecord } from '../core/failover-gate';
import {
  candidateUpdate,
  claimUpdate,
  commitUpdate,
  electionRecorded,
  escalateUpdate,
  fenceUpdate,
  gateElectionUpdate,
  holdsEpoch,
  type UpdateRequest,
} from '../core/fencing';
import { gateKey } from '../core/keys';
import { isQuarantined } from '../core/quarantine';
import { dynamoDocSdk } from '../shared/clients/dynamodb';
import { executionStatus } from '../shared/executions';
import { MetricUnit } from '../shared/powertools';
import type { OpContext } from './config';
import type { OpRequest } from './input';
import { livePrimaryGroupPeers, quarantinedLive, readState, recordedPrimaryRunning } from './observe';

/** A typed execution error: the epoch moved on (another election fenced after this one). */
export class StaleEpochError extends Error {
  override readonly name = 'StaleEpoch';
}

/** A typed execution error: the candidate was quarantined after the plan chose it; it is never promoted. */
export class CandidateQuarantinedError extends Error {
  override readonly name = 'CandidateQuarantined';
}

const conditionFailed = (err: unknown) => (err as Error).name === 'ConditionalCheckFailedException';

const send = ({ config, deps }: OpContext, update: UpdateRequest) =>
  deps.clients
    .dynamoDoc()
    .send(new (dynamoDocSdk().UpdateCommand)({ TableName: config.stateTable, ...update }));

/** Send `update`; a failed condition means the epoch is no longer this execution's. */
async function sendOwned(ctx: OpContext, update: UpdateRequest, epoch: number): Promise<void> {
  try {
    await send(ctx, update);
  } catch (err) {
    if (conditionFailed(err)) throw new StaleEpochError(`epoch ${epoch} no longer belongs to this execution`);
    throw err;
  }
}

/** `fence`: take the next epoch for this execution, then record the election in the gate (once). */
export async function fence(request: OpRequest<'fence'>, ctx: OpContext): Promise<{ epoch: number }> {
  const { config, deps, now } = ctx;
  const update = fenceUpdate(
    {
      cluster: request.cluster,
      execution: request.execution,
      expectedEpoch: request.expectedEpoch,
      failedPrimary: request.plan.failedPrimary,
      prune: request.plan.prune,
    },
    now,
  );
  try {
    await send(ctx, update);
  } catch (err) {
    if (conditionFailed(err)) {
      throw new StaleEpochError(
        `epoch ${request.expectedEpoch} is stale: another election or bootstrap claim fenced first`,
      );
    }
    throw err;
  }
  const gateNow = await deps.clients.dynamoDoc().send(
    new (dynamoDocSdk().GetCommand)({
      TableName: config.stateTable,
      Key: gateKey(request.cluster, FAILOVER_GATE),
      ConsistentRead: true,
    }),
  );
  const gate = gateNow.Item as (GateRecord & { execution?: string }) | undefined;
  // Demoting extra primaries is not an election: it must not start the cooldown that would then refuse the
  // election a later failure of the kept primary needs.
  if (request.plan.action !== 'demote' && !electionRecorded(gate, request.execution)) {
    const budgeted = request.plan.budgeted !== false;
    await send(
      ctx,
      gateElectionUpdate({ cluster: request.cluster, execution: request.execution, budgeted }, gate, now),
    );
  }
  const epoch = request.expectedEpoch + 1;
  deps.metrics.addMetric('PrimaryFenced', MetricUnit.Count, 1);
  deps.logger.info('fenced', { epoch });
  return { epoch };
}

/**
 * `assert`: the epoch is still this execution's (fenced or committed); with a candidate, record it (once) so
 * a re-run can find it if this execution dies.
 */
export async function assert(
  request: OpRequest<'assert'>,
  ctx: OpContext,
): Promise<{ epoch: number; held: true }> {
  const s = await readState(ctx, request.cluster);
  if (!holdsEpoch(s, request)) {
    throw new StaleEpochError(
      `epoch ${request.epoch} no longer belongs to this execution (now ${s?.epoch ?? 0}, ${s?.phase ?? 'none'})`,
    );
  }
  if (isQuarantined(toClusterState(s), request.candidate)) {
    throw new CandidateQuarantinedError(
      `candidate ${request.candidate} is quarantined: it is never promoted`,
    );
  }
  if (request.candidate !== undefined && s?.candidate !== request.candidate) {
    // Conditioned on the epoch, its owner, and the candidate not being quarantined meanwhile.
    try {
      await send(ctx, candidateUpdate(request, request.candidate));
    } catch (err) {
      if (!conditionFailed(err)) throw err;
      const now = toClusterState(await readState(ctx, request.cluster));
      if (holdsEpoch(now, request) && isQuarantined(now, request.candidate)) {
        throw new CandidateQuarantinedError(
          `candidate ${request.candidate} is quarantined: it is never promoted`,
        );
      }
      throw new StaleEpochError(`epoch ${request.epoch} no longer belongs to this execution`);
    }
  }
  return { epoch: request.epoch, held: true };
}

/** `commit`: the election succeeded; with `primary`, it is recorded as the primary. */
export async function commit(
  request: OpRequest<'commit'>,
  ctx: OpContext,
): Promise<{ epoch: number; committed: true }> {
  await sendOwned(ctx, commitUpdate(request, ctx.now), request.epoch);
  return { epoch: request.epoch, committed: true };
}

/** `escalate`: the election gave up; the epoch stays this execution's until the next fence or claim. */
export async function escalate(
  request: OpRequest<'escalate'>,
  ctx: OpContext,
): Promise<{ epoch: number; escalated: true }> {
  await sendOwned(ctx, escalateUpdate(request, ctx.now), request.epoch);
  return { epoch: request.epoch, escalated: true };
}

/**
 * `claim` (node-bootstrap): decide the launching node's role and, for the primary, take the epoch. A fence or
 * claim landing between the read and the write makes it decide again on the new state, at most three times.
 * `askAgain`: a member only because a peer Auto Scaling is replacing still runs; node-bootstrap asks again.
 */
export async function claim(
  request: OpRequest<'claim'>,
  ctx: OpContext,
): Promise<{ role: 'primary' | 'member'; reason: string; askAgain: boolean; epoch?: number }> {
  const { config, deps, now } = ctx;
  for (let attempt = 0; attempt < 3; attempt++) {
    const state = toClusterState(await readState(ctx, request.cluster));
    const recordedPrimary = state?.primary;
    const running =
      recordedPrimary !== undefined &&
      recordedPrimary !== request.instanceId &&
      (await recordedPrimaryRunning(recordedPrimary, ctx));
    // Nothing recorded: any other live instance of the primary group may be the primary.
    const peers =
      recordedPrimary === undefined && request.role === 'primary' && config.mode === 'legacy-primary'
        ? await livePrimaryGroupPeers(request.instanceId, ctx)
        : { live: false, leaving: false };
    // A fence stands while its election runs, however long; once that execution has ended it stands no more.
    const fenceOwnerRunning =
      state?.phase === 'fenced' && state.owner !== undefined
        ? (await executionStatus(state.owner, deps)) === 'RUNNING'
        : undefined;
    const quarantined =
      request.role === 'primary' && config.mode === 'legacy-primary'
        ? await quarantinedLive(state, request.instanceId, ctx)
        : [];
    const decision = bootstrapRole(
      {
        instanceId: request.instanceId,
        groupRole: request.role,
        mode: config.mode,
        recordedPrimaryRunning: running,
        livePeerInPrimaryGroup: peers.live,
        livePeersLeaving: peers.leaving,
        fenceOwnerRunning,
        quarantinedLive: quarantined,
      },
      state,
      now,
    );
    if (!decision.claim) {
      deps.logger.info('bootstrap role', { instanceId: request.instanceId, role: decision.role });
      return { role: decision.role, reason: decision.reason, askAgain: decision.askAgain };
    }
    const expectedEpoch = state?.epoch ?? 0;
    try {
      const update = claimUpdate(
        {
          cluster: request.cluster,
          instanceId: request.instanceId,
          execution: request.execution,
          expectedEpoch,
        },
        now,
      );
      await send(ctx, update);
      deps.logger.info('primary claimed', { instanceId: request.instanceId, epoch: expectedEpoch + 1 });
      return { role: 'primary', reason: decision.reason, askAgain: false, epoch: expectedEpoch + 1 };
    } catch (err) {
      if (!conditionFailed(err)) throw err;
    }
  }
  throw new StaleEpochError('the cluster state kept changing while claiming the primary role');
}
