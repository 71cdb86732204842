/**
 * Schemas for the EventBridge events the control plane consumes, each the full envelope.
 *
 * Objects are loose: AWS adds fields over time (Origin/Destination arrived with warm pools) and an unknown
 * field must not turn a real event into an outage. Fields the control plane acts on are strict.
 */
import * as z from 'zod/mini';
import { CommandInvocationStatusChangeEventSchema } from './command-events';
import {
  DetailTypes,
  eventBridgeEnvelope,
  InstanceIdSchema,
  IsoTimeSchema,
  nonEmpty,
  type ScheduledEvent,
  ScheduledEventSchema,
  Sources,
} from './event-envelope';

export { DetailTypes, InstanceIdSchema, IsoTimeSchema, type ScheduledEvent, ScheduledEventSchema, Sources };

// --- Auto Scaling lifecycle actions ---------------------------------------------------------------------

/** Where an instance comes from / goes to; present only for groups with a warm pool. */
export const LifecycleLocationSchema = z.enum(['EC2', 'AutoScalingGroup', 'WarmPool']);

function lifecycleActionDetail<const Transition extends string>(transition: Transition) {
  return z.looseObject({
    LifecycleActionToken: nonEmpty,
    AutoScalingGroupName: nonEmpty,
    LifecycleHookName: nonEmpty,
    EC2InstanceId: InstanceIdSchema,
    LifecycleTransition: z.literal(transition),
    NotificationMetadata: z.optional(z.string()),
    Origin: z.optional(LifecycleLocationSchema),
    Destination: z.optional(LifecycleLocationSchema),
  });
}

export const LaunchLifecycleActionDetailSchema = lifecycleActionDetail('autoscaling:EC2_INSTANCE_LAUNCHING');
export const TerminateLifecycleActionDetailSchema = lifecycleActionDetail(
  'autoscaling:EC2_INSTANCE_TERMINATING',
);

export const LaunchLifecycleActionEventSchema = eventBridgeEnvelope(
  DetailTypes.launchLifecycleAction,
  Sources.autoScaling,
  LaunchLifecycleActionDetailSchema,
);

export const TerminateLifecycleActionEventSchema = eventBridgeEnvelope(
  DetailTypes.terminateLifecycleAction,
  Sources.autoScaling,
  TerminateLifecycleActionDetailSchema,
);

// --- CloudWatch alarm state changes ---------------------------------------------------------------------

export const AlarmStateValueSchema = z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']);

/**
 * `timestamp` is kept as text: CloudWatch writes `+0000` offsets, which are not ISO-8601 extended format.
 * Suppression fields are free text so a new suppression reason cannot make the event unparseable.
 */
export const AlarmStateSchema = z.looseObject({
  value: AlarmStateValueSchema,
  reason: z.optional(z.string()),
  reasonData: z.optional(z.string()),
  timestamp: nonEmpty,
  actionsSuppressedBy: z.optional(z.string()),
  actionsSuppressedReason: z.optional(z.string()),
});

const MetricStatSchema = z.looseObject({
  metric: z.looseObject({
    namespace: nonEmpty,
    name: nonEmpty,
    dimensions: z.optional(z.record(z.string(), z.string())),
  }),
  period: z.int().check(z.positive()),
  stat: nonEmpty,
});

/** One entry of a metric alarm's `configuration.metrics`: a metric (`metricStat`) or a math `expression`. */
export const AlarmMetricSchema = z.looseObject({
  id: nonEmpty,
  metricStat: z.optional(MetricStatSchema),
  expression: z.optional(z.string()),
  label: z.optional(z.string()),
  returnData: z.optional(z.boolean()),
});

export const MetricAlarmDetailSchema = z.looseObject({
  alarmName: nonEmpty,
  state: AlarmStateSchema,
  previousState: AlarmStateSchema,
  configuration: z.looseObject({
    description: z.optional(z.string()),
    metrics: z.array(AlarmMetricSchema).check(z.minLength(1)),
  }),
});

export const CompositeAlarmDetailSchema = z.looseObject({
  alarmName: nonEmpty,
  state: AlarmStateSchema,
  previousState: AlarmStateSchema,
  configuration: z.looseObject({
    description: z.optional(z.string()),
    alarmRule: nonEmpty,
    actionsSuppressor: z.optional(z.string()),
    actionsSuppressorWaitPeriod: z.optional(z.int().check(z.nonnegative())),
    actionsSuppressorExtensionPeriod: z.optional(z.int().check(z.nonnegative())),
  }),
});

export const MetricAlarmStateChangeEventSchema = eventBridgeEnvelope(
  DetailTypes.alarmStateChange,
  Sources.cloudWatch,
  MetricAlarmDetailSchema,
);

export const CompositeAlarmStateChangeEventSchema = eventBridgeEnvelope(
  DetailTypes.alarmStateChange,
  Sources.cloudWatch,
  CompositeAlarmDetailSchema,
);

/** Either kind of alarm; the shape of `detail.configuration` tells them apart (see {@link isCompositeAlarm}). */
export const AlarmStateChangeEventSchema = eventBridgeEnvelope(
  DetailTypes.alarmStateChange,
  Sources.cloudWatch,
  z.union([MetricAlarmDetailSchema, CompositeAlarmDetailSchema]),
);

// --- All of them ----------------------------------------------------------------------------------------

/** Any event the control plane consumes, discriminated on `detail-type`. */
export const ControlPlaneEventSchema = z.discriminatedUnion('detail-type', [
  LaunchLifecycleActionEventSchema,
  TerminateLifecycleActionEventSchema,
  AlarmStateChangeEventSchema,
  ScheduledEventSchema,
  CommandInvocationStatusChangeEventSchema,
]);

export type LifecycleLocation = z.infer<typeof LifecycleLocationSchema>;
export type LaunchLifecycleActionDetail = z.infer<typeof LaunchLifecycleActionDetailSchema>;
export type TerminateLifecycleActionDetail = z.infer<typeof TerminateLifecycleActionDetailSchema>;
export type LifecycleActionDetail = LaunchLifecycleActionDetail | TerminateLifecycleActionDetail;
export type LifecycleTransition = LifecycleActionDetail['LifecycleTransition'];
export type LaunchLifecycleActionEvent = z.infer<typeof LaunchLifecycleActionEventSchema>;
export type TerminateLifecycleActionEvent = z.infer<typeof TerminateLifecycleActionEventSchema>;
export type LifecycleActionEvent = LaunchLifecycleActionEvent | TerminateLifecycleActionEvent;

export type AlarmStateValue = z.infer<typeof AlarmStateValueSchema>;
export type AlarmState = z.infer<typeof AlarmStateSchema>;
export type MetricAlarmDetail = z.infer<typeof MetricAlarmDetailSchema>;
export type CompositeAlarmDetail = z.infer<typeof CompositeAlarmDetailSchema>;
export type MetricAlarmStateChangeEvent = z.infer<typeof MetricAlarmStateChangeEventSchema>;
export type CompositeAlarmStateChangeEvent = z.infer<typeof CompositeAlarmStateChangeEventSchema>;
export type AlarmStateChangeEvent = z.infer<typeof AlarmStateChangeEventSchema>;

export type ControlPlaneEvent = z.infer<typeof ControlPlaneEventSchema>;
export type ControlPlaneDetailType = ControlPlaneEvent['detail-type'];

/** Narrow an alarm event's detail to the composite shape (it carries `alarmRule`, not `metrics`). */
export function isCompositeAlarm(
  detail: MetricAlarmDetail | CompositeAlarmDetail,
): detail is CompositeAlarmDetail {
  return 'alarmRule' in detail.configuration && typeof detail.configuration.alarmRule === 'string';
}

/**
 * Whether the instance is headed for the warm pool rather than into service: such an instance must not join
 * the cluster, and a terminate action of this kind returns it to the pool instead of destroying it.
 */
export function goesToWarmPool(detail: LifecycleActionDetail): boolean {
  return detail.Destination === 'WarmPool';
}
