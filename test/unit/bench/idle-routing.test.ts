import {
  alarmLines,
  type CostLine,
  healthCheckLines,
  type Template,
  total,
} from '../../../bench/idle-cost-model';
import { ROUTING_CATEGORIES, splitRoutingMachinery } from '../../../bench/idle-routing';
import { parseConfig } from '../../../infra/config/load';
import { exampleRaw } from '../../infra/helpers';

const config = parseConfig(exampleRaw());
const R = 'eu-west-1';
const alarm = (name: string, metrics = 1): Template['Resources'][string] =>
  metrics === 1
    ? { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmName: name, MetricName: 'M', Period: 60 } }
    : {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          AlarmName: name,
          Metrics: [
            { Id: 'x', Expression: 'h0' },
            ...Array.from({ length: metrics }, (_, i) => ({ Id: `m${i}`, MetricStat: { Period: 60 } })),
          ],
        },
      };

/** The example's eu-west-1 routing alarms, one control-plane alarm and the routing table. */
const regional: Template = {
  Resources: {
    SwitchOwn: alarm('artifactory-prod-eu-west-1-region-serving'),
    SwitchPeer: alarm('artifactory-prod-us-east-1-region-serving'),
    Degraded: alarm('artifactory-prod-eu-west-1-region-degraded', 3),
    NotReady: alarm('artifactory-prod-eu-west-1-not-ready'),
    Primary: alarm('artifactory-prod-eu-west-1-primary-unhealthy'),
    Routing: { Type: 'AWS::DynamoDB::GlobalTable', Properties: { TableName: 'artifactory-prod-routing' } },
  },
};
const witness: Template = {
  Resources: {
    Routing: { Type: 'AWS::DynamoDB::GlobalTable', Properties: { TableName: 'artifactory-prod-routing' } },
  },
};
const check = (c: Record<string, unknown>) => ({
  Type: 'AWS::Route53::HealthCheck',
  Properties: { HealthCheckConfig: c },
});
const global: Template = {
  Resources: {
    E1: check({
      Type: 'HTTPS',
      FullyQualifiedDomainName: 'a.eu-west-1.elb.amazonaws.com',
      RequestInterval: 30,
    }),
    E2: check({
      Type: 'HTTPS',
      FullyQualifiedDomainName: 'b.us-east-1.elb.amazonaws.com',
      RequestInterval: 30,
    }),
    C1: check({ Type: 'CLOUDWATCH_METRIC' }),
    C2: check({ Type: 'CLOUDWATCH_METRIC' }),
    C3: check({ Type: 'CLOUDWATCH_METRIC' }),
    C4: check({ Type: 'CLOUDWATCH_METRIC' }),
    K1: check({ Type: 'CALCULATED' }),
    K2: check({ Type: 'CALCULATED' }),
  },
};
const lines: CostLine[] = [...healthCheckLines(global, 1 / 2), ...alarmLines(regional)];
const input = { regional, global, witness, regions: 2, config, region: R };

describe('the routing machinery, apart from the control plane', () => {
  it('moves every health check and the routing alarms, keeps the rest, and loses no cent', () => {
    const { controlPlane, routing } = splitRoutingMachinery(lines, input);
    expect(controlPlane.map((l) => l.item)).toEqual(['Primary (M)']);
    expect(total(controlPlane) + total(routing)).toBeCloseTo(total(lines), 9);
    const by = (c: string) => routing.filter((l) => l.category === c);
    // Per region: 1 HTTPS endpoint ($1.50), 2 copy checks ($1.00), 1 calculated ($0.50).
    expect(by(ROUTING_CATEGORIES.checks).map((l) => [l.item, l.quantity, l.usdPerMonth])).toEqual([
      ['HTTPS, optional features: HTTPS', 1, 1.5],
      ['CLOUDWATCH_METRIC, basic', 2, 1],
      ['CALCULATED, basic', 1, 0.5],
    ]);
    expect(total(by(ROUTING_CATEGORIES.copies))).toBeCloseTo(0.2, 9);
    expect(total(by(ROUTING_CATEGORIES.alarms))).toBeCloseTo(0.4, 9); // degraded 3 metrics + readiness 1
    expect(by(ROUTING_CATEGORIES.tables).map((l) => l.quantity)).toEqual([1, 0.5]);
  });

  it('refuses a template that lacks a routing alarm or the routing table (a model out of date)', () => {
    const { SwitchPeer: _, ...noPeer } = regional.Resources;
    expect(() => splitRoutingMachinery(lines, { ...input, regional: { Resources: noPeer } })).toThrow(
      '1 routing alarm(s) of eu-west-1 are not in its template',
    );
    const { Routing: __, ...noTable } = regional.Resources;
    expect(() => splitRoutingMachinery(lines, { ...input, regional: { Resources: noTable } })).toThrow(
      'the regional template has no routing table artifactory-prod-routing',
    );
  });
});
