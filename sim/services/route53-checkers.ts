/**
 * Route 53's health checkers for one endpoint health check: one checker per checker region, each probing the
 * endpoint every RequestInterval on its own schedule and keeping its own failure-threshold count, aggregated by
 * the "more than 18 %" rule (sim/services/route53.ts uses it).
 *
 * Sources:
 * - [Health] Route 53 Developer Guide, "How Amazon Route 53 determines whether a health check is healthy"
 *   (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html):
 *   "Route 53 has health checkers in locations around the world"; "health checkers in different data centers
 *   don't coordinate with one another"; each checker evaluates "whether the endpoint responds to a number of
 *   consecutive health checks that you specify (the failure threshold)"; "If more than 18% of health checkers
 *   report that an endpoint is healthy, Route 53 considers it healthy. If 18% of health checkers or fewer report
 *   that an endpoint is healthy, Route 53 considers it unhealthy."
 * - [Config] Route 53 API Reference, `HealthCheckConfig.Regions` (the default checker regions, at least three).
 *
 * Twin choices: each checker's first probe is drawn uniformly within the first interval (uncoordinated
 * schedules), then it probes every interval; a checker starts healthy ("a new health check is healthy until
 * there's enough data"); a checker in a lost region stops reporting and is left out of the count; with no
 * checker reporting, the status stays what it was.
 */
import type { SimContext } from '../core/contracts';

/** [Config] `HealthCheckConfig.Regions`: the default health checker regions. */
export const CHECKER_REGIONS = [
  'us-east-1',
  'us-west-1',
  'us-west-2',
  'eu-west-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'sa-east-1',
] as const;

/** [Health] the share of checkers that must report healthy, strictly exceeded. */
export const HEALTHY_SHARE = 0.18;

export interface Observation {
  readonly at: number;
  readonly ok: boolean;
  readonly status: string;
}

interface Checker {
  readonly region: string;
  /** This checker's view after its failure threshold. */
  healthy: boolean;
  /** Consecutive observations disagreeing with `healthy`. */
  streak: number;
  last: Observation | undefined;
  cancel: () => void;
}

/** What the checkers need of their health check. */
export interface CheckedEndpoint {
  readonly intervalSeconds: number;
  failureThreshold(): number;
  /** Route 53 stops probing a disabled check. */
  disabled(): boolean;
  /** One request to the endpoint as a checker in `checkerRegion` sees it. */
  probe(checkerRegion: string): { ok: boolean; status: string };
  /** Called when the aggregate status changes. */
  changed(healthy: boolean, status: string): void;
}

/** The checkers of one endpoint health check. */
export class EndpointCheckers {
  private readonly checkers: Checker[] = [];
  private status = true;

  constructor(
    private readonly ctx: SimContext,
    regions: readonly string[],
    private readonly endpoint: CheckedEndpoint,
    rngLabel: string,
  ) {
    const interval = endpoint.intervalSeconds * 1000;
    const rng = ctx.rng.fork(`checkers/${rngLabel}`);
    for (const region of regions) {
      const checker: Checker = { region, healthy: true, streak: 0, last: undefined, cancel: () => undefined };
      // [Health] uncoordinated schedules: each checker's first probe falls somewhere in the first interval.
      const first = rng.int(1, interval);
      checker.cancel = ctx.clock.every(interval, () => this.observe(checker), first);
      this.checkers.push(checker);
    }
  }

  /** The aggregate status ([Health], "more than 18%"). */
  healthy(): boolean {
    return this.status;
  }

  /** Every checker's latest observation (what GetHealthCheckStatus reports), in checker order. */
  observations(): { region: string; observation: Observation | undefined }[] {
    return this.checkers.map((c) => ({ region: c.region, observation: c.last }));
  }

  /** The latest observation of any checker. */
  latest(): Observation | undefined {
    let out: Observation | undefined;
    for (const c of this.checkers) if (c.last && (!out || c.last.at >= out.at)) out = c.last;
    return out;
  }

  /** How many checkers report, and how many of them say healthy. */
  counts(): { reporting: number; healthy: number } {
    const reporting = this.checkers.filter((c) => !this.ctx.world.faults.isRegionDown(c.region));
    return { reporting: reporting.length, healthy: reporting.filter((c) => c.healthy).length };
  }

  /** Starts over like a new check (a re-enabled check): every checker healthy until its threshold says not. */
  reset(): void {
    for (const c of this.checkers) {
      c.healthy = true;
      c.streak = 0;
    }
    this.status = true;
  }

  stop(): void {
    for (const c of this.checkers) c.cancel();
  }

  private observe(checker: Checker): void {
    if (this.endpoint.disabled()) return;
    // A checker whose own region is lost sends nothing and reports nothing.
    if (this.ctx.world.faults.isRegionDown(checker.region)) return;
    const probe = this.endpoint.probe(checker.region);
    checker.last = { at: this.ctx.clock.now(), ok: probe.ok, status: probe.status };
    if (probe.ok === checker.healthy) checker.streak = 0;
    else if (++checker.streak >= this.endpoint.failureThreshold()) {
      // [Health] the failure threshold: consecutive checks that change this checker's view.
      checker.streak = 0;
      checker.healthy = probe.ok;
    }
    this.aggregate(probe.status);
  }

  private aggregate(status: string): void {
    const { reporting, healthy } = this.counts();
    if (reporting === 0) return;
    const next = healthy / reporting > HEALTHY_SHARE;
    if (next === this.status) return;
    this.status = next;
    this.endpoint.changed(next, status);
  }
}
