/**
 * Issue 13, item 5: cert-rotation's automatic triggers on the twin. The reconciler publishes the cluster's
 * smallest `CertificateDaysLeft` from the node records each sweep; under `nearExpiryDays` the
 * certificate-expiry alarm goes into ALARM and dispatch starts cert-rotation (trigger `alarm`); the daily
 * census schedule starts it at `censusHourUtc` (trigger `schedule`); both pass the gates (`GATE#cert-rotation`:
 * pause, cooldown, daily budget). The run itself is a waiting stand-in deployed in place of cert-rotation (the
 * real run is the cert-rotation scenes'): these scenes check what starts it, when, and what holds it back.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { gateKey, nodeKey } from '../../functions/core/keys';
import { CERT_ROTATION } from '../../infra/cert-triggers';
import type { Config } from '../../infra/config/schema';
import type { ExecutionRecord } from '../core/world';
import type { Twin } from '../twin';
import { certRotationArn, documents } from './planned-restart';
import { layoutOf, minutes, regionOf } from './primary-failover';
import { expectThat, MINUTE, type Scenario } from './types';

const DAY_MS = 86_400_000;

/** The first region's runs (the other region's census starts its own, since cert-rotation is deployed there). */
const rotations = (twin: Twin): ExecutionRecord[] =>
  twin.world.executions.filter((e) => e.stateMachine === CERT_ROTATION && e.region === regionOf(twin));

/** Every InService node of the cluster's groups in the first region. */
function nodes(twin: Twin): string[] {
  const l = layoutOf(twin);
  const as = twin.world.region(regionOf(twin)).autoscaling;
  return [l.primaryGroup, l.memberGroup].flatMap((g) =>
    as
      .groupInstances(g)
      .filter((i) => i.state === 'InService')
      .map((i) => i.id),
  );
}

/**
 * Records a verified certificate on each node's record (as cert-rotation and node-bootstrap write it after the
 * served certificate was verified), `daysLeft[i]` days from expiry, 90-day lifetime. The twin's initial nodes
 * were not bootstrapped, so their records hold only this.
 */
async function recordCertificates(twin: Twin, daysLeft: readonly number[]): Promise<string[]> {
  const now = twin.world.clock.now();
  const ids = nodes(twin);
  for (const [i, id] of ids.entries()) {
    const left = daysLeft[i] ?? daysLeft.at(-1) ?? 60;
    await documents(twin).send(
      new UpdateCommand({
        TableName: layoutOf(twin).stateTable,
        Key: nodeKey(twin.world.config.cluster.name, id),
        UpdateExpression: 'SET cert = :cert',
        ExpressionAttributeValues: {
          ':cert': {
            serial: `0${i}`,
            notBefore: new Date(now - (90 - left) * DAY_MS).toISOString(),
            notAfter: new Date(now + left * DAY_MS).toISOString(),
            fingerprint: `${i}`.repeat(64).slice(0, 64),
            issuer: 1,
            trusted: [1],
            installedAt: new Date(now).toISOString(),
            execution: 'node-bootstrap',
          },
        },
      }),
    );
  }
  return ids;
}

/** Stops the stand-in runs (a deployed cert-rotation ends by itself). */
async function endRuns(twin: Twin): Promise<void> {
  const running = twin.world.executions.filter(
    (e) => e.stateMachine === CERT_ROTATION && e.status === 'RUNNING',
  );
  for (const e of running) {
    await twin.world.call(e.region, 'sfn', 'StopExecution', {
      executionArn: e.executionArn,
      cause: 'scene end',
    });
  }
  await twin.run(MINUTE);
}

const censusAt =
  (hour: number) =>
  (config: Config): Config => ({
    ...config,
    certificates: { ...config.certificates, censusHourUtc: hour },
  });

/** Today's 10:00 UTC in virtual time (the world starts at 09:00). */
const tenOClock = (twin: Twin) =>
  Date.parse(`${new Date(twin.world.clock.now()).toISOString().slice(0, 11)}10:00:00Z`);

/** UTC yyyymmddHHMM of a virtual time. */
const stamp = (at: number) => new Date(at).toISOString().replace(/[-:T]/g, '').slice(0, 12);

export const certificateAlarm: Scenario = {
  name: 'certificate-expiry-alarm',
  title:
    'A certificate close to expiry starts cert-rotation through the alarm; the census an hour later is held by the cooldown',
  description:
    "Every node's record holds a verified certificate; one has 10 days left, under nearExpiryDays (14). The next sweep publishes CertificateDaysLeft = 10, the certificate-expiry alarm goes into ALARM, and dispatch starts cert-rotation-alarm-<time> under the gates, recording the start in GATE#cert-rotation. The daily census (moved to 10:00 UTC for the scene) fires 40-odd minutes later, inside the 60-minute cooldown: it is audited as gated and starts nothing.",
  configure: censusAt(10),
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    certRotationArn(twin);
    const ids = await recordCertificates(twin, [60, 10, 45]);
    say(`node records hold certificates; ${ids[1]} has 10 days left (nearExpiryDays 14)`);
    const from = twin.world.clock.now();
    await twin.runUntil(() => rotations(twin).length > 0, 30 * MINUTE, 'a cert-rotation run starting');
    const run = rotations(twin)[0] as ExecutionRecord;
    const tookMs = run.startedAt - from;
    expectThat(run.name.startsWith('cert-rotation-alarm-'), `the alarm started it (${run.name})`);
    const input = (typeof run.input === 'string' ? JSON.parse(run.input) : run.input) as { trigger?: string };
    expectThat(input.trigger === 'alarm', `its trigger is alarm (${input.trigger})`);
    expectThat(tookMs <= 25 * MINUTE, `it started within a sweep and an alarm period (${minutes(tookMs)})`);
    say(`${run.name} started ${minutes(tookMs)} after the certificate was recorded`);

    const census = tenOClock(twin);
    await twin.runUntil(
      () => twin.world.clock.now() >= census + 2 * MINUTE,
      2 * 60 * MINUTE,
      'the census at 10:00',
    );
    const gate = (
      await documents(twin).send(
        new GetCommand({
          TableName: layoutOf(twin).stateTable,
          Key: gateKey(twin.world.config.cluster.name, CERT_ROTATION),
        }),
      )
    ).Item as { execution?: string; count?: number } | undefined;
    expectThat(
      rotations(twin).length === 1,
      `the census started nothing (${rotations(twin)
        .map((r) => r.name)
        .join(', ')})`,
    );
    expectThat(
      gate?.execution === run.name && gate.count === 1,
      `the gate records the one start (${JSON.stringify(gate)})`,
    );
    say(`the census at 10:00 found ${run.name} inside the cooldown: held`);
    await endRuns(twin);
    return { 'alarm to run': minutes(tookMs) };
  },
};

export const dailyCensus: Scenario = {
  name: 'daily-certificate-census',
  title: 'The daily census starts one cert-rotation run at censusHourUtc',
  description:
    'No certificate is close to expiry, so the alarm stays OK. At censusHourUtc (10:00 UTC for the scene) the census rule fires and dispatch starts cert-rotation-schedule-<yyyymmddHHMM> under the gates; the run itself decides which nodes are due. A second delivery of the same scheduled event (EventBridge delivers at least once) finds the run already started.',
  configure: censusAt(10),
  async run(twin, say) {
    await twin.run(3 * MINUTE);
    certRotationArn(twin);
    await recordCertificates(twin, [60, 70, 80]);
    const census = tenOClock(twin);
    await twin.runUntil(() => rotations(twin).length > 0, 2 * 60 * MINUTE, 'the census starting a run');
    const run = rotations(twin)[0] as ExecutionRecord;
    const expected = `cert-rotation-schedule-${stamp(census)}`;
    expectThat(run.name === expected, `the census started ${expected} (${run.name})`);
    expectThat(
      run.startedAt - census < 2 * MINUTE,
      `at the census hour (${minutes(run.startedAt - census)} after 10:00)`,
    );
    say(`${run.name} started by the census`);
    // A redelivery of the census event a minute later: dispatch answers duplicate and starts nothing more.
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
    expectThat(rotations(twin).length === 1, 'one run for one census');
    await endRuns(twin);
    return { 'census to run': minutes(run.startedAt - census) };
  },
};

export const CERT_TRIGGER_SCENARIOS: readonly Scenario[] = [certificateAlarm, dailyCensus];
