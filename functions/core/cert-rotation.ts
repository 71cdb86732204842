/**
 * cert-rotation's decisions, pure: which nodes a run rotates, in which order, from which peer each one's
 * served certificate is checked, how many at once without going under `cluster.minHealthyNodes`, whether the
 * certificate a node serves is the one it was issued, and the node record's `cert` attribute. The certs
 * Lambda (functions/certs) reads AWS and the state table and hands the facts to these functions; the policy
 * (what is due, the window, the order) is functions/core/cert-policy.ts.
 */

import { type ServedSeen, servedState } from './cert-census';
import {
  expectedRotationSeconds,
  type NodeCertState,
  type RenewalWindow,
  type RenewReason,
  renewalPlan,
  rolloutOrder,
} from './cert-policy';
import { nodeKey } from './keys';

/** One instance of the cluster as the plan sees it (from Auto Scaling, EC2, the ALB and its record). */
export interface ClusterNode {
  readonly instanceId: string;
  readonly role: 'primary' | 'member';
  readonly ip: string | undefined;
  /** Auto Scaling lifecycle state (`InService`, …). */
  readonly lifecycleState: string;
  /** The ALB's view (`healthy`, `draining`, … or `unregistered`). */
  readonly target: string;
  readonly cert?: NodeCertRecord | undefined;
}

/** The node record's `cert` attribute (issue 13 contract §3). */
export interface NodeCertRecord {
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly fingerprint: string;
  readonly issuer: number;
  readonly trusted: readonly number[];
  readonly installedAt: string;
  readonly execution: string;
}

/** A CA rotation the PKI item records (contract §1). */
export interface CaRotation {
  readonly from: number;
  readonly to: number;
  readonly phase: 'trust' | 'reissue' | 'drop';
}

export interface PlanSettings {
  readonly mode: 'legacy-primary' | 'cloud-native';
  readonly minHealthyNodes: number;
  readonly maxUnavailable: number;
  readonly renewalFraction: number;
  readonly nearExpiryDays: number;
  readonly window?: RenewalWindow | undefined;
  /** The newest deployed CA generation (`certificates.ca.generation`). */
  readonly caGeneration: number;
  /** Drain + restart + verify of one node, for the dry run's estimate. */
  readonly perNodeSeconds: number;
}

export interface PlanRequest {
  readonly manual: boolean;
  readonly requested?: readonly string[] | undefined;
  readonly caRotation: boolean;
}

/** What the parent rotates: each item is one child execution's input (minus the parent's own fields). */
export interface PlannedNode {
  readonly instanceId: string;
  readonly ip: string;
  readonly role: 'primary' | 'member';
  readonly isPrimary: boolean;
  readonly peer: string;
  readonly reason: RenewReason | 'ca-trust' | 'ca-reissue';
}

export type PassKind = 'renew' | 'trust' | 'reissue';

export interface RotationPlan {
  /** What the run does: renew due leaves, or a CA rotation from this phase on. */
  readonly kind: 'renew' | 'ca';
  /** For a CA rotation: the phases still to run, in order (a resumed rotation skips the finished ones). */
  readonly phases: readonly ('trust' | 'reissue' | 'drop')[];
  /** The pass the batches are for: a renewal, or the CA rotation's trust or reissue pass. */
  readonly pass: PassKind;
  /**
   * The nodes in rounds of at most `concurrency`, in order; in legacy mode the primary alone in the last
   * round. The parent rotates one round at a time (a Map as wide as the round, so a failure leaves no
   * queued node to start) and starts the next only when every node of the round succeeded.
   */
  readonly batches: readonly (readonly PlannedNode[])[];
  readonly batchCount: number;
  /** The parent's round counter, from 0 (a new plan starts its rounds again). */
  readonly batch: { readonly count: number };
  readonly deferred: readonly { instanceId: string; reason: string; until?: string }[];
  /**
   * The renewals outside the renewal window (expired or near expiry; any node of a manual run), which the
   * report names (issue 13: a certificate close to expiry renews outside the window "and says so").
   */
  readonly outsideWindow?: readonly { instanceId: string; reason: string }[];
  /** MaxConcurrency: maxUnavailable, lowered so healthy targets never go under minHealthyNodes. */
  readonly concurrency: number;
  readonly order: readonly string[];
  readonly expectedSeconds: number;
}

/** A plan that cannot run (no peer, or the floor leaves no node to take out). */
export class PlanError extends Error {
  override readonly name = 'FloorWouldBreak';
}

const serving = (n: ClusterNode) => n.lifecycleState === 'InService' && n.target === 'healthy';

/**
 * The ids a run may not name: not in the cluster's groups (`outside`), or unknown to EC2 (`unknown`).
 * Returns a message for the operator, or undefined when every requested id is a node of the cluster.
 */
export function requestedProblems(
  requested: readonly string[],
  cluster: readonly ClusterNode[],
  knownToEc2: ReadonlySet<string>,
): string | undefined {
  const ids = new Set(cluster.map((n) => n.instanceId));
  const dupes = requested.filter((id, i) => requested.indexOf(id) !== i);
  const unknown = requested.filter((id) => !ids.has(id) && !knownToEc2.has(id));
  const outside = requested.filter((id) => !ids.has(id) && knownToEc2.has(id));
  const problems = [
    ...(dupes.length ? [`named twice: ${[...new Set(dupes)].join(', ')}`] : []),
    ...(unknown.length ? [`unknown instances: ${unknown.join(', ')}`] : []),
    ...(outside.length ? [`not in the cluster's groups: ${outside.join(', ')}`] : []),
  ];
  return problems.length ? `nodes: ${problems.join('; ')}` : undefined;
}

/**
 * How many nodes may be out at once: `maxUnavailable`, but never so many that the healthy targets left go
 * under `minHealthyNodes`, nor more than {@link MAX_ROUND_WIDTH}. Zero when even one would break the floor.
 */
export function safeConcurrency(healthy: number, minHealthyNodes: number, maxUnavailable: number): number {
  return Math.max(0, Math.min(maxUnavailable, MAX_ROUND_WIDTH, healthy - minHealthyNodes));
}

/**
 * An inline Map runs at most 40 iterations at once (AWS Step Functions Developer Guide, "Using Map state in
 * Inline mode", https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html): a round is never
 * wider, whatever `maxUnavailable` says.
 */
export const MAX_ROUND_WIDTH = 40;

/**
 * The peer each node's served certificate is checked from: a serving node the run does not touch if there
 * is one (it is up throughout), else the node rotated `concurrency` places before it (done by then when
 * `concurrency` is 1), and for the first ones the last node of the order (touched only at the end).
 */
export function pickPeer(
  index: number,
  order: readonly string[],
  untouched: readonly string[],
  concurrency: number,
): string | undefined {
  if (untouched.length > 0) return untouched[index % untouched.length];
  if (order.length < 2) return undefined;
  const back = index - Math.max(1, concurrency);
  return back >= 0 ? order[back] : order[order.length - 1];
}

/** Which CA phases a run still has to do, given the PKI item's rotation and the deployed generation. */
export function caPhases(
  rotation: CaRotation | undefined,
  active: number | undefined,
  caGeneration: number,
  requested: boolean,
): RotationPlan['phases'] {
  if (rotation !== undefined) {
    if (rotation.phase === 'trust') return ['trust', 'reissue', 'drop'];
    if (rotation.phase === 'reissue') return ['reissue', 'drop'];
    return ['drop'];
  }
  if (requested && active !== undefined && active < caGeneration) return ['trust', 'reissue', 'drop'];
  return [];
}

/**
 * The run's plan. Renewal: the due nodes (cert-policy) that are in service. CA rotation: every serving node
 * whose record does not yet show the phase done (trust: trusts `to`; reissue: issued by `to`), so a resumed
 * run redoes only what is left.
 */
export function planRotation(
  cluster: readonly ClusterNode[],
  request: PlanRequest,
  settings: PlanSettings,
  pki: { active?: number; rotation?: CaRotation },
  now: Date,
  census?: { readonly peer: string; readonly seen: ReadonlyMap<string, ServedSeen> },
): RotationPlan {
  const phases = caPhases(pki.rotation, pki.active, settings.caGeneration, request.caRotation);
  const asked = (n: ClusterNode) => request.requested?.includes(n.instanceId) ?? true;
  const reached = (n: ClusterNode) => (n.ip === undefined ? undefined : census?.seen.get(n.ip));
  const answered = (n: ClusterNode) => (reached(n)?.fingerprints.length ?? 0) > 0;
  const healthy = cluster.filter(serving).length;
  // Serving nodes the probe could not reach are reported, not renewed blindly (their check would fail too).
  const unreached = cluster.filter((n) => serving(n) && reached(n) !== undefined && !answered(n));
  const live = cluster.filter((n) => serving(n) && !unreached.includes(n));
  // InService but not a healthy target, and the probe reached it: renewable when its certificate breaks it.
  const broken = cluster.filter((n) => !serving(n) && n.lifecycleState === 'InService' && answered(n));
  const concurrency = safeConcurrency(healthy, settings.minHealthyNodes, settings.maxUnavailable);
  const deferred: { instanceId: string; reason: string; until?: string }[] = cluster
    .filter((n) => !serving(n) && asked(n))
    .map((n) => ({ instanceId: n.instanceId, reason: `not serving (${n.lifecycleState}, ${n.target})` }));
  for (const n of unreached.filter(asked)) {
    deferred.push({
      instanceId: n.instanceId,
      reason: `the census probe from ${census?.peer} could not reach it`,
    });
  }
  let chosen: { node: ClusterNode; reason: PlannedNode['reason'] }[];
  let outsideWindow: { instanceId: string; reason: string }[] = [];
  if (phases.length > 0) {
    const to = pki.rotation?.to ?? settings.caGeneration;
    const phase = phases[0];
    const pending = live.filter((n) =>
      phase === 'trust'
        ? !(n.cert?.trusted ?? []).includes(to)
        : phase === 'reissue'
          ? n.cert?.issuer !== to
          : false,
    );
    chosen = pending.map((node) => ({ node, reason: phase === 'trust' ? 'ca-trust' : 'ca-reissue' }));
  } else {
    const states: NodeCertState[] = [...live, ...broken].map((n) => ({
      instanceId: n.instanceId,
      role: n.role,
      ...(n.cert ? { cert: n.cert } : {}),
      ...servedState(reached(n), n.cert?.fingerprint),
      ...(broken.includes(n) ? { inService: false } : {}),
    }));
    const policy = renewalPlan({
      nodes: states,
      ...(settings.window ? { window: settings.window } : {}),
      renewalFraction: settings.renewalFraction,
      nearExpiryDays: settings.nearExpiryDays,
      now,
      ...(request.requested ? { requested: request.requested } : {}),
      manual: request.manual,
    });
    for (const d of policy.deferred) deferred.push(d);
    outsideWindow = policy.renew
      .filter((r) => r.outsideWindow)
      .map((r) => ({ instanceId: r.instanceId, reason: r.reason }));
    const byId = new Map([...live, ...broken].map((n) => [n.instanceId, n]));
    chosen = policy.renew.flatMap((r) => {
      const node = byId.get(r.instanceId);
      return node ? [{ node, reason: r.reason }] : [];
    });
    const repaired = new Set(chosen.filter((c) => broken.includes(c.node)).map((c) => c.node.instanceId));
    const kept = deferred.filter((d) => !repaired.has(d.instanceId));
    deferred.splice(0, deferred.length, ...kept);
  }
  const noIp = chosen.filter((c) => c.node.ip === undefined);
  for (const c of noIp) deferred.push({ instanceId: c.node.instanceId, reason: 'no private IP in EC2' });
  const orderOf = (cs: typeof chosen) =>
    rolloutOrder(
      cs
        .filter((c) => c.node.ip !== undefined)
        .map((c) => ({ ...c, instanceId: c.node.instanceId, role: c.node.role })),
      settings.mode,
    );
  // Broken nodes first: they cost no capacity, and each one renewed gives some back.
  const ordered = [
    ...orderOf(chosen.filter((c) => broken.includes(c.node))),
    ...orderOf(chosen.filter((c) => !broken.includes(c.node))),
  ];
  if (ordered.some((c) => !broken.includes(c.node)) && concurrency === 0) {
    throw new PlanError(
      `${healthy} healthy target(s) and cluster.minHealthyNodes = ${settings.minHealthyNodes}: taking any node out would break the floor`,
    );
  }
  const order = ordered.map((c) => c.instanceId);
  const untouched = live.map((n) => n.instanceId).filter((id) => !order.includes(id));
  const planned: PlannedNode[] = ordered.map((c, i) => {
    const peer = pickPeer(i, order, untouched, concurrency);
    if (peer === undefined) {
      throw new PlanError(`${c.instanceId} has no peer to check its served certificate from`);
    }
    return {
      instanceId: c.instanceId,
      ip: c.node.ip as string,
      role: c.node.role,
      isPrimary: c.node.role === 'primary',
      peer,
      reason: c.reason,
    };
  });
  const legacyPrimary = (p: PlannedNode) => settings.mode === 'legacy-primary' && p.isPrimary;
  const passes = Math.max(1, phases.filter((p) => p !== 'drop').length);
  const rest = planned.filter((p) => !legacyPrimary(p));
  const width = Math.max(1, concurrency);
  const batches: PlannedNode[][] = [];
  for (let i = 0; i < rest.length; i += width) batches.push(rest.slice(i, i + width));
  const last = planned.filter(legacyPrimary);
  if (last.length > 0) batches.push(last);
  return {
    kind: phases.length > 0 ? 'ca' : 'renew',
    phases,
    pass: phases.length === 0 ? 'renew' : phases[0] === 'trust' ? 'trust' : 'reissue',
    batches,
    batchCount: batches.length,
    batch: { count: 0 },
    deferred,
    ...(outsideWindow.length > 0 ? { outsideWindow } : {}),
    concurrency: Math.max(1, concurrency),
    order,
    expectedSeconds:
      passes *
      (expectedRotationSeconds(
        planned.filter((p) => !legacyPrimary(p)).length,
        Math.max(1, concurrency),
        settings.perNodeSeconds,
      ) +
        planned.filter(legacyPrimary).length * settings.perNodeSeconds),
  };
}

/** One port of ProbeServedCertificate's answer (contract §2). */
export interface ServedPort {
  readonly port: number;
  readonly fingerprint: string | null;
  readonly verified: boolean;
  readonly notAfter?: string | null;
  readonly error?: string | null;
}

/** The ports one certificate must serve (JFrog: the router on 8082 and Artifactory's Tomcat on 8443 share it). */
export const SERVED_PORTS = [8082, 8443] as const;

/**
 * Why the served certificate is not the issued one, or undefined when both ports serve `expected` and the
 * peer verified it with its trusted CAs.
 */
export function servedMismatch(
  probe: { target: string; ports: readonly ServedPort[] },
  ip: string,
  expected: string,
): string | undefined {
  if (probe.target !== ip) return `the probe answered for ${probe.target}, not ${ip}`;
  const problems: string[] = [];
  for (const port of SERVED_PORTS) {
    const p = probe.ports.find((x) => x.port === port);
    if (p === undefined) problems.push(`${port}: not probed`);
    else if (p.error) problems.push(`${port}: ${p.error}`);
    else if (p.fingerprint !== expected)
      problems.push(`${port}: serves ${p.fingerprint ?? 'nothing'}, issued ${expected}`);
    else if (!p.verified) problems.push(`${port}: not verified with the cluster CA`);
  }
  return problems.length ? problems.join('; ') : undefined;
}

/**
 * The update that records a node's verified certificate. A node with no record (one the control plane adopted,
 * bootstrapped before it) gets one holding only its certificate: a certificate not recorded would stay
 * `missing` to every census and be renewed for ever.
 */
export function certRecordUpdate(cluster: string, instanceId: string, cert: NodeCertRecord) {
  return {
    Key: nodeKey(cluster, instanceId),
    UpdateExpression: 'SET #cert = :cert',
    ExpressionAttributeNames: { '#cert': 'cert' },
    ExpressionAttributeValues: { ':cert': cert },
  };
}

/** The plan in one line for the operator (the dry run's answer, the report's summary), at most `max` characters. */
export function planSummary(plan: RotationPlan, max = 1500): string {
  const what = plan.kind === 'ca' ? `CA rotation, phases left: ${plan.phases.join(', ')}; ` : '';
  const order =
    plan.order.length > 20
      ? `${plan.order.slice(0, 20).join(', ')}, … (${plan.order.length})`
      : plan.order.join(', ');
  const deferred = plan.deferred.map(
    (d) => `${d.instanceId} (${d.reason}${d.until ? ` until ${d.until}` : ''})`,
  );
  const outside = (plan.outsideWindow ?? []).map((o) => `${o.instanceId} (${o.reason})`);
  const text = `${what}${plan.order.length} node(s) in this order: ${order || 'none'}; ${plan.concurrency} at a time; expected ${Math.round(plan.expectedSeconds / 60)} min; deferred: ${deferred.length ? deferred.join(', ') : 'none'}${outside.length ? `; renewed outside the renewal window: ${outside.join(', ')}` : ''}`;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
