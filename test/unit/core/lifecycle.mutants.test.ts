import {
  type ClusterGroups,
  decideLifecycle,
  HOOK_NAMES,
  type LifecycleAction,
  sweptAction,
} from '../../../functions/core/lifecycle';

const groups: ClusterGroups = {
  cluster: 'prod',
  region: 'eu-west-1',
  mode: 'legacy-primary',
  primaryAsgName: 'prod-primary',
  memberAsgName: 'prod-members',
};
const launch: LifecycleAction = {
  groupName: 'prod-members',
  hookName: HOOK_NAMES.launch,
  instanceId: 'i-0123456789abcdef0',
  transition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
};
const terminate: LifecycleAction = {
  ...launch,
  hookName: HOOK_NAMES.terminate,
  transition: 'autoscaling:EC2_INSTANCE_TERMINATING',
};

describe('lifecycle decisions say why (the audit records the reason)', () => {
  it('ignores a foreign group, naming it', () => {
    expect(decideLifecycle({ ...launch, groupName: 'team-x' }, groups)).toEqual({
      kind: 'ignore',
      reason: "group team-x is not one of the cluster's groups",
    });
  });

  it('completes a launch into the warm pool with CONTINUE', () => {
    expect(decideLifecycle({ ...launch, destination: 'WarmPool' }, groups)).toEqual({
      kind: 'complete',
      result: 'CONTINUE',
      reason: 'launched into the warm pool: it joins the cluster when it leaves the pool',
    });
  });

  it('completes a termination out of the warm pool with CONTINUE, without a drain', () => {
    expect(decideLifecycle({ ...terminate, origin: 'WarmPool' }, groups)).toEqual({
      kind: 'complete',
      result: 'CONTINUE',
      reason: 'terminating from the warm pool: it never joined the cluster',
    });
  });
});

describe('sweptAction', () => {
  it('rebuilds a terminating action under the project’s terminate hook', () => {
    expect(sweptAction('prod-members', 'i-1', 'Terminating:Wait')).toEqual({
      groupName: 'prod-members',
      instanceId: 'i-1',
      hookName: 'artifactory-ha-terminate',
      transition: 'autoscaling:EC2_INSTANCE_TERMINATING',
    });
    expect(decideLifecycle(sweptAction('prod-members', 'i-1', 'Terminating:Wait'), groups)).toMatchObject({
      kind: 'start',
      workflow: 'node-drain',
    });
  });
});
