import { fenceUpdate, holdsEpoch } from '../../../functions/core/fencing';

const ME = 'arn:aws:states:eu-west-1:111122223333:execution:primary-failover:me';
const OTHER = 'arn:aws:states:eu-west-1:111122223333:execution:primary-failover:other';

describe('fenceUpdate', () => {
  it('records no failed primary as an empty string', () => {
    const u = fenceUpdate({ cluster: 'prod', execution: ME, expectedEpoch: 3 }, 1_000);
    expect(u.ExpressionAttributeValues[':failed']).toBe('');
    expect(
      fenceUpdate({ cluster: 'prod', execution: ME, expectedEpoch: 3, failedPrimary: 'i-0a' }, 1_000)
        .ExpressionAttributeValues[':failed'],
    ).toBe('i-0a');
  });
});

describe('holdsEpoch', () => {
  it('needs the epoch, the owner and a live phase all three', () => {
    const hold = { epoch: 4, execution: ME };
    expect(holdsEpoch({ epoch: 4, owner: ME, phase: 'fenced' }, hold)).toBe(true);
    expect(holdsEpoch({ epoch: 4, owner: OTHER, phase: 'fenced' }, hold)).toBe(false);
    expect(holdsEpoch({ epoch: 5, owner: ME, phase: 'committed' }, hold)).toBe(false);
    expect(holdsEpoch({ epoch: 4, owner: ME, phase: 'escalated' }, hold)).toBe(false);
    expect(holdsEpoch(undefined, hold)).toBe(false);
  });
});
