/**
 * The certs Lambda's reads: the cluster's instances (Auto Scaling groups, EC2 private IPs, the ALB's view),
 * their node records and the PKI item. Nothing here writes.
 */
import type { CaRotation, ClusterNode, NodeCertRecord } from '../core/cert-rotation';
import { nodeKey, nodeSk, pkiKey } from '../core/keys';
import { autoScalingSdk } from '../shared/clients/auto-scaling';
import { dynamoDocSdk } from '../shared/clients/dynamodb';
import { ec2Sdk } from '../shared/clients/ec2';
import { elbv2Sdk } from '../shared/clients/elbv2';
import type { CertsConfig, CertsDeps } from './config';

/** BatchGetItem takes at most 100 keys per request (DynamoDB API reference, BatchGetItem). */
const BATCH = 100;
/** DescribeInstances takes at most 1000 instance ids per request (EC2 API reference). */
const DESCRIBE_BATCH = 1000;

/** The ALB's state per registered target. */
export async function targetStates(config: CertsConfig, deps: CertsDeps): Promise<Map<string, string>> {
  const { DescribeTargetHealthCommand } = elbv2Sdk();
  const out = await deps.clients
    .elbv2()
    .send(new DescribeTargetHealthCommand({ TargetGroupArn: config.targetGroupArn }));
  const states = new Map<string, string>();
  for (const t of out.TargetHealthDescriptions ?? []) {
    if (t.Target?.Id) states.set(t.Target.Id, t.TargetHealth?.State ?? 'unavailable');
  }
  return states;
}

/** The cluster's instances with their IPs, ALB state and node record, sorted by id. */
export async function readCluster(config: CertsConfig, deps: CertsDeps): Promise<ClusterNode[]> {
  const { DescribeAutoScalingGroupsCommand } = autoScalingSdk();
  const { DescribeInstancesCommand } = ec2Sdk();
  const { BatchGetCommand } = dynamoDocSdk();
  const [groups, targets] = await Promise.all([
    deps.clients.autoScaling().send(
      new DescribeAutoScalingGroupsCommand({
        AutoScalingGroupNames: [config.primaryAsgName, config.memberAsgName],
      }),
    ),
    targetStates(config, deps),
  ]);
  const members = new Map<string, { role: 'primary' | 'member'; state: string }>();
  for (const g of groups.AutoScalingGroups ?? []) {
    const role = g.AutoScalingGroupName === config.primaryAsgName ? 'primary' : 'member';
    for (const i of g.Instances ?? []) {
      if (i.InstanceId) members.set(i.InstanceId, { role, state: i.LifecycleState ?? 'unknown' });
    }
  }
  const ids = [...members.keys()].sort();
  const ips = new Map<string, string>();
  for (let i = 0; i < ids.length; i += DESCRIBE_BATCH) {
    const out = await deps.clients
      .ec2()
      .send(new DescribeInstancesCommand({ InstanceIds: ids.slice(i, i + DESCRIBE_BATCH) }));
    for (const r of out.Reservations ?? []) {
      for (const inst of r.Instances ?? []) {
        if (inst.InstanceId && inst.PrivateIpAddress) ips.set(inst.InstanceId, inst.PrivateIpAddress);
      }
    }
  }
  const certs = new Map<string, NodeCertRecord>();
  // Node records hold no instance id attribute (node-bootstrap's RecordNode): the sort key names the node.
  const idOfSk = new Map(ids.map((id) => [nodeSk(id), id]));
  for (let i = 0; i < ids.length; i += BATCH) {
    let keys = ids.slice(i, i + BATCH).map((id) => nodeKey(config.cluster, id));
    // Unprocessed keys are asked again (bounded: a throttled table fails the call, and the ASL retries it).
    for (let round = 0; round < 5 && keys.length > 0; round++) {
      const out = await deps.clients.dynamoDoc().send(
        new BatchGetCommand({
          RequestItems: { [config.stateTable]: { Keys: keys, ConsistentRead: true } },
        }),
      );
      for (const item of out.Responses?.[config.stateTable] ?? []) {
        const id = idOfSk.get(String(item.sk));
        if (item.cert && id) certs.set(id, item.cert as NodeCertRecord);
      }
      keys = (out.UnprocessedKeys?.[config.stateTable]?.Keys ?? []) as typeof keys;
    }
    if (keys.length > 0) throw new Error('the state table left node records unread after 5 rounds');
  }
  return ids.map((id) => {
    const m = members.get(id) as { role: 'primary' | 'member'; state: string };
    return {
      instanceId: id,
      role: m.role,
      ip: ips.get(id),
      lifecycleState: m.state,
      target: targets.get(id) ?? 'unregistered',
      cert: certs.get(id),
    };
  });
}

/** Which of `ids` EC2 knows (an unknown one is `InvalidInstanceID.NotFound`), asked one by one. */
export async function knownInstances(ids: readonly string[], deps: CertsDeps): Promise<Set<string>> {
  const { DescribeInstancesCommand } = ec2Sdk();
  const known = new Set<string>();
  for (const id of ids) {
    try {
      const out = await deps.clients.ec2().send(new DescribeInstancesCommand({ InstanceIds: [id] }));
      if ((out.Reservations ?? []).some((r) => (r.Instances ?? []).length > 0)) known.add(id);
    } catch (err) {
      if ((err as Error).name !== 'InvalidInstanceID.NotFound') throw err;
    }
  }
  return known;
}

/** The PKI item: the issuing generation and a CA rotation in progress (absent before the signer's first `ca`). */
export async function readPki(
  config: CertsConfig,
  deps: CertsDeps,
): Promise<{ active?: number; rotation?: CaRotation }> {
  const { GetCommand } = dynamoDocSdk();
  const out = await deps.clients
    .dynamoDoc()
    .send(
      new GetCommand({ TableName: config.stateTable, Key: pkiKey(config.cluster), ConsistentRead: true }),
    );
  const item = out.Item as { active?: number; rotation?: CaRotation } | undefined;
  return {
    ...(typeof item?.active === 'number' ? { active: item.active } : {}),
    ...(item?.rotation ? { rotation: item.rotation } : {}),
  };
}
