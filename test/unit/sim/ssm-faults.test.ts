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
