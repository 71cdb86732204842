import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { StateMachine } from 'aws-local-stepfunctions';
import type { BusEvent, EventTarget, ServiceName, SimService } from '../core/contracts';
import { AwsError, NotModelledError } from '../core/errors';
import type { ExecutionRecord, World } from '../core/world';
import { TaskTokens } from './callbacks';
import type { DynamoSim } from './dynamo';
import { invocationStore } from './invocation';
import type { LambdaSim } from './lambda';
import { historyEvents, historyPage } from './sfn-history';

/** ASL files (before substitution) that asl-validator has already accepted in this process. */
const VALIDATED = new Set<string>();

/** Service names of `arn:aws:states:::aws-sdk:<service>:<action>` as the twin's services know them. */
const SDK_SERVICES: Record<string, ServiceName> = {
  autoscaling: 'autoscaling',
  ec2: 'ec2',
  ssm: 'ssm',
  secretsmanager: 'secretsmanager',
  kms: 'kms',
  elasticloadbalancingv2: 'elbv2',
  cloudwatch: 'cloudwatch',
  route53: 'route53',
  sns: 'sns',
  sfn: 'sfn',
  eventbridge: 'events',
};

/** PascalCase service names Step Functions puts in front of SDK-integration errors. */
const ERROR_PREFIX: Record<string, string> = {
  autoscaling: 'AutoScaling',
  ec2: 'Ec2',
  ssm: 'Ssm',
  secretsmanager: 'SecretsManager',
  kms: 'Kms',
  elasticloadbalancingv2: 'ElasticLoadBalancingV2',
  cloudwatch: 'CloudWatch',
  route53: 'Route53',
  sns: 'Sns',
  sfn: 'Sfn',
  eventbridge: 'EventBridge',
};

/**
 * "If an AWS SDK integration encounters an error, the resulting Error field is composed of the service name
 * and the error name, separated by a period ... both in PascalCase ... always add the Exception suffix"
 * (Step Functions developer guide, "Learning to use AWS service SDK integrations").
 */
export function sdkIntegrationErrorName(service: string, errorName: string): string {
  const prefix = ERROR_PREFIX[service] ?? service.charAt(0).toUpperCase() + service.slice(1);
  const name = errorName.endsWith('Exception') ? errorName : `${errorName}Exception`;
  return `${prefix}.${name}`;
}

class TaskError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface TaskSpec {
  readonly resource: string;
  /** The Task's TimeoutSeconds, when it has one. */
  readonly timeoutSeconds?: number;
  /**
   * The Task's TimeoutSecondsPath (`$.a.b`): aws-local-stepfunctions reads it from the Task's effective input
   * (after Parameters); so does {@link timeoutOf}, so the twin stops a `.sync` child when the interpreter
   * times the Task out.
   */
  readonly timeoutSecondsPath?: string;
}

interface Machine {
  readonly arn: string;
  readonly name: string;
  readonly definition: Record<string, unknown>;
  readonly machine: StateMachine;
  readonly tasks: ReadonlyMap<string, TaskSpec>;
}

interface Running {
  readonly record: ExecutionRecord;
  readonly abort: () => void;
  readonly done: Promise<void>;
}

/**
 * Step Functions (Standard) in one region of the twin: state machines are the ASL files, unmodified, with
 * their definition substitutions applied as CloudFormation applies them, run by aws-local-stepfunctions.
 * Every Task state is routed to the twin: Lambda tasks run the real handlers, AWS SDK and optimized
 * integrations reach the simulated services and the real DynamoDB (dynalite). Wait states and retry pauses
 * run on the virtual clock.
 */
export class StepFunctionsSim implements SimService {
  readonly service = 'sfn' as const;
  readonly api;
  private readonly machines = new Map<string, Machine>();
  private readonly running = new Map<string, Running>();
  private readonly ddb: DynamoDBClient;
  private readonly tokens: TaskTokens;
  /**
   * Each Task attempt's effective parameters (after InputPath and Parameters, `$$.Task.Token` resolved), by
   * execution and state, in order: what GetExecutionHistory's TaskScheduled `parameters` carries.
   */
  private readonly taskParameters = new Map<string, unknown[]>();

  constructor(
    private readonly world: World,
    readonly region: string,
    private readonly lambda: LambdaSim,
    dynamo: DynamoSim,
  ) {
    this.ddb = dynamo.client(region, { sdkRetries: false });
    this.tokens = new TaskTokens(region, (arn) => this.world.executions.find((e) => e.executionArn === arn));
    this.api = {
      SendTaskSuccess: (input: { taskToken?: string; output?: string }) => this.tokens.sendTaskSuccess(input),
      SendTaskFailure: (input: { taskToken?: string; error?: string; cause?: string }) =>
        this.tokens.sendTaskFailure(input),
      StartExecution: (input: { stateMachineArn: string; name?: string; input?: string }) =>
        this.startExecution(input),
      DescribeExecution: (input: { executionArn: string }) => this.describe(this.record(input.executionArn)),
      ListExecutions: (input: { stateMachineArn: string; statusFilter?: string }) => ({
        executions: this.world.executions
          // Only this region's executions: world.executions holds every region's.
          .filter((e) => e.region === this.region && this.machineArnOf(e) === input.stateMachineArn)
          .filter((e) => !input.statusFilter || e.status === input.statusFilter)
          .map((e) => ({
            executionArn: e.executionArn,
            stateMachineArn: input.stateMachineArn,
            name: e.name,
            status: e.status,
            startDate: new Date(e.startedAt),
            ...(e.stoppedAt !== undefined ? { stopDate: new Date(e.stoppedAt) } : {}),
          })),
      }),
      StopExecution: (input: { executionArn: string; error?: string; cause?: string }) => this.stop(input),
      GetExecutionHistory: (input: {
        executionArn: string;
        maxResults?: number;
        nextToken?: string;
        reverseOrder?: boolean;
      }) => {
        const record = this.record(input.executionArn);
        const tasks = this.machines.get(this.machineArnOf(record))?.tasks;
        return historyPage(
          historyEvents(
            record,
            this.region,
            (state) => tasks?.get(state)?.resource,
            (state, n) => this.taskParameters.get(`${record.executionArn}\u0000${state}`)?.[n],
          ),
          input,
        );
      },
    };
  }

  /** Deploys a state machine: applies `${Placeholder}` substitutions, parses and validates the ASL. */
  createStateMachine(
    name: string,
    definitionText: string,
    substitutions: Readonly<Record<string, string>>,
  ): string {
    const text = definitionText.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, key: string) => {
      const value = substitutions[key];
      if (value === undefined) throw new Error(`state machine ${name}: no substitution for \${${key}}`);
      return value;
    });
    const definition = JSON.parse(text) as Record<string, unknown>;
    // asl-validator compiles its JSON schema on every call (about 300 ms per twin start): validate each ASL
    // file once per process (the substitutions differ only in account and resource ids between worlds); an
    // invalid definition throws here and is never cached.
    const machine = new StateMachine(definition as never, {
      validationOptions: VALIDATED.has(definitionText)
        ? { noValidate: true }
        : { checkPaths: true, checkArn: true },
    });
    VALIDATED.add(definitionText);
    const arn = `arn:aws:states:${this.region}:${this.world.accountId}:stateMachine:${name}`;
    this.machines.set(arn, { arn, name, definition, machine, tasks: collectTasks(definition) });
    return arn;
  }

  arnOf(name: string): string {
    return `arn:aws:states:${this.region}:${this.world.accountId}:stateMachine:${name}`;
  }

  /**
   * DescribeStateMachine's `definition` (as deployed, substitutions applied): Step Functions API Reference,
   * DescribeStateMachine. Unknown ARN: StateMachineDoesNotExist.
   */
  describeDefinition(stateMachineArn: string): string {
    const m = this.machines.get(stateMachineArn);
    if (!m)
      throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    return JSON.stringify(m.definition);
  }

  /**
   * UpdateStateMachine with a new definition: the ARN stays; executions started after it run the new definition
   * (Step Functions API Reference, UpdateStateMachine: "Executions using the previous definition … continue").
   */
  updateDefinition(stateMachineArn: string, definition: string): void {
    const m = this.machines.get(stateMachineArn);
    if (!m)
      throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    this.createStateMachine(m.name, definition, {});
  }

  /** Resolves when the execution has stopped (for scenarios and tests). */
  async waitFor(executionArn: string): Promise<ExecutionRecord> {
    await this.running.get(executionArn)?.done;
    return this.record(executionArn);
  }

  /**
   * StartExecution semantics (Step Functions API reference): same name and same input as a running
   * execution returns that execution; a closed execution or a different input with the same name is
   * ExecutionAlreadyExists.
   */
  startExecution(
    input: { stateMachineArn: string; name?: string; input?: string },
    parentArn?: string,
  ): {
    executionArn: string;
    startDate: Date;
  } {
    const machine = this.machines.get(input.stateMachineArn);
    if (!machine)
      throw new AwsError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${input.stateMachineArn}'`,
      );
    const name = input.name ?? this.world.rng.fork(`exec${this.world.executions.length}`).hex(32);
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new AwsError('InvalidName', `Invalid Name: '${name}'`);
    const rawInput = input.input ?? '{}';
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawInput);
    } catch {
      throw new AwsError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const executionArn = `arn:aws:states:${this.region}:${this.world.accountId}:execution:${machine.name}:${name}`;
    const existing = this.world.executions.find((e) => e.executionArn === executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && JSON.stringify(existing.input) === JSON.stringify(parsed)) {
        return { executionArn, startDate: new Date(existing.startedAt) };
      }
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record: ExecutionRecord = {
      executionArn,
      name,
      stateMachine: machine.name,
      region: this.region,
      status: 'RUNNING',
      startedAt: this.world.clock.now(),
      input: parsed,
      history: [],
      transitions: 0,
      ...(parentArn !== undefined ? { parentArn } : {}),
      children: [],
    };
    this.world.executions.push(record);
    if (parentArn !== undefined) {
      this.world.executions.find((e) => e.executionArn === parentArn)?.children?.push(record);
    }
    this.world.timeline.add(this.region, 'sfn', `${machine.name} started (${name})`, { executionArn });
    this.statusChanged(record);
    // An execution is not part of the Lambda invocation that started it: run it outside that context (its
    // environment, log capture and region must not leak into the workflow).
    invocationStore.exit(() => this.run(machine, record));
    return { executionArn, startDate: new Date(record.startedAt) };
  }

  private run(machine: Machine, record: ExecutionRecord): void {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [stateName, spec] of machine.tasks) {
      handlers[stateName] = (input) => this.task(stateName, spec, input, record.executionArn);
    }
    const execution = machine.machine.run(record.input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      noThrowOnAbort: true,
      context: {
        Execution: {
          Id: record.executionArn,
          Name: record.name,
          StartTime: new Date(record.startedAt).toISOString(),
          Input: record.input as never,
          RoleArn: `arn:aws:iam::${this.world.accountId}:role/${machine.name}-role`,
        },
        StateMachine: { Id: machine.arn, Name: machine.name },
        // `$$.Task.Token` (callback pattern): a fresh token for each Task attempt that reads it.
        Task: this.tokens.contextTask(record.executionArn),
      } as never,
    });
    const history = (async () => {
      for await (const event of execution.eventLogs) {
        const e = event as { type: string; state?: { name?: string; type?: string } };
        record.history.push({
          at: this.world.clock.now(),
          type: e.type,
          ...(e.state?.name ? { state: e.state.name } : {}),
          data: event,
        });
        // Step Functions bills a state transition for every step executed, retries included
        // (https://aws.amazon.com/step-functions/pricing/): a retried Task counts once more per attempt.
        if (e.type === 'StateRetried') record.transitions++;
        if (e.type === 'StateEntered') {
          record.transitions++;
          if (e.state?.type === 'Task') {
            this.world.timeline.add(
              this.region,
              'sfn-step',
              `${machine.name}/${record.name}: ${e.state.name}`,
            );
          }
        }
      }
    })();
    const done = (async () => {
      try {
        const output = await execution.result;
        if (record.status === 'RUNNING') {
          record.status = 'SUCCEEDED';
          record.output = output;
        }
      } catch (err) {
        const e = err as { name?: string; message?: string; cause?: unknown };
        record.status = e.name === 'ExecutionTimeoutError' ? 'TIMED_OUT' : 'FAILED';
        // aws-local-stepfunctions wraps the final error; the state's own error name is what AWS reports.
        const inner = (e.cause ?? err) as { name?: string; message?: string };
        record.error = inner.name ?? 'States.Runtime';
        record.cause = inner.message ?? String(err);
      }
      await history;
      record.stoppedAt = this.world.clock.now();
      this.running.delete(record.executionArn);
      this.statusChanged(record);
      this.world.timeline.add(
        this.region,
        'sfn',
        `${machine.name} ${record.status.toLowerCase()} (${record.name})${record.error ? `: ${record.error}` : ''}`,
        { executionArn: record.executionArn, transitions: record.transitions },
      );
    })();
    this.running.set(record.executionArn, { record, abort: execution.abort, done });
  }

  /**
   * A status change of an execution, as Step Functions reports it: the `Step Functions Execution Status Change`
   * event on the region's default bus ("Automating Step Functions event delivery with EventBridge",
   * https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html: source `aws.states`, the execution ARN
   * in resources, detail executionArn, stateMachineArn, name, status RUNNING | SUCCEEDED | FAILED | TIMED_OUT |
   * ABORTED, startDate and stopDate in epoch milliseconds, input and output as JSON strings (null when none),
   * error and cause; AWS services' events are delivered best effort), and the AWS/States metric of the change
   * {StateMachineArn}: ExecutionsStarted, ExecutionsSucceeded, ExecutionsFailed, ExecutionsTimedOut,
   * ExecutionsAborted ("Monitoring Step Functions metrics using CloudWatch", procedure-cw-metrics.html).
   * Nothing is emitted while the region is lost.
   */
  private statusChanged(record: ExecutionRecord): void {
    if (this.world.faults.isRegionDown(this.region)) return;
    const stateMachineArn = this.arnOf(record.stateMachine);
    const metric = {
      RUNNING: 'ExecutionsStarted',
      SUCCEEDED: 'ExecutionsSucceeded',
      FAILED: 'ExecutionsFailed',
      TIMED_OUT: 'ExecutionsTimedOut',
      ABORTED: 'ExecutionsAborted',
    }[record.status];
    const services = this.world.region(this.region);
    services.cloudwatch.putMetric('AWS/States', metric, { StateMachineArn: stateMachineArn }, 1);
    const ended = record.status !== 'RUNNING';
    services.events.emit({
      source: 'aws.states',
      detailType: 'Step Functions Execution Status Change',
      resources: [record.executionArn],
      detail: {
        executionArn: record.executionArn,
        stateMachineArn,
        name: record.name,
        status: record.status,
        startDate: record.startedAt,
        stopDate: ended ? (record.stoppedAt ?? this.world.clock.now()) : null,
        input: JSON.stringify(record.input),
        inputDetails: { included: true },
        output: record.status === 'SUCCEEDED' ? JSON.stringify(record.output ?? null) : null,
        outputDetails: record.status === 'SUCCEEDED' ? { included: true } : null,
        error: ended && record.status !== 'SUCCEEDED' ? (record.error ?? null) : null,
        cause: ended && record.status !== 'SUCCEEDED' ? (record.cause ?? null) : null,
      },
    });
  }

  /**
   * An EventBridge rule target that starts the state machine (StartExecution without a name: each event a new
   * execution). The call fails, and EventBridge retries or dead-letters the event, when the region is lost, an
   * injected fault fails `sfn:StartExecution`, or the state machine does not exist.
   */
  target(stateMachineArn: string, input: (event: BusEvent) => unknown = (event) => event): EventTarget {
    const deliver = async (event: BusEvent) => {
      const fault = this.world.faults.beforeCall(this.region, 'sfn', 'StartExecution');
      if (fault) throw fault;
      this.startExecution({ stateMachineArn, input: JSON.stringify(input(event)) });
    };
    return Object.assign(deliver, { targetArn: stateMachineArn });
  }

  private async task(
    stateName: string,
    spec: TaskSpec,
    input: unknown,
    executionArn: string,
  ): Promise<unknown> {
    const { resource } = spec;
    const params = (input ?? {}) as Record<string, unknown>;
    const key = `${executionArn}\u0000${stateName}`;
    this.taskParameters.set(key, [...(this.taskParameters.get(key) ?? []), params]);
    if (resource === 'arn:aws:states:::lambda:invoke') {
      const payload = await this.lambda.invoke(
        String(params.FunctionName),
        params.Payload ?? {},
        executionArn,
      );
      // The optimized Lambda integration returns the Invoke API response, the function's result in Payload.
      return { ExecutedVersion: '$LATEST', Payload: payload ?? null, StatusCode: 200 };
    }
    if (resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
      return this.invokeAndWait(stateName, spec, params, executionArn);
    }
    const sdk = /^arn:aws:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(resource);
    if (sdk) {
      const [, service = '', action = ''] = sdk;
      const twinService = SDK_SERVICES[service];
      if (!twinService)
        throw this.world.notModelledCall(
          this.region,
          new NotModelledError(`the twin does not model the aws-sdk:${service} integration (${stateName})`),
        );
      const api = action.charAt(0).toUpperCase() + action.slice(1);
      if (twinService === 'sfn' && api === 'StartExecution') return this.routeStart(params);
      try {
        return await this.world.call(this.region, twinService, api, params);
      } catch (err) {
        if (err instanceof NotModelledError) throw err;
        const e = err as Error;
        throw new TaskError(sdkIntegrationErrorName(service, e.name), e.message);
      }
    }
    const ddb = /^arn:aws:states:::dynamodb:(getItem|putItem|updateItem|deleteItem)$/.exec(resource);
    if (ddb) return this.dynamodb(ddb[1] ?? '', params);
    if (resource === 'arn:aws:states:::sns:publish.waitForTaskToken') {
      return this.publishAndWait(stateName, spec, params, executionArn);
    }
    if (resource === 'arn:aws:states:::sns:publish') {
      try {
        return await this.world.call(this.region, 'sns', 'Publish', params);
      } catch (err) {
        throw new TaskError(`SNS.${(err as Error).name}`, (err as Error).message);
      }
    }
    if (resource === 'arn:aws:states:::states:startExecution') return this.routeStart(params);
    if (resource === 'arn:aws:states:::states:startExecution.sync:2')
      return this.startSync(params, executionArn, timeoutOf(spec, params));
    throw this.world.notModelledCall(
      this.region,
      new NotModelledError(`the twin does not model the Task resource ${resource} (${stateName})`),
    );
  }

  /**
   * `lambda:invoke.waitForTaskToken`: invoke the function (its failure fails the Task), then wait for the token
   * it was given to be completed. The interpreter raises States.Timeout at the Task's TimeoutSeconds; the
   * token is closed at that moment, so a later completion is answered TaskTimedOut (see callbacks.ts).
   */
  private async invokeAndWait(
    stateName: string,
    spec: TaskSpec,
    params: Record<string, unknown>,
    executionArn: string,
  ): Promise<unknown> {
    const wait = this.tokens.await(executionArn, stateName, params.Payload);
    const cancelTimer =
      spec.timeoutSeconds === undefined
        ? () => undefined
        : this.world.clock.after(spec.timeoutSeconds * 1000, wait.close);
    try {
      await this.lambda.invoke(String(params.FunctionName), params.Payload ?? {}, executionArn);
      return await wait.settled;
    } finally {
      wait.close();
      cancelTimer();
    }
  }

  /**
   * `sns:publish.waitForTaskToken` (regional-failover's approval): publish the message carrying the token, then
   * wait for SendTaskSuccess / SendTaskFailure. A failed Publish fails the Task as `SNS.<error>`. The Task's
   * timeout (TimeoutSeconds, or TimeoutSecondsPath, which the interpreter applies) ends the wait with
   * States.Timeout and closes the token (Step Functions developer guide, "Wait for a Callback with Task Token").
   */
  private async publishAndWait(
    stateName: string,
    spec: TaskSpec,
    params: Record<string, unknown>,
    executionArn: string,
  ): Promise<unknown> {
    const wait = this.tokens.await(executionArn, stateName, params);
    const cancelTimer =
      spec.timeoutSeconds === undefined
        ? () => undefined
        : this.world.clock.after(spec.timeoutSeconds * 1000, wait.close);
    try {
      try {
        await this.world.call(this.region, 'sns', 'Publish', params);
      } catch (err) {
        throw new TaskError(`SNS.${(err as Error).name}`, (err as Error).message);
      }
      return await wait.settled;
    } finally {
      wait.close();
      cancelTimer();
    }
  }

  /** A child execution may belong to another region's Step Functions (by its ARN). */
  private routeStart(params: Record<string, unknown>, parentArn?: string): unknown {
    const arn = String(params.StateMachineArn ?? params.stateMachineArn ?? '');
    const region = arn.split(':')[3] ?? this.region;
    const target =
      region === this.region
        ? this
        : (this.world.region(region).services.sfn as StepFunctionsSim | undefined);
    if (!target)
      throw new TaskError('Sfn.StateMachineDoesNotExistException', `no Step Functions in ${region}`);
    try {
      const out = target.startExecution(
        {
          stateMachineArn: arn,
          ...(params.Name !== undefined ? { name: String(params.Name) } : {}),
          input: typeof params.Input === 'string' ? params.Input : JSON.stringify(params.Input ?? {}),
        },
        parentArn,
      );
      return { ExecutionArn: out.executionArn, StartDate: out.startDate.toISOString() };
    } catch (err) {
      throw new TaskError(sdkIntegrationErrorName('sfn', (err as Error).name), (err as Error).message);
    }
  }

  /**
   * `.sync:2`: start, wait for the child to stop, return its description with Output as JSON. When the Task
   * stops waiting (its TimeoutSeconds elapse) or the parent is stopped, Step Functions stops the child: the
   * "Run a Job (.sync)" pattern stops the job it started when the Task is stopped or times out, which is why
   * the IAM policy for synchronous nested executions grants `states:StopExecution` on them (Step Functions
   * developer guide, "Service integration patterns" and "IAM policies for nested Step Functions calls").
   */
  private async startSync(
    params: Record<string, unknown>,
    parentArn: string,
    timeoutSeconds: number | undefined,
  ): Promise<unknown> {
    const started = this.routeStart(params, parentArn) as { ExecutionArn: string };
    const region = started.ExecutionArn.split(':')[3] ?? this.region;
    const target =
      region === this.region ? this : (this.world.region(region).services.sfn as StepFunctionsSim);
    const timer =
      timeoutSeconds === undefined
        ? undefined
        : setTimeout(() => {
            target.stop({
              executionArn: started.ExecutionArn,
              error: 'States.Timeout',
              cause: `the parent's Task stopped waiting after ${timeoutSeconds} s`,
            });
          }, timeoutSeconds * 1000);
    const child = await target.waitFor(started.ExecutionArn);
    if (timer !== undefined) clearTimeout(timer);
    const description = target.describe(child);
    if (child.status !== 'SUCCEEDED') {
      // Step Functions fails the parent task with States.TaskFailed and the child's description as cause.
      throw new TaskError(
        'States.TaskFailed',
        JSON.stringify({ ...description, Error: child.error, Cause: child.cause }),
      );
    }
    return { ...description, Output: child.output };
  }

  private async dynamodb(action: string, params: Record<string, unknown>): Promise<unknown> {
    const Command = {
      getItem: GetItemCommand,
      putItem: PutItemCommand,
      updateItem: UpdateItemCommand,
      deleteItem: DeleteItemCommand,
    }[action];
    if (!Command)
      throw this.world.notModelledCall(
        this.region,
        new NotModelledError(`the twin does not model dynamodb:${action}`),
      );
    try {
      const command = new (Command as new (input: unknown) => Parameters<DynamoDBClient['send']>[0])(params);
      const { $metadata: _m, ...out } = (await this.ddb.send(command)) as unknown as Record<string, unknown>;
      return out;
    } catch (err) {
      const e = err as Error;
      // Named as SDK-integration errors are (`DynamoDB.` and the error name with the Exception suffix), so
      // DynamoDB's 500 `InternalServerError` is `DynamoDB.InternalServerErrorException`, the name the
      // workflows' Retry lists match; ConditionalCheckFailedException and the throttling errors keep theirs.
      const name = e.name.endsWith('Exception') ? e.name : `${e.name}Exception`;
      throw new TaskError(`DynamoDB.${name}`, e.message);
    }
  }

  describe(e: ExecutionRecord): Record<string, unknown> {
    return {
      executionArn: e.executionArn,
      stateMachineArn: this.machineArnOf(e),
      name: e.name,
      status: e.status,
      startDate: new Date(e.startedAt),
      ...(e.stoppedAt !== undefined ? { stopDate: new Date(e.stoppedAt) } : {}),
      input: JSON.stringify(e.input),
      ...(e.output !== undefined ? { output: JSON.stringify(e.output) } : {}),
      ...(e.error !== undefined ? { error: e.error, cause: e.cause } : {}),
    };
  }

  private record(executionArn: string): ExecutionRecord {
    const e = this.world.executions.find((x) => x.executionArn === executionArn);
    if (!e) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return e;
  }

  private machineArnOf(e: ExecutionRecord): string {
    return this.arnOf(e.stateMachine);
  }

  stop(input: { executionArn: string; error?: string; cause?: string }): { stopDate: Date } {
    const e = this.record(input.executionArn);
    const run = this.running.get(input.executionArn);
    if (run && e.status === 'RUNNING') {
      e.status = 'ABORTED';
      if (input.error !== undefined) e.error = input.error;
      if (input.cause !== undefined) e.cause = input.cause;
      run.abort();
      // Its running `.sync` children are stopped with it (see startSync).
      for (const child of this.world.executions) {
        if (child.parentArn === e.executionArn && child.status === 'RUNNING') {
          const sfn = (
            child.region === this.region ? this : this.world.region(child.region).services.sfn
          ) as StepFunctionsSim;
          sfn.stop({
            executionArn: child.executionArn,
            error: 'States.Aborted',
            cause: 'its parent was stopped',
          });
        }
      }
    }
    return { stopDate: new Date(this.world.clock.now()) };
  }
}

/** Task state name → Resource and timeout, across Parallel branches and Map processors (names are unique). */
function collectTasks(definition: Record<string, unknown>): Map<string, TaskSpec> {
  const out = new Map<string, TaskSpec>();
  const visit = (machine: unknown) => {
    const states =
      (machine as { States?: Record<string, Record<string, unknown>> } | undefined)?.States ?? {};
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') {
        if (out.has(name)) throw new Error(`state name ${name} is not unique across the definition`);
        out.set(name, {
          resource: String(state.Resource),
          ...(typeof state.TimeoutSeconds === 'number' ? { timeoutSeconds: state.TimeoutSeconds } : {}),
          ...(typeof state.TimeoutSecondsPath === 'string'
            ? { timeoutSecondsPath: state.TimeoutSecondsPath }
            : {}),
        });
      }
      for (const branch of (state.Branches as unknown[] | undefined) ?? []) visit(branch);
      visit(state.Iterator);
      visit(state.ItemProcessor);
    }
  };
  visit(definition);
  return out;
}

/** A Task's timeout: TimeoutSeconds, or its dotted TimeoutSecondsPath read from the effective input. */
function timeoutOf(spec: TaskSpec, params: Record<string, unknown>): number | undefined {
  if (spec.timeoutSeconds !== undefined) return spec.timeoutSeconds;
  if (spec.timeoutSecondsPath === undefined) return undefined;
  let v: unknown = params;
  for (const key of spec.timeoutSecondsPath
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean))
    v = (v as Record<string, unknown> | undefined)?.[key];
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : undefined;
}
