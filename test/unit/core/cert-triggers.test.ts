// Issue 13, item 5: cert-rotation's automatic triggers: names, the gate and its conditional write.
import fc from 'fast-check';
import {
  certGateDecision,
  certGateUpdate,
  certRotationExecutionName,
  certTriggerAuditPut,
} from '../../../functions/core/cert-triggers';

const NOW = Date.UTC(2026, 2, 10, 3, 0, 7);
const SETTINGS = { cooldownMs: 60 * 60_000, dailyBudget: 3, automationEnabled: true };

describe('certRotationExecutionName', () => {
  it('is cert-rotation-<trigger>-<UTC yyyymmddHHMM> of the event time', () => {
    expect(certRotationExecutionName('schedule', '2026-03-10T03:00:59Z')).toBe(
      'cert-rotation-schedule-202603100300',
    );
    expect(certRotationExecutionName('alarm', '2019-10-02T19:04:40+02:00')).toBe(
      'cert-rotation-alarm-201910021704',
    );
    expect(() => certRotationExecutionName('alarm', 'yesterday')).toThrow(
      'event time is not an ISO time: "yesterday"',
    );
  });
  it('is a valid execution name (<= 80 characters of [A-Za-z0-9-_])', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('schedule' as const, 'alarm' as const),
        fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(Date.UTC(9999, 0)) }),
        (t, d) => {
          expect(certRotationExecutionName(t, d.toISOString())).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
        },
      ),
    );
  });
});

describe('certGateDecision', () => {
  const name = 'cert-rotation-schedule-202603100300';
  it('allows the first run, refuses within the cooldown and past the budget, holds everything while paused', () => {
    expect(certGateDecision(name, undefined, SETTINGS, NOW)).toEqual({ allow: true, repeat: false });
    expect(
      certGateDecision(name, { lastStartAt: NOW - 60_000, execution: 'x' }, SETTINGS, NOW),
    ).toMatchObject({
      allow: false,
      rule: 'cooldown',
      reason: 'x started 60 s ago, within the 60-minute cooldown',
    });
    expect(
      certGateDecision(name, { lastStartAt: NOW - 61 * 60_000, day: '2026-03-10', count: 3 }, SETTINGS, NOW),
    ).toMatchObject({ allow: false, rule: 'budget' });
    expect(
      certGateDecision(name, { lastStartAt: NOW - 61 * 60_000, day: '2026-03-09', count: 3 }, SETTINGS, NOW),
    ).toEqual({ allow: true, repeat: false });
    expect(certGateDecision(name, undefined, { ...SETTINGS, automationEnabled: false }, NOW)).toEqual({
      allow: false,
      rule: 'paused',
      reason: 'automation is paused (automation.enabled is false, or an operator paused it)',
    });
    expect(certGateDecision(name, { lastStartAt: NOW - 1000 }, SETTINGS, NOW)).toMatchObject({
      reason: 'the previous run started 1 s ago, within the 60-minute cooldown',
    });
    expect(certGateDecision(name, { lastStartAt: NOW - SETTINGS.cooldownMs }, SETTINGS, NOW)).toEqual({
      allow: true,
      repeat: false,
    });
    expect(
      certGateDecision(name, { lastStartAt: NOW - 61 * 60_000, day: '2026-03-10', count: 2 }, SETTINGS, NOW),
    ).toEqual({ allow: true, repeat: false });
    expect(
      certGateDecision(name, { lastStartAt: NOW - 61 * 60_000, day: '2026-03-10', count: 3 }, SETTINGS, NOW),
    ).toEqual({
      allow: false,
      rule: 'budget',
      reason: '3 automatic cert-rotation run(s) today reached the daily budget of 3',
    });
  });
  it('a redelivery of the recorded run passes, whatever the cooldown and budget say', () => {
    expect(
      certGateDecision(
        name,
        { lastStartAt: NOW, day: '2026-03-10', count: 9, execution: name },
        SETTINGS,
        NOW,
      ),
    ).toEqual({ allow: true, repeat: true });
  });
  it('property: starts recorded by certGateUpdate never exceed the budget in a day, nor come within the cooldown', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 6 * 3_600_000 }), { maxLength: 30 }), (gaps) => {
        let record: Record<string, unknown> | undefined;
        let t = NOW;
        const starts: number[] = [];
        for (const [i, gap] of gaps.entries()) {
          t += gap;
          const d = certGateDecision(`run-${i}`, record, SETTINGS, t);
          if (!d.allow) continue;
          const u = certGateUpdate('c', `run-${i}`, record as never, t).ExpressionAttributeValues;
          record = { lastStartAt: u[':at'], day: u[':day'], count: u[':count'], execution: u[':me'] };
          starts.push(t);
        }
        for (let i = 1; i < starts.length; i++) {
          expect((starts[i] as number) - (starts[i - 1] as number)).toBeGreaterThanOrEqual(
            SETTINGS.cooldownMs,
          );
        }
        const perDay = new Map<string, number>();
        for (const s of starts) {
          const day = new Date(s).toISOString().slice(0, 10);
          perDay.set(day, (perDay.get(day) ?? 0) + 1);
        }
        for (const n of perDay.values()) expect(n).toBeLessThanOrEqual(SETTINGS.dailyBudget);
      }),
    );
  });
});

describe('certGateUpdate and the audit', () => {
  it('is conditional on the record the gate read', () => {
    expect(certGateUpdate('c', 'r', undefined, NOW).ConditionExpression).toBe(
      'attribute_not_exists(lastStartAt)',
    );
    const u = certGateUpdate('c', 'r', { lastStartAt: 5, day: '2026-03-10', count: 2 }, NOW);
    expect(u.ConditionExpression).toBe('lastStartAt = :previous');
    expect(u.ExpressionAttributeValues).toMatchObject({ ':previous': 5, ':count': 3, ':day': '2026-03-10' });
  });
  it('keeps the first delivery’s entry unless it started the run', () => {
    const base = {
      cluster: 'c',
      trigger: 'alarm' as const,
      eventTime: '2026-03-10T03:00:00Z',
      eventId: 'e',
      detailType: 'CloudWatch Alarm State Change',
      executionName: 'n',
    };
    const started = certTriggerAuditPut({ ...base, outcome: 'started' }, NOW);
    expect(started.ConditionExpression).toBeUndefined();
    expect(started.Item).not.toHaveProperty('rule');
    expect(started.Item).not.toHaveProperty('reason');
    const gated = certTriggerAuditPut({ ...base, outcome: 'gated', rule: 'budget', reason: 'r' }, NOW);
    expect(gated.ConditionExpression).toBe('attribute_not_exists(sk)');
    expect(gated.Item).toMatchObject({
      outcome: 'gated',
      rule: 'budget',
      reason: 'r',
      workflow: 'cert-rotation',
    });
  });
});
