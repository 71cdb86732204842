import fc from 'fast-check';
import {
  type ClusterGroups,
  decideLifecycle,
  executionName,
  type LifecycleAction,
  roleOf,
} from '../../../functions/core/lifecycle';

const groups: ClusterGroups = {
  cluster: 'artifactory-prod',
  region: 'eu-west-1',
  mode: 'legacy-primary',
  primaryAsgName: 'prod-primary',
  memberAsgName: 'prod-members',
};

const instanceId = fc.stringMatching(/^i-[0-9a-f]{17}$/);
const location = fc.constantFrom<'EC2' | 'AutoScalingGroup' | 'WarmPool' | undefined>(
  'EC2',
  'AutoScalingGroup',
  'WarmPool',
  undefined,
);
const action = fc.record<LifecycleAction>({
  groupName: fc.constantFrom('prod-primary', 'prod-members', 'someone-elses-group'),
  hookName: fc.constantFrom('launch', 'terminate'),
  instanceId,
  transition: fc.constantFrom('autoscaling:EC2_INSTANCE_LAUNCHING', 'autoscaling:EC2_INSTANCE_TERMINATING'),
  origin: location,
  destination: location,
});

describe('lifecycle decisions', () => {
  it('never act on a group that is not the cluster’s', () => {
    fc.assert(
      fc.property(action, (a) => {
        const d = decideLifecycle(a, groups);
        if (a.groupName === 'someone-elses-group') return d.kind === 'ignore';
        return d.kind !== 'ignore';
      }),
    );
  });

  it('give an event and a sweep for the same action the same execution name and input (idempotency)', () => {
    fc.assert(
      fc.property(action, (a) => {
        fc.pre(a.origin !== 'WarmPool' && a.destination !== 'WarmPool');
        // The sweep reads pending actions from DescribeAutoScalingInstances: no Origin/Destination, no token.
        const fromSweep = decideLifecycle({ ...a, origin: undefined, destination: undefined }, groups);
        expect(fromSweep).toEqual(decideLifecycle(a, groups));
      }),
    );
  });

  it('name executions deterministically, within Step Functions’ 80 characters and allowed characters', () => {
    fc.assert(
      fc.property(
        instanceId,
        fc.constantFrom('node-bootstrap', 'node-drain') as fc.Arbitrary<'node-bootstrap' | 'node-drain'>,
        (id, wf) => {
          const name = executionName(wf, id);
          expect(name).toBe(executionName(wf, id));
          expect(name.length).toBeLessThanOrEqual(80);
          expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
          expect(name).toContain(id);
        },
      ),
    );
  });

  it('launches bootstrap, terminations drain, and the role follows the group', () => {
    fc.assert(
      fc.property(action, (a) => {
        const d = decideLifecycle(a, groups);
        if (d.kind !== 'start') return true;
        expect(d.workflow).toBe(
          a.transition === 'autoscaling:EC2_INSTANCE_LAUNCHING' ? 'node-bootstrap' : 'node-drain',
        );
        expect(d.input.role).toBe(roleOf(a.groupName, groups));
        expect(d.input.instanceId).toBe(a.instanceId);
        expect(JSON.stringify(d.input)).not.toMatch(/token/i);
        return true;
      }),
    );
  });

  it('complete warm-pool traffic without joining or draining the cluster', () => {
    const base = { groupName: 'prod-members', hookName: 'h', instanceId: 'i-0123456789abcdef0' } as const;
    expect(
      decideLifecycle(
        { ...base, transition: 'autoscaling:EC2_INSTANCE_LAUNCHING', origin: 'EC2', destination: 'WarmPool' },
        groups,
      ),
    ).toMatchObject({
      kind: 'complete',
      result: 'CONTINUE',
    });
    expect(
      decideLifecycle(
        {
          ...base,
          transition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
          origin: 'WarmPool',
          destination: 'AutoScalingGroup',
        },
        groups,
      ),
    ).toMatchObject({ kind: 'start', workflow: 'node-bootstrap' });
    expect(
      decideLifecycle(
        {
          ...base,
          transition: 'autoscaling:EC2_INSTANCE_TERMINATING',
          origin: 'WarmPool',
          destination: 'EC2',
        },
        groups,
      ),
    ).toMatchObject({
      kind: 'complete',
    });
    expect(
      decideLifecycle(
        {
          ...base,
          transition: 'autoscaling:EC2_INSTANCE_TERMINATING',
          origin: 'AutoScalingGroup',
          destination: 'WarmPool',
        },
        groups,
      ),
    ).toMatchObject({ kind: 'start', workflow: 'node-drain' });
  });
});
