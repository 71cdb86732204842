/**
 * The operations part of the control-plane stack (issue 15; infra/constructs/operations.ts and
 * infra/constructs/dead-letters.ts) deployed into the twin from the same pure specs (infra/operations.ts,
 * infra/dashboard.ts): the dead-letter queue, the rule targets' retry policy and DLQ, the event-driven functions'
 * asynchronous invocation settings and on-failure destination, the run-status rule to the report Lambda, every
 * alarm of §1, the operations Lambda with its environment, and the dashboard spec.
 */
import { type DashboardSpec, dashboardSpec } from '../infra/dashboard';
import {
  ASYNC_INVOKE,
  allFunctionAlarmSpecs,
  EVENT_DRIVEN_FUNCTIONS,
  type EventDrivenFunction,
  type OperationsAlarmSpec,
  operationsAlarmSpecs,
  operationsEnvironment,
  RULE_TARGET_RETRY,
  runStatusEventPattern,
  runStatusRuleName,
  WORKFLOW_NAMES,
  type WorkflowName,
} from '../infra/operations';
import { deadLetterQueueName, fixedStateMachineName } from '../infra/stacks/names';
import type { FunctionName } from '../infra/workflow-definitions';
import type { AlarmSpec } from './core/contracts';
import type { RegionLayout, TwinRuntime as Twin } from './layout';
import { routingTables } from './setup';

/** The region's dead-letter queue, as DeadLetterQueue creates it (the control-plane key marks it SSE-KMS). */
export function createDeadLetterQueue(twin: Twin, region: string): { url: string; arn: string } {
  const config = twin.world.config;
  const spec = { name: deadLetterQueueName(config), retention: config.operations.deadLetterRetentionDays };
  return twin.world.region(region).sqs.createQueue({
    name: spec.name,
    retentionSeconds: spec.retention * 86_400,
    visibilityTimeoutSeconds: 300,
    kmsKeyId: `alias/${config.cluster.name}-control-plane`,
  });
}

/**
 * A rule target's options as `ruleTargetOptions` sets them: the queue as DLQ, 4 retries within an hour, or
 * within `maxEventAgeSeconds` where the target has a reason for a shorter age.
 */
export function ruleTargetOptions(queueArn: string, maxEventAgeSeconds?: number) {
  return {
    deadLetterQueue: queueArn,
    retryPolicy: {
      maximumRetryAttempts: RULE_TARGET_RETRY.maximumRetryAttempts,
      maximumEventAgeSeconds: maxEventAgeSeconds ?? RULE_TARGET_RETRY.maximumEventAgeSeconds,
    },
  };
}

/** What {@link deployOperations} needs of the rest of the deployment. */
export interface OperationsRefs {
  readonly queue: { readonly url: string; readonly arn: string };
  /** Every Lambda of the stack but `operations`, by its name, as deployed (`<cluster>-<name>`). */
  readonly functionArns: Readonly<Record<Exclude<FunctionName, 'operations'>, string>>;
  /** A workflow's state machine ARN (regional-failover under its fixed name). */
  readonly stateMachineArn: (workflow: WorkflowName) => string;
  /** Registers a function as the stack's other functions are (name, handler dir, environment). */
  readonly register: (name: FunctionName, dir: string, environment: Record<string, string>) => string;
}

export interface OperationsLayout {
  readonly operationsArn: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
  /** Every alarm of §1 in the region, by name. */
  readonly alarms: readonly string[];
  readonly dashboard: DashboardSpec | undefined;
}

/** An operations alarm in the twin CloudWatch's shape (a metric alarm, or metric math). */
function twinAlarm(spec: OperationsAlarmSpec): AlarmSpec {
  const { math, ...rest } = spec;
  return {
    ...rest,
    dimensions: { ...spec.dimensions },
    ...(math
      ? {
          math: {
            expression: math.expression,
            metrics: math.metrics.map((m) => ({ ...m, dimensions: { ...m.dimensions } })),
          },
        }
      : {}),
  };
}

/** Deploys the operations part of the stack in `layout.region` (after every function and state machine). */
export function deployOperations(twin: Twin, layout: RegionLayout, refs: OperationsRefs): OperationsLayout {
  const { world } = twin;
  const config = world.config;
  const r = world.region(layout.region);
  const lambdaName = (fn: FunctionName) => `${config.cluster.name}-${fn}`;

  // The event-driven functions' failures, after Lambda's retries, go to the queue.
  for (const fn of EVENT_DRIVEN_FUNCTIONS as readonly EventDrivenFunction[]) {
    twin.lambda.putFunctionEventInvokeConfig(refs.functionArns[fn], {
      maximumRetryAttempts: ASYNC_INVOKE.maximumRetryAttempts,
      maximumEventAgeSeconds: ASYNC_INVOKE.maximumEventAgeSeconds,
      onFailure: refs.queue.arn,
    });
  }

  // The run-status rule: every state machine of the region, FAILED | TIMED_OUT | ABORTED, to the report Lambda.
  r.events.putRule({
    name: runStatusRuleName(config),
    pattern: runStatusEventPattern(WORKFLOW_NAMES.map(refs.stateMachineArn)),
    target: twin.lambda.target(refs.functionArns.report),
    ...ruleTargetOptions(refs.queue.arn),
  });

  // The operations Lambda, with the same environment as the CDK function.
  const operationsArn = refs.register(
    'operations',
    'operations',
    operationsEnvironment(config, {
      stateTable: layout.stateTable,
      topicArn: layout.topicArn,
      queueUrl: refs.queue.url,
      routingTables: routingTables(config),
      replayTargets: {
        functions: EVENT_DRIVEN_FUNCTIONS.map((f) => refs.functionArns[f]),
        stateMachines: [
          refs.stateMachineArn('regional-readiness'),
          refs.stateMachineArn('regional-failover'),
        ],
      },
    }),
  );

  // The alarms of §1, from the specs the CDK construct builds them from.
  const specs = [
    ...allFunctionAlarmSpecs(config, layout.region, lambdaName),
    ...operationsAlarmSpecs(config, layout.region, deadLetterQueueName(config)),
  ];
  for (const spec of specs) r.cloudwatch.putAlarm(twinAlarm(spec));

  const dashboard = config.operations.dashboard
    ? dashboardSpec(config, layout.region, {
        functionName: lambdaName,
        stateMachineArn: refs.stateMachineArn,
        queueName: deadLetterQueueName(config),
      })
    : undefined;
  return {
    operationsArn,
    deadLetterQueueUrl: refs.queue.url,
    deadLetterQueueArn: refs.queue.arn,
    alarms: specs.map((s) => s.name),
    dashboard,
  };
}

/** regional-failover under its fixed name, every other workflow under its own. */
export function stateMachineArnOf(
  config: Twin['world']['config'],
  arnOf: (name: string) => string,
): (workflow: WorkflowName) => string {
  return (workflow) =>
    arnOf(workflow === 'regional-failover' ? fixedStateMachineName(config, 'regional-failover') : workflow);
}
