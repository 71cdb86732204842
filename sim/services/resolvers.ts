/**
 * A population of DNS clients for the twin: N clients spread over regions, each asking a caching resolver in
 * its region for a latency-routed record; what each client is answered with over time, and how long it takes
 * until 95 % of the clients that were answered with a region are answered with another (issue 14's measure of
 * an evacuation as users see it).
 *
 * Sources:
 * - [TTL] RFC 1035 §3.2.1 / RFC 2181 §8 (https://www.rfc-editor.org/rfc/rfc2181#section-8): the TTL is how long
 *   a resolver may cache a record before it must ask again.
 * - [R53TTL] Route 53 Developer Guide, "Values specific for latency records" / "TTL (seconds)"
 *   (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-values-latency.html):
 *   "The amount of time, in seconds, that you want DNS recursive resolvers to cache information about this
 *   record"; with health checks, 60 s or less is recommended so clients respond quickly to changes in health.
 * - [Latency] Route 53 answers each resolver from its location (sim/services/route53.ts `resolve`), fail-open
 *   included.
 *
 * Twin choices: every resolver keeps an answer exactly its TTL and asks again at the first client query after
 * expiry; clients query every `queryIntervalSeconds` (each on its own phase), so a resolver with k clients
 * refreshes within queryInterval / k of expiry. The population starts in steady state: each resolver's cached
 * answer is drawn as fetched at a uniformly random moment of the last TTL. Resolvers that ignore or stretch
 * TTLs are not modelled.
 */
import type { Rng } from '../core/rng';
import type { SimWorld } from '../world-assembly';
import { DEFAULT_REQUESTS_PER_MINUTE, type Elbv2Sim } from './elbv2';

/** The share of clients that must have moved for {@link ClientPopulation.timeUntilAway} (issue 14: 95 %). */
export const AWAY_SHARE = 0.95;

export interface PopulationOptions {
  /** The latency-routed record the clients resolve. */
  readonly recordName: string;
  /** How many clients (default 200). */
  readonly clients?: number;
  /** Where the clients are: region -> weight (default: the world's regions, equally). */
  readonly regions?: Readonly<Record<string, number>>;
  /** Clients per caching resolver (default 4). */
  readonly clientsPerResolver?: number;
  /** How often each client resolves the name (default 10 s). */
  readonly queryIntervalSeconds?: number;
  /** Requests a minute each client sends to the region it is answered with (default 3); feeds each ALB. */
  readonly requestsPerClientPerMinute?: number;
  /** Drive the ALBs' RequestCount from the clients (default true). */
  readonly driveTraffic?: boolean;
}

interface Resolver {
  readonly id: number;
  readonly region: string;
  readonly clients: number;
  answer: string | undefined;
  expiresAt: number;
  cancel: () => void;
}

/** Clients answered with each region at a moment (`none`: no answer, an unknown name). */
export interface Census {
  readonly at: number;
  readonly counts: Readonly<Record<string, number>>;
}

/** A client population on the twin's clock. Stop it before the twin stops. */
export class ClientPopulation {
  readonly clients: number;
  /** Every change of the census, in time order (the first entry is the census at start). */
  readonly history: Census[] = [];
  private readonly resolvers: Resolver[] = [];
  private readonly ttlMs: number;
  private readonly queryMs: number;
  private readonly rng: Rng;
  private readonly perClient: number;

  constructor(
    private readonly world: SimWorld,
    private readonly opts: PopulationOptions,
  ) {
    const clients = opts.clients ?? 200;
    const perResolver = opts.clientsPerResolver ?? 4;
    const query = opts.queryIntervalSeconds ?? 10;
    this.perClient = opts.requestsPerClientPerMinute ?? 3;
    if (!Number.isInteger(clients) || clients < 1) throw new Error(`clients must be >= 1 (got ${clients})`);
    if (!Number.isInteger(perResolver) || perResolver < 1)
      throw new Error(`clientsPerResolver must be >= 1 (got ${perResolver})`);
    if (!(query > 0)) throw new Error(`queryIntervalSeconds must be > 0 (got ${query})`);
    if (!(this.perClient >= 0))
      throw new Error(`requestsPerClientPerMinute must be >= 0 (got ${this.perClient})`);
    const ttl = world.route53.recordTtl(opts.recordName);
    if (ttl === undefined) throw new Error(`no latency record ${opts.recordName} in the twin's Route 53`);
    const weights = Object.entries(opts.regions ?? Object.fromEntries(world.regionNames.map((r) => [r, 1])));
    if (weights.length === 0 || weights.some(([, w]) => !(w >= 0)) || weights.every(([, w]) => w === 0))
      throw new Error('regions must give at least one region a positive weight');
    this.clients = clients;
    this.ttlMs = ttl * 1000;
    this.queryMs = query * 1000;
    this.rng = world.rng.fork(`resolvers/${opts.recordName}`);

    // Clients per region by largest remainder, then resolvers of `perResolver` clients (the last one smaller).
    const total = weights.reduce((n, [, w]) => n + w, 0);
    const exact = weights.map(([r, w]) => ({ r, x: (clients * w) / total }));
    const counts = exact.map((e) => ({ r: e.r, n: Math.floor(e.x), frac: e.x - Math.floor(e.x) }));
    let left = clients - counts.reduce((n, c) => n + c.n, 0);
    for (const c of [...counts].sort((a, b) => b.frac - a.frac || (a.r < b.r ? -1 : 1))) {
      if (left-- <= 0) break;
      c.n++;
    }
    const now = world.clock.now();
    for (const { r, n } of counts) {
      for (let given = 0; given < n; given += perResolver) {
        const resolver: Resolver = {
          id: this.resolvers.length,
          region: r,
          clients: Math.min(perResolver, n - given),
          answer: undefined,
          expiresAt: 0,
          cancel: () => undefined,
        };
        // Steady state: the cached answer was fetched at a random moment of the last TTL.
        resolver.answer = this.ask(r);
        resolver.expiresAt = now + this.rng.int(1, this.ttlMs);
        this.resolvers.push(resolver);
        this.schedule(resolver);
      }
    }
    this.record();
    if (opts.driveTraffic ?? true) {
      for (const region of world.regionNames)
        this.elb(region).setTraffic(() => this.requestsPerMinute(region));
    }
  }

  /** Clients answered with each region now. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.resolvers) {
      const key = r.answer ?? 'none';
      out[key] = (out[key] ?? 0) + r.clients;
    }
    return out;
  }

  /** The census at time `at` (from the history). */
  countsAt(at: number): Readonly<Record<string, number>> {
    let found: Census | undefined;
    for (const c of this.history) {
      if (c.at > at) break;
      found = c;
    }
    return found?.counts ?? {};
  }

  /**
   * The time from `since` until at most 5 % (1 − `share`) of the clients that were answered with `region` at
   * `since` still are: undefined while that has not happened. Zero when none were answered with it.
   */
  timeUntilAway(region: string, since: number, share = AWAY_SHARE): number | undefined {
    if (!(share > 0 && share <= 1)) throw new Error(`share must be in (0, 1] (got ${share})`);
    const before = this.countsAt(since)[region] ?? 0;
    if (before === 0) return 0;
    const allowed = before * (1 - share);
    for (const c of this.history) {
      if (c.at < since) continue;
      if ((c.counts[region] ?? 0) <= allowed + 1e-9) return c.at - since;
    }
    // The census at `since` itself may already satisfy it (recorded before `since`).
    return undefined;
  }

  /** Requests a minute the clients answered with `region` send to its ALB. */
  requestsPerMinute(region: string): number {
    return (this.counts()[region] ?? 0) * this.perClient;
  }

  stop(): void {
    for (const r of this.resolvers) r.cancel();
    if (this.opts.driveTraffic ?? true) {
      for (const region of this.world.regionNames) this.elb(region).setTraffic(DEFAULT_REQUESTS_PER_MINUTE);
    }
  }

  private elb(region: string): Elbv2Sim {
    return this.world.region(region).services.elbv2 as Elbv2Sim;
  }

  private ask(fromRegion: string): string | undefined {
    return this.world.route53.resolve(this.opts.recordName, fromRegion)?.region;
  }

  private schedule(resolver: Resolver): void {
    // [TTL] the answer is kept until it expires; the next client query after that asks Route 53 again.
    const gap = this.rng.int(0, Math.max(0, Math.floor(this.queryMs / resolver.clients)));
    const at = resolver.expiresAt + gap;
    resolver.cancel = this.world.clock.after(at - this.world.clock.now(), () => this.refresh(resolver));
  }

  private refresh(resolver: Resolver): void {
    const before = resolver.answer;
    resolver.answer = this.ask(resolver.region);
    resolver.expiresAt = this.world.clock.now() + this.ttlMs;
    if (resolver.answer !== before) this.record();
    this.schedule(resolver);
  }

  private record(): void {
    this.history.push({ at: this.world.clock.now(), counts: this.counts() });
  }
}
