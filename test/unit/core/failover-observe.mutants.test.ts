import type { ClusterState } from '../../../functions/core/failover';
import {
  confirm,
  type NodeObservation,
  nodeObservation,
  type Observation,
  type ObserveSettings,
  observe,
  parseProbe,
  presumedPrimary,
  probeTargets,
  UNREACHABLE,
  withProbes,
} from '../../../functions/core/failover-observe';

const P = 'i-000000000000000p1';
const P2 = 'i-000000000000000p2';
const M = 'i-000000000000000m1';
const legacy: ObserveSettings = { mode: 'legacy-primary', minTaskNodes: 1 };
const READY_PRIMARY = { reachable: true, ready: true, role: 'primary', taskAffinity: 'any' } as const;
const READY_MEMBER = { reachable: true, ready: true, role: 'member', taskAffinity: 'none' } as const;
const NOT_READY = { reachable: true, ready: false, role: null, taskAffinity: null } as const;

const node = (instanceId: string, over: Partial<NodeObservation> = {}): NodeObservation => ({
  instanceId,
  group: 'member',
  az: 'eu-west-1a',
  lifecycleState: 'InService',
  health: 'Healthy',
  target: 'healthy',
  ec2State: 'running',
  hostStatus: 'ok',
  probe: READY_MEMBER,
  ...over,
});
const primary = (over: Partial<NodeObservation> = {}) =>
  node(P, { group: 'primary', probe: READY_PRIMARY, ...over });

describe('observe says what is wrong with the primary', () => {
  it('cloud-native: counts ready task nodes against minTaskNodes', () => {
    const cn: ObserveSettings = { mode: 'cloud-native', minTaskNodes: 2 };
    const task = (id: string) => node(id, { probe: { ...READY_MEMBER, taskAffinity: 'any' } });
    expect(observe([task(P), task(M)], undefined, cn)).toEqual({ kind: 'healthy' });
    expect(observe([task(P), node(M)], undefined, cn)).toEqual({
      kind: 'down',
      why: '1 ready node(s) with taskAffinity any, fewer than minTaskNodes 2',
    });
  });

  it('healthy: the one ready primary, healthy behind the ALB', () => {
    expect(observe([primary(), node(M)], undefined, legacy)).toEqual({ kind: 'healthy', primary: P });
  });

  it('unhoused: the one ready primary outside the groups, or detaching', () => {
    const why = `${P} is the ready primary but outside the primary group (an interrupted election)`;
    expect(observe([primary({ group: 'none', lifecycleState: 'none' })], undefined, legacy)).toEqual({
      kind: 'unhoused',
      primary: P,
      why,
    });
    expect(observe([primary({ lifecycleState: 'Detaching' })], undefined, legacy)).toEqual({
      kind: 'unhoused',
      primary: P,
      why,
    });
  });

  it('down: no primary instance at all', () => {
    expect(observe([node(M)], undefined, legacy)).toEqual({
      kind: 'down',
      why: 'the cluster has no primary instance',
    });
  });

  it('down: the instance is not running, or condemned by Auto Scaling', () => {
    expect(observe([primary({ ec2State: 'stopped', probe: UNREACHABLE })], undefined, legacy)).toEqual({
      kind: 'down',
      primary: P,
      why: 'the instance is stopped',
    });
    expect(
      observe([primary({ health: 'Unhealthy', target: 'unhealthy', probe: UNREACHABLE })], undefined, legacy),
    ).toEqual({
      kind: 'down',
      primary: P,
      why: 'the instance is condemned by Auto Scaling (InService, Unhealthy)',
    });
  });

  it('down: unhealthy behind the ALB and unreachable, or not ready', () => {
    expect(observe([primary({ target: 'unhealthy', probe: UNREACHABLE })], undefined, legacy)).toEqual({
      kind: 'down',
      primary: P,
      why: 'target unhealthy behind the ALB and the node is unreachable',
    });
    expect(observe([primary({ target: 'unhealthy', probe: NOT_READY })], undefined, legacy)).toEqual({
      kind: 'down',
      primary: P,
      why: 'target unhealthy behind the ALB and its readiness probe fails',
    });
    expect(observe([primary({ target: 'draining', probe: undefined })], undefined, legacy)).toMatchObject({
      kind: 'down',
      why: 'target draining behind the ALB and the node is unreachable',
    });
  });

  it('down: the presumed primary answers as a member', () => {
    expect(observe([primary({ probe: READY_MEMBER })], undefined, legacy)).toEqual({
      kind: 'down',
      primary: P,
      why: 'it runs as a member: the cluster has no primary',
    });
  });

  it('mixed: a presumed primary that is ready but names no role is no member', () => {
    const roleless = { reachable: true, ready: true, role: null, taskAffinity: null } as const;
    expect(observe([primary({ probe: roleless })], undefined, legacy)).toMatchObject({
      kind: 'mixed',
      primary: P,
    });
  });

  it('mixed: the ALB and the node disagree, either way', () => {
    expect(observe([primary({ target: 'unhealthy' })], undefined, legacy)).toEqual({
      kind: 'mixed',
      primary: P,
      why: 'target unhealthy behind the ALB but the node reports ready',
    });
    expect(observe([primary({ probe: NOT_READY })], undefined, legacy)).toEqual({
      kind: 'mixed',
      primary: P,
      why: 'healthy behind the ALB but its readiness probe fails',
    });
  });

  it('outside the groups, only an impaired host counts as the ALB’s down', () => {
    const recorded: ClusterState = { epoch: 4, phase: 'committed', primary: P };
    const outside = { group: 'none', lifecycleState: 'none', target: 'absent' } as const;
    expect(observe([primary({ ...outside, probe: NOT_READY })], recorded, legacy)).toMatchObject({
      kind: 'mixed',
    });
    expect(
      observe([primary({ ...outside, hostStatus: 'impaired', probe: NOT_READY })], recorded, legacy),
    ).toMatchObject({ kind: 'down', why: 'target absent behind the ALB and its readiness probe fails' });
  });
});

describe('presumedPrimary', () => {
  it('is the recorded primary while its instance exists, else the group’s InService instance, lowest id first', () => {
    const recorded: ClusterState = { epoch: 2, phase: 'committed', primary: M };
    expect(presumedPrimary([primary(), node(M)], recorded)?.instanceId).toBe(M);
    expect(presumedPrimary([primary(), node(M, { ec2State: 'terminated' })], recorded)?.instanceId).toBe(P);
    const standby = node(P, { group: 'primary', lifecycleState: 'Standby' });
    const inService = node(P2, { group: 'primary' });
    expect(presumedPrimary([standby, inService], undefined)?.instanceId).toBe(P2);
    expect(
      presumedPrimary([node(P2, { group: 'primary' }), node(P, { group: 'primary' })], undefined)?.instanceId,
    ).toBe(P);
    const P3 = 'i-000000000000000p3';
    for (const order of [
      [inService, standby],
      [standby, inService],
      [node(P3, { group: 'primary' }), standby, inService],
      [standby, node(P3, { group: 'primary' }), inService],
    ]) {
      expect(presumedPrimary(order, undefined)?.instanceId).toBe(P2);
    }
    expect(
      presumedPrimary([node(P, { group: 'primary', lifecycleState: 'Pending:Wait' })], undefined),
    ).toBeUndefined();
  });
});

describe('confirm over the window', () => {
  const down: Observation = {
    kind: 'down',
    primary: P,
    why: 'target unhealthy behind the ALB and the node is unreachable',
  };
  const mixed: Observation = {
    kind: 'mixed',
    primary: P,
    why: 'healthy behind the ALB but its readiness probe fails',
  };

  it('calls a healthy primary a false alarm, saying so', () => {
    expect(confirm({ kind: 'healthy', primary: P }, 0, 1)).toEqual({
      verdict: 'false-alarm',
      primary: P,
      why: 'the primary is ready and healthy',
    });
  });

  it('waits for the second consecutive down round, then confirms', () => {
    expect(confirm(down, 0, 0)).toEqual({ verdict: 'wait', confirmations: 1, why: down.why });
    expect(confirm(down, 1, 1)).toEqual({ verdict: 'confirmed', primary: P, why: down.why });
  });

  it('confirms at once when the instance is gone', () => {
    for (const why of [
      'the cluster has no primary instance',
      'the instance is terminated',
      'the instance is shutting-down',
      'the instance is stopped',
      'the instance is condemned by Auto Scaling (Terminating:Wait, Healthy)',
    ]) {
      expect(confirm({ kind: 'down', primary: P, why }, 0, 0)).toMatchObject({ verdict: 'confirmed', why });
    }
    expect(confirm({ kind: 'down', primary: P, why: 'the instance is pending' }, 0, 0).verdict).toBe('wait');
  });

  it('gives up at the last round: a down round not yet confirmed, or a mixed one', () => {
    expect(confirm(down, 5, 0)).toEqual({
      verdict: 'false-alarm',
      primary: P,
      why: `not confirmed in time: ${down.why}`,
    });
    expect(confirm(down, 4, 0)).toEqual({ verdict: 'wait', confirmations: 1, why: down.why });
    expect(confirm(mixed, 5, 0)).toEqual({
      verdict: 'false-alarm',
      primary: P,
      why: `not confirmed: ${mixed.why}`,
    });
    expect(confirm(mixed, 4, 1)).toEqual({ verdict: 'wait', confirmations: 0, why: mixed.why });
  });
});

describe('the probe and the snapshot', () => {
  it('reads only the last line of the probe’s output, and only its known values', () => {
    expect(parseProbe('booting\n{"ready":true,"role":"member","taskAffinity":"none"}\n')).toEqual(
      READY_MEMBER,
    );
    expect(parseProbe('{"ready":"true","role":"leader","taskAffinity":"some"}')).toEqual(NOT_READY);
    expect(parseProbe('{"ready":true,"role":"primary","taskAffinity":"any"}')).toEqual(READY_PRIMARY);
    expect(parseProbe(undefined)).toEqual(NOT_READY);
    expect(parseProbe('{"ready":true}\nnot json')).toEqual(NOT_READY);
  });

  it('merges each node’s own probe; a missing, unreachable or silent one is unreachable', () => {
    const nodes = [node(P), node(M), node(P2)];
    const merged = withProbes(nodes, [
      { instanceId: P, stdout: '{"ready":true,"role":"primary","taskAffinity":"any"}' },
      { instanceId: M, unreachable: true, stdout: '{"ready":true}' },
      { instanceId: 'i-other', stdout: '{"ready":true}' },
    ]);
    expect(merged.map((n) => n.probe)).toEqual([READY_PRIMARY, UNREACHABLE, UNREACHABLE]);
    expect(withProbes([node(P)], [{ instanceId: P }])[0]?.probe).toEqual(UNREACHABLE);
  });

  it('fills in what no source reported', () => {
    expect(nodeObservation(P, {})).toEqual({
      instanceId: P,
      group: 'none',
      az: '',
      lifecycleState: 'none',
      health: 'Healthy',
      target: 'absent',
      ec2State: 'terminated',
      hostStatus: 'unknown',
    });
    expect(
      nodeObservation(P, {
        member: { group: 'member', az: '', state: 'InService', health: 'Unhealthy' },
        ec2: { state: 'running', az: 'eu-west-1b' },
        hostStatus: 'impaired',
        target: 'unhealthy',
      }),
    ).toEqual({
      instanceId: P,
      group: 'member',
      az: 'eu-west-1b',
      lifecycleState: 'InService',
      health: 'Unhealthy',
      target: 'unhealthy',
      ec2State: 'running',
      hostStatus: 'impaired',
    });
  });

  it('probes every running instance but a condemned one on an impaired host', () => {
    const nodes = [
      node(P, { lifecycleState: 'Terminating:Wait' }),
      node(P2, { health: 'Unhealthy', hostStatus: 'impaired' }),
      node(M, { hostStatus: 'impaired' }),
      node('i-stopped', { ec2State: 'stopped' }),
    ];
    expect(probeTargets(nodes)).toEqual([P, M]);
  });
});
