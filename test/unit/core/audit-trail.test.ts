import fc from 'fast-check';
import {
  alarmAuditPut,
  auditItem,
  certificateAuditPut,
  pausedSweepAuditPut,
} from '../../../functions/core/audit';
import {
  auditWindow,
  censusAuditPut,
  normaliseAuditItem,
  operatorAuditPut,
} from '../../../functions/core/audit-trail';
import { auditSk } from '../../../functions/core/keys';
import { renderOutcome } from '../../../functions/core/report';
import { runEndAudit } from '../../../functions/core/run-end';

const NOW = Date.UTC(2026, 2, 10, 12);
const time = fc.integer({ min: NOW - 30 * 86_400_000, max: NOW + 30 * 86_400_000 });
const id = fc.stringMatching(/^[A-Za-z0-9:#_-]{0,40}$/);

describe('auditWindow: one Query returns the trail of [since, until], in time order', () => {
  it('holds an entry exactly when its time is inside the window, bounds included', () => {
    fc.assert(
      fc.property(time, time, time, id, (a, b, at, entryId) => {
        const [since, until] = a <= b ? [a, b] : [b, a];
        const q = auditWindow('prod', since, until);
        const sk = auditSk(at, entryId);
        const inside = sk >= q.ExpressionAttributeValues[':from'] && sk <= q.ExpressionAttributeValues[':to'];
        expect(inside).toBe(at >= since && at <= until);
      }),
    );
  });

  it('is the documented key condition, oldest first, and accepts ISO times with an offset', () => {
    expect(auditWindow('prod', '2026-03-10T13:00:00+01:00', NOW)).toEqual({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': 'CLUSTER#prod',
        ':from': 'AUDIT#2026-03-10T12:00:00.000Z',
        ':to': 'AUDIT#2026-03-10T12:00:00.000Z~',
      },
      ScanIndexForward: true,
    });
  });

  it('refuses a reversed or unreadable window', () => {
    expect(() => auditWindow('prod', NOW + 1, NOW)).toThrow(
      'since (2026-03-10T12:00:00.001Z) is after until',
    );
    expect(() => auditWindow('prod', 'yesterday', NOW)).toThrow('since/until must be times');
  });
});

describe('normaliseAuditItem: every writer’s entry in one shape', () => {
  const at = '2026-03-10T12:00:00.000Z';
  const execution = 'arn:aws:states:eu-west-1:111122223333:execution:primary-failover:run-1';

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    [
      'a workflow’s report',
      renderOutcome(
        {
          cluster: 'prod',
          region: 'eu-west-1',
          workflow: 'primary-failover',
          execution,
          outcome: 'escalated',
          subject: 'prod',
          summary: 'No candidate.',
          error: { Error: 'NoCandidate' },
        },
        NOW,
      ).audit,
      {
        at,
        id: 'run-1',
        kind: 'report',
        workflow: 'primary-failover',
        execution,
        outcome: 'escalated',
        reason: 'No candidate.',
        error: 'NoCandidate',
      },
    ],
    [
      'dispatch’s lifecycle decision',
      auditItem(
        {
          trigger: 'event',
          cluster: 'prod',
          eventTime: at,
          eventKey: 'ev-1',
          detailType: 'EC2 Instance-launch Lifecycle Action',
          instanceId: 'i-0123456789abcdef0',
          group: 'prod-members',
          decision: { kind: 'start', workflow: 'node-bootstrap', executionName: 'nb-1' } as never,
          outcome: 'started',
        },
        NOW,
      ),
      {
        at,
        id: 'ev-1',
        kind: 'event',
        workflow: 'node-bootstrap',
        execution: 'nb-1',
        decision: 'start',
        outcome: 'started',
        subject: 'i-0123456789abcdef0',
      },
    ],
    [
      'dispatch’s alarm decision',
      alarmAuditPut(
        {
          cluster: 'prod',
          eventTime: at,
          eventId: 'ev-2',
          detailType: 'CloudWatch Alarm State Change',
          alarmName: 'a',
          outcome: 'paused',
          notified: true,
        },
        NOW,
      ).Item,
      {
        at,
        id: 'ev-2',
        kind: 'alarm',
        workflow: 'primary-failover',
        outcome: 'paused',
        notified: true,
        subject: 'a',
      },
    ],
    [
      'a paused sweep’s finding',
      pausedSweepAuditPut(
        {
          cluster: 'prod',
          eventTime: at,
          eventKey: 'sw',
          finding: 'no-primary',
          detail: 'Zero primaries.',
          notified: false,
        },
        NOW,
      ).Item,
      {
        at,
        id: 'sw#no-primary',
        kind: 'sweep',
        decision: 'no-primary',
        outcome: 'paused',
        reason: 'Zero primaries.',
        notified: false,
      },
    ],
    [
      'the census’s start',
      censusAuditPut(
        {
          cluster: 'prod',
          eventTime: at,
          eventId: 'sw',
          census: 'zero',
          why: 'empty group',
          executionName: 'pf-1',
          outcome: 'started',
        },
        NOW,
      ).Item,
      {
        at,
        id: 'sw#census',
        kind: 'sweep',
        decision: 'census-zero',
        workflow: 'primary-failover',
        execution: 'pf-1',
        outcome: 'started',
        reason: 'empty group',
      },
    ],
    [
      'the signer’s refusal',
      certificateAuditPut(
        {
          cluster: 'prod',
          at,
          kind: 'certificate-refused',
          instanceId: 'i-0123456789abcdef0',
          check: 'ip',
          reason: 'IP mismatch',
          execution,
        },
        NOW,
      ).Item,
      { at, kind: 'certificate-refused', execution, reason: 'IP mismatch', subject: 'i-0123456789abcdef0' },
    ],
    [
      'an operator’s replay',
      operatorAuditPut({
        cluster: 'prod',
        at: NOW,
        requestId: 'r-1',
        kind: 'dead-letters-replay',
        actor: 'ops',
        reason: 'why',
        outcome: 'replayed 1',
      }).Item,
      {
        at,
        id: 'dead-letters-replay#r-1',
        kind: 'dead-letters-replay',
        actor: 'ops',
        reason: 'why',
        outcome: 'replayed 1',
      },
    ],
    [
      'a run’s unreported end',
      runEndAudit(
        'prod',
        {
          region: 'eu-west-1',
          executionArn: execution,
          stateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:primary-failover',
          name: 'run-1',
          status: 'TIMED_OUT',
          startDate: NOW - 60_000,
          stopDate: NOW,
        },
        { kind: 'root', workflow: 'primary-failover', status: 'TIMED_OUT', known: true },
        true,
        NOW,
      ).Item,
      {
        at,
        id: 'primary-failover:run-1#TIMED_OUT',
        kind: 'run-status',
        workflow: 'primary-failover',
        execution,
        outcome: 'not-reported',
        notified: true,
      },
    ],
  ])('%s', (_what, item, expected) => {
    expect(normaliseAuditItem(item)).toMatchObject(expected);
  });

  it('is undefined for an item that is no audit entry, and never invents a field', () => {
    expect(normaliseAuditItem({ pk: 'CLUSTER#prod', sk: 'STATE' })).toBeUndefined();
    expect(normaliseAuditItem({ sk: `AUDIT#${at}` })).toEqual({ at, id: '', kind: 'report' });
  });
});

describe('operatorAuditPut', () => {
  it('one entry per request, expiring with the trail', () => {
    const put = operatorAuditPut({
      cluster: 'prod',
      at: NOW,
      requestId: 'r',
      kind: 'dead-letters-list',
      outcome: 'listed 0',
      details: { ids: ['a'] },
    });
    expect(put.ConditionExpression).toBe('attribute_not_exists(sk)');
    expect(put.Item).toMatchObject({ pk: 'CLUSTER#prod', trigger: 'operator', ids: ['a'] });
    expect(put.Item).not.toHaveProperty('actor');
  });
});
