/**
 * The twin's TLS (issue 13, item 8), shown without any workflow: a node whose served certificate expires
 * breaks as Artifactory breaks (its router's health turns 503) and the ALB follows, within its health-check
 * schedule. The initial cluster serves certificates of a seed CA (sim/services/test-ca.ts) and every node
 * trusts it, so the trust-mesh invariant holds throughout.
 */
import { seedCertificates, TestCa } from '../services/test-ca';
import { pooledKey } from '../services/tls';
import type { Twin } from '../twin';
import { albDetection } from './floors';
import { expectThat, MINUTE, type Scenario } from './types';

const DAY_MS = 86_400_000;
/** How long after the world starts the victim's certificate expires: 20 minutes and up to 5 more (seeded). */
const EXPIRES_AFTER_MS = 20 * MINUTE;
const EXPIRY_JITTER_MS = 5 * MINUTE;

/** What the scene's preparation chose, per twin. */
const chosen = new WeakMap<Twin, { victim: string; notAfter: number }>();

/** A member's certificate expires while it runs: its router turns unhealthy and the ALB marks the target unhealthy. */
export const tlsExpiredMember: Scenario = {
  name: 'tls-expired-member',
  title: "A member's certificate expires while it runs; the ALB takes it out",
  description:
    "Every node of the initial cluster serves a certificate of the cluster's seed CA and trusts that CA (tls on). One member's certificate expires 20 to 25 minutes in (seeded): from its notAfter, the node's own TLS fails (JFrog: the router carries TLS between nodes and answers 503 on /router/api/v1/system/health when a local service is unhealthy), readiness fails, and the ALB marks the target unhealthy after its UnhealthyThresholdCount failed checks: at most the detection time of its check schedule after the notAfter. No workflow acts; every other node stays healthy, and every pair of live nodes trusts each other throughout.",
  controlPlane: false,
  tls: 'on',
  async prepare(twin) {
    const now = twin.world.clock.now();
    const ca = await TestCa.create(`${twin.world.clusterName} seed CA`, { notBefore: now - DAY_MS });
    const first = twin.world.regionNames[0] as string;
    const member = twin.world
      .region(first)
      .autoscaling.groupInstances(twin.layout.regions.get(first)?.memberGroup ?? '')[0]?.id;
    if (member === undefined) throw new Error('tls-expired-member needs a member in the first region');
    // X.509 times have whole seconds.
    const jitter = Math.floor(twin.world.rng.fork('tls-expiry').between(0, EXPIRY_JITTER_MS) / 1000) * 1000;
    const notAfter = now + EXPIRES_AFTER_MS + jitter;
    for (const region of twin.world.regionNames) {
      await seedCertificates(twin.world.region(region).ec2.instances(), ca, { now });
    }
    const victim = twin.world
      .region(first)
      .ec2.instances()
      .find((i) => i.id === member);
    const key = pooledKey(2048);
    const short = await ca.issue({
      ip: victim?.privateIp as string,
      privateKeyPem: key.privatePem,
      notBefore: now - DAY_MS,
      notAfter,
    });
    victim?.node.tls.seed(short, ca.certificate, key.privatePem);
    chosen.set(twin, { victim: member, notAfter });
  },
  async run(twin, say) {
    const region = twin.world.regionNames[0] as string;
    const r = twin.world.region(region);
    const tg = twin.layout.regions.get(region)?.targetGroupArn as string;
    const { victim, notAfter } = chosen.get(twin) ?? { victim: '', notAfter: 0 };
    const node = r.ec2.instances().find((i) => i.id === victim)?.node;
    expectThat(node !== undefined, 'the victim member exists');
    await twin.run(5 * MINUTE);
    expectThat(
      r.elbv2.targetState(tg, victim) === 'healthy' && node?.routerHealthy() === true,
      `${victim} serves a valid certificate and is healthy before its notAfter`,
    );
    say(`${victim}'s certificate expires at ${new Date(notAfter).toISOString()}`);
    await twin.runUntil(
      () => twin.world.clock.now() > notAfter,
      EXPIRES_AFTER_MS + EXPIRY_JITTER_MS,
      'the notAfter',
    );
    expectThat(
      node?.routerHealthy() === false && /certificate has expired/.test(node?.tlsProblem() ?? ''),
      `${victim}'s router is unhealthy once its certificate expired (got ${node?.tlsProblem() ?? 'no problem'})`,
    );
    // The ALB's verdict, from its own log: Auto Scaling (ELB health checks) drains the target in the same instant.
    const markedAt = () =>
      twin.world.timeline.entries.find(
        (e) =>
          e.source === 'elb' && e.message.startsWith(`${victim} in `) && e.message.includes('-> unhealthy'),
      )?.at;
    await twin.runUntil(() => markedAt() !== undefined, 15 * MINUTE, `the ALB marking ${victim} unhealthy`);
    const windowMs = (markedAt() as number) - notAfter;
    const { detectionMs } = albDetection(twin, notAfter);
    say(`the ALB marked ${victim} unhealthy ${Math.round(windowMs / 1000)} s after its notAfter`);
    expectThat(
      windowMs <= detectionMs + 1_000,
      `the ALB marks the expired node unhealthy within its detection time ${Math.round(detectionMs / 1000)} s (got ${Math.round(windowMs / 1000)} s)`,
    );
    // The others, as they were (Auto Scaling's replacement of the victim is no part of this scene).
    const others = r.ec2
      .instances()
      .filter((i) => i.id !== victim && i.state === 'running' && i.launchTime < notAfter);
    expectThat(
      others.every((i) => i.node.routerHealthy() && r.elbv2.targetState(tg, i.id) === 'healthy'),
      'every other node stays healthy',
    );
    return {
      'expired to ALB unhealthy': `${Math.round(windowMs / 1000)} s`,
      detection: `${Math.round(detectionMs / 1000)} s`,
    };
  },
};

export const TWIN_TLS_SCENARIOS: readonly Scenario[] = [tlsExpiredMember];
