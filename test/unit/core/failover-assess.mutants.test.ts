import { type AssessRun, immediateVerdict, plannedHandover } from '../../../functions/core/failover-assess';
import type { NodeObservation, ObserveSettings } from '../../../functions/core/failover-observe';

const P = 'i-000000000000000p1';
const M = 'i-000000000000000m1';
const legacy: ObserveSettings = { mode: 'legacy-primary', minTaskNodes: 1 };

const node = (instanceId: string, over: Partial<NodeObservation> = {}): NodeObservation => ({
  instanceId,
  group: 'member',
  az: 'eu-west-1a',
  lifecycleState: 'InService',
  health: 'Healthy',
  target: 'healthy',
  ec2State: 'running',
  hostStatus: 'ok',
  probe: { reachable: true, ready: true, role: 'member', taskAffinity: 'none' },
  ...over,
});
const readyPrimary = (id: string, over: Partial<NodeObservation> = {}) =>
  node(id, {
    group: 'primary',
    probe: { reachable: true, ready: true, role: 'primary', taskAffinity: 'any' },
    ...over,
  });
const drain = (instanceId: string): AssessRun => ({ trigger: 'drain', instanceId, dryRun: false });
const manual: AssessRun = { trigger: 'manual', dryRun: false };

describe('plannedHandover: only the drained node, only when it is the ready primary', () => {
  it('is never an automatic run’s', () => {
    expect(plannedHandover({ trigger: 'alarm', instanceId: P, dryRun: false }, [readyPrimary(P)])).toBe(
      false,
    );
  });

  it('looks at the drained node, not the first one', () => {
    expect(plannedHandover(drain(M), [readyPrimary(P), node(M)])).toBe(false);
    expect(plannedHandover(drain(P), [node(M), readyPrimary(P)])).toBe(true);
  });

  it('needs it both ready and primary', () => {
    const notReady = readyPrimary(P, {
      probe: { reachable: true, ready: false, role: 'primary', taskAffinity: null },
    });
    expect(plannedHandover(drain(P), [notReady])).toBe(false);
    expect(plannedHandover(drain(M), [node(M)])).toBe(false);
  });

  it('is false for a node without a probe, or not found at all', () => {
    expect(plannedHandover(drain(P), [readyPrimary(P, { probe: undefined })])).toBe(false);
    expect(plannedHandover(drain('i-gone'), [readyPrimary(P)])).toBe(false);
  });
});

describe('immediateVerdict for a drain', () => {
  it('takes the drained node as the primary if it answers as one, or if the state records it', () => {
    // Answers as the primary but is not ready: no handover, and no "not the primary" either: the window decides.
    const answering = node(M, {
      probe: { reachable: true, ready: false, role: 'primary', taskAffinity: null },
    });
    expect(immediateVerdict(drain(M), [readyPrimary(P), answering], undefined, legacy)).toBeUndefined();
    const unreachable = node(M, {
      probe: { reachable: false, ready: false, role: null, taskAffinity: null },
    });
    expect(immediateVerdict(drain(M), [unreachable], { epoch: 3, primary: M }, legacy)).toBeUndefined();
  });

  it('calls a drained member, an unprobed one or an unknown one not the primary (legacy)', () => {
    expect(
      immediateVerdict(drain(M), [readyPrimary(P), node(M, { probe: undefined })], undefined, legacy),
    ).toEqual({
      verdict: 'not-primary',
      why: `${M} is not the primary`,
    });
    expect(immediateVerdict(drain('i-gone'), [readyPrimary(P)], { epoch: 3, primary: P }, legacy)).toEqual({
      verdict: 'not-primary',
      why: 'i-gone is not the primary',
    });
  });

  it('has no “not the primary” in cloud-native mode: the window decides', () => {
    expect(
      immediateVerdict(drain(M), [node(M)], undefined, { mode: 'cloud-native', minTaskNodes: 1 }),
    ).toBeUndefined();
  });
});

describe('immediateVerdict for an operator’s run', () => {
  it('reports a split brain as such', () => {
    const second = readyPrimary(M, { group: 'member' });
    expect(immediateVerdict(manual, [readyPrimary(P), second], undefined, legacy)).toEqual({
      verdict: 'split',
      primaries: [M, P].sort(),
    });
  });

  it('confirms a healthy cluster as the operator’s request, naming its primary', () => {
    expect(immediateVerdict(manual, [readyPrimary(P), node(M)], undefined, legacy)).toEqual({
      verdict: 'confirmed',
      primary: P,
      why: 'requested by the operator',
      manual: true,
    });
  });

  it('confirms a primary that is down with what is wrong with it', () => {
    const stopped = readyPrimary(P, { ec2State: 'stopped', probe: undefined });
    expect(immediateVerdict(manual, [stopped, node(M)], undefined, legacy)).toEqual({
      verdict: 'confirmed',
      primary: P,
      why: 'the instance is stopped',
      manual: true,
    });
  });
});
