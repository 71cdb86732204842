/**
 * The SSM unit tests' helpers over a compute-harness world: send a document, read its invocation, wait for it
 * the way node-command does. Shared by ssm.test.ts and ssm-faults.test.ts.
 */
import { documentNames } from '../../../infra/ssm-documents';
import type { SimInstance } from '../../../sim/core/contracts';
import { EC2_TIMING } from '../../../sim/services/ec2';
import { clusterKeySecretNames } from '../../../sim/services/secrets';
import { SSM_TIMING } from '../../../sim/services/ssm';
import type { ComputeWorld } from './compute-harness';

export interface Invocation {
  Status: string;
  StatusDetails: string;
  ResponseCode: number;
  StandardOutputContent: string;
  StandardErrorContent: string;
}

/** The helpers, bound to the current test's world. */
export function ssmHarness(world: () => ComputeWorld) {
  const w = {
    get clock() {
      return world().clock;
    },
    region: () => world().region(),
  };
  const ssm = () => w.region().ssm;
  const call = async <T = Record<string, unknown>>(
    action: string,
    input: Record<string, unknown>,
  ): Promise<T> => {
    const handler = ssm().api[action];
    if (!handler) throw new Error(`${action} is not modelled`);
    return (await handler(input)) as T;
  };

  const secretNames = clusterKeySecretNames('artifactory-test');
  /** The documents as the harness's world registers them (cluster `artifactory-test`). */
  const docs = documentNames('artifactory-test');
  const configureParams = (inst: SimInstance, role = 'member') => ({
    Role: [role],
    NodeId: [inst.id],
    MasterKeySecretId: [secretNames.masterKey],
    JoinKeySecretId: [secretNames.joinKey],
    ClusterMode: ['legacy-primary'],
  });

  /** Launches an instance and waits until it is a managed node. */
  async function managedInstance(az = 'eu-west-1a'): Promise<SimInstance> {
    const inst = w.region().ec2.launch({ az, launchedBy: 'test', role: 'member', bootstrap: 'none' });
    await w.clock.runFor(EC2_TIMING.boot[1] + SSM_TIMING.registration[1]);
    expect(ssm().isManaged(inst.id)).toBe(true);
    return inst;
  }

  async function send(
    doc: string,
    inst: SimInstance,
    Parameters: Record<string, string[]> = {},
    TimeoutSeconds?: number,
  ) {
    const out = await call<{ Command: { CommandId: string; Status: string } }>('SendCommand', {
      DocumentName: doc,
      InstanceIds: [inst.id],
      Parameters,
      ...(TimeoutSeconds !== undefined ? { TimeoutSeconds } : {}),
    });
    return out.Command.CommandId;
  }

  const invocation = (commandId: string, inst: SimInstance) =>
    call<Invocation>('GetCommandInvocation', { CommandId: commandId, InstanceId: inst.id });

  /** Polls GetCommandInvocation every 5 s until a terminal status (the harness's own wait). */
  async function finished(commandId: string, inst: SimInstance, maxMs = 2 * 3_600_000): Promise<Invocation> {
    const until = w.clock.now() + maxMs;
    while (w.clock.now() < until) {
      await w.clock.runFor(5_000);
      const inv = await invocation(commandId, inst);
      if (!['Pending', 'InProgress', 'Delayed'].includes(inv.Status)) return inv;
    }
    throw new Error('command did not finish');
  }

  return { ssm, call, secretNames, docs, configureParams, managedInstance, send, invocation, finished };
}
