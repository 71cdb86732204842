// The workflow side of issue 11, items 2 and 4: where a failed or superseded candidate goes, read from the ASL.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

interface State {
  Type: string;
  Next?: string;
  Default?: string;
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  Choices?: { Next: string }[];
  Parameters?: { StateMachineArn?: string; Input?: Record<string, unknown> };
  Error?: string;
}

const load = (name: string) =>
  JSON.parse(readFileSync(path.resolve(__dirname, '../../statemachines', `${name}.asl.json`), 'utf8')) as {
    StartAt: string;
    States: Record<string, State>;
  };
const parent = load('primary-failover').States;
const phase = load('primary-failover-quarantine');
const q = phase.States;
const catchOf = (s: State | undefined, error = 'States.ALL') =>
  s?.Catch?.find((c) => c.ErrorEquals.includes(error))?.Next;

/** Every state reachable from `from` (Next, Default, Choices, Catch). */
function reachable(states: Record<string, State>, from: string): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name) || !states[name]) return;
    seen.add(name);
    const s = states[name] as State;
    for (const n of [
      s.Next,
      s.Default,
      ...(s.Choices ?? []).map((c) => c.Next),
      ...(s.Catch ?? []).map((c) => c.Next),
    ])
      if (n) visit(n);
  };
  visit(from);
  return seen;
}

describe('primary-failover: failed and superseded candidates go through the quarantine phase', () => {
  it('a failed candidate is quarantined before the next is tried; if that cannot be confirmed, nobody is promoted', () => {
    const failed = parent.CandidateFailed as State;
    expect(failed.Parameters?.StateMachineArn).toBe(`\${${'PrimaryFailoverQuarantineStateMachineArn'}}`);
    expect(failed.Parameters?.Input).toMatchObject({
      reason: 'candidate-failed',
      'instanceId.$': '$.candidate.instanceId',
    });
    expect(failed.Next).toBe('CountFailedAttempt');
    expect(catchOf(failed)).toBe('EscalateRun');
    // From the escalation no candidate is tried again.
    expect(reachable(parent, 'EscalateRun').has('TryCandidate')).toBe(false);
  });

  it('a stale commit of a promoted candidate quarantines it, then concludes', () => {
    expect(catchOf(parent.CommitElection, 'StaleEpoch')).toBe('QuarantineSuperseded');
    const superseded = parent.QuarantineSuperseded as State;
    expect(superseded.Parameters?.Input).toMatchObject({ reason: 'superseded' });
    expect(superseded.Next).toBe('ConcludeRun');
    expect(catchOf(superseded)).toBe('ConcludeRun');
    expect(superseded.Catch?.[0]?.ResultPath).toBe('$.supersededError');
  });

  it('the phase records before it touches the node, and fences it the way the old primary is fenced', () => {
    expect(phase.StartAt).toBe('RecordQuarantine');
    // A failed record still fences the node.
    expect(catchOf(q.RecordQuarantine)).toBe('AskQuarantinedAgent');
    // Only a node whose SSM agent is connected is asked to demote itself, and only with primary: false and
    // Artifactory stopped; anything else is stopped at the hypervisor.
    expect(catchOf(q.AskQuarantinedAgent)).toBe('ForceStopQuarantined');
    expect(q.AgentConnected?.Choices?.map((c) => c.Next)).toEqual([
      'ForceStopQuarantined',
      'DemoteQuarantined',
    ]);
    expect(q.AgentConnected?.Default).toBe('ForceStopQuarantined');
    expect(q.DemoteQuarantined?.Parameters?.Input?.parameters).toMatchObject({
      Role: ['member'],
      Service: ['stop'],
    });
    expect(catchOf(q.DemoteQuarantined)).toBe('ForceStopQuarantined');
    // The hypervisor stop is judged only by EC2's state; an unconfirmed one ends in FenceUnconfirmed.
    expect(q.QuarantineStopWaitsLeft?.Choices?.[0]?.Next).toBe('RecordUnconfirmed');
    expect(q.RecordUnconfirmed?.Next).toBe('QuarantineNotFenced');
    expect(catchOf(q.RecordUnconfirmed)).toBe('QuarantineNotFenced');
    expect(q.QuarantineNotFenced).toMatchObject({ Type: 'Fail', Error: 'FenceUnconfirmed' });
    // Nothing reaches a successful end without a confirmed demotion or stop, or leaving the node to its owner.
    const toDone = ['QuarantineDemoted', 'QuarantineStopped'].map((s) =>
      reachable(q, s).has('QuarantineDone'),
    );
    expect(toDone).toEqual([true, true]);
    expect(reachable(q, 'ForceStopQuarantined').has('QuarantineDemoted')).toBe(false);
    expect(q.LeftToOwner?.Type).toBe('Pass');
    expect(q.QuarantineOwned?.Choices?.[0]?.Next).toBe('LeftToOwner');
  });
});
