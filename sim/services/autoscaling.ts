/**
 * Amazon EC2 Auto Scaling in one region. Sources (Amazon EC2 Auto Scaling User Guide unless noted):
 * - *Amazon EC2 Auto Scaling instance lifecycle*: Pending → InService; the instance is registered with the
 *   group's load balancer target groups before it is marked InService; on scale in the instance is
 *   deregistered from the load balancer "before running lifecycle hooks", and (*How lifecycle hooks work*)
 *   waits for connection draining before Terminating:Wait.
 * - *Lifecycle hooks*: Pending:Wait / Terminating:Wait; HeartbeatTimeout 30–7200 s (default 3600);
 *   RecordLifecycleActionHeartbeat "extends the timeout period by the timeout value specified when you
 *   created the lifecycle hook"; "the maximum amount of time that you can keep an instance in a wait state is
 *   48 hours or 100 times the heartbeat timeout, whichever is smaller"; on launch CONTINUE puts the instance
 *   into service and ABANDON terminates it; "if the instance is terminating, both ABANDON and CONTINUE allow
 *   the instance to terminate. However, ABANDON stops any remaining actions, such as other lifecycle hooks".
 *   Hooks apply to every launch and termination "except when you attach or detach instances, move instances
 *   in and out of standby mode, or delete the group with the force delete option" (*Lifecycle hook
 *   availability*).
 * - Event reference: `EC2 Instance-launch Lifecycle Action` / `EC2 Instance-terminate Lifecycle Action`,
 *   detail LifecycleActionToken, AutoScalingGroupName, LifecycleHookName, EC2InstanceId, LifecycleTransition,
 *   NotificationMetadata, Origin and Destination; events are produced on a best-effort basis.
 * - *Health checks for Auto Scaling instances*: any EC2 state other than running is an immediate failure
 *   (also during the grace period); impaired status checks are tolerated for a few minutes; with ELB health
 *   checks a target the load balancer reports unhealthy is marked unhealthy "on its next periodic health
 *   check"; the grace period starts when the instance enters InService; unhealthy instances are terminated
 *   and replaced; SetInstanceHealth respects the grace period by default.
 * - *Suspend and resume processes*: Launch, Terminate, AddToLoadBalancer, AlarmNotification, AZRebalance,
 *   HealthCheck, InstanceRefresh, ReplaceUnhealthy, ScheduledActions and what suspending each stops.
 * - *Attach EC2 instances* / *Detach EC2 instances* and the AttachInstances / DetachInstances API reference:
 *   capacity rules and the conditions on attached instances.
 */
import type {
  Activity,
  AutoScalingGroup,
  AutoScalingInstanceDetails,
  LifecycleHook,
} from '@aws-sdk/client-auto-scaling';
import type {
  ApiHandler,
  AutoScalingContract,
  GroupSpec,
  HookSpec,
  LifecycleState,
  SimContext,
  SimInstance,
  SimService,
} from '../core/contracts';
import { AwsError, NotModelledError, validation } from '../core/errors';
import type { Rng } from '../core/rng';

export const PROCESSES = [
  'Launch',
  'Terminate',
  'AddToLoadBalancer',
  'AlarmNotification',
  'AZRebalance',
  'HealthCheck',
  'InstanceRefresh',
  'ReplaceUnhealthy',
  'ScheduledActions',
] as const;
export type ScalingProcess = (typeof PROCESSES)[number];

/** Timings (ms) AWS does not publish exactly: the twin's assumptions. */
export const ASG_TIMING = {
  /** Between launching an instance and putting it into Pending:Wait. */
  hookStart: [1_000, 5_000],
  /** Auto Scaling's periodic health check. */
  healthCheckInterval: 30_000,
  /** "Waits a few minutes for AWS to fix the issue" before acting on impaired status checks. */
  impairedTolerance: 180_000,
  /** How often Auto Scaling looks whether a deregistered target has finished draining. */
  drainPoll: 5_000,
  /** The longest deregistration delay ELB allows (3600 s), after which Auto Scaling stops waiting. */
  drainMax: 3_600_000,
} as const;

const GLOBAL_TIMEOUT_MAX_S = 172_800;
const LAUNCH = 'autoscaling:EC2_INSTANCE_LAUNCHING';
const TERMINATE = 'autoscaling:EC2_INSTANCE_TERMINATING';
type Transition = typeof LAUNCH | typeof TERMINATE;
type Result = 'CONTINUE' | 'ABANDON';

/** States whose instances count toward the desired capacity. */
const IN_CAPACITY: readonly LifecycleState[] = ['Pending', 'Pending:Wait', 'Pending:Proceed', 'InService'];

interface Hook {
  readonly name: string;
  readonly transition: Transition;
  readonly heartbeatTimeoutSeconds: number;
  readonly globalTimeoutSeconds: number;
  readonly defaultResult: Result;
  readonly notificationMetadata: string | undefined;
}

interface Action {
  readonly token: string;
  readonly hook: Hook;
  readonly instanceId: string;
  readonly startedAt: number;
  deadline: number;
  readonly globalDeadline: number;
  cancelTimer: () => void;
}

interface Member {
  readonly id: string;
  readonly az: string;
  state: LifecycleState;
  health: 'Healthy' | 'Unhealthy';
  healthCause: string | undefined;
  /** When the instance entered InService (the health check grace period starts then). */
  inServiceAt: number | undefined;
  /** Registered with the group's target groups by Auto Scaling. */
  registered: boolean;
  actions: Action[];
  /** Launch hooks existed when it launched: it waits in Pending for Pending:Wait. */
  awaitsLaunchHooks: boolean;
  impairedSince: number | undefined;
  /** SetInstanceHealth Unhealthy received during the grace period, applied when it ends. */
  deferredUnhealthy: boolean;
  /** Not running any more, or marked by SetInstanceHealth: replaced at once, outside the 10 % budget. */
  replaceAtOnce: boolean;
  terminationCause: string | undefined;
}

interface Group {
  readonly name: string;
  readonly arn: string;
  readonly createdAt: number;
  readonly azs: readonly string[];
  readonly targetGroupArns: readonly string[];
  readonly role: 'primary' | 'member';
  readonly bootstrap: 'none' | 'user-data';
  min: number;
  max: number;
  desired: number;
  healthCheckType: 'EC2' | 'ELB';
  healthCheckGracePeriodSeconds: number;
  readonly suspended: Map<string, string>;
  readonly hooks: Map<string, Hook>;
  readonly members: Map<string, Member>;
  reconcileScheduled: boolean;
  /** The extra instance an AZ rebalance launched, until it is in service. */
  rebalancing: string | undefined;
  /** Launches are failing for want of an available AZ (logged once). */
  launchBlocked: boolean;
}

function uuid(rng: Rng): string {
  const h = rng.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[rng.int(0, 3)]}${h.slice(17, 20)}-${h.slice(20)}`;
}

const isoSeconds = (at: number) => `${new Date(at).toISOString().slice(0, 19)}Z`;

const groupNotFound = (name: string | undefined) =>
  validation(`AutoScalingGroup name not found - AutoScalingGroup '${name ?? ''}' not found`);

/** The wording Auto Scaling uses when a desired capacity falls outside the group's bounds. */
const capacityError = (desired: number, min: number, max: number) =>
  validation(`Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`);

const minSizeConstraint = (min: number, verb: 'Terminating' | 'Detaching') =>
  validation(
    `Currently, desiredSize equals minSize (${min}). ${verb} instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`,
  );

export class AutoScalingSim implements SimService, AutoScalingContract {
  readonly service = 'autoscaling' as const;
  readonly api: Readonly<Record<string, ApiHandler>>;
  private readonly groups = new Map<string, Group>();
  private healthLoop: (() => void) | undefined;
  private listening = false;

  constructor(private readonly ctx: SimContext) {
    this.api = {
      DescribeAutoScalingGroups: (i: { AutoScalingGroupNames?: string[]; Filters?: unknown }) =>
        this.describeAutoScalingGroups(i),
      DescribeAutoScalingInstances: (i: { InstanceIds?: string[] }) => this.describeAutoScalingInstances(i),
      DescribeLifecycleHooks: (i: { AutoScalingGroupName?: string; LifecycleHookNames?: string[] }) =>
        this.describeLifecycleHooks(i),
      PutLifecycleHook: (i: PutLifecycleHookInput) => this.putLifecycleHookApi(i),
      CompleteLifecycleAction: (i: LifecycleActionInput & { LifecycleActionResult?: string }) =>
        this.completeLifecycleAction(i),
      RecordLifecycleActionHeartbeat: (i: LifecycleActionInput) => this.recordLifecycleActionHeartbeat(i),
      SetInstanceHealth: (i: {
        InstanceId?: string;
        HealthStatus?: string;
        ShouldRespectGracePeriod?: boolean;
      }) => this.setInstanceHealth(i),
      SuspendProcesses: (i: { AutoScalingGroupName?: string; ScalingProcesses?: string[] }) =>
        this.suspendProcesses(i),
      ResumeProcesses: (i: { AutoScalingGroupName?: string; ScalingProcesses?: string[] }) =>
        this.resumeProcesses(i),
      AttachInstances: (i: { AutoScalingGroupName?: string; InstanceIds?: string[] }) =>
        this.attachInstances(i),
      DetachInstances: (i: {
        AutoScalingGroupName?: string;
        InstanceIds?: string[];
        ShouldDecrementDesiredCapacity?: boolean;
      }) => this.detachInstances(i),
      SetDesiredCapacity: (i: {
        AutoScalingGroupName?: string;
        DesiredCapacity?: number;
        HonorCooldown?: boolean;
      }) => this.setDesiredCapacity(i),
      UpdateAutoScalingGroup: (i: Record<string, unknown>) => this.updateAutoScalingGroup(i),
      TerminateInstanceInAutoScalingGroup: (i: {
        InstanceId?: string;
        ShouldDecrementDesiredCapacity?: boolean;
      }) => this.terminateInstanceInAutoScalingGroup(i),
    };
  }

  // ---------------------------------------------------------------- contract

  /**
   * Creates a group with its initial `desired` instances already configured and in service (the world's
   * seed cluster), balanced across its AZs and registered with its target groups.
   */
  createGroup(spec: GroupSpec): void {
    if (this.groups.has(spec.name)) {
      throw new AwsError(
        'AlreadyExists',
        `AutoScalingGroup by this name already exists - A group with the name ${spec.name} already exists`,
      );
    }
    if (spec.min > spec.max)
      throw validation(`Max bound, ${spec.max}, must be greater than or equal to min bound, ${spec.min}`);
    if (spec.desired < spec.min || spec.desired > spec.max)
      throw capacityError(spec.desired, spec.min, spec.max);
    const now = this.ctx.clock.now();
    const group: Group = {
      name: spec.name,
      arn: `arn:aws:autoscaling:${this.ctx.region}:${this.ctx.world.accountId}:autoScalingGroup:${uuid(this.ctx.rng)}:autoScalingGroupName/${spec.name}`,
      createdAt: now,
      azs: [...spec.azs],
      targetGroupArns: [...spec.targetGroupArns],
      role: spec.role,
      bootstrap: spec.bootstrap,
      min: spec.min,
      max: spec.max,
      desired: spec.desired,
      healthCheckType: spec.healthCheckType,
      healthCheckGracePeriodSeconds: spec.healthCheckGracePeriodSeconds,
      suspended: new Map(),
      hooks: new Map(),
      members: new Map(),
      reconcileScheduled: false,
      rebalancing: undefined,
      launchBlocked: false,
    };
    this.groups.set(spec.name, group);
    this.listen();
    for (let i = 0; i < spec.desired; i++) {
      const az = this.launchAz(group);
      if (!az) break;
      const inst = this.ec2.launch({
        az,
        launchedBy: group.name,
        role: group.role,
        bootstrap: 'running',
        tags: { 'aws:autoscaling:groupName': group.name },
      });
      const member = this.newMember(inst, false);
      member.state = 'InService';
      // The seed instances have served long past their grace period.
      member.inServiceAt = now - group.healthCheckGracePeriodSeconds * 1000;
      group.members.set(inst.id, member);
      this.register(group, member);
    }
    this.log(`group ${group.name} created: ${group.members.size} instance(s) in service`);
    this.ensureHealthLoop();
  }

  putLifecycleHook(spec: HookSpec): void {
    this.addHook(this.group(spec.groupName), {
      name: spec.name,
      transition: spec.transition,
      heartbeatTimeoutSeconds: spec.heartbeatTimeoutSeconds,
      defaultResult: spec.defaultResult,
      notificationMetadata: undefined,
    });
  }

  membership(instanceId: string): { group: string; state: LifecycleState } | undefined {
    for (const g of this.groups.values()) {
      const m = g.members.get(instanceId);
      if (m) return { group: g.name, state: m.state };
    }
    return undefined;
  }

  groupInstances(group: string): { id: string; state: LifecycleState; health: 'Healthy' | 'Unhealthy' }[] {
    const g = this.groups.get(group);
    return g ? [...g.members.values()].map((m) => ({ id: m.id, state: m.state, health: m.health })) : [];
  }

  /** Whether a scaling process is suspended on the group. */
  isSuspended(group: string, process: string): boolean {
    return this.groups.get(group)?.suspended.has(process) ?? false;
  }

  pendingLifecycleActions(): {
    group: string;
    instanceId: string;
    token: string;
    hook: string;
    deadline: number;
  }[] {
    return [...this.groups.values()].flatMap((g) =>
      [...g.members.values()].flatMap((m) =>
        m.actions.map((a) => ({
          group: g.name,
          instanceId: a.instanceId,
          token: a.token,
          hook: a.hook.name,
          deadline: Math.min(a.deadline, a.globalDeadline),
        })),
      ),
    );
  }

  describeGroup(
    name: string,
  ): { name: string; min: number; max: number; desired: number; suspendedProcesses: string[] } | undefined {
    const g = this.groups.get(name);
    return (
      g && {
        name: g.name,
        min: g.min,
        max: g.max,
        desired: g.desired,
        suspendedProcesses: [...g.suspended.keys()],
      }
    );
  }

  // ---------------------------------------------------------------- internals: plumbing

  private get regionServices() {
    return this.ctx.world.region(this.ctx.region);
  }

  private get ec2() {
    return this.regionServices.ec2;
  }

  private log(message: string, data?: Record<string, unknown>): void {
    this.ctx.timeline.add(this.ctx.region, 'asg', message, data);
  }

  private group(name: string | undefined): Group {
    const g = name === undefined ? undefined : this.groups.get(name);
    if (!g) throw groupNotFound(name);
    return g;
  }

  private findMember(instanceId: string | undefined): { group: Group; member: Member } | undefined {
    if (instanceId === undefined) return undefined;
    for (const group of this.groups.values()) {
      const member = group.members.get(instanceId);
      if (member) return { group, member };
    }
    return undefined;
  }

  private suspended(group: Group, process: ScalingProcess): boolean {
    return group.suspended.has(process);
  }

  private newMember(inst: SimInstance, awaitsLaunchHooks: boolean): Member {
    return {
      id: inst.id,
      az: inst.az,
      state: 'Pending',
      health: 'Healthy',
      healthCause: undefined,
      inServiceAt: undefined,
      registered: false,
      actions: [],
      awaitsLaunchHooks,
      impairedSince: undefined,
      deferredUnhealthy: false,
      replaceAtOnce: false,
      terminationCause: undefined,
    };
  }

  private addHook(group: Group, spec: Omit<Hook, 'globalTimeoutSeconds'>): void {
    if (spec.heartbeatTimeoutSeconds < 30 || spec.heartbeatTimeoutSeconds > 7200) {
      throw validation(
        `HeartbeatTimeout must be between 30 and 7200 seconds (got ${spec.heartbeatTimeoutSeconds})`,
      );
    }
    group.hooks.set(spec.name, {
      ...spec,
      globalTimeoutSeconds: Math.min(GLOBAL_TIMEOUT_MAX_S, 100 * spec.heartbeatTimeoutSeconds),
    });
  }

  /** Auto Scaling follows its instances' EC2 states. */
  private listen(): void {
    if (this.listening) return;
    this.listening = true;
    this.ec2.onStateChange((inst) => {
      const found = this.findMember(inst.id);
      if (!found) return;
      const { group, member } = found;
      const gone = inst.state !== 'pending' && inst.state !== 'running';
      if (
        inst.state === 'running' &&
        (member.state === 'Pending:Proceed' || (member.state === 'Pending' && !member.awaitsLaunchHooks))
      ) {
        this.ctx.clock.after(0, () => this.putInService(group, member));
      } else if (gone && member.state === 'InService') {
        // "If Amazon EC2 Auto Scaling detects that an instance is no longer in the running state, this
        // situation is treated as an immediate failure" — also during the grace period.
        this.ctx.clock.after(0, () => this.checkGroupHealth(group));
      } else if (
        gone &&
        (member.state === 'Pending' || member.state === 'Pending:Proceed') &&
        member.actions.length === 0
      ) {
        this.ctx.clock.after(0, () =>
          this.beginTermination(
            group,
            member,
            'an instance was taken out of service because it is no longer running',
          ),
        );
      }
      // An instance in a wait state stays there until its lifecycle action completes or times out.
      if (inst.state === 'terminated' && member.actions.length === 0 && member.state !== 'Detaching') {
        this.remove(group, member);
      }
    });
  }

  private remove(group: Group, member: Member): void {
    if (group.members.get(member.id) !== member) return;
    member.state = 'Terminated';
    group.members.delete(member.id);
    this.log(`${member.id} terminated and removed from ${group.name}`);
    this.scheduleReconcile(group);
  }

  private ensureHealthLoop(): void {
    this.healthLoop ??= this.ctx.clock.every(ASG_TIMING.healthCheckInterval, () => {
      for (const group of this.groups.values()) this.checkGroupHealth(group);
    });
  }

  /** While its region is lost, Auto Scaling there does nothing (its own control plane is down too). */
  private get regionDown(): boolean {
    return this.ctx.world.faults.isRegionDown(this.ctx.region);
  }

  private scheduleReconcile(group: Group): void {
    if (group.reconcileScheduled) return;
    group.reconcileScheduled = true;
    this.ctx.clock.after(0, () => {
      group.reconcileScheduled = false;
      this.reconcile(group);
    });
  }

  // ---------------------------------------------------------------- capacity

  private inCapacity(group: Group): Member[] {
    return [...group.members.values()].filter((m) => IN_CAPACITY.includes(m.state));
  }

  /** The group's AZ with the fewest instances among those not lost (ties: the group's AZ order). */
  private launchAz(group: Group, counted: Member[] = this.inCapacity(group)): string | undefined {
    let best: string | undefined;
    let bestCount = Number.POSITIVE_INFINITY;
    for (const az of group.azs) {
      if (this.ctx.world.faults.isAzDown(this.ctx.region, az)) continue;
      const n = counted.filter((m) => m.az === az).length;
      if (n < bestCount) {
        best = az;
        bestCount = n;
      }
    }
    return best;
  }

  /** Launches or terminates instances until the group holds its desired capacity. */
  private reconcile(group: Group): void {
    if (this.regionDown) return;
    const active = this.inCapacity(group);
    const target = group.desired + (group.rebalancing ? 1 : 0);
    if (active.length < target && !this.suspended(group, 'Launch')) {
      for (let n = active.length; n < target; n++) {
        if (
          !this.launch(
            group,
            'an instance was started in response to a difference between desired and actual capacity',
          )
        )
          break;
      }
    } else if (active.length > target && !this.suspended(group, 'Terminate')) {
      for (let n = active.length; n > target; n--) this.scaleIn(group);
    }
  }

  private launch(group: Group, cause: string, az?: string): Member | undefined {
    const where = az ?? this.launchAz(group);
    if (!where) {
      if (!group.launchBlocked) {
        this.log(`${group.name}: launch failed: no Availability Zone of the group is available; retrying`);
      }
      group.launchBlocked = true;
      return undefined;
    }
    group.launchBlocked = false;
    const launchHooks = [...group.hooks.values()].filter((h) => h.transition === LAUNCH);
    const inst = this.ec2.launch({
      az: where,
      launchedBy: group.name,
      role: group.role,
      bootstrap: group.bootstrap,
      tags: { 'aws:autoscaling:groupName': group.name },
    });
    const member = this.newMember(inst, launchHooks.length > 0);
    group.members.set(inst.id, member);
    this.log(`${group.name}: launching ${inst.id} in ${where}: ${cause}`);
    if (launchHooks.length > 0) {
      this.ctx.clock.after(this.ctx.rng.between(...ASG_TIMING.hookStart), () => {
        if (member.state === 'Pending' && group.members.get(member.id) === member) {
          this.startActions(group, member, launchHooks, 'Pending:Wait');
        }
      });
    }
    return member;
  }

  /** Default termination policy: from the AZ with the most instances; within it, at random. */
  private scaleIn(group: Group): void {
    const active = this.inCapacity(group);
    const counts = new Map<string, number>();
    for (const m of active) counts.set(m.az, (counts.get(m.az) ?? 0) + 1);
    const most = Math.max(...counts.values());
    const candidates = active.filter((m) => counts.get(m.az) === most);
    if (candidates.length === 0) return;
    const victim = this.ctx.rng.pick(candidates);
    this.beginTermination(
      group,
      victim,
      'an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity',
    );
  }

  // ---------------------------------------------------------------- lifecycle actions

  private startActions(
    group: Group,
    member: Member,
    hooks: Hook[],
    state: 'Pending:Wait' | 'Terminating:Wait',
  ): void {
    member.state = state;
    const now = this.ctx.clock.now();
    for (const hook of hooks) {
      const action: Action = {
        token: uuid(this.ctx.rng),
        hook,
        instanceId: member.id,
        startedAt: now,
        deadline: now + hook.heartbeatTimeoutSeconds * 1000,
        globalDeadline: now + hook.globalTimeoutSeconds * 1000,
        cancelTimer: () => undefined,
      };
      member.actions.push(action);
      this.armTimeout(group, member, action);
      const launch = hook.transition === LAUNCH;
      const detail: Record<string, unknown> = {
        LifecycleActionToken: action.token,
        AutoScalingGroupName: group.name,
        LifecycleHookName: hook.name,
        EC2InstanceId: member.id,
        LifecycleTransition: hook.transition,
      };
      if (hook.notificationMetadata !== undefined) detail.NotificationMetadata = hook.notificationMetadata;
      detail.Origin = launch ? 'EC2' : 'AutoScalingGroup';
      detail.Destination = launch ? 'AutoScalingGroup' : 'EC2';
      this.log(`${group.name}: ${member.id} ${state} (hook ${hook.name})`, { token: action.token });
      this.regionServices.events.emit({
        source: 'aws.autoscaling',
        detailType: launch
          ? 'EC2 Instance-launch Lifecycle Action'
          : 'EC2 Instance-terminate Lifecycle Action',
        detail,
        resources: [group.arn],
      });
    }
  }

  private armTimeout(group: Group, member: Member, action: Action): void {
    action.cancelTimer();
    const at = Math.min(action.deadline, action.globalDeadline);
    action.cancelTimer = this.ctx.clock.after(at - this.ctx.clock.now(), () => {
      if (!member.actions.includes(action)) return;
      const global = at === action.globalDeadline && action.globalDeadline <= action.deadline;
      this.log(
        `${group.name}: lifecycle action timed out for ${member.id} (hook ${action.hook.name}, ${
          global ? 'global timeout' : 'heartbeat timeout'
        }); default result ${action.hook.defaultResult}`,
        { token: action.token, instanceId: member.id, hook: action.hook.name, group: group.name },
      );
      this.finishAction(group, member, action, action.hook.defaultResult);
    });
  }

  private finishAction(group: Group, member: Member, action: Action, result: Result): void {
    action.cancelTimer();
    member.actions = member.actions.filter((a) => a !== action);
    const launching = action.hook.transition === LAUNCH;
    if (result === 'ABANDON') {
      // ABANDON ends the remaining actions too.
      for (const other of member.actions) other.cancelTimer();
      member.actions = [];
      if (launching) {
        this.log(`${group.name}: launch of ${member.id} abandoned (hook ${action.hook.name})`);
        this.beginTermination(
          group,
          member,
          'an instance was taken out of service because a launch lifecycle action was abandoned',
        );
      } else {
        this.proceedTermination(group, member);
      }
      return;
    }
    if (member.actions.length > 0) return;
    if (launching) {
      member.state = 'Pending:Proceed';
      this.putInService(group, member);
    } else {
      this.proceedTermination(group, member);
    }
  }

  private findAction(
    group: Group,
    hookName: string | undefined,
    token: string | undefined,
    instanceId: string | undefined,
  ): {
    member: Member;
    action: Action;
  } {
    if (token === undefined && instanceId === undefined) {
      throw validation('Either LifecycleActionToken or InstanceId must be specified');
    }
    for (const member of group.members.values()) {
      for (const action of member.actions) {
        if (action.hook.name !== hookName) continue;
        if (token !== undefined && action.token !== token) continue;
        if (instanceId !== undefined && action.instanceId !== instanceId) continue;
        return { member, action };
      }
    }
    throw validation(
      token !== undefined
        ? `No active Lifecycle Action found with token ${token}`
        : `No active Lifecycle Action found with instance ID ${instanceId}`,
    );
  }

  // ---------------------------------------------------------------- in service / termination / detach

  private register(group: Group, member: Member): void {
    if (this.suspended(group, 'AddToLoadBalancer')) return;
    for (const tg of group.targetGroupArns) this.regionServices.elbv2.registerTargets(tg, [member.id]);
    member.registered = group.targetGroupArns.length > 0;
  }

  /** Registers with the target groups, then InService (the grace period starts). */
  private putInService(group: Group, member: Member): void {
    if (group.members.get(member.id) !== member) return;
    if (member.state !== 'Pending:Proceed' && !(member.state === 'Pending' && !member.awaitsLaunchHooks))
      return;
    const state = this.ec2.instance(member.id)?.state;
    if (state === 'pending') return; // continues when EC2 reports running
    if (state !== 'running') {
      this.beginTermination(
        group,
        member,
        'an instance was taken out of service because it is no longer running',
      );
      return;
    }
    this.register(group, member);
    member.state = 'InService';
    member.inServiceAt = this.ctx.clock.now();
    this.log(`${group.name}: ${member.id} InService`);
    if (group.rebalancing === member.id) this.finishRebalance(group);
    this.scheduleReconcile(group);
  }

  /** Deregisters (waiting for draining) and runs `then`. */
  private deregisterAndDrain(group: Group, member: Member, then: () => void): void {
    if (!member.registered) {
      then();
      return;
    }
    const elb = this.regionServices.elbv2;
    for (const tg of group.targetGroupArns) elb.deregisterTargets(tg, [member.id]);
    member.registered = false;
    const giveUpAt = this.ctx.clock.now() + ASG_TIMING.drainMax;
    const poll = () => {
      const draining = group.targetGroupArns.some((tg) => elb.targetState(tg, member.id) === 'draining');
      if (!draining || this.ctx.clock.now() >= giveUpAt) {
        then();
        return;
      }
      this.ctx.clock.after(ASG_TIMING.drainPoll, poll);
    };
    poll();
  }

  private beginTermination(group: Group, member: Member, cause: string): void {
    if (!IN_CAPACITY.includes(member.state)) return;
    for (const a of member.actions) a.cancelTimer();
    member.actions = [];
    member.state = 'Terminating';
    member.terminationCause = cause;
    if (group.rebalancing === member.id) group.rebalancing = undefined;
    this.log(`${group.name}: terminating ${member.id}: ${cause}`);
    this.scheduleReconcile(group);
    this.deregisterAndDrain(group, member, () => {
      if (group.members.get(member.id) !== member || member.state !== 'Terminating') return;
      const hooks = [...group.hooks.values()].filter((h) => h.transition === TERMINATE);
      if (hooks.length > 0) this.startActions(group, member, hooks, 'Terminating:Wait');
      else this.proceedTermination(group, member);
    });
  }

  private proceedTermination(group: Group, member: Member): void {
    member.state = 'Terminating:Proceed';
    const inst = this.ec2.instance(member.id);
    if (!inst || inst.state === 'terminated') {
      this.remove(group, member);
      return;
    }
    this.ec2.terminate(member.id, `Auto Scaling: ${member.terminationCause ?? 'terminated'}`);
  }

  // ---------------------------------------------------------------- health, replacement, rebalancing

  private markUnhealthy(group: Group, member: Member, cause: string, immediate = false): void {
    if (member.health === 'Unhealthy') return;
    member.health = 'Unhealthy';
    member.healthCause = cause;
    member.replaceAtOnce = immediate;
    this.log(`${group.name}: ${member.id} marked Unhealthy: ${cause}`);
  }

  private checkGroupHealth(group: Group): void {
    if (this.regionDown) return;
    const now = this.ctx.clock.now();
    const elb = this.regionServices.elbv2;
    for (const member of group.members.values()) {
      if (member.state !== 'InService') continue;
      const inGrace = now < (member.inServiceAt ?? now) + group.healthCheckGracePeriodSeconds * 1000;
      if (member.deferredUnhealthy && !inGrace) {
        member.deferredUnhealthy = false;
        this.markUnhealthy(group, member, 'a user health-check (SetInstanceHealth)', true);
      }
      if (this.suspended(group, 'HealthCheck')) continue;
      if (this.ec2.instance(member.id)?.state !== 'running') {
        this.markUnhealthy(
          group,
          member,
          'an EC2 health check indicating it has been terminated or stopped',
          true,
        );
        continue;
      }
      const status = this.ec2.instanceStatus(member.id);
      if (status === 'impaired') member.impairedSince ??= now;
      else member.impairedSince = undefined;
      if (inGrace) continue;
      if (member.impairedSince !== undefined && now - member.impairedSince >= ASG_TIMING.impairedTolerance) {
        this.markUnhealthy(group, member, 'an EC2 instance status check failure');
      } else if (
        group.healthCheckType === 'ELB' &&
        group.targetGroupArns.some((tg) => elb.targetState(tg, member.id) === 'unhealthy')
      ) {
        this.markUnhealthy(group, member, 'an ELB system health check failure');
      }
    }
    this.replaceUnhealthy(group);
    this.rebalance(group);
    this.reconcile(group);
  }

  /**
   * ReplaceUnhealthy: terminate unhealthy instances; the capacity check launches their replacements.
   * Instances no longer running or marked with SetInstanceHealth go at once; the others (ELB or status-check
   * failures) "up to 10 percent of the group's desired capacity at a time", waiting for the replacements
   * in flight (*How Amazon EC2 Auto Scaling minimizes downtime*).
   */
  private replaceUnhealthy(group: Group): void {
    if (this.suspended(group, 'ReplaceUnhealthy') || this.suspended(group, 'Terminate')) return;
    const inFlight = [...group.members.values()].filter((m) => m.state.startsWith('Pending')).length;
    let budget = Math.max(1, Math.floor(group.desired / 10)) - inFlight;
    for (const member of [...group.members.values()]) {
      if (member.state !== 'InService' || member.health !== 'Unhealthy') continue;
      if (!member.replaceAtOnce) {
        if (budget <= 0) continue;
        budget--;
      }
      this.beginTermination(
        group,
        member,
        `an instance was taken out of service in response to ${member.healthCause}`,
      );
    }
  }

  /**
   * AZRebalance: when the group's AZs (those available) differ by more than one instance, launch in the
   * emptiest first and, once that instance is in service, terminate one in the fullest ("It first calls
   * Launch and then Terminate").
   */
  private rebalance(group: Group): void {
    if (group.rebalancing) return;
    if (
      this.suspended(group, 'AZRebalance') ||
      this.suspended(group, 'Launch') ||
      this.suspended(group, 'Terminate')
    )
      return;
    const members = [...group.members.values()];
    if (members.some((m) => m.state !== 'InService')) return;
    const azs = group.azs.filter((az) => !this.ctx.world.faults.isAzDown(this.ctx.region, az));
    if (azs.length < 2) return;
    const count = (az: string) => members.filter((m) => m.az === az).length;
    const fewest = azs.reduce((a, b) => (count(b) < count(a) ? b : a));
    const most = azs.reduce((a, b) => (count(b) > count(a) ? b : a));
    if (count(most) - count(fewest) <= 1) return;
    const member = this.launch(
      group,
      `an instance was launched to rebalance the group across Availability Zones`,
      fewest,
    );
    if (member) group.rebalancing = member.id;
  }

  private finishRebalance(group: Group): void {
    group.rebalancing = undefined;
    const members = this.inCapacity(group).filter((m) => m.state === 'InService');
    const azs = group.azs.filter((az) => !this.ctx.world.faults.isAzDown(this.ctx.region, az));
    const count = (az: string) => members.filter((m) => m.az === az).length;
    const most = azs.reduce((a, b) => (count(b) > count(a) ? b : a));
    const candidates = members.filter((m) => m.az === most);
    if (candidates.length === 0) return;
    this.beginTermination(
      group,
      this.ctx.rng.pick(candidates),
      'an instance was taken out of service to rebalance the group across Availability Zones',
    );
  }

  // ---------------------------------------------------------------- API

  private describeAutoScalingGroups(input: { AutoScalingGroupNames?: string[]; Filters?: unknown }): {
    AutoScalingGroups: AutoScalingGroup[];
  } {
    if (input.Filters !== undefined) {
      throw new NotModelledError('the twin does not model DescribeAutoScalingGroups Filters');
    }
    const names = input.AutoScalingGroupNames;
    const groups = [...this.groups.values()].filter(
      (g) => !names || names.length === 0 || names.includes(g.name),
    );
    return {
      AutoScalingGroups: groups.map((g) => ({
        AutoScalingGroupName: g.name,
        AutoScalingGroupARN: g.arn,
        MinSize: g.min,
        MaxSize: g.max,
        DesiredCapacity: g.desired,
        DefaultCooldown: 300,
        AvailabilityZones: [...g.azs],
        LoadBalancerNames: [],
        TargetGroupARNs: [...g.targetGroupArns],
        HealthCheckType: g.healthCheckType,
        HealthCheckGracePeriod: g.healthCheckGracePeriodSeconds,
        Instances: [...g.members.values()].map((m) => ({
          InstanceId: m.id,
          AvailabilityZone: m.az,
          LifecycleState: m.state,
          HealthStatus: m.health,
          ProtectedFromScaleIn: false,
        })),
        CreatedTime: new Date(g.createdAt),
        SuspendedProcesses: [...g.suspended].map(([ProcessName, SuspensionReason]) => ({
          ProcessName,
          SuspensionReason,
        })),
        Tags: [],
        TerminationPolicies: ['Default'],
        NewInstancesProtectedFromScaleIn: false,
      })),
    };
  }

  /** DescribeAutoScalingInstances reports health in capitals (HEALTHY/UNHEALTHY), unlike DescribeAutoScalingGroups. */
  private describeAutoScalingInstances(input: { InstanceIds?: string[] }): {
    AutoScalingInstances: AutoScalingInstanceDetails[];
  } {
    const ids = input.InstanceIds;
    const out: AutoScalingInstanceDetails[] = [];
    for (const g of this.groups.values()) {
      for (const m of g.members.values()) {
        if (ids && ids.length > 0 && !ids.includes(m.id)) continue;
        out.push({
          InstanceId: m.id,
          AutoScalingGroupName: g.name,
          AvailabilityZone: m.az,
          LifecycleState: m.state,
          HealthStatus: m.health === 'Healthy' ? 'HEALTHY' : 'UNHEALTHY',
          ProtectedFromScaleIn: false,
        });
      }
    }
    return { AutoScalingInstances: out };
  }

  private describeLifecycleHooks(input: { AutoScalingGroupName?: string; LifecycleHookNames?: string[] }): {
    LifecycleHooks: LifecycleHook[];
  } {
    const g = this.group(input.AutoScalingGroupName);
    const names = input.LifecycleHookNames;
    return {
      LifecycleHooks: [...g.hooks.values()]
        .filter((h) => !names || names.length === 0 || names.includes(h.name))
        .map((h) => ({
          LifecycleHookName: h.name,
          AutoScalingGroupName: g.name,
          LifecycleTransition: h.transition,
          HeartbeatTimeout: h.heartbeatTimeoutSeconds,
          GlobalTimeout: h.globalTimeoutSeconds,
          DefaultResult: h.defaultResult,
          ...(h.notificationMetadata !== undefined ? { NotificationMetadata: h.notificationMetadata } : {}),
        })),
    };
  }

  /** PutLifecycleHook: HeartbeatTimeout defaults to 3600 s and DefaultResult to ABANDON (API reference). */
  private putLifecycleHookApi(input: PutLifecycleHookInput): Record<string, never> {
    const g = this.group(input.AutoScalingGroupName);
    const existing = input.LifecycleHookName === undefined ? undefined : g.hooks.get(input.LifecycleHookName);
    const transition = input.LifecycleTransition ?? existing?.transition;
    if (transition !== LAUNCH && transition !== TERMINATE) {
      throw validation(`Invalid lifecycle transition: ${transition ?? ''}`);
    }
    if (!input.LifecycleHookName || !/^[A-Za-z0-9\-_/]{1,255}$/.test(input.LifecycleHookName)) {
      throw validation(`Invalid lifecycle hook name: ${input.LifecycleHookName ?? ''}`);
    }
    const result = input.DefaultResult ?? existing?.defaultResult ?? 'ABANDON';
    if (result !== 'CONTINUE' && result !== 'ABANDON') throw validation(`Invalid DefaultResult: ${result}`);
    this.addHook(g, {
      name: input.LifecycleHookName,
      transition,
      heartbeatTimeoutSeconds: input.HeartbeatTimeout ?? existing?.heartbeatTimeoutSeconds ?? 3600,
      defaultResult: result,
      notificationMetadata: input.NotificationMetadata ?? existing?.notificationMetadata,
    });
    return {};
  }

  private completeLifecycleAction(
    input: LifecycleActionInput & { LifecycleActionResult?: string },
  ): Record<string, never> {
    const g = this.group(input.AutoScalingGroupName);
    const result = input.LifecycleActionResult;
    if (result !== 'CONTINUE' && result !== 'ABANDON') {
      throw validation(
        `Invalid LifecycleActionResult: ${result ?? ''}. Valid values are CONTINUE and ABANDON`,
      );
    }
    const { member, action } = this.findAction(
      g,
      input.LifecycleHookName,
      input.LifecycleActionToken,
      input.InstanceId,
    );
    this.log(
      `${g.name}: lifecycle action for ${member.id} completed with ${result} (hook ${action.hook.name})`,
      {
        token: action.token,
      },
    );
    this.finishAction(g, member, action, result);
    return {};
  }

  /** Extends the wait by one heartbeat timeout from now, never past the global timeout. */
  private recordLifecycleActionHeartbeat(input: LifecycleActionInput): Record<string, never> {
    const g = this.group(input.AutoScalingGroupName);
    const { member, action } = this.findAction(
      g,
      input.LifecycleHookName,
      input.LifecycleActionToken,
      input.InstanceId,
    );
    action.deadline = Math.min(
      this.ctx.clock.now() + action.hook.heartbeatTimeoutSeconds * 1000,
      action.globalDeadline,
    );
    this.armTimeout(g, member, action);
    // Shown with --verbose only; scenes measure the gaps between heartbeats from these entries.
    this.log(`${g.name}: heartbeat for ${member.id} (hook ${action.hook.name})`, {
      verbose: true,
      heartbeat: true,
      instanceId: member.id,
      hook: action.hook.name,
      token: action.token,
    });
    return {};
  }

  private setInstanceHealth(input: {
    InstanceId?: string;
    HealthStatus?: string;
    ShouldRespectGracePeriod?: boolean;
  }): Record<string, never> {
    const found = this.findMember(input.InstanceId);
    if (!found)
      throw validation(
        `Instance Id not found - No managed instance found for instance ID: ${input.InstanceId ?? ''}`,
      );
    const { group, member } = found;
    if (input.HealthStatus !== 'Healthy' && input.HealthStatus !== 'Unhealthy') {
      throw validation(
        `Invalid health status: ${input.HealthStatus ?? ''}. Valid values are Healthy and Unhealthy`,
      );
    }
    if (input.HealthStatus === 'Healthy') {
      member.deferredUnhealthy = false;
      if (member.state === 'InService') {
        member.health = 'Healthy';
        member.healthCause = undefined;
      }
      return {};
    }
    const now = this.ctx.clock.now();
    const inGrace =
      member.state !== 'InService' ||
      now < (member.inServiceAt ?? now) + group.healthCheckGracePeriodSeconds * 1000;
    if (input.ShouldRespectGracePeriod !== false && inGrace) {
      member.deferredUnhealthy = true;
      return {};
    }
    this.markUnhealthy(group, member, 'a user health-check (SetInstanceHealth)', true);
    // Instances marked unhealthy with SetInstanceHealth are replaced at once (*How Auto Scaling minimizes downtime*).
    this.ctx.clock.after(0, () => {
      this.replaceUnhealthy(group);
      this.reconcile(group);
    });
    return {};
  }

  private processesOf(list: string[] | undefined): ScalingProcess[] {
    if (list === undefined || list.length === 0) return [...PROCESSES];
    for (const p of list) {
      if (!(PROCESSES as readonly string[]).includes(p))
        throw validation(`Invalid scaling process name: ${p}`);
    }
    return list as ScalingProcess[];
  }

  /** SuspendProcesses: all processes when none is named. */
  private suspendProcesses(input: {
    AutoScalingGroupName?: string;
    ScalingProcesses?: string[];
  }): Record<string, never> {
    const g = this.group(input.AutoScalingGroupName);
    for (const p of this.processesOf(input.ScalingProcesses)) {
      if (!g.suspended.has(p)) g.suspended.set(p, `User suspended at ${isoSeconds(this.ctx.clock.now())}`);
    }
    this.log(`${g.name}: suspended ${[...g.suspended.keys()].join(', ')}`);
    return {};
  }

  /** ResumeProcesses: resumed processes act at once (e.g. ReplaceUnhealthy replaces what was marked meanwhile). */
  private resumeProcesses(input: {
    AutoScalingGroupName?: string;
    ScalingProcesses?: string[];
  }): Record<string, never> {
    const g = this.group(input.AutoScalingGroupName);
    const resumed = this.processesOf(input.ScalingProcesses).filter((p) => g.suspended.delete(p));
    if (resumed.length > 0) {
      this.log(`${g.name}: resumed ${resumed.join(', ')}`);
      this.ctx.clock.after(0, () => this.checkGroupHealth(g));
    }
    return {};
  }

  /**
   * AttachInstances: the instances must be running, in one of the group's AZs and in no group; desired
   * capacity grows by their number and the request fails past the maximum; they are registered with the
   * target groups and go into service without launch hooks. Not possible while Launch is suspended.
   */
  private attachInstances(input: {
    AutoScalingGroupName?: string;
    InstanceIds?: string[];
  }): Record<string, never> {
    const g = this.group(input.AutoScalingGroupName);
    const ids = input.InstanceIds ?? [];
    if (ids.length === 0) throw validation('At least one instance ID must be specified.');
    if (ids.length > 20) throw validation('The list of instance IDs to attach exceeds the maximum of 20.');
    if (this.suspended(g, 'Launch')) {
      throw validation(`Cannot attach instances to ${g.name} while the Launch process is suspended.`);
    }
    if (g.desired + ids.length > g.max) throw capacityError(g.desired + ids.length, g.min, g.max);
    const instances = ids.map((id) => {
      const inst = this.ec2.instance(id);
      if (!inst || inst.state === 'terminated') throw validation(`Invalid instance ID: ${id}`);
      if (inst.state !== 'running') throw validation(`Instance ${id} is not in the running state.`);
      if (this.findMember(id)) throw validation(`Instance ${id} is already part of an Auto Scaling group.`);
      if (!g.azs.includes(inst.az)) {
        throw validation(`Instance ${id} is in ${inst.az}, which is not an Availability Zone of ${g.name}.`);
      }
      return inst;
    });
    g.desired += ids.length;
    const now = this.ctx.clock.now();
    for (const inst of instances) {
      const member = this.newMember(inst, false);
      g.members.set(inst.id, member);
      this.register(g, member);
      member.state = 'InService';
      member.inServiceAt = now;
      this.log(`${g.name}: ${inst.id} attached (desired capacity ${g.desired})`);
    }
    this.scheduleReconcile(g);
    return {};
  }

  /**
   * DetachInstances: only InService (or Standby) instances; they are deregistered from the target groups
   * (draining) and leave the group. Without decrementing, replacements launch; decrementing below the
   * minimum fails ("you must decrement the minimum capacity for the group before you can detach").
   */
  private detachInstances(input: {
    AutoScalingGroupName?: string;
    InstanceIds?: string[];
    ShouldDecrementDesiredCapacity?: boolean;
  }): { Activities: Activity[] } {
    const g = this.group(input.AutoScalingGroupName);
    if (typeof input.ShouldDecrementDesiredCapacity !== 'boolean') {
      throw validation(
        "1 validation error detected: Value null at 'shouldDecrementDesiredCapacity' failed to satisfy constraint: Member must not be null",
      );
    }
    const ids = input.InstanceIds ?? [];
    if (ids.length > 20)
      throw validation(
        'List exceeds the maximum number of instances to detach. Please retry your request with fewer instances.',
      );
    const members = ids.map((id) => {
      const m = g.members.get(id);
      if (!m) throw validation(`The instance ${id} is not part of Auto Scaling group ${g.name}.`);
      if (m.state !== 'InService') throw validation(`The instance ${id} is not in InService or Standby.`);
      return m;
    });
    const before = g.desired;
    if (input.ShouldDecrementDesiredCapacity) {
      const after = g.desired - members.length;
      if (after < g.min)
        throw g.desired === g.min
          ? minSizeConstraint(g.min, 'Detaching')
          : capacityError(after, g.min, g.max);
      g.desired = after;
    }
    const now = this.ctx.clock.now();
    const activities = members.map((m): Activity => {
      m.state = 'Detaching';
      this.log(`${g.name}: detaching ${m.id}`);
      this.deregisterAndDrain(g, m, () => {
        m.state = 'Detached';
        g.members.delete(m.id);
        this.log(`${g.name}: ${m.id} detached`);
      });
      return {
        ActivityId: uuid(this.ctx.rng),
        AutoScalingGroupName: g.name,
        Description: `Detaching EC2 instance: ${m.id}`,
        Cause: `At ${isoSeconds(now)} instance ${m.id} was detached in response to a user request${
          input.ShouldDecrementDesiredCapacity
            ? `, shrinking the capacity from ${before} to ${g.desired}`
            : ''
        }.`,
        StartTime: new Date(now),
        StatusCode: 'InProgress',
        Progress: 50,
        Details: JSON.stringify({ 'Availability Zone': m.az }),
      };
    });
    this.scheduleReconcile(g);
    return { Activities: activities };
  }

  private setDesiredCapacity(input: {
    AutoScalingGroupName?: string;
    DesiredCapacity?: number;
  }): Record<string, never> {
    const g = this.group(input.AutoScalingGroupName);
    const d = input.DesiredCapacity;
    if (typeof d !== 'number' || !Number.isInteger(d)) throw validation('DesiredCapacity must be an integer');
    // The messages SetDesiredCapacity returns outside the group's bounds.
    if (d > g.max)
      throw validation(
        `New SetDesiredCapacity value ${d} is above max value ${g.max} for the AutoScalingGroup.`,
      );
    if (d < g.min)
      throw validation(
        `New SetDesiredCapacity value ${d} is below min value ${g.min} for the AutoScalingGroup.`,
      );
    this.log(`${g.name}: desired capacity ${g.desired} → ${d}`);
    g.desired = d;
    this.scheduleReconcile(g);
    return {};
  }

  /**
   * UpdateAutoScalingGroup (sizes and health check settings). "If you specify a new value for MinSize
   * without specifying a value for DesiredCapacity, and the new MinSize is larger than the current size of
   * the group, this sets the group's DesiredCapacity to the new MinSize value"; likewise MaxSize.
   */
  private updateAutoScalingGroup(input: Record<string, unknown>): Record<string, never> {
    const modelled = new Set([
      'AutoScalingGroupName',
      'MinSize',
      'MaxSize',
      'DesiredCapacity',
      'HealthCheckType',
      'HealthCheckGracePeriod',
    ]);
    const other = Object.keys(input).filter((k) => !modelled.has(k) && input[k] !== undefined);
    if (other.length > 0)
      throw new NotModelledError(`the twin does not model UpdateAutoScalingGroup ${other.join(', ')}`);
    const g = this.group(input.AutoScalingGroupName as string | undefined);
    const min = (input.MinSize as number | undefined) ?? g.min;
    const max = (input.MaxSize as number | undefined) ?? g.max;
    let desired = input.DesiredCapacity as number | undefined;
    if (min > max) throw validation(`Max bound, ${max}, must be greater than or equal to min bound, ${min}`);
    if (desired === undefined) desired = Math.min(Math.max(g.desired, min), max);
    if (desired < min || desired > max) throw capacityError(desired, min, max);
    const type = input.HealthCheckType as string | undefined;
    if (type !== undefined && type !== 'EC2' && type !== 'ELB')
      throw validation(`Invalid health check type: ${type}`);
    g.min = min;
    g.max = max;
    g.desired = desired;
    if (type !== undefined) g.healthCheckType = type;
    if (input.HealthCheckGracePeriod !== undefined)
      g.healthCheckGracePeriodSeconds = input.HealthCheckGracePeriod as number;
    this.log(`${g.name}: updated (min ${min}, max ${max}, desired ${desired})`);
    this.scheduleReconcile(g);
    return {};
  }

  /**
   * TerminateInstanceInAutoScalingGroup: without decrementing, a replacement launches; decrementing when
   * desired equals min fails with Auto Scaling's min-size message. Termination runs the terminate hooks.
   */
  private terminateInstanceInAutoScalingGroup(input: {
    InstanceId?: string;
    ShouldDecrementDesiredCapacity?: boolean;
  }): { Activity: Activity } {
    const found = this.findMember(input.InstanceId);
    if (!found) {
      throw validation(
        `Instance Id not found - No managed instance found for instance ID: ${input.InstanceId ?? ''}`,
      );
    }
    if (typeof input.ShouldDecrementDesiredCapacity !== 'boolean') {
      throw validation(
        "1 validation error detected: Value null at 'shouldDecrementDesiredCapacity' failed to satisfy constraint: Member must not be null",
      );
    }
    const { group, member } = found;
    const now = this.ctx.clock.now();
    const before = group.desired;
    const decrement = input.ShouldDecrementDesiredCapacity && IN_CAPACITY.includes(member.state);
    if (decrement) {
      if (group.desired <= group.min) throw minSizeConstraint(group.min, 'Terminating');
      group.desired -= 1;
    }
    const cause = `At ${isoSeconds(now)} instance ${member.id} was taken out of service in response to a user request${
      decrement ? `, shrinking the capacity from ${before} to ${group.desired}` : ''
    }.`;
    this.beginTermination(group, member, 'a user request');
    return {
      Activity: {
        ActivityId: uuid(this.ctx.rng),
        AutoScalingGroupName: group.name,
        Description: `Terminating EC2 instance: ${member.id}`,
        Cause: cause,
        StartTime: new Date(now),
        StatusCode: 'InProgress',
        Progress: 0,
        Details: JSON.stringify({ 'Availability Zone': member.az }),
      },
    };
  }
}

type PutLifecycleHookInput = {
  AutoScalingGroupName?: string;
  LifecycleHookName?: string;
  LifecycleTransition?: string;
  HeartbeatTimeout?: number;
  DefaultResult?: string;
  NotificationMetadata?: string;
};

type LifecycleActionInput = {
  AutoScalingGroupName?: string;
  LifecycleHookName?: string;
  LifecycleActionToken?: string;
  InstanceId?: string;
};
