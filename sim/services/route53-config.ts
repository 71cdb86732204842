/**
 * Route 53 health check configurations as the API takes them: defaults and validation (sim/services/route53.ts
 * cites the sources: [Config] is the Route 53 API Reference, `HealthCheckConfig` / `UpdateHealthCheck`).
 */
import type { HealthCheckConfig } from '@aws-sdk/client-route-53';
import { AwsError, NotModelledError } from '../core/errors';

export const ENDPOINT_TYPES: readonly string[] = ['HTTPS', 'HTTP'];

export const invalidInput = (message: string) => new AwsError('InvalidInput', message, { status: 400 });
export const noSuchHealthCheck = (id: string) =>
  new AwsError('NoSuchHealthCheck', `No health check exists with the specified ID ${id}`, { status: 404 });

export function withDefaults(config: HealthCheckConfig): HealthCheckConfig {
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

/** What validation needs of the twin: which checks exist, and an alarm's period in its region. */
export interface ConfigContext {
  hasCheck(id: string): boolean;
  alarmPeriodSeconds(region: string, name: string): number | undefined;
}

/** Checks a health check's configuration as CreateHealthCheck / UpdateHealthCheck do ([Config]). */
export function validateConfig(c: HealthCheckConfig, self: string | undefined, ctx: ConfigContext): void {
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
      if (c[k] !== undefined) throw invalidInput(`${k} applies only to endpoint health checks, not ${type}`);
    }
  }
  if (type === 'CALCULATED') {
    const children = c.ChildHealthChecks ?? [];
    if (children.length > 256) throw invalidInput('A calculated health check has at most 256 children');
    for (const child of children) {
      if (child === self) throw invalidInput('A calculated health check cannot monitor itself');
      if (!ctx.hasCheck(child)) throw invalidInput(`Child health check ${child} does not exist`);
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
    const period = ctx.alarmPeriodSeconds(a.Region, a.Name);
    // [Config] AlarmIdentifier: "High-resolution metrics aren't supported" (alarms with a period under 60 s).
    if (period !== undefined && period < 60) {
      throw invalidInput(
        `Alarm ${a.Name} has a ${period}-second period: Route 53 supports only standard-resolution alarms`,
      );
    }
  } else if (c.AlarmIdentifier !== undefined || c.InsufficientDataHealthStatus !== undefined) {
    throw invalidInput(
      'AlarmIdentifier and InsufficientDataHealthStatus apply only to CLOUDWATCH_METRIC health checks',
    );
  }
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

export interface LatencyRecord {
  readonly zone: string;
  /** Lower case, no trailing dot. */
  readonly name: string;
  readonly setIdentifier: string;
  readonly region: string;
  readonly value: string;
  readonly healthCheckId: string | undefined;
  readonly ttl: number;
}

export function normalize(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
