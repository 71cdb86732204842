/**
 * cert-rotation on the twin (issue 13): every node of the cluster is bootstrapped by node-bootstrap, so it
 * serves a certificate the signer issued (through the twin's KMS) and its record holds it; the scenes then
 * rotate them, with the twin's TLS model on (a node serves what it loaded at its last start, and a peer
 * verifies it with its own trusted directory).
 */
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { nodeKey } from '../../functions/core/keys';
import { PER_NODE_SECONDS } from '../../infra/cert-rotation';
import type { ExecutionRecord } from '../core/world';
import { type NodeTls, TLS_FILES } from '../services/tls';
import type { Twin } from '../twin';
import { HISTORY_EVENT_LIMIT, historyEvents, probeBatchEvents, roundModel } from './history-events';
import { layoutOf, minutes, regionOf, thePrimary } from './primary-failover';
import { expectThat, MINUTE, type Scenario } from './types';

/**
 * A node rotation's budget in state transitions (issue 13: at most 40 per node), checked on every child with
 * its node commands (each a node-command execution of its own): the child's own transitions plus theirs.
 */
export const NODE_TRANSITION_BUDGET = 40;

export const rotations = (twin: Twin) =>
  twin.world.executions.filter((e) => e.stateMachine === 'cert-rotation');
export const nodeRuns = (twin: Twin) =>
  twin.world.executions.filter((e) => e.stateMachine === 'cert-rotation-node');

/** The region's serving instances (InService in a group, healthy behind the ALB), sorted. */
export function servingNodes(twin: Twin): string[] {
  const region = regionOf(twin);
  const l = layoutOf(twin);
  const r = twin.world.region(region);
  return [l.primaryGroup, l.memberGroup]
    .flatMap((g) => r.autoscaling.groupInstances(g))
    .filter((i) => i.state === 'InService')
    .map((i) => i.id)
    .filter((id) => r.elbv2.targetState(l.targetGroupArn, id) === 'healthy')
    .sort();
}

/** What a node serves now (its fingerprint), or undefined when it serves nothing. */
export function servedBy(twin: Twin, id: string): string | undefined {
  return twin.world.region(regionOf(twin)).ec2.instance(id)?.node.servedCertificate?.fingerprint;
}

/** The node record's `cert` (what the census reads). */
export async function recordedCert(
  twin: Twin,
  id: string,
): Promise<{ fingerprint: string; serial: string; issuer: number; trusted: number[] } | undefined> {
  const doc = DynamoDBDocumentClient.from(twin.dynamo.client(regionOf(twin)));
  const out = await doc.send(
    new GetCommand({
      TableName: layoutOf(twin).stateTable,
      Key: nodeKey(twin.world.config.cluster.name, id),
      ConsistentRead: true,
    }),
  );
  return out.Item?.cert as never;
}

/** Waits until the cluster has settled: `count` serving nodes and no execution running. */
export async function settledCluster(twin: Twin, count: number): Promise<string[]> {
  await twin.runUntil(
    () => servingNodes(twin).length === count && twin.world.executions.every((e) => e.status !== 'RUNNING'),
    120 * MINUTE,
    `${count} nodes bootstrapped and serving`,
  );
  return servingNodes(twin);
}

/** Invoke one of the region's Lambdas as a workflow would, inside the twin's clock. */
export async function invoke(twin: Twin, fn: string, payload: Record<string, unknown>): Promise<unknown> {
  let answer: { ok: unknown } | { err: Error } | undefined;
  void twin.lambda.invoke(fn, payload).then(
    (ok) => {
      answer = { ok };
    },
    (err: Error) => {
      answer = { err };
    },
  );
  await twin.runUntil(() => answer !== undefined, MINUTE, `${fn} answering ${String(payload.op)}`);
  const a = answer as { ok: unknown } | { err: Error };
  if ('err' in a) throw a.err;
  return a.ok;
}

/**
 * The scenes' premise: the twin's initial nodes were configured before the control plane (by the seed's own
 * launch), so they serve Artifactory's self-made certificate and have no record. They are adopted as an
 * operator's first run would leave them: the signer's CA ensured, then each node's key and CSR made on the
 * node, the certificate issued by the signer (through the twin's KMS), installed with the CA bundle and
 * loaded as at a start, and recorded.
 */
export async function adoptRegion(twin: Twin, region: string, nodes: readonly string[]): Promise<void> {
  const cp = twin.controlPlane.get(region);
  if (!cp) throw new Error('no control plane');
  await invoke(twin, cp.signerArn, { op: 'ca' });
  const execution = `arn:aws:states:${region}:${twin.world.accountId}:execution:adopt:scene`;
  for (const id of nodes) {
    const inst = twin.world.region(region).ec2.instance(id);
    if (!inst) throw new Error(`no instance ${id}`);
    const tls = inst.node.tls as NodeTls;
    let csr: string | undefined;
    void tls
      .makeCsr(2048, (work) => twin.world.clock.track(work))
      .then((c) => {
        csr = c;
      });
    await twin.runUntil(() => csr !== undefined, MINUTE, `${id} making its CSR`);
    const issued = (await invoke(twin, cp.signerArn, { op: 'issue', instanceId: id, csr, execution })) as {
      certificate: string;
      caBundle: string;
    };
    tls.seed(issued.certificate, issued.caBundle, tls.file(TLS_FILES.nextKey) as string);
    await invoke(twin, cp.certsArn, { op: 'record', instanceId: id, execution, issued });
  }
}

/**
 * A scene's `prepare` (before the invariants watch the world, the trust mesh among them): every region's
 * initial nodes adopted (see {@link adoptRegion}).
 */
export async function adoptEveryRegion(twin: Twin): Promise<void> {
  for (const region of twin.world.regionNames) {
    const l = twin.layout.regions.get(region);
    const r = twin.world.region(region);
    const ids = [l?.primaryGroup, l?.memberGroup]
      .flatMap((g) => (g === undefined ? [] : r.autoscaling.groupInstances(g)))
      .map((i) => i.id)
      .filter((id) => r.ec2.instance(id)?.state === 'running')
      .sort();
    await adoptRegion(twin, region, ids);
  }
}

/** Start cert-rotation by hand and wait for it to end. */
export async function startRotation(
  twin: Twin,
  name: string,
  input: Record<string, unknown>,
  within = 180 * MINUTE,
): Promise<ExecutionRecord> {
  const region = regionOf(twin);
  await twin.world.call(region, 'sfn', 'StartExecution', {
    stateMachineArn: twin.controlPlane.get(region)?.certRotationArn as string,
    name,
    input: JSON.stringify(input),
  });
  await twin.runUntil(
    () => rotations(twin).some((e) => e.name === name && e.status !== 'RUNNING'),
    within,
    `${name} finishing`,
  );
  return rotations(twin).find((e) => e.name === name) as ExecutionRecord;
}

/** The per-node children of one rotation, in start order. */
export const childrenOf = (e: ExecutionRecord) =>
  (e.children ?? []).filter((c) => c.stateMachine === 'cert-rotation-node');

/** A child's own state transitions plus those of its node commands. */
export const ownTransitions = (c: ExecutionRecord) =>
  c.transitions + (c.children ?? []).reduce((n, g) => n + g.transitions, 0);

/**
 * Every child of `e` within the per-node budget: a child that rotated its node, its node commands included; a
 * child that failed (it rolled back or left the node untouched: three more commands) in its own transitions.
 * Returns the most expensive rotated node, all in.
 */
export function expectNodeBudget(e: ExecutionRecord): number {
  let worst = 0;
  for (const c of childrenOf(e)) {
    const own = ownTransitions(c);
    const detail = `(${c.transitions} in the child, ${own - c.transitions} in ${(c.children ?? []).length} node commands)`;
    if (c.status !== 'SUCCEEDED') {
      expectThat(
        c.transitions <= NODE_TRANSITION_BUDGET,
        `${c.name} (${c.status}) took ${c.transitions} state transitions in the child ${detail}, over ${NODE_TRANSITION_BUDGET}`,
      );
      continue;
    }
    expectThat(
      own <= NODE_TRANSITION_BUDGET,
      `${c.name} took ${own} state transitions with its node commands ${detail}, over ${NODE_TRANSITION_BUDGET}`,
    );
    worst = Math.max(worst, own);
  }
  return worst;
}

/** The instance a child rotated. */
export const nodeOf = (c: ExecutionRecord) => (c.input as { instanceId: string }).instanceId;

export { minutes, PER_NODE_SECONDS };

/** A rolling renewal of six nodes (a primary and five members), one at a time, the primary last. */
export const rollingRotation: Scenario = {
  name: 'cert-rolling-rotation',
  title: 'A rolling renewal of six nodes: verified from a peer, the floor kept, the primary last',
  description:
    "Six nodes serve certificates the signer issued through the twin's KMS (adopted: see adoptRegion). An operator renews all six: one node at a time (maxUnavailable 1, minHealthyNodes 2) each is deregistered and drained, makes a new key and CSR, gets its certificate, installs it, restarts under the join lock, is checked from a peer (the served fingerprint on 8082 and 8443, verified with the peer's trusted CA) and registered again; its record follows. The primary goes last, under the cluster lock.",
  members: 5,
  tls: 'on',
  prepare: adoptEveryRegion,
  async run(twin, say) {
    const nodes = await settledCluster(twin, 6);
    const before = new Map(nodes.map((id) => [id, servedBy(twin, id)]));
    for (const id of nodes) {
      const rec = await recordedCert(twin, id);
      expectThat(
        rec !== undefined && rec.fingerprint === before.get(id),
        `${id} serves its adopted certificate, recorded (${rec?.fingerprint} vs ${before.get(id)})`,
      );
    }
    say(`${nodes.length} nodes serve certificates the signer issued, recorded`);
    // One round first (a member), for the history model below.
    const one = await startRotation(twin, 'rolling-0', {
      trigger: 'manual',
      reason: 'scene: renew one node',
      nodes: [nodes.find((id) => id !== thePrimary(twin)) as string],
    });
    expectThat(one.status === 'SUCCEEDED', `the one-node rotation succeeded (${one.status})`);
    for (const id of nodes) before.set(id, servedBy(twin, id));
    const started = twin.world.clock.now();
    const e = await startRotation(twin, 'rolling-1', {
      trigger: 'manual',
      reason: 'scene: renew every node',
      nodes,
    });
    const took = (e.stoppedAt ?? twin.world.clock.now()) - started;
    expectThat(
      e.status === 'SUCCEEDED',
      `the rotation succeeded (${e.status} ${e.error ?? ''}: ${e.cause ?? ''})`,
    );
    const children = childrenOf(e);
    expectThat(children.length === 6, `one child per node (${children.length})`);
    const primary = nodes.find(
      (id) => (children.find((c) => nodeOf(c) === id)?.input as { isPrimary?: boolean })?.isPrimary,
    );
    expectThat(nodeOf(children[children.length - 1] as ExecutionRecord) === primary, 'the primary went last');
    for (const id of nodes) {
      const served = servedBy(twin, id);
      const rec = await recordedCert(twin, id);
      expectThat(served !== before.get(id), `${id} serves a new certificate`);
      expectThat(rec?.fingerprint === served, `${id}'s record holds what it serves`);
    }
    const worst = expectNodeBudget(e);
    // Issue 13: rotation time <= 1.1 x N x (drain + restart + verify) / maxUnavailable.
    const bound = 1.1 * nodes.length * PER_NODE_SECONDS * 1000;
    expectThat(took <= bound, `the rotation took ${minutes(took)}, over ${minutes(bound)}`);
    say(
      `six nodes renewed in ${minutes(took)} (bound ${minutes(bound)}); costliest node ${worst} transitions`,
    );
    // History: the parent is a fixed part plus the same events per round; 500 nodes (maxUnavailable 1) are
    // 500 rounds. Both measured runs agree on the per-round events, and the projection stays under the limit.
    const small = roundModel(one);
    const model = roundModel(e);
    expectThat(
      small.perRound === model.perRound,
      `every round costs the same events (${small.perRound} vs ${model.perRound})`,
    );
    // A run that names its nodes sends no census probe (they renew whatever they serve): the projection is the
    // operator's renewal of 500 named nodes, as `npm run bench -- --only rotation` runs it (a census's probe adds
    // one batch per 25 nodes: sim/scenarios/cert-census.ts).
    const probe = probeBatchEvents(e);
    expectThat(probe.batches === 0, `a run that names its nodes probes nothing (${probe.batches} batches)`);
    const projected = model.fixed + model.perRound * 500;
    expectThat(
      projected < HISTORY_EVENT_LIMIT,
      `a 500-node rotation's history: ${projected} events, over ${HISTORY_EVENT_LIMIT}`,
    );
    const nodeHistory = Math.max(...children.map((c) => historyEvents(c)));
    say(
      `history: ${model.fixed} + ${model.perRound}/round: 500 named nodes ${projected} events; a node's own ${nodeHistory}`,
    );
    return { rotationMs: took, worstNodeTransitions: worst, historyAt500: projected, nodeHistory };
  },
};

export const CERT_ROTATION_SCENARIOS: readonly Scenario[] = [rollingRotation];
