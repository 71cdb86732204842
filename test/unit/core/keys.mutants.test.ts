import { fill, KEY_FORMATS } from '../../../functions/core/keys';

describe('fill: States.Format over a key template', () => {
  it('puts each value in its own placeholder, in order', () => {
    expect(fill(KEY_FORMATS.auditSk, '2026-03-10T12:00:00.000Z', 'run-1')).toBe(
      'AUDIT#2026-03-10T12:00:00.000Z#run-1',
    );
    expect(fill(KEY_FORMATS.stateSk)).toBe('STATE');
    expect(fill('{}{}', 'a', 'b')).toBe('ab');
  });

  it('refuses too few or too many values, as States.Format does, naming the template and the counts', () => {
    expect(() => fill(KEY_FORMATS.lockSk)).toThrow('key template LOCK#{} takes 1 value(s), got 0');
    expect(() => fill(KEY_FORMATS.auditSk, 'only-one')).toThrow(
      'key template AUDIT#{}#{} takes 2 value(s), got 1',
    );
    expect(() => fill(KEY_FORMATS.stateSk, 'extra')).toThrow('key template STATE takes 0 value(s), got 1');
  });
});
