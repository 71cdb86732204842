/**
 * The regional scenes' view of the twin (rf-contract §5): the faults they inject, the client population they
 * measure, and the floors of their windows. The floors follow the issue's formula (alarm evaluation + switch
 * alarm period + checker interval × failure threshold + TTL), from the deployment's settings and the alarms
 * the twin holds, never from a measured window.
 */
import { albMetricDimensions, regionDegradedAlarmSpec } from '../../infra/regional-routing';
import { AWAY_SHARE, ClientPopulation } from '../services/resolvers';
import type { Twin } from '../twin';
import { MINUTE } from './types';

/** The faults the regional scenes inject (sim/core/faults.ts, each cites its AWS page). */
export interface RegionalFaults {
  loseAlb(region: string): void;
  restoreAlb(region: string): void;
  brownout(region: string, share: number): void;
  endBrownout(region: string): void;
  loseCloudWatch(region: string): void;
  restoreCloudWatch(region: string): void;
  route53ApiDown(): void;
  route53ApiUp(): void;
}

export function regionalFaults(twin: Twin): RegionalFaults {
  const f = twin.world.faults;
  return {
    loseAlb: (region) => f.albLost(region),
    restoreAlb: (region) => f.albRestored(region),
    brownout: (region, share) => f.brownout({ region, share }),
    endBrownout: (region) => f.clearBrownout(region),
    loseCloudWatch: (region) => f.cloudWatchLost(region),
    restoreCloudWatch: (region) => f.cloudWatchRestored(region),
    route53ApiDown: () => f.route53ApiFailing(true),
    route53ApiUp: () => f.route53ApiFailing(false),
  };
}

/**
 * The scene's clients (sim/services/resolvers.ts): 200 clients spread equally over the world's regions, each
 * behind a caching resolver, sending the ALBs their traffic. One per twin; started by {@link clientsOf}.
 */
const populations = new WeakMap<Twin, ClientPopulation>();

export function clientsOf(twin: Twin): ClientPopulation {
  let p = populations.get(twin);
  if (!p) {
    p = new ClientPopulation(twin.world, { recordName: twin.world.config.routing.recordName, clients: 200 });
    populations.set(twin, p);
  }
  return p;
}

/** Stops the scene's clients (before the twin stops). */
export function stopClients(twin: Twin): void {
  populations.get(twin)?.stop();
  populations.delete(twin);
}

/** When (absolute) ≥ 95 % of the clients `region` answered at `since` were answered elsewhere. */
export function clientsAwayAt(twin: Twin, region: string, since: number): number | undefined {
  const d = clientsOf(twin).timeUntilAway(region, since, AWAY_SHARE);
  return d === undefined ? undefined : since + d;
}

/**
 * When (absolute), after `since`, ≥ 95 % of `region`'s own clients (those answered with it when the clients
 * started, all regions serving) are answered with it again.
 */
export function clientsBackAt(twin: Twin, region: string, since: number): number | undefined {
  const c = clientsOf(twin);
  const own = c.history[0]?.counts[region] ?? 0;
  return c.history.find((x) => x.at >= since && (x.counts[region] ?? 0) >= AWAY_SHARE * own)?.at;
}

export interface Floor {
  readonly floorMs: number;
  readonly parts: Readonly<Record<string, number>>;
  readonly explanation: string;
}

const explain = (parts: Readonly<Record<string, number>>) =>
  Object.entries(parts)
    .map(([k, v]) => `${k} ${Math.round(v / 1000)} s`)
    .join(' + ');

const floorOf = (parts: Record<string, number>): Floor => ({
  floorMs: Object.values(parts).reduce((a, b) => a + b, 0),
  parts,
  explanation: explain(parts),
});

/** The degraded alarm's evaluation (period × datapoints to alarm), as deployed (infra/regional-routing.ts). */
export function degradedEvaluationMs(twin: Twin, region: string): number {
  const rc = twin.world.config.regions.find((r) => r.name === region);
  if (!rc) throw new Error(`${region} is no configured region`);
  const spec = regionDegradedAlarmSpec(twin.world.config, region, albMetricDimensions(rc));
  return spec.periodSeconds * 1000 * spec.datapointsToAlarm;
}

/** Route 53 and DNS terms: the switch alarm's 60-s period, the checkers' interval × threshold, the TTL. */
function routeTerms(twin: Twin) {
  const r = twin.world.config.routing;
  return {
    switchPeriod: MINUTE,
    checkers: r.healthCheckIntervalSeconds * r.healthCheckFailureThreshold * 1000,
    ttl: r.ttlSeconds * 1000,
  };
}

/**
 * The floor of fault (or a manual run's start) → 95 % of the clients away. A switch copy's check follows its
 * alarm with no failure streak (Route 53 API Reference, `HealthCheckConfig.Type` CLOUDWATCH_METRIC: "If the
 * state of the alarm is OK, the health check is considered healthy. If the state is ALARM, the health check is
 * considered unhealthy"; the twin's route53.ts follows it), so only the endpoint path pays the checkers'
 * interval × threshold:
 * - `alb-lost`: Route 53's endpoint checkers see the ALB fail before any alarm can: interval × threshold + TTL;
 * - `brownout`: only the degraded alarm sees it: its evaluation + the switch alarm's period + TTL;
 * - `manual`: the run flips at once: the switch alarm's period + TTL.
 * (The formula adds interval × threshold to every path; the plan's `expected.floorSeconds` does.)
 */
export function exclusionFloor(twin: Twin, region: string, kind: 'alb-lost' | 'brownout' | 'manual'): Floor {
  const t = routeTerms(twin);
  if (kind === 'alb-lost') return floorOf({ 'endpoint checkers': t.checkers, TTL: t.ttl });
  if (kind === 'manual') return floorOf({ 'switch alarm period': t.switchPeriod, TTL: t.ttl });
  return floorOf({
    'degraded alarm evaluation': degradedEvaluationMs(twin, region),
    'switch alarm period': t.switchPeriod,
    TTL: t.ttl,
  });
}

/**
 * The floor of a failback: from the degraded alarm's OK (automatic: + the hysteresis window) or the restore's
 * start (manual), the switch alarm's period and the TTL (a returning record needs no failure streak).
 */
export function returnFloor(twin: Twin, _region: string, kind: 'automatic' | 'manual'): Floor {
  const t = routeTerms(twin);
  const parts: Record<string, number> = {};
  if (kind === 'automatic') parts.hysteresis = twin.world.config.failover.restoreHysteresisMinutes * MINUTE;
  parts['switch alarm period'] = t.switchPeriod;
  parts.TTL = t.ttl;
  return floorOf(parts);
}
