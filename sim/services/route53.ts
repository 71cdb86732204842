/**
 * Route 53, global: health checks (HTTPS endpoint, CloudWatch alarm, calculated) on the virtual clock, and the
 * latency-routed records of the routing stack answered from them.
 *
 * Sources:
 * - [Health] Route 53 Developer Guide, "How Amazon Route 53 determines whether a health check is healthy"
 *   (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html):
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
 * Layout: this file is the API (control plane); sim/services/route53-core.ts the health checks and records
 * (data plane), route53-checkers.ts the checkers, route53-config.ts defaults and validation, route53-latency.ts
 * the latency model.
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
import type { Route53Contract, SimService } from '../core/contracts';
import { AwsError, serviceUnavailable } from '../core/errors';
import { CHECKER_REGIONS } from './route53-checkers';
import { cmp, ENDPOINT_TYPES, invalidInput, normalize, noSuchHealthCheck } from './route53-config';
import { type Check, Route53Core } from './route53-core';

export type { LatencyRecordSpec } from './route53-config';
export { DEFAULT_HOSTED_ZONE_ID } from './route53-core';
export { latencyMs } from './route53-latency';

const CONTROL_PLANE_REGION = 'us-east-1';

/** Route 53 (one instance for the world; its context's region is `global`): the API over {@link Route53Core}. */
export class Route53Sim extends Route53Core implements SimService, Route53Contract {
  readonly service = 'route53' as const;
  readonly api = {
    CreateHealthCheck: (input: CreateHealthCheckRequest) => this.createHealthCheckApi(input),
    GetHealthCheck: (input: GetHealthCheckRequest) => this.getHealthCheck(input),
    GetHealthCheckStatus: (input: GetHealthCheckStatusRequest) => this.getHealthCheckStatus(input),
    ListHealthChecks: (input: ListHealthChecksRequest) => this.listHealthChecks(input),
    UpdateHealthCheck: (input: UpdateHealthCheckRequest) => this.updateHealthCheck(input),
    ListResourceRecordSets: (input: ListResourceRecordSetsRequest) => this.listResourceRecordSets(input),
  };

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
