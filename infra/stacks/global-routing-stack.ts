import { Stack, type StackProps } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import type { Config } from '../config/schema';
import { switchAlarmName } from './names';

export interface GlobalRoutingStackProps extends StackProps {
  readonly config: Config;
}

/** The health checks each region's calculated check is built from, by region name. */
export interface RegionHealthChecks {
  readonly endpoint: route53.CfnHealthCheck;
  readonly switch: route53.CfnHealthCheck;
  readonly calculated: route53.CfnHealthCheck;
  readonly record: route53.CfnRecordSet;
}

/**
 * One latency-routed record per region, answered only while the region's calculated health check is
 * healthy: its endpoint check (HTTPS to the ALB's health path) AND its switch check (the switch alarm).
 */
export class GlobalRoutingStack extends Stack {
  readonly regions: ReadonlyMap<string, RegionHealthChecks>;

  constructor(scope: Construct, id: string, props: GlobalRoutingStackProps) {
    super(scope, id, props);
    const { config } = props;
    const routing = config.routing;
    const regions = new Map<string, RegionHealthChecks>();

    for (const region of config.regions) {
      const suffix = region.name.replace(/-/g, '');
      const tag = (role: string) => [{ key: 'Name', value: `${config.cluster.name}-${region.name}-${role}` }];

      // Route 53 HTTPS checks do not validate the certificate (docs/facts.md, Route 53 health checks), so the
      // nodes' self-signed chain is no obstacle.
      const endpoint = new route53.CfnHealthCheck(this, `Endpoint${suffix}`, {
        healthCheckConfig: {
          type: 'HTTPS',
          fullyQualifiedDomainName: region.alb.dnsName,
          port: 443,
          resourcePath: region.alb.healthPath,
          enableSni: true,
          requestInterval: routing.healthCheckIntervalSeconds,
          failureThreshold: routing.healthCheckFailureThreshold,
        },
        healthCheckTags: tag('endpoint'),
      });

      // No data yet (a fresh deployment) counts as serving; afterwards the alarm keeps its last state.
      const switchCheck = new route53.CfnHealthCheck(this, `Switch${suffix}`, {
        healthCheckConfig: {
          type: 'CLOUDWATCH_METRIC',
          alarmIdentifier: { name: switchAlarmName(config, region.name), region: region.name },
          insufficientDataHealthStatus: 'Healthy',
        },
        healthCheckTags: tag('switch'),
      });

      // Healthy only when both children are: the region must be up AND switched on.
      const calculated = new route53.CfnHealthCheck(this, `Calculated${suffix}`, {
        healthCheckConfig: {
          type: 'CALCULATED',
          childHealthChecks: [endpoint.attrHealthCheckId, switchCheck.attrHealthCheckId],
          healthThreshold: 2,
        },
        healthCheckTags: tag('serving'),
      });

      const record = new route53.CfnRecordSet(this, `Record${suffix}`, {
        hostedZoneId: routing.hostedZoneId,
        name: routing.recordName,
        type: 'CNAME',
        ttl: String(routing.ttlSeconds),
        resourceRecords: [region.alb.dnsName],
        setIdentifier: region.name,
        region: region.name,
        healthCheckId: calculated.attrHealthCheckId,
      });

      regions.set(region.name, { endpoint, switch: switchCheck, calculated, record });
    }
    this.regions = regions;
  }
}
