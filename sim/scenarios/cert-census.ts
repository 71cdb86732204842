/**
 * Issue 13, item 5 on the twin, with the real cert-rotation: the daily census renews what the policy says is
 * due (functions/core/cert-policy.ts), and the renewal window keeps planned restarts out of business hours
 * while a certificate close to expiry renews anyway, and says so. Every node serves a certificate the signer
 * issued (adopted, tls on); the premise of each scene is a node record's dates (what the census reads): a
 * certificate issued 65 days ago (due), or one with 10 days left (near expiry), or one past its notAfter.
 */
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { nodeKey } from '../../functions/core/keys';
import type { Config } from '../../infra/config/schema';
import type { ExecutionRecord } from '../core/world';
import type { Twin } from '../twin';
import {
  adoptEveryRegion,
  childrenOf,
  nodeOf,
  recordedCert,
  rotations,
  servedBy,
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

export const censusRenewsExpired: Scenario = {
  name: 'cert-census-expired',
  title: 'The daily census finds a certificate past its notAfter and renews it',
  description:
    "Three nodes serve certificates the signer issued (adopted, tls on); one node's record says its certificate ended a day ago. At the census hour the schedule starts cert-rotation-schedule-<minute> through dispatch; the run's census reads the records, finds the node expired and renews it alone (the others are not due): drained, new key and certificate, restarted under the join lock, verified from a peer, registered again, its record follows.",
  members: 2,
  tls: 'on',
  prepare: adoptEveryRegion,
  configure: withCensus(),
  async run(twin, say) {
    const nodes = await settledCluster(twin, 3);
    const victim = aMember(twin, nodes);
    const before = servedBy(twin, victim);
    await untilJustBeforeCensus(twin);
    await backdate(twin, victim, 91, -1);
    say(`${victim}'s record: its certificate ended a day ago`);
    const run = await censusRun(twin);
    const kids = childrenOf(run);
    expectThat(
      kids.length === 1 && nodeOf(kids[0] as ExecutionRecord) === victim,
      `the census renewed ${victim} alone (${kids.map(nodeOf).join(', ')})`,
    );
    const summary = summaryOf(run);
    expectThat(summary.includes('"reason":"expired"'), `the plan renews it as expired (${summary})`);
    const served = servedBy(twin, victim);
    expectThat(served !== undefined && served !== before, `${victim} serves a new certificate`);
    expectThat(
      (await recordedCert(twin, victim))?.fingerprint === served,
      `${victim}'s record holds what it serves`,
    );
    const took = (run.stoppedAt ?? 0) - censusAt(twin);
    say(`${run.name} renewed ${victim} (expired) in ${minutes(took)}`);
    return { 'census to renewed': minutes(took) };
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
  windowDefers,
  nearExpiryOverrides,
];
