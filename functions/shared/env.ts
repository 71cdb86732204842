/**
 * The environment, read in one place: the names the control-plane Lambdas read (the CDK stack and the twin's
 * deployment set them from {@link ENV}, so neither can drift from the handlers; Lambda itself sets
 * `AWS_REGION`) and the only functions that read them.
 */
import { ConfigurationError } from './errors';

export const ENV = {
  clusterName: 'CLUSTER_NAME',
  clusterMode: 'CLUSTER_MODE',
  primaryAsgName: 'PRIMARY_ASG_NAME',
  memberAsgName: 'MEMBER_ASG_NAME',
  bootstrapStateMachineArn: 'BOOTSTRAP_STATE_MACHINE_ARN',
  drainStateMachineArn: 'DRAIN_STATE_MACHINE_ARN',
  stateTable: 'STATE_TABLE',
  topicArn: 'TOPIC_ARN',
  targetGroupArn: 'TARGET_GROUP_ARN',
  failoverStateMachineArn: 'FAILOVER_STATE_MACHINE_ARN',
  certRotationStateMachineArn: 'CERT_ROTATION_STATE_MACHINE_ARN',
  certCooldownMinutes: 'CERT_COOLDOWN_MINUTES',
  minTaskNodes: 'MIN_TASK_NODES',
  cooldownMinutes: 'COOLDOWN_MINUTES',
  dailyBudget: 'DAILY_BUDGET',
  automationEnabled: 'AUTOMATION_ENABLED',
  metricNamespace: 'METRIC_NAMESPACE',
  minHealthyNodes: 'MIN_HEALTHY_NODES',
  /** The certs Lambda: `certificates.*` it plans with, as JSON (renewal fraction, window, near expiry, …). */
  certificatePolicy: 'CERTIFICATE_POLICY',
  /** The signer's: JSON object of CA generation to its KMS key ARN (every deployed generation). */
  caKeys: 'CA_KEYS',
  /** The signer's: the SSM String parameter holding the public CA bundle (`/<cluster>/ca-bundle`). */
  caBundleParameter: 'CA_BUNDLE_PARAMETER',
  leafLifetimeDays: 'LEAF_LIFETIME_DAYS',
  keySize: 'KEY_SIZE',
  caLifetimeDays: 'CA_LIFETIME_DAYS',
  /**
   * dispatch's automatic regional failover, as JSON (infra/regional-routing.ts `regionalDispatchEnvironment`):
   * the region's degraded alarm, the peers' regional-failover ARNs in config order, `automaticRestore`.
   */
  regionalDispatch: 'REGIONAL_DISPATCH',
  /** The routing Lambda's: its whole deployment as JSON (functions/routing/settings.ts, infra/routing.ts). */
  routingSettings: 'ROUTING_SETTINGS',
  /**
   * The sweep's and the report Lambda's: every workflow's deployed ARN, whether it is a root run, and how long a
   * healthy run takes, as JSON `[{ workflow, arn, root, boundSeconds }]` (infra/operations.ts `runsEnvironment`).
   */
  runBounds: 'RUN_BOUNDS',
  /** The operations Lambda's: the region's dead-letter queue (its URL). */
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  /**
   * The operations Lambda's: what a dead letter may be replayed to, as JSON `{ functions: [arn], stateMachines:
   * [arn] }` (this stack's event-driven functions and scheduled state machines; infra/operations.ts).
   */
  replayTargets: 'REPLAY_TARGETS',
  /** The global pause's copies: JSON object of voter region to its routing table (operations Lambda, sweep). */
  pauseTables: 'PAUSE_TABLES',
  /** The sweep's: hours between two reminders while paused (`operations.pauseReminderHours`). */
  pauseReminderHours: 'PAUSE_REMINDER_HOURS',
  /** Set by Lambda. */
  awsRegion: 'AWS_REGION',
  /** Powertools' own variable; the shared Metrics instance reads it once, at load. */
  powertoolsMetricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** The variable's value as set (possibly empty), or undefined. `env` defaults to the process environment. */
export function readEnv(name: EnvName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[name];
}

/**
 * Read a required environment variable, failing fast with a {@link ConfigurationError} when it is unset or
 * blank, so a misconfigured function fails on its first invocation instead of deep inside a workflow.
 */
export function requireEnv(name: EnvName, env?: NodeJS.ProcessEnv): string {
  const value = readEnv(name, env);
  if (value === undefined || value.trim() === '') {
    throw new ConfigurationError(`Missing required environment variable ${name}`);
  }
  return value;
}

/** A required whole number >= 0; anything else is a {@link ConfigurationError} naming the variable. */
export function requireWholeNumberEnv(name: EnvName, env?: NodeJS.ProcessEnv): number {
  const v = Number(requireEnv(name, env));
  if (!Number.isInteger(v) || v < 0) throw new ConfigurationError(`${name} must be a whole number >= 0`);
  return v;
}

/** A required `true` or `false`; anything else is a {@link ConfigurationError} naming the variable. */
export function requireBooleanEnv(name: EnvName, env?: NodeJS.ProcessEnv): boolean {
  const v = requireEnv(name, env);
  if (v !== 'true' && v !== 'false') throw new ConfigurationError(`${name} must be true or false`);
  return v === 'true';
}
