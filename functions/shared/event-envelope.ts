/**
 * What every EventBridge event schema shares (the envelope, instance ids, times), and the scheduled event.
 * A module of its own, apart from ./events: a Lambda that reads only scheduled events (watch, the reconciler)
 * or instance ids (failover) then builds none of the other event schemas when it loads (docs/performance.md).
 */
import * as z from 'zod/mini';

export const nonEmpty = z.string().check(z.minLength(1));

/** EC2 instance id, e.g. `i-1234567890abcdef0` (8 hex digits for old ids, 17 for current ones). */
export const InstanceIdSchema = z.string().check(z.regex(/^i-[0-9a-f]{8,17}$/, 'Invalid EC2 instance id'));

/** ISO-8601 timestamp with `Z` or a numeric offset, as EventBridge writes `time`. */
export const IsoTimeSchema = z.iso.datetime({ offset: true });

/** The EventBridge envelope around `detail`; loose, with the fields the control plane reads checked. */
export function eventBridgeEnvelope<
  const DetailType extends string,
  const Source extends string,
  Detail extends z.ZodMiniType,
>(detailType: DetailType, source: Source, detail: Detail) {
  return z.looseObject({
    version: nonEmpty,
    id: nonEmpty,
    'detail-type': z.literal(detailType),
    source: z.literal(source),
    account: z.string().check(z.regex(/^\d{12}$/, 'Invalid AWS account id')),
    time: IsoTimeSchema,
    region: nonEmpty,
    resources: z.array(nonEmpty),
    detail,
  });
}

export const DetailTypes = {
  launchLifecycleAction: 'EC2 Instance-launch Lifecycle Action',
  terminateLifecycleAction: 'EC2 Instance-terminate Lifecycle Action',
  alarmStateChange: 'CloudWatch Alarm State Change',
  scheduled: 'Scheduled Event',
  commandInvocationStatusChange: 'EC2 Command Invocation Status-change Notification',
} as const;

export const Sources = {
  autoScaling: 'aws.autoscaling',
  cloudWatch: 'aws.cloudwatch',
  events: 'aws.events',
  ssm: 'aws.ssm',
} as const;

// --- Scheduled events -----------------------------------------------------------------------------------

export const ScheduledEventSchema = eventBridgeEnvelope(
  DetailTypes.scheduled,
  Sources.events,
  z.looseObject({}),
);

export type ScheduledEvent = z.infer<typeof ScheduledEventSchema>;
