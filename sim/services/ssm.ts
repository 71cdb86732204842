import type {
  Command,
  CommandInvocation,
  CommandInvocationStatus,
  CommandPluginStatus,
  CommandStatus,
  DescribeInstanceInformationResult,
  GetCommandInvocationResult,
  InstanceInformation,
  ListCommandInvocationsResult,
  SendCommandResult,
} from '@aws-sdk/client-ssm';
import type {
  ApiHandler,
  DocumentEffect,
  DocumentOptions,
  SimContext,
  SimService,
  SsmContract,
} from '../core/contracts';
import { AwsError, NotModelledError } from '../core/errors';
import type { Rng } from '../core/rng';
import { ParameterStore } from './parameters';

/**
 * A command's execution timeout: the document's step `timeoutSeconds`, or, when the step takes it from a
 * parameter (as AWS-RunShellScript's `"timeoutSeconds": "{{ executionTimeout }}"`), that parameter's value as
 * sent, else its default; AWS-RunShellScript's 3600 s when the document says nothing.
 */
function executionTimeoutOf(options: DocumentOptions, parameters: Record<string, string[]>): number {
  const p = options.executionTimeoutParameter;
  if (p !== undefined) {
    const value = Number(parameters[p.name]?.[0] ?? p.default);
    if (Number.isInteger(value) && value > 0) return value;
  }
  return options.executionTimeoutSeconds ?? DEFAULT_EXECUTION_TIMEOUT_S;
}

/** How long Systems Manager takes (ms, seeded within the range). */
export const SSM_TIMING = {
  /** From boot until SSM Agent has registered the instance as a managed node. */
  registration: [20_000, 60_000],
  /** Until a freshly sent command's invocations are visible to GetCommandInvocation (eventual consistency). */
  invocationVisible: [200, 1_500],
  /** For SSM Agent to pick up a command on a reachable managed node. */
  delivery: [500, 3_000],
  /** How often an undelivered command, or a finished one whose node is unreachable, is retried. */
  retry: 5_000,
  /**
   * SSM Agent's health ping; a node that has not pinged for longer shows `ConnectionLost`. (AWS documents
   * `LastPingDateTime` and the statuses, not the interval: an assumption of the twin.)
   */
  ping: 300_000,
  /** How often the twin records agents' pings. */
  pingCheck: 60_000,
} as const;

/** Default `TimeoutSeconds` of SendCommand (delivery timeout: SSM User Guide, *Understanding command timeout values*). */
const DEFAULT_DELIVERY_TIMEOUT_S = 3_600;
/** Default execution timeout of a document step, as in AWS-RunShellScript. */
const DEFAULT_EXECUTION_TIMEOUT_S = 3_600;
/** GetCommandInvocation returns the first 24,000 characters of each stream (SSM API reference). */
const OUTPUT_LIMIT = 24_000;
/** ListCommandInvocations' `CommandPlugins[].Output` holds the first 2,500 characters (SSM API reference). */
const PLUGIN_OUTPUT_LIMIT = 2_500;

interface Document {
  readonly effect: DocumentEffect;
  readonly options: DocumentOptions;
}

interface Agent {
  registeredAt: number | undefined;
  lastPingAt: number | undefined;
}

interface Invocation {
  readonly commandId: string;
  readonly instanceId: string;
  readonly visibleAt: number;
  status: CommandInvocationStatus;
  statusDetails: string;
  responseCode: number;
  startedAt: number | undefined;
  endedAt: number | undefined;
  stdout: string;
  stderr: string;
}

interface SentCommand {
  readonly id: string;
  readonly documentName: string;
  readonly comment: string | undefined;
  readonly parameters: Record<string, string[]>;
  readonly instanceIds: string[];
  readonly requestedAt: number;
  readonly timeoutSeconds: number;
  readonly executionTimeoutSeconds: number;
  readonly invocations: Invocation[];
}

function uuid(rng: Rng): string {
  const h = rng.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[rng.int(0, 3)]}${h.slice(17, 20)}-${h.slice(20)}`;
}

/**
 * Systems Manager in one region: managed-node registration by SSM Agent, and Run Command with the
 * project's documents (registered by the world's setup through registerProjectDocuments; their effects are
 * modelled in documents.ts). Invocation statuses follow the SSM User Guide, *Understanding command
 * statuses*: Pending until SSM Agent receives the command, InProgress while it runs, then Success, Failed or
 * TimedOut (StatusDetails `DeliveryTimedOut` when the command never reached the agent or no terminal response
 * came back, `ExecutionTimedOut` when it ran past the execution timeout).
 */
export class SsmSim implements SimService, SsmContract {
  readonly service = 'ssm' as const;
  readonly api: Readonly<Record<string, ApiHandler>>;
  private readonly documents = new Map<string, Document>();
  private readonly agents = new Map<string, Agent>();
  private readonly commands = new Map<string, SentCommand>();
  private pingLoop: (() => void) | undefined;
  /** Parameter Store (PutParameter, GetParameter). */
  readonly parameters: ParameterStore;

  constructor(private readonly ctx: SimContext) {
    this.parameters = new ParameterStore(ctx);
    this.api = {
      SendCommand: (input: SendCommandInput) => this.sendCommand(input),
      GetCommandInvocation: (input: { CommandId?: string; InstanceId?: string; PluginName?: string }) =>
        this.getCommandInvocation(input),
      ListCommandInvocations: (input: { CommandId?: string; InstanceId?: string; Details?: boolean }) =>
        this.listCommandInvocations(input),
      DescribeInstanceInformation: (input: DescribeInstanceInformationInput) =>
        this.describeInstanceInformation(input),
      ...this.parameters.api(),
    };
  }

  registerDocument(name: string, effect: DocumentEffect, options: DocumentOptions = {}): void {
    this.documents.set(name, { effect, options });
  }

  isManaged(instanceId: string): boolean {
    const inst = this.ec2.instance(instanceId);
    return (
      this.agents.get(instanceId)?.registeredAt !== undefined &&
      inst !== undefined &&
      inst.state !== 'shutting-down' &&
      inst.state !== 'terminated'
    );
  }

  /**
   * SSM Agent starts with the instance and registers it as a managed node some seconds later, once it can
   * reach the Systems Manager endpoint (never while the instance is unreachable); it keeps retrying.
   */
  agentStarted(instanceId: string, alreadyRegistered = false): void {
    const now = this.ctx.clock.now();
    const agent = this.agents.get(instanceId) ?? { registeredAt: undefined, lastPingAt: undefined };
    this.agents.set(instanceId, agent);
    this.ensurePingLoop();
    if (alreadyRegistered) {
      agent.registeredAt ??= now;
      agent.lastPingAt = now;
      return;
    }
    const attempt = () => {
      const inst = this.ec2.instance(instanceId);
      if (!inst || inst.state === 'shutting-down' || inst.state === 'terminated') return;
      if (!inst.reachable) {
        this.ctx.clock.after(SSM_TIMING.retry, attempt);
        return;
      }
      if (agent.registeredAt === undefined) {
        agent.registeredAt = this.ctx.clock.now();
        this.ctx.timeline.add(this.ctx.region, 'ssm', `${instanceId} registered as a managed node`);
      }
      agent.lastPingAt = this.ctx.clock.now();
    };
    this.ctx.clock.after(this.ctx.rng.between(...SSM_TIMING.registration), attempt);
  }

  // ---------------------------------------------------------------- internals

  private get region() {
    return this.ctx.world.region(this.ctx.region);
  }

  private get ec2() {
    return this.region.ec2;
  }

  private ensurePingLoop(): void {
    this.pingLoop ??= this.ctx.clock.every(SSM_TIMING.pingCheck, () => {
      for (const [id, agent] of this.agents) {
        if (agent.registeredAt !== undefined && this.ec2.instance(id)?.reachable) {
          agent.lastPingAt = this.ctx.clock.now();
        }
      }
    });
  }

  /**
   * Run Command sends "EC2 Command Invocation Status-change Notification" to the region's default event bus
   * each time an invocation's status changes, with the command id, document name, instance id, request time
   * and new status in `detail` and the instance's ARN in `resources` (SSM User Guide, "Amazon EventBridge event
   * examples for Systems Manager", Run Command events:
   * https://docs.aws.amazon.com/systems-manager/latest/userguide/monitoring-systems-manager-event-examples.html).
   * Delivery is best effort (EventBridge event reference, events-ref-ssm): the twin's event faults (lose,
   * duplicate, delay) apply to it.
   */
  private statusChanged(command: SentCommand, inv: Invocation): void {
    this.region.events.emit({
      source: 'aws.ssm',
      detailType: 'EC2 Command Invocation Status-change Notification',
      detail: {
        'command-id': command.id,
        'document-name': command.documentName,
        'instance-id': inv.instanceId,
        'requested-date-time': new Date(command.requestedAt).toISOString(),
        status: inv.status,
      },
      resources: [`arn:aws:ec2:${this.ctx.region}:${this.ctx.world.accountId}:instance/${inv.instanceId}`],
    });
  }

  private pingStatus(agent: Agent): 'Online' | 'ConnectionLost' {
    const last = agent.lastPingAt ?? 0;
    return this.ctx.clock.now() - last > SSM_TIMING.ping ? 'ConnectionLost' : 'Online';
  }

  private run(command: SentCommand, inv: Invocation, doc: Document): void {
    const clock = this.ctx.clock;
    const deliveryDeadline =
      command.requestedAt + (command.timeoutSeconds + command.executionTimeoutSeconds) * 1000;

    const timeOut = (details: 'DeliveryTimedOut' | 'ExecutionTimedOut') => {
      if (isTerminal(inv.status)) return;
      inv.status = 'TimedOut';
      inv.statusDetails = details;
      inv.responseCode = -1;
      inv.endedAt = clock.now();
      this.ctx.timeline.add(
        this.ctx.region,
        'ssm',
        `${command.documentName} on ${inv.instanceId}: TimedOut (${details})`,
        { commandId: command.id },
      );
      this.statusChanged(command, inv);
    };

    const deliver = () => {
      if (isTerminal(inv.status)) return;
      if (clock.now() >= deliveryDeadline) {
        timeOut('DeliveryTimedOut');
        return;
      }
      const inst = this.ec2.instance(inv.instanceId);
      if (!inst?.reachable) {
        clock.after(Math.min(SSM_TIMING.retry, deliveryDeadline - clock.now()), deliver);
        return;
      }
      execute();
    };

    const execute = () => {
      inv.status = 'InProgress';
      inv.statusDetails = 'InProgress';
      inv.startedAt = clock.now();
      this.statusChanged(command, inv);
      const fault = this.ctx.world.faults.takeSsmFault(this.ctx.region, command.documentName, inv.instanceId);
      if (fault === 'Hang') {
        // The agent took the command and the node never answers again: no terminal status ever comes back, so
        // the invocation stays InProgress until the command expires. "If a command expires, it changes status
        // to DeliveryTimedOut for all invocations that have the status InProgress, Pending, or Delayed";
        // ExpiresAfter is the delivery timeout plus the execution timeout from the request (SSM API Reference,
        // `Command`, ExpiresAfter; SSM User Guide, *Understanding command timeout values*).
        clock.after(deliveryDeadline - clock.now(), () => timeOut('DeliveryTimedOut'));
        return;
      }
      const executionDeadline = inv.startedAt + command.executionTimeoutSeconds * 1000;
      // "If the agent isn't running or available on the instance, the command status remains at In Progress
      // until the agent is available again, or until the execution timeout limit is reached."
      clock.after(executionDeadline - clock.now(), () => {
        const inst = this.ec2.instance(inv.instanceId);
        timeOut(inst?.reachable ? 'ExecutionTimedOut' : 'DeliveryTimedOut');
      });

      if (fault === 'TimedOut') return; // the command hangs on the node until the execution timeout
      if (fault === 'Failed') {
        const rng = this.ctx.rng.fork(`${command.id}/${inv.instanceId}`);
        clock.after(rng.between(1_000, 5_000), () =>
          report({
            status: 'Failed',
            stdout: '',
            stderr: 'failed to run commands: exit status 1',
            responseCode: 1,
          }),
        );
        return;
      }
      // A slow run (an injected fault) does its work late. One that outlasts the execution timeout has ended
      // TimedOut meanwhile, "Execution Timed Out: Command execution started on the managed node, but the
      // execution wasn't complete before the execution timeout expired" (SSM API Reference,
      // GetCommandInvocation StatusDetails); the twin takes it that the step was stopped and did nothing.
      const delay = this.ctx.world.faults.takeSsmDelay(this.ctx.region, command.documentName, inv.instanceId);
      if (delay > 0) clock.after(delay, () => (isTerminal(inv.status) ? undefined : runEffect()));
      else runEffect();
    };

    const runEffect = () => {
      const inst = this.ec2.instance(inv.instanceId);
      if (!inst) return;
      doc
        .effect({
          instance: inst,
          parameters: command.parameters,
          region: this.region,
          tls: this.ctx.world.tls ?? 'off',
          clock,
          rng: this.ctx.rng.fork(`${command.id}/${inv.instanceId}`),
          faults: this.ctx.world.faults,
        })
        .then(report, (err: unknown) =>
          report({
            status: 'Failed',
            stdout: '',
            stderr: String((err as Error)?.message ?? err),
            responseCode: 1,
          }),
        );
    };

    const report = (result: Awaited<ReturnType<DocumentEffect>>) => {
      if (isTerminal(inv.status)) return;
      // The agent reports back only when the node can reach Systems Manager again.
      if (!this.ec2.instance(inv.instanceId)?.reachable) {
        clock.after(SSM_TIMING.retry, () => report(result));
        return;
      }
      inv.status = result.status;
      inv.statusDetails = result.status;
      inv.responseCode = result.responseCode ?? (result.status === 'Success' ? 0 : 1);
      inv.stdout = result.stdout;
      inv.stderr = result.stderr ?? '';
      inv.endedAt = clock.now();
      this.ctx.timeline.add(
        this.ctx.region,
        'ssm',
        `${command.documentName} on ${inv.instanceId}: ${result.status}`,
        { commandId: command.id },
      );
      this.statusChanged(command, inv);
    };

    clock.after(this.ctx.rng.between(...SSM_TIMING.delivery), deliver);
  }

  // ---------------------------------------------------------------- API

  /**
   * SendCommand to managed nodes by `InstanceIds` (targets by tag are not modelled). Rejects an unknown
   * document (InvalidDocument), a node that is not managed or is shutting down / terminated
   * (InvalidInstanceId) and parameters the document does not declare, lacks or disallows (InvalidParameters).
   */
  private sendCommand(input: SendCommandInput): SendCommandResult {
    if (input.Targets !== undefined)
      throw new NotModelledError('the twin does not model SendCommand Targets');
    const doc = input.DocumentName === undefined ? undefined : this.documents.get(input.DocumentName);
    if (!doc || input.DocumentName === undefined) {
      throw new AwsError('InvalidDocument', "The specified SSM document doesn't exist.");
    }
    const ids = input.InstanceIds ?? [];
    if (ids.length === 0) {
      throw new AwsError('ValidationException', 'Either InstanceIds or Targets must be specified.');
    }
    const invalid = ids.filter((id) => !this.isManaged(id));
    if (invalid.length > 0) {
      // The message SendCommand returns for such nodes.
      throw new AwsError(
        'InvalidInstanceId',
        `Instances [[${invalid.join(', ')}]] not in a valid state for account ${this.ctx.world.accountId}`,
      );
    }
    const parameters = input.Parameters ?? {};
    validateParameters(doc.options, parameters);
    const timeoutSeconds = input.TimeoutSeconds ?? DEFAULT_DELIVERY_TIMEOUT_S;
    if (timeoutSeconds < 30 || timeoutSeconds > 2_592_000) {
      throw new AwsError('ValidationException', 'TimeoutSeconds must be between 30 and 2592000.');
    }
    const now = this.ctx.clock.now();
    const id = uuid(this.ctx.rng);
    const command: SentCommand = {
      id,
      documentName: input.DocumentName,
      comment: input.Comment,
      parameters: structuredClone(parameters),
      instanceIds: [...ids],
      requestedAt: now,
      timeoutSeconds,
      executionTimeoutSeconds: executionTimeoutOf(doc.options, parameters),
      invocations: ids.map((instanceId) => ({
        commandId: id,
        instanceId,
        visibleAt: now + this.ctx.rng.between(...SSM_TIMING.invocationVisible),
        status: 'Pending',
        statusDetails: 'Pending',
        responseCode: -1,
        startedAt: undefined,
        endedAt: undefined,
        stdout: '',
        stderr: '',
      })),
    };
    this.commands.set(id, command);
    this.ctx.timeline.add(
      this.ctx.region,
      'ssm',
      `SendCommand ${command.documentName} to ${ids.join(', ')}`,
      {
        commandId: id,
      },
    );
    for (const inv of command.invocations) {
      this.statusChanged(command, inv);
      this.run(command, inv, doc);
    }
    return { Command: this.describeCommand(command) };
  }

  private describeCommand(c: SentCommand): Command {
    const invs = c.invocations;
    const count = (s: CommandInvocationStatus) => invs.filter((i) => i.status === s).length;
    const done = invs.filter((i) => isTerminal(i.status)).length;
    const delivered = invs.filter((i) => i.status !== 'Pending').length;
    // Aggregate status with the default MaxErrors of 0 (SSM User Guide, *Understanding command statuses*).
    let status: CommandStatus;
    if (done < invs.length) status = delivered === 0 ? 'Pending' : 'InProgress';
    else if (count('Failed') > 0) status = 'Failed';
    else if (count('TimedOut') > 0) status = 'TimedOut';
    else status = 'Success';
    const out: Command = {
      CommandId: c.id,
      DocumentName: c.documentName,
      DocumentVersion: '$DEFAULT',
      Parameters: structuredClone(c.parameters),
      InstanceIds: [...c.instanceIds],
      Targets: [],
      RequestedDateTime: new Date(c.requestedAt),
      ExpiresAfter: new Date(c.requestedAt + (c.timeoutSeconds + c.executionTimeoutSeconds) * 1000),
      Status: status,
      StatusDetails: status,
      MaxConcurrency: '50',
      MaxErrors: '0',
      TargetCount: invs.length,
      CompletedCount: done,
      ErrorCount: count('Failed') + count('TimedOut'),
      DeliveryTimedOutCount: invs.filter((i) => i.statusDetails === 'DeliveryTimedOut').length,
      TimeoutSeconds: c.timeoutSeconds,
    };
    if (c.comment !== undefined) out.Comment = c.comment;
    return out;
  }

  private findInvocation(commandId: string | undefined, instanceId: string | undefined): Invocation {
    const inv = this.commands
      .get(commandId ?? '')
      ?.invocations.find((i) => i.instanceId === instanceId && i.visibleAt <= this.ctx.clock.now());
    if (!inv) {
      throw new AwsError(
        'InvocationDoesNotExist',
        "The command ID and managed node ID you specified didn't match any invocations. Verify the command ID and the managed node ID and try again.",
      );
    }
    return inv;
  }

  private getCommandInvocation(input: {
    CommandId?: string;
    InstanceId?: string;
    PluginName?: string;
  }): GetCommandInvocationResult {
    const inv = this.findInvocation(input.CommandId, input.InstanceId);
    const command = this.commands.get(inv.commandId);
    if (!command) throw new Error('invocation without a command');
    if (input.PluginName !== undefined && input.PluginName !== PLUGIN_NAME) {
      throw new AwsError('InvalidPluginName', "The plugin name isn't valid.");
    }
    const out: GetCommandInvocationResult = {
      CommandId: command.id,
      InstanceId: inv.instanceId,
      Comment: command.comment ?? '',
      DocumentName: command.documentName,
      DocumentVersion: '$DEFAULT',
      PluginName: PLUGIN_NAME,
      ResponseCode: inv.responseCode,
      ExecutionStartDateTime: inv.startedAt === undefined ? '' : new Date(inv.startedAt).toISOString(),
      ExecutionElapsedTime:
        inv.startedAt === undefined
          ? ''
          : `PT${((inv.endedAt ?? this.ctx.clock.now()) - inv.startedAt) / 1000}S`,
      ExecutionEndDateTime: inv.endedAt === undefined ? '' : new Date(inv.endedAt).toISOString(),
      Status: inv.status,
      StatusDetails: inv.statusDetails,
      StandardOutputContent: inv.stdout.slice(0, OUTPUT_LIMIT),
      StandardOutputUrl: '',
      StandardErrorContent: inv.stderr.slice(0, OUTPUT_LIMIT),
      StandardErrorUrl: '',
      CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
    };
    return out;
  }

  private listCommandInvocations(input: {
    CommandId?: string;
    InstanceId?: string;
    Details?: boolean;
  }): ListCommandInvocationsResult {
    const now = this.ctx.clock.now();
    const out: CommandInvocation[] = [];
    for (const command of this.commands.values()) {
      if (input.CommandId !== undefined && command.id !== input.CommandId) continue;
      for (const inv of command.invocations) {
        if (inv.visibleAt > now) continue;
        if (input.InstanceId !== undefined && inv.instanceId !== input.InstanceId) continue;
        const item: CommandInvocation = {
          CommandId: command.id,
          InstanceId: inv.instanceId,
          InstanceName: '',
          Comment: command.comment ?? '',
          DocumentName: command.documentName,
          DocumentVersion: '$DEFAULT',
          RequestedDateTime: new Date(command.requestedAt),
          Status: inv.status,
          StatusDetails: inv.statusDetails,
          StandardOutputUrl: '',
          StandardErrorUrl: '',
          CommandPlugins: [],
        };
        if (input.Details) {
          item.CommandPlugins = [
            {
              Name: PLUGIN_NAME,
              // The twin's invocations never take the statuses plugins lack (Delayed, Cancelling).
              Status: inv.status as CommandPluginStatus,
              StatusDetails: inv.statusDetails,
              ResponseCode: inv.responseCode,
              ...(inv.startedAt !== undefined ? { ResponseStartDateTime: new Date(inv.startedAt) } : {}),
              ...(inv.endedAt !== undefined ? { ResponseFinishDateTime: new Date(inv.endedAt) } : {}),
              Output: (inv.stdout + (inv.stderr ? `\n----------ERROR-------\n${inv.stderr}` : '')).slice(
                0,
                PLUGIN_OUTPUT_LIMIT,
              ),
              StandardOutputUrl: '',
              StandardErrorUrl: '',
            },
          ];
        }
        out.push(item);
      }
    }
    return { CommandInvocations: out };
  }

  /** DescribeInstanceInformation, filtered by `InstanceIds` or `PingStatus` (either filter syntax). */
  private describeInstanceInformation(
    input: DescribeInstanceInformationInput,
  ): DescribeInstanceInformationResult {
    const filters = new Map<string, string[]>();
    for (const f of input.Filters ?? []) filters.set(f.Key ?? '', f.Values ?? []);
    for (const f of input.InstanceInformationFilterList ?? []) filters.set(f.key ?? '', f.valueSet ?? []);
    for (const key of filters.keys()) {
      if (key !== 'InstanceIds' && key !== 'PingStatus') {
        throw new NotModelledError(`the twin does not model the DescribeInstanceInformation filter ${key}`);
      }
    }
    const list: InstanceInformation[] = [];
    for (const [id, agent] of this.agents) {
      if (agent.registeredAt === undefined || !this.isManaged(id)) continue;
      const pingStatus = this.pingStatus(agent);
      if (filters.has('InstanceIds') && !filters.get('InstanceIds')?.includes(id)) continue;
      if (filters.has('PingStatus') && !filters.get('PingStatus')?.includes(pingStatus)) continue;
      const inst = this.ec2.instance(id);
      list.push({
        InstanceId: id,
        PingStatus: pingStatus,
        ...(agent.lastPingAt !== undefined ? { LastPingDateTime: new Date(agent.lastPingAt) } : {}),
        PlatformType: 'Linux',
        ResourceType: 'EC2Instance',
        ...(inst ? { IPAddress: inst.privateIp } : {}),
      });
    }
    return { InstanceInformationList: list };
  }
}

type SendCommandInput = {
  DocumentName?: string;
  InstanceIds?: string[];
  Targets?: unknown;
  Parameters?: Record<string, string[]>;
  TimeoutSeconds?: number;
  Comment?: string;
};

type DescribeInstanceInformationInput = {
  Filters?: { Key?: string; Values?: string[] }[];
  InstanceInformationFilterList?: { key?: string; valueSet?: string[] }[];
};

function isTerminal(status: CommandInvocationStatus): boolean {
  return status === 'Success' || status === 'Failed' || status === 'TimedOut' || status === 'Cancelled';
}

/** The project's documents run one `aws:runShellScript` step each. */
const PLUGIN_NAME = 'aws:runShellScript';

function validateParameters(options: DocumentOptions, parameters: Record<string, string[]>): void {
  const declared = options.parameters;
  if (!declared) return;
  for (const name of Object.keys(parameters)) {
    if (!(name in declared)) {
      throw new AwsError('InvalidParameters', `Parameter "${name}" is not defined in the document.`);
    }
  }
  for (const [name, spec] of Object.entries(declared)) {
    const values = parameters[name];
    if (spec.required && (!values || values.length === 0 || values.every((v) => v === ''))) {
      throw new AwsError('InvalidParameters', `Parameter "${name}" is required.`);
    }
    const allowed = spec.allowedValues;
    if (allowed && values) {
      const bad = values.find((v) => !allowed.includes(v));
      if (bad !== undefined) {
        throw new AwsError(
          'InvalidParameters',
          `Parameter "${name}" has value "${bad}" not in the allowed values [${allowed.join(', ')}].`,
        );
      }
    }
  }
}
