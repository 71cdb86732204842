import { ScheduledEventSchema } from '../../../functions/shared/events';
import { VirtualClock } from '../../../sim/core/clock';
import type { BusEvent, SimContext, WorldView } from '../../../sim/core/contracts';
import { AwsError } from '../../../sim/core/errors';
import { type EventPattern, matches, validatePattern } from '../../../sim/core/event-pattern';
import { Faults } from '../../../sim/core/faults';
import { Rng } from '../../../sim/core/rng';
import { Timeline } from '../../../sim/core/timeline';
import {
  EventBridgeSim,
  nextCronTime,
  parseScheduleExpression,
  rateExpressionFor,
} from '../../../sim/services/events';
import { SnsSim } from '../../../sim/services/sns';
import { loadEventFixture } from '../shared/fixtures';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

// ------------------------------------------------------------------------------------------ harness

const clocks: VirtualClock[] = [];

function twin(seed = 7) {
  const clock = new VirtualClock();
  clock.install();
  clocks.push(clock);
  const rng = new Rng(seed);
  const timeline = new Timeline(() => clock.now());
  const faults = new Faults(rng.fork('faults'), timeline);
  const world: WorldView = {
    accountId: ACCOUNT,
    clusterName: 'art',
    regionNames: [REGION],
    faults,
    region: () => {
      throw new Error('not part of this test');
    },
    route53: {
      healthy: () => true,
      resolve: () => undefined,
      servingRegions: () => [],
      switchedOff: () => [],
    },
  };
  const ctx = (service: string): SimContext => ({
    region: REGION,
    clock,
    rng: rng.fork(`${REGION}/${service}`),
    timeline,
    world,
  });
  return { clock, timeline, faults, events: new EventBridgeSim(ctx('events')), sns: new SnsSim(ctx('sns')) };
}

afterEach(() => {
  for (const c of clocks.splice(0)) c.uninstall();
});

/** Expects `fn` to throw an AWS error of the given name. */
async function expectAwsError(fn: () => unknown, name: string): Promise<AwsError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AwsError);
    expect((err as AwsError).name).toBe(name);
    return err as AwsError;
  }
  throw new Error(`expected ${name}`);
}

const LAUNCH = 'EC2 Instance-launch Lifecycle Action';
const launchRule: EventPattern = { source: ['aws.autoscaling'], 'detail-type': [LAUNCH] };

function emitLaunch(events: EventBridgeSim, instanceId = 'i-0123456789abcdef0') {
  events.emit({
    source: 'aws.autoscaling',
    detailType: LAUNCH,
    detail: { EC2InstanceId: instanceId, LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING' },
    resources: ['arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:x:autoScalingGroupName/members'],
  });
}

// ------------------------------------------------------------------------------------------ patterns

describe('event patterns (EventBridge content filtering)', () => {
  // "Amazon EventBridge events" sample: an EC2 instance state-change notification.
  const ec2Event = {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: '111122223333',
    time: '2017-12-22T18:43:48Z',
    region: 'us-west-1',
    resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
    detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
  };
  // aws/event-ruler README sample event.
  const rulerEvent = {
    version: '0',
    id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: '012345679012',
    time: '2017-10-02T16:24:49Z',
    region: 'us-east-1',
    resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
    detail: {
      'c-count': 5,
      'd-count': 3,
      'x-limit': 301.8,
      'source-ip': '10.0.0.33',
      'instance-id': 'i-000000aaaaaa00000',
      state: 'running',
    },
  };
  const withDetail = (detail: Record<string, unknown>) => ({ ...rulerEvent, detail });

  it('matches on the fields it names, ignoring the others (docs: "Event pattern syntax")', () => {
    const pattern = {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['terminated'] },
    };
    expect(matches(pattern, ec2Event)).toBe(true);
    expect(matches(pattern, { ...ec2Event, detail: { state: 'running' } })).toBe(false);
    expect(matches({ source: ['aws.ec2', 'aws.fargate'] }, ec2Event)).toBe(true);
    expect(matches({ detail: { missing: ['x'] } }, ec2Event)).toBe(false);
  });

  it('matches an event array when it intersects the pattern array (docs: "Arrays in event patterns")', () => {
    const pattern = {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    };
    const event = {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };
    expect(matches(pattern, event)).toBe(true);
    expect(matches(pattern, { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-other'] })).toBe(
      false,
    );
  });

  it('keeps null and the empty string apart (docs: "Matching null values and empty strings")', () => {
    const event = { detail: { eventVersion: '', responseElements: null } };
    expect(matches({ detail: { eventVersion: [''] } }, event)).toBe(true);
    expect(matches({ detail: { responseElements: [null] } }, event)).toBe(true);
    expect(matches({ detail: { eventVersion: [null] } }, event)).toBe(false);
    expect(matches({ detail: { responseElements: [''] } }, event)).toBe(false);
  });

  it('matches a real Auto Scaling lifecycle event (AWS sample in test/fixtures)', () => {
    const event = loadEventFixture('autoscaling-launch-lifecycle-action.json');
    expect(matches({ ...launchRule, detail: { AutoScalingGroupName: ['my-asg'] } }, event)).toBe(true);
    expect(matches({ ...launchRule, detail: { AutoScalingGroupName: ['other-asg'] } }, event)).toBe(false);
  });

  it('prefix, with and without equals-ignore-case', () => {
    expect(matches({ time: [{ prefix: '2017-10-02' }] }, rulerEvent)).toBe(true);
    // "Suppose you want to process all AWS Auto Scaling events from European regions"
    const eu = { source: ['aws.autoscaling'], region: [{ prefix: 'eu-' }] };
    expect(matches(eu, { source: 'aws.autoscaling', region: 'eu-west-1' })).toBe(true);
    expect(matches(eu, { source: 'aws.autoscaling', region: 'us-east-1' })).toBe(false);
    const ci = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
    expect(matches(ci, { detail: { service: 'EVENTBRIDGE' } })).toBe(true);
    expect(matches(ci, { detail: { service: 'amazon eventbridge' } })).toBe(false);
    // Prefix matching works on strings only.
    expect(matches({ detail: { 'c-count': [{ prefix: '5' }] } }, rulerEvent)).toBe(false);
  });

  it('suffix, with and without equals-ignore-case', () => {
    expect(matches({ FileName: [{ suffix: '.png' }] }, { FileName: 'dir/image.png' })).toBe(true);
    expect(matches({ FileName: [{ suffix: '.png' }] }, { FileName: 'dir/image.PNG' })).toBe(false);
    expect(
      matches({ FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] }, { FileName: 'dir/image.PNG' }),
    ).toBe(true);
    expect(matches({ source: [{ suffix: 'ec2' }] }, rulerEvent)).toBe(true);
  });

  it('equals-ignore-case', () => {
    expect(matches({ Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'Alice' })).toBe(true);
    expect(matches({ Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'Alicia' })).toBe(false);
  });

  it('wildcard, with escapes; consecutive wildcards are invalid', () => {
    expect(
      matches({ source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleNotificationService' }),
    ).toBe(true);
    expect(matches({ source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleQueue' })).toBe(false);
    expect(matches({ f: [{ wildcard: 'dir/*.png' }] }, { f: 'dir/a/b.png' })).toBe(true);
    expect(matches({ f: [{ wildcard: 'a\\*b' }] }, { f: 'a*b' })).toBe(true);
    expect(matches({ f: [{ wildcard: 'a\\*b' }] }, { f: 'axb' })).toBe(false);
    expect(matches({ f: [{ wildcard: 'a\\\\b' }] }, { f: 'a\\b' })).toBe(true);
    expect(() => validatePattern({ f: [{ wildcard: 'a**b' }] })).toThrow(/consecutive wildcard/);
    expect(() => validatePattern({ f: [{ wildcard: 'a\\xb' }] })).toThrow(/invalid escape/);
  });

  it('anything-but: values, lists, prefix, suffix, ignore-case, wildcard (docs examples)', () => {
    const state = (s: unknown) => ({ detail: { state: s } });
    expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } }, state('running'))).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } }, state('initializing'))).toBe(
      false,
    );
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, rulerEvent)).toBe(true);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': 301.8 }] } }, rulerEvent)).toBe(false);
    const list = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
    expect(matches(list, state('running'))).toBe(true);
    expect(matches(list, state('stopped'))).toBe(false);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, rulerEvent)).toBe(true);
    expect(
      matches({ detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, state('initializing')),
    ).toBe(false);
    expect(matches({ detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, state('running'))).toBe(
      true,
    );
    expect(matches({ FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'a.txt' })).toBe(true);
    expect(matches({ FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'a.png' })).toBe(
      false,
    );
    const ci = {
      detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['initializing', 'stopped'] } }] },
    };
    expect(matches(ci, state('INITIALIZING'))).toBe(false);
    expect(matches(ci, state('running'))).toBe(true);
    const lib = { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] };
    expect(matches(lib, { FilePath: '/usr/lib/x.so' })).toBe(false);
    expect(matches(lib, { FilePath: '/usr/bin/x' })).toBe(true);
    // "you can distinguish AWS events and process only your own"
    const custom = { source: [{ 'anything-but': { prefix: 'aws.' } }] };
    expect(matches(custom, { source: 'com.example.app' })).toBe(true);
    expect(matches(custom, { source: 'aws.ec2' })).toBe(false);
    // The field must still be there.
    expect(matches({ detail: { state: [{ 'anything-but': 'x' }] } }, { detail: {} })).toBe(false);
    // A list holds all strings or all numbers.
    expect(() => validatePattern({ state: [{ 'anything-but': ['a', 1] }] })).toThrow(AwsError);
  });

  it('numeric ranges on JSON numbers only (docs example)', () => {
    const pattern = {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    };
    expect(matches(pattern, rulerEvent)).toBe(true);
    expect(matches(pattern, withDetail({ ...rulerEvent.detail, 'c-count': 6 }))).toBe(false);
    expect(matches(pattern, withDetail({ ...rulerEvent.detail, 'c-count': 0 }))).toBe(false);
    expect(matches(pattern, withDetail({ ...rulerEvent.detail, 'c-count': '5' }))).toBe(false);
    // Compared at six digits after the decimal point.
    expect(matches({ v: [{ numeric: ['=', 1.5] }] }, { v: 1.5000000001 })).toBe(true);
    expect(() => validatePattern({ v: [{ numeric: ['<', 5, '>', 1] }] })).toThrow(
      /lower bound then an upper bound/,
    );
    expect(() => validatePattern({ v: [{ numeric: ['>', 'x'] }] })).toThrow(AwsError);
    expect(() => validatePattern({ v: [{ numeric: ['>', 6e9] }] })).toThrow(/outside/);
  });

  it('cidr for IPv4 and IPv6', () => {
    expect(matches({ detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, rulerEvent)).toBe(true);
    expect(matches({ detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } }, rulerEvent)).toBe(false);
    expect(matches({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db8::1' })).toBe(true);
    expect(matches({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db9::1' })).toBe(false);
    expect(matches({ ip: [{ cidr: '::ffff:10.0.0.0/120' }] }, { ip: '::ffff:10.0.0.7' })).toBe(true);
    expect(matches({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: '2001:db8::1' })).toBe(false);
    expect(() => validatePattern({ ip: [{ cidr: '10.0.0.0/33' }] })).toThrow(AwsError);
  });

  it('exists works on leaf nodes only (docs examples)', () => {
    const absent = { detail: { 'c-count': [{ exists: false }] } };
    expect(matches(absent, { detail: { state: ['initializing', 'running'] } })).toBe(true);
    // "also matches the following event because c-count isn't a leaf node"
    expect(matches(absent, { detail: { state: ['initializing', 'running'], 'c-count': { c1: 100 } } })).toBe(
      true,
    );
    expect(matches(absent, rulerEvent)).toBe(false);
    const present = { detail: { state: [{ exists: true }] } };
    expect(matches(present, ec2Event)).toBe(true);
    expect(matches(present, { detail: { 'c-count': { c1: 100 } } })).toBe(false);
    // A missing intermediate object has no leaves beneath it.
    expect(matches(absent, { source: 'x' })).toBe(true);
  });

  it('$or at any level (event-ruler README examples)', () => {
    const or = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    };
    expect(matches(or, { source: 'aws.cloudwatch', metricName: 'ReadLatency' })).toBe(true);
    expect(matches(or, { source: 'aws.cloudwatch', namespace: 'AWS/ES' })).toBe(true);
    expect(matches(or, { source: 'aws.cloudwatch', namespace: 'AWS/S3' })).toBe(false);
    expect(matches(or, { source: 'aws.ec2', metricName: 'ReadLatency' })).toBe(false);
    const nested = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization'] },
        {
          metricType: ['MetricType'],
          namespace: ['AWS/EC2'],
          $or: [{ metricId: [1234] }, { spaceId: [1000] }],
        },
      ],
    };
    expect(
      matches(nested, {
        source: 'aws.cloudwatch',
        metricType: 'MetricType',
        namespace: 'AWS/EC2',
        spaceId: 1000,
      }),
    ).toBe(true);
    expect(
      matches(nested, {
        source: 'aws.cloudwatch',
        metricType: 'MetricType',
        namespace: 'AWS/EC2',
        spaceId: 1,
      }),
    ).toBe(false);
  });

  it('combines operators (docs: "Complex example with multiple matching")', () => {
    const pattern = {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
        'source-ip': [{ cidr: '10.0.0.0/8' }],
      },
    };
    expect(matches(pattern, rulerEvent)).toBe(true);
    expect(matches(pattern, { ...rulerEvent, time: '2017-10-03T00:00:00Z' })).toBe(false);
  });

  it('rejects invalid patterns with InvalidEventPatternException', () => {
    for (const bad of [
      [],
      {},
      { source: 'aws.ec2' },
      { source: [] },
      { source: [{ bogus: 1 }] },
      { source: [{ prefix: 'a', suffix: 'b' }] },
      { detail: { state: [{ exists: 'yes' }] } },
      { detail: {} },
    ]) {
      expect(() => validatePattern(bad)).toThrow(
        expect.objectContaining({ name: 'InvalidEventPatternException' }),
      );
    }
  });
});

// ------------------------------------------------------------------------------------------ delivery

describe('EventBridgeSim', () => {
  it('builds a full event and delivers it asynchronously, after a seeded latency', async () => {
    const { clock, events } = twin();
    const got: BusEvent[] = [];
    events.putRule({ name: 'launch', pattern: launchRule, target: (e) => void got.push(e) });
    emitLaunch(events);

    expect(events.emitted).toHaveLength(1);
    const event = events.emitted[0] as BusEvent;
    expect(event).toMatchObject({
      version: '0',
      source: 'aws.autoscaling',
      'detail-type': LAUNCH,
      account: ACCOUNT,
      region: REGION,
      time: '2026-01-05T09:00:00Z',
      detail: { EC2InstanceId: 'i-0123456789abcdef0' },
    });
    expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(got).toHaveLength(0); // never inside emit()

    await clock.runFor(2_000);
    expect(got).toEqual([event]);
    expect(events.deliveries).toEqual([
      expect.objectContaining({
        eventId: event.id,
        rule: 'launch',
        attempt: 1,
        copy: 1,
        outcome: 'succeeded',
      }),
    ]);
    const delivered = events.deliveries[0];
    expect(delivered?.at).toBeGreaterThanOrEqual(clock.startAt);
    expect(delivered?.at).toBeLessThanOrEqual(clock.startAt + 2_000);
  });

  it('delivers only to enabled rules whose pattern matches', async () => {
    const { clock, events } = twin();
    const launch = jest.fn();
    const terminate = jest.fn();
    events.putRule({ name: 'launch', pattern: launchRule, target: launch });
    events.putRule({
      name: 'terminate',
      pattern: { 'detail-type': ['EC2 Instance-terminate Lifecycle Action'] },
      target: terminate,
    });
    emitLaunch(events);
    await clock.runFor(5_000);
    expect(launch).toHaveBeenCalledTimes(1);
    expect(terminate).not.toHaveBeenCalled();
  });

  it('targets get a copy: nothing they do changes the recorded event', async () => {
    const { clock, events } = twin();
    events.putRule({
      name: 'launch',
      pattern: launchRule,
      target: (e) => {
        (e.detail as Record<string, unknown>).EC2InstanceId = 'tampered';
      },
    });
    emitLaunch(events);
    await clock.runFor(5_000);
    expect(events.emitted[0]?.detail.EC2InstanceId).toBe('i-0123456789abcdef0');
  });

  describe('event faults', () => {
    it('lose: the event is recorded but never delivered', async () => {
      const { clock, events, faults, timeline } = twin();
      const target = jest.fn();
      events.putRule({ name: 'launch', pattern: launchRule, target });
      faults.event({ region: REGION, detailType: LAUNCH, mode: 'lose' });
      emitLaunch(events);
      await clock.runFor(10 * MINUTE);
      expect(target).not.toHaveBeenCalled();
      expect(events.emitted).toHaveLength(1);
      expect(events.deliveries).toEqual([
        expect.objectContaining({ rule: 'launch', attempt: 0, outcome: 'lost' }),
      ]);
      expect(timeline.find('events', 'lost (injected fault)')).toHaveLength(1);

      emitLaunch(events, 'i-0123456789abcdef1'); // the fault was for one event only
      await clock.runFor(5_000);
      expect(target).toHaveBeenCalledTimes(1);
    });

    it('duplicate: the same event (same id) is delivered twice', async () => {
      const { clock, events, faults } = twin();
      const got: BusEvent[] = [];
      events.putRule({ name: 'launch', pattern: launchRule, target: (e) => void got.push(e) });
      faults.event({ detailType: LAUNCH, mode: 'duplicate' });
      emitLaunch(events);
      await clock.runFor(5_000);
      expect(got).toHaveLength(2);
      expect(got[0]?.id).toBe(got[1]?.id);
      expect(events.deliveries.map((d) => d.copy).sort()).toEqual([1, 2]);
    });

    it('delay: delivered only after the injected delay', async () => {
      const { clock, events, faults } = twin();
      const target = jest.fn();
      events.putRule({ name: 'launch', pattern: launchRule, target });
      faults.event({ detailType: LAUNCH, mode: 'delay', delayMs: 5 * MINUTE });
      emitLaunch(events);
      await clock.runFor(5 * MINUTE - 1);
      expect(target).not.toHaveBeenCalled();
      await clock.runFor(2_001);
      expect(target).toHaveBeenCalledTimes(1);
    });

    it('only an event some rule delivers consumes a fault', async () => {
      const { clock, events, faults } = twin();
      const target = jest.fn();
      events.putRule({ name: 'launch', pattern: launchRule, target });
      faults.event({ mode: 'lose' });
      events.emit({ source: 'aws.autoscaling', detailType: 'EC2 Instance Launch Successful', detail: {} });
      emitLaunch(events);
      await clock.runFor(5_000);
      expect(target).not.toHaveBeenCalled();
    });
  });

  describe('target retries', () => {
    it('retries a failing target with growing, jittered back-off until it succeeds', async () => {
      const { clock, events, timeline } = twin();
      let calls = 0;
      events.putRule({
        name: 'launch',
        pattern: launchRule,
        target: () => {
          calls++;
          if (calls <= 4) throw new Error('Rate exceeded');
        },
      });
      emitLaunch(events);
      await clock.runFor(10 * MINUTE);
      expect(events.deliveries.map((d) => [d.attempt, d.outcome])).toEqual([
        [1, 'failed'],
        [2, 'failed'],
        [3, 'failed'],
        [4, 'failed'],
        [5, 'succeeded'],
      ]);
      const at = events.deliveries.map((d) => d.at);
      // Full jitter over 1 s x 2^n: the n-th pause is at most 2^(n-1) s.
      for (let n = 1; n < at.length; n++) {
        const pause = (at[n] ?? 0) - (at[n - 1] ?? 0);
        expect(pause).toBeGreaterThanOrEqual(0);
        expect(pause).toBeLessThanOrEqual(1_000 * 2 ** (n - 1));
      }
      expect(timeline.find('events', /target of rule launch failed .*Rate exceeded/)).toHaveLength(4);
    });

    it('drops the event once the retry policy is exhausted', async () => {
      const { clock, events, timeline } = twin();
      events.putRule({
        name: 'launch',
        pattern: launchRule,
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeSeconds: 3_600 },
        target: async () => {
          throw new Error('boom');
        },
      });
      emitLaunch(events);
      await clock.runFor(HOUR);
      expect(events.deliveries.map((d) => d.outcome)).toEqual([
        'failed',
        'failed',
        'failed',
        'failed',
        'dropped',
      ]);
      expect(timeline.find('events', 'dropped for rule launch: 3 retries exhausted')).toHaveLength(1);
    });

    it('by default gives up after 185 retries or 24 hours, whichever comes first', async () => {
      const { clock, events } = twin();
      const target = jest.fn(() => {
        throw new Error('down');
      });
      events.putRule({ name: 'launch', pattern: launchRule, target });
      emitLaunch(events);
      await clock.runFor(25 * HOUR);
      const attempts = events.deliveries.filter((d) => d.outcome === 'failed');
      const dropped = events.deliveries.filter((d) => d.outcome === 'dropped');
      expect(dropped).toHaveLength(1);
      expect(target.mock.calls.length).toBe(attempts.length);
      expect(attempts.length).toBeLessThanOrEqual(186);
      expect(attempts.length).toBeGreaterThan(20);
      expect((attempts.at(-1)?.at ?? 0) - clock.startAt).toBeLessThanOrEqual(24 * HOUR + 2_000);
      const before = target.mock.calls.length;
      await clock.runFor(24 * HOUR);
      expect(target.mock.calls.length).toBe(before); // nothing more after dropping
    });

    it('treats the region being down as a failed delivery and retries after it recovers', async () => {
      const { clock, events, faults } = twin();
      const target = jest.fn();
      events.putRule({ name: 'launch', pattern: launchRule, target });
      faults.regionDown(REGION);
      emitLaunch(events);
      await clock.runFor(MINUTE);
      expect(target).not.toHaveBeenCalled();
      faults.regionUp(REGION);
      await clock.runFor(20 * MINUTE);
      expect(target).toHaveBeenCalledTimes(1);
      expect(events.deliveries.at(-1)?.outcome).toBe('succeeded');
    });
  });

  describe('schedules', () => {
    it('delivers an AWS-shaped Scheduled Event every period, starting one period after creation', async () => {
      const { clock, events } = twin();
      const got: BusEvent[] = [];
      events.putSchedule({ name: 'reconcile', everyMs: 5 * MINUTE, target: (e) => void got.push(e) });
      await clock.runFor(16 * MINUTE);
      expect(events.emitted.map((e) => e.time)).toEqual([
        '2026-01-05T09:05:00Z',
        '2026-01-05T09:10:00Z',
        '2026-01-05T09:15:00Z',
      ]);
      expect(got).toHaveLength(3);
      const ruleArn = `arn:aws:events:${REGION}:${ACCOUNT}:rule/reconcile`;
      for (const e of got) {
        expect(e).toMatchObject({
          source: 'aws.events',
          'detail-type': 'Scheduled Event',
          detail: {},
          resources: [ruleArn],
        });
        expect(() => ScheduledEventSchema.parse(e)).not.toThrow();
      }
      expect(await events.api.DescribeRule?.({ Name: 'reconcile' })).toMatchObject({
        Arn: ruleArn,
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
      });
    });

    it('runs cron schedules in UTC', async () => {
      const { clock, events } = twin();
      const target = jest.fn();
      events.putSchedule({ name: 'quarterly', scheduleExpression: 'cron(0/15 * * * ? *)', target });
      await clock.runFor(46 * MINUTE);
      expect(events.emitted.map((e) => e.time)).toEqual([
        '2026-01-05T09:15:00Z',
        '2026-01-05T09:30:00Z',
        '2026-01-05T09:45:00Z',
      ]);
      expect(target).toHaveBeenCalledTimes(3);
    });

    it('a replaced schedule stops firing; a disabled one does not fire', async () => {
      const { clock, events } = twin();
      const first = jest.fn();
      const second = jest.fn();
      events.putSchedule({ name: 'tick', everyMs: MINUTE, target: first });
      events.putSchedule({ name: 'tick', everyMs: 2 * MINUTE, target: second });
      await clock.runFor(4 * MINUTE + 5_000);
      expect(first).not.toHaveBeenCalled();
      expect(second).toHaveBeenCalledTimes(2);
      await events.api.DisableRule?.({ Name: 'tick' });
      await clock.runFor(10 * MINUTE);
      expect(second).toHaveBeenCalledTimes(2);
    });

    it('parses rate() and cron() as documented', () => {
      expect(parseScheduleExpression('rate(1 minute)')).toEqual({ kind: 'rate', everyMs: MINUTE });
      expect(parseScheduleExpression('rate(5 minutes)')).toEqual({ kind: 'rate', everyMs: 5 * MINUTE });
      expect(parseScheduleExpression('rate(1 day)')).toEqual({ kind: 'rate', everyMs: 24 * HOUR });
      // "rate(1 hours) and rate(5 hour) aren't valid"
      for (const bad of [
        'rate(1 hours)',
        'rate(5 hour)',
        'rate(0 minutes)',
        'rate(5 seconds)',
        'cron(0 10 * * * *)',
        'cron(0 10 * *)',
        'every 5m',
      ]) {
        expect(() => parseScheduleExpression(bad)).toThrow(
          expect.objectContaining({ name: 'ValidationException' }),
        );
      }
      expect(rateExpressionFor(5 * MINUTE)).toBe('rate(5 minutes)');
      expect(rateExpressionFor(HOUR)).toBe('rate(1 hour)');
      expect(rateExpressionFor(2 * 24 * HOUR)).toBe('rate(2 days)');
      expect(() => rateExpressionFor(30_000)).toThrow(/whole minutes/);
    });

    it('computes the next cron time for the documented examples', () => {
      const next = (expr: string, from: string) => {
        const s = parseScheduleExpression(`cron(${expr})`);
        if (s.kind !== 'cron') throw new Error('not cron');
        const t = nextCronTime(s, Date.parse(from));
        return t === undefined ? undefined : new Date(t).toISOString();
      };
      const monday = '2026-01-05T09:00:00.000Z'; // a Monday
      expect(next('0 10 * * ? *', monday)).toBe('2026-01-05T10:00:00.000Z'); // 10:00 every day
      expect(next('15 12 * * ? *', monday)).toBe('2026-01-05T12:15:00.000Z');
      expect(next('0 18 ? * MON-FRI *', '2026-01-09T19:00:00.000Z')).toBe('2026-01-12T18:00:00.000Z'); // Fri evening -> Mon
      expect(next('0 8 1 * ? *', monday)).toBe('2026-02-01T08:00:00.000Z'); // 8:00 on the 1st
      expect(next('0/10 * ? * MON-FRI *', monday)).toBe('2026-01-05T09:10:00.000Z');
      expect(next('0 9 L * ? *', monday)).toBe('2026-01-31T09:00:00.000Z'); // last day of the month
      expect(next('0 9 ? * 3#2 *', monday)).toBe('2026-01-13T09:00:00.000Z'); // second Tuesday
      expect(next('0 9 ? * 6L *', monday)).toBe('2026-01-30T09:00:00.000Z'); // last Friday
      expect(next('0 9 3W * ? *', '2026-01-01T00:00:00.000Z')).toBe('2026-01-02T09:00:00.000Z'); // Sat 3rd -> Fri 2nd
      expect(next('0 0 1 1 ? 2027', monday)).toBe('2027-01-01T00:00:00.000Z');
      expect(next('0 0 1 1 ? 2025', monday)).toBeUndefined();
    });
  });

  describe('API', () => {
    it('PutEvents accepts custom events and delivers them', async () => {
      const { clock, events } = twin();
      const got: BusEvent[] = [];
      events.putRule({
        name: 'custom',
        pattern: { source: ['com.example.hactl'] },
        target: (e) => void got.push(e),
      });
      const out = (await events.api.PutEvents?.({
        Entries: [
          {
            Source: 'com.example.hactl',
            DetailType: 'Drill Requested',
            Detail: '{"region":"eu-west-1"}',
            Resources: ['r1'],
          },
        ],
      })) as { FailedEntryCount: number; Entries: { EventId?: string }[] };
      expect(out.FailedEntryCount).toBe(0);
      expect(out.Entries[0]?.EventId).toBe(events.emitted[0]?.id);
      await clock.runFor(5_000);
      expect(got[0]).toMatchObject({
        source: 'com.example.hactl',
        'detail-type': 'Drill Requested',
        detail: { region: 'eu-west-1' },
        resources: ['r1'],
      });
    });

    it('PutEvents fails entries the way AWS does, in request order', async () => {
      const { events } = twin();
      const out = (await events.api.PutEvents?.({
        Entries: [
          { Source: 'aws.autoscaling', DetailType: LAUNCH, Detail: '{}' },
          { Source: 'com.example', DetailType: 'x' },
          { Source: 'com.example', DetailType: 'x', Detail: '{not json' },
          { Source: 'com.example', DetailType: 'x', Detail: '[1,2]' },
          { Source: 'com.example', DetailType: 'x', Detail: '{}', EventBusName: 'default' },
        ],
      })) as { FailedEntryCount: number; Entries: { EventId?: string; ErrorCode?: string }[] };
      expect(out.FailedEntryCount).toBe(4);
      expect(out.Entries.map((e) => e.ErrorCode ?? 'ok')).toEqual([
        'NotAuthorizedForSourceException',
        'InvalidArgument',
        'MalformedDetail',
        'MalformedDetail',
        'ok',
      ]);
      expect(events.emitted).toHaveLength(1);
    });

    it('PutEvents rejects more than 10 entries and more than 256 KB', async () => {
      const { events } = twin();
      const entry = { Source: 'com.example', DetailType: 'x', Detail: '{}' };
      await expectAwsError(
        () => events.api.PutEvents?.({ Entries: Array(11).fill(entry) }),
        'ValidationException',
      );
      await expectAwsError(() => events.api.PutEvents?.({ Entries: [] }), 'ValidationException');
      const big = { ...entry, Detail: JSON.stringify({ blob: 'x'.repeat(256 * 1024) }) };
      await expectAwsError(() => events.api.PutEvents?.({ Entries: [big] }), 'ValidationException');
      expect(() => events.api.PutEvents?.({ Entries: [{ ...entry, EventBusName: 'custom-bus' }] })).toThrow(
        /only the default event bus/,
      );
    });

    it('DescribeRule, ListRules, EnableRule, DisableRule', async () => {
      const { clock, events } = twin();
      const target = jest.fn();
      events.putRule({ name: 'launch', pattern: launchRule, target, description: 'lifecycle' });
      for (const n of ['b-rule', 'a-rule', 'c-rule'])
        events.putRule({ name: n, pattern: { source: [n] }, target: jest.fn() });

      expect(await events.api.DescribeRule?.({ Name: 'launch' })).toEqual({
        Name: 'launch',
        Arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/launch`,
        EventPattern: JSON.stringify(launchRule),
        State: 'ENABLED',
        Description: 'lifecycle',
        EventBusName: 'default',
        CreatedBy: ACCOUNT,
      });
      await expectAwsError(() => events.api.DescribeRule?.({ Name: 'nope' }), 'ResourceNotFoundException');
      await expectAwsError(() => events.api.DisableRule?.({ Name: 'nope' }), 'ResourceNotFoundException');

      const page1 = (await events.api.ListRules?.({ Limit: 2 })) as {
        Rules: { Name: string }[];
        NextToken?: string;
      };
      expect(page1.Rules.map((r) => r.Name)).toEqual(['a-rule', 'b-rule']);
      const page2 = (await events.api.ListRules?.({ Limit: 2, NextToken: page1.NextToken })) as {
        Rules: { Name: string }[];
        NextToken?: string;
      };
      expect(page2.Rules.map((r) => r.Name)).toEqual(['c-rule', 'launch']);
      expect(page2.NextToken).toBeUndefined();
      const prefixed = (await events.api.ListRules?.({ NamePrefix: 'la' })) as { Rules: { Name: string }[] };
      expect(prefixed.Rules.map((r) => r.Name)).toEqual(['launch']);

      await events.api.DisableRule?.({ Name: 'launch' });
      expect(await events.api.DescribeRule?.({ Name: 'launch' })).toMatchObject({ State: 'DISABLED' });
      emitLaunch(events);
      await clock.runFor(5_000);
      expect(target).not.toHaveBeenCalled();

      await events.api.EnableRule?.({ Name: 'launch' });
      emitLaunch(events);
      await clock.runFor(5_000);
      expect(target).toHaveBeenCalledTimes(1);
    });

    it('TestEventPattern', async () => {
      const { events } = twin();
      const event = JSON.stringify(loadEventFixture('autoscaling-launch-lifecycle-action.json'));
      expect(
        await events.api.TestEventPattern?.({ EventPattern: JSON.stringify(launchRule), Event: event }),
      ).toEqual({ Result: true });
      expect(
        await events.api.TestEventPattern?.({ EventPattern: '{"source":["aws.ec2"]}', Event: event }),
      ).toEqual({ Result: false });
      await expectAwsError(
        () => events.api.TestEventPattern?.({ EventPattern: '{"source":"x"}', Event: event }),
        'InvalidEventPatternException',
      );
    });

    it('putRule rejects invalid patterns, names and retry policies', () => {
      const { events } = twin();
      expect(() => events.putRule({ name: 'r', pattern: { source: 'aws.ec2' }, target: jest.fn() })).toThrow(
        expect.objectContaining({ name: 'InvalidEventPatternException' }),
      );
      expect(() => events.putRule({ name: 'bad name', pattern: launchRule, target: jest.fn() })).toThrow(
        expect.objectContaining({ name: 'ValidationException' }),
      );
      expect(() =>
        events.putRule({
          name: 'r',
          pattern: launchRule,
          target: jest.fn(),
          retryPolicy: { maximumRetryAttempts: 186, maximumEventAgeSeconds: 60 },
        }),
      ).toThrow(/0 and 185/);
    });
  });

  it('is deterministic: the same seed gives the same ids and timings, another seed others', async () => {
    const script = async (seed: number) => {
      const { clock, events, faults } = twin(seed);
      let fail = 2;
      events.putRule({
        name: 'launch',
        pattern: launchRule,
        target: () => {
          if (fail-- > 0) throw new Error('flaky');
        },
      });
      events.putSchedule({ name: 'tick', everyMs: MINUTE, target: jest.fn() });
      faults.event({ detailType: LAUNCH, mode: 'duplicate' });
      emitLaunch(events, 'i-0000000000000000a');
      emitLaunch(events, 'i-0000000000000000b');
      await clock.runFor(3 * MINUTE);
      const trace = {
        ids: events.emitted.map((e) => e.id),
        deliveries: events.deliveries.map(
          (d) => `${d.at}:${d.eventId}:${d.rule}:${d.attempt}:${d.copy}:${d.outcome}`,
        ),
      };
      clock.uninstall();
      return trace;
    };
    const a = await script(42);
    const b = await script(42);
    const c = await script(43);
    expect(b).toEqual(a);
    expect(c.ids).not.toEqual(a.ids);
    expect(a.deliveries.length).toBeGreaterThan(5);
  });
});

// ------------------------------------------------------------------------------------------ SNS

describe('SnsSim', () => {
  it('creates topics idempotently and lists them, 100 per page', async () => {
    const { sns } = twin();
    const arn = sns.createTopic('artifactory-ha-notifications');
    expect(arn).toBe(`arn:aws:sns:${REGION}:${ACCOUNT}:artifactory-ha-notifications`);
    expect(sns.createTopic('artifactory-ha-notifications')).toBe(arn);
    expect(await sns.api.CreateTopic?.({ Name: 'artifactory-ha-notifications' })).toEqual({ TopicArn: arn });
    expect(() => sns.createTopic('has space')).toThrow(
      expect.objectContaining({ name: 'InvalidParameterException' }),
    );
    for (let i = 0; i < 100; i++) sns.createTopic(`t-${String(i).padStart(3, '0')}`);
    const page1 = (await sns.api.ListTopics?.({})) as { Topics: { TopicArn: string }[]; NextToken?: string };
    expect(page1.Topics).toHaveLength(100);
    const page2 = (await sns.api.ListTopics?.({ NextToken: page1.NextToken })) as {
      Topics: { TopicArn: string }[];
      NextToken?: string;
    };
    expect(page2.Topics).toHaveLength(1);
    expect(page2.NextToken).toBeUndefined();
  });

  it('captures published messages; the timeline shows the subject, not the body', async () => {
    const { clock, sns, timeline } = twin();
    const arn = sns.createTopic('ops');
    await clock.runFor(1_000);
    const out = (await sns.api.Publish?.({
      TopicArn: arn,
      Subject: 'primary re-elected in eu-west-1',
      Message: 'body with details',
      MessageAttributes: { cluster: { DataType: 'String', StringValue: 'art' } },
    })) as { MessageId: string };
    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sns.messages).toEqual([
      {
        at: clock.startAt + 1_000,
        messageId: out.MessageId,
        topicArn: arn,
        subject: 'primary re-elected in eu-west-1',
        message: 'body with details',
        attributes: { cluster: { DataType: 'String', StringValue: 'art' } },
      },
    ]);
    const [entry] = timeline.find('sns', 'published to ops');
    expect(entry?.message).toContain('primary re-elected in eu-west-1');
    expect(entry?.message).not.toContain('body with details');
  });

  it('fails Publish with the errors SNS returns', async () => {
    const { sns } = twin();
    const arn = sns.createTopic('ops');
    const publish = (input: Record<string, unknown>) =>
      sns.api.Publish?.({ TopicArn: arn, Message: 'm', ...input });
    await expectAwsError(
      () => publish({ TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:missing` }),
      'NotFoundException',
    );
    await expectAwsError(
      () => publish({ TopicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:ops` }),
      'InvalidParameterException',
    );
    await expectAwsError(() => publish({ TopicArn: 'not-an-arn' }), 'InvalidParameterException');
    await expectAwsError(() => publish({ TopicArn: undefined }), 'InvalidParameterException');
    await expectAwsError(() => publish({ Message: '' }), 'InvalidParameterException');
    await expectAwsError(() => publish({ Subject: 'two\nlines' }), 'InvalidParameterException');
    await expectAwsError(() => publish({ Subject: 's'.repeat(100) }), 'InvalidParameterException');
    await expectAwsError(
      () => publish({ MessageStructure: 'json', Message: '{"email":"x"}' }),
      'InvalidParameterException',
    );
    await expectAwsError(
      () => publish({ MessageAttributes: { n: { DataType: 'Number', StringValue: 'abc' } } }),
      'InvalidParameterValueException',
    );
    expect(sns.messages).toHaveLength(0);
  });

  it('limits a message to 262,144 bytes, body and attributes together', async () => {
    const { sns } = twin();
    const arn = sns.createTopic('ops');
    const publish = (Message: string, MessageAttributes?: Record<string, unknown>) =>
      sns.api.Publish?.({ TopicArn: arn, Message, ...(MessageAttributes ? { MessageAttributes } : {}) });
    expect(await publish('x'.repeat(262_144))).toHaveProperty('MessageId');
    await expectAwsError(() => publish('x'.repeat(262_145)), 'InvalidParameterException');
    // Bytes, not characters: 'é' is two bytes in UTF-8.
    await expectAwsError(() => publish('é'.repeat(131_073)), 'InvalidParameterException');
    await expectAwsError(
      () => publish('x'.repeat(262_100), { key: { DataType: 'String', StringValue: 'y'.repeat(50) } }),
      'InvalidParameterException',
    );
    expect(sns.messages).toHaveLength(1);
  });
});
