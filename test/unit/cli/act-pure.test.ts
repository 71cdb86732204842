import fc from 'fast-check';
import {
  executionArnOf,
  type HistoryEventLike,
  openApprovalToken,
  regionOfArn,
  startedBy,
} from '../../../cli/act/approval';
import { endingOf } from '../../../cli/act/flow';
import {
  executionName,
  failoverInput,
  InputError,
  parseNodes,
  regionalInput,
  requestedBy,
  rotationInput,
} from '../../../cli/act/inputs';
import { failoverVerdict, parseOutput, regionalVerdict, rotationVerdict } from '../../../cli/act/verdicts';

const ACTOR = 'arn:aws:sts::123456789012:assumed-role/ops/jane';

describe('manual inputs', () => {
  it('primary-failover: manual trigger, the flags, dryRun as asked', () => {
    expect(
      failoverInput(
        { cluster: 'c', region: 'eu-west-1', reason: 'r', candidate: 'i-0abc12345', force: true },
        true,
      ),
    ).toEqual({
      cluster: 'c',
      region: 'eu-west-1',
      reason: 'r',
      trigger: 'manual',
      candidate: 'i-0abc12345',
      dryRun: true,
      force: true,
    });
    expect(failoverInput({ cluster: 'c', region: 'eu-west-1', reason: 'r' }, false)).toMatchObject({
      dryRun: false,
      force: false,
    });
  });
  it('primary-failover: a bad candidate or an empty reason is a usage error naming the field', () => {
    expect(() =>
      failoverInput({ cluster: 'c', region: 'eu-west-1', reason: 'r', candidate: 'node-1' }, true),
    ).toThrow(/candidate/);
    expect(() => failoverInput({ cluster: 'c', region: 'eu-west-1', reason: '  ' }, true)).toThrow(
      InputError,
    );
  });
  it('regional: the plan fields, force only when asked, the actor as requestedBy', () => {
    expect(
      regionalInput({ action: 'evacuate', region: 'eu-west-1', reason: ' x ', actor: ACTOR }, true),
    ).toEqual({
      action: 'evacuate',
      region: 'eu-west-1',
      reason: 'x',
      trigger: 'manual',
      dryRun: true,
      requestedBy: ACTOR,
    });
    expect(
      regionalInput(
        { action: 'restore', region: 'eu-west-1', reason: 'x', force: true, actor: ACTOR },
        false,
      ),
    ).toMatchObject({ force: true, dryRun: false });
    expect(() =>
      regionalInput({ action: 'evacuate', region: 'Europe', reason: 'x', actor: ACTOR }, true),
    ).toThrow(/region/);
    expect(() =>
      regionalInput({ action: 'evacuate', region: 'eu-west-1', reason: 'x'.repeat(501), actor: ACTOR }, true),
    ).toThrow(/500/);
  });
  it('cert-rotation: nodes parsed and checked', () => {
    expect(parseNodes(undefined)).toBeUndefined();
    expect(parseNodes('i-0abc12345, i-0def67890')).toEqual(['i-0abc12345', 'i-0def67890']);
    expect(() => parseNodes('i-0abc12345,,')).toThrow(InputError);
    expect(rotationInput({ reason: 'r', nodes: ['i-0abc12345'], actor: ACTOR }, true)).toEqual({
      trigger: 'manual',
      reason: 'r',
      nodes: ['i-0abc12345'],
      dryRun: true,
      requestedBy: ACTOR,
    });
    expect(() => rotationInput({ reason: 'r', nodes: ['web-1'], actor: ACTOR }, true)).toThrow(/nodes/);
  });
  it('requestedBy and execution names fit their limits', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 400 }),
        fc.array(fc.string(), { maxLength: 5 }),
        fc.nat(),
        fc.boolean(),
        (a, parts, now, dry) => {
          expect(requestedBy(a).length).toBeLessThanOrEqual(200);
          expect(executionName(parts, now, dry)).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
        },
      ),
    );
  });
});

describe('dry-run verdicts', () => {
  it('primary-failover: go, the gate refusing, nothing to do, a failed dry run', () => {
    expect(
      failoverVerdict({
        outcome: 'dry-run',
        summary: 'Dry run, nothing changed. Verdict: planned. Decision: Promote i-1: a; b.',
      }).kind,
    ).toBe('go');
    expect(
      failoverVerdict({
        outcome: 'dry-run',
        summary: 'Dry run… Decision: Promote i-1: a. Refused by the gate (cooldown): x.',
      }).kind,
    ).toBe('refused');
    expect(
      failoverVerdict({
        outcome: 'dry-run',
        summary: 'Dry run… Decision: No election possible: no candidate.',
      }).kind,
    ).toBe('refused');
    expect(
      failoverVerdict({ outcome: 'dry-run', summary: 'Dry run… Decision: Nothing to do: healthy.' }).kind,
    ).toBe('nothing-to-do');
    expect(
      failoverVerdict({ outcome: 'skipped', summary: 'Another run holds the cluster lock of c' }).kind,
    ).toBe('refused');
    expect(() => failoverVerdict({ outcome: 'failed', summary: 'Could not observe' })).toThrow(
      /failed: Could not observe/,
    );
  });
  it('regional: the verdict and each check, wait refuses', () => {
    const v = regionalVerdict({
      planned: {
        plan: {
          verdict: 'refused',
          summary: 's',
          checks: [
            { name: 'capacity', ok: false, region: 'us-east-1', detail: 'short' },
            { name: 'primary', ok: true, detail: 'ok' },
          ],
        },
      },
    });
    expect(v).toEqual({
      kind: 'refused',
      summary: 's',
      details: ['FAIL capacity (us-east-1): short', 'ok   primary: ok'],
    });
    expect(regionalVerdict({ planned: { plan: { verdict: 'wait', checks: [] } } }).kind).toBe('refused');
    expect(regionalVerdict({ planned: { plan: { verdict: 'go' } } }).kind).toBe('go');
    expect(regionalVerdict({ planned: { plan: { verdict: 'nothing-to-do' } } }).kind).toBe('nothing-to-do');
    expect(() => regionalVerdict({})).toThrow(/no plan verdict/);
  });
  it('cert-rotation: an empty order is nothing to do', () => {
    expect(
      rotationVerdict({
        run: { plan: { order: ['i-1'], deferred: [{ instanceId: 'i-2', reason: 'window' }] } },
        conclusion: { summary: 'dry' },
      }),
    ).toEqual({
      kind: 'go',
      summary: 'dry',
      details: ['order: i-1', 'deferred i-2: window'],
    });
    expect(rotationVerdict({ run: { plan: { order: [] } } }).kind).toBe('nothing-to-do');
    expect(() => rotationVerdict({ run: {} })).toThrow(/no rotation plan/);
  });
  it('outputs must be JSON', () => {
    expect(parseOutput('{"a":1}')).toEqual({ a: 1 });
    expect(() => parseOutput(undefined)).toThrow(/without an output/);
    expect(() => parseOutput('{')).toThrow(/not JSON/);
  });
});

const scheduled = (id: number, token: string): HistoryEventLike => ({
  id,
  type: 'TaskScheduled',
  taskScheduledEventDetails: {
    resourceType: 'sns',
    resource: 'publish.waitForTaskToken',
    parameters: JSON.stringify({
      TopicArn: 't',
      Message: 'm',
      MessageAttributes: { TaskToken: { DataType: 'String', StringValue: token } },
    }),
  },
});

describe('the approval token', () => {
  it('is the waiting callback Task’s, until that Task or the execution ends', () => {
    const started = [
      { id: 1, type: 'ExecutionStarted' },
      { id: 2, type: 'TaskStateEntered' },
      scheduled(3, 'TOK'),
      { id: 4, type: 'TaskStarted' },
    ];
    expect(openApprovalToken(started)).toBe('TOK');
    expect(openApprovalToken([...started, { id: 5, type: 'TaskSucceeded' }])).toBeUndefined();
    expect(openApprovalToken([...started, { id: 5, type: 'TaskTimedOut' }])).toBeUndefined();
    expect(openApprovalToken([...started, { id: 5, type: 'TaskStateExited' }])).toBeUndefined();
    expect(openApprovalToken([...started, { id: 5, type: 'ExecutionAborted' }])).toBeUndefined();
    expect(
      openApprovalToken([
        {
          id: 1,
          type: 'TaskScheduled',
          taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', parameters: '{}' },
        },
      ]),
    ).toBeUndefined();
    expect(
      openApprovalToken([
        {
          id: 1,
          type: 'TaskScheduled',
          taskScheduledEventDetails: {
            resourceType: 'sns',
            resource: 'publish.waitForTaskToken',
            parameters: 'not json',
          },
        },
      ]),
    ).toBeUndefined();
  });
  it('children are matched by the run that started them', () => {
    expect(startedBy('{"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID":"arn:a"}', 'arn:a')).toBe(true);
    expect(startedBy('{"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID":"arn:b"}', 'arn:a')).toBe(false);
    expect(startedBy('{', 'arn:a')).toBe(false);
  });
  it('a run is an ARN or a name of the state machine’s executions', () => {
    const sm = 'arn:aws:states:us-east-1:123456789012:stateMachine:c-regional-failover';
    expect(executionArnOf('evac-1', sm)).toBe(
      'arn:aws:states:us-east-1:123456789012:execution:c-regional-failover:evac-1',
    );
    expect(executionArnOf('arn:aws:states:x', sm)).toBe('arn:aws:states:x');
    expect(() => executionArnOf('a b', sm)).toThrow(/neither/);
    expect(regionOfArn('arn:aws:states:eu-west-1:1:execution:m:n')).toBe('eu-west-1');
    expect(() => regionOfArn('x')).toThrow(/not an execution ARN/);
  });
});

describe('the ending of a run', () => {
  it('reads each workflow’s output', () => {
    expect(endingOf({ outcome: 'succeeded', summary: 'Recovered' })).toEqual({
      outcome: 'succeeded',
      summary: 'Recovered',
    });
    expect(
      endingOf({
        outcome: 'approved',
        reported: { outcome: 'not-approved' },
        planned: { plan: { summary: 'p' } },
      }),
    ).toEqual({ outcome: 'not-approved', summary: 'p' });
    expect(endingOf({ conclusion: { outcome: 'rotated', summary: 'c' } })).toEqual({
      outcome: 'rotated',
      summary: 'c',
    });
    expect(endingOf(null)).toEqual({});
  });
});
