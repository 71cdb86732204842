import fc from 'fast-check';
import {
  auditKey,
  auditSk,
  clusterPk,
  commandKey,
  gateKey,
  gateSk,
  KEY_FORMATS,
  lockKey,
  lockSk,
  nodeKey,
  nodeSk,
  noticeKey,
  noticeSk,
  stateKey,
} from '../../../functions/core/keys';

/**
 * `States.Format` as the Step Functions interpreter applies it: each `{}` takes the next argument, in order.
 * Written independently of functions/core/keys.ts so the two can be compared.
 */
function statesFormat(template: string, ...args: string[]): string {
  let i = 0;
  return template.replace(/\{\}/g, () => {
    const arg = args[i++];
    if (arg === undefined) throw new Error(`too few arguments for ${template}`);
    return arg;
  });
}

const value = fc.string({ minLength: 1, maxLength: 40 });
const iso = fc
  .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) })
  .map((t) => new Date(t).toISOString());

describe('the state table keys', () => {
  it('are spelled as the table has always held them', () => {
    expect(stateKey('prod')).toEqual({ pk: 'CLUSTER#prod', sk: 'STATE' });
    expect(lockKey('prod', 'join')).toEqual({ pk: 'CLUSTER#prod', sk: 'LOCK#join' });
    expect(nodeKey('prod', 'i-0123456789abcdef0')).toEqual({
      pk: 'CLUSTER#prod',
      sk: 'NODE#i-0123456789abcdef0',
    });
    expect(gateKey('prod', 'primary-failover')).toEqual({ pk: 'CLUSTER#prod', sk: 'GATE#primary-failover' });
    expect(noticeKey('prod', 'no-primary')).toEqual({ pk: 'CLUSTER#prod', sk: 'NOTICE#no-primary' });
    expect(commandKey('prod', 'e8d3c0e4-71f7-4491-898f-c9b35bee5f3b', 'i-0123456789abcdef0')).toEqual({
      pk: 'CLUSTER#prod',
      sk: 'COMMAND#e8d3c0e4-71f7-4491-898f-c9b35bee5f3b#i-0123456789abcdef0',
    });
    expect(auditKey('prod', '2026-03-10T12:00:00.000Z', 'run-1')).toEqual({
      pk: 'CLUSTER#prod',
      sk: 'AUDIT#2026-03-10T12:00:00.000Z#run-1',
    });
  });

  it('write an audit time as ISO-8601 UTC with milliseconds, whatever form it comes in', () => {
    const at = Date.UTC(2019, 9, 2, 17, 4, 40);
    const expected = 'AUDIT#2019-10-02T17:04:40.000Z#e';
    expect(auditSk(at, 'e')).toBe(expected);
    expect(auditSk(new Date(at), 'e')).toBe(expected);
    expect(auditSk('2019-10-02T17:04:40Z', 'e')).toBe(expected);
  });

  it('equal States.Format over KEY_FORMATS, for any values (a value is never re-read as a template)', () => {
    fc.assert(
      fc.property(value, value, iso, (a, b, at) => {
        expect(statesFormat(KEY_FORMATS.clusterPk, a)).toBe(clusterPk(a));
        expect(statesFormat(KEY_FORMATS.lockSk, a)).toBe(lockSk(a));
        expect(statesFormat(KEY_FORMATS.nodeSk, a)).toBe(nodeSk(a));
        expect(statesFormat(KEY_FORMATS.gateSk, a)).toBe(gateSk(a));
        expect(statesFormat(KEY_FORMATS.noticeSk, a)).toBe(noticeSk(a));
        expect(statesFormat(KEY_FORMATS.auditSk, at, b)).toBe(auditSk(at, b));
        expect(statesFormat(KEY_FORMATS.stateSk)).toBe(stateKey(a).sk);
      }),
      { numRuns: 300 },
    );
  });

  it('need no escaping in an ASL States.Format template', () => {
    // States.Format treats ' { } \ as special; only the `{}` placeholders may appear.
    for (const template of Object.values(KEY_FORMATS)) {
      expect(template.replaceAll('{}', '')).not.toMatch(/['{}\\]/);
    }
  });

  it('keep every kind of item apart: no sort key of one kind is a prefix-match of another', () => {
    const prefixes = Object.entries(KEY_FORMATS)
      .filter(([name]) => name !== 'clusterPk')
      .map(([, template]) => template.split('{}')[0] as string);
    for (const p of prefixes) {
      for (const q of prefixes) if (p !== q) expect(q.startsWith(p)).toBe(false);
    }
  });
});
