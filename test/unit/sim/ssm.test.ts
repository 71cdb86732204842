import type { SimInstance } from '../../../sim/core/contracts';
import { NODE_TIMING } from '../../../sim/services/artifactory';
import { EC2_TIMING } from '../../../sim/services/ec2';
import { SSM_TIMING } from '../../../sim/services/ssm';
import { apiError, type ComputeWorld, makeWorld } from './compute-harness';
import { ssmHarness } from './ssm-harness';

let w: ComputeWorld;

beforeEach(() => {
  w = makeWorld();
  w.clock.install();
});

afterEach(() => {
  w.clock.uninstall();
});

const { ssm, call, docs, configureParams, managedInstance, send, invocation, finished } = ssmHarness(() => w);

describe('managed nodes', () => {
  it('registers an instance 20–60 s after it runs, and never while unreachable', async () => {
    const ec2 = w.region().ec2;
    const a = ec2.launch({ az: 'eu-west-1a', launchedBy: 'test', role: 'member', bootstrap: 'none' });
    const b = ec2.launch({ az: 'eu-west-1b', launchedBy: 'test', role: 'member', bootstrap: 'none' });
    await w.clock.runFor(EC2_TIMING.boot[1]);
    w.faults.azDown('eu-west-1', 'eu-west-1b');
    expect(ssm().isManaged(a.id)).toBe(false);
    await w.clock.runFor(SSM_TIMING.registration[1]);
    expect(ssm().isManaged(a.id)).toBe(true);
    expect(ssm().isManaged(b.id)).toBe(false);
    const info = await call<{ InstanceInformationList: { InstanceId: string; PingStatus: string }[] }>(
      'DescribeInstanceInformation',
      { Filters: [{ Key: 'InstanceIds', Values: [a.id, b.id] }] },
    );
    expect(info.InstanceInformationList).toEqual([
      expect.objectContaining({ InstanceId: a.id, PingStatus: 'Online' }),
    ]);
    w.faults.azUp('eu-west-1', 'eu-west-1b');
    await w.clock.runFor(SSM_TIMING.retry);
    expect(ssm().isManaged(b.id)).toBe(true);
  });

  it('an unreachable managed node turns ConnectionLost after missing its pings', async () => {
    const a = await managedInstance();
    w.region().ec2.crash(a.id);
    await w.clock.runFor(SSM_TIMING.ping + SSM_TIMING.pingCheck);
    const info = await call<{ InstanceInformationList: { PingStatus: string }[] }>(
      'DescribeInstanceInformation',
      {
        InstanceInformationFilterList: [{ key: 'PingStatus', valueSet: ['ConnectionLost'] }],
      },
    );
    expect(info.InstanceInformationList).toHaveLength(1);
  });

  it('rejects commands to instances that are not managed, and unknown documents or parameters', async () => {
    const inst = w
      .region()
      .ec2.launch({ az: 'eu-west-1a', launchedBy: 'test', role: 'member', bootstrap: 'none' });
    const err = await apiError(() => send(docs.probeReadiness, inst));
    expect(err).toMatchObject({
      name: 'InvalidInstanceId',
      message: `Instances [[${inst.id}]] not in a valid state for account 111122223333`,
    });
    await w.clock.runFor(EC2_TIMING.boot[1] + SSM_TIMING.registration[1]);
    expect((await apiError(() => send('AWS-RunShellScript', inst))).name).toBe('InvalidDocument');
    expect((await apiError(() => send(docs.configureNode, inst, { Role: ['primary'] }))).name).toBe(
      'InvalidParameters',
    );
    expect(
      (await apiError(() => send(docs.configureNode, inst, { ...configureParams(inst), Role: ['leader'] })))
        .name,
    ).toBe('InvalidParameters');
    // SetPrimaryRole: Role is required and one of primary | member; ClusterMode may be empty.
    for (const Parameters of [
      {},
      { Role: [''] },
      { Role: ['leader'] },
      { Role: ['primary'], ClusterMode: ['both'] },
    ]) {
      expect({
        Parameters,
        error: (await apiError(() => send(docs.setPrimaryRole, inst, Parameters))).name,
      }).toEqual({
        Parameters,
        error: 'InvalidParameters',
      });
    }
    w.region().ec2.terminate(inst.id, 'User initiated');
    expect((await apiError(() => send(docs.probeReadiness, inst))).name).toBe('InvalidInstanceId');
  });
});

describe('Run Command', () => {
  it('invocations go Pending → InProgress → Success; they exist only shortly after SendCommand', async () => {
    const inst = await managedInstance();
    const id = await send(docs.configureNode, inst, configureParams(inst, 'primary'));
    expect((await apiError(() => invocation(id, inst))).name).toBe('InvocationDoesNotExist');
    await w.clock.runFor(SSM_TIMING.invocationVisible[1]);
    expect((await invocation(id, inst)).Status).toMatch(/^(Pending|InProgress)$/);
    await w.clock.runFor(SSM_TIMING.delivery[1]);
    expect((await invocation(id, inst)).Status).toBe('InProgress');
    const done = await finished(id, inst);
    expect(done).toMatchObject({ Status: 'Success', StatusDetails: 'Success', ResponseCode: 0 });
    expect(done.StandardOutputContent).toContain(`shared.node.id=${inst.id}`);
    expect(inst.node.systemYaml).toEqual({
      nodeId: inst.id,
      nodeIp: inst.privateIp,
      haEnabled: true,
      role: 'primary',
    });
    const listed = await call<{
      CommandInvocations: { Status: string; CommandPlugins: { Name: string }[] }[];
    }>('ListCommandInvocations', { CommandId: id, Details: true });
    expect(listed.CommandInvocations).toEqual([
      expect.objectContaining({
        Status: 'Success',
        CommandPlugins: [expect.objectContaining({ Name: 'aws:runShellScript' })],
      }),
    ]);
    expect(
      (
        await apiError(() =>
          call('GetCommandInvocation', { CommandId: id, InstanceId: 'i-0123456789abcdef0' }),
        )
      ).name,
    ).toBe('InvocationDoesNotExist');
  });

  it("sends an 'EC2 Command Invocation Status-change Notification' to the bus on each status change", async () => {
    const inst = await managedInstance();
    const id = await send(docs.probeReadiness, inst);
    await finished(id, inst);
    const events = w
      .region()
      .events.emitted.filter(
        (e) =>
          e['detail-type'] === 'EC2 Command Invocation Status-change Notification' &&
          (e.detail as { 'command-id'?: string })['command-id'] === id,
      );
    expect(events.map((e) => (e.detail as { status: string }).status)).toEqual([
      'Pending',
      'InProgress',
      'Success',
    ]);
    for (const e of events) {
      expect(e.source).toBe('aws.ssm');
      expect(e.resources).toEqual([expect.stringMatching(new RegExp(`:instance/${inst.id}$`))]);
      expect(e.detail).toMatchObject({ 'document-name': docs.probeReadiness, 'instance-id': inst.id });
    }
  });

  it('configure, start, probe, promote: the documents drive the node in realistic time', async () => {
    const inst = await managedInstance();
    expect((await finished(await send(docs.configureNode, inst, configureParams(inst)), inst)).Status).toBe(
      'Success',
    );
    const start = await finished(await send(docs.startArtifactory, inst), inst);
    expect(start).toMatchObject({ Status: 'Success', StandardOutputContent: 'artifactory.service started' });
    const probe = async () =>
      JSON.parse(
        (await finished(await send(docs.probeReadiness, inst), inst)).StandardOutputContent,
      ) as Record<string, unknown>;
    expect(await probe()).toMatchObject({
      ready: false,
      routerHealth: 503,
      role: 'member',
      service: 'active',
      status: 'starting',
    });
    await w.clock.runFor(NODE_TIMING.start[1]);
    expect(await probe()).toEqual({
      ready: true,
      routerHealth: 200,
      role: 'member',
      taskAffinity: null,
      nodeId: inst.id,
      service: 'active',
      scheme: 'http',
      status: 'running',
    });
    const promoted = await finished(await send(docs.setPrimaryRole, inst, { Role: ['primary'] }), inst);
    expect(promoted.StandardOutputContent).toBe(
      'wrote /opt/jfrog/artifactory/var/etc/system.yaml: shared.node.primary=true\nartifactory.service restarted',
    );
    // A restart takes as long as a start.
    expect(inst.node.status).toBe('starting');
    expect(inst.node.isPrimary()).toBe(false);
    await w.clock.runFor(NODE_TIMING.start[1]);
    expect(inst.node.isPrimary()).toBe(true);
    expect((await finished(await send(docs.stopArtifactory, inst), inst)).Status).toBe('Success');
    expect(inst.node.status).toBe('stopped');
  });

  it('SetPrimaryRole: Role sets primary or member, in the mode sent or the one system.yaml shows', async () => {
    const inst = await managedInstance();
    await finished(await send(docs.configureNode, inst, configureParams(inst)), inst);
    await finished(await send(docs.startArtifactory, inst), inst);
    await w.clock.runFor(NODE_TIMING.start[1]);
    const steps: [Record<string, string[]>, string, { role?: string; taskAffinity?: string }][] = [
      [{ Role: ['primary'] }, 'shared.node.primary=true', { role: 'primary' }],
      [{ Role: ['member'], ClusterMode: [''] }, 'shared.node.primary=false', { role: 'member' }],
      [
        { Role: ['primary'], ClusterMode: ['cloud-native'] },
        'shared.node.taskAffinity=any',
        { taskAffinity: 'any' },
      ],
      [{ Role: ['member'] }, 'shared.node.taskAffinity=none', { taskAffinity: 'none' }],
      [
        { Role: ['member'], ClusterMode: ['legacy-primary'] },
        'shared.node.primary=false',
        { role: 'member' },
      ],
    ];
    for (const [Parameters, edited, yaml] of steps) {
      const out = await finished(await send(docs.setPrimaryRole, inst, Parameters), inst);
      expect({ Parameters, out: out.StandardOutputContent }).toEqual({
        Parameters,
        out: `wrote /opt/jfrog/artifactory/var/etc/system.yaml: ${edited}\nartifactory.service restarted`,
      });
      expect({ Parameters, role: inst.node.role, taskAffinity: inst.node.taskAffinity }).toEqual({
        Parameters,
        role: yaml.role,
        taskAffinity: yaml.taskAffinity,
      });
      await w.clock.runFor(NODE_TIMING.start[1]);
    }
    // Service stop: the role is written, the process that ran is stopped, and nothing starts again.
    await finished(await send(docs.setPrimaryRole, inst, { Role: ['primary'] }), inst);
    await w.clock.runFor(NODE_TIMING.start[1]);
    expect(inst.node.isPrimary()).toBe(true);
    const stopped = await finished(
      await send(docs.setPrimaryRole, inst, { Role: ['member'], Service: ['stop'] }),
      inst,
    );
    expect(stopped.StandardOutputContent).toBe(
      'wrote /opt/jfrog/artifactory/var/etc/system.yaml: shared.node.primary=false\nartifactory.service stopped',
    );
    expect(inst.node.status).toBe('stopped');
    expect(inst.node.systemYaml).toMatchObject({ role: 'member' });
    await w.clock.runFor(NODE_TIMING.start[1]);
    expect(inst.node.status).toBe('stopped');
    const unconfigured = await managedInstance('eu-west-1b');
    const refused = await finished(
      await send(docs.setPrimaryRole, unconfigured, { Role: ['primary'] }),
      unconfigured,
    );
    expect(refused).toMatchObject({ Status: 'Failed', ResponseCode: 1 });
    expect(refused.StandardErrorContent).toMatch(/system\.yaml is not configured/);
  });

  it('reports a failed start and the node failure reason through the probe', async () => {
    const a = await managedInstance('eu-west-1a');
    const b = await managedInstance('eu-west-1b');
    for (const n of [a, b]) await finished(await send(docs.configureNode, n, configureParams(n)), n);
    const startA = await send(docs.startArtifactory, a);
    const startB = await send(docs.startArtifactory, b);
    expect((await finished(startA, a)).Status).toBe('Success');
    expect((await finished(startB, b)).Status).toBe('Success');
    await w.clock.runFor(NODE_TIMING.joinFailure[1]);
    // Whichever started second failed.
    const [first, second] = a.node.status === 'failed' ? [b, a] : [a, b];
    const probe = JSON.parse(
      (await finished(await send(docs.probeReadiness, second), second)).StandardOutputContent,
    );
    expect(probe).toMatchObject({
      ready: false,
      service: 'failed',
      status: 'failed',
      failureReason: `started in parallel with ${first.id}`,
    });
    const unconfigured = await managedInstance('eu-west-1c');
    const failed = await finished(await send(docs.startArtifactory, unconfigured), unconfigured);
    expect(failed).toMatchObject({ Status: 'Failed', ResponseCode: 1 });
    expect(failed.StandardErrorContent).toMatch(/system\.yaml is not configured/);
  });

  it("a secret other than the cluster's own two is refused before the command runs, and nothing is written", async () => {
    const inst = await managedInstance();
    await expect(
      send(docs.configureNode, inst, { ...configureParams(inst), JoinKeySecretId: ['artifactory/nope'] }),
    ).rejects.toThrow(/Parameter "JoinKeySecretId" has value "artifactory\/nope" not in the allowed values/);
    expect(inst.node.status).toBe('unconfigured');
  });

  it('a command to a node that becomes unreachable times out; one never delivered times out at the delivery deadline', async () => {
    const inst = await managedInstance();
    await finished(await send(docs.configureNode, inst, configureParams(inst)), inst);
    await finished(await send(docs.startArtifactory, inst), inst);
    await w.clock.runFor(NODE_TIMING.start[1]);
    const stop = await send(docs.stopArtifactory, inst);
    await w.clock.runFor(SSM_TIMING.delivery[1]);
    w.faults.azDown('eu-west-1', inst.az);
    expect(await finished(stop, inst)).toMatchObject({
      Status: 'TimedOut',
      StatusDetails: 'DeliveryTimedOut',
    });
    const probe = await send(docs.probeReadiness, inst, {}, 30);
    const sentAt = w.clock.now();
    expect(await finished(probe, inst)).toMatchObject({
      Status: 'TimedOut',
      StatusDetails: 'DeliveryTimedOut',
    });
    // Delivery timeout = TimeoutSeconds + the document's execution timeout (30 s + 60 s).
    expect(w.clock.now() - sentAt).toBeLessThanOrEqual(90_000 + 5_000);
  });

  it('ProbeReadiness with WaitSeconds waits on the node until ready; its ExecutionTimeout bounds a lost one', async () => {
    const inst = await managedInstance();
    await finished(await send(docs.configureNode, inst, configureParams(inst)), inst);
    await finished(await send(docs.startArtifactory, inst), inst);
    expect(inst.node.ready()).toBe(false);
    const waited = await send(docs.probeReadiness, inst, { WaitSeconds: ['240'], ExecutionTimeout: ['300'] });
    const sentAt = w.clock.now();
    const out = await finished(waited, inst);
    expect(out).toMatchObject({ Status: 'Success' });
    expect(JSON.parse(String(out.StandardOutputContent))).toMatchObject({ ready: true });
    // One command saw the whole start (60-180 s), noticing readiness within a 5-s probe interval.
    expect(w.clock.now() - sentAt).toBeLessThanOrEqual(NODE_TIMING.start[1] + 15_000);
    // A wait the execution timeout would cut short fails on the node (exit 2), as the script does.
    const cut = await finished(await send(docs.probeReadiness, inst, { WaitSeconds: ['100'] }), inst);
    expect(cut).toMatchObject({ Status: 'Failed', ResponseCode: 2 });
    // Its execution timeout is the parameter's: a probe lost with its node ends at 30 s + 120 s, not + 360 s.
    await w.clock.runFor(SSM_TIMING.delivery[1]);
    const lost = await send(
      docs.probeReadiness,
      inst,
      { WaitSeconds: ['60'], ExecutionTimeout: ['120'] },
      30,
    );
    const lostAt = w.clock.now();
    w.faults.azDown('eu-west-1', inst.az);
    expect(await finished(lost, inst)).toMatchObject({ Status: 'TimedOut' });
    expect(w.clock.now() - lostAt).toBeLessThanOrEqual(150_000 + 5_000);
    expect(w.clock.now() - lostAt).toBeGreaterThan(60_000);
  });

  it('never puts a secret value in any command output', async () => {
    const nodes = [await managedInstance('eu-west-1a'), await managedInstance('eu-west-1b')];
    const commands: [string, SimInstance][] = [];
    for (const n of nodes) {
      const runs: [string, Record<string, string[]>][] = [
        [docs.configureNode, configureParams(n)],
        [docs.startArtifactory, {}],
        [docs.probeReadiness, {}],
        [docs.setPrimaryRole, { Role: ['primary'] }],
        [docs.setPrimaryRole, { Role: ['member'] }],
        [docs.stopArtifactory, {}],
      ];
      for (const [doc, params] of runs) {
        const id = await send(doc, n, params);
        await finished(id, n);
        commands.push([id, n]);
      }
    }
    const secrets = w.region().secrets.secretValues();
    expect(secrets.length).toBeGreaterThan(0);
    for (const [id, n] of commands) {
      const inv = await invocation(id, n);
      const listed = JSON.stringify(await call('ListCommandInvocations', { CommandId: id, Details: true }));
      for (const secret of secrets) {
        expect(inv.StandardOutputContent).not.toContain(secret);
        expect(inv.StandardErrorContent).not.toContain(secret);
        expect(listed).not.toContain(secret);
      }
    }
    const timeline = JSON.stringify(w.timeline.entries);
    for (const secret of secrets) expect(timeline).not.toContain(secret);
  });
});
