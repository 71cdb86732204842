import { VirtualClock } from '../../../sim/core/clock';
import { Faults } from '../../../sim/core/faults';
import { Rng } from '../../../sim/core/rng';
import { Timeline } from '../../../sim/core/timeline';
import { makeWorld, type TestRegion, tgArn } from './network-world';

const E1 = 'us-east-1';

describe('injected faults refuse bad options and change nothing', () => {
  const make = () => {
    const timeline = new Timeline(() => 0);
    return { faults: new Faults(new Rng(1), timeline), timeline };
  };

  it.each([
    [
      'times 0',
      (f: Faults) => f.throttle({ service: 'dynamodb', times: 0 }),
      /times must be a positive integer/,
    ],
    [
      'times 1.5',
      (f: Faults) => f.fail({ service: 'dynamodb', times: 1.5 }),
      /times must be a positive integer/,
    ],
    [
      'fraction 0',
      (f: Faults) => f.fail({ service: 'dynamodb', fraction: 0 }),
      /fraction must be in \(0, 1\]/,
    ],
    [
      'fraction 2',
      (f: Faults) => f.throttle({ service: 'sfn', fraction: 2 }),
      /fraction must be in \(0, 1\]/,
    ],
    [
      'an unknown caller',
      (f: Faults) => f.fail({ service: 'dynamodb', times: 1, caller: 'cron' as never }),
      /caller is workflow or handler/,
    ],
    [
      'a Lambda fault without an amount',
      (f: Faults) => f.lambda({ mode: 'throttle' }),
      /needs times or fraction/,
    ],
    [
      'an unknown Lambda mode',
      (f: Faults) => f.lambda({ times: 1, mode: 'crash' as never }),
      /mode is one of throttle, service-error, timeout/,
    ],
    [
      'a negative skip',
      (f: Faults) => f.lambda({ times: 1, skip: -1, mode: 'timeout' }),
      /skip must be a non-negative integer/,
    ],
    [
      'an unknown SSM outcome',
      (f: Faults) => f.ssmCommand({ region: E1, outcome: 'Lost' as never }),
      /outcome is Failed, TimedOut or Hang/,
    ],
    [
      'an unknown event mode',
      (f: Faults) => f.event({ mode: 'reorder' as never }),
      /mode is lose, duplicate or delay/,
    ],
    ['a zero delay', (f: Faults) => f.event({ mode: 'delay', delayMs: 0 }), /delayMs must be positive/],
    [
      'an unknown ALB mode',
      (f: Faults) => f.albHealth({ region: E1, mode: 'flap' as never }),
      /mode is fail or pass/,
    ],
    ['zero boot stalls', (f: Faults) => f.stallNextBoots(E1, 0), /times must be a positive integer/],
  ])('%s', (_what, inject, message) => {
    const { faults, timeline } = make();
    expect(() => inject(faults)).toThrow(message);
    expect(timeline.entries).toEqual([]);
    expect(faults.beforeCall(E1, 'dynamodb', 'GetItem', 'handler')).toBeUndefined();
    expect(faults.takeLambdaFault(E1, 'fn')).toBeUndefined();
    expect(faults.takeSsmFault(E1, 'doc', 'i-1')).toBeUndefined();
    expect(faults.takeEventFault(E1, 'x')).toBeUndefined();
    expect(faults.albProbe(E1, 'i-1')).toBeUndefined();
    expect(faults.takeBootStall(E1)).toBe(false);
  });

  it('a caller-scoped API fault bites only that caller, and only calls that name one', () => {
    const { faults } = make();
    faults.fail({ service: 'dynamodb', caller: 'workflow', times: 1, errorName: 'InternalServerError' });
    expect(faults.beforeCall(E1, 'dynamodb', 'PutItem', 'handler')).toBeUndefined();
    expect(faults.beforeCall(E1, 'dynamodb', 'PutItem')).toBeUndefined();
    expect(faults.beforeCall(E1, 'dynamodb', 'PutItem', 'workflow')).toMatchObject({
      name: 'InternalServerError',
      $fault: 'server',
      $metadata: { httpStatusCode: 500 },
    });
    expect(faults.beforeCall(E1, 'dynamodb', 'PutItem', 'workflow')).toBeUndefined();
  });

  it('a Lambda fault lets `skip` invocations through, then bites `times`, by function and region', () => {
    const { faults, timeline } = make();
    faults.lambda({ region: E1, functionName: 'fn', skip: 2, times: 1, mode: 'service-error' });
    expect(faults.takeLambdaFault(E1, 'other')).toBeUndefined();
    expect(faults.takeLambdaFault('eu-west-1', 'fn')).toBeUndefined();
    expect([1, 2, 3, 4].map(() => faults.takeLambdaFault(E1, 'fn'))).toEqual([
      undefined,
      undefined,
      'service-error',
      undefined,
    ]);
    expect(timeline.find('fault', 'invocation of fn: service-error (injected)')).toHaveLength(1);
  });

  it('an ALB health fault holds until cleared; the latest one for a target wins', () => {
    const { faults } = make();
    faults.albHealth({ region: E1, mode: 'pass' });
    faults.albHealth({ region: E1, instanceId: 'i-1', mode: 'fail' });
    expect(faults.albProbe(E1, 'i-1')).toBe('fail');
    expect(faults.albProbe(E1, 'i-2')).toBe('pass');
    expect(faults.albProbe('eu-west-1', 'i-1')).toBeUndefined();
    faults.clearAlbHealth(E1, 'i-1');
    expect(faults.albProbe(E1, 'i-1')).toBe('pass');
    faults.clearAlbHealth(E1);
    expect(faults.albProbe(E1, 'i-2')).toBeUndefined();
  });
});

describe('ALB health that disagrees with the node', () => {
  let clock: VirtualClock;
  beforeEach(() => {
    clock = new VirtualClock();
    clock.install();
  });
  afterEach(() => clock.uninstall());

  function group(r: TestRegion) {
    const arn = tgArn(r.name, 'art-member');
    r.elbv2.createTargetGroup({
      arn,
      healthCheckIntervalSeconds: 10,
      healthyThresholdCount: 3,
      unhealthyThresholdCount: 2,
      deregistrationDelaySeconds: 30,
    });
    const inst = r.ec2.add();
    r.elbv2.registerTargets(arn, [inst.id]);
    return { arn, inst };
  }

  it('a security group fault makes the ALB call a ready node unhealthy (Target.Timeout), until it is fixed', async () => {
    const tw = makeWorld(clock);
    const r = tw.region(E1);
    const { arn, inst } = group(r);
    await clock.runFor(10_000);
    expect(r.elbv2.targetState(arn, inst.id)).toBe('healthy');
    tw.faults.albHealth({ region: E1, instanceId: inst.id, mode: 'fail' });
    await clock.runFor(20_000);
    expect(inst.node.routerHealthy()).toBe(true);
    expect(r.elbv2.targetState(arn, inst.id)).toBe('unhealthy');
    expect(tw.timeline.find('elb', /healthy -> unhealthy \(Target.Timeout\)/)).toHaveLength(1);
    tw.faults.clearAlbHealth(E1, inst.id);
    await clock.runFor(30_000);
    expect(r.elbv2.targetState(arn, inst.id)).toBe('healthy');
  });

  it('a health path that answers 200 early makes a starting node healthy, never one with nothing listening', async () => {
    const tw = makeWorld(clock);
    const r = tw.region(E1);
    const { arn, inst } = group(r);
    inst.node.status = 'starting';
    tw.faults.albHealth({ region: E1, mode: 'pass' });
    await clock.runFor(10_000);
    expect(inst.node.routerHealthy()).toBe(false);
    expect(r.elbv2.targetState(arn, inst.id)).toBe('healthy');
    inst.node.status = 'stopped';
    await clock.runFor(20_000);
    expect(r.elbv2.targetState(arn, inst.id)).toBe('unhealthy');
    inst.node.status = 'starting';
    inst.reachable = false;
    await clock.runFor(50_000);
    expect(r.elbv2.targetState(arn, inst.id)).toBe('unhealthy');
  });

  it('tells when the next health checks run and with which thresholds', () => {
    const tw = makeWorld(clock);
    const r = tw.region(E1);
    const { arn } = group(r);
    const start = clock.now();
    expect(r.elbv2.healthChecksAfter(arn, start, 3)).toEqual({
      times: [start + 10_000, start + 20_000, start + 30_000],
      healthyThreshold: 3,
      unhealthyThreshold: 2,
    });
    // Strictly after: a check due at `after` has run already.
    expect(r.elbv2.healthChecksAfter(arn, start + 10_000, 1).times).toEqual([start + 20_000]);
    expect(r.elbv2.healthChecksAfter(arn, start + 10_001, 1).times).toEqual([start + 20_000]);
  });
});
