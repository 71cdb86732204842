/**
 * Certificates and the rest of the cluster's life (issue 13): a new node joins with its certificate (and a
 * refused CSR abandons its launch); a CA rotation that dies between phases is resumed by the next run; a
 * rotation and a primary-failover run meet at the cluster lock.
 */
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { pkiKey } from '../../functions/core/keys';
import { servedOn } from '../services/tls-ports';
import type { Twin } from '../twin';
import {
  adoptEveryRegion,
  childrenOf,
  expectNodeBudget,
  nodeOf,
  recordedCert,
  rotations,
  servedBy,
  servingNodes,
  settledCluster,
  startRotation,
} from './cert-rotation';
import { expectTransitionBudgets } from './costs';
import { HISTORY_EVENT_LIMIT, roundModel } from './history-events';
import { entered, launchFailover, layoutOf, regionOf, thePrimary } from './primary-failover';
import { expectThat, MINUTE, type Scenario } from './types';

const bootstraps = (twin: Twin) => twin.world.executions.filter((e) => e.stateMachine === 'node-bootstrap');

export const joinWithCertificate: Scenario = {
  name: 'cert-new-node',
  title: 'A new node joins with its certificate; a CSR for the wrong IP abandons the launch',
  description:
    "Three adopted nodes serve the cluster's certificates. The member group grows by one: node-bootstrap's configure step makes the node's key and CSR, the signer issues, the first start installs the certificate and the CA bundle, and the node's record holds it; the new node serves it on 8082 and 8443 (ConfigureNode enabled the HTTPS connector) from its first start and the ALB calls it healthy. Then another launch's CSR names the wrong IP: the signer refuses it (CsrRefused), the launch is abandoned and reported with the reason, and Auto Scaling's replacement joins with its certificate.",
  members: 2,
  tls: 'on',
  prepare: adoptEveryRegion,
  async run(twin, say) {
    const nodes = await settledCluster(twin, 3);
    const region = regionOf(twin);
    const group = layoutOf(twin).memberGroup;
    const grow = (n: number) =>
      twin.world.call(region, 'autoscaling', 'SetDesiredCapacity', {
        AutoScalingGroupName: group,
        DesiredCapacity: n,
      });
    await grow(3);
    say('member group 2 -> 3');
    const joined = await settledCluster(twin, 4);
    const fresh = joined.find((id) => !nodes.includes(id)) as string;
    const served = servedBy(twin, fresh);
    const rec = await recordedCert(twin, fresh);
    expectThat(
      served !== undefined && rec?.fingerprint === served,
      `${fresh} serves the certificate its record holds`,
    );
    const inst = twin.world.region(region).ec2.instance(fresh);
    expectThat(
      (inst?.node.tls.trustedAtStart.length ?? 0) > 0 && inst?.node.servedCertificate?.generated !== true,
      `${fresh} started with the cluster's certificate and CA, not Artifactory's own`,
    );
    // JFrog: one certificate on 8082 and 8443; Tomcat serves 8443 only with the connector set before the start.
    expectThat(
      inst !== undefined && servedOn(inst.node, 8443)?.fingerprint === served,
      `${fresh} serves its certificate on 8443 too (the HTTPS connector was on at its first start)`,
    );
    const first = bootstraps(twin).find((e) => e.name.includes(fresh));
    expectThat(first?.status === 'SUCCEEDED', `${fresh}'s bootstrap succeeded`);
    expectTransitionBudgets(bootstraps(twin));
    say(`${fresh} joined serving ${served?.slice(0, 12)}…, recorded; bootstrap within its 60 transitions`);

    // The next launch's node makes a CSR for another IP: armed while it waits to become an SSM instance.
    const since = twin.world.clock.now();
    await grow(4);
    const before = new Set(joined);
    await twin.runUntil(
      () =>
        twin.world
          .region(region)
          .autoscaling.groupInstances(group)
          .some((i) => !before.has(i.id)),
      5 * MINUTE,
      'a new instance launching',
    );
    const bad = twin.world
      .region(region)
      .autoscaling.groupInstances(group)
      .find((i) => !before.has(i.id))?.id as string;
    twin.world.faults.certificate({ region, instanceId: bad, kind: 'csr-wrong-ip' });
    say(`${bad} will send a CSR for another IP`);
    await twin.runUntil(
      () => bootstraps(twin).some((e) => e.name.includes(bad) && e.status !== 'RUNNING'),
      30 * MINUTE,
      `${bad}'s bootstrap ending`,
    );
    const refused = bootstraps(twin).find((e) => e.name.includes(bad));
    expectThat(
      refused?.status === 'FAILED' && entered(refused, 'AbandonLaunch'),
      `${bad}'s launch was abandoned`,
    );
    expectThat(!entered(refused as never, 'StartArtifactory'), `${bad} never started without a certificate`);
    const told = twin.world
      .region(region)
      .sns.messages.filter((m) => m.at >= since && /node-bootstrap failed/.test(m.subject ?? ''));
    expectThat(
      told.some((m) => /CsrRefused/.test(m.message)),
      'the report gives the reason (CsrRefused)',
    );
    const after = await settledCluster(twin, 5);
    const replacement = after.find((id) => !joined.includes(id)) as string;
    expectThat(
      (await recordedCert(twin, replacement))?.fingerprint === servedBy(twin, replacement),
      `the replacement ${replacement} joined with its certificate`,
    );
    say(`${bad} abandoned (CsrRefused); ${replacement} replaced it with its certificate`);
    return undefined;
  },
};

/** The PKI item as the signer keeps it (contract §1). */
async function pki(twin: Twin): Promise<{ active: number; trusted: number[]; rotation?: { phase: string } }> {
  const doc = DynamoDBDocumentClient.from(twin.dynamo.client(regionOf(twin)));
  const out = await doc.send(
    new GetCommand({
      TableName: layoutOf(twin).stateTable,
      Key: pkiKey(twin.world.config.cluster.name),
      ConsistentRead: true,
    }),
  );
  return out.Item as never;
}

export const caRotationResumed: Scenario = {
  name: 'cert-ca-rotation-resumed',
  title: 'A CA rotation dies between its phases and the next run finishes it',
  description:
    "The cluster's CA is generation 1; the operator deploys generation 2 (certificates.ca.generation: 2) and starts a CA rotation. Phase 1 gives every node both CAs. The signer then fails (the run dies before phase 2: CaStepFailed, reported). The next run, with no caRotation flag, finds the rotation in the PKI item and resumes it: phase 2 re-issues every leaf under generation 2, phase 3 drops generation 1. Every node ends serving a generation-2 certificate; no two live nodes ever distrusted each other.",
  members: 3,
  tls: 'on',
  configure: (config) => ({
    ...config,
    certificates: { ...config.certificates, ca: { ...config.certificates.ca, generation: 2 } },
  }),
  async prepare(twin) {
    // Premise: the cluster ran generation 1 before generation 2 was deployed.
    for (const region of twin.world.regionNames) {
      const doc = DynamoDBDocumentClient.from(twin.dynamo.client(region));
      await doc.send(
        new PutCommand({
          TableName: twin.layout.regions.get(region)?.stateTable,
          Item: { ...pkiKey(twin.world.config.cluster.name), active: 1, trusted: [1], version: 1 },
        }),
      );
    }
    await adoptEveryRegion(twin);
  },
  async run(twin, say) {
    const nodes = await settledCluster(twin, 4);
    for (const id of nodes)
      expectThat((await recordedCert(twin, id))?.issuer === 1, `${id} starts under generation 1`);
    // The signer fails every attempt of the call after phase 1's: ca, caPhase trust and one issue per node
    // go through (1 + 1 + 4), then CaPhaseReissue's five attempts (the first and the Retry's four) fail.
    const region = regionOf(twin);
    twin.world.faults.lambda({
      region,
      functionName: `${twin.world.config.cluster.name}-signer`,
      skip: 2 + nodes.length,
      times: 5,
      mode: 'service-error',
    });
    const first = startRotation(twin, 'ca-1', {
      trigger: 'manual',
      reason: 'scene: rotate the CA',
      caRotation: true,
    });
    const e1 = await first;
    expectThat(
      e1.status === 'FAILED' && entered(e1, 'CaStepFailed'),
      `the first run died between phases (${e1.status})`,
    );
    const mid = await pki(twin);
    expectThat(
      mid.rotation?.phase === 'trust' && mid.active === 1,
      `the PKI item records phase trust (${JSON.stringify(mid)})`,
    );
    say('the first run died after phase 1 (signer failing); the PKI item says trust');
    const e2 = await startRotation(twin, 'ca-2', {
      trigger: 'manual',
      reason: 'scene: finish the CA rotation',
    });
    expectThat(
      e2.status === 'SUCCEEDED',
      `the second run finished the rotation (${e2.status} ${e2.cause ?? ''})`,
    );
    const end = await pki(twin);
    expectThat(
      end.active === 2 && end.trusted.join() === '2' && !end.rotation,
      `generation 2 alone (${JSON.stringify(end)})`,
    );
    for (const id of servingNodes(twin)) {
      const rec = await recordedCert(twin, id);
      expectThat(
        rec?.issuer === 2 && rec.fingerprint === servedBy(twin, id),
        `${id} serves its generation-2 leaf`,
      );
    }
    expectThat(
      !childrenOf(e2).some((c) => (c.input as { pass: string }).pass === 'trust'),
      'phase 1 was not redone',
    );
    expectNodeBudget(e1);
    expectNodeBudget(e2);
    // A whole CA rotation of 500 nodes in one run: two passes of 500 rounds, and at most the fixed events of
    // both runs here (the first ran phase 1's fixed states, the second phases 2 and 3's).
    const m1 = roundModel(e1);
    const m2 = roundModel(e2);
    const projected = m1.fixed + m2.fixed + Math.max(m1.perRound, m2.perRound) * 1000;
    expectThat(projected < HISTORY_EVENT_LIMIT, `a 500-node CA rotation's history: ${projected} events`);
    say(
      `resumed: ${childrenOf(e2).length} leaves re-issued under generation 2, generation 1 dropped; a 500-node CA rotation: ${projected} history events`,
    );
    return { caHistoryAt500: projected };
  },
};

export const rotationMeetsFailover: Scenario = {
  name: 'cert-rotation-vs-failover',
  title: 'A rotation of the primary while a primary-failover run holds the cluster lock: serialized',
  description:
    "An alarm-triggered primary-failover run (a false alarm: the primary is fine) holds the cluster lock while it confirms. A rotation of the primary starts meanwhile: its child waits for the cluster lock before it touches the primary, and restarts it only after the failover run ended. While the primary restarts under the rotation's cluster lock, another alarm run finds the lock held and changes nothing. One primary throughout.",
  members: 2,
  tls: 'on',
  prepare: adoptEveryRegion,
  async run(twin, say) {
    await settledCluster(twin, 3);
    const primary = thePrimary(twin);
    const cluster = twin.world.config.cluster.name;
    const region = regionOf(twin);
    await launchFailover(twin, 'alarm-1', { cluster, region, trigger: 'alarm', reason: 'scene: alarm' });
    // The false alarm's confirmation holds the lock a few seconds: the rotation starts inside them.
    await twin.run(1_000);
    const rotation = startRotation(twin, 'primary-1', {
      trigger: 'manual',
      reason: 'scene: renew the primary',
      nodes: [primary],
    });
    let second = false;
    await twin.runUntil(
      () => {
        const child = rotations(twin)
          .flatMap(childrenOf)
          .find((c) => nodeOf(c) === primary);
        if (!second && child && entered(child, 'StartNodeArtifactory')) {
          second = true;
          void launchFailover(twin, 'alarm-2', {
            cluster,
            region,
            trigger: 'alarm',
            reason: 'scene: alarm again',
          });
        }
        return second;
      },
      60 * MINUTE,
      'the primary restarting under the rotation',
    );
    const e = await rotation;
    expectThat(e.status === 'SUCCEEDED', `the rotation succeeded (${e.status} ${e.cause ?? ''})`);
    const child = childrenOf(e)[0];
    const f1 = twin.world.executions.find((x) => x.name === 'alarm-1');
    const waited =
      child?.history.filter((h) => h.type === 'StateEntered' && h.state === 'WaitForClusterLock').length ?? 0;
    const deregisteredAt =
      child?.history.find((h) => h.type === 'StateEntered' && h.state === 'DeregisterNodeTarget')?.at ?? 0;
    expectThat(waited > 0, 'the rotation waited for the failover run');
    expectThat(
      (f1?.stoppedAt ?? Number.POSITIVE_INFINITY) <= deregisteredAt,
      'the primary was touched only after the failover run ended',
    );
    await twin.runUntil(
      () => twin.world.executions.every((x) => x.status !== 'RUNNING'),
      30 * MINUTE,
      'every run ending',
    );
    const f2 = twin.world.executions.find((x) => x.name === 'alarm-2');
    expectThat(
      f2 !== undefined && !entered(f2, 'FenceEpoch'),
      'the alarm during the planned restart fenced nothing',
    );
    expectThat(thePrimary(twin) === primary, 'the same primary');
    expectThat(
      servedBy(twin, primary) === (await recordedCert(twin, primary))?.fingerprint,
      'the primary serves its new certificate',
    );
    say(
      `the rotation waited ${waited} round(s) for the failover run; the second alarm run found the lock held`,
    );
    return undefined;
  },
};

export const CERT_CLUSTER_SCENARIOS: readonly Scenario[] = [
  joinWithCertificate,
  caRotationResumed,
  rotationMeetsFailover,
];
