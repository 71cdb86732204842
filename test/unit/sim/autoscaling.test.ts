import type { BusEvent, GroupSpec } from '../../../sim/core/contracts';
import { NODE_TIMING } from '../../../sim/services/artifactory';
import { ASG_TIMING } from '../../../sim/services/autoscaling';
import { EC2_TIMING } from '../../../sim/services/ec2';
import { apiError, type ComputeWorld, makeWorld, TG } from './compute-harness';

let w: ComputeWorld;

beforeEach(() => {
  w = makeWorld();
  w.clock.install();
});

afterEach(() => {
  w.clock.uninstall();
});

const MEMBERS: GroupSpec = {
  name: 'artifactory-members',
  min: 1,
  max: 4,
  desired: 2,
  azs: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
  targetGroupArns: [TG],
  role: 'member',
  healthCheckType: 'ELB',
  healthCheckGracePeriodSeconds: 300,
  bootstrap: 'none',
};

const PRIMARY: GroupSpec = {
  ...MEMBERS,
  name: 'artifactory-primary',
  min: 1,
  max: 1,
  desired: 1,
  role: 'primary',
};

const asg = () => w.region().autoscaling;
const api = (action: string, input: Record<string, unknown>) => {
  const handler = asg().api[action];
  if (!handler) throw new Error(`${action} is not modelled`);
  return handler(input);
};
const states = (group = MEMBERS.name) =>
  asg()
    .groupInstances(group)
    .map((i) => i.state);
const lifecycleEvents = (type: string): BusEvent[] =>
  w.region().events.emitted.filter((e) => e['detail-type'] === type);

function hook(
  transition: 'LAUNCHING' | 'TERMINATING',
  heartbeat = 600,
  defaultResult: 'CONTINUE' | 'ABANDON' = 'ABANDON',
) {
  asg().putLifecycleHook({
    groupName: MEMBERS.name,
    name: transition === 'LAUNCHING' ? 'bootstrap' : 'drain',
    transition: `autoscaling:EC2_INSTANCE_${transition}`,
    heartbeatTimeoutSeconds: heartbeat,
    defaultResult,
  });
}

describe('groups', () => {
  it('creates the initial instances in service, balanced across AZs, registered, primary in the primary group', () => {
    asg().createGroup(PRIMARY);
    asg().createGroup(MEMBERS);
    const members = asg().groupInstances(MEMBERS.name);
    expect(members.map((m) => [m.state, m.health])).toEqual([
      ['InService', 'Healthy'],
      ['InService', 'Healthy'],
    ]);
    const ec2 = w.region().ec2;
    expect(members.map((m) => ec2.instance(m.id)?.az)).toEqual(['eu-west-1a', 'eu-west-1b']);
    const [primary] = asg().groupInstances(PRIMARY.name);
    expect(primary && ec2.instance(primary.id)?.node.isPrimary()).toBe(true);
    expect(members.every((m) => ec2.instance(m.id)?.node.ready())).toBe(true);
    expect(w.region().elb.calls.filter((c) => c.action === 'register')).toHaveLength(3);
    expect(asg().membership(members[0]?.id ?? '')).toEqual({ group: MEMBERS.name, state: 'InService' });
  });

  it('DescribeAutoScalingGroups and DescribeAutoScalingInstances report AWS shapes', async () => {
    asg().createGroup(MEMBERS);
    const out = (await api('DescribeAutoScalingGroups', { AutoScalingGroupNames: [MEMBERS.name] })) as {
      AutoScalingGroups: Record<string, unknown>[];
    };
    expect(out.AutoScalingGroups[0]).toMatchObject({
      AutoScalingGroupName: MEMBERS.name,
      MinSize: 1,
      MaxSize: 4,
      DesiredCapacity: 2,
      HealthCheckType: 'ELB',
      HealthCheckGracePeriod: 300,
      TargetGroupARNs: [TG],
      SuspendedProcesses: [],
    });
    expect(String(out.AutoScalingGroups[0]?.AutoScalingGroupARN)).toMatch(
      /^arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:[0-9a-f-]{36}:autoScalingGroupName\/artifactory-members$/,
    );
    const instances = (await api('DescribeAutoScalingInstances', {})) as {
      AutoScalingInstances: { HealthStatus: string; LifecycleState: string }[];
    };
    expect(instances.AutoScalingInstances.map((i) => [i.LifecycleState, i.HealthStatus])).toEqual([
      ['InService', 'HEALTHY'],
      ['InService', 'HEALTHY'],
    ]);
  });

  it('SetDesiredCapacity and UpdateAutoScalingGroup enforce the bounds with AWS messages', async () => {
    asg().createGroup(MEMBERS);
    expect(
      await apiError(() =>
        api('SetDesiredCapacity', { AutoScalingGroupName: MEMBERS.name, DesiredCapacity: 5 }),
      ),
    ).toMatchObject({
      name: 'ValidationError',
      message: 'New SetDesiredCapacity value 5 is above max value 4 for the AutoScalingGroup.',
    });
    expect(
      (
        await apiError(() =>
          api('SetDesiredCapacity', { AutoScalingGroupName: MEMBERS.name, DesiredCapacity: 0 }),
        )
      ).message,
    ).toBe('New SetDesiredCapacity value 0 is below min value 1 for the AutoScalingGroup.');
    expect(
      (
        await apiError(() =>
          api('UpdateAutoScalingGroup', {
            AutoScalingGroupName: MEMBERS.name,
            MaxSize: 3,
            DesiredCapacity: 4,
          }),
        )
      ).message,
    ).toBe('Desired capacity:4 must be between the specified min size:1 and max size:3');
    // A new MaxSize below the desired capacity lowers it.
    await api('UpdateAutoScalingGroup', { AutoScalingGroupName: MEMBERS.name, MaxSize: 1 });
    expect(asg().describeGroup(MEMBERS.name)).toMatchObject({ min: 1, max: 1, desired: 1 });
    expect(
      (await apiError(() => api('SetDesiredCapacity', { AutoScalingGroupName: 'nope', DesiredCapacity: 1 })))
        .name,
    ).toBe('ValidationError');
  });

  it('scales out without hooks: Pending until running, then registered and InService', async () => {
    asg().createGroup(MEMBERS);
    await api('SetDesiredCapacity', { AutoScalingGroupName: MEMBERS.name, DesiredCapacity: 3 });
    await w.clock.runFor(0);
    expect(states()).toEqual(['InService', 'InService', 'Pending']);
    const [, , fresh] = asg().groupInstances(MEMBERS.name);
    expect(w.region().ec2.instance(fresh?.id ?? '')?.az).toBe('eu-west-1c');
    await w.clock.runFor(EC2_TIMING.boot[1]);
    expect(states()).toEqual(['InService', 'InService', 'InService']);
    expect(w.region().elb.targetState(TG, fresh?.id ?? '')).toBe('healthy');
  });

  it('scales in: deregisters and waits for draining before terminating', async () => {
    asg().createGroup(MEMBERS);
    await api('SetDesiredCapacity', { AutoScalingGroupName: MEMBERS.name, DesiredCapacity: 1 });
    await w.clock.runFor(0);
    expect(states().sort()).toEqual(['InService', 'Terminating']);
    const victim = asg()
      .groupInstances(MEMBERS.name)
      .find((i) => i.state === 'Terminating');
    expect(w.region().elb.targetState(TG, victim?.id ?? '')).toBe('draining');
    expect(w.region().ec2.instance(victim?.id ?? '')?.state).toBe('running');
    await w.clock.runFor(w.region().elb.drainMs + ASG_TIMING.drainPoll);
    expect(w.region().ec2.instance(victim?.id ?? '')?.state).toBe('shutting-down');
    await w.clock.runFor(EC2_TIMING.shutdown[1]);
    expect(states()).toEqual(['InService']);
  });
});

describe('attach and detach', () => {
  it('AttachInstances raises desired capacity and fails past the maximum', async () => {
    asg().createGroup({ ...MEMBERS, max: 3 });
    const ec2 = w.region().ec2;
    const launch = () =>
      ec2.launch({ az: 'eu-west-1c', launchedBy: 'test', role: 'member', bootstrap: 'none' });
    const one = launch();
    const two = launch();
    const three = launch();
    expect(
      (
        await apiError(() =>
          api('AttachInstances', { AutoScalingGroupName: MEMBERS.name, InstanceIds: [one.id] }),
        )
      ).message,
    ).toBe(`Instance ${one.id} is not in the running state.`);
    await w.clock.runFor(EC2_TIMING.boot[1]);
    await api('AttachInstances', { AutoScalingGroupName: MEMBERS.name, InstanceIds: [one.id] });
    expect(asg().describeGroup(MEMBERS.name)?.desired).toBe(3);
    expect(asg().membership(one.id)).toEqual({ group: MEMBERS.name, state: 'InService' });
    expect(w.region().elb.targetState(TG, one.id)).toBe('healthy');
    const err = await apiError(() =>
      api('AttachInstances', { AutoScalingGroupName: MEMBERS.name, InstanceIds: [two.id, three.id] }),
    );
    expect(err).toMatchObject({
      name: 'ValidationError',
      message: 'Desired capacity:5 must be between the specified min size:1 and max size:3',
    });
    expect(
      (
        await apiError(() =>
          api('AttachInstances', { AutoScalingGroupName: MEMBERS.name, InstanceIds: [one.id] }),
        )
      ).name,
    ).toBe('ValidationError');
  });

  it('AttachInstances requires an AZ of the group, no other group, and a resumed Launch process', async () => {
    asg().createGroup({ ...MEMBERS, azs: ['eu-west-1a'] });
    asg().createGroup({ ...PRIMARY, azs: ['eu-west-1a', 'eu-west-1b'] });
    const ec2 = w.region().ec2;
    const elsewhere = ec2.launch({ az: 'eu-west-1b', launchedBy: 'test', role: 'member', bootstrap: 'none' });
    await w.clock.runFor(EC2_TIMING.boot[1]);
    expect(
      (
        await apiError(() =>
          api('AttachInstances', { AutoScalingGroupName: MEMBERS.name, InstanceIds: [elsewhere.id] }),
        )
      ).message,
    ).toMatch(/not an Availability Zone/);
    const [primary] = asg().groupInstances(PRIMARY.name);
    await api('SetDesiredCapacity', { AutoScalingGroupName: MEMBERS.name, DesiredCapacity: 2 });
    expect(
      (
        await apiError(() =>
          api('AttachInstances', { AutoScalingGroupName: MEMBERS.name, InstanceIds: [primary?.id] }),
        )
      ).message,
    ).toMatch(/already part of an Auto Scaling group/);
    await api('SuspendProcesses', { AutoScalingGroupName: PRIMARY.name, ScalingProcesses: ['Launch'] });
    expect(
      (
        await apiError(() =>
          api('AttachInstances', { AutoScalingGroupName: PRIMARY.name, InstanceIds: [elsewhere.id] }),
        )
      ).message,
    ).toMatch(/Launch process is suspended/);
  });

  it('DetachInstances with decrement fails below the minimum; without it a replacement launches', async () => {
    asg().createGroup({ ...MEMBERS, min: 2 });
    const [a, b] = asg().groupInstances(MEMBERS.name);
    const err = await apiError(() =>
      api('DetachInstances', {
        AutoScalingGroupName: MEMBERS.name,
        InstanceIds: [a?.id],
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    expect(err).toMatchObject({
      name: 'ValidationError',
      message:
        "Currently, desiredSize equals minSize (2). Detaching instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.",
    });
    const out = (await api('DetachInstances', {
      AutoScalingGroupName: MEMBERS.name,
      InstanceIds: [a?.id],
      ShouldDecrementDesiredCapacity: false,
    })) as { Activities: { Description: string; StatusCode: string }[] };
    expect(out.Activities[0]).toMatchObject({
      Description: `Detaching EC2 instance: ${a?.id}`,
      StatusCode: 'InProgress',
    });
    expect(asg().membership(a?.id ?? '')?.state).toBe('Detaching');
    await w.clock.runFor(0);
    expect(states().filter((s) => s === 'Pending')).toHaveLength(1);
    await w.clock.runFor(w.region().elb.drainMs + ASG_TIMING.drainPoll);
    expect(asg().membership(a?.id ?? '')).toBeUndefined();
    // The detached instance keeps running (and serving nothing through the ALB).
    expect(w.region().ec2.instance(a?.id ?? '')?.state).toBe('running');
    expect(w.region().elb.targetState(TG, a?.id ?? '')).toBeUndefined();
    expect(asg().membership(b?.id ?? '')?.state).toBe('InService');
  });

  it('moves an instance between groups: detach (decrement), then attach', async () => {
    asg().createGroup({ ...PRIMARY, min: 0 });
    asg().createGroup(MEMBERS);
    const [member] = asg().groupInstances(MEMBERS.name);
    const [oldPrimary] = asg().groupInstances(PRIMARY.name);
    await api('DetachInstances', {
      AutoScalingGroupName: PRIMARY.name,
      InstanceIds: [oldPrimary?.id],
      ShouldDecrementDesiredCapacity: true,
    });
    await api('DetachInstances', {
      AutoScalingGroupName: MEMBERS.name,
      InstanceIds: [member?.id],
      ShouldDecrementDesiredCapacity: true,
    });
    // Still a member of its group while detaching.
    expect(
      (
        await apiError(() =>
          api('AttachInstances', { AutoScalingGroupName: PRIMARY.name, InstanceIds: [member?.id] }),
        )
      ).name,
    ).toBe('ValidationError');
    await w.clock.runFor(w.region().elb.drainMs + ASG_TIMING.drainPoll);
    await api('AttachInstances', { AutoScalingGroupName: PRIMARY.name, InstanceIds: [member?.id] });
    expect(asg().membership(member?.id ?? '')).toEqual({ group: PRIMARY.name, state: 'InService' });
    expect(asg().describeGroup(PRIMARY.name)?.desired).toBe(1);
    expect(asg().describeGroup(MEMBERS.name)?.desired).toBe(1);
  });

  it('TerminateInstanceInAutoScalingGroup with decrement at the minimum fails with AWS’s message', async () => {
    asg().createGroup(PRIMARY);
    const [p] = asg().groupInstances(PRIMARY.name);
    const err = await apiError(() =>
      api('TerminateInstanceInAutoScalingGroup', { InstanceId: p?.id, ShouldDecrementDesiredCapacity: true }),
    );
    expect(err.message).toBe(
      "Currently, desiredSize equals minSize (1). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.",
    );
    expect(
      (
        await apiError(() =>
          api('TerminateInstanceInAutoScalingGroup', {
            InstanceId: 'i-0123456789abcdef0',
            ShouldDecrementDesiredCapacity: false,
          }),
        )
      ).message,
    ).toBe('Instance Id not found - No managed instance found for instance ID: i-0123456789abcdef0');
    const out = (await api('TerminateInstanceInAutoScalingGroup', {
      InstanceId: p?.id,
      ShouldDecrementDesiredCapacity: false,
    })) as {
      Activity: { Description: string };
    };
    expect(out.Activity.Description).toBe(`Terminating EC2 instance: ${p?.id}`);
    await w.clock.runFor(0);
    expect(states(PRIMARY.name).sort()).toEqual(['Pending', 'Terminating']);
  });
});

describe('lifecycle hooks', () => {
  it('puts launches in Pending:Wait and emits the documented event; CONTINUE puts them in service', async () => {
    asg().createGroup(MEMBERS);
    hook('LAUNCHING', 900);
    await api('SetDesiredCapacity', { AutoScalingGroupName: MEMBERS.name, DesiredCapacity: 3 });
    await w.clock.runFor(ASG_TIMING.hookStart[1]);
    const [event] = lifecycleEvents('EC2 Instance-launch Lifecycle Action');
    const fresh = asg()
      .groupInstances(MEMBERS.name)
      .find((i) => i.state === 'Pending:Wait');
    expect(event?.source).toBe('aws.autoscaling');
    const groups = (await api('DescribeAutoScalingGroups', {})) as {
      AutoScalingGroups: { AutoScalingGroupARN: string }[];
    };
    expect(event?.resources).toEqual([groups.AutoScalingGroups[0]?.AutoScalingGroupARN]);
    expect(Object.keys(event?.detail ?? {})).toEqual([
      'LifecycleActionToken',
      'AutoScalingGroupName',
      'LifecycleHookName',
      'EC2InstanceId',
      'LifecycleTransition',
      'Origin',
      'Destination',
    ]);
    expect(event?.detail).toMatchObject({
      AutoScalingGroupName: MEMBERS.name,
      LifecycleHookName: 'bootstrap',
      EC2InstanceId: fresh?.id,
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      Origin: 'EC2',
      Destination: 'AutoScalingGroup',
    });
    expect(event?.detail.LifecycleActionToken).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    const [pending] = asg().pendingLifecycleActions();
    expect(pending).toMatchObject({ group: MEMBERS.name, instanceId: fresh?.id, hook: 'bootstrap' });
    await w.clock.runFor(EC2_TIMING.boot[1]);
    expect(w.region().elb.targetState(TG, fresh?.id ?? '')).toBeUndefined();
    await api('CompleteLifecycleAction', {
      AutoScalingGroupName: MEMBERS.name,
      LifecycleHookName: 'bootstrap',
      LifecycleActionToken: event?.detail.LifecycleActionToken,
      LifecycleActionResult: 'CONTINUE',
    });
    await w.clock.runFor(0);
    expect(asg().membership(fresh?.id ?? '')?.state).toBe('InService');
    expect(w.region().elb.targetState(TG, fresh?.id ?? '')).toBe('healthy');
    expect(asg().pendingLifecycleActions()).toEqual([]);
    // The token is spent.
    const stale = await apiError(() =>
      api('CompleteLifecycleAction', {
        AutoScalingGroupName: MEMBERS.name,
        LifecycleHookName: 'bootstrap',
        LifecycleActionToken: event?.detail.LifecycleActionToken,
        LifecycleActionResult: 'CONTINUE',
      }),
    );
    expect(stale).toMatchObject({
      name: 'ValidationError',
      message: `No active Lifecycle Action found with token ${event?.detail.LifecycleActionToken}`,
    });
  });

  it('completes by instance id; unknown instance ids fail with AWS’s message', async () => {
    asg().createGroup(MEMBERS);
    hook('LAUNCHING');
    await api('SetDesiredCapacity', { AutoScalingGroupName: MEMBERS.name, DesiredCapacity: 3 });
    await w.clock.runFor(EC2_TIMING.boot[1]);
    const fresh = asg()
      .groupInstances(MEMBERS.name)
      .find((i) => i.state === 'Pending:Wait');
    expect(
      (
        await apiError(() =>
          api('CompleteLifecycleAction', {
            AutoScalingGroupName: MEMBERS.name,
            LifecycleHookName: 'bootstrap',
            InstanceId: 'i-0123456789abcdef0',
            LifecycleActionResult: 'CONTINUE',
          }),
        )
      ).message,
    ).toBe('No active Lifecycle Action found with instance ID i-0123456789abcdef0');
    await api('CompleteLifecycleAction', {
      AutoScalingGroupName: MEMBERS.name,
      LifecycleHookName: 'bootstrap',
      InstanceId: fresh?.id,
      LifecycleActionResult: 'CONTINUE',
    });
    await w.clock.runFor(0);
    expect(asg().membership(fresh?.id ?? '')?.state).toBe('InService');
  });

  it('ABANDON on launch terminates the instance and launches a replacement', async () => {
    asg().createGroup(MEMBERS);
    hook('LAUNCHING');
    await api('SetDesiredCapacity', { AutoScalingGroupName: MEMBERS.name, DesiredCapacity: 3 });
    await w.clock.runFor(ASG_TIMING.hookStart[1]);
    const [event] = lifecycleEvents('EC2 Instance-launch Lifecycle Action');
    const abandoned = String(event?.detail.EC2InstanceId);
    await api('CompleteLifecycleAction', {
      AutoScalingGroupName: MEMBERS.name,
      LifecycleHookName: 'bootstrap',
      LifecycleActionToken: event?.detail.LifecycleActionToken,
      LifecycleActionResult: 'ABANDON',
    });
    await w.clock.runFor(ASG_TIMING.hookStart[1]);
    expect(asg().membership(abandoned)?.state).toBe('Terminating:Proceed');
    const events = lifecycleEvents('EC2 Instance-launch Lifecycle Action');
    expect(events).toHaveLength(2);
    expect(events[1]?.detail.EC2InstanceId).not.toBe(abandoned);
    await w.clock.runFor(EC2_TIMING.shutdown[1]);
    expect(asg().membership(abandoned)).toBeUndefined();
    expect(w.region().ec2.instance(abandoned)?.state).toBe('terminated');
  });

  it('times out after the heartbeat timeout with the default result, recorded on the timeline', async () => {
    asg().createGroup(MEMBERS);
    hook('LAUNCHING', 300, 'ABANDON');
    await api('SetDesiredCapacity', { AutoScalingGroupName: MEMBERS.name, DesiredCapacity: 3 });
    await w.clock.runFor(ASG_TIMING.hookStart[1]);
    const [event] = lifecycleEvents('EC2 Instance-launch Lifecycle Action');
    const id = String(event?.detail.EC2InstanceId);
    await w.clock.runFor(299_000 - ASG_TIMING.hookStart[1] + ASG_TIMING.hookStart[0]);
    expect(asg().membership(id)?.state).toBe('Pending:Wait');
    await w.clock.runFor(ASG_TIMING.hookStart[1]);
    expect(asg().membership(id)?.state).toMatch(/^Terminating/);
    const [entry] = w.timeline.find('asg', 'lifecycle action timed out');
    expect(entry?.data).toMatchObject({ instanceId: id, hook: 'bootstrap', group: MEMBERS.name });
    expect(entry?.message).toMatch(/heartbeat timeout\); default result ABANDON/);
  });

  it('a heartbeat extends the wait by one heartbeat timeout, up to the global timeout (100 × heartbeat)', async () => {
    asg().createGroup(MEMBERS);
    hook('LAUNCHING', 60, 'CONTINUE');
    const hooks = (await api('DescribeLifecycleHooks', { AutoScalingGroupName: MEMBERS.name })) as {
      LifecycleHooks: { GlobalTimeout: number; HeartbeatTimeout: number }[];
    };
    expect(hooks.LifecycleHooks[0]).toMatchObject({ HeartbeatTimeout: 60, GlobalTimeout: 6000 });
    await api('SetDesiredCapacity', { AutoScalingGroupName: MEMBERS.name, DesiredCapacity: 3 });
    await w.clock.runFor(ASG_TIMING.hookStart[1]);
    const [event] = lifecycleEvents('EC2 Instance-launch Lifecycle Action');
    const id = String(event?.detail.EC2InstanceId);
    const startedAt = (asg().pendingLifecycleActions()[0]?.deadline ?? 0) - 60_000;
    // Heartbeat every 50 s: the action stays alive until the global timeout of 6000 s.
    const heartbeat = () =>
      api('RecordLifecycleActionHeartbeat', {
        AutoScalingGroupName: MEMBERS.name,
        LifecycleHookName: 'bootstrap',
        LifecycleActionToken: event?.detail.LifecycleActionToken,
      });
    await w.clock.runFor(50_000);
    await heartbeat();
    expect(asg().pendingLifecycleActions()[0]?.deadline).toBe(w.clock.now() + 60_000);
    while (asg().membership(id)?.state === 'Pending:Wait') {
      await w.clock.runFor(50_000);
      if (asg().membership(id)?.state !== 'Pending:Wait') break;
      await heartbeat();
    }
    // Default result CONTINUE at the global timeout: in service once EC2 has it running.
    expect(asg().membership(id)?.state).toBe('InService');
    const [timedOut] = w.timeline.find('asg', /lifecycle action timed out.*global timeout/);
    expect(timedOut?.at).toBe(startedAt + 6_000_000);
    expect((await apiError(heartbeat)).message).toBe(
      `No active Lifecycle Action found with token ${event?.detail.LifecycleActionToken}`,
    );
  });

  it('the global timeout is capped at 48 hours', async () => {
    asg().createGroup(MEMBERS);
    hook('LAUNCHING', 7200);
    const hooks = (await api('DescribeLifecycleHooks', { AutoScalingGroupName: MEMBERS.name })) as {
      LifecycleHooks: { GlobalTimeout: number }[];
    };
    expect(hooks.LifecycleHooks[0]?.GlobalTimeout).toBe(172_800);
    expect(() =>
      asg().putLifecycleHook({
        groupName: MEMBERS.name,
        name: 'x',
        transition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
        heartbeatTimeoutSeconds: 29,
        defaultResult: 'CONTINUE',
      }),
    ).toThrow(/HeartbeatTimeout must be between 30 and 7200/);
  });

  it('terminations deregister and drain first, then wait in Terminating:Wait; any result terminates', async () => {
    asg().createGroup(MEMBERS);
    hook('TERMINATING', 600, 'CONTINUE');
    const [a, b] = asg().groupInstances(MEMBERS.name);
    await api('TerminateInstanceInAutoScalingGroup', {
      InstanceId: a?.id,
      ShouldDecrementDesiredCapacity: true,
    });
    expect(lifecycleEvents('EC2 Instance-terminate Lifecycle Action')).toHaveLength(0);
    expect(w.region().elb.targetState(TG, a?.id ?? '')).toBe('draining');
    await w.clock.runFor(w.region().elb.drainMs + ASG_TIMING.drainPoll);
    const [event] = lifecycleEvents('EC2 Instance-terminate Lifecycle Action');
    expect(event?.detail).toMatchObject({
      EC2InstanceId: a?.id,
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      Origin: 'AutoScalingGroup',
      Destination: 'EC2',
    });
    expect(asg().membership(a?.id ?? '')?.state).toBe('Terminating:Wait');
    await api('CompleteLifecycleAction', {
      AutoScalingGroupName: MEMBERS.name,
      LifecycleHookName: 'drain',
      InstanceId: a?.id,
      LifecycleActionResult: 'ABANDON',
    });
    expect(w.region().ec2.instance(a?.id ?? '')?.state).toBe('shutting-down');
    // The other one times out with CONTINUE, and terminates too.
    await api('TerminateInstanceInAutoScalingGroup', {
      InstanceId: b?.id,
      ShouldDecrementDesiredCapacity: false,
    });
    await w.clock.runFor(w.region().elb.drainMs + ASG_TIMING.drainPoll + 600_000 + EC2_TIMING.shutdown[1]);
    expect(w.region().ec2.instance(b?.id ?? '')?.state).toBe('terminated');
    expect(asg().membership(b?.id ?? '')).toBeUndefined();
  });
});

describe('health checks', () => {
  it('replaces an instance whose target is unhealthy, after the grace period', async () => {
    asg().createGroup({ ...MEMBERS, desired: 1 });
    await api('SetDesiredCapacity', { AutoScalingGroupName: MEMBERS.name, DesiredCapacity: 2 });
    await w.clock.runFor(EC2_TIMING.boot[1]);
    const fresh = asg().groupInstances(MEMBERS.name)[1];
    expect(fresh?.state).toBe('InService');
    w.region().elb.set(TG, fresh?.id ?? '', 'unhealthy');
    await w.clock.runFor(200_000);
    // Within the 300 s grace period.
    expect(asg().membership(fresh?.id ?? '')?.state).toBe('InService');
    await w.clock.runFor(200_000);
    expect(w.region().ec2.instance(fresh?.id ?? '')?.state).toMatch(/^(shutting-down|terminated)$/);
    expect(
      w.timeline.find('asg', `${fresh?.id} marked Unhealthy: an ELB system health check failure`),
    ).toHaveLength(1);
    expect(
      asg()
        .groupInstances(MEMBERS.name)
        .filter((i) => i.state === 'Pending' || i.state === 'InService'),
    ).toHaveLength(2);
  });

  it('does not replace unhealthy instances while ReplaceUnhealthy is suspended, and does once resumed', async () => {
    asg().createGroup(MEMBERS);
    const [a] = asg().groupInstances(MEMBERS.name);
    await api('SuspendProcesses', {
      AutoScalingGroupName: MEMBERS.name,
      ScalingProcesses: ['ReplaceUnhealthy'],
    });
    const described = (await api('DescribeAutoScalingGroups', {})) as {
      AutoScalingGroups: { SuspendedProcesses: { ProcessName: string; SuspensionReason: string }[] }[];
    };
    expect(described.AutoScalingGroups[0]?.SuspendedProcesses).toEqual([
      { ProcessName: 'ReplaceUnhealthy', SuspensionReason: 'User suspended at 2026-01-05T09:00:00Z' },
    ]);
    w.region().elb.set(TG, a?.id ?? '', 'unhealthy');
    await w.clock.runFor(10 * 60_000);
    expect(asg().groupInstances(MEMBERS.name)[0]).toMatchObject({
      id: a?.id,
      state: 'InService',
      health: 'Unhealthy',
    });
    await api('ResumeProcesses', {
      AutoScalingGroupName: MEMBERS.name,
      ScalingProcesses: ['ReplaceUnhealthy'],
    });
    await w.clock.runFor(0);
    expect(asg().membership(a?.id ?? '')?.state).toBe('Terminating');
    expect(
      (
        await apiError(() =>
          api('SuspendProcesses', { AutoScalingGroupName: MEMBERS.name, ScalingProcesses: ['Nap'] }),
        )
      ).name,
    ).toBe('ValidationError');
  });

  it('HealthCheck suspended: no instance is marked unhealthy', async () => {
    asg().createGroup(MEMBERS);
    const [a] = asg().groupInstances(MEMBERS.name);
    await api('SuspendProcesses', { AutoScalingGroupName: MEMBERS.name, ScalingProcesses: ['HealthCheck'] });
    w.region().elb.set(TG, a?.id ?? '', 'unhealthy');
    await w.clock.runFor(10 * 60_000);
    expect(asg().groupInstances(MEMBERS.name)[0]).toMatchObject({ state: 'InService', health: 'Healthy' });
  });

  it('a crashed host: EC2 status checks impaired, then Auto Scaling replaces it (EC2 health check type)', async () => {
    asg().createGroup({ ...MEMBERS, healthCheckType: 'EC2' });
    const [a] = asg().groupInstances(MEMBERS.name);
    w.region().ec2.crash(a?.id ?? '');
    await w.clock.runFor(
      EC2_TIMING.statusCheckInterval + ASG_TIMING.impairedTolerance - ASG_TIMING.healthCheckInterval,
    );
    expect(asg().membership(a?.id ?? '')?.state).toBe('InService');
    await w.clock.runFor(2 * ASG_TIMING.healthCheckInterval);
    expect(asg().membership(a?.id ?? '')?.state).toMatch(/^Terminat/);
    expect(w.timeline.find('asg', /marked Unhealthy: an EC2 instance status check failure/)).toHaveLength(1);
  });

  it('an instance that stops is replaced at once, even in its grace period', async () => {
    asg().createGroup({ ...MEMBERS, desired: 1 });
    await api('SetDesiredCapacity', { AutoScalingGroupName: MEMBERS.name, DesiredCapacity: 2 });
    await w.clock.runFor(EC2_TIMING.boot[1]);
    const fresh = asg().groupInstances(MEMBERS.name)[1];
    w.region().ec2.stop(fresh?.id ?? '', 'User initiated');
    await w.clock.runFor(0);
    expect(
      asg()
        .groupInstances(MEMBERS.name)
        .find((i) => i.id === fresh?.id),
    ).toMatchObject({
      state: 'Terminating',
      health: 'Unhealthy',
    });
  });

  it('SetInstanceHealth Unhealthy respects the grace period unless told not to', async () => {
    asg().createGroup({ ...MEMBERS, desired: 1 });
    await api('SetDesiredCapacity', { AutoScalingGroupName: MEMBERS.name, DesiredCapacity: 2 });
    await w.clock.runFor(EC2_TIMING.boot[1]);
    const [old, fresh] = asg().groupInstances(MEMBERS.name);
    await api('SetInstanceHealth', { InstanceId: fresh?.id, HealthStatus: 'Unhealthy' });
    await w.clock.runFor(0);
    expect(asg().membership(fresh?.id ?? '')?.state).toBe('InService');
    await w.clock.runFor(300_000);
    expect(asg().membership(fresh?.id ?? '')?.state).toMatch(/^Terminat/);
    await api('SetInstanceHealth', {
      InstanceId: old?.id,
      HealthStatus: 'Unhealthy',
      ShouldRespectGracePeriod: false,
    });
    await w.clock.runFor(0);
    expect(asg().membership(old?.id ?? '')?.state).toBe('Terminating');
  });

  it('replaces ELB-unhealthy instances up to 10 % of desired capacity at a time', async () => {
    asg().createGroup(MEMBERS);
    const [a, b] = asg().groupInstances(MEMBERS.name);
    w.region().elb.set(TG, a?.id ?? '', 'unhealthy');
    w.region().elb.set(TG, b?.id ?? '', 'unhealthy');
    await w.clock.runFor(ASG_TIMING.healthCheckInterval);
    expect(
      asg()
        .groupInstances(MEMBERS.name)
        .map((i) => [i.state, i.health]),
    ).toEqual([
      ['Terminating', 'Unhealthy'],
      ['InService', 'Unhealthy'],
      ['Pending', 'Healthy'],
    ]);
    const replacement = asg().groupInstances(MEMBERS.name)[2]?.id;
    // The second goes once the first replacement is in service.
    await w.clock.runFor(EC2_TIMING.boot[1] + ASG_TIMING.healthCheckInterval);
    const [inService] = w.timeline.find('asg', `${replacement} InService`);
    const [second] = w.timeline.find('asg', `terminating ${b?.id}`);
    expect(second && inService && second.at >= inService.at).toBe(true);
  });

  it('stands still while its region is lost', async () => {
    asg().createGroup(MEMBERS);
    w.faults.regionDown('eu-west-1');
    for (const i of asg().groupInstances(MEMBERS.name)) w.region().elb.set(TG, i.id, 'unhealthy');
    await w.clock.runFor(30 * 60_000);
    expect(states()).toEqual(['InService', 'InService']);
    expect(
      asg()
        .groupInstances(MEMBERS.name)
        .map((i) => i.health),
    ).toEqual(['Healthy', 'Healthy']);
  });

  it('replaces instances of a lost AZ in the other AZs and rebalances when it recovers', async () => {
    asg().createGroup({ ...MEMBERS, desired: 3, healthCheckGracePeriodSeconds: 0 });
    const ec2 = w.region().ec2;
    const inB = asg()
      .groupInstances(MEMBERS.name)
      .find((i) => ec2.instance(i.id)?.az === 'eu-west-1b');
    w.faults.azDown('eu-west-1', 'eu-west-1b');
    w.region().elb.set(TG, inB?.id ?? '', 'unhealthy');
    await w.clock.runFor(
      ASG_TIMING.healthCheckInterval + EC2_TIMING.boot[1] + w.region().elb.drainMs + 60_000,
    );
    const azs = () =>
      asg()
        .groupInstances(MEMBERS.name)
        .filter((i) => i.state === 'InService')
        .map((i) => ec2.instance(i.id)?.az)
        .sort();
    expect(azs()).toEqual(['eu-west-1a', 'eu-west-1a', 'eu-west-1c']);
    w.faults.azUp('eu-west-1', 'eu-west-1b');
    await w.clock.runFor(
      ASG_TIMING.healthCheckInterval + EC2_TIMING.boot[1] + w.region().elb.drainMs + 120_000,
    );
    expect(azs()).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    expect(w.timeline.find('asg', 'rebalance')).not.toHaveLength(0);
  });
});

describe('bootstrap by user data (the seed deployment)', () => {
  it('new instances configure themselves and start with no control plane; starts can collide', async () => {
    asg().createGroup({ ...MEMBERS, bootstrap: 'user-data' });
    await api('SetDesiredCapacity', { AutoScalingGroupName: MEMBERS.name, DesiredCapacity: 4 });
    await w.clock.runFor(EC2_TIMING.boot[1] + NODE_TIMING.userData[1] + NODE_TIMING.start[1]);
    const fresh = asg()
      .groupInstances(MEMBERS.name)
      .slice(2)
      .map((i) => w.region().ec2.instance(i.id)?.node);
    expect(fresh.map((n) => n?.nodeId)).toEqual(
      asg()
        .groupInstances(MEMBERS.name)
        .slice(2)
        .map((i) => i.id),
    );
    // Both started on their own: one of them joined, the other (unless they happened not to overlap) failed.
    expect(fresh.some((n) => n?.status === 'running')).toBe(true);
    for (const n of fresh) {
      if (n?.status === 'failed') expect(n.failureReason).toMatch(/^started in parallel with i-/);
    }
  });
});
