/**
 * The faults issue 15's scenes stand on, on the deployed control plane: a dead watch (its invocations fail as
 * function errors) silences PrimaryHealthy, so watch-silent (missing data breaching, infra/operations.ts) fires
 * while the primary alarm (missing data ignored) starts nothing; each failed tick is counted in AWS/Lambda Errors.
 */

import { operationsAlarmSpecs } from '../../../infra/operations';
import { primaryAlarmName } from '../../../infra/primary-failover';
import { operationsAlarmName } from '../../../infra/stacks/names';
import { Twin } from '../../../sim/twin';

const MINUTE = 60_000;

jest.setTimeout(120_000);

describe('a dead watch on the twin', () => {
  let twin: Twin;

  afterEach(async () => {
    await twin?.stop();
  });

  it('fires watch-silent within 5 minutes and starts no failover; the errors are counted', async () => {
    twin = await Twin.start({ seed: 4 });
    const config = twin.world.config;
    const region = twin.world.regionNames[0] as string;
    const r = twin.world.region(region);
    r.sqs.createQueue({ name: `${config.cluster.name}-dead-letters` });
    for (const spec of operationsAlarmSpecs(config, region)) r.cloudwatch.putAlarm(spec);
    const silent = operationsAlarmName(config, region, 'watch-silent');
    await twin.run(5 * MINUTE);
    expect(r.cloudwatch.alarmState(silent)).toBe('OK');
    const watch = `${config.cluster.name}-watch`;
    twin.world.faults.lambda({ region, functionName: watch, mode: 'function-error', fraction: 1 });
    const deadAt = twin.world.clock.now();
    await twin.run(6 * MINUTE, () => r.cloudwatch.alarmState(silent) === 'ALARM');
    expect(r.cloudwatch.alarmState(silent)).toBe('ALARM');
    expect(twin.world.clock.now() - deadAt).toBeLessThanOrEqual(5 * MINUTE);
    await twin.run(10 * MINUTE);
    expect(r.cloudwatch.alarmState(primaryAlarmName(config, region))).not.toBe('ALARM');
    expect(
      twin.world.executions.filter((e) => e.startedAt >= deadAt && e.stateMachine.includes('failover')),
    ).toEqual([]);
    const now = twin.world.clock.now();
    const errors = (await twin.world.call(region, 'cloudwatch', 'GetMetricStatistics', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: watch }],
      StartTime: new Date(deadAt),
      EndTime: new Date(now),
      Period: 300,
      Statistics: ['Sum'],
    })) as { Datapoints: { Sum: number }[] };
    // Every tick fails and Lambda's async queue retries it (two retries), while ticks keep coming.
    expect(errors.Datapoints.reduce((n, d) => n + d.Sum, 0)).toBeGreaterThanOrEqual(15);
    twin.world.faults.clearLambdaFaults();
    await twin.run(5 * MINUTE, () => r.cloudwatch.alarmState(silent) === 'OK');
    expect(r.cloudwatch.alarmState(silent)).toBe('OK');
  });
});
