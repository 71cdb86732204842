/**
 * Issue 13, item 5: cert-rotation's automatic triggers on the twin. The reconciler publishes the cluster's
 * smallest `CertificateDaysLeft` from the node records each sweep; under `nearExpiryDays` the
 * certificate-expiry alarm goes into ALARM and dispatch starts cert-rotation (trigger `alarm`); the daily
 * census schedule starts it at `censusHourUtc` (trigger `schedule`); both pass the gates (`GATE#cert-rotation`:
 * pause, cooldown, daily budget). Every node serves a certificate the signer issued (adopted, tls on).
 */
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { gateKey } from '../../functions/core/keys';
import { CERT_ROTATION } from '../../infra/cert-triggers';
import type { ExecutionRecord } from '../core/world';
import type { Twin } from '../twin';
import { backdate, censusAt, withCensus } from './cert-census';
import { adoptEveryRegion, childrenOf, nodeOf, rotations, servedBy, settledCluster } from './cert-rotation';
import { layoutOf, minutes, regionOf, thePrimary } from './primary-failover';
import { expectThat, MINUTE, type Scenario } from './types';

/** The first region's cert-rotation runs (each region has its own census, alarm and gate). */
const ours = (twin: Twin): ExecutionRecord[] => rotations(twin).filter((e) => e.region === regionOf(twin));

/** UTC yyyymmddHHMM of a virtual time. */
const stamp = (at: number) => new Date(at).toISOString().replace(/[-:T]/g, '').slice(0, 12);

async function gateItem(twin: Twin): Promise<{ execution?: string; count?: number } | undefined> {
  const out = await DynamoDBDocumentClient.from(
    twin.dynamo.client(regionOf(twin), { sdkRetries: false }),
  ).send(
    new GetCommand({
      TableName: layoutOf(twin).stateTable,
      Key: gateKey(twin.world.config.cluster.name, CERT_ROTATION),
      ConsistentRead: true,
    }),
  );
  return out.Item as { execution?: string; count?: number } | undefined;
}

export const certificateAlarm: Scenario = {
  name: 'certificate-expiry-alarm',
  title:
    'A certificate close to expiry starts cert-rotation through the alarm; the census an hour later is held by the cooldown',
  description:
    "Three nodes serve certificates the signer issued; one node's record says 10 days are left, under nearExpiryDays (14). The next sweep publishes CertificateDaysLeft = 10, the certificate-expiry alarm goes into ALARM at the end of its 15-minute period, and dispatch starts cert-rotation-alarm-<minute> under the gates, recording the start in GATE#cert-rotation: the run renews that node. The daily census (10:00 UTC for the scene) fires inside the 60-minute cooldown: it is audited as gated and starts nothing.",
  members: 2,
  tls: 'on',
  prepare: adoptEveryRegion,
  configure: withCensus(),
  async run(twin, say) {
    const nodes = await settledCluster(twin, 3);
    const near = nodes.find((id) => id !== thePrimary(twin)) as string;
    const before = servedBy(twin, near);
    await backdate(twin, near, 80, 10);
    say(`${near}'s record: 10 days left (nearExpiryDays 14)`);
    const from = twin.world.clock.now();
    await twin.runUntil(() => ours(twin).length > 0, 30 * MINUTE, 'a cert-rotation run starting');
    const run = ours(twin)[0] as ExecutionRecord;
    const tookMs = run.startedAt - from;
    expectThat(run.name.startsWith('cert-rotation-alarm-'), `the alarm started it (${run.name})`);
    const input = (typeof run.input === 'string' ? JSON.parse(run.input) : run.input) as { trigger?: string };
    expectThat(input.trigger === 'alarm', `its trigger is alarm (${input.trigger})`);
    expectThat(tookMs <= 25 * MINUTE, `it started within a sweep and an alarm period (${minutes(tookMs)})`);
    await twin.runUntil(() => run.status !== 'RUNNING', 60 * MINUTE, `${run.name} ending`);
    expectThat(run.status === 'SUCCEEDED', `${run.name} succeeded (${run.status})`);
    const kids = childrenOf(run);
    expectThat(
      kids.length === 1 && nodeOf(kids[0] as ExecutionRecord) === near,
      `it renewed ${near} alone (${kids.map(nodeOf).join(', ')})`,
    );
    expectThat(servedBy(twin, near) !== before, `${near} serves a new certificate`);
    say(`${run.name} started ${minutes(tookMs)} after the record and renewed ${near}`);

    const census = censusAt(twin);
    await twin.runUntil(
      () => twin.world.clock.now() >= census + 2 * MINUTE,
      2 * 60 * MINUTE,
      'the census at 10:00',
    );
    const gate = await gateItem(twin);
    expectThat(
      ours(twin).length === 1,
      `the census started nothing (${ours(twin)
        .map((r) => r.name)
        .join(', ')})`,
    );
    expectThat(
      gate?.execution === run.name && gate.count === 1,
      `the gate records the one start (${JSON.stringify(gate)})`,
    );
    say(`the census at 10:00 found ${run.name} inside the cooldown: held`);
    await twin.runUntil(
      () => twin.world.executions.every((e) => e.status !== 'RUNNING'),
      60 * MINUTE,
      'every run ending',
    );
    return { 'alarm to run': minutes(tookMs) };
  },
};

export const dailyCensus: Scenario = {
  name: 'daily-certificate-census',
  title: 'The daily census starts one cert-rotation run at censusHourUtc',
  description:
    'No certificate is close to expiry, so the alarm stays OK. At censusHourUtc (10:00 UTC for the scene) the census rule fires and dispatch starts cert-rotation-schedule-<yyyymmddHHMM> under the gates; its census finds nothing due and restarts nothing. A second delivery of the same scheduled event a minute later (EventBridge delivers at least once) finds the run already started.',
  members: 2,
  tls: 'on',
  prepare: adoptEveryRegion,
  configure: withCensus(),
  async run(twin, say) {
    await settledCluster(twin, 3);
    const census = censusAt(twin);
    await twin.runUntil(
      () => ours(twin).length > 0,
      census - twin.world.clock.now() + 5 * MINUTE,
      'the census starting a run',
    );
    const run = ours(twin)[0] as ExecutionRecord;
    const expected = `cert-rotation-schedule-${stamp(census)}`;
    expectThat(run.name === expected, `the census started ${expected} (${run.name})`);
    expectThat(
      run.startedAt - census < 2 * MINUTE,
      `at the census hour (${minutes(run.startedAt - census)} after 10:00)`,
    );
    say(`${run.name} started by the census`);
    await twin.run(MINUTE);
    const region = regionOf(twin);
    const out = (await twin.lambda.invoke(twin.controlPlane.get(region)?.dispatchArn as string, {
      version: '0',
      id: 'redelivered-census',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: twin.world.accountId,
      time: new Date(census).toISOString(),
      region,
      resources: [
        `arn:aws:events:${region}:${twin.world.accountId}:rule/${twin.world.config.cluster.name}-cert-census`,
      ],
      detail: {},
    })) as { outcome?: string } | undefined;
    expectThat(
      out?.outcome === 'duplicate',
      `a redelivered census answers duplicate (${JSON.stringify(out)})`,
    );
    await twin.runUntil(() => run.status !== 'RUNNING', 60 * MINUTE, `${run.name} ending`);
    expectThat(
      run.status === 'SUCCEEDED' && childrenOf(run).length === 0,
      `it found nothing due (${run.status}, ${childrenOf(run).length} node(s))`,
    );
    expectThat(ours(twin).length === 1, 'one run for one census');
    return { 'census to run': minutes(run.startedAt - census) };
  },
};

export const CERT_TRIGGER_SCENARIOS: readonly Scenario[] = [certificateAlarm, dailyCensus];
