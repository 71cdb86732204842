/**
 * Route 53's data plane in the twin: health checks on the virtual clock and the latency records answered from
 * them (sim/services/route53.ts adds the API and cites the sources: [Health], [Config], [Invert], [Choose],
 * [Latency]).
 */
import type { HealthCheckConfig } from '@aws-sdk/client-route-53';
import type { SimContext } from '../core/contracts';
import { AwsError } from '../core/errors';
import { CHECKER_REGIONS, EndpointCheckers, type Observation } from './route53-checkers';
import {
  cmp,
  ENDPOINT_TYPES,
  invalidInput,
  type LatencyRecord,
  type LatencyRecordSpec,
  normalize,
  noSuchHealthCheck,
  validateConfig,
  withDefaults,
} from './route53-config';
import { latencyMs } from './route53-latency';

/** The zone the twin's records live in unless told otherwise. */
export const DEFAULT_HOSTED_ZONE_ID = 'Z0TWIN0000000000000';

export interface Check {
  readonly id: string;
  readonly callerReference: string;
  readonly name: string | undefined;
  config: HealthCheckConfig;
  version: number;
  /** Endpoint checks: the checkers (their aggregate is the status before inversion and disabling). */
  checkers: EndpointCheckers | undefined;
  /** CloudWatch alarm checks: the status the last time the alarm was OK or ALARM. */
  lastKnown: boolean | undefined;
  /** The effective status last written to the timeline. */
  reported: boolean;
}

/** Route 53's health checks and records (the API is {@link Route53Sim}, sim/services/route53.ts). */
export class Route53Core {
  protected readonly checks = new Map<string, Check>();
  protected readonly albs = new Map<string, string>();
  protected readonly records: LatencyRecord[] = [];
  protected readonly zones = new Set<string>([DEFAULT_HOSTED_ZONE_ID]);
  /** Per record name, the serving set last written to the timeline. */
  protected readonly reportedServing = new Map<string, string>();
  protected cancelWatch: (() => void) | undefined;

  constructor(protected readonly ctx: SimContext) {}

  // ---------------------------------------------------------------- set-up (what the routing stack deploys)

  /** Declares which region's ALB answers a DNS name, so HTTPS checks on that name probe that ALB. */
  registerAlb(dnsName: string, region: string): void {
    if (!this.ctx.world.regionNames.includes(region)) throw new Error(`the twin has no region ${region}`);
    this.albs.set(normalize(dnsName), region);
  }

  /** A hosted zone for {@link createLatencyRecord} (the default one always exists). */
  createHostedZone(id: string): void {
    if (!/^Z[A-Z0-9]{1,31}$/.test(id)) throw invalidInput(`${id} is not a hosted zone id`);
    this.zones.add(id);
  }

  /** Creates a health check as CreateHealthCheck would; returns its id. */
  createHealthCheck(
    config: HealthCheckConfig,
    opts: { callerReference?: string; name?: string } = {},
  ): string {
    const callerReference = opts.callerReference ?? `twin-${this.checks.size + 1}`;
    const existing = [...this.checks.values()].find((c) => c.callerReference === callerReference);
    if (existing) {
      // [Config] CreateHealthCheck: the same CallerReference with the same settings returns the existing check;
      // with other settings it is HealthCheckAlreadyExists.
      if (JSON.stringify(existing.config) === JSON.stringify(withDefaults(config))) return existing.id;
      throw new AwsError(
        'HealthCheckAlreadyExists',
        `A health check with CallerReference ${callerReference} exists`,
        {
          status: 409,
        },
      );
    }
    const full = withDefaults(config);
    this.validate(full, undefined);
    const r = this.ctx.rng;
    const id = `${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}`;
    const check: Check = {
      id,
      callerReference,
      name: opts.name,
      config: full,
      version: 1,
      // [Health] "Route 53 considers a new health check to be healthy until there's enough data".
      checkers: undefined,
      lastKnown: undefined,
      reported: true,
    };
    this.checks.set(id, check);
    if (ENDPOINT_TYPES.includes(full.Type ?? '')) {
      check.checkers = this.startProbing(check);
      if (!this.albs.has(normalize(full.FullyQualifiedDomainName ?? ''))) {
        this.ctx.timeline.add(
          'global',
          'r53',
          `health check ${this.label(check)}: ${full.FullyQualifiedDomainName} is no ALB the twin knows; its probes fail`,
        );
      }
    }
    check.reported = this.healthy(id);
    this.startWatching();
    this.ctx.timeline.add('global', 'r53', `health check ${this.label(check)} (${full.Type}) created`);
    return id;
  }

  /** A latency-routed record ([Latency]); what the routing stack's CfnRecordSet creates. */
  createLatencyRecord(spec: LatencyRecordSpec): void {
    const zone = spec.hostedZoneId ?? DEFAULT_HOSTED_ZONE_ID;
    if (!this.zones.has(zone))
      throw new AwsError('NoSuchHostedZone', `No hosted zone found with ID: ${zone}`, { status: 404 });
    const name = normalize(spec.name);
    if (
      this.records.some((r) => r.zone === zone && r.name === name && r.setIdentifier === spec.setIdentifier)
    ) {
      throw new AwsError(
        'InvalidChangeBatch',
        `Tried to create resource record set [name='${name}.', type='CNAME', set-identifier='${spec.setIdentifier}'] but it already exists`,
        { status: 400 },
      );
    }
    // [Config] ResourceRecordSet.Region: "You can only create one latency resource record set for each Amazon EC2
    // Region" (and "only ... one ResourceRecord per latency resource record set").
    if (this.records.some((r) => r.zone === zone && r.name === name && r.region === spec.region)) {
      throw new AwsError(
        'InvalidChangeBatch',
        `A latency record for ${name} in ${spec.region} already exists`,
        { status: 400 },
      );
    }
    if (spec.healthCheckId !== undefined && !this.checks.has(spec.healthCheckId))
      throw noSuchHealthCheck(spec.healthCheckId);
    this.records.push({
      zone,
      name,
      setIdentifier: spec.setIdentifier,
      region: spec.region,
      value: spec.value,
      healthCheckId: spec.healthCheckId,
      ttl: spec.ttl ?? 60,
    });
    this.reportedServing.set(name, this.servingRegions(name).join(','));
    this.startWatching();
  }

  // ---------------------------------------------------------------- contract (data plane)

  /** The status Route 53 acts on: after disabling ("always healthy") and inversion. */
  healthy(healthCheckId: string): boolean {
    return this.effective(healthCheckId, new Set());
  }

  resolve(
    recordName: string,
    fromRegion: string,
  ): { answer: string; region: string; failOpen: boolean } | undefined {
    const records = this.records.filter((r) => r.name === normalize(recordName));
    if (records.length === 0) return undefined;
    const healthy = records.filter((r) => this.recordHealthy(r));
    // [Choose] "If no record is healthy, all records are healthy": Route 53 then answers as if all were.
    const failOpen = healthy.length === 0;
    const candidates = failOpen ? records : healthy;
    const best = [...candidates].sort(
      (a, b) =>
        latencyMs(fromRegion, a.region) - latencyMs(fromRegion, b.region) ||
        cmp(a.setIdentifier, b.setIdentifier),
    )[0] as LatencyRecord;
    return { answer: best.value, region: best.region, failOpen };
  }

  servingRegions(recordName: string): string[] {
    const name = normalize(recordName);
    return [
      ...new Set(this.records.filter((r) => r.name === name && this.recordHealthy(r)).map((r) => r.region)),
    ].sort();
  }

  /** The latest endpoint observation of a health check (what its checkers last reported). */
  lastObservation(healthCheckId: string): Observation | undefined {
    return this.checks.get(healthCheckId)?.checkers?.latest();
  }

  /** An endpoint check's checkers now: how many report and how many of them say healthy. */
  checkerCounts(healthCheckId: string): { reporting: number; healthy: number } | undefined {
    return this.checks.get(healthCheckId)?.checkers?.counts();
  }

  /** A record's TTL in seconds (what resolvers cache an answer for); undefined for an unknown name. */
  recordTtl(recordName: string): number | undefined {
    return this.records.find((r) => r.name === normalize(recordName))?.ttl;
  }

  /**
   * Regions whose record for `recordName` is held out by something other than its endpoint checks: its health
   * check would be unhealthy even with every endpoint check healthy (a switch alarm in ALARM, an inverted or
   * unhealthy-by-insufficient-data alarm check). What the control plane switched off, not what a fault took.
   */
  switchedOff(recordName: string): string[] {
    const name = normalize(recordName);
    return [
      ...new Set(
        this.records
          .filter(
            (r) =>
              r.name === name &&
              r.healthCheckId !== undefined &&
              !this.effective(r.healthCheckId, new Set(), true),
          )
          .map((r) => r.region),
      ),
    ].sort();
  }

  // ---------------------------------------------------------------- status

  protected recordHealthy(r: LatencyRecord): boolean {
    // [Choose] a record without a health check is always healthy.
    return r.healthCheckId === undefined || this.healthy(r.healthCheckId);
  }

  protected effective(id: string, visiting: Set<string>, endpointsHealthy = false): boolean {
    const check = this.checks.get(id);
    if (!check) throw noSuchHealthCheck(id);
    // [Config] Disabled: "Route 53 considers the status of the health check to always be healthy".
    if (check.config.Disabled) return true;
    if (endpointsHealthy && ENDPOINT_TYPES.includes(check.config.Type ?? '')) return true;
    const raw = this.raw(check, visiting, endpointsHealthy);
    // [Invert] "Route 53 considers the health check to be unhealthy when the status is healthy and vice versa."
    return check.config.Inverted ? !raw : raw;
  }

  protected raw(check: Check, visiting: Set<string>, endpointsHealthy = false): boolean {
    const c = check.config;
    if (c.Type === 'CALCULATED') {
      if (visiting.has(check.id)) return false;
      visiting.add(check.id);
      const children = c.ChildHealthChecks ?? [];
      const healthyChildren = children.filter(
        (child) => this.checks.has(child) && this.effective(child, visiting, endpointsHealthy),
      ).length;
      visiting.delete(check.id);
      // [Health] "Route 53 ... adds up the number of child health checks that are healthy" and compares it with
      // HealthThreshold ([Config]: 0 is always healthy, more than the children always unhealthy).
      return healthyChildren >= (c.HealthThreshold ?? 0);
    }
    if (c.Type === 'CLOUDWATCH_METRIC') {
      const state = this.alarmState(c);
      // [Config] CLOUDWATCH_METRIC: "If the state of the alarm is OK, the health check is considered healthy. If the
      // state is ALARM, the health check is considered unhealthy."
      if (state === 'OK' || state === 'ALARM') {
        check.lastKnown = state === 'OK';
        return check.lastKnown;
      }
      switch (c.InsufficientDataHealthStatus) {
        case 'Healthy':
          return true;
        case 'Unhealthy':
          return false;
        default:
          // LastKnownStatus: "For new health checks that have no last known status, the default status for the
          // health check is healthy."
          return check.lastKnown ?? true;
      }
    }
    return check.checkers?.healthy() ?? true;
  }

  protected alarmState(c: HealthCheckConfig): string | undefined {
    const region = c.AlarmIdentifier?.Region;
    const name = c.AlarmIdentifier?.Name;
    if (!region || !name || !this.ctx.world.regionNames.includes(region)) return undefined;
    // A lost CloudWatch (or region) gives Route 53 no data about the alarm: insufficient data.
    if (this.ctx.world.faults.isCloudWatchLost(region)) return undefined;
    return this.ctx.world.region(region).cloudwatch.alarmState(name);
  }

  // ---------------------------------------------------------------- endpoint probing

  protected startProbing(check: Check): EndpointCheckers {
    const c = check.config;
    return new EndpointCheckers(
      this.ctx,
      (c.Regions as readonly string[] | undefined) ?? CHECKER_REGIONS,
      {
        intervalSeconds: c.RequestInterval ?? 30,
        // [Config] FailureThreshold may change with UpdateHealthCheck; Disabled: "Route 53 stops submitting
        // requests to your application, server, or other resource."
        failureThreshold: () => check.config.FailureThreshold ?? 3,
        disabled: () => check.config.Disabled === true,
        probe: () => this.probe(check.config),
        changed: (healthy, status) => {
          this.ctx.timeline.add(
            'global',
            'r53',
            `endpoint of ${this.label(check)} is now ${healthy ? 'healthy' : 'unhealthy'}`,
            { status },
          );
          this.watch();
        },
      },
      check.id,
    );
  }

  /** An HTTPS request to the ALB's health path, as a checker sees it. */
  protected probe(c: HealthCheckConfig): { ok: boolean; status: string } {
    const region = this.albs.get(normalize(c.FullyQualifiedDomainName ?? ''));
    if (!region)
      return { ok: false, status: `Failure: DNS resolution failed for ${c.FullyQualifiedDomainName}` };
    if (this.ctx.world.faults.isAlbLost(region)) {
      return {
        ok: false,
        status:
          'Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall.',
      };
    }
    // [Health] HTTP(S) checks pass on a 2xx or 3xx answer; HTTPS checks do not validate the certificate.
    return this.ctx.world.region(region).elbv2.albHealthy()
      ? { ok: true, status: 'Success: HTTP Status Code 200, OK' }
      : { ok: false, status: 'Failure: HTTP Status Code 503, Service Unavailable' };
  }

  // ---------------------------------------------------------------- the timeline's view

  protected startWatching(): void {
    if (this.cancelWatch) return;
    // Follows alarm and calculated checks (and CloudWatch checks' last known status) every 10 s, the shortest
    // request interval; timers start with the first resource, on the installed virtual clock.
    this.cancelWatch = this.ctx.clock.every(10_000, () => this.watch());
  }

  protected watch(): void {
    for (const check of this.checks.values()) {
      const now = this.healthy(check.id);
      if (now !== check.reported) {
        check.reported = now;
        this.ctx.timeline.add(
          'global',
          'r53',
          `health check ${this.label(check)} is now ${now ? 'healthy' : 'unhealthy'}`,
        );
      }
    }
    for (const name of new Set(this.records.map((r) => r.name))) {
      const serving = this.servingRegions(name).join(',');
      if (serving !== this.reportedServing.get(name)) {
        this.reportedServing.set(name, serving);
        this.ctx.timeline.add(
          'global',
          'r53',
          serving
            ? `${name} answers from ${serving}`
            : `${name}: every record is unhealthy, Route 53 answers as if all were healthy (fail-open)`,
        );
      }
    }
  }

  /** Stops the twin's timers. */
  dispose(): void {
    this.cancelWatch?.();
    this.cancelWatch = undefined;
    for (const c of this.checks.values()) c.checkers?.stop();
  }

  protected label(check: Check): string {
    return check.name ? `${check.name} (${check.id})` : check.id;
  }

  /** Validates a configuration against the twin's checks and alarms. */
  protected validate(c: HealthCheckConfig, self: string | undefined): void {
    validateConfig(c, self, {
      hasCheck: (id) => this.checks.has(id),
      alarmPeriodSeconds: (region, name) =>
        this.ctx.world.regionNames.includes(region)
          ? this.ctx.world.region(region).cloudwatch.alarmSpec(name)?.periodSeconds
          : undefined,
    });
  }
}
