import { Stack, type StackProps } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import type { Config } from '../config/schema';
import {
  endpointCheckSpec,
  type RoutingRecordSpec,
  routingRecords,
  type SwitchKind,
} from '../regional-routing';

export interface GlobalRoutingStackProps extends StackProps {
  readonly config: Config;
}

/** One record's health: its calculated check and the children it combines. */
export interface RecordHealthChecks {
  readonly kind: SwitchKind;
  readonly region: string;
  readonly endpoint: route53.CfnHealthCheck;
  /** The switch copies' checks by copy region. */
  readonly copies: ReadonlyMap<string, route53.CfnHealthCheck>;
  readonly calculated: route53.CfnHealthCheck;
  readonly record: route53.CfnRecordSet;
}

const compact = (name: string) => name.replace(/-/g, '');

/**
 * One latency-routed record per region (and per region for the canary record, when configured), answered only
 * while the region's flat calculated check is healthy: its endpoint check (HTTPS to the ALB's health path) AND
 * every copy of its switch alarm, one `CLOUDWATCH_METRIC` check per configured region (infra/regional-routing.ts;
 * statemachines/regional-failover.md, "Where the switch lives"). Evacuating a region = one copy in ALARM.
 */
export class GlobalRoutingStack extends Stack {
  /** By record kind, then region. */
  readonly records: ReadonlyMap<SwitchKind, ReadonlyMap<string, RecordHealthChecks>>;

  constructor(scope: Construct, id: string, props: GlobalRoutingStackProps) {
    super(scope, id, props);
    const { config } = props;
    const tag = (region: string, role: string) => [
      { key: 'Name', value: `${config.cluster.name}-${region}-${role}` },
    ];

    // One endpoint check per region, shared by the serving and the canary record (the same ALB answers both).
    const endpoints = new Map<string, route53.CfnHealthCheck>();
    for (const region of config.regions) {
      const spec = endpointCheckSpec(config, region);
      // Route 53 HTTPS checks do not validate the certificate (docs/facts.md, Route 53 health checks), so the
      // nodes' self-signed chain is no obstacle.
      endpoints.set(
        region.name,
        new route53.CfnHealthCheck(this, `Endpoint${compact(region.name)}`, {
          healthCheckConfig: { type: 'HTTPS', ...spec },
          healthCheckTags: tag(region.name, 'endpoint'),
        }),
      );
    }

    const records = new Map<SwitchKind, Map<string, RecordHealthChecks>>();
    for (const spec of routingRecords(config)) {
      const byRegion = records.get(spec.kind) ?? new Map<string, RecordHealthChecks>();
      records.set(spec.kind, byRegion);
      byRegion.set(
        spec.region,
        this.record(spec, endpoints.get(spec.region) as route53.CfnHealthCheck, config),
      );
    }
    this.records = records;
  }

  private record(
    spec: RoutingRecordSpec,
    endpoint: route53.CfnHealthCheck,
    config: Config,
  ): RecordHealthChecks {
    // The canary's constructs get their own ids; the serving record's keep the names they always had.
    const prefix = spec.kind === 'serving' ? '' : 'Canary';
    const x = compact(spec.region);
    const role = spec.kind === 'serving' ? 'switch' : 'canary-switch';
    const tag = (value: string) => [{ key: 'Name', value: `${config.cluster.name}-${spec.region}-${value}` }];

    const copies = new Map<string, route53.CfnHealthCheck>();
    for (const copy of spec.copies) {
      // LastKnownStatus: a copy whose CloudWatch region is lost keeps its last status (neither evacuates nor
      // restores); a new check with no data yet is healthy (docs/facts.md, Route 53 health checks).
      copies.set(
        copy.copyRegion,
        new route53.CfnHealthCheck(this, `${prefix}Switch${x}In${compact(copy.copyRegion)}`, {
          healthCheckConfig: {
            type: 'CLOUDWATCH_METRIC',
            alarmIdentifier: { name: copy.alarmName, region: copy.copyRegion },
            insufficientDataHealthStatus: copy.insufficientDataHealthStatus,
          },
          healthCheckTags: tag(`${role}@${copy.copyRegion}`),
        }),
      );
    }

    // Healthy only when every child is: the region must be up AND switched on in every copy. Flat (Route 53
    // calculated checks can combine up to 256 children; no calculated check inside another).
    const children = [endpoint, ...copies.values()];
    const calculated = new route53.CfnHealthCheck(this, `${prefix}Calculated${x}`, {
      healthCheckConfig: {
        type: 'CALCULATED',
        childHealthChecks: children.map((c) => c.attrHealthCheckId),
        healthThreshold: spec.healthThreshold,
      },
      healthCheckTags: tag(spec.kind === 'serving' ? 'serving' : 'canary-serving'),
    });

    const record = new route53.CfnRecordSet(this, `${prefix}Record${x}`, {
      hostedZoneId: config.routing.hostedZoneId,
      name: spec.recordName,
      type: 'CNAME',
      ttl: String(spec.ttlSeconds),
      resourceRecords: [spec.target],
      setIdentifier: spec.region,
      region: spec.region,
      healthCheckId: calculated.attrHealthCheckId,
    });
    return { kind: spec.kind, region: spec.region, endpoint, copies, calculated, record };
  }
}
