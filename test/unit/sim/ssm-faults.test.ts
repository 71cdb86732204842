import { NODE_TIMING } from '../../../sim/services/artifactory';
import { SSM_TIMING } from '../../../sim/services/ssm';
import { type ComputeWorld, makeWorld } from './compute-harness';
import { ssmHarness } from './ssm-harness';

let w: ComputeWorld;

beforeEach(() => {
  w = makeWorld();
  w.clock.install();
});

afterEach(() => {
  w.clock.uninstall();
});

const { docs, configureParams, managedInstance, send, invocation, finished } = ssmHarness(() => w);

describe('injected SSM command faults', () => {
  it('injected faults: Failed, and TimedOut at the execution timeout', async () => {
    const inst = await managedInstance();
    w.faults.ssmCommand({ region: 'eu-west-1', document: docs.configureNode, outcome: 'Failed' });
    const failed = await finished(await send(docs.configureNode, inst, configureParams(inst)), inst);
    expect(failed).toMatchObject({ Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 1 });
    expect(inst.node.status).toBe('unconfigured');

    w.faults.ssmCommand({ region: 'eu-west-1', document: docs.probeReadiness, outcome: 'TimedOut' });
    const sentAt = w.clock.now();
    const timedOut = await finished(await send(docs.probeReadiness, inst), inst);
    expect(timedOut).toMatchObject({
      Status: 'TimedOut',
      StatusDetails: 'ExecutionTimedOut',
      ResponseCode: -1,
    });
    // ProbeReadiness runs for at most 60 s.
    expect(w.clock.now() - sentAt).toBeLessThan(60_000 + SSM_TIMING.delivery[1] + 5_000 + 1);
  });

  it('injected slow runs: late but done under the execution timeout; TimedOut past it, and nothing done', async () => {
    const inst = await managedInstance();
    w.faults.slowSsmCommand({ region: 'eu-west-1', document: docs.configureNode, seconds: 250 });
    const sentAt = w.clock.now();
    const slow = await finished(await send(docs.configureNode, inst, configureParams(inst)), inst);
    expect(slow).toMatchObject({ Status: 'Success' });
    // ConfigureNode's own work takes 5-15 s; the slow run adds 250 s, still inside its 300 s timeout.
    expect(w.clock.now() - sentAt).toBeGreaterThanOrEqual(250_000);
    expect(inst.node.status).toBe('stopped');

    // StartArtifactory's execution timeout is 300 s: a run 400 s slow never starts anything.
    w.faults.slowSsmCommand({ region: 'eu-west-1', document: docs.startArtifactory, seconds: 400, times: 1 });
    const startSentAt = w.clock.now();
    const timedOut = await finished(await send(docs.startArtifactory, inst), inst);
    expect(timedOut).toMatchObject({ Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut' });
    expect(w.clock.now() - startSentAt).toBeLessThan(300_000 + SSM_TIMING.delivery[1] + 5_000 + 1);
    await w.clock.runFor(200_000);
    expect(inst.node.status).toBe('stopped');
    // The fault was used up: the next run starts Artifactory at once.
    expect((await finished(await send(docs.startArtifactory, inst), inst)).Status).toBe('Success');
    expect(inst.node.status).toBe('starting');
    expect(() => w.faults.slowSsmCommand({ region: 'eu-west-1', seconds: 0 })).toThrow(/seconds > 0/);
  });

  it('injected Hang: the node never answers, InProgress past the execution timeout until the command expires', async () => {
    const inst = await managedInstance();
    await finished(await send(docs.configureNode, inst, configureParams(inst)), inst);
    await finished(await send(docs.startArtifactory, inst), inst);
    await w.clock.runFor(NODE_TIMING.start[1]);
    expect(inst.node.ready()).toBe(true);
    w.faults.ssmCommand({ region: 'eu-west-1', document: docs.setPrimaryRole, outcome: 'Hang' });
    const sentAt = w.clock.now();
    const id = await send(
      docs.setPrimaryRole,
      inst,
      { Role: ['primary'], ClusterMode: ['legacy-primary'] },
      120,
    );
    // SetPrimaryRole runs for at most 600 s: a hung invocation is still InProgress well past that...
    await w.clock.runFor(600_000 + 60_000);
    expect(await invocation(id, inst)).toMatchObject({ Status: 'InProgress', ResponseCode: -1 });
    // ...until the command expires, delivery timeout plus execution timeout after it was sent.
    const ended = await finished(id, inst);
    expect(ended).toMatchObject({ Status: 'TimedOut', StatusDetails: 'DeliveryTimedOut', ResponseCode: -1 });
    const expiresAt = sentAt + (120 + 600) * 1000;
    expect(w.clock.now()).toBeGreaterThanOrEqual(expiresAt);
    expect(w.clock.now()).toBeLessThanOrEqual(expiresAt + 5_000);
    // The node never ran the script: still a ready member; and the next command is not affected.
    expect(inst.node.role).toBe('member');
    expect(inst.node.ready()).toBe(true);
    expect(await finished(await send(docs.probeReadiness, inst), inst)).toMatchObject({ Status: 'Success' });
  });
});
