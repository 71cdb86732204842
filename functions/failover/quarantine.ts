/**
 * The failover Lambda's quarantine writes: `quarantine` (primary-failover-quarantine records a node before it
 * demotes or stops it, then how it did) and `release-quarantine` (an operator takes one node out of
 * quarantine, audited). The rules are functions/core/quarantine.ts; the conditional writes are built in
 * functions/core/fencing.ts.
 */
import { toClusterState } from '../core/failover';
import {
  quarantineFenceUpdate,
  quarantineFirstUpdate,
  quarantineUpdate,
  releaseUpdate,
  type UpdateRequest,
} from '../core/fencing';
import { isQuarantined, quarantineRefusal, releaseAuditPut, releaseCheck } from '../core/quarantine';
import { putAudit } from '../shared/audit';
import { dynamoDocSdk } from '../shared/clients/dynamodb';
import { ConflictError, TransientError, ValidationError } from '../shared/errors';
import { MetricUnit } from '../shared/powertools';
import type { OpContext } from './config';
import type { OpRequest } from './input';
import { readState } from './observe';

const conditionFailed = (err: unknown) => (err as Error).name === 'ConditionalCheckFailedException';

/** Send `update`; false when its condition failed. */
async function sendConditional({ config, deps }: OpContext, update: UpdateRequest): Promise<boolean> {
  const { UpdateCommand } = dynamoDocSdk();
  try {
    await deps.clients.dynamoDoc().send(new UpdateCommand({ TableName: config.stateTable, ...update }));
    return true;
  } catch (err) {
    if (conditionFailed(err)) return false;
    throw err;
  }
}

/**
 * What `quarantine` answers: whether the node is (still) recorded, and why not when it is not (`''` when it
 * is: Step Functions' JSONPath fails on a missing field).
 */
export interface QuarantineAnswer {
  readonly instanceId: string;
  readonly recorded: boolean;
  readonly why: string;
}

/**
 * `quarantine` without `fence`: record the node (`pending`) before anyone touches it, unless another election
 * owns it now (then `recorded: false` and the node is left alone). With `fence`: record how it was put out of
 * service. A record that keeps meeting a changing state item is a {@link TransientError} (the workflow
 * retries it).
 */
export async function quarantine(
  request: OpRequest<'quarantine'>,
  ctx: OpContext,
): Promise<QuarantineAnswer> {
  const { deps, now } = ctx;
  const { instanceId } = request;
  if (request.fence !== undefined) {
    const done = await sendConditional(ctx, quarantineFenceUpdate({ ...request, fence: request.fence }, now));
    deps.logger.info('quarantine fence recorded', { instanceId, fence: request.fence, recorded: done });
    return done
      ? { instanceId, recorded: true, why: '' }
      : { instanceId, recorded: false, why: `${instanceId} is no longer quarantined (released meanwhile)` };
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    const state = toClusterState(await readState(ctx, request.cluster));
    const refusal = quarantineRefusal(state, request);
    if (refusal !== undefined) {
      deps.logger.warn('quarantine refused: another election owns the node', { instanceId, refusal });
      return { instanceId, recorded: false, why: refusal };
    }
    if (isQuarantined(state, instanceId)) return { instanceId, recorded: true, why: '' };
    const update =
      state?.quarantine === undefined ? quarantineFirstUpdate(request, now) : quarantineUpdate(request, now);
    if (await sendConditional(ctx, update)) {
      deps.metrics.addMetric('PrimaryQuarantined', MetricUnit.Count, 1);
      deps.logger.warn('node quarantined', { instanceId, reason: request.reason, epoch: request.epoch });
      return { instanceId, recorded: true, why: '' };
    }
  }
  throw new TransientError(`the cluster state kept changing while quarantining ${instanceId}`);
}

/**
 * `release-quarantine` (an operator): take one node out of quarantine with a conditional write (only the
 * entry that was checked), then write the audit entry. A request for another cluster, or for a node that is
 * not quarantined, is a {@link ValidationError} and changes nothing; an entry that changed meanwhile is a
 * {@link ConflictError}, and nothing is released.
 */
export async function releaseQuarantine(
  request: OpRequest<'release-quarantine'>,
  ctx: OpContext,
): Promise<{ released: string; quarantinedFor: string; quarantinedBy: string }> {
  const { config, deps, now } = ctx;
  const { instanceId } = request;
  if (request.cluster !== config.cluster) {
    const message = `not this deployment's cluster (${config.cluster})`;
    throw new ValidationError(`Invalid release-quarantine request: cluster: ${message}`, [
      { path: 'cluster', message },
    ]);
  }
  const checked = releaseCheck(toClusterState(await readState(ctx, request.cluster)), instanceId);
  if ('error' in checked) {
    throw new ValidationError(`Invalid release-quarantine request: instanceId: ${checked.error}`, [
      { path: 'instanceId', message: checked.error },
    ]);
  }
  const { entry } = checked;
  if (!(await sendConditional(ctx, releaseUpdate({ cluster: request.cluster, instanceId, entry })))) {
    throw new ConflictError(
      `the quarantine entry of ${instanceId} changed while releasing it (released or re-quarantined meanwhile): nothing was released; check it and retry`,
    );
  }
  const release = { ...request, entry };
  try {
    await putAudit(config.stateTable, releaseAuditPut(release, now), deps);
  } catch (err) {
    // The release is done and cannot be undone safely; the log keeps who released what.
    deps.logger.error('quarantine released, audit entry not written', {
      instanceId,
      operator: request.operator,
      reason: request.reason,
      entry,
      errorName: (err as Error).name,
    });
    throw err;
  }
  deps.metrics.addMetric('QuarantineReleased', MetricUnit.Count, 1);
  deps.logger.warn('quarantine released', { instanceId, operator: request.operator, entry });
  return { released: instanceId, quarantinedFor: entry.reason, quarantinedBy: entry.run };
}
