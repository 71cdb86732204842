import fc from 'fast-check';
import { parseConfig } from '../../../infra/config/load';
import {
  albMetricDimensions,
  degradedDatapoint,
  readinessAlarmSpec,
  regionDegradedAlarmSpec,
  routingRecords,
  switchCopies,
  switchCopiesIn,
} from '../../../infra/regional-routing';
import { exampleRaw } from '../../infra/helpers';

const config = parseConfig(exampleRaw());
const region = config.regions[0];
if (region === undefined) throw new Error('no region');
const alb = albMetricDimensions(region);

describe('routing specs shared by CDK and the twin', () => {
  it('derives the ALB metric dimensions from the configured ARNs', () => {
    expect(alb).toEqual({
      loadBalancer: 'app/artifactory-prod/50dc6c495c0c9188',
      targetGroups: ['targetgroup/artifactory-prod/0123456789abcdef'],
    });
  });

  it('copies every region’s switch into every region, and each record needs all of them', () => {
    expect(switchCopies(config).map((c) => `${c.switched}@${c.copyRegion}`)).toEqual([
      'eu-west-1@eu-west-1',
      'eu-west-1@us-east-1',
      'us-east-1@eu-west-1',
      'us-east-1@us-east-1',
    ]);
    expect(switchCopiesIn(config, 'us-east-1').map((c) => c.alarm.name)).toEqual([
      'artifactory-prod-eu-west-1-region-serving',
      'artifactory-prod-us-east-1-region-serving',
    ]);
    for (const r of routingRecords(config)) {
      expect(r.healthThreshold).toBe(1 + r.copies.length);
      expect(r.copies.map((c) => c.copyRegion)).toEqual(['eu-west-1', 'us-east-1']);
      expect(new Set(r.copies.map((c) => c.insufficientDataHealthStatus))).toEqual(
        new Set(['LastKnownStatus']),
      );
    }
  });

  it('the degraded expression: no healthy target OR 5xx share above the limit, per minute', () => {
    const spec = regionDegradedAlarmSpec(config, region.name, alb);
    expect(spec.expression).toBe('IF((FILL(h0, 0)) < 1 OR 100 * (FILL(e0, 0)) > 5 * (FILL(r0, 0)), 1, 0)');
    expect(degradedDatapoint(spec, {})).toBeUndefined(); // the ALB's metrics stopped: missing, breaching
    expect(degradedDatapoint(spec, { h0: 0 })).toBe(1);
    expect(degradedDatapoint(spec, { h0: 2 })).toBe(0); // no requests: no 5xx share
    expect(degradedDatapoint(spec, { h0: 2, e0: 5, r0: 100 })).toBe(0); // exactly 5 %: not above
    expect(degradedDatapoint(spec, { h0: 2, e0: 6, r0: 100 })).toBe(1);
    expect(degradedDatapoint(spec, { e0: 0, r0: 100 })).toBe(1); // HealthyHostCount missing = 0
  });

  it('the evaluator agrees with the rule for any counts (property)', () => {
    const spec = regionDegradedAlarmSpec(config, region.name, alb);
    fc.assert(
      fc.property(fc.nat(20), fc.nat(1000), fc.nat(1000), (healthy, errors, extra) => {
        const requests = errors + extra;
        const expected = healthy < 1 || errors * 100 > 5 * requests ? 1 : 0;
        return degradedDatapoint(spec, { h0: healthy, e0: errors, r0: requests }) === expected;
      }),
    );
  });

  it('sums several target groups and refuses none', () => {
    const two = { loadBalancer: alb.loadBalancer, targetGroups: ['targetgroup/a/1', 'targetgroup/b/2'] };
    const spec = regionDegradedAlarmSpec(config, region.name, two);
    expect(spec.metrics.map((m) => m.id)).toEqual(['h0', 'e0', 'r0', 'h1', 'e1', 'r1']);
    expect(degradedDatapoint(spec, { h0: 0, h1: 1 })).toBe(0);
    expect(() => regionDegradedAlarmSpec(config, region.name, { ...alb, targetGroups: [] })).toThrow(
      'needs a target group',
    );
    const four = ['a', 'b', 'c', 'd'].map((n) => `targetgroup/${n}/1`);
    expect(() => regionDegradedAlarmSpec(config, region.name, { ...alb, targetGroups: four })).toThrow(
      'at most 3 target groups',
    );
  });

  it('the readiness alarm spans two evaluations', () => {
    expect(readinessAlarmSpec(config, region.name)).toMatchObject({
      periodSeconds: 3600,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: 'breaching',
    });
  });
});
