/**
 * Issue 13, item 5 on the twin, with the real cert-rotation: the daily census renews what the policy says is
 * due (functions/core/cert-policy.ts), and the renewal window keeps planned restarts out of business hours
 * while a certificate close to expiry renews anyway, and says so. Every node serves a certificate the signer
 * issued (adopted, tls on); the premise of each scene is a node record's dates (what the census reads): a
 * certificate issued 65 days ago (due), or one with 10 days left (near expiry), or one past its notAfter.
 */
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { nodeKey } from '../../functions/core/keys';
import { PER_NODE_SECONDS } from '../../infra/cert-rotation';
import type { Config } from '../../infra/config/schema';
import type { ExecutionRecord } from '../core/world';
import { TestCa } from '../services/test-ca';
import { type NodeTls, pooledKey, TLS_FILES } from '../services/tls';
import type { Twin } from '../twin';
import {
  adoptEveryRegion,
  childrenOf,
  expectNodeBudget,
  invoke,
  nodeOf,
  recordedCert,
  rotations,
  servedBy,
  servingNodes,
  settledCluster,
} from './cert-rotation';
import { layoutOf, minutes, regionOf, thePrimary } from './primary-failover';
import { expectThat, MINUTE, type Scenario } from './types';

const DAY_MS = 86_400_000;
/** The census hour of these scenes: an hour after the world starts (09:00 UTC, a Monday). */
const CENSUS_HOUR = 10;

/** Saturday and Sunday 01:00-05:00 UTC: the world's Monday 10:00 is outside it. */
const WEEKEND = { days: ['sat', 'sun'] as ('sat' | 'sun')[], startHour: 1, endHour: 5 };

export const withCensus =
  (window?: typeof WEEKEND) =>
  (config: Config): Config => ({
    ...config,
    certificates: {
      ...config.certificates,
      censusHourUtc: CENSUS_HOUR,
      ...(window ? { renewalWindow: window } : {}),
    },
  });

/** Rewrites a node record's certificate dates (its fingerprint stays: the node serves what is recorded). */
export async function backdate(twin: Twin, id: string, ageDays: number, leftDays: number): Promise<void> {
  const now = twin.world.clock.now();
  await DynamoDBDocumentClient.from(twin.dynamo.client(regionOf(twin), { sdkRetries: false })).send(
    new UpdateCommand({
      TableName: layoutOf(twin).stateTable,
      Key: nodeKey(twin.world.config.cluster.name, id),
      UpdateExpression: 'SET cert.notBefore = :nb, cert.notAfter = :na',
      ConditionExpression: 'attribute_exists(cert)',
      ExpressionAttributeValues: {
        ':nb': new Date(now - ageDays * DAY_MS).toISOString(),
        ':na': new Date(now + leftDays * DAY_MS).toISOString(),
      },
    }),
  );
}

/**
 * Runs the twin until 3 minutes before the census. A record that says a certificate is close to (or past) its
 * expiry also puts the certificate-expiry alarm into ALARM at the end of its 15-minute period, and the alarm's
 * run would renew it first; written just before the census, the census's run meets it first, and the alarm's
 * start finds the census's inside the cooldown.
 */
async function untilJustBeforeCensus(twin: Twin): Promise<void> {
  const at = censusAt(twin) - 3 * MINUTE;
  await twin.runUntil(
    () => twin.world.clock.now() >= at,
    Math.max(0, at - twin.world.clock.now()) + MINUTE,
    'the minutes before the census',
  );
}

/** Today's census minute in virtual time. */
export const censusAt = (twin: Twin) =>
  Date.parse(`${new Date(twin.world.clock.now()).toISOString().slice(0, 11)}${CENSUS_HOUR}:00:00Z`);

/** Waits for the census's run to start and end; returns it. */
async function censusRun(twin: Twin): Promise<ExecutionRecord> {
  const at = censusAt(twin);
  const ours = (e: ExecutionRecord) =>
    e.region === regionOf(twin) && e.name.startsWith('cert-rotation-schedule-');
  await twin.runUntil(
    () => rotations(twin).some(ours),
    at - twin.world.clock.now() + 5 * MINUTE,
    'the census starting a run',
  );
  const run = rotations(twin).find(ours) as ExecutionRecord;
  await twin.runUntil(() => run.status !== 'RUNNING', 120 * MINUTE, `${run.name} ending`);
  // The other region's census starts its own run, whose probe may outlast this one: the scene ends with none.
  await twin.runUntil(
    () => rotations(twin).every((e) => e.status !== 'RUNNING'),
    120 * MINUTE,
    "every region's census run ending",
  );
  expectThat(
    run.status === 'SUCCEEDED',
    `${run.name} succeeded (${run.status} ${run.error ?? ''} ${run.cause ?? ''})`,
  );
  return run;
}

/** The run's report summary (what the operator reads). */
const summaryOf = (run: ExecutionRecord): string => JSON.stringify(run.output ?? '');

/** A member of the first region (not the primary). */
const aMember = (twin: Twin, nodes: readonly string[]) =>
  nodes.find((id) => id !== thePrimary(twin)) as string;

/** The census's promise for a broken node: renewed and back in service within this many per-node rounds. */
const BROKEN_BOUND_ROUNDS = 2;

/**
 * The premise of the broken-certificate scenes: the adopted cluster, and Auto Scaling's default EC2 health
 * checks (AWS Config, *autoscaling-group-elb-healthcheck-required*: "The valid values are EC2 (default), ELB,
 * and VPC_LATTICE",
 * https://docs.aws.amazon.com/config/latest/developerguide/autoscaling-group-elb-healthcheck-required.html):
 * the group does not replace a node the ALB calls unhealthy, so only the census can bring it back.
 */
async function adoptWithEc2HealthChecks(twin: Twin): Promise<void> {
  await adoptEveryRegion(twin);
  for (const region of twin.world.regionNames) {
    const l = twin.layout.regions.get(region);
    for (const group of [l?.primaryGroup, l?.memberGroup]) {
      if (group === undefined) continue;
      await twin.world.call(region, 'autoscaling', 'UpdateAutoScalingGroup', {
        AutoScalingGroupName: group,
        HealthCheckType: 'EC2',
      });
    }
  }
}

/**
 * Makes `id` serve a certificate for its IP that ended `agoDays` ago, issued by a CA of the scene's (its own
 * trusted directory holds that CA too, so what breaks it is the date): the node's router health turns 503, the
 * ALB follows. Its record still holds the certificate the signer issued.
 */
async function serveExpired(twin: Twin, id: string, agoDays: number): Promise<string> {
  const inst = twin.world.region(regionOf(twin)).ec2.instance(id);
  if (!inst) throw new Error(`no instance ${id}`);
  const now = twin.world.clock.now();
  const ca = await TestCa.create('expired-leaf test CA', { notBefore: now - 400 * DAY_MS });
  const key = pooledKey(2048);
  const cert = await ca.issue({
    ip: inst.privateIp,
    privateKeyPem: key.privatePem,
    notBefore: now - (90 + agoDays) * DAY_MS,
    notAfter: now - agoDays * DAY_MS,
  });
  const tls = inst.node.tls as NodeTls;
  tls.seed(cert, `${tls.file(TLS_FILES.ca) ?? ''}${ca.certificate}`, key.privatePem);
  return servedBy(twin, id) as string;
}

/** Waits until `id` is InService and a healthy target (or `within` ms pass). */
async function backInService(twin: Twin, id: string, within: number): Promise<void> {
  await twin.runUntil(() => servingNodes(twin).includes(id), within, `${id} back in service`);
}

export const censusRenewsExpired: Scenario = {
  name: 'cert-census-expired',
  title: 'The daily census finds a node serving an expired certificate, out of service, and renews it',
  description:
    "Three nodes serve certificates the signer issued (adopted, tls on; the groups use Auto Scaling's default EC2 health checks, so the group never replaces a node the ALB calls unhealthy). Forty minutes before the census one member starts serving a certificate that ended a day ago: its router health turns 503 and the ALB takes it out; its record still says all is well. At the census hour the run's probe (ProbeServedCertificate from one serving peer over every node) sees the expired certificate; the plan renews that node at once although it is out of service (its renewal costs no capacity), and the node is back in service within two per-node rounds of the census.",
  members: 2,
  tls: 'on',
  prepare: adoptWithEc2HealthChecks,
  configure: withCensus(),
  async run(twin, say) {
    const nodes = await settledCluster(twin, 3);
    const victim = aMember(twin, nodes);
    const at = censusAt(twin) - 40 * MINUTE;
    await twin.runUntil(
      () => twin.world.clock.now() >= at,
      at - twin.world.clock.now() + MINUTE,
      'the census hour nears',
    );
    const expired = await serveExpired(twin, victim, 1);
    say(`${victim} serves ${expired.slice(0, 12)}…, which ended a day ago; its record is unchanged`);
    await twin.runUntil(
      () => !servingNodes(twin).includes(victim),
      10 * MINUTE,
      `the ALB taking ${victim} out`,
    );
    const out = twin.world.clock.now();
    say(`${victim} is out of service (router health 503, the ALB follows)`);
    const run = await censusRun(twin);
    const kids = childrenOf(run);
    expectThat(
      kids.length === 1 && nodeOf(kids[0] as ExecutionRecord) === victim,
      `the census renewed ${victim} alone (${kids.map(nodeOf).join(', ') || 'none'})`,
    );
    const summary = summaryOf(run);
    expectThat(summary.includes('"reason":"expired"'), `the plan renews it as expired (${summary})`);
    const worst = expectNodeBudget(run);
    const bound = censusAt(twin) + BROKEN_BOUND_ROUNDS * PER_NODE_SECONDS * 1000;
    await backInService(twin, victim, Math.max(MINUTE, bound - twin.world.clock.now()));
    const back = twin.world.clock.now();
    const served = servedBy(twin, victim);
    expectThat(served !== undefined && served !== expired, `${victim} serves a new certificate`);
    expectThat(
      (await recordedCert(twin, victim))?.fingerprint === served,
      `${victim}'s record holds what it serves`,
    );
    expectThat(
      back <= bound,
      `${victim} back in service ${minutes(back - censusAt(twin))} after the census, bound ${minutes(bound - censusAt(twin))}`,
    );
    say(
      `${run.name} renewed ${victim} (expired); back in service ${minutes(back - censusAt(twin))} after the census (out for ${minutes(back - out)}); ${worst} transitions`,
    );
    return {
      'census to back in service': minutes(back - censusAt(twin)),
      'out of service': minutes(back - out),
      'node transitions': worst,
    };
  },
};

/**
 * Makes `id` serve another certificate than its record's: issued by the signer (so every peer trusts it) and
 * loaded as at a start, never recorded. The node stays healthy.
 */
async function serveUnrecorded(twin: Twin, id: string): Promise<string> {
  const region = regionOf(twin);
  const cp = twin.controlPlane.get(region);
  const inst = twin.world.region(region).ec2.instance(id);
  if (!cp || !inst) throw new Error(`no control plane or no instance ${id}`);
  const tls = inst.node.tls as NodeTls;
  let csr: string | undefined;
  void tls
    .makeCsr(2048, (work) => twin.world.clock.track(work))
    .then((c) => {
      csr = c;
    });
  await twin.runUntil(() => csr !== undefined, MINUTE, `${id} making a CSR`);
  const execution = `arn:aws:states:${region}:${twin.world.accountId}:execution:by-hand:scene`;
  const issued = (await invoke(twin, cp.signerArn, { op: 'issue', instanceId: id, csr, execution })) as {
    certificate: string;
    caBundle: string;
  };
  tls.seed(issued.certificate, issued.caBundle, tls.file(TLS_FILES.nextKey) as string);
  return servedBy(twin, id) as string;
}

export const censusRenewsMismatch: Scenario = {
  name: 'cert-census-mismatch',
  title: 'The daily census finds a node serving another certificate than its record, and renews it',
  description:
    "Three nodes serve certificates the signer issued (adopted, tls on). Before the census one member is given another certificate by hand (issued by the signer, so every peer trusts it and the node stays healthy) that its record does not hold. The census's probe sees the served fingerprint differ from the record; the run renews that node alone as `mismatch`, its record holds what it serves again, and the others are untouched.",
  members: 2,
  tls: 'on',
  prepare: adoptEveryRegion,
  configure: withCensus(),
  async run(twin, say) {
    const nodes = await settledCluster(twin, 3);
    const odd = aMember(twin, nodes);
    const served = new Map(nodes.map((id) => [id, servedBy(twin, id)]));
    await untilJustBeforeCensus(twin);
    const unrecorded = await serveUnrecorded(twin, odd);
    const recorded = (await recordedCert(twin, odd))?.fingerprint;
    expectThat(recorded !== unrecorded, `${odd} serves what its record does not hold`);
    say(`${odd} serves ${unrecorded.slice(0, 12)}…; its record says ${recorded?.slice(0, 12)}…`);
    const run = await censusRun(twin);
    const kids = childrenOf(run);
    expectThat(
      kids.length === 1 && nodeOf(kids[0] as ExecutionRecord) === odd,
      `the census renewed ${odd} alone (${kids.map(nodeOf).join(', ') || 'none'})`,
    );
    const summary = summaryOf(run);
    expectThat(summary.includes('"reason":"mismatch"'), `the plan renews it as mismatch (${summary})`);
    const worst = expectNodeBudget(run);
    const now = servedBy(twin, odd);
    expectThat(now !== undefined && now !== unrecorded, `${odd} serves a new certificate`);
    expectThat((await recordedCert(twin, odd))?.fingerprint === now, `${odd}'s record holds what it serves`);
    for (const id of nodes.filter((n) => n !== odd))
      expectThat(servedBy(twin, id) === served.get(id), `${id} still serves its certificate`);
    const took = (run.stoppedAt ?? 0) - censusAt(twin);
    const bound = BROKEN_BOUND_ROUNDS * PER_NODE_SECONDS * 1000;
    expectThat(took <= bound, `the census ran ${minutes(took)}, bound ${minutes(bound)}`);
    say(`${run.name} renewed ${odd} (mismatch) in ${minutes(took)}; ${worst} transitions`);
    return { 'census to renewed': minutes(took), 'node transitions': worst };
  },
};

export const windowDefers: Scenario = {
  name: 'cert-window-defers',
  title: 'Outside the renewal window the census defers a due certificate to the next window open',
  description:
    "The renewal window is Saturday and Sunday, 01:00-05:00 UTC; the census runs on a Monday at 10:00. One node's record says its certificate was issued 65 days ago (due at 60 of 90). The census's run finds it due but outside the window: it restarts nothing, and its report lists the node as deferred until Saturday 01:00.",
  members: 2,
  tls: 'on',
  prepare: adoptEveryRegion,
  configure: withCensus(WEEKEND),
  async run(twin, say) {
    const nodes = await settledCluster(twin, 3);
    const due = aMember(twin, nodes);
    const served = new Map(nodes.map((id) => [id, servedBy(twin, id)]));
    await backdate(twin, due, 65, 25);
    say(`${due}'s certificate is due (65 of 90 days); the window opens on Saturday`);
    const run = await censusRun(twin);
    const summary = summaryOf(run);
    expectThat(
      childrenOf(run).length === 0,
      `nothing was restarted (${childrenOf(run).map(nodeOf).join(', ')})`,
    );
    expectThat(
      summary.includes(`${due} (due until 2026-01-10T01:00:00.000Z)`),
      `the report defers ${due} to Saturday 01:00 (${summary})`,
    );
    for (const id of nodes)
      expectThat(servedBy(twin, id) === served.get(id), `${id} still serves its certificate`);
    say(`${run.name}: ${due} deferred to 2026-01-10T01:00Z; nothing restarted`);
    return { deferred: due };
  },
};

export const nearExpiryOverrides: Scenario = {
  name: 'cert-near-expiry-overrides-window',
  title: 'A certificate close to expiry renews outside the window, and the report says so',
  description:
    "The same window (Saturday and Sunday, 01:00-05:00 UTC) and a Monday census; one node's record says its certificate has 10 days left, under nearExpiryDays (14). The census renews it at once, outside the window, and the run's report says that it did so outside the window because of near expiry.",
  members: 2,
  tls: 'on',
  prepare: adoptEveryRegion,
  configure: withCensus(WEEKEND),
  async run(twin, say) {
    const nodes = await settledCluster(twin, 3);
    const near = aMember(twin, nodes);
    const before = servedBy(twin, near);
    await untilJustBeforeCensus(twin);
    await backdate(twin, near, 80, 10);
    say(`${near}'s certificate has 10 days left (nearExpiryDays 14); the window opens on Saturday`);
    const run = await censusRun(twin);
    const kids = childrenOf(run);
    expectThat(
      kids.length === 1 && nodeOf(kids[0] as ExecutionRecord) === near,
      `the census renewed ${near} alone (${kids.map(nodeOf).join(', ')})`,
    );
    expectThat(servedBy(twin, near) !== before, `${near} serves a new certificate`);
    const summary = summaryOf(run);
    expectThat(
      summary.includes(`renewed outside the renewal window: ${near} (near-expiry)`),
      `the report says it renewed outside the window for near expiry (${summary})`,
    );
    say(`${run.name} renewed ${near} outside the window (near-expiry)`);
    return { renewed: near };
  },
};

export const CERT_CENSUS_SCENARIOS: readonly Scenario[] = [
  censusRenewsExpired,
  censusRenewsMismatch,
  windowDefers,
  nearExpiryOverrides,
];
