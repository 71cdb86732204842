/**
 * The routing Lambda (regional-failover and regional-readiness call it): plan, the routing lease (acquire,
 * extend, release), flip, verify, readiness-target and assess. Every op reads the settings, checks the request
 * against them (a bad request is a ValidationError that changed nothing), then routes to its module.
 */
import { route53 } from '../shared/clients/route53';
import { type HandlerContext, makeHandler } from '../shared/handler';
import { flip, verify } from './flip';
import { checkAgainstSettings, type RoutingInput, RoutingInputSchema } from './input';
import { acquire, extend, release } from './lease';
import type { RoutingCtx } from './observe';
import { plan } from './plan';
import { assess, readinessTarget } from './readiness';
import { loadRoutingSettings } from './settings';

/** Each op's answer. */
export interface RoutingResults {
  plan: Awaited<ReturnType<typeof plan>>;
  acquire: Awaited<ReturnType<typeof acquire>>;
  extend: Awaited<ReturnType<typeof extend>>;
  release: Awaited<ReturnType<typeof release>>;
  flip: Awaited<ReturnType<typeof flip>>;
  verify: Awaited<ReturnType<typeof verify>>;
  'readiness-target': Awaited<ReturnType<typeof readinessTarget>>;
  assess: Awaited<ReturnType<typeof assess>>;
}

/** Run one op (tests and the twin call this with their own clock and environment). */
export async function routing<I extends RoutingInput>(
  input: I,
  ctx: Pick<HandlerContext<'route53'>, 'clients' | 'logger' | 'metrics'>,
  deps: { now?: () => number; env?: NodeJS.ProcessEnv } = {},
): Promise<RoutingResults[I['op']]> {
  return (await run(input, ctx, deps)) as RoutingResults[I['op']];
}

async function run(
  input: RoutingInput,
  ctx: Pick<HandlerContext<'route53'>, 'clients' | 'logger' | 'metrics'>,
  deps: { now?: () => number; env?: NodeJS.ProcessEnv },
) {
  const s = loadRoutingSettings(deps.env);
  checkAgainstSettings(input, s);
  const rc: RoutingCtx = {
    logger: ctx.logger,
    metrics: ctx.metrics,
    now: deps.now ?? Date.now,
    route53: ctx.clients.route53,
  };
  switch (input.op) {
    case 'plan':
      return plan(input, s, rc);
    case 'acquire':
      return acquire(input, s, rc);
    case 'extend':
      return extend(input, s, rc);
    case 'release':
      return release(input, s, rc);
    case 'flip':
      return flip(input, s, rc);
    case 'verify':
      return verify(input, s, rc);
    case 'readiness-target':
      return readinessTarget(input, s);
    case 'assess':
      return assess(input, s, rc);
  }
}

export const handler = makeHandler(RoutingInputSchema, { route53 }, (input, ctx) => routing(input, ctx), {
  inputName: 'routing request',
});
