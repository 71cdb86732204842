/** The certs Lambda's ops (see ./handler). */
import {
  certRecordUpdate,
  PlanError,
  planRotation,
  planSummary,
  type RotationPlan,
  requestedProblems,
  type ServedPort,
  servedMismatch,
} from '../core/cert-rotation';
import { dynamoDocSdk } from '../shared/clients/dynamodb';
import { ValidationError } from '../shared/errors';
import { automationActive } from '../shared/pause';
import { parseOrThrow } from '../shared/validation';
import { knownInstances, readCluster, readPki, targetStates } from './cluster';
import type { CertsConfig, CertsDeps } from './config';
import { type OpRequest, type RotationInput, RotationInputSchema } from './input';

/** The served certificate is not the issued one (or the peer could not verify it with the cluster CA). */
export class ServedCertificateMismatch extends Error {
  override readonly name = 'ServedCertificateMismatch';
}

/** Whether the pause holds this run: automatic triggers only; an operator's run (and a new node's) never. */
export function heldByPause(trigger: RotationInput['trigger'], automationEnabled: boolean): boolean {
  return !automationEnabled && (trigger === 'schedule' || trigger === 'alarm');
}

/** `plan`: validate the run's input against the cluster and plan it. Reads only. */
export async function plan(
  request: OpRequest<'plan'>,
  config: CertsConfig,
  deps: CertsDeps,
  now: number,
): Promise<{ input: RotationInput; plan: RotationPlan; paused: boolean; summary: string }> {
  const { input, cluster } = await validatedInput(request.input, config, deps);
  const pki = await readPki(config, deps);
  const probe = request.census;
  const seen = new Map((probe?.seen ?? []).flatMap((b) => b.seen).map((s) => [s.ip, s]));
  const out = planRotation(
    cluster,
    { manual: input.trigger === 'manual', requested: input.nodes, caRotation: input.caRotation },
    config.settings,
    pki,
    new Date(now),
    probe?.peer && probe.seen ? { peer: probe.peer, seen } : undefined,
  );
  deps.logger.info('rotation planned', {
    kind: out.kind,
    phases: out.phases,
    nodes: out.order.length,
    deferred: out.deferred.length,
    concurrency: out.concurrency,
  });
  return {
    input,
    plan: out,
    // Only an automatic trigger can be held, so only one reads the pause (an operator's run never waits on it).
    paused:
      heldByPause(input.trigger, false) &&
      heldByPause(input.trigger, await automationActive(config.automationEnabled, deps)),
    summary: `${planSummary(out)}${censusNote(probe)}`,
  };
}

/**
 * A run's input checked against the cluster (ValidationError: a bad shape, an unknown node, one outside the
 * groups, one named twice), with the cluster as read for it.
 */
export async function validatedInput(raw: unknown, config: CertsConfig, deps: CertsDeps) {
  const input = parseOrThrow(RotationInputSchema, raw, 'cert-rotation input');
  const cluster = await readCluster(config, deps);
  if (input.nodes !== undefined) {
    const ids = new Set(cluster.map((n) => n.instanceId));
    const strangers = input.nodes.filter((id) => !ids.has(id));
    const known =
      strangers.length > 0 ? await knownInstances([...new Set(strangers)], deps) : new Set<string>();
    const problem = requestedProblems(input.nodes, cluster, known);
    if (problem !== undefined) {
      throw new ValidationError(`Invalid cert-rotation input: ${problem}`, [
        { path: 'nodes', message: problem },
      ]);
    }
  }
  return { input, cluster };
}

/** What the report says of the census's probe when it did not look at every node. */
function censusNote(probe: OpRequest<'plan'>['census']): string {
  if (probe === undefined) return '';
  if (probe.error !== undefined) {
    const cause = (probe.error as { Cause?: unknown; Error?: unknown } | null)?.Error ?? 'failed';
    return `; the census probe failed (${String(cause)}): planned from the records only`;
  }
  return probe.skipped ? `; served certificates not probed: ${probe.skipped}` : '';
}

/** `floor`: the node may be taken out only if the other healthy targets still meet the floor. */
export async function floor(request: OpRequest<'floor'>, config: CertsConfig, deps: CertsDeps) {
  const states = await targetStates(config, deps);
  const others = [...states].filter(([id, s]) => id !== request.instanceId && s === 'healthy').length;
  // A node that is not a healthy target serves no one: taking it out (a broken certificate's renewal) costs
  // nothing, whatever the others are; the rollout-capacity invariant counts only healthy targets too.
  const serving = states.get(request.instanceId) === 'healthy';
  if (serving && others < config.settings.minHealthyNodes) {
    throw new PlanError(
      `taking ${request.instanceId} out would leave ${others} healthy target(s), under cluster.minHealthyNodes = ${config.settings.minHealthyNodes}`,
    );
  }
  return { healthyOthers: others, serving };
}

/** `verify`: the peer's probe of both ports must show the issued fingerprint, verified with the cluster CA. */
export function verify(request: OpRequest<'verify'>) {
  let probe: { target: string; ports: ServedPort[] };
  try {
    probe = JSON.parse(request.stdout.trim().split('\n').pop() ?? '') as typeof probe;
    if (typeof probe?.target !== 'string' || !Array.isArray(probe.ports)) throw new Error('shape');
  } catch {
    throw new ServedCertificateMismatch(
      `${request.instanceId}: the peer's probe printed no result line (ProbeServedCertificate's stdout is not its JSON)`,
    );
  }
  const why = servedMismatch(probe, request.ip, request.expected);
  if (why !== undefined) throw new ServedCertificateMismatch(`${request.instanceId} (${request.ip}): ${why}`);
  return { verified: true, fingerprint: request.expected };
}

/** `record`: the node's verified certificate into its record (see certRecordUpdate). */
export async function record(
  request: OpRequest<'record'>,
  config: CertsConfig,
  deps: CertsDeps,
  now: number,
) {
  const { UpdateCommand } = dynamoDocSdk();
  const { serial, notBefore, notAfter, fingerprint, issuer, trusted } = request.issued;
  const cert = {
    serial,
    notBefore,
    notAfter,
    fingerprint,
    issuer,
    trusted: [...trusted],
    installedAt: new Date(now).toISOString(),
    execution: request.execution,
  };
  await deps.clients.dynamoDoc().send(
    new UpdateCommand({
      TableName: config.stateTable,
      ...certRecordUpdate(config.cluster, request.instanceId, cert),
    }),
  );
  return { recorded: request.instanceId, serial, notAfter };
}
