/**
 * cert-rotation when a node fails it (issue 13): the failed node is rolled back to its previous certificate,
 * restarted, verified and registered again; the rollout stops (no further node is started); the operator is
 * told which node, why, and what was rolled back. Faults are B's certificate faults on one node's TLS
 * (sim/services/tls.ts): `cert-start-fails`, `served-cert-stale`, `csr-wrong-ip`.
 */
import type { CertificateFaultKind } from '../core/fault-kinds';
import type { ExecutionRecord } from '../core/world';
import type { Twin } from '../twin';
import {
  adoptEveryRegion,
  childrenOf,
  expectNodeBudget,
  nodeOf,
  recordedCert,
  servedBy,
  servingNodes,
  settledCluster,
  startRotation,
} from './cert-rotation';
import { entered, layoutOf, regionOf } from './primary-failover';
import { expectThat, MINUTE, type Scenario } from './types';

/** Four nodes (a primary, three members), adopted; returns them and the member a fault will hit (the second). */
async function fourNodes(twin: Twin): Promise<{ nodes: string[]; victim: string }> {
  const nodes = await settledCluster(twin, 4);
  const primaryGroup = twin.world
    .region(regionOf(twin))
    .autoscaling.groupInstances(layoutOf(twin).primaryGroup);
  const members = nodes.filter((id) => !primaryGroup.some((i) => i.id === id));
  return { nodes, victim: members[1] as string };
}

/**
 * Runs a rotation of every node with `fault` armed on the victim and checks what a failed node must leave:
 * the run failed at that node and started no later one; the node serves its previous certificate again,
 * healthy behind the ALB, and its record is unchanged; one notification names the node and the rollback.
 */
async function failedRollout(
  twin: Twin,
  say: (m: string) => void,
  kind: CertificateFaultKind,
  expected: { step: RegExp; error: RegExp; rolledBack: RegExp },
): Promise<ExecutionRecord> {
  const { nodes, victim } = await fourNodes(twin);
  const region = regionOf(twin);
  const before = servedBy(twin, victim);
  const recordBefore = await recordedCert(twin, victim);
  twin.world.faults.certificate({ region, instanceId: victim, kind });
  say(`fault ${kind} armed on ${victim}`);
  const since = twin.world.clock.now();
  const e = await startRotation(twin, 'faulty-1', { trigger: 'manual', reason: 'scene: renew all', nodes });
  expectThat(e.status === 'FAILED', `the rotation failed (${e.status})`);
  const children = childrenOf(e);
  const last = children[children.length - 1] as ExecutionRecord;
  expectThat(nodeOf(last) === victim, `the last node started is the one that failed (${nodeOf(last)})`);
  expectThat(
    children.length === nodes.indexOf(victim) + 1 || children.length === 2,
    `no node was started after the failure (${children.length} started)`,
  );
  expectThat(last.status === 'FAILED', `${victim}'s rotation failed (${last.status})`);
  const cause = last.cause ?? '';
  expectThat(cause.includes(victim), `the cause names the node: ${cause.slice(0, 300)}`);
  expectThat(expected.step.test(cause), `the cause names the failed step: ${cause.slice(0, 300)}`);
  expectThat(expected.error.test(cause), `the cause says why: ${cause.slice(0, 300)}`);
  expectThat(expected.rolledBack.test(cause), `the cause says what was rolled back: ${cause.slice(0, 300)}`);
  expectThat(servedBy(twin, victim) === before, `${victim} serves its previous certificate again`);
  // Registered again by the rollback: healthy after one passing check (30 s interval).
  await twin.runUntil(() => servingNodes(twin).includes(victim), 2 * MINUTE, `${victim} healthy again`);
  expectThat(
    (await recordedCert(twin, victim))?.fingerprint === recordBefore?.fingerprint,
    `${victim}'s record is unchanged`,
  );
  const told = twin.world
    .region(region)
    .sns.messages.filter((m) => m.at >= since && /cert-rotation failed/.test(m.subject ?? ''));
  expectThat(told.length === 1, `the operator is told once (${told.length})`);
  expectThat(told[0]?.message.includes(victim) === true, 'the notification names the node');
  expectNodeBudget(e);
  say(`rollout stopped at ${victim}: ${cause.slice(0, 200)}`);
  return e;
}

export const certStartFails: Scenario = {
  name: 'cert-start-fails',
  title:
    'A node fails to start with its new certificate: rolled back, the rollout stops, the operator is told',
  description:
    "Four adopted nodes are renewed one at a time. The second member's Artifactory fails to start with its new certificate (fault cert-start-fails): the node restores its previous certificate, key and CA file, restarts under the join lock, reports ready and is registered again; the run starts no further node and fails, and one notification names the node, the step and what was rolled back.",
  members: 3,
  tls: 'on',
  prepare: adoptEveryRegion,
  async run(twin, say) {
    await failedRollout(twin, say, 'cert-start-fails', {
      step: /(StartNodeArtifactory|ProbeNodeReadiness) failed/,
      error: /NodeNotReady|CommandFailed|States\.TaskFailed/,
      rolledBack: /rolled back: the previous certificate, key and CA file were restored/,
    });
    return undefined;
  },
};

export const servedCertStale: Scenario = {
  name: 'cert-served-stale',
  title: 'A node keeps serving its old certificate after the restart: the peer sees it, rolled back, stopped',
  description:
    "The second member restarts but its router keeps serving the certificate it served before (fault served-cert-stale). The peer's probe sees the old fingerprint on both ports: ServedCertificateMismatch; the node is rolled back and restarted, and the rollout stops.",
  members: 3,
  tls: 'on',
  prepare: adoptEveryRegion,
  async run(twin, say) {
    await failedRollout(twin, say, 'served-cert-stale', {
      step: /VerifyServedCertificate failed/,
      error: /ServedCertificateMismatch/,
      rolledBack: /rolled back: the previous certificate, key and CA file were restored/,
    });
    return undefined;
  },
};

export const csrWrongIp: Scenario = {
  name: 'cert-csr-wrong-ip',
  title: 'A CSR for another IP is refused: nothing installed, the node back in service, the rollout stops',
  description:
    "The second member's CSR names another IP (fault csr-wrong-ip). The signer compares it with the instance's private IP from EC2 and refuses it (CsrRefused), audited; nothing is installed and Artifactory never stops; the node is registered again and the rollout stops.",
  members: 3,
  tls: 'on',
  prepare: adoptEveryRegion,
  async run(twin, say) {
    await failedRollout(twin, say, 'csr-wrong-ip', {
      step: /IssueNodeCertificate failed/,
      error: /CsrRefused/,
      rolledBack:
        /keeps its certificate \(nothing installed, no restart\) and was registered with the ALB again/,
    });
    return undefined;
  },
};

export const manualRotationRuns: Scenario = {
  name: 'cert-manual-runs',
  title:
    'Operator runs: a bad node list is refused, a dry run lists the plan, a paused automatic run does nothing',
  description:
    'Automation is paused. A manual run naming an instance that is not in the cluster fails at its plan, naming it, before any lease. A dry run of every node returns the order (the primary last), the peers, the deferred nodes and the expected duration, and changes nothing. The daily census (trigger schedule) while paused is held: audited, nothing restarted.',
  members: 3,
  tls: 'on',
  prepare: adoptEveryRegion,
  configure: (config) => ({ ...config, automation: { ...config.automation, enabled: false } }),
  async run(twin, say) {
    const nodes = await settledCluster(twin, 4);
    const before = nodes.map((id) => servedBy(twin, id)).join();
    const stranger = 'i-0123456789abcdef0';
    const bad = await startRotation(twin, 'manual-bad', {
      trigger: 'manual',
      reason: 'typo',
      nodes: [stranger],
    });
    expectThat(
      bad.status === 'FAILED' && bad.error === 'ValidationError',
      `refused (${bad.status} ${bad.error})`,
    );
    expectThat(bad.cause?.includes(stranger) === true, `the refusal names ${stranger}: ${bad.cause}`);
    expectThat(!entered(bad, 'AcquireRotationLease'), 'no lease was taken');
    say(`refused: ${bad.cause?.slice(0, 160)}`);
    const dry = await startRotation(twin, 'manual-dry', {
      trigger: 'manual',
      reason: 'rehearsal',
      nodes,
      dryRun: true,
    });
    const plan = (dry.output as { run?: { plan?: { order?: string[]; expectedSeconds?: number } } })?.run
      ?.plan;
    expectThat(dry.status === 'SUCCEEDED' && childrenOf(dry).length === 0, 'the dry run changed nothing');
    expectThat(
      plan?.order?.length === nodes.length && (plan.expectedSeconds ?? 0) > 0,
      'it lists every node and a duration',
    );
    expectThat(!entered(dry, 'AcquireRotationLease'), 'the dry run took no lease');
    const held = await startRotation(twin, 'census-paused', {
      trigger: 'schedule',
      reason: 'daily census',
      nodes,
    });
    expectThat(held.status === 'SUCCEEDED' && entered(held, 'RotationPaused'), 'the paused census was held');
    expectThat(childrenOf(held).length === 0, 'nothing was restarted');
    expectThat(nodes.map((id) => servedBy(twin, id)).join() === before, 'every node serves what it served');
    say(
      `dry run: ${plan?.order?.length} nodes, ${Math.round((plan?.expectedSeconds ?? 0) / 60)} min expected; the paused census held`,
    );
    return undefined;
  },
};

export const CERT_FAULT_SCENARIOS: readonly Scenario[] = [
  certStartFails,
  servedCertStale,
  csrWrongIp,
  manualRotationRuns,
];
