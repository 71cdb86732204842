import { failoverExecutionName } from '../../../functions/core/failover';

describe('failoverExecutionName', () => {
  it('replaces each character Step Functions refuses in a name with a dash', () => {
    expect(failoverExecutionName('alarm', 'prod:eu-west-1/2026-03-10T12:00:00Z')).toBe(
      'primary-failover-alarm-prod-eu-west-1-2026-03-10T12-00-00Z',
    );
  });

  it('keeps to Step Functions’ 80 characters, cutting the key’s end', () => {
    const name = failoverExecutionName('reconciler', 'k'.repeat(100));
    expect(name).toHaveLength(80);
    expect(name).toBe(`primary-failover-reconciler-${'k'.repeat(80 - 28)}`);
  });
});
