import type { SimInstance } from '../../../sim/core/contracts';
import { NODE_TIMING } from '../../../sim/services/artifactory';
import { EC2_TIMING } from '../../../sim/services/ec2';
import { clusterKeySecretNames } from '../../../sim/services/secrets';
import { apiError, type ComputeWorld, makeWorld } from './compute-harness';

let w: ComputeWorld;

beforeEach(() => {
  w = makeWorld();
  w.clock.install();
});

afterEach(() => {
  w.clock.uninstall();
});

const keys = () => {
  const names = clusterKeySecretNames('artifactory-test');
  const s = w.region().secrets;
  return { masterKey: s.valueOf(names.masterKey) ?? '', joinKey: s.valueOf(names.joinKey) ?? '' };
};

/** Launches an instance the control plane would configure, and waits until it runs. */
async function bootedInstance(az = 'eu-west-1a'): Promise<SimInstance> {
  const inst = w.region().ec2.launch({ az, launchedBy: 'test', role: 'member', bootstrap: 'none' });
  await w.clock.runFor(EC2_TIMING.boot[1]);
  expect(inst.state).toBe('running');
  return inst;
}

/** Awaits something that completes in virtual time, moving the clock on meanwhile. */
async function drive<T>(p: Promise<T>, ms = 10 * 60_000): Promise<T> {
  let done = false;
  const tracked = p.finally(() => {
    done = true;
  });
  await w.clock.runFor(ms, () => done);
  return tracked;
}

function configure(inst: SimInstance, role: 'primary' | 'member' = 'member', k = keys()): void {
  inst.node.configure({ nodeId: inst.id, nodeIp: inst.privateIp, haEnabled: true, role }, k);
}

describe('EC2', () => {
  it('launches instances with 17-hex ids and per-AZ private IPs, booting in 30–90 s', async () => {
    const ec2 = w.region().ec2;
    const a = ec2.launch({ az: 'eu-west-1a', launchedBy: 'test', role: 'member', bootstrap: 'none' });
    const b = ec2.launch({ az: 'eu-west-1b', launchedBy: 'test', role: 'member', bootstrap: 'none' });
    const c = ec2.launch({ az: 'eu-west-1a', launchedBy: 'test', role: 'member', bootstrap: 'none' });
    expect(a.id).toMatch(/^i-[0-9a-f]{17}$/);
    expect([a.privateIp, b.privateIp, c.privateIp]).toEqual(['10.0.0.4', '10.0.1.4', '10.0.0.5']);
    expect(a.state).toBe('pending');
    expect(a.reachable).toBe(false);
    await w.clock.runFor(EC2_TIMING.boot[0] - 1);
    expect(a.state).toBe('pending');
    await w.clock.runFor(EC2_TIMING.boot[1] - EC2_TIMING.boot[0] + 1);
    expect([a.state, b.state, c.state]).toEqual(['running', 'running', 'running']);
    expect(a.reachable).toBe(true);
  });

  it('terminates through shutting-down and reuses the address', async () => {
    const ec2 = w.region().ec2;
    const a = await bootedInstance();
    ec2.terminate(a.id, 'User initiated');
    expect(a.state).toBe('shutting-down');
    await w.clock.runFor(EC2_TIMING.shutdown[1]);
    expect(a.state).toBe('terminated');
    const b = ec2.launch({ az: 'eu-west-1a', launchedBy: 'test', role: 'member', bootstrap: 'none' });
    expect(b.privateIp).toBe(a.privateIp);
    // Terminated instances stay visible for about an hour.
    expect(ec2.instance(a.id)).toBeDefined();
    await w.clock.runFor(EC2_TIMING.terminatedVisible);
    expect(ec2.instance(a.id)).toBeUndefined();
  });

  it('DescribeInstances filters by id, state and tag, and rejects unknown ids and filters', async () => {
    const ec2 = w.region().ec2;
    const a = ec2.launch({
      az: 'eu-west-1a',
      launchedBy: 'asg',
      role: 'member',
      bootstrap: 'none',
      tags: { Team: 'sre' },
    });
    const b = ec2.launch({ az: 'eu-west-1b', launchedBy: 'asg', role: 'member', bootstrap: 'none' });
    await w.clock.runFor(EC2_TIMING.boot[1]);
    ec2.terminate(b.id, 'User initiated');
    const out = (await ec2.api.DescribeInstances?.({
      Filters: [
        { Name: 'instance-state-name', Values: ['running'] },
        { Name: 'tag:Team', Values: ['s*'] },
      ],
    })) as { Reservations: { Instances: Record<string, unknown>[] }[] };
    expect(out.Reservations).toHaveLength(1);
    const inst = out.Reservations[0]?.Instances[0];
    expect(inst).toMatchObject({
      InstanceId: a.id,
      State: { Code: 16, Name: 'running' },
      PrivateIpAddress: '10.0.0.4',
      Placement: { AvailabilityZone: 'eu-west-1a' },
      Tags: [{ Key: 'Team', Value: 'sre' }],
    });
    expect(inst?.LaunchTime).toBeInstanceOf(Date);
    const byId = (await ec2.api.DescribeInstances?.({ InstanceIds: [b.id] })) as {
      Reservations: { Instances: { State: { Name: string } }[] }[];
    };
    expect(byId.Reservations[0]?.Instances[0]?.State.Name).toBe('shutting-down');
    expect(
      (await apiError(() => ec2.api.DescribeInstances?.({ InstanceIds: ['i-0123456789abcdef0'] }))).name,
    ).toBe('InvalidInstanceID.NotFound');
    expect(
      (await apiError(() => ec2.api.DescribeInstances?.({ Filters: [{ Name: 'bogus', Values: ['x'] }] })))
        .name,
    ).toBe('InvalidParameterValue');
  });

  it('a crashed host is unreachable at once and its status checks become impaired', async () => {
    const ec2 = w.region().ec2;
    const a = await bootedInstance();
    await w.clock.runFor(EC2_TIMING.statusCheckInterval);
    expect(ec2.instanceStatus(a.id)).toBe('ok');
    ec2.crash(a.id);
    expect(a.state).toBe('running');
    expect(a.reachable).toBe(false);
    expect(ec2.instanceStatus(a.id)).toBe('ok');
    await w.clock.runFor(EC2_TIMING.statusCheckInterval);
    expect(ec2.instanceStatus(a.id)).toBe('impaired');
    const status = (await ec2.api.DescribeInstanceStatus?.({ InstanceIds: [a.id] })) as {
      InstanceStatuses: { InstanceStatus: { Status: string } }[];
    };
    expect(status.InstanceStatuses[0]?.InstanceStatus.Status).toBe('impaired');
  });

  it('instances in a lost AZ are unreachable', async () => {
    const a = await bootedInstance('eu-west-1b');
    w.faults.azDown('eu-west-1', 'eu-west-1b');
    expect(a.reachable).toBe(false);
    w.faults.azUp('eu-west-1', 'eu-west-1b');
    expect(a.reachable).toBe(true);
  });

  it('is deterministic: the same seed gives the same ids, addresses and timings', async () => {
    const run = async (seed: number) => {
      const world = makeWorld({ seed });
      world.clock.install();
      try {
        const ec2 = world.region().ec2;
        const insts = ['a', 'b', 'a'].map((z) =>
          ec2.launch({ az: `eu-west-1${z}`, launchedBy: 'test', role: 'member', bootstrap: 'user-data' }),
        );
        await world.clock.runFor(10 * 60_000);
        return {
          insts: insts.map((i) => [i.id, i.privateIp, i.state, i.node.status]),
          timeline: world.timeline.entries.map((e) => [e.at, e.source, e.message]),
        };
      } finally {
        world.clock.uninstall();
      }
    };
    w.clock.uninstall();
    const first = await run(7);
    expect(await run(7)).toEqual(first);
    expect((await run(8)).insts).not.toEqual(first.insts);
    w.clock.install();
  });
});

describe('Artifactory node', () => {
  it('starts in 60–180 s and is then ready; router health and readiness need a reachable host', async () => {
    const inst = await bootedInstance();
    expect(inst.node.status).toBe('unconfigured');
    expect(inst.node.start()).toEqual({ started: false, reason: 'system.yaml is not configured' });
    configure(inst, 'primary');
    expect(inst.node.status).toBe('stopped');
    expect(inst.node.start().started).toBe(true);
    expect(inst.node.status).toBe('starting');
    await w.clock.runFor(NODE_TIMING.start[0] - 1);
    expect(inst.node.ready()).toBe(false);
    await w.clock.runFor(NODE_TIMING.start[1] - NODE_TIMING.start[0] + 1);
    expect(inst.node.status).toBe('running');
    expect(inst.node.ready()).toBe(true);
    expect(inst.node.routerHealthy()).toBe(true);
    expect(inst.node.isPrimary()).toBe(true);
    expect(inst.node.nodeId).toBe(inst.id);
    w.faults.azDown('eu-west-1', inst.az);
    expect(inst.node.ready()).toBe(false);
    expect(inst.node.routerHealthy()).toBe(false);
    // Partitioned, not dead: the process still runs as the primary.
    expect(inst.node.isPrimary()).toBe(true);
  });

  it('fails a node whose start begins while another node of the cluster is starting', async () => {
    const a = await bootedInstance('eu-west-1a');
    const b = await bootedInstance('eu-west-1b');
    configure(a, 'primary');
    configure(b);
    a.node.start();
    b.node.start();
    await w.clock.runFor(NODE_TIMING.start[1]);
    expect(a.node.status).toBe('running');
    expect(b.node.status).toBe('failed');
    expect(b.node.failureReason).toBe(`started in parallel with ${a.id}`);
    // One at a time works: stop resets the failed unit, then it joins.
    await drive(b.node.stop());
    b.node.start();
    await w.clock.runFor(NODE_TIMING.start[1]);
    expect(b.node.status).toBe('running');
  });

  it('fails a node whose master or join key differs from the cluster', async () => {
    const a = await bootedInstance('eu-west-1a');
    const b = await bootedInstance('eu-west-1b');
    const c = await bootedInstance('eu-west-1c');
    configure(a, 'primary');
    a.node.start();
    await w.clock.runFor(NODE_TIMING.start[1]);
    configure(b, 'member', { ...keys(), joinKey: 'f'.repeat(64) });
    b.node.start();
    await w.clock.runFor(NODE_TIMING.joinFailure[1]);
    expect(b.node.status).toBe('failed');
    expect(b.node.failureReason).toMatch(/join\.key differs/);
    configure(c, 'member', { ...keys(), masterKey: '0'.repeat(64) });
    c.node.start();
    await w.clock.runFor(NODE_TIMING.joinFailure[1]);
    expect(c.node.failureReason).toMatch(/master\.key differs/);
  });

  it('fails a node that would exceed the cluster license count', async () => {
    w.region().ec2.licenseCount = 2;
    const nodes = [
      await bootedInstance('eu-west-1a'),
      await bootedInstance('eu-west-1b'),
      await bootedInstance('eu-west-1c'),
    ];
    for (const n of nodes) {
      configure(n);
      n.node.start();
      await w.clock.runFor(NODE_TIMING.start[1]);
    }
    expect(nodes.map((n) => n.node.status)).toEqual(['running', 'running', 'failed']);
    expect(nodes[2]?.node.failureReason).toMatch(/no license available: all 2 licenses/);
    // Stopping a node frees its license.
    const [first, , third] = nodes;
    if (!first || !third) throw new Error('three nodes expected');
    await drive(first.node.stop());
    await drive(third.node.restart());
    await w.clock.runFor(NODE_TIMING.start[1]);
    expect(nodes[2]?.node.status).toBe('running');
  });

  it('a stalled boot never becomes ready until restarted', async () => {
    const ec2 = w.region().ec2;
    const inst = await bootedInstance();
    ec2.stallBoot(inst.id);
    configure(inst);
    inst.node.start();
    await w.clock.runFor(30 * 60_000);
    expect(inst.node.status).toBe('starting');
    expect(inst.node.ready()).toBe(false);
    await drive(inst.node.restart());
    await w.clock.runFor(NODE_TIMING.start[1]);
    expect(inst.node.ready()).toBe(true);
  });

  it('takes a boot stall injected for the next launch', async () => {
    w.faults.stallNextBoots('eu-west-1');
    const inst = w
      .region()
      .ec2.launch({ az: 'eu-west-1a', launchedBy: 'test', role: 'member', bootstrap: 'user-data' });
    await w.clock.runFor(30 * 60_000);
    expect(inst.node.status).toBe('starting');
    expect(inst.node.ready()).toBe(false);
  });

  it('user-data bootstrap configures node.id = instance id and starts without a control plane', async () => {
    const inst = w
      .region()
      .ec2.launch({ az: 'eu-west-1b', launchedBy: 'asg', role: 'member', bootstrap: 'user-data' });
    await w.clock.runFor(EC2_TIMING.boot[1] + NODE_TIMING.userData[1] + NODE_TIMING.start[1]);
    expect(inst.node.systemYaml).toEqual({
      nodeId: inst.id,
      nodeIp: inst.privateIp,
      haEnabled: true,
      role: 'member',
    });
    expect(inst.node.status).toBe('running');
  });

  it('a crash kills the node; EC2 stop stops it', async () => {
    const ec2 = w.region().ec2;
    const a = await bootedInstance('eu-west-1a');
    const b = await bootedInstance('eu-west-1b');
    for (const n of [a, b]) {
      configure(n);
      n.node.start();
      await w.clock.runFor(NODE_TIMING.start[1]);
    }
    ec2.crash(a.id);
    expect(a.node.status).toBe('failed');
    expect(a.node.failureReason).toBe('host crashed');
    ec2.stop(b.id, 'User initiated');
    expect(b.node.status).toBe('stopped');
    await w.clock.runFor(EC2_TIMING.shutdown[1]);
    expect(b.state).toBe('stopped');
  });

  it('nothing starts on a dead host', async () => {
    const inst = await bootedInstance();
    configure(inst);
    w.region().ec2.crash(inst.id);
    expect(inst.node.start()).toEqual({ started: false, reason: 'the host is down' });
  });

  it('cloud-native nodes carry a taskAffinity and are never primary', async () => {
    const world = makeWorld({ mode: 'cloud-native' });
    w.clock.uninstall();
    world.clock.install();
    try {
      const inst = world
        .region()
        .ec2.launch({ az: 'eu-west-1a', launchedBy: 'asg', role: 'primary', bootstrap: 'running' });
      expect(inst.node.taskAffinity).toBe('any');
      expect(inst.node.role).toBeUndefined();
      expect(inst.node.isPrimary()).toBe(false);
      expect(inst.node.ready()).toBe(true);
    } finally {
      world.clock.uninstall();
      w.clock.install();
    }
  });
});

describe('Secrets Manager', () => {
  it('holds the cluster keys and serves GetSecretValue by name or ARN', async () => {
    const s = w.region().secrets;
    const names = clusterKeySecretNames('artifactory-test');
    const byName = (await s.api.GetSecretValue?.({ SecretId: names.masterKey })) as Record<string, unknown>;
    expect(byName).toMatchObject({ Name: names.masterKey, VersionStages: ['AWSCURRENT'] });
    expect(byName.SecretString).toMatch(/^[0-9a-f]{64}$/);
    expect(byName.ARN).toMatch(
      new RegExp(`^arn:aws:secretsmanager:eu-west-1:111122223333:secret:${names.masterKey}-[A-Za-z0-9]{6}$`),
    );
    const byArn = (await s.api.GetSecretValue?.({ SecretId: byName.ARN })) as Record<string, unknown>;
    expect(byArn.SecretString).toBe(byName.SecretString);
    expect(s.secretValues()).toContain(byName.SecretString);
  });

  it('keeps the previous version as AWSPREVIOUS and rejects unknown secrets', async () => {
    const s = w.region().secrets;
    const arn = s.putSecret('app/token', 'one');
    expect(s.putSecret('app/token', 'two')).toBe(arn);
    expect(s.valueOf('app/token')).toBe('two');
    const previous = (await s.api.GetSecretValue?.({
      SecretId: 'app/token',
      VersionStage: 'AWSPREVIOUS',
    })) as {
      SecretString: string;
    };
    expect(previous.SecretString).toBe('one');
    const described = (await s.api.DescribeSecret?.({ SecretId: arn })) as {
      VersionIdsToStages: Record<string, string[]>;
    };
    expect(Object.values(described.VersionIdsToStages).sort()).toEqual([['AWSCURRENT'], ['AWSPREVIOUS']]);
    const err = await apiError(() => s.api.GetSecretValue?.({ SecretId: 'nope' }));
    expect(err).toMatchObject({
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });
  });
});
