import fc from 'fast-check';
import {
  concludeFailover,
  type FailoverRun,
  FailoverRunSchema,
  MAX_SUMMARY,
} from '../../../functions/core/failover-outcome';
import { innermostError, renderOutcome } from '../../../functions/core/report';

const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:prod-primary-failover:run-1';
const input = { cluster: 'prod', region: 'eu-west-1', trigger: 'alarm' };
const confirmed = { verdict: { verdict: 'confirmed', payload: { why: 'the primary is down' } } };
const decision = (over: Record<string, unknown> = {}) => ({
  gate: { allow: true },
  plan: { action: 'elect', mode: 'legacy-primary' },
  summary: 'promote i-0b',
  ...over,
});
/** A legacy run that got as far as the fence. */
const fenced: FailoverRun = {
  input,
  lock: { acquired: true },
  confirmation: confirmed,
  decision: decision(),
  fence: { epoch: 7 },
  attempts: { attempt: 1, lastFailed: 'none' },
  candidate: { instanceId: 'i-0b' },
};
const err = { Error: 'Boom', Cause: 'it broke' };
const conclude = (run: FailoverRun) => concludeFailover(run, EXECUTION);

describe('concludeFailover: the one report of a primary-failover run', () => {
  it.each<[string, FailoverRun, string, boolean, boolean]>([
    ['validation step failed (not the input)', { input, validateError: err }, 'failed', true, false],
    ['lock error', { input, lockError: err }, 'failed', true, false],
    ['cluster busy', { input, lock: { acquired: false } }, 'skipped', false, false],
    ['observation failed', { input, lock: { acquired: true }, confirmError: err }, 'failed', true, false],
    [
      'false alarm',
      { input, confirmation: { verdict: { verdict: 'false-alarm', payload: { why: 'ready' } } } },
      'false-alarm',
      false,
      false,
    ],
    [
      'inconclusive after the last round',
      { input, confirmation: { verdict: { verdict: 'wait' } } },
      'false-alarm',
      false,
      false,
    ],
    [
      'not the primary',
      { input, confirmation: { verdict: { verdict: 'not-primary' } } },
      'skipped',
      false,
      false,
    ],
    ['decision failed', { input, confirmation: confirmed, decideError: err }, 'failed', true, false],
    [
      'dry run',
      { input: { ...input, dryRun: true }, confirmation: confirmed, decision: decision() },
      'dry-run',
      false,
      false,
    ],
    [
      'refused by the gate',
      { input, confirmation: confirmed, decision: decision({ gate: { allow: false } }) },
      'refused',
      false,
      false,
    ],
    [
      'nothing to do',
      { input, confirmation: confirmed, decision: decision({ plan: { action: 'none' } }) },
      'skipped',
      false,
      false,
    ],
    [
      'no candidate',
      { input, confirmation: confirmed, decision: decision({ plan: { action: 'escalate' } }) },
      'escalated',
      true,
      false,
    ],
    ['stale fence', { ...fenced, fence: undefined, staleError: err }, 'superseded', false, false],
    ['fence failed', { ...fenced, fence: undefined, fenceError: err }, 'failed', true, false],
    [
      'a candidate found the epoch moved',
      { ...fenced, attempt: { outcome: 'superseded', detail: { cause: 'epoch 8' } } },
      'superseded',
      false,
      false,
    ],
    [
      'every candidate failed (legacy)',
      { ...fenced, escalation: { escalated: true } },
      'escalated',
      true,
      true,
    ],
    [
      'every candidate failed (cloud-native)',
      { ...fenced, decision: decision({ plan: { action: 'elect', mode: 'cloud-native' } }), escalation: err },
      'escalated',
      true,
      false,
    ],
    [
      'split brain demoted',
      { ...fenced, decision: decision({ plan: { action: 'demote' } }) },
      'succeeded',
      false,
      false,
    ],
    ['group move failed', { ...fenced, swapError: err }, 'failed', true, true],
    ['recovered', fenced, 'succeeded', false, false],
    [
      'held by the pause',
      { input, paused: true, confirmation: confirmed, decision: decision({ gate: { allow: false } }) },
      'refused',
      false,
      false,
    ],
    [
      // The gate allowed it (the switch flipped mid-run), but the run took no lock: still refused.
      'held by the pause, the gate open since',
      { input, paused: true, confirmation: confirmed, decision: decision() },
      'refused',
      false,
      false,
    ],
    [
      'held by the pause, a false alarm',
      { input, paused: true, confirmation: { verdict: { verdict: 'false-alarm' } } },
      'false-alarm',
      false,
      false,
    ],
  ])('%s', (_, run, outcome, failed, restore) => {
    const c = conclude(FailoverRunSchema.parse(run));
    expect(c.report.outcome).toBe(outcome);
    expect(c.failed).toBe(failed);
    expect(c.restorePrimaryGroup).toBe(restore);
    expect(c.report).toMatchObject({ cluster: 'prod', region: 'eu-west-1', workflow: 'primary-failover' });
    expect(c.report.execution).toBe(EXECUTION);
  });

  it('says what happened in words an operator can act on', () => {
    expect(conclude(fenced).report.summary).toBe('Recovered (alarm trigger, epoch 7). promote i-0b');
    expect(conclude({ ...fenced, swapError: err }).report.summary).toMatch(
      /^i-0b is the primary \(epoch 7\) but could not be moved into the primary group/,
    );
    expect(conclude({ ...fenced, escalation: {} }).report).toMatchObject({
      summary: expect.stringMatching(/^No candidate could be promoted \(epoch 7, 1 tried, last none\)/),
      error: { Error: 'Escalated' },
    });
    expect(conclude({ ...fenced, escalation: {}, demoteError: err }).report.error).toEqual(err);
    expect(conclude({ input, lock: { acquired: false } }).report.summary).toBe(
      'Another run holds the cluster lock of prod; this alarm run changed nothing.',
    );
    // Successful elections are notified although "succeeded" is otherwise quiet.
    expect(conclude(fenced).report.notify).toBe(true);
    expect(conclude({ input, lock: { acquired: false } }).report.notify).toBeUndefined();
  });

  it('names the incident of a run held by the pause, so the operator is told once per incident', () => {
    const held = (verdict: string, mode = 'legacy-primary') =>
      conclude({
        input,
        paused: true,
        confirmation: { verdict: { verdict } },
        decision: decision({ gate: { allow: false }, plan: { action: 'elect', mode } }),
      }).report;
    expect(held('confirmed')).toMatchObject({ outcome: 'refused', incident: 'no-primary' });
    expect(held('adopt')).toMatchObject({ outcome: 'refused', incident: 'no-primary' });
    expect(held('split')).toMatchObject({ outcome: 'refused', incident: 'two-primaries' });
    expect(held('confirmed', 'cloud-native')).toMatchObject({ incident: 'too-few-task-nodes' });
    expect(held('confirmed').summary).toMatch(/^Automation is paused: this alarm run only observed/);
    // A run the pause does not hold is notified as before, without an incident.
    expect(conclude(fenced).report.incident).toBeUndefined();
    expect(
      conclude({ input, confirmation: confirmed, decision: decision({ gate: { allow: false } }) }).report
        .incident,
    ).toBeUndefined();
  });

  it('reports a validation step that failed (not the input) as failed, notified, with the error, nothing restored', () => {
    const timedOut = { Error: 'Sandbox.Timedout', Cause: 'Task timed out after 60.00 seconds' };
    // The raw input such a run passes on may lack the trigger (the validated input's default is manual).
    const raw = FailoverRunSchema.parse({
      input: { cluster: 'prod', region: 'eu-west-1' },
      validateError: timedOut,
    });
    const c = conclude(raw);
    expect(c).toMatchObject({ failed: true, restorePrimaryGroup: false });
    expect(c.report).toMatchObject({ outcome: 'failed', error: timedOut });
    expect(c.report.summary).toMatch(/^Could not validate the input \(manual trigger\).*no lock was taken/);
    expect(renderOutcome(c.report, Date.UTC(2025, 0, 1)).notify).toBe(true);
  });

  it('refuses a run without its input (the ASL always passes it)', () => {
    expect(() => FailoverRunSchema.parse({ lock: { acquired: true } })).toThrow();
  });

  const caught = fc.option(fc.record({ Error: fc.string(), Cause: fc.string({ maxLength: 3000 }) }), {
    nil: undefined,
  });
  const runs: fc.Arbitrary<FailoverRun> = fc.record(
    {
      input: fc.record({
        cluster: fc.stringMatching(/^[a-z]{1,8}$/),
        region: fc.constantFrom('eu-west-1', 'us-east-1'),
        trigger: fc.constantFrom('alarm', 'manual', 'drain', 'reconciler', 'replacement'),
        dryRun: fc.option(fc.boolean(), { nil: undefined }),
      }),
      paused: fc.option(fc.boolean(), { nil: undefined }),
      lock: fc.option(fc.record({ acquired: fc.boolean() }), { nil: undefined }),
      validateError: caught,
      lockError: caught,
      confirmError: caught,
      confirmation: fc.option(
        fc.record({
          verdict: fc.record({
            verdict: fc.constantFrom('confirmed', 'false-alarm', 'wait', 'not-primary'),
            payload: fc.record({ why: fc.string({ maxLength: 3000 }) }),
          }),
        }),
        { nil: undefined },
      ),
      decideError: caught,
      decision: fc.option(
        fc.record({
          gate: fc.record({ allow: fc.boolean() }),
          plan: fc.record({
            action: fc.constantFrom('elect', 'adopt', 'demote', 'none', 'escalate'),
            mode: fc.constantFrom('legacy-primary', 'cloud-native'),
          }),
          summary: fc.string({ maxLength: 3000 }),
        }),
        { nil: undefined },
      ),
      staleError: caught,
      fenceError: caught,
      fence: fc.option(fc.record({ epoch: fc.nat() }), { nil: undefined }),
      escalation: fc.option(fc.constant({ escalated: true }), { nil: undefined }),
      swapError: caught,
    },
    { requiredKeys: ['input'] },
  );

  it('property: every run gets exactly one outcome the report Lambda accepts, and fails exactly when someone must act', () => {
    fc.assert(
      fc.property(runs, (run) => {
        const c = conclude(run);
        expect(c.report.summary.length).toBeGreaterThan(0);
        expect(c.report.summary.length).toBeLessThanOrEqual(MAX_SUMMARY);
        expect(c.failed).toBe(c.report.outcome === 'failed' || c.report.outcome === 'escalated');
      }),
    );
  });

  it('property: nothing is changed, so nothing is restored, unless the run fenced', () => {
    fc.assert(
      fc.property(runs, (run) => {
        const c = conclude(run);
        if (c.restorePrimaryGroup) {
          expect(run.fence).toBeDefined();
          expect(run.lock?.acquired).toBe(true);
          expect(['escalated', 'failed']).toContain(c.report.outcome);
        }
        if (run.input.dryRun) expect(c.restorePrimaryGroup).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: a run held by the pause never reports a change, restores nothing, and names its incident when refused', () => {
    fc.assert(
      fc.property(runs, (run) => {
        fc.pre(run.paused === true && run.lock === undefined && run.lockError === undefined);
        const c = conclude(run);
        expect(['refused', 'false-alarm', 'skipped', 'failed', 'dry-run']).toContain(c.report.outcome);
        expect(c.restorePrimaryGroup).toBe(false);
        if (c.report.outcome === 'refused') expect(c.report.incident).toBeDefined();
        else expect(c.report.incident).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  it('property: a run that did not get the lock never reports a change', () => {
    fc.assert(
      fc.property(runs, (run) => {
        fc.pre(
          run.lock?.acquired === false && run.lockError === undefined && run.validateError === undefined,
        );
        expect(conclude(run).report.outcome).toBe('skipped');
      }),
    );
  });
});

describe('innermostError: what ended a phase child', () => {
  const describe_ = (error: string, cause: string) =>
    JSON.stringify({ status: 'FAILED', error, cause, input: '{}' });
  it('unwraps a failed child (and a grandchild) to its own error', () => {
    expect(
      innermostError({ Error: 'States.TaskFailed', Cause: describe_('NodeNotReady', 'not ready in 15 min') }),
    ).toEqual({ Error: 'NodeNotReady', Cause: 'not ready in 15 min' });
    const grandchild = describe_('CommandTimedOut', 'no answer');
    expect(
      innermostError({ Error: 'States.TaskFailed', Cause: describe_('States.TaskFailed', grandchild) }),
    ).toEqual({
      Error: 'CommandTimedOut',
      Cause: 'no answer',
    });
  });
  it('leaves any other error as it is', () => {
    expect(innermostError({ Error: 'StaleEpoch', Cause: 'x' })).toEqual({ Error: 'StaleEpoch', Cause: 'x' });
    expect(innermostError({ Error: 'States.TaskFailed', Cause: 'not json' })).toEqual({
      Error: 'States.TaskFailed',
      Cause: 'not json',
    });
  });
  it('renders the inner error in the notification', () => {
    const out = renderOutcome(
      {
        cluster: 'prod',
        region: 'eu-west-1',
        workflow: 'node-bootstrap',
        execution: EXECUTION,
        outcome: 'failed',
        subject: 'i-0a',
        summary: 'did not join',
        error: { Error: 'States.TaskFailed', Cause: describe_('NodeNotReady', 'not ready') },
      },
      0,
    );
    expect(out.message).toContain('Error: NodeNotReady: not ready');
  });
});

describe('concludeFailover: an old primary that could not be fenced', () => {
  it('escalates and says nobody was promoted', () => {
    const c = concludeFailover(
      {
        input: { cluster: 'prod', region: 'eu-west-1', trigger: 'replacement' },
        lock: { acquired: true },
        confirmation: { verdict: { verdict: 'confirmed' } },
        decision: {
          gate: { allow: true },
          plan: { action: 'promote', mode: 'legacy-primary' },
          summary: 'x',
        },
        fence: { epoch: 3 },
        stopOldError: { Error: 'FenceUnconfirmed', Cause: 'not stopped' },
        escalation: { escalated: true },
      },
      'arn:aws:states:eu-west-1:111122223333:execution:prod-primary-failover:r',
    );
    expect(c.report.outcome).toBe('escalated');
    expect(c.report.summary).toMatch(/could not be confirmed stopped .* nobody was promoted/);
    expect(c.report.error).toEqual({ Error: 'FenceUnconfirmed', Cause: 'not stopped' });
    expect(c.failed).toBe(true);
    expect(c.restorePrimaryGroup).toBe(true);
  });
});
