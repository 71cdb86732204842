import fc from 'fast-check';
import {
  regionalActionOf,
  regionalAuditPut,
  regionalExecutionName,
  regionalInput,
} from '../../../functions/core/region-dispatch';
import { AWS_REGIONS } from '../../../functions/shared/aws-regions';

const STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;

describe('regional dispatch decisions', () => {
  it('ALARM evacuates; only OK coming from ALARM restores (or leaves it to the operator); nothing else acts', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STATES),
        fc.constantFrom(...STATES),
        fc.boolean(),
        (state, previous, auto) => {
          const action = regionalActionOf(state, previous, auto);
          if (state === 'ALARM') return action === 'evacuate';
          if (state === 'OK' && previous === 'ALARM') return action === (auto ? 'restore' : 'manual-restore');
          return action === undefined;
        },
      ),
    );
  });

  it('names runs validly for Step Functions (<= 80 of [A-Za-z0-9-_]), the same for the same change', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('evacuate' as const, 'restore' as const),
        fc.constantFrom(...AWS_REGIONS),
        fc.date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2100-01-01T00:00:00Z'),
          noInvalidDate: true,
        }),
        (action, region, at) => {
          const name = regionalExecutionName(action, region, at.toISOString());
          return (
            name.length <= 80 &&
            /^[A-Za-z0-9_-]+$/.test(name) &&
            name === `${action}-${region}-${Math.floor(at.getTime() / 1000)}` &&
            name === regionalExecutionName(action, region, at.toISOString())
          );
        },
      ),
    );
    expect(() => regionalExecutionName('evacuate', 'eu-west-1', 'yesterday')).toThrow(
      'not a time: "yesterday"',
    );
  });

  it('gives the workflow a reason of 1-500 characters', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ maxLength: 2000 }), { nil: undefined }), (reason) => {
        const input = regionalInput('evacuate', 'eu-west-1', 'c-eu-west-1-region-degraded', reason);
        return input.reason.length >= 1 && input.reason.length <= 500 && input.trigger === 'automatic';
      }),
    );
  });

  it('keeps a started entry: only `started` overwrites, anything else only a missing entry or an error', () => {
    const base = { cluster: 'c', eventTime: '2026-01-01T00:00:00Z', eventId: 'e', alarmName: 'a' };
    const started = regionalAuditPut(
      { ...base, action: 'evacuate', outcome: 'started', executionName: 'n', startedIn: 'r', skipped: [] },
      0,
    );
    expect(started.ConditionExpression).toBeUndefined();
    const dup = regionalAuditPut(
      { ...base, action: 'evacuate', outcome: 'duplicate', executionName: 'n', startedIn: 'r', skipped: [] },
      0,
    );
    expect(dup.ConditionExpression).toBe('attribute_not_exists(sk) OR outcome = :error');
    expect(dup.Item).toMatchObject({ workflow: 'regional-failover', trigger: 'alarm', outcome: 'duplicate' });
    expect(dup.Item.ttl).toBe(90 * 86_400);
  });
});
