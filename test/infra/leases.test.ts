// Leases cannot run out under a running holder (issue 11, item 3): each TTL outlasts its holder's execution,
// and the Lambdas that decide on a lease or a fence may read exactly the holders' status.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { STALE_FENCE_MS } from '../../functions/core/failover';
import { MAX_LEASE_SECONDS } from '../../functions/lease/handler';
import { buildApp } from '../../infra/build';
import { CERT_ROTATION, CERT_WORKFLOWS } from '../../infra/cert-rotation';
import { NODE_WORKFLOWS } from '../../infra/node-lifecycle';
import { FAILOVER_WORKFLOWS, PRIMARY_FAILOVER } from '../../infra/primary-failover';
import {
  childrenOf,
  definitionText,
  leaseAcquiresOf,
  leaseHolders,
  STATEMACHINES_DIR,
} from '../../infra/workflow-definitions';
import { exampleConfig, testApp } from './helpers';

const ALL = [...NODE_WORKFLOWS, ...FAILOVER_WORKFLOWS, ...CERT_WORKFLOWS];
/**
 * Leases extended as their holder goes instead of sized to it (a rotation of many nodes outlasts any TTL):
 * the lease, and the child whose every execution extends it as its first state, for its parent.
 */
const EXTENDED: Record<string, { parent: string; child: string }> = {
  rotation: { parent: CERT_ROTATION, child: 'cert-rotation-node' },
};
/**
 * Leases a child takes in its parent's name for its own run only (the rotation's primary restart holds the
 * cluster lock as the cert-rotation execution, which the watch recognizes): every path of the child releases
 * it and so does the parent's cleanup, so its TTL need only outlast one child.
 */
const HELD_FOR_A_CHILD = [{ lease: 'cluster', parent: CERT_ROTATION, child: 'cert-rotation-node' }] as const;
const heldForAChild = (a: { workflow: string; lease: string }) =>
  HELD_FOR_A_CHILD.some((h) => h.child === a.workflow && h.lease === a.lease);
/** Clock skew between Lambda hosts and the time a lease Task takes: the TTL's margin over its holder's timeout. */
const MARGIN_SECONDS = 60;
/** A loop's counter Choice (its first rule bounds the rounds) or its Wait. */
interface AslLoopState {
  readonly Choices?: readonly { readonly NumericGreaterThanEquals?: number }[];
  readonly Seconds?: number;
}
interface AwaitReadyStates {
  readonly States: Record<
    string,
    AslLoopState & {
      readonly Parameters?: { readonly Input?: { readonly parameters?: Record<string, string[]> } };
    }
  >;
}
const timeoutOf = (name: string) =>
  (JSON.parse(definitionText(name)) as { TimeoutSeconds: number }).TimeoutSeconds;

describe('lease sizing (static, over every definition)', () => {
  const acquires = ALL.flatMap((n) => leaseAcquiresOf(n));

  it('finds the leases the workflows take (the check can see them)', () => {
    expect(acquires.map((a) => `${a.workflow}/${a.lease}`)).toEqual(
      expect.arrayContaining(['primary-failover/cluster', 'node-bootstrap/join']),
    );
  });

  it.each(
    acquires
      .filter((a) => !(a.lease in EXTENDED) && !heldForAChild(a))
      .map((a) => [`${a.workflow} ${a.state} (${a.lease})`, a] as const),
  )('%s: the TTL outlasts every execution that can own it', (_label, a) => {
    const owners =
      a.owner === '$$.Execution.Id'
        ? [a.workflow]
        : ALL.filter((p) => childrenOf(p, ALL).includes(a.workflow));
    expect(owners.length).toBeGreaterThan(0);
    for (const owner of owners)
      expect(a.ttlSeconds).toBeGreaterThanOrEqual(timeoutOf(owner) + MARGIN_SECONDS);
    expect(a.ttlSeconds).toBeLessThanOrEqual(MAX_LEASE_SECONDS);
  });

  it.each(Object.entries(EXTENDED))(
    'the %s lease: every child extends it first, and its TTL outlasts one child plus every other step of the parent (Patroni: renew interval + retries <= TTL)',
    (lease, { parent, child }) => {
      const childMachine = JSON.parse(definitionText(child)) as { StartAt: string };
      const extend = leaseAcquiresOf(child).filter((a) => a.lease === lease);
      expect(extend.map((a) => a.state)).toEqual([childMachine.StartAt]);
      expect(extend[0]?.owner).toBe('$.owner');
      const taken = leaseAcquiresOf(parent).filter((a) => a.lease === lease);
      expect(taken.map((a) => a.owner)).toEqual(['$$.Execution.Id']);
      // What can run between two extensions: one child, and at worst every Task of the parent but the children.
      const parentTasks = Object.values(
        (
          JSON.parse(definitionText(parent)) as {
            States: Record<string, { Type: string; TimeoutSeconds?: number }>;
          }
        ).States,
      )
        .filter((st) => st.Type === 'Task')
        .reduce((sum, st) => sum + (st.TimeoutSeconds ?? Number.POSITIVE_INFINITY), 0);
      for (const a of [...extend, ...taken]) {
        expect(a.ttlSeconds).toBeGreaterThanOrEqual(timeoutOf(child) + parentTasks + MARGIN_SECONDS);
        expect(a.ttlSeconds).toBeLessThanOrEqual(MAX_LEASE_SECONDS);
      }
      // The parent's Map iterations start nothing but that child.
      expect(childrenOf(parent, ALL)).toEqual([child]);
    },
  );

  it.each(HELD_FOR_A_CHILD.map((h) => [`${h.child} (${h.lease})`, h] as const))(
    '%s: taken in the parent’s name for one child, released by the child and by the parent’s cleanup, its TTL outlasting the child',
    (_label, { lease, parent, child }) => {
      const taken = leaseAcquiresOf(child).filter((a) => a.lease === lease);
      expect(taken.length).toBeGreaterThan(0);
      for (const a of taken) {
        expect(a.owner).toBe('$.owner');
        expect(a.ttlSeconds).toBeGreaterThanOrEqual(timeoutOf(child) + MARGIN_SECONDS);
        expect(a.ttlSeconds).toBeLessThanOrEqual(MAX_LEASE_SECONDS);
      }
      const releases = (name: string, owner: string) =>
        Object.values(
          (
            JSON.parse(definitionText(name)) as {
              States: Record<string, { Parameters?: { Payload?: Record<string, unknown> } }>;
            }
          ).States,
        ).filter(
          (st) =>
            st.Parameters?.Payload?.op === 'release' &&
            st.Parameters.Payload.name === lease &&
            st.Parameters.Payload['owner.$'] === owner,
        );
      expect(releases(child, '$.owner').length).toBeGreaterThan(0);
      expect(releases(parent, '$$.Execution.Id')).toHaveLength(1);
    },
  );

  it('keeps a fence standing, when its execution cannot be asked, longer than an election can run', () => {
    expect(STALE_FENCE_MS).toBeGreaterThanOrEqual((timeoutOf(PRIMARY_FAILOVER) + MARGIN_SECONDS) * 1000);
  });

  it('lets a promotion queue for the join lock as long as a join does, longer than one join may hold it', () => {
    // A join holds the lock from its start until the node is ready; a promotion (the cluster has no primary)
    // that gave up sooner could lose to ordinary joins, and its run then quarantined the untouched candidate.
    const patience = (workflow: string, counter: string, wait: string) => {
      const states = (JSON.parse(definitionText(workflow)) as { States: Record<string, AslLoopState> })
        .States;
      const rounds = states[counter]?.Choices?.find(
        (c) => c.NumericGreaterThanEquals !== undefined,
      )?.NumericGreaterThanEquals;
      const seconds = states[wait]?.Seconds;
      if (rounds === undefined || seconds === undefined)
        throw new Error(`no ${counter}/${wait} in ${workflow}`);
      return rounds * seconds;
    };
    const promotion = patience(
      'primary-failover-candidate',
      'PromotionLockWaitsLeft',
      'WaitForPromotionLock',
    );
    // The join queues until the lease function finds the lock still held its patience after the queue began.
    const queue = (
      JSON.parse(definitionText('node-bootstrap')) as {
        States: Record<string, { Parameters?: { Payload?: { queue?: { seconds?: number } } } }>;
      }
    ).States.QueueForJoinLock?.Parameters?.Payload?.queue;
    const join = queue?.seconds;
    expect(join).toBeGreaterThan(900);
    // The readiness wait: its probes, each waiting on the node, then the ALB's checks.
    const ready = (JSON.parse(definitionText('node-bootstrap-await-ready')) as AwaitReadyStates).States;
    const readiness =
      (ready.StartRoundsLeft?.Choices?.[0]?.NumericGreaterThanEquals ?? 0) *
        Number(ready.ProbeNodeReadiness?.Parameters?.Input?.parameters?.WaitSeconds?.[0]) +
      (ready.WaitForTargetHealth?.Seconds ?? 0) +
      patience('node-bootstrap-await-ready', 'TargetHealthy', 'WaitForTargetHealth');
    expect(readiness).toBeGreaterThan(600);
    expect(promotion).toBeGreaterThanOrEqual(join ?? Number.POSITIVE_INFINITY);
    expect(promotion).toBeGreaterThan(readiness);
    // The attempt's own bound leaves the promotion and its verification their time after the queue.
    expect(timeoutOf('primary-failover-candidate')).toBeGreaterThanOrEqual(promotion + 900);
  });

  it('has no renew op left anywhere: leases are sized, not renewed', () => {
    for (const name of ALL) expect(definitionText(name)).not.toMatch(/"op":\s*"renew"/);
    expect(
      readFileSync(path.join(STATEMACHINES_DIR, '..', 'functions/lease/handler.ts'), 'utf8'),
    ).not.toMatch(/renew/);
  });
});

describe('who may read an execution’s status', () => {
  const built = buildApp(exampleConfig(), { app: testApp(), policyChecks: false });
  const stack = built.controlPlanes.get('eu-west-1');
  if (!stack) throw new Error('no eu-west-1 stack');
  const t = Template.fromStack(stack);
  const describeResources = (rolePrefix: string): string[] =>
    Object.values(
      t.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${rolePrefix}`) }] },
      }),
    )
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s: { Action: string | string[] }) => [s.Action].flat().includes('states:DescribeExecution'))
      .flatMap((s: { Resource: unknown }) => [s.Resource].flat())
      .map((r) => JSON.stringify(r))
      .sort();
  const executionsOf = (name: string) => new RegExp(`:execution:[^"]*-${name}:\\*`);

  it('the lease Lambda: exactly the executions of the workflows that hold leases', () => {
    const holders = leaseHolders(ALL);
    expect(holders).toEqual(
      expect.arrayContaining(['node-bootstrap', 'primary-failover', 'cert-rotation', 'cert-rotation-node']),
    );
    const granted = describeResources('NodeLifecycleLease');
    expect(granted).toHaveLength(holders.length);
    for (const h of holders) expect(granted.some((r) => executionsOf(h).test(r))).toBe(true);
  });

  it.each(['NodeLifecycleFailover', 'NodeLifecycleReconciler'])(
    '%s: the elections (primary-failover executions) only',
    (prefix) => {
      const granted = describeResources(prefix);
      expect(granted).toHaveLength(1);
      expect(granted[0]).toMatch(executionsOf(PRIMARY_FAILOVER));
    },
  );
});
