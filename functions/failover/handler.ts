/**
 * failover: the primary-failover workflow's Lambda steps, node-bootstrap's primary claim and the operator's
 * release of a quarantined node, one `op` per call. This module only routes: the reads are in ./observe, the
 * conditional writes in ./fencing and ./quarantine, and every decision is a pure function of functions/core.
 */
import { concludeFailover } from '../core/failover-outcome';
import { heldByPause } from '../core/paused';
import { autoScaling } from '../shared/clients/auto-scaling';
import { dynamoDoc } from '../shared/clients/dynamodb';
import { ec2 } from '../shared/clients/ec2';
import { elbv2 } from '../shared/clients/elbv2';
import { sfn } from '../shared/clients/sfn';
import { makeHandler } from '../shared/handler';
import { automationActive } from '../shared/pause';
import { type FailoverDeps, loadFailoverConfig, type OpContext } from './config';
import { assert, claim, commit, escalate, fence } from './fencing';
import {
  type FailoverOp,
  type FailoverRequest,
  FailoverRequestSchema,
  type OpRequest,
  validate,
} from './input';
import { assess, decide, snapshot } from './observe';
import { quarantine, releaseQuarantine } from './quarantine';

type Op<K extends FailoverOp> = (request: OpRequest<K>, ctx: OpContext) => unknown;

/**
 * Every op the workflows call. A new op is a branch of {@link FailoverRequestSchema} and an entry here (the
 * type refuses a schema branch without one).
 */
const OPS: { readonly [K in FailoverOp]: Op<K> } = {
  validate: async (request, { config, deps }) => {
    const input = validate(request.input, config);
    // Decided once, before the lock: a held run observes and reports, and takes no lock (see primary-failover.md).
    // A manual run is never held, so it reads no pause (a failed read must not stop the operator's run).
    if (input.trigger === 'manual') return { input, paused: false };
    return {
      input,
      paused: heldByPause(input.trigger, await automationActive(config.automationEnabled, deps)),
    };
  },
  observe: snapshot,
  assess,
  // The plan step, before any change: the gate reads the pause again (it may have been set since validate).
  decide: async (request, ctx) =>
    decide(
      request,
      request.input.trigger === 'manual'
        ? ctx
        : {
            ...ctx,
            config: {
              ...ctx.config,
              automationEnabled: await automationActive(ctx.config.automationEnabled, ctx.deps),
            },
          },
    ),
  fence,
  assert,
  commit,
  escalate,
  claim,
  quarantine,
  'release-quarantine': releaseQuarantine,
  conclude: (request) => concludeFailover(request.run, request.execution),
};

/** Run one op with the deployment's config and one `now` for the whole call. */
export async function failover(request: FailoverRequest, deps: FailoverDeps): Promise<unknown> {
  const config = loadFailoverConfig(deps.env);
  const now = (deps.now ?? Date.now)();
  // The table pairs each op with its own request type; indexing it by a union loses that pairing.
  const op = OPS[request.op] as Op<FailoverOp>;
  return op(request, { config, deps, now });
}

export const handler = makeHandler(
  FailoverRequestSchema,
  { dynamoDoc, autoScaling, elbv2, ec2, sfn },
  (request, ctx) => failover(request, ctx),
  {
    inputName: 'failover request',
  },
);
