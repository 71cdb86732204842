import { concludeFailover, type FailoverRun, MAX_SUMMARY } from '../../../functions/core/failover-outcome';

const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:prod-primary-failover:run-1';
const input = { cluster: 'prod', region: 'eu-west-1', trigger: 'alarm' };
const confirmed = { verdict: { verdict: 'confirmed', payload: { why: 'the primary is down' } } };
const decision = (over: Record<string, unknown> = {}) => ({
  gate: { allow: true },
  plan: { action: 'promote', mode: 'legacy-primary' },
  summary: 'Promote i-0b.',
  ...over,
});
const decided: FailoverRun = {
  input,
  lock: { acquired: true },
  confirmation: confirmed,
  decision: decision(),
};
const fenced: FailoverRun = {
  ...decided,
  fence: { epoch: 7 },
  attempts: { attempt: 2, lastFailed: 'i-0c' },
  candidate: { instanceId: 'i-0b' },
};
const err = { Error: 'Boom', Cause: 'it broke' };
const conclude = (run: FailoverRun) => concludeFailover(run, EXECUTION);
const report = (outcome: string, summary: string, extra: Record<string, unknown> = {}) => ({
  cluster: 'prod',
  region: 'eu-west-1',
  workflow: 'primary-failover',
  execution: EXECUTION,
  outcome,
  subject: 'prod',
  summary,
  ...extra,
});

describe('concludeFailover: every ending, word for word', () => {
  it('before the decision: lock, observation, false alarm, not the primary', () => {
    expect(conclude({ input, lockError: err })).toEqual({
      report: report('failed', 'Could not take the cluster lock (alarm trigger); nothing was changed.', {
        error: err,
      }),
      failed: true,
      restorePrimaryGroup: false,
    });
    expect(conclude({ input, lock: { acquired: true }, confirmError: err }).report).toEqual(
      report(
        'failed',
        'Could not observe the cluster (alarm trigger); nothing was changed. Check the execution for the error.',
        { error: err },
      ),
    );
    expect(conclude({ input, lock: { acquired: true } }).report.error).toEqual({
      Error: 'NoObservation',
      Cause: 'the run ended before confirming',
    });
    expect(
      conclude({ input, confirmation: { verdict: { verdict: 'false-alarm', payload: { why: 'ready' } } } }),
    ).toEqual({
      report: report('false-alarm', 'False alarm (alarm trigger): ready. Nothing was changed.'),
      failed: false,
      restorePrimaryGroup: false,
    });
    expect(conclude({ input, confirmation: { verdict: { verdict: 'wait' } } }).report.summary).toBe(
      'False alarm (alarm trigger): the signals never confirmed a failure. Nothing was changed.',
    );
    expect(
      conclude({
        input: { ...input, instanceId: 'i-0d' },
        confirmation: { verdict: { verdict: 'not-primary' } },
      }).report,
    ).toEqual(report('skipped', 'i-0d is not the primary: no handover needed.'));
    expect(conclude({ input, confirmation: { verdict: { verdict: 'not-primary' } } }).report.summary).toBe(
      'the node is not the primary: no handover needed.',
    );
  });

  it('the decision: none recorded, dry run, refused, nothing to do, no candidate', () => {
    expect(conclude({ input, confirmation: confirmed, decideError: err }).report).toEqual(
      report('failed', 'No decision (alarm trigger); nothing was changed: it broke', { error: err }),
    );
    expect(conclude({ input, confirmation: confirmed }).report).toEqual(
      report('failed', 'No decision (alarm trigger); nothing was changed: no decision recorded'),
    );
    expect(conclude({ ...decided, input: { ...input, dryRun: true } }).report).toEqual(
      report('dry-run', 'Dry run, nothing changed. Verdict: confirmed. Decision: Promote i-0b.'),
    );
    expect(conclude({ ...decided, decision: decision({ gate: { allow: false } }) }).report).toEqual(
      report('refused', 'Election refused and nothing changed (alarm trigger). Promote i-0b.'),
    );
    expect(conclude({ ...decided, decision: decision({ plan: { action: 'none' } }) }).report).toEqual(
      report('skipped', 'Nothing to do: Promote i-0b.'),
    );
    expect(conclude({ ...decided, decision: decision({ plan: { action: 'escalate' } }) })).toEqual({
      report: report(
        'escalated',
        'Primary down and no election possible; nothing was changed, recovery is left to Auto Scaling. Promote i-0b.',
        { error: { Error: 'NoCandidate', Cause: 'no eligible candidate' } },
      ),
      failed: true,
      restorePrimaryGroup: false,
    });
  });

  it('the fence: superseded (with or without a cause), failed', () => {
    const superseded =
      'Superseded: another election or a bootstrap claim moved the epoch first; this run stopped without further changes.';
    expect(conclude({ ...decided, staleError: { Error: 'StaleEpoch', Cause: 'epoch 8' } }).report).toEqual(
      report('superseded', `${superseded} epoch 8`),
    );
    expect(conclude({ ...decided, staleError: { Error: 'StaleEpoch' } }).report.summary).toBe(superseded);
    expect(
      conclude({ ...fenced, attempt: { outcome: 'superseded', detail: { cause: 'epoch 9' } } }).report
        .summary,
    ).toBe(`${superseded} epoch 9`);
    expect(
      conclude({ ...fenced, attempt: { outcome: 'failed', detail: { cause: 'epoch 9' } } }).report.outcome,
    ).toBe('succeeded');
    expect(conclude({ ...fenced, attempt: { outcome: 'superseded' } }).report.summary).toBe(superseded);
    expect(conclude(decided).report).toStrictEqual(
      report('failed', 'Could not fence (epoch write failed); nothing was changed.'),
    );
    expect(conclude({ ...decided, fenceError: err })).toEqual({
      report: report('failed', 'Could not fence (epoch write failed); nothing was changed.', { error: err }),
      failed: true,
      restorePrimaryGroup: false,
    });
  });

  it('after the fence: the old primary not stopped, every candidate failed', () => {
    expect(conclude({ ...fenced, escalation: {}, stopOldError: err })).toEqual({
      report: report(
        'escalated',
        'The old primary could not be confirmed stopped (epoch 7): neither SSM nor EC2 confirmed the stop, so nobody was promoted (two primaries are worse than none). Stop or terminate it by hand, then re-run with force.',
        { error: err },
      ),
      failed: true,
      restorePrimaryGroup: true,
    });
    expect(conclude({ ...fenced, escalation: {} })).toEqual({
      report: report(
        'escalated',
        'No candidate could be promoted (epoch 7, 2 tried, last i-0c); Launch is resumed on the primary group so Auto Scaling replaces the primary. Failed candidates were demoted or stopped and stay quarantined until terminated or released.',
        { error: { Error: 'Escalated', Cause: 'every candidate failed' } },
      ),
      failed: true,
      restorePrimaryGroup: true,
    });
    expect(
      conclude({ ...fenced, attempts: undefined, escalation: {}, suspendError: err }).report,
    ).toMatchObject({
      summary: expect.stringContaining('(epoch 7, 0 tried, last none)'),
      error: err,
    });
    // A failed stop without an escalation did not end the run.
    expect(conclude({ ...fenced, stopOldError: err }).report.outcome).toBe('succeeded');
    const native = { ...fenced, decision: decision({ plan: { action: 'promote', mode: 'cloud-native' } }) };
    expect(conclude({ ...native, escalation: {} }).restorePrimaryGroup).toBe(false);
    expect(conclude({ ...native, escalation: {}, stopOldError: err }).restorePrimaryGroup).toBe(false);
  });

  it('the end: split resolved, group move failed, recovered', () => {
    expect(conclude({ ...fenced, decision: decision({ plan: { action: 'demote' } }) })).toEqual({
      report: report('succeeded', 'Split brain resolved (epoch 7): Promote i-0b.', { notify: true }),
      failed: false,
      restorePrimaryGroup: false,
    });
    expect(conclude({ ...fenced, swapError: err })).toEqual({
      report: report(
        'failed',
        'i-0b is the primary (epoch 7) but could not be moved into the primary group; the group was restored (min 1, Launch resumed) and its next instance joins as a member. Move the instance by hand.',
        { error: err },
      ),
      failed: true,
      restorePrimaryGroup: true,
    });
    expect(conclude({ ...fenced, candidate: undefined, swapError: err }).report.summary).toMatch(
      /^the candidate is the primary/,
    );
    expect(conclude(fenced)).toEqual({
      report: report('succeeded', 'Recovered (alarm trigger, epoch 7). Promote i-0b.', { notify: true }),
      failed: false,
      restorePrimaryGroup: false,
    });
  });

  it('leaves notify out unless the ending decides it (the report Lambda then applies its default)', () => {
    expect(Object.keys(conclude({ input, lock: { acquired: false } }).report)).not.toContain('notify');
    expect(Object.keys(conclude({ ...fenced, swapError: err }).report)).not.toContain('notify');
    expect(Object.keys(conclude(fenced).report)).toContain('notify');
  });

  it('restores the primary group only for a run that holds the lock', () => {
    expect(conclude({ ...fenced, swapError: err }).restorePrimaryGroup).toBe(true);
    expect(conclude({ ...fenced, lock: undefined, swapError: err }).restorePrimaryGroup).toBe(false);
    expect(conclude({ ...fenced, lock: { acquired: false }, swapError: err }).restorePrimaryGroup).toBe(
      false,
    );
  });

  it('clips a summary past MAX_SUMMARY, and only past it', () => {
    const fits = 'x'.repeat(MAX_SUMMARY - 'Nothing to do: '.length);
    const none = (summary: string) =>
      conclude({ ...decided, decision: decision({ plan: { action: 'none' }, summary }) });
    expect(none(fits).report.summary).toBe(`Nothing to do: ${fits}`);
    const clipped = none(`${fits}yz`).report.summary;
    expect(clipped).toHaveLength(MAX_SUMMARY);
    expect(clipped).toBe(`Nothing to do: ${fits.slice(0, -1)}…`);
  });
});
