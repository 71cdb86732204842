import type { z } from 'zod/mini';
import { CommandInvocationStatusChangeEventSchema } from '../../../functions/shared/command-events';
import { ValidationError } from '../../../functions/shared/errors';
import {
  AlarmStateChangeEventSchema,
  CompositeAlarmStateChangeEventSchema,
  ControlPlaneEventSchema,
  goesToWarmPool,
  isCompositeAlarm,
  LaunchLifecycleActionEventSchema,
  MetricAlarmStateChangeEventSchema,
  ScheduledEventSchema,
  TerminateLifecycleActionEventSchema,
} from '../../../functions/shared/events';
import { formatPath, parseOrThrow } from '../../../functions/shared/validation';
import { DELETE, eventFixtureNames, loadEventFixture, mutate } from './fixtures';

const LAUNCH = 'autoscaling-launch-lifecycle-action.json';
const TERMINATE = 'autoscaling-terminate-lifecycle-action.json';
const WARM_LAUNCH = 'autoscaling-warm-pool-launch-lifecycle-action.json';
const WARM_TERMINATE = 'autoscaling-warm-pool-terminate-lifecycle-action.json';
const METRIC_ALARM = 'cloudwatch-metric-alarm-state-change.json';
const METRIC_MATH_ALARM = 'cloudwatch-metric-math-alarm-state-change.json';
const COMPOSITE_ALARM = 'cloudwatch-composite-alarm-state-change.json';
const SCHEDULED = 'eventbridge-scheduled-event.json';
const COMMAND_STATUS = 'ssm-command-invocation-status-change.json';

const fixtureSchemas: [string, z.core.$ZodType<unknown>][] = [
  [LAUNCH, LaunchLifecycleActionEventSchema],
  [TERMINATE, TerminateLifecycleActionEventSchema],
  [WARM_LAUNCH, LaunchLifecycleActionEventSchema],
  [WARM_TERMINATE, TerminateLifecycleActionEventSchema],
  [METRIC_ALARM, MetricAlarmStateChangeEventSchema],
  [METRIC_MATH_ALARM, MetricAlarmStateChangeEventSchema],
  [COMPOSITE_ALARM, CompositeAlarmStateChangeEventSchema],
  [SCHEDULED, ScheduledEventSchema],
  [COMMAND_STATUS, CommandInvocationStatusChangeEventSchema],
];

/** Parse and return the ValidationError the parse must throw. */
function validationErrorOf(schema: z.core.$ZodType<unknown>, input: unknown): ValidationError {
  try {
    parseOrThrow(schema, input, 'event');
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error('expected a ValidationError, but the input parsed');
}

describe('AWS-documented sample events', () => {
  it('has a schema for every fixture file', () => {
    expect(fixtureSchemas.map(([name]) => name).sort()).toEqual(eventFixtureNames());
  });

  it.each(fixtureSchemas)('%s parses with its own schema', (name, schema) => {
    const event = loadEventFixture(name);
    expect(parseOrThrow(schema, event)).toEqual(event);
  });

  it.each(fixtureSchemas)('%s parses into the union of all consumed events', (name) => {
    const event = loadEventFixture(name);
    const parsed = parseOrThrow(ControlPlaneEventSchema, event);
    expect(parsed['detail-type']).toBe(event['detail-type']);
    expect(parsed).toEqual(event);
  });

  it.each([METRIC_ALARM, METRIC_MATH_ALARM, COMPOSITE_ALARM])(
    '%s parses as an alarm state change',
    (name) => {
      expect(() => parseOrThrow(AlarmStateChangeEventSchema, loadEventFixture(name))).not.toThrow();
    },
  );

  it('tells composite alarms from metric alarms', () => {
    const composite = parseOrThrow(AlarmStateChangeEventSchema, loadEventFixture(COMPOSITE_ALARM));
    const metric = parseOrThrow(AlarmStateChangeEventSchema, loadEventFixture(METRIC_ALARM));
    expect(isCompositeAlarm(composite.detail)).toBe(true);
    expect(isCompositeAlarm(metric.detail)).toBe(false);
    if (isCompositeAlarm(composite.detail)) {
      expect(composite.detail.configuration.actionsSuppressor).toBe('ServiceMaintenanceAlarm');
      expect(composite.detail.state.actionsSuppressedBy).toBe('WaitPeriod');
    }
  });

  it('keeps the metric and composite shapes apart', () => {
    expect(() => parseOrThrow(MetricAlarmStateChangeEventSchema, loadEventFixture(COMPOSITE_ALARM))).toThrow(
      /detail\.configuration\.metrics: Required/,
    );
    expect(() => parseOrThrow(CompositeAlarmStateChangeEventSchema, loadEventFixture(METRIC_ALARM))).toThrow(
      /detail\.configuration\.alarmRule: Required/,
    );
  });

  it('exposes warm-pool Origin/Destination', () => {
    const toService = parseOrThrow(LaunchLifecycleActionEventSchema, loadEventFixture(WARM_LAUNCH));
    const toPool = parseOrThrow(TerminateLifecycleActionEventSchema, loadEventFixture(WARM_TERMINATE));
    const plain = parseOrThrow(LaunchLifecycleActionEventSchema, loadEventFixture(LAUNCH));
    expect(toService.detail.Origin).toBe('WarmPool');
    expect(goesToWarmPool(toService.detail)).toBe(false);
    expect(goesToWarmPool(toPool.detail)).toBe(true);
    expect(plain.detail.Origin).toBeUndefined();
    expect(goesToWarmPool(plain.detail)).toBe(false);
  });

  it('accepts fields AWS may add, and keeps them', () => {
    let event = mutate(loadEventFixture(LAUNCH), ['detail', 'SomeFutureField'], 'x');
    event = mutate(event, ['replay-name'], 'replay-1');
    const parsed = parseOrThrow(ControlPlaneEventSchema, event);
    expect(parsed).toMatchObject({ 'replay-name': 'replay-1', detail: { SomeFutureField: 'x' } });
  });
});

describe('malformed events', () => {
  const cases: [string, string, z.core.$ZodType<unknown>, string[], unknown, string][] = [
    [
      'missing LifecycleActionToken',
      LAUNCH,
      LaunchLifecycleActionEventSchema,
      ['detail', 'LifecycleActionToken'],
      DELETE,
      'detail.LifecycleActionToken',
    ],
    [
      'bad instance id',
      LAUNCH,
      LaunchLifecycleActionEventSchema,
      ['detail', 'EC2InstanceId'],
      'i-NOTHEX',
      'detail.EC2InstanceId',
    ],
    [
      'empty group name',
      LAUNCH,
      LaunchLifecycleActionEventSchema,
      ['detail', 'AutoScalingGroupName'],
      '',
      'detail.AutoScalingGroupName',
    ],
    [
      'transition of the other hook',
      LAUNCH,
      LaunchLifecycleActionEventSchema,
      ['detail', 'LifecycleTransition'],
      'autoscaling:EC2_INSTANCE_TERMINATING',
      'detail.LifecycleTransition',
    ],
    [
      'wrong detail-type',
      LAUNCH,
      LaunchLifecycleActionEventSchema,
      ['detail-type'],
      'EC2 Instance-terminate Lifecycle Action',
      'detail-type',
    ],
    [
      'the docs placeholder for time',
      LAUNCH,
      LaunchLifecycleActionEventSchema,
      ['time'],
      'yyyy-mm-ddThh:mm:ssZ',
      'time',
    ],
    ['bad account', LAUNCH, LaunchLifecycleActionEventSchema, ['account'], '1234', 'account'],
    [
      'unknown warm-pool origin',
      WARM_LAUNCH,
      LaunchLifecycleActionEventSchema,
      ['detail', 'Origin'],
      'Elsewhere',
      'detail.Origin',
    ],
    [
      'missing LifecycleHookName',
      TERMINATE,
      TerminateLifecycleActionEventSchema,
      ['detail', 'LifecycleHookName'],
      DELETE,
      'detail.LifecycleHookName',
    ],
    ['wrong source', TERMINATE, TerminateLifecycleActionEventSchema, ['source'], 'aws.ec2', 'source'],
    [
      'empty resource',
      TERMINATE,
      TerminateLifecycleActionEventSchema,
      ['resources', '0'],
      '',
      'resources[0]',
    ],
    [
      'bad state value',
      METRIC_ALARM,
      MetricAlarmStateChangeEventSchema,
      ['detail', 'state', 'value'],
      'ON_FIRE',
      'detail.state.value',
    ],
    [
      'no metrics',
      METRIC_ALARM,
      MetricAlarmStateChangeEventSchema,
      ['detail', 'configuration', 'metrics'],
      [],
      'detail.configuration.metrics',
    ],
    [
      'bad state value (either alarm kind)',
      METRIC_ALARM,
      AlarmStateChangeEventSchema,
      ['detail', 'state', 'value'],
      'ON_FIRE',
      'detail.state.value',
    ],
    [
      'missing previousState',
      COMPOSITE_ALARM,
      CompositeAlarmStateChangeEventSchema,
      ['detail', 'previousState'],
      DELETE,
      'detail.previousState',
    ],
    [
      'bad previous state (either alarm kind)',
      COMPOSITE_ALARM,
      AlarmStateChangeEventSchema,
      ['detail', 'previousState', 'value'],
      'ok',
      'detail.previousState.value',
    ],
    [
      'empty alarm rule',
      COMPOSITE_ALARM,
      CompositeAlarmStateChangeEventSchema,
      ['detail', 'configuration', 'alarmRule'],
      '',
      'detail.configuration.alarmRule',
    ],
    ['wrong detail-type', SCHEDULED, ScheduledEventSchema, ['detail-type'], 'Scheduled', 'detail-type'],
    ['detail not an object', SCHEDULED, ScheduledEventSchema, ['detail'], null, 'detail'],
    [
      'unknown detail-type (union)',
      SCHEDULED,
      ControlPlaneEventSchema,
      ['detail-type'],
      'EC2 Spot Instance Interruption Warning',
      'detail-type',
    ],
    [
      'missing LifecycleActionToken (union)',
      LAUNCH,
      ControlPlaneEventSchema,
      ['detail', 'LifecycleActionToken'],
      DELETE,
      'detail.LifecycleActionToken',
    ],
    [
      'bad state value (union)',
      COMPOSITE_ALARM,
      ControlPlaneEventSchema,
      ['detail', 'state', 'value'],
      'ON_FIRE',
      'detail.state.value',
    ],
  ];

  it.each(cases)(
    '%s in %s is a ValidationError naming the field',
    (_label, fixture, schema, fieldPath, value, issuePath) => {
      const err = validationErrorOf(schema, mutate(loadEventFixture(fixture), fieldPath, value));
      expect(err.name).toBe('ValidationError');
      expect(err.issues.map((i) => i.path)).toContain(issuePath);
      expect(err.message).toContain(issuePath);
    },
  );

  it('says "Required" for a missing field', () => {
    const err = validationErrorOf(
      LaunchLifecycleActionEventSchema,
      mutate(loadEventFixture(LAUNCH), ['detail', 'LifecycleActionToken'], DELETE),
    );
    expect(err.issues).toEqual([{ path: 'detail.LifecycleActionToken', message: 'Required' }]);
    expect(err.message).toBe('Invalid event: detail.LifecycleActionToken: Required');
  });

  it('reports only the closest alarm kind, not every way each alternative failed', () => {
    const err = validationErrorOf(
      AlarmStateChangeEventSchema,
      mutate(loadEventFixture(COMPOSITE_ALARM), ['detail', 'state', 'value'], 'ON_FIRE'),
    );
    expect(err.issues.map((i) => i.path)).toEqual(['detail.state.value']);
  });

  it('never echoes the offending value', () => {
    const err = validationErrorOf(
      LaunchLifecycleActionEventSchema,
      mutate(loadEventFixture(LAUNCH), ['detail', 'EC2InstanceId'], 'i-SECRETVALUE'),
    );
    expect(JSON.stringify({ message: err.message, issues: err.issues })).not.toContain('SECRETVALUE');
  });

  it('rejects things that are not events at all', () => {
    expect(validationErrorOf(ControlPlaneEventSchema, 'hello').issues[0]?.path).toBe('(root)');
    expect(validationErrorOf(ControlPlaneEventSchema, {}).issues.map((i) => i.path)).toContain('detail-type');
  });
});

describe('formatPath', () => {
  it.each([
    [[], '(root)'],
    [['detail', 'state', 'value'], 'detail.state.value'],
    [['resources', 0], 'resources[0]'],
    [['detail', 'configuration', 'metrics', 1, 'id'], 'detail.configuration.metrics[1].id'],
  ] as [PropertyKey[], string][])('%j -> %s', (input, expected) => {
    expect(formatPath(input)).toBe(expected);
  });
});
