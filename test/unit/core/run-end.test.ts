import fc from 'fast-check';
import { reportedKey } from '../../../functions/core/keys';
import {
  type Attempt,
  RUNS_ENDED_METRIC as CORE_RUNS_ENDED,
  classifyRunEnd,
  deliveryVerdict,
  MARKER_RETENTION_DAYS,
  parseRunBounds,
  RUN_END_STATUSES,
  type RunBound,
  type RunStatusChange,
  reportedItself,
  reportKept,
  runEndAudit,
  runEndClaim,
  runEndError,
  runEndNotice,
  runEndRelease,
  selfReportMark,
} from '../../../functions/core/run-end';
import { RUN_FAILURE_STATUSES, RUNS_ENDED_METRIC } from '../../../infra/stacks/names';

const NOW = Date.UTC(2026, 2, 10, 12);
const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,80}$/);
const region = fc.constantFrom('eu-west-1', 'us-east-1', 'ap-southeast-2');
const smArn = (r: string, n: string) => `arn:aws:states:${r}:111122223333:stateMachine:${n}`;
const bound = fc.record({
  workflow: fc.stringMatching(/^[a-z][a-z-]{0,30}$/),
  arn: fc.tuple(region, name).map(([r, n]) => smArn(r, n)),
  root: fc.boolean(),
  boundSeconds: fc.integer({ min: 1, max: 86_400 }),
});
const bounds = fc.uniqueArray(bound, { selector: (b) => b.arn, maxLength: 8 });
const endStatus = fc.constantFrom(...RUN_END_STATUSES);
const change = fc
  .record({
    region,
    machine: name,
    exec: name,
    status: fc.oneof(endStatus, fc.constantFrom('RUNNING', 'SUCCEEDED', 'PENDING_REDRIVE')),
    startDate: fc.integer({ min: NOW - 86_400_000, max: NOW }),
    took: fc.integer({ min: 0, max: 86_400_000 }),
    error: fc.option(fc.string({ maxLength: 300 }), { nil: null }),
    cause: fc.option(fc.string({ maxLength: 3000 }), { nil: null }),
  })
  .map(
    (c): RunStatusChange => ({
      region: c.region,
      executionArn: `arn:aws:states:${c.region}:111122223333:execution:${c.machine}:${c.exec}`,
      stateMachineArn: smArn(c.region, c.machine),
      name: c.exec,
      status: c.status,
      startDate: c.startDate,
      stopDate: c.startDate + c.took,
      error: c.error,
      cause: c.cause,
    }),
  );

describe('run-end: the names the alarms watch', () => {
  it('are the ones infra/stacks/names.ts alarms on', () => {
    expect(CORE_RUNS_ENDED).toBe(RUNS_ENDED_METRIC);
    expect([...RUN_END_STATUSES]).toEqual([...RUN_FAILURE_STATUSES]);
  });
});

describe('classifyRunEnd', () => {
  it('ignores every status but FAILED, TIMED_OUT and ABORTED', () => {
    fc.assert(
      fc.property(change, bounds, (c, b) => {
        const end = classifyRunEnd(c, b);
        expect(end.kind === 'ignored').toBe(!(RUN_END_STATUSES as readonly string[]).includes(c.status));
      }),
    );
  });

  it('takes root/child and the workflow from RUN_BOUNDS, and treats an unknown machine as a root', () => {
    fc.assert(
      fc.property(change, bounds, fc.boolean(), (c0, b0, listed) => {
        const c = { ...c0, status: 'FAILED' };
        const b: RunBound[] = b0.filter((x) => x.arn !== c.stateMachineArn);
        if (listed)
          b.push({ workflow: 'wf', arn: c.stateMachineArn, root: c.name.length % 2 === 0, boundSeconds: 60 });
        const end = classifyRunEnd(c, b);
        if (end.kind === 'ignored') throw new Error('a FAILED run is never ignored');
        if (listed) {
          expect(end).toEqual({
            kind: c.name.length % 2 === 0 ? 'root' : 'child',
            workflow: 'wf',
            status: 'FAILED',
            known: true,
          });
        } else {
          expect(end).toEqual({
            kind: 'root',
            workflow: c.stateMachineArn.split(':').pop(),
            status: 'FAILED',
            known: false,
          });
        }
      }),
    );
  });
});

describe('parseRunBounds', () => {
  it('reads back any valid RUN_BOUNDS', () => {
    fc.assert(fc.property(bounds, (b) => expect(parseRunBounds(JSON.stringify(b))).toEqual(b)));
  });

  it('parses or refuses anything with an error that names RUN_BOUNDS (never a malformed bound)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          try {
            for (const p of parseRunBounds(text)) {
              expect(p.arn).toMatch(/:stateMachine:/);
              expect(p.boundSeconds).toBeGreaterThan(0);
            }
          } catch (err) {
            expect((err as Error).message).toMatch(/^RUN_BOUNDS (is not JSON|is invalid at|names)/);
          }
        },
      ),
    );
  });

  it.each([
    ['{', 'RUN_BOUNDS is not JSON'],
    ['{}', 'RUN_BOUNDS is invalid at []'],
    [
      '[{"workflow":"w","arn":"arn:aws:lambda:eu-west-1:111122223333:function:f","root":true,"boundSeconds":5}]',
      'RUN_BOUNDS is invalid at [0.arn]: must be a state machine ARN',
    ],
    [
      `[{"workflow":"w","arn":"${smArn('eu-west-1', 'm')}","root":true,"boundSeconds":0}]`,
      'RUN_BOUNDS is invalid at [0.boundSeconds]',
    ],
    [
      `[{"workflow":"w","arn":"${smArn('eu-west-1', 'm')}","root":"yes","boundSeconds":5}]`,
      'RUN_BOUNDS is invalid at [0.root]',
    ],
    [
      `[{"workflow":"w","arn":"${smArn('eu-west-1', 'm')}","root":true,"boundSeconds":5,"extra":1}]`,
      'RUN_BOUNDS is invalid at [0]',
    ],
  ])('refuses %s', (text, message) => {
    expect(() => parseRunBounds(text)).toThrow(message);
  });

  it('refuses a state machine named twice', () => {
    const b = { workflow: 'w', arn: smArn('eu-west-1', 'm'), root: true, boundSeconds: 5 };
    expect(() => parseRunBounds(JSON.stringify([b, { ...b, workflow: 'x' }]))).toThrow(
      `RUN_BOUNDS names ${b.arn} twice`,
    );
  });
});

describe('deliveryVerdict and reportKept', () => {
  const attempts: Attempt[] = ['ok', 'failed', 'skipped'];
  it.each(attempts.flatMap((a) => attempts.map((p) => [a, p] as const)))('audit %s, publish %s', (a, p) => {
    const v = deliveryVerdict(a, p);
    expect(v === 'undelivered').toBe(a !== 'ok' && p !== 'ok');
    expect(v === 'delivered').toBe((a === 'ok' || p === 'ok') && a !== 'failed' && p !== 'failed');
  });

  it('a report is kept when the operator was told, or (not to be told) when it was audited', () => {
    for (const a of attempts)
      for (const p of attempts) {
        expect(reportKept(true, a, p)).toBe(p === 'ok');
        expect(reportKept(false, a, p)).toBe(a === 'ok');
      }
  });
});

describe('the marker', () => {
  const c = 'prod';
  const arn = 'arn:aws:states:eu-west-1:111122223333:execution:m:e';
  it('is one item per execution for the mark, the claim and the release', () => {
    expect(selfReportMark(c, arn, 'w', 'escalated', NOW).Key).toEqual(reportedKey(c, arn));
    expect(runEndClaim(c, { executionArn: arn }, 'FAILED', NOW).Key).toEqual(reportedKey(c, arn));
    expect(runEndRelease(c, arn, NOW).Key).toEqual(reportedKey(c, arn));
    expect(reportedKey(c, arn).sk).toBe(`REPORTED#${arn}`);
  });

  it('the claim is conditional and keeps the mark’s expiry; the release only undoes its own claim', () => {
    const claim = runEndClaim(c, { executionArn: arn }, 'TIMED_OUT', NOW);
    expect(claim).toMatchObject({
      ConditionExpression: 'attribute_not_exists(endedStatus)',
      UpdateExpression: 'SET endedStatus = :status, endedAt = :now, #ttl = if_not_exists(#ttl, :ttl)',
      ExpressionAttributeValues: {
        ':status': 'TIMED_OUT',
        ':now': NOW,
        ':ttl': NOW / 1000 + MARKER_RETENTION_DAYS * 86_400,
      },
      ReturnValues: 'ALL_NEW',
    });
    expect(runEndRelease(c, arn, NOW)).toMatchObject({
      ConditionExpression: 'endedAt = :at',
      ExpressionAttributeValues: { ':at': NOW },
    });
  });

  it('says the run reported itself only when the normal path marked it', () => {
    expect(reportedItself({ reportedAt: NOW, endedStatus: 'FAILED' })).toBe(true);
    expect(reportedItself({ endedStatus: 'FAILED' })).toBe(false);
    expect(reportedItself({ reportedAt: 'yes' })).toBe(false);
    expect(reportedItself(undefined)).toBe(false);
  });
});

describe('runEndAudit and runEndNotice', () => {
  it('one audit entry per execution and status, at its stop time, never holding a long secret-shaped run', () => {
    fc.assert(
      fc.property(change, fc.constantFrom('root', 'child'), endStatus, (c, kind, status) => {
        const end = { kind, workflow: 'wf', status, known: true } as const;
        const put = runEndAudit('prod', c, end, kind === 'root' ? true : undefined, NOW);
        expect(put.ConditionExpression).toBe('attribute_not_exists(sk)');
        expect(put.Item.sk).toBe(
          `AUDIT#${new Date(c.stopDate as number).toISOString()}#${c.stateMachineArn.split(':').pop()}:${c.name}#${status}`,
        );
        expect(put.Item.root).toBe(kind === 'root');
        expect('notified' in put.Item).toBe(kind === 'root');
        const error = put.Item.error as string | undefined;
        expect(error === undefined).toBe(!c.error && !c.cause);
        if (error) expect(error).not.toMatch(/[A-Za-z0-9+/]{40,}/);
      }),
    );
  });

  it('the subject fits SNS (less than 100 characters) and names workflow and status; the body names the execution', () => {
    fc.assert(
      fc.property(change, endStatus, fc.boolean(), (c, status, known) => {
        const n = runEndNotice('prod', c, { kind: 'root', workflow: 'cert-rotation', status, known }, NOW);
        expect(n.subject.length).toBeLessThan(100);
        expect(n.subject).toContain(`cert-rotation run ${status}`.slice(0, 60));
        expect(n.message).toContain(`Execution: ${c.executionArn}`);
        expect(n.message.includes('not in RUN_BOUNDS')).toBe(!known);
      }),
    );
  });

  it('words the error as Error: Cause, clipped', () => {
    expect(runEndError({ error: 'States.Timeout', cause: null })).toBe('States.Timeout');
    expect(runEndError({ error: null, cause: 'x' })).toBe('no error name: x');
    expect(runEndError({ error: undefined, cause: undefined })).toBeUndefined();
    expect(runEndError({ error: 'E', cause: 'y'.repeat(600) })?.length).toBeLessThanOrEqual(503);
  });
});
