/**
 * The `flip` and `verify` ops. A flip checks the fence (a majority of the routing tables still name our epoch),
 * sets the switch through the configured driver, then records `SWITCH#<region>` (and, for an automatic run, the
 * gate) in every reachable routing table, each write fenced by its item's epoch.
 */
import { routingGateKey, switchKey } from '../core/keys';
import { FENCED_ITEM_CONDITION, quorumVerdict } from '../core/regional-lease';
import { gateAfterFlip, type RoutingGateRecord } from '../core/regional-plan';
import { copiesSettled, servingCount, servingMap } from '../core/regional-serving';
import { cloudWatchIn, cloudWatchSdk } from '../shared/clients/cloudwatch';
import { dynamoDocIn, dynamoDocSdk } from '../shared/clients/dynamodb';
import { route53Sdk } from '../shared/clients/route53';
import { ControlPlaneUnavailable, Fenced, NoQuorum, SwitchUnreachable } from '../shared/errors';
import type { OpInput } from './input';
import { checkFence } from './lease';
import { copyStates, observeRegions, type RoutingCtx, switchAlarmOf } from './observe';
import { type RoutingSettings, regionOf } from './settings';
import { eachVoter, okRegions, outcomeOf, readEveryVoter, values } from './tables';

/** The switch metrics (infra/stacks/names.ts REGION_SERVING_METRIC, CANARY_SERVING_METRIC). */
export const SWITCH_METRICS = { real: 'RegionServing', canary: 'CanaryServing' } as const;

export interface CopyResult {
  readonly region: string;
  readonly ok: boolean;
  readonly error?: string;
}

/**
 * cloudwatch-switch: publish the switch value in every copy region. Evacuating needs one copy outside the
 * region (one copy in ALARM takes it out); restoring needs every copy (one left at 0 keeps it out).
 */
async function publishSwitch(
  s: RoutingSettings,
  region: string,
  serving: boolean,
  canary: boolean,
): Promise<CopyResult[]> {
  const { PutMetricDataCommand } = cloudWatchSdk();
  const put = async (copy: string, value: 0 | 1): Promise<CopyResult> => {
    try {
      await cloudWatchIn(copy).send(
        new PutMetricDataCommand({
          Namespace: s.namespace,
          MetricData: [
            {
              MetricName: canary ? SWITCH_METRICS.canary : SWITCH_METRICS.real,
              Dimensions: [
                { Name: 'Cluster', Value: s.cluster },
                { Name: 'Region', Value: region },
              ],
              Value: value,
              Unit: 'Count',
            },
          ],
        }),
      );
      return { region: copy, ok: true };
    } catch (err) {
      return { region: copy, ok: false, error: (err as Error).name };
    }
  };
  const copies = await Promise.all(s.regions.map((copy) => put(copy.name, serving ? 1 : 0)));
  const written = copies.filter((c) => c.ok);
  if (!serving && !written.some((c) => c.region !== region))
    throw new SwitchUnreachable(
      `evacuate ${region}: no switch copy outside ${region} could be written (${describe(copies)})`,
    );
  if (serving && written.length < copies.length) {
    // The copy that could not be written may not be in ALARM (its region was unreachable when the region was
    // evacuated, and its check keeps its last, healthy, status): the 1s just written would bring the region
    // back. Publish 0 again where 1 was written: the switch alarm's statistic is the period's Minimum, so the
    // copies stay in ALARM and the region stays out (scene regional-cloudwatch-lost).
    await Promise.all(written.map((c) => put(c.region, 0)));
    throw new SwitchUnreachable(
      `restore ${region}: every switch copy must be written, ${region} stays out (${describe(copies)}; 0 published again in ${written.map((c) => c.region).join(', ') || 'none'})`,
    );
  }
  return copies;
}

const describe = (copies: readonly CopyResult[]) =>
  copies.map((c) => `${c.region} ${c.ok ? 'ok' : c.error}`).join(', ');

/**
 * route53-api: find the copy health check of `region` that lives in `region` (its AlarmIdentifier) and set its
 * `Inverted` flag. Any failure of Route 53's API (its control plane) is {@link ControlPlaneUnavailable}.
 */
async function invertCheck(
  s: RoutingSettings,
  region: string,
  serving: boolean,
  canary: boolean,
  ctx: RoutingCtx,
): Promise<CopyResult[]> {
  const { ListHealthChecksCommand, UpdateHealthCheckCommand } = route53Sdk();
  const alarm = switchAlarmOf(regionOf(s, region), canary);
  try {
    let marker: string | undefined;
    let id: string | undefined;
    // Bounded: 100 checks a page, 50 pages.
    for (let page = 0; page < 50 && id === undefined; page++) {
      const out = await ctx
        .route53()
        .send(new ListHealthChecksCommand({ ...(marker ? { Marker: marker } : {}), MaxItems: 100 }));
      id = out.HealthChecks?.find(
        (h) =>
          h.HealthCheckConfig?.AlarmIdentifier?.Region === region &&
          h.HealthCheckConfig.AlarmIdentifier.Name === alarm,
      )?.Id;
      if (out.IsTruncated !== true) break;
      marker = out.NextMarker;
    }
    if (id === undefined) throw new ControlPlaneUnavailable(`no health check watches ${alarm} in ${region}`);
    await ctx.route53().send(new UpdateHealthCheckCommand({ HealthCheckId: id, Inverted: !serving }));
    return [{ region, ok: true }];
  } catch (err) {
    if (err instanceof ControlPlaneUnavailable) throw err;
    throw new ControlPlaneUnavailable(
      `Route 53's API (control plane, us-east-1) failed: ${(err as Error).name}`,
      { cause: err },
    );
  }
}

/** Record the switch (and the gate) in every reachable voter, fenced by each item's epoch. */
async function record(input: OpInput<'flip'>, s: RoutingSettings, now: number): Promise<string[]> {
  const { UpdateCommand } = dynamoDocSdk();
  const changedAt = new Date(now).toISOString();
  const answers = await eachVoter(s, async (TableName, region) => {
    await dynamoDocIn(region).send(
      new UpdateCommand({
        TableName,
        Key: switchKey(s.cluster, input.region),
        UpdateExpression:
          'SET serving = :serving, epoch = :epoch, changedAt = :changedAt, #by = :by, reason = :reason, #trigger = :trigger',
        ConditionExpression: FENCED_ITEM_CONDITION,
        ExpressionAttributeNames: { '#by': 'by', '#trigger': 'trigger' },
        ExpressionAttributeValues: {
          ':serving': input.serving,
          ':epoch': input.epoch,
          ':changedAt': changedAt,
          ':by': input.owner,
          ':reason': input.reason,
          ':trigger': input.revert === true ? `${input.trigger} (revert)` : input.trigger,
        },
      }),
    );
  });
  const verdict = quorumVerdict(answers.map(outcomeOf), s.quorum);
  if (verdict === 'fenced')
    throw new Fenced(`SWITCH#${input.region} holds a newer epoch than ${input.epoch}`);
  if (verdict === 'no-quorum')
    throw new NoQuorum(
      `SWITCH#${input.region} recorded in ${okRegions(answers).join(', ') || 'no'} table(s) only`,
    );
  return okRegions(answers);
}

/** Count an automatic flip in the gate (cooldown, budget), fenced like the switch record. */
async function countInGate(
  s: RoutingSettings,
  epoch: number,
  now: number,
  action: 'evacuate' | 'restore',
): Promise<void> {
  const { UpdateCommand } = dynamoDocSdk();
  const current = values(await readEveryVoter<RoutingGateRecord>(s, routingGateKey(s.cluster)));
  let latest: RoutingGateRecord | undefined;
  for (const g of current)
    if (g && (latest === undefined || (g.lastAt ?? 0) > (latest.lastAt ?? 0))) latest = g;
  const next = gateAfterFlip(latest, now, action);
  await eachVoter(s, async (TableName, region) => {
    await dynamoDocIn(region).send(
      new UpdateCommand({
        TableName,
        Key: routingGateKey(s.cluster),
        UpdateExpression: `SET ${next.lastAt === undefined ? '' : 'lastAt = :lastAt, '}#day = :day, #count = :count, epoch = :epoch`,
        ConditionExpression: FENCED_ITEM_CONDITION,
        ExpressionAttributeNames: { '#day': 'day', '#count': 'count' },
        ExpressionAttributeValues: {
          ...(next.lastAt === undefined ? {} : { ':lastAt': next.lastAt }),
          ':day': next.day,
          ':count': next.count,
          ':epoch': epoch,
        },
      }),
    );
  });
}

/** Flip a region's switch (or the canary's) under the routing lease. */
export async function flip(input: OpInput<'flip'>, s: RoutingSettings, ctx: RoutingCtx) {
  await checkFence(s, input.owner, input.epoch);
  const canary = input.canary === true;
  const copies =
    s.driver === 'cloudwatch-switch'
      ? await publishSwitch(s, input.region, input.serving, canary)
      : await invertCheck(s, input.region, input.serving, canary, ctx);
  const now = ctx.now();
  // The canary's switch is not the region's: it leaves the region's record and the gate alone.
  const recordedIn = canary ? [] : await record(input, s, now);
  if (!canary && input.trigger === 'automatic' && input.revert !== true)
    await countInGate(s, input.epoch, now, input.serving ? 'restore' : 'evacuate');
  ctx.logger.info('switch flipped', {
    region: input.region,
    serving: input.serving,
    driver: s.driver,
    canary,
    epoch: input.epoch,
    copies,
  });
  return { region: input.region, serving: input.serving, driver: s.driver, copies, recordedIn };
}

/**
 * Whether the flip settled (the copies' alarms show it; route53-api: the routing tables recorded it) and the
 * serving rules hold (at least `minServingRegions` regions serve).
 */
export async function verify(input: OpInput<'verify'>, s: RoutingSettings, ctx: RoutingCtx) {
  const recordDecides = s.driver === 'route53-api';
  const canary = input.canary === true;
  const [{ observations }, canaryCopies] = await Promise.all([
    observeRegions(s, false),
    canary ? copyStates(s, true) : Promise.resolve(undefined),
  ]);
  const serving = servingMap(observations);
  const mine =
    canaryCopies?.get(input.region) ?? observations.find((o) => o.region === input.region)?.copies ?? [];
  // route53-api: the switch is the check's Inverted flag, which only Route 53's API shows; the record stands in.
  const settled =
    recordDecides && !canary
      ? observations.find((o) => o.region === input.region)?.recorded === input.serving
      : copiesSettled(mine, input.serving);
  const count = servingCount(serving);
  const broken =
    count >= s.minServingRegions
      ? []
      : [`min-serving-regions: ${count} region(s) serve, fewer than ${s.minServingRegions}`];
  const detail = `${input.region} copies: ${mine.map((c) => `${c.region} ${c.state}`).join(', ')}; serving: ${Object.entries(
    serving,
  )
    .map(([r, st]) => `${r} ${st}`)
    .join(', ')}`;
  ctx.logger.info('switch verified', { region: input.region, settled, broken, epoch: input.epoch });
  return { settled, rulesHold: broken.length === 0, serving, broken, detail };
}
