/**
 * Which regions serve, computed from CloudWatch and the ALBs only (never from Route 53's API, whose control plane
 * lives in us-east-1). Region R serves when its switch is on in every copy whose state is known (a copy alarm in
 * ALARM takes R out; OK and INSUFFICIENT_DATA leave it in, as the copy health checks do) and it has at least
 * one healthy target. A copy whose region cannot be read counts as the routing table's `SWITCH#R` record says
 * (what the control plane last set); a region whose ALB cannot be read does not serve.
 */

/** A switch copy alarm's state in one copy region, or unreachable. */
export type CopyState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' | 'unreachable';

/** Everything known about one region's switch and targets. */
export interface RegionObservation {
  readonly region: string;
  /** The copy alarms of this region's switch, one per copy region. */
  readonly copies: readonly { readonly region: string; readonly state: CopyState }[];
  /** `SWITCH#<region>`'s `serving` as the routing tables last recorded it (undefined: never flipped). */
  readonly recorded: boolean | undefined;
  /** Healthy targets in the region's target groups, or undefined when its ALB could not be read. */
  readonly healthyTargets: number | undefined;
}

export type ServingState = 'serving' | 'evacuated' | 'unknown';

/**
 * Whether the region's switch is on: no known copy in ALARM, and the routing tables do not record it off. A
 * recorded `serving: false` counts whatever the copies say: right after a flip the copy alarms still show the
 * old state until their next evaluation (up to a 60-s period), and a second run planning in that minute must
 * see the first one's evacuation (scene regional-both-sick: two automatic evacuations in the same minute
 * otherwise both went, leaving no region serving until the revert). With the route53-api driver, whose switch is
 * the health check's `Inverted` flag, the record is what shows an inverted switch.
 */
export function switchOn(obs: RegionObservation): boolean {
  if (obs.recorded === false) return false;
  // An unreachable copy keeps its last state: with the record not off, the region is taken as on.
  return !obs.copies.some((c) => c.state === 'ALARM');
}

/**
 * A region's serving state: `evacuated` when its switch is off, `serving` when on with a healthy target,
 * `unknown` otherwise (no healthy target, or its ALB unreadable: it does not count as serving).
 */
export function servingState(obs: RegionObservation): ServingState {
  if (!switchOn(obs)) return 'evacuated';
  return (obs.healthyTargets ?? 0) >= 1 ? 'serving' : 'unknown';
}

/** Every region's serving state. */
export function servingMap(observations: readonly RegionObservation[]): Record<string, ServingState> {
  const out: Record<string, ServingState> = {};
  for (const o of observations) out[o.region] = servingState(o);
  return out;
}

/** How many regions serve in a map. */
export function servingCount(map: Readonly<Record<string, ServingState>>): number {
  return Object.values(map).filter((s) => s === 'serving').length;
}

/**
 * How many regions would serve after the action: an evacuation takes `region` out; a restore brings it in
 * only if it has a healthy target (a switch on a dead region serves nothing).
 */
export function servingAfter(
  map: Readonly<Record<string, ServingState>>,
  action: 'evacuate' | 'restore',
  region: string,
  regionHealthy: boolean,
): number {
  const others = Object.entries(map).filter(([r, s]) => r !== region && s === 'serving').length;
  if (action === 'evacuate') return others;
  return others + (regionHealthy ? 1 : 0);
}

/**
 * Whether the copies show the desired state (verify's `settled`): an evacuation has settled when at least one
 * copy is in ALARM (the calculated check ANDs the copies: one is enough to take the region out); a restore
 * when every copy is readable and none is in ALARM (one unreadable copy keeps its last state, possibly ALARM).
 */
export function copiesSettled(copies: readonly { readonly state: CopyState }[], serving: boolean): boolean {
  if (!serving) return copies.some((c) => c.state === 'ALARM');
  return copies.length > 0 && copies.every((c) => c.state === 'OK' || c.state === 'INSUFFICIENT_DATA');
}

/**
 * The `SWITCH#<region>` record with the highest epoch among the reachable routing tables (ties: the latest
 * change): what the control plane last set.
 */
export function latestRecord<T extends { readonly epoch?: number; readonly changedAt?: string }>(
  records: readonly (T | undefined)[],
): T | undefined {
  let best: T | undefined;
  for (const r of records) {
    if (r === undefined) continue;
    if (
      best === undefined ||
      (r.epoch ?? 0) > (best.epoch ?? 0) ||
      ((r.epoch ?? 0) === (best.epoch ?? 0) && (r.changedAt ?? '') > (best.changedAt ?? ''))
    )
      best = r;
  }
  return best;
}
