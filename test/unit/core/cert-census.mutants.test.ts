import fc from 'fast-check';
import {
  censusProbe,
  PROBE_BATCH,
  ProbeOutputInvalid,
  readProbeBatch,
} from '../../../functions/core/cert-census';

const NOW = new Date('2026-03-09T10:00:00Z');
const DAY = 86_400_000;
const FP = 'a'.repeat(64);
const iso = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString();
const ip = (i: number) => `10.0.${Math.floor(i / 200)}.${(i % 200) + 10}`;
const id = (i: number) => `i-0${String(i).padStart(16, '0')}`;

// Issue 13 mutation survivors (docs/testing.md): the census probes from the first serving node by id, in
// batches of at most PROBE_BATCH, and refuses any probe output that is not exactly what was asked.
describe('censusProbe and readProbeBatch: what the issue requires of the probe', () => {
  const port = (over: Record<string, unknown>) => ({
    port: 8082,
    fingerprint: FP,
    verified: true,
    notAfter: iso(30),
    error: null,
    ...over,
  });
  const one = (ports: unknown[]) => JSON.stringify({ target: '10.0.0.1', ports });

  it('the peer is the first serving node by id, whatever order the nodes come in, and the batches follow ids', () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray(
          Array.from({ length: 30 }, (_, i) => i),
          { minLength: 30 },
        ),
        (order) => {
          const nodes = order.map((i) => ({
            instanceId: id(i),
            ip: ip(i),
            lifecycleState: 'InService',
            target: i >= 3 ? 'healthy' : 'unhealthy',
          }));
          const probe = censusProbe(nodes);
          expect(probe.peer).toBe(id(3));
          expect(probe.batches.map((b) => b.targets)).toEqual([
            Array.from({ length: 25 }, (_, i) => ip(i)).join(','),
            Array.from({ length: 5 }, (_, i) => ip(25 + i)).join(','),
          ]);
        },
      ),
    );
  });

  it('exactly PROBE_BATCH nodes make one batch, never an empty one', () => {
    const nodes = Array.from({ length: PROBE_BATCH }, (_, i) => ({
      instanceId: id(i),
      ip: ip(i),
      lifecycleState: 'InService',
      target: 'healthy',
    }));
    expect(censusProbe(nodes).batches).toHaveLength(1);
  });

  it.each([
    ['a null port', null],
    ['a port that is a string', '8082'],
    ['a port without fields', {}],
    ['a port number that is not an integer', port({ port: 80.5 })],
    ['a fingerprint that is not 64 hex digits', port({ fingerprint: 'zz' })],
    ['a fingerprint that is not a string', port({ fingerprint: [FP] })],
    ['verified that is not a boolean', port({ verified: 'yes' })],
    ['a notAfter that is not a date', port({ notAfter: 'soon' })],
    ['a notAfter that is not a string', port({ notAfter: [iso(30)] })],
    ['an error that is not a string', port({ error: 21 })],
  ])('%s is refused', (_what, p) => {
    expect(() => readProbeBatch(one([p]), '10.0.0.1')).toThrow(ProbeOutputInvalid);
    expect(() => readProbeBatch(one([port({}), p]), '10.0.0.1')).toThrow(
      /10\.0\.0\.1: a port is not \{port, fingerprint, verified, notAfter, error\}/,
    );
  });

  it('a well-formed port with every nullable field null is read', () => {
    const out = readProbeBatch(
      one([port({ fingerprint: null, verified: false, notAfter: null })]),
      '10.0.0.1',
    );
    expect(out).toEqual([{ ip: '10.0.0.1', fingerprints: [], notAfter: null, error: null }]);
  });

  it('blank and whitespace-only lines are skipped', () => {
    const stdout = `\n   \n${one([port({})])}\n\t\n`;
    expect(readProbeBatch(stdout, '10.0.0.1')).toHaveLength(1);
  });

  it('a line that is not JSON, or JSON null, is refused and named by its line number', () => {
    const good = one([port({})]);
    expect(() => readProbeBatch(`${good}\nnot json`, '10.0.0.1,10.0.0.2')).toThrow(/^line 2 is not JSON$/);
    expect(() => readProbeBatch(`${good}\nnull`, '10.0.0.1,10.0.0.2')).toThrow(ProbeOutputInvalid);
    expect(() => readProbeBatch(`${good}\nnull`, '10.0.0.1,10.0.0.2')).toThrow(
      /^line 2 answers for undefined/,
    );
    const stranger = JSON.stringify({ target: '10.9.9.9', ports: [port({})] });
    expect(() => readProbeBatch(`${good}\n${stranger}`, '10.0.0.1,10.0.0.2')).toThrow(
      /^line 2 answers for 10\.9\.9\.9, which was not asked$/,
    );
  });

  it('every target missing is named', () => {
    expect(() => readProbeBatch(one([port({})]), '10.0.0.1,10.0.0.2,10.0.0.3')).toThrow(
      /^no line for 10\.0\.0\.2, 10\.0\.0\.3$/,
    );
  });

  it('the earliest notAfter ignores a port that answered without one', () => {
    const out = readProbeBatch(
      one([
        port({ notAfter: null }),
        port({ port: 8443, notAfter: iso(10) }),
        port({ port: 9000, notAfter: iso(20) }),
      ]),
      '10.0.0.1',
    );
    expect(out[0]?.notAfter).toBe(iso(10));
  });

  it('a port that answered unverified without a reason is reported as not verified', () => {
    const out = readProbeBatch(
      one([port({}), port({ port: 8443, verified: false, error: null })]),
      '10.0.0.1',
    );
    expect(out[0]?.error).toBe('8443: not verified');
  });
});
