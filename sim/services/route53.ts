/**
 * Route 53, global: health checks (HTTPS endpoint, CloudWatch alarm, calculated) on the virtual clock, and the
 * latency-routed records of the routing stack answered from them.
 *
 * Sources:
 * - [Health] Route 53 Developer Guide, "How Amazon Route 53 determines whether a health check is healthy":
 *   endpoint checks (interval 10 or 30 s, failure threshold of consecutive checks, "more than 18% of health
 *   checkers"; "Route 53 considers a new health check to be healthy until there's enough data to determine the
 *   actual status"), calculated checks and CloudWatch alarm checks.
 * - [Config] Route 53 API Reference, `HealthCheckConfig` / `UpdateHealthCheck` (RequestInterval "can't be
 *   changed", FailureThreshold default 3, Inverted, Disabled: "After you disable a health check, Route 53
 *   considers the status of the health check to always be healthy", HealthThreshold 0 and greater than the number
 *   of children, InsufficientDataHealthStatus Healthy | Unhealthy | LastKnownStatus "For new health checks that
 *   have no last known status, the default status for the health check is healthy"), `AlarmIdentifier` ("Route 53
 *   supports CloudWatch alarms with ... Standard-resolution metrics. High-resolution metrics aren't supported"),
 *   `GetHealthCheckStatus` ("You can't use GetHealthCheckStatus to get the status of a calculated health check"),
 *   `HealthCheckVersion` (HealthCheckVersionMismatch), `ListResourceRecordSets`.
 * - [Invert] Route 53 Developer Guide, "Inverting health checks".
 * - [Choose] Route 53 Developer Guide, "How Amazon Route 53 chooses records when health checking is configured":
 *   records without a health check are always healthy; "If no record is healthy, all records are healthy".
 * - [Latency] Route 53 Developer Guide, "Latency-based routing": the record with the lowest latency for the
 *   resolver's region among the healthy ones.
 * - [Planes] Route 53 Developer Guide, "Resilience in Amazon Route 53" / "Control and data plane concepts", and
 *   the AWS whitepaper "AWS Fault Isolation Boundaries", section "Global services": Route 53's control plane (its
 *   API) is hosted in us-east-1 while DNS answers and health checks are the globally distributed data plane. So a
 *   lost us-east-1 fails every API action here with ServiceUnavailable; health checking and `resolve` go on.
 *
 * Simplifications:
 * - Endpoint checks are probed by one checker per checker region, each on its own schedule with its own failure
 *   threshold, aggregated by the 18 % rule (sim/services/route53-checkers.ts); GetHealthCheckStatus reports each
 *   checker's last observation.
 * - CloudWatch alarm checks and calculated checks follow their alarm or children at once (AWS takes a few
 *   seconds); a check on an alarm that the twin does not have, or whose region's CloudWatch is lost
 *   (`faults.cloudWatchLost` or the region lost), sees insufficient data.
 * - [Planes] the API fails while `faults.route53ApiFailing()` holds (or us-east-1 is lost); checks and DNS go on.
 * - A re-enabled endpoint check starts over like a new one (healthy until FailureThreshold observations).
 * - Latency model (inter-region latency is not published by AWS): see {@link latencyMs}.
 */
import type {
  CreateHealthCheckRequest,
  CreateHealthCheckResponse,
  GetHealthCheckRequest,
  GetHealthCheckResponse,
  GetHealthCheckStatusRequest,
  GetHealthCheckStatusResponse,
  HealthCheckConfig,
  HealthCheckObservation,
  ListHealthChecksRequest,
  ListHealthChecksResponse,
  ListResourceRecordSetsRequest,
  ListResourceRecordSetsResponse,
  ResourceRecordSet,
  HealthCheck as SdkHealthCheck,
  UpdateHealthCheckRequest,
  UpdateHealthCheckResponse,
} from '@aws-sdk/client-route-53';
import type { Route53Contract, SimContext, SimService } from '../core/contracts';
import { AwsError, NotModelledError, serviceUnavailable } from '../core/errors';
import { CHECKER_REGIONS, EndpointCheckers, type Observation } from './route53-checkers';
import { latencyMs } from './route53-latency';

export { latencyMs } from './route53-latency';

const CONTROL_PLANE_REGION = 'us-east-1';
/** The zone the twin's records live in unless told otherwise. */
export const DEFAULT_HOSTED_ZONE_ID = 'Z0TWIN0000000000000';

const invalidInput = (message: string) => new AwsError('InvalidInput', message, { status: 400 });
const noSuchHealthCheck = (id: string) =>
  new AwsError('NoSuchHealthCheck', `No health check exists with the specified ID ${id}`, { status: 404 });

const ENDPOINT_TYPES: readonly string[] = ['HTTPS', 'HTTP'];

interface Check {
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

/** A latency record as the routing stack creates it (one per region, CNAME to the region's ALB). */
export interface LatencyRecordSpec {
  readonly name: string;
  readonly setIdentifier: string;
  readonly region: string;
  /** The record's value: the region's ALB DNS name. */
  readonly value: string;
  readonly healthCheckId?: string;
  readonly hostedZoneId?: string;
  readonly ttl?: number;
}

interface LatencyRecord {
  readonly zone: string;
  /** Lower case, no trailing dot. */
  readonly name: string;
  readonly setIdentifier: string;
  readonly region: string;
  readonly value: string;
  readonly healthCheckId: string | undefined;
  readonly ttl: number;
}

/** Route 53 (one instance for the world; its context's region is `global`). */
export class Route53Sim implements SimService, Route53Contract {
  readonly service = 'route53' as const;
  readonly api = {
    CreateHealthCheck: (input: CreateHealthCheckRequest) => this.createHealthCheckApi(input),
    GetHealthCheck: (input: GetHealthCheckRequest) => this.getHealthCheck(input),
    GetHealthCheckStatus: (input: GetHealthCheckStatusRequest) => this.getHealthCheckStatus(input),
    ListHealthChecks: (input: ListHealthChecksRequest) => this.listHealthChecks(input),
    UpdateHealthCheck: (input: UpdateHealthCheckRequest) => this.updateHealthCheck(input),
    ListResourceRecordSets: (input: ListResourceRecordSetsRequest) => this.listResourceRecordSets(input),
  };

  private readonly checks = new Map<string, Check>();
  private readonly albs = new Map<string, string>();
  private readonly records: LatencyRecord[] = [];
  private readonly zones = new Set<string>([DEFAULT_HOSTED_ZONE_ID]);
  /** Per record name, the serving set last written to the timeline. */
  private readonly reportedServing = new Map<string, string>();
  private cancelWatch: (() => void) | undefined;

  constructor(private readonly ctx: SimContext) {}

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
      if (JSON.stringify(existing.config) === JSON.stringify(this.withDefaults(config))) return existing.id;
      throw new AwsError(
        'HealthCheckAlreadyExists',
        `A health check with CallerReference ${callerReference} exists`,
        {
          status: 409,
        },
      );
    }
    const full = this.withDefaults(config);
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

  private recordHealthy(r: LatencyRecord): boolean {
    // [Choose] a record without a health check is always healthy.
    return r.healthCheckId === undefined || this.healthy(r.healthCheckId);
  }

  private effective(id: string, visiting: Set<string>, endpointsHealthy = false): boolean {
    const check = this.checks.get(id);
    if (!check) throw noSuchHealthCheck(id);
    // [Config] Disabled: "Route 53 considers the status of the health check to always be healthy".
    if (check.config.Disabled) return true;
    if (endpointsHealthy && ENDPOINT_TYPES.includes(check.config.Type ?? '')) return true;
    const raw = this.raw(check, visiting, endpointsHealthy);
    // [Invert] "Route 53 considers the health check to be unhealthy when the status is healthy and vice versa."
    return check.config.Inverted ? !raw : raw;
  }

  private raw(check: Check, visiting: Set<string>, endpointsHealthy = false): boolean {
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

  private alarmState(c: HealthCheckConfig): string | undefined {
    const region = c.AlarmIdentifier?.Region;
    const name = c.AlarmIdentifier?.Name;
    if (!region || !name || !this.ctx.world.regionNames.includes(region)) return undefined;
    // A lost CloudWatch (or region) gives Route 53 no data about the alarm: insufficient data.
    if (this.ctx.world.faults.isCloudWatchLost(region)) return undefined;
    return this.ctx.world.region(region).cloudwatch.alarmState(name);
  }

  // ---------------------------------------------------------------- endpoint probing

  private startProbing(check: Check): EndpointCheckers {
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
  private probe(c: HealthCheckConfig): { ok: boolean; status: string } {
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

  private startWatching(): void {
    if (this.cancelWatch) return;
    // Follows alarm and calculated checks (and CloudWatch checks' last known status) every 10 s, the shortest
    // request interval; timers start with the first resource, on the installed virtual clock.
    this.cancelWatch = this.ctx.clock.every(10_000, () => this.watch());
  }

  private watch(): void {
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

  private label(check: Check): string {
    return check.name ? `${check.name} (${check.id})` : check.id;
  }

  // ---------------------------------------------------------------- configuration

  private withDefaults(config: HealthCheckConfig): HealthCheckConfig {
    const c: HealthCheckConfig = structuredClone(config);
    c.Inverted ??= false;
    c.Disabled ??= false;
    if (ENDPOINT_TYPES.includes(c.Type ?? '')) {
      c.Port ??= c.Type === 'HTTPS' ? 443 : 80;
      // [Config] RequestInterval default 30; FailureThreshold default 3.
      c.RequestInterval ??= 30;
      c.FailureThreshold ??= 3;
      c.MeasureLatency ??= false;
    }
    if (c.Type === 'CLOUDWATCH_METRIC') c.InsufficientDataHealthStatus ??= 'LastKnownStatus';
    return c;
  }

  private validate(c: HealthCheckConfig, self: string | undefined): void {
    const type = c.Type;
    if (!type) throw invalidInput('HealthCheckConfig.Type is required');
    if (!ENDPOINT_TYPES.includes(type) && type !== 'CALCULATED' && type !== 'CLOUDWATCH_METRIC') {
      throw new NotModelledError(`the twin does not model ${type} health checks`);
    }
    if (ENDPOINT_TYPES.includes(type)) {
      if (!c.FullyQualifiedDomainName && !c.IPAddress)
        throw invalidInput('An endpoint health check needs FullyQualifiedDomainName or IPAddress');
      if (!c.FullyQualifiedDomainName) throw new NotModelledError('the twin probes ALBs by DNS name only');
      // [Config] RequestInterval: 10 or 30; FailureThreshold: 1-10.
      if (c.RequestInterval !== 10 && c.RequestInterval !== 30)
        throw invalidInput('RequestInterval must be 10 or 30');
      const f = c.FailureThreshold ?? 3;
      if (!Number.isInteger(f) || f < 1 || f > 10)
        throw invalidInput('FailureThreshold must be between 1 and 10');
      if (c.Regions !== undefined && c.Regions.length < 3)
        throw invalidInput('Specify at least three health checker regions');
    } else {
      const endpointOnly = [
        'FullyQualifiedDomainName',
        'IPAddress',
        'Port',
        'ResourcePath',
        'SearchString',
        'RequestInterval',
        'EnableSNI',
        'Regions',
        'MeasureLatency',
      ] as const;
      for (const k of endpointOnly) {
        if (c[k] !== undefined)
          throw invalidInput(`${k} applies only to endpoint health checks, not ${type}`);
      }
    }
    if (type === 'CALCULATED') {
      const children = c.ChildHealthChecks ?? [];
      if (children.length > 256) throw invalidInput('A calculated health check has at most 256 children');
      for (const child of children) {
        if (child === self) throw invalidInput('A calculated health check cannot monitor itself');
        if (!this.checks.has(child)) throw invalidInput(`Child health check ${child} does not exist`);
      }
      const t = c.HealthThreshold;
      if (t === undefined) throw invalidInput('HealthThreshold is required for CALCULATED health checks');
      if (!Number.isInteger(t) || t < 0 || t > 256)
        throw invalidInput('HealthThreshold must be between 0 and 256');
    } else if (c.ChildHealthChecks !== undefined || c.HealthThreshold !== undefined) {
      throw invalidInput('ChildHealthChecks and HealthThreshold apply only to CALCULATED health checks');
    }
    if (type === 'CLOUDWATCH_METRIC') {
      const a = c.AlarmIdentifier;
      if (!a?.Name || !a.Region)
        throw invalidInput('AlarmIdentifier with Name and Region is required for CLOUDWATCH_METRIC');
      if (!['Healthy', 'Unhealthy', 'LastKnownStatus'].includes(c.InsufficientDataHealthStatus ?? '')) {
        throw invalidInput('InsufficientDataHealthStatus must be Healthy, Unhealthy or LastKnownStatus');
      }
      const spec = this.ctx.world.regionNames.includes(a.Region)
        ? this.ctx.world.region(a.Region).cloudwatch.alarmSpec(a.Name)
        : undefined;
      // [Config] AlarmIdentifier: "High-resolution metrics aren't supported" (alarms with a period under 60 s).
      if (spec && spec.periodSeconds < 60) {
        throw invalidInput(
          `Alarm ${a.Name} has a ${spec.periodSeconds}-second period: Route 53 supports only standard-resolution alarms`,
        );
      }
    } else if (c.AlarmIdentifier !== undefined || c.InsufficientDataHealthStatus !== undefined) {
      throw invalidInput(
        'AlarmIdentifier and InsufficientDataHealthStatus apply only to CLOUDWATCH_METRIC health checks',
      );
    }
  }

  // ---------------------------------------------------------------- API (control plane)

  /** [Planes] every Route 53 API action is served by the control plane in us-east-1. */
  private controlPlane(): void {
    if (this.ctx.world.faults.isRoute53ApiFailing())
      throw serviceUnavailable('route53', CONTROL_PLANE_REGION);
  }

  private check(id: string | undefined): Check {
    if (!id) throw invalidInput('HealthCheckId is required');
    const c = this.checks.get(id);
    if (!c) throw noSuchHealthCheck(id);
    return c;
  }

  private describe(check: Check): SdkHealthCheck {
    const out: SdkHealthCheck = {
      Id: check.id,
      CallerReference: check.callerReference,
      HealthCheckConfig: structuredClone(check.config),
      HealthCheckVersion: check.version,
    };
    const a = check.config.AlarmIdentifier;
    const spec =
      a?.Region && a.Name && this.ctx.world.regionNames.includes(a.Region)
        ? this.ctx.world.region(a.Region).cloudwatch.alarmSpec(a.Name)
        : undefined;
    if (spec) {
      out.CloudWatchAlarmConfiguration = {
        EvaluationPeriods: spec.evaluationPeriods,
        Threshold: spec.threshold,
        ComparisonOperator: spec.comparison,
        Period: spec.periodSeconds,
        MetricName: spec.metricName,
        Namespace: spec.namespace,
        Statistic: spec.statistic,
        Dimensions: Object.entries(spec.dimensions).map(([Name, Value]) => ({ Name, Value })),
      };
    }
    return out;
  }

  private createHealthCheckApi(input: CreateHealthCheckRequest): CreateHealthCheckResponse {
    this.controlPlane();
    if (!input.CallerReference) throw invalidInput('CallerReference is required');
    if (!input.HealthCheckConfig) throw invalidInput('HealthCheckConfig is required');
    const id = this.createHealthCheck(input.HealthCheckConfig, { callerReference: input.CallerReference });
    return {
      HealthCheck: this.describe(this.check(id)),
      Location: `https://route53.amazonaws.com/2013-04-01/healthcheck/${id}`,
    };
  }

  private getHealthCheck(input: GetHealthCheckRequest): GetHealthCheckResponse {
    this.controlPlane();
    return { HealthCheck: this.describe(this.check(input.HealthCheckId)) };
  }

  private getHealthCheckStatus(input: GetHealthCheckStatusRequest): GetHealthCheckStatusResponse {
    this.controlPlane();
    const check = this.check(input.HealthCheckId);
    const c = check.config;
    // [Config] GetHealthCheckStatus: "You can't use GetHealthCheckStatus to get the status of a calculated health
    // check."
    if (c.Type === 'CALCULATED')
      throw invalidInput('GetHealthCheckStatus does not support calculated health checks');
    if (c.Type === 'CLOUDWATCH_METRIC') {
      const regions = (c.Regions as readonly string[] | undefined) ?? CHECKER_REGIONS;
      // The wording of alarm-check reports is the twin's: AWS documents none.
      const state = this.alarmState(c) ?? 'INSUFFICIENT_DATA';
      const ok = state === 'OK' || (state === 'INSUFFICIENT_DATA' && this.raw(check, new Set()));
      const report = {
        Status: `${ok ? 'Success' : 'Failure'}: CloudWatch alarm ${c.AlarmIdentifier?.Name} is in state ${state}`,
        CheckedTime: new Date(this.ctx.clock.now()),
      };
      return {
        HealthCheckObservations: regions.map((Region) => ({
          Region: Region as HealthCheckObservation['Region'],
          StatusReport: { ...report },
        })),
      };
    }
    // Each checker's own last observation (none yet: not listed).
    const observations: HealthCheckObservation[] = (check.checkers?.observations() ?? []).flatMap(
      ({ region, observation }) =>
        observation
          ? [
              {
                Region: region as HealthCheckObservation['Region'],
                StatusReport: { Status: observation.status, CheckedTime: new Date(observation.at) },
              },
            ]
          : [],
    );
    return { HealthCheckObservations: observations };
  }

  private listHealthChecks(input: ListHealthChecksRequest): ListHealthChecksResponse {
    this.controlPlane();
    const max = input.MaxItems ?? 100;
    if (!Number.isInteger(max) || max < 1 || max > 1000)
      throw invalidInput('MaxItems must be between 1 and 1000');
    const all = [...this.checks.values()];
    let from = 0;
    if (input.Marker !== undefined) {
      from = all.findIndex((c) => c.id === input.Marker);
      if (from < 0) throw invalidInput(`Invalid marker ${input.Marker}`);
    }
    const page = all.slice(from, from + max);
    const next = all[from + max];
    const out: ListHealthChecksResponse = {
      HealthChecks: page.map((c) => this.describe(c)),
      Marker: input.Marker ?? '',
      IsTruncated: next !== undefined,
      MaxItems: max,
    };
    if (next) out.NextMarker = next.id;
    return out;
  }

  private updateHealthCheck(input: UpdateHealthCheckRequest): UpdateHealthCheckResponse {
    this.controlPlane();
    const check = this.check(input.HealthCheckId);
    const raw = input as unknown as Record<string, unknown>;
    // [Config] "You can't change the value of RequestInterval after you create a health check" (likewise Type and
    // MeasureLatency); UpdateHealthCheck has no such parameters.
    for (const k of ['RequestInterval', 'Type', 'MeasureLatency']) {
      if (raw[k] !== undefined) throw invalidInput(`${k} can't be changed after a health check is created`);
    }
    // [Config] HealthCheckVersion: a stale version is HealthCheckVersionMismatch, so no update is lost.
    if (input.HealthCheckVersion !== undefined && input.HealthCheckVersion !== check.version) {
      throw new AwsError(
        'HealthCheckVersionMismatch',
        `The value of HealthCheckVersion in the request (${input.HealthCheckVersion}) doesn't match the current version (${check.version})`,
        { status: 409 },
      );
    }
    const next: HealthCheckConfig = structuredClone(check.config);
    const fields = [
      'IPAddress',
      'Port',
      'ResourcePath',
      'FullyQualifiedDomainName',
      'SearchString',
      'FailureThreshold',
      'Inverted',
      'Disabled',
      'HealthThreshold',
      'ChildHealthChecks',
      'EnableSNI',
      'Regions',
      'AlarmIdentifier',
      'InsufficientDataHealthStatus',
    ] as const;
    const target = next as unknown as Record<string, unknown>;
    for (const k of fields) if (raw[k] !== undefined) target[k] = structuredClone(raw[k]);
    for (const element of input.ResetElements ?? []) {
      // [Config] ResetElements: ChildHealthChecks, FullyQualifiedDomainName, Regions, ResourcePath.
      if (!['ChildHealthChecks', 'FullyQualifiedDomainName', 'Regions', 'ResourcePath'].includes(element)) {
        throw invalidInput(`${element} is not a resettable element`);
      }
      delete target[element];
    }
    if (next.Type === 'CALCULATED') next.ChildHealthChecks ??= [];
    this.validate(next, check.id);
    const reEnabled = check.config.Disabled === true && next.Disabled === false;
    check.config = next;
    check.version++;
    if (reEnabled && ENDPOINT_TYPES.includes(next.Type ?? '')) {
      // Starts over like a new check: healthy until enough observations say otherwise ([Health]).
      check.checkers?.reset();
    }
    const changes = fields.filter((k) => raw[k] !== undefined).map((k) => `${k}=${JSON.stringify(raw[k])}`);
    this.ctx.timeline.add(
      'global',
      'r53',
      `health check ${this.label(check)} updated: ${changes.join(', ') || 'no change'}`,
    );
    this.watch();
    return { HealthCheck: this.describe(check) };
  }

  private listResourceRecordSets(input: ListResourceRecordSetsRequest): ListResourceRecordSetsResponse {
    this.controlPlane();
    const zone = input.HostedZoneId?.replace(/^\/hostedzone\//, '');
    if (!zone) throw invalidInput('HostedZoneId is required');
    if (!this.zones.has(zone))
      throw new AwsError('NoSuchHostedZone', `No hosted zone found with ID: ${zone}`, { status: 404 });
    const max = input.MaxItems ?? 300;
    if (!Number.isInteger(max) || max < 1 || max > 300)
      throw invalidInput('MaxItems must be between 1 and 300');
    if (input.StartRecordType !== undefined && input.StartRecordName === undefined) {
      throw invalidInput('StartRecordType requires StartRecordName');
    }
    // [ListResourceRecordSets] records are listed by name with the labels reversed, then type, then set identifier.
    const key = (name: string, type: string, setId: string) =>
      `${name.split('.').reverse().join('.')}\u0000${type}\u0000${setId}`;
    const sorted = this.records
      .filter((r) => r.zone === zone)
      .sort((a, b) => cmp(key(a.name, 'CNAME', a.setIdentifier), key(b.name, 'CNAME', b.setIdentifier)));
    const start =
      input.StartRecordName === undefined
        ? ''
        : key(
            normalize(input.StartRecordName),
            input.StartRecordType ?? '',
            input.StartRecordIdentifier ?? '',
          );
    const from = sorted.filter((r) => cmp(key(r.name, 'CNAME', r.setIdentifier), start) >= 0);
    const page = from.slice(0, max);
    const out: ListResourceRecordSetsResponse = {
      ResourceRecordSets: page.map((r): ResourceRecordSet => {
        const set: ResourceRecordSet = {
          Name: `${r.name}.`,
          Type: 'CNAME',
          SetIdentifier: r.setIdentifier,
          Region: r.region as ResourceRecordSet['Region'],
          TTL: r.ttl,
          ResourceRecords: [{ Value: r.value }],
        };
        if (r.healthCheckId !== undefined) set.HealthCheckId = r.healthCheckId;
        return set;
      }),
      IsTruncated: from.length > max,
      MaxItems: max,
    };
    const next = from[max];
    if (next) {
      out.NextRecordName = `${next.name}.`;
      out.NextRecordType = 'CNAME';
      out.NextRecordIdentifier = next.setIdentifier;
    }
    return out;
  }
}

function normalize(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
