import { bootstrapRole, primaryCensus } from '../../../functions/core/election-census';
import { type ClusterState, STALE_FENCE_MS } from '../../../functions/core/failover';

const NOW = Date.UTC(2026, 2, 10, 12);
const ME = 'i-0000000000000000a';
const OTHER = 'i-0000000000000000b';
const legacy = {
  instanceId: ME,
  groupRole: 'primary',
  mode: 'legacy-primary',
  recordedPrimaryRunning: false,
} as const;

describe('bootstrapRole says why a launching node takes its role', () => {
  it('takes its group’s role in cloud-native mode and in the member group', () => {
    const why = { claim: false, askAgain: false, reason: 'role of its group' };
    expect(bootstrapRole({ ...legacy, mode: 'cloud-native' }, undefined, NOW)).toEqual({
      role: 'primary',
      ...why,
    });
    expect(bootstrapRole({ ...legacy, groupRole: 'member' }, undefined, NOW)).toEqual({
      role: 'member',
      ...why,
    });
  });

  it('joins as a member while an election is under way, until the fence is stale', () => {
    const fenced: ClusterState = { epoch: 7, phase: 'fenced', fencedAt: NOW - STALE_FENCE_MS + 1 };
    expect(bootstrapRole(legacy, fenced, NOW)).toEqual({
      role: 'member',
      claim: false,
      askAgain: false,
      reason: 'an election (epoch 7) is under way',
    });
    expect(bootstrapRole(legacy, { ...fenced, fencedAt: NOW - STALE_FENCE_MS }, NOW).claim).toBe(true);
    // A fence with no time recorded is as old as can be.
    expect(bootstrapRole(legacy, { epoch: 7, phase: 'fenced' }, NOW).claim).toBe(true);
  });

  it('joins as a member beside a running recorded primary, naming it', () => {
    const committed: ClusterState = { epoch: 3, phase: 'committed', primary: OTHER };
    expect(bootstrapRole({ ...legacy, recordedPrimaryRunning: true }, committed, NOW)).toEqual({
      role: 'member',
      claim: false,
      askAgain: false,
      reason: `${OTHER} holds the primary role`,
    });
    // An escalated election left no primary that holds the role.
    expect(
      bootstrapRole({ ...legacy, recordedPrimaryRunning: true }, { ...committed, phase: 'escalated' }, NOW),
    ).toEqual({ role: 'primary', claim: true, askAgain: false, reason: 'no other live primary' });
    // The recorded primary relaunching under its own id claims again.
    expect(
      bootstrapRole({ ...legacy, recordedPrimaryRunning: true }, { ...committed, primary: ME }, NOW).claim,
    ).toBe(true);
  });

  it('joins as a member beside a live peer in the primary group when nothing is recorded', () => {
    expect(bootstrapRole({ ...legacy, livePeerInPrimaryGroup: true }, { epoch: 0 }, NOW)).toEqual({
      role: 'member',
      claim: false,
      askAgain: false,
      reason: 'no primary is recorded and another instance of the primary group is still live',
    });
    // A recorded primary that is no longer running is the one asked about; a live peer does not matter then.
    const recorded: ClusterState = { epoch: 3, phase: 'committed', primary: OTHER };
    expect(bootstrapRole({ ...legacy, livePeerInPrimaryGroup: true }, recorded, NOW).claim).toBe(true);
    expect(bootstrapRole({ ...legacy, livePeerInPrimaryGroup: false }, undefined, NOW)).toEqual({
      role: 'primary',
      claim: true,
      askAgain: false,
      reason: 'no other live primary',
    });
  });
});

const inService = (id: string) => ({ id, state: 'InService' });

describe('primaryCensus says why it counts zero or two', () => {
  it('two: more than one InService in the primary group', () => {
    expect(primaryCensus({ primary: [inService(ME), inService(OTHER)], member: [] }, undefined)).toEqual({
      kind: 'two',
      why: '2 instances InService in the primary group',
    });
  });

  it('two: the recorded primary serves from the member group beside another in the primary group', () => {
    const state: ClusterState = { epoch: 2, phase: 'committed', primary: OTHER };
    expect(primaryCensus({ primary: [inService(ME)], member: [inService(OTHER)] }, state)).toEqual({
      kind: 'two',
      why: `the recorded primary ${OTHER} is in the member group while ${ME} is InService in the primary group`,
    });
    // Found among several members all the same.
    const THIRD = 'i-0000000000000000c';
    expect(
      primaryCensus({ primary: [inService(ME)], member: [inService(THIRD), inService(OTHER)] }, state).kind,
    ).toBe('two');
    // The same instance seen in both lists is one primary.
    expect(primaryCensus({ primary: [inService(OTHER)], member: [inService(OTHER)] }, state)).toEqual({
      kind: 'ok',
    });
  });

  it('zero: nothing InService or launching in the primary group', () => {
    const why = 'no instance InService or launching in the primary group';
    expect(
      primaryCensus({ primary: [{ id: ME, state: 'Terminating:Wait' }], member: [] }, undefined),
    ).toEqual({
      kind: 'zero',
      why,
    });
    expect(primaryCensus({ primary: [{ id: ME, state: 'Pending:Wait' }], member: [] }, undefined)).toEqual({
      kind: 'ok',
    });
    // The recorded primary serving from the member group is a primary, housed or not.
    const state: ClusterState = { epoch: 2, phase: 'committed', primary: OTHER };
    expect(primaryCensus({ primary: [], member: [inService(OTHER)] }, state)).toEqual({ kind: 'ok' });
    expect(primaryCensus({ primary: [], member: [{ id: OTHER, state: 'Standby' }] }, state)).toEqual({
      kind: 'zero',
      why,
    });
  });

  it('zero: the primary group’s instance is not the recorded primary, which is in neither group', () => {
    const state: ClusterState = { epoch: 2, phase: 'committed', primary: OTHER };
    expect(primaryCensus({ primary: [inService(ME)], member: [] }, state)).toEqual({
      kind: 'zero',
      why: `the primary group's ${ME} is not the recorded primary ${OTHER}, which is in neither group`,
    });
    // Auto Scaling's replacement still launching is not yet housed: no verdict on it.
    expect(primaryCensus({ primary: [{ id: ME, state: 'Pending:Wait' }], member: [] }, state)).toEqual({
      kind: 'ok',
    });
    // After an escalation nothing is recorded: the group's instance is the primary.
    expect(primaryCensus({ primary: [inService(ME)], member: [] }, { ...state, phase: 'escalated' })).toEqual(
      {
        kind: 'ok',
      },
    );
  });

  it('holds its count while a fence is fresh, and not once it is stale', () => {
    const fenced: ClusterState = { epoch: 5, phase: 'fenced', fencedAt: NOW - STALE_FENCE_MS + 1 };
    const groups = { primary: [inService(ME), inService(OTHER)], member: [] };
    expect(primaryCensus(groups, fenced, NOW)).toEqual({ kind: 'ok' });
    expect(primaryCensus(groups, fenced)).toEqual({ kind: 'ok' });
    expect(primaryCensus(groups, { ...fenced, fencedAt: NOW - STALE_FENCE_MS }, NOW).kind).toBe('two');
    expect(primaryCensus(groups, { epoch: 5, phase: 'fenced' }, NOW).kind).toBe('two');
  });
});
