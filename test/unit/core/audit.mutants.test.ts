import { type AuditEntry, auditItem, auditPut } from '../../../functions/core/audit';

const NOW = Date.UTC(2026, 2, 10, 12);
const entry: AuditEntry = {
  trigger: 'event',
  cluster: 'prod',
  eventTime: '2026-03-10T11:59:58Z',
  eventKey: 'evt-1',
  detailType: 'EC2 Instance-launch Lifecycle Action',
  instanceId: 'i-0123456789abcdef0',
  group: 'prod-primary',
  decision: { kind: 'ignore', reason: 'not ours' },
  outcome: 'completed',
};

describe('audit items carry only the attributes they have', () => {
  // lib-dynamodb refuses an undefined attribute value unless told to drop it: an entry without an error must
  // not carry an `error` key at all.
  it('has no error attribute when the entry has no error', () => {
    const item = auditItem(entry, NOW);
    expect(Object.keys(item)).not.toContain('error');
    expect(Object.keys(auditPut(entry, NOW).Item)).not.toContain('error');
  });

  it('keeps the error name when there is one', () => {
    expect(auditItem({ ...entry, outcome: 'error', error: 'ThrottlingException' }, NOW)).toMatchObject({
      outcome: 'error',
      error: 'ThrottlingException',
    });
  });
});
