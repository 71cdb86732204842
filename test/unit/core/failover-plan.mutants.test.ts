import type { NodeObservation } from '../../../functions/core/failover-observe';
import { CandidateError, chooseCandidates, eligible, plan } from '../../../functions/core/failover-plan';

const P = 'i-000000000000000p1';
const A = 'i-000000000000000a1';
const B = 'i-000000000000000b1';
const C = 'i-000000000000000c1';
const D = 'i-000000000000000d1';
const READY_MEMBER = { reachable: true, ready: true, role: 'member', taskAffinity: 'none' } as const;
const UNREACHABLE = { reachable: false, ready: false, role: null, taskAffinity: null } as const;
const legacy = { mode: 'legacy-primary', minTaskNodes: 1 } as const;
const native = { mode: 'cloud-native', minTaskNodes: 2 } as const;

const node = (instanceId: string, over: Partial<NodeObservation> = {}): NodeObservation => ({
  instanceId,
  group: 'member',
  az: 'eu-west-1b',
  lifecycleState: 'InService',
  health: 'Healthy',
  target: 'healthy',
  ec2State: 'running',
  hostStatus: 'ok',
  probe: READY_MEMBER,
  ...over,
});
const failed = node(P, { group: 'primary', az: 'eu-west-1a', target: 'unhealthy', probe: UNREACHABLE });
const orphan = (id: string, over: Partial<NodeObservation> = {}) =>
  node(id, { group: 'none', lifecycleState: 'none', target: 'absent', ...over });

describe('a requested candidate is refused with the reason', () => {
  const refused = (
    candidate: NodeObservation,
    mode: 'legacy-primary' | 'cloud-native' = 'legacy-primary',
  ) => {
    try {
      plan([failed, candidate], undefined, {
        ...(mode === 'legacy-primary' ? legacy : native),
        failedPrimary: P,
        candidate: candidate.instanceId,
      });
    } catch (err) {
      expect(err).toBeInstanceOf(CandidateError);
      return (err as Error).message;
    }
    return 'accepted';
  };

  it.each<[string, Partial<NodeObservation>, string]>([
    ['in the primary group', { group: 'primary' }, 'is not in the member group'],
    ['out of service', { lifecycleState: 'Standby' }, 'is Standby/Healthy, not InService/Healthy'],
    ['unhealthy', { health: 'Unhealthy' }, 'is InService/Unhealthy, not InService/Healthy'],
    ['stopped', { ec2State: 'stopped' }, 'is stopped'],
    ['unhealthy behind the ALB', { target: 'draining' }, 'is draining behind the ALB'],
    ['unreachable', { probe: UNREACHABLE }, 'did not answer its readiness probe'],
    ['not probed', { probe: undefined }, 'did not answer its readiness probe'],
    ['not ready', { probe: { ...READY_MEMBER, ready: false } }, 'is not ready'],
    ['already a primary', { probe: { ...READY_MEMBER, role: 'primary' } }, 'is already a primary'],
    [
      'detaching',
      { lifecycleState: 'Detaching', probe: UNREACHABLE },
      'is outside the groups and not a ready member',
    ],
  ])('legacy: %s', (_what, over, why) => {
    expect(refused(node(A, over))).toBe(`candidate ${A} ${why}`);
  });

  it('legacy: a member running tasks, or an orphan running tasks, may be the primary', () => {
    const tasks = { probe: { ...READY_MEMBER, taskAffinity: 'any' } } as const;
    expect(refused(node(A, tasks))).toBe('accepted');
    expect(refused(orphan(A, tasks))).toBe('accepted');
  });

  it('legacy: a ready member an operator is detaching is still outside the groups', () => {
    expect(refused(node(A, { lifecycleState: 'Detaching' }))).toBe(
      `candidate ${A} is outside the groups and not a ready member`,
    );
  });

  it('cloud-native: a node already running tasks, in a group or outside', () => {
    const tasks = { probe: { ...READY_MEMBER, taskAffinity: 'any' } } as const;
    expect(refused(node(A, tasks), 'cloud-native')).toBe(`candidate ${A} already runs cluster tasks`);
    expect(refused(orphan(A, tasks), 'cloud-native')).toBe(`candidate ${A} already runs cluster tasks`);
    expect(refused(orphan(A), 'cloud-native')).toBe('accepted');
    // In cloud-native mode a primary role says nothing.
    expect(refused(node(A, { probe: { ...READY_MEMBER, role: 'primary' } }), 'cloud-native')).toBe(
      'accepted',
    );
  });

  it('accepts a ready orphan (legacy), and refuses anyone else while an interrupted candidate may be restarting', () => {
    expect(refused(orphan(A))).toBe('accepted');
    const state = { epoch: 3, phase: 'fenced' as const, candidate: B };
    const attempt = () =>
      plan([failed, node(A), orphan(B, { probe: UNREACHABLE })], state, {
        ...legacy,
        failedPrimary: P,
        candidate: A,
      });
    expect(attempt).toThrow(
      `candidate ${A} cannot be promoted while ${B}, the candidate of an interrupted election, may be restarting as the primary: name ${B} or leave candidate out`,
    );
    // Naming it takes it over, ready or not.
    expect(
      plan([failed, node(A), orphan(B, { probe: UNREACHABLE })], state, {
        ...legacy,
        failedPrimary: P,
        candidate: B,
      }),
    ).toMatchObject({ action: 'promote', candidates: [B], candidateSteps: ['promote'] });
  });
});

describe('eligible', () => {
  it.each<[string, Partial<NodeObservation>]>([
    ['out of service', { lifecycleState: 'Pending' }],
    ['unhealthy', { health: 'Unhealthy' }],
    ['stopped', { ec2State: 'stopped' }],
    ['not a healthy target', { target: 'initial' }],
    ['unreachable', { probe: { ...READY_MEMBER, reachable: false } }],
    ['unprobed', { probe: undefined }],
    ['not ready', { probe: { ...READY_MEMBER, ready: false } }],
    ['a primary', { probe: { ...READY_MEMBER, role: 'primary' } }],
    ['in the primary group', { group: 'primary' }],
  ])('refuses a member that is %s', (_what, over) => {
    expect(eligible(node(A), new Set())).toBe(true);
    expect(eligible(node(A, over), new Set())).toBe(false);
  });

  it('refuses an excluded node, in a group or outside', () => {
    expect(eligible(node(A), new Set([A]))).toBe(false);
    expect(eligible(orphan(A), new Set([A]))).toBe(false);
    expect(eligible(orphan(A), new Set([B]))).toBe(true);
  });

  it.each<[string, Partial<NodeObservation>]>([
    ['stopped', { ec2State: 'stopped' }],
    ['unreachable', { probe: UNREACHABLE }],
    ['not ready', { probe: { ...READY_MEMBER, ready: false } }],
    ['a primary', { probe: { ...READY_MEMBER, role: 'primary' } }],
    ['unprobed', { probe: undefined }],
    ['unreachable yet called ready', { probe: { ...READY_MEMBER, reachable: false } }],
  ])('refuses an orphan that is %s', (_what, over) => {
    expect(eligible(orphan(A, over), new Set())).toBe(false);
  });
});

describe('chooseCandidates orders orphans, then other AZs, then ids', () => {
  it('puts an orphan first, then members outside the failed AZ, lowest id first', () => {
    const nodes = [node(D, { az: 'eu-west-1a' }), node(C), node(B), orphan(A, { az: 'eu-west-1a' })];
    expect(chooseCandidates(nodes, { failedAz: 'eu-west-1a', mode: 'legacy-primary' })).toEqual([A, B, C]);
    expect(chooseCandidates([node(C), node(B), node(D)], { mode: 'legacy-primary' })).toEqual([B, C, D]);
    expect(
      chooseCandidates([node(B), node(B.replace('b', 'e'))].reverse(), { mode: 'legacy-primary' }),
    ).toEqual([B, B.replace('b', 'e')]);
  });

  it('in cloud-native mode takes only nodes that do not run tasks yet', () => {
    const task = node(B, { probe: { ...READY_MEMBER, taskAffinity: 'any' } });
    expect(chooseCandidates([task, node(C)], { mode: 'cloud-native' })).toEqual([C]);
    expect(chooseCandidates([task, node(C)], { mode: 'legacy-primary' })).toEqual([B, C]);
  });
});

describe('plan: the steps the operator reads', () => {
  it('promotes a member: fence, suspend, stop and mark the failed primary, promote, move, resume, record', () => {
    const p = plan([failed, node(A), node(B)], undefined, { ...legacy, failedPrimary: P });
    expect(p).toEqual({
      action: 'promote',
      mode: 'legacy-primary',
      candidates: [A, B],
      candidateSteps: ['detach-promote', 'detach-promote'],
      needed: 1,
      failedPrimary: P,
      failedAz: 'eu-west-1a',
      failedPrimaryReachable: false,
      failedPrimaryHostImpaired: false,
      steps: [
        'bump the epoch (fence)',
        'suspend Launch on the primary group',
        `stop Artifactory on ${P} if reachable`,
        `mark ${P} unhealthy`,
        `promote ${A} (primary: true, restart, readiness)`,
        `move ${A} from the member group to the primary group (detach, attach)`,
        'resume Launch on the primary group',
        'record the new primary',
      ],
    });
    expect(plan([failed, node(A)], undefined, legacy)).toMatchObject({
      steps: [
        'bump the epoch (fence)',
        'suspend Launch on the primary group',
        `promote ${A} (primary: true, restart, readiness)`,
        `move ${A} from the member group to the primary group (detach, attach)`,
        'resume Launch on the primary group',
        'record the new primary',
      ],
    });
  });

  it('finds the failed primary wherever it is listed, and never takes it as a candidate', () => {
    expect(plan([node(A), node(B), failed], undefined, { ...legacy, failedPrimary: P })).toMatchObject({
      failedAz: 'eu-west-1a',
      candidates: [A, B],
    });
    // A presumed primary that answers as a member is the failed primary, although it looks eligible.
    expect(plan([node(A), node(B)], undefined, { ...legacy, failedPrimary: A })).toMatchObject({
      candidates: [B],
      failedPrimary: A,
    });
    expect(
      plan([{ ...failed, probe: undefined }, node(A)], undefined, { ...legacy, failedPrimary: P }),
    ).toMatchObject({
      failedPrimaryReachable: false,
    });
  });

  it('adopts and demotes only in legacy mode', () => {
    expect(plan([node(A), node(B)], undefined, { ...native, adopt: P })).toMatchObject({
      action: 'promote',
      candidates: [A, B],
    });
    expect(plan([node(A), node(B)], undefined, { ...native, split: [A, B] })).toMatchObject({
      action: 'promote',
    });
  });

  it('knows an impaired host of the failed primary', () => {
    const impaired = { ...failed, hostStatus: 'impaired' };
    expect(plan([impaired, node(A)], undefined, { ...legacy, failedPrimary: P })).toMatchObject({
      failedPrimaryHostImpaired: true,
    });
  });

  it('cloud-native: asks for the missing task nodes, or nothing', () => {
    const task = node(B, { probe: { ...READY_MEMBER, taskAffinity: 'any' } });
    expect(plan([task, node(A), node(C)], undefined, native)).toMatchObject({
      action: 'promote',
      candidateSteps: ['promote', 'promote'],
      needed: 1,
      steps: [
        'bump the epoch (fence)',
        `set taskAffinity any on 1 of ${A}, ${C} (restart, readiness)`,
        'record the task nodes',
      ],
    });
    const twoTasks = [task, node(C, { probe: { ...READY_MEMBER, taskAffinity: 'any' } })];
    expect(plan(twoTasks, undefined, native)).toEqual({
      action: 'none',
      mode: 'cloud-native',
      reason: '2 task node(s) already, minTaskNodes 2',
      steps: [],
    });
  });

  it('escalates when no member is eligible, saying what it looked for', () => {
    expect(
      plan([failed, node(A, { target: 'unhealthy' })], undefined, { ...legacy, failedPrimary: P }),
    ).toEqual({
      action: 'escalate',
      mode: 'legacy-primary',
      reason: 'no eligible candidate (a ready, healthy, InService member)',
      steps: ['notify the operator', 'leave recovery to Auto Scaling'],
    });
  });

  it('adopts an unhoused primary: only the group move', () => {
    expect(plan([node(A)], undefined, { ...legacy, adopt: P })).toEqual({
      action: 'promote',
      mode: 'legacy-primary',
      candidates: [P],
      candidateSteps: ['adopt'],
      needed: 1,
      failedPrimaryReachable: false,
      failedPrimaryHostImpaired: false,
      steps: [
        'bump the epoch (fence)',
        'suspend Launch on the primary group',
        `verify ${P} is ready as the primary (it already is: an interrupted election promoted it)`,
        `move ${P} into the primary group (attach)`,
        'resume Launch on the primary group',
        'record the primary',
      ],
    });
  });

  it('demotes the extra primaries of a split, keeping one', () => {
    expect(plan([node(A), node(B)], undefined, { ...legacy, split: [B, A] })).toEqual({
      action: 'demote',
      mode: 'legacy-primary',
      keep: A,
      demote: [B],
      steps: [
        'bump the epoch (fence)',
        `demote ${B} (primary: false, restart)`,
        `record ${A} as the primary`,
      ],
    });
    // No recorded primary among them: the one in the primary group stays, not another of that group.
    const housed = node(B, { group: 'primary' });
    expect(
      plan([node(A), housed, node(C, { group: 'primary' })], undefined, { ...legacy, split: [A, B] }),
    ).toMatchObject({
      keep: B,
      demote: [A],
    });
    expect(
      plan([node(C, { group: 'primary' }), node(A), node(B)], undefined, { ...legacy, split: [B, A] }),
    ).toMatchObject({
      keep: A,
      demote: [B],
    });
    expect(plan([node(A), node(B), node(C)], undefined, { ...legacy, split: [C, B, A] })).toMatchObject({
      keep: A,
      steps: [
        'bump the epoch (fence)',
        `demote ${C}, ${B} (primary: false, restart)`,
        `record ${A} as the primary`,
      ],
    });
    // One primary is no split.
    expect(plan([failed, node(A)], undefined, { ...legacy, split: [A] })).toMatchObject({
      action: 'promote',
    });
  });

  it('takes over an interrupted election’s running candidate before anyone else, within MAX_CANDIDATES', () => {
    const state = { epoch: 3, phase: 'fenced' as const, candidate: D };
    const nodes = [failed, node(A), node(B), node(C), orphan(D, { probe: UNREACHABLE })];
    expect(plan(nodes, state, { ...legacy, failedPrimary: P })).toMatchObject({
      candidates: [D, A, B],
      candidateSteps: ['promote', 'detach-promote', 'detach-promote'],
    });
    // Stopped, or the failed primary itself, it is no candidate.
    expect(
      plan([failed, node(A), orphan(D, { ec2State: 'stopped' })], state, { ...legacy, failedPrimary: P }),
    ).toMatchObject({ candidates: [A] });
    expect(
      plan([node(A), orphan(D, { probe: UNREACHABLE })], state, { ...legacy, failedPrimary: D }),
    ).toMatchObject({
      candidates: [A],
    });
    // Not in cloud-native mode.
    expect(plan([node(A), orphan(D, { probe: UNREACHABLE })], state, native)).toMatchObject({
      candidates: [A],
    });
  });
});
