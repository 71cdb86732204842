import fc from 'fast-check';
import {
  CA_EXTENSIONS,
  type CsrFacts,
  type CsrPolicy,
  caProfile,
  checkCsr,
  decideLeaf,
  type InstanceFacts,
  leafExtensions,
  serialFromBytes,
} from '../../../functions/core/pki';

const GROUPS = ['c-primary', 'c-member'];
const POLICY: CsrPolicy = { minKeyBits: 2048, groups: GROUPS };
const NOW = new Date(Date.UTC(2026, 5, 1));

const ip = fc
  .tuple(fc.constantFrom(10, 172, 192), fc.nat(255), fc.nat(255), fc.nat(255))
  .map((p) => p.join('.'));
const random16 = fc.uint8Array({ minLength: 16, maxLength: 16 });

/** A CSR, good or bad in any way, for an instance with `instanceIp`. */
const csrFor = (instanceIp: string) =>
  fc.record<CsrFacts>({
    keyAlgorithm: fc.constantFrom('RSA', 'RSA', 'RSA', 'EC', '1.3.101.112'),
    modulusBits: fc.constantFrom(512, 1024, 2047, 2048, 3072, 4096),
    commonNames: fc.oneof(
      fc.constant([instanceIp]),
      fc.array(fc.oneof(ip, fc.constant(instanceIp)), { maxLength: 2 }),
    ),
    sanIps: fc.oneof(
      fc.constant([instanceIp]),
      fc.array(fc.oneof(ip, fc.constant(instanceIp)), { maxLength: 3 }),
    ),
    sanDns: fc.array(fc.domain(), { maxLength: 2 }),
    signatureValid: fc.boolean(),
  });
const instance = fc
  .tuple(ip, fc.constantFrom<string | undefined>(...GROUPS, 'other', undefined), fc.boolean())
  .map(
    ([privateIp, groupName, known]): InstanceFacts => ({
      instanceId: 'i-0123456789abcdef0',
      ...(known ? { privateIp } : {}),
      ...(groupName !== undefined ? { groupName } : {}),
    }),
  );
const request = fc.record({
  now: fc.constant(NOW),
  lifetimeDays: fc.integer({ min: 1, max: 397 }),
  random: random16,
});

describe('checkCsr / decideLeaf', () => {
  it('issues exactly when every check passes; a refused CSR never produces a profile', () => {
    fc.assert(
      fc.property(
        instance.chain((inst) => fc.tuple(fc.constant(inst), csrFor(inst.privateIp ?? '10.0.0.1'), request)),
        ([inst, csr, req]) => {
          const d = decideLeaf(csr, inst, POLICY, req);
          const ok =
            csr.signatureValid &&
            csr.keyAlgorithm === 'RSA' &&
            (csr.modulusBits ?? 0) >= 2048 &&
            inst.privateIp !== undefined &&
            GROUPS.includes(inst.groupName ?? '') &&
            csr.commonNames.length === 1 &&
            csr.commonNames[0] === inst.privateIp &&
            csr.sanIps.length === 1 &&
            csr.sanIps[0] === inst.privateIp;
          expect(d.kind).toBe(ok ? 'issue' : 'refuse');
          if (d.kind === 'refuse') {
            expect(d).not.toHaveProperty('profile');
            expect(d.reason.length).toBeGreaterThan(10);
          }
        },
      ),
    );
  });

  it('every issued profile has exactly the contract extensions and subject, whatever the CSR asked for', () => {
    fc.assert(
      fc.property(ip, fc.array(fc.domain(), { maxLength: 3 }), request, (addr, dns, req) => {
        const csr: CsrFacts = {
          keyAlgorithm: 'RSA',
          modulusBits: 4096,
          commonNames: [addr],
          sanIps: [addr],
          sanDns: dns,
          signatureValid: true,
        };
        const d = decideLeaf(csr, { instanceId: 'i-1', privateIp: addr, groupName: 'c-member' }, POLICY, req);
        if (d.kind !== 'issue') throw new Error('expected an issue');
        expect(d.profile.extensions).toEqual([
          { kind: 'basicConstraints', critical: true, ca: false },
          { kind: 'keyUsage', critical: true, usages: ['digitalSignature', 'keyEncipherment'] },
          { kind: 'extendedKeyUsage', critical: false, usages: ['serverAuth', 'clientAuth'] },
          { kind: 'subjectAltName', critical: false, ips: [addr] },
          { kind: 'subjectKeyIdentifier', critical: false },
          { kind: 'authorityKeyIdentifier', critical: false },
        ]);
        expect(d.profile.subject).toEqual([['CN', addr]]);
        expect(d.profile.notBefore).toEqual(NOW);
        expect(d.profile.notAfter.getTime() - NOW.getTime()).toBe(req.lifetimeDays * 86_400_000);
      }),
    );
  });

  it('names the failing check and the values', () => {
    const good: CsrFacts = {
      keyAlgorithm: 'RSA',
      modulusBits: 2048,
      commonNames: ['10.0.0.5'],
      sanIps: ['10.0.0.5'],
      signatureValid: true,
    };
    const inst: InstanceFacts = { instanceId: 'i-1', privateIp: '10.0.0.5', groupName: 'c-primary' };
    expect(checkCsr(good, inst, POLICY)).toEqual({ ok: true });
    expect(checkCsr({ ...good, modulusBits: 2047 }, inst, POLICY)).toMatchObject({
      check: 'key-size',
      reason: expect.stringContaining('2047'),
    });
    expect(checkCsr({ ...good, commonNames: ['10.0.0.6'] }, inst, POLICY)).toMatchObject({
      check: 'subject',
      reason: expect.stringMatching(/10\.0\.0\.6.*10\.0\.0\.5/),
    });
    expect(checkCsr(good, { ...inst, groupName: 'x' }, POLICY)).toMatchObject({
      check: 'group',
      reason: expect.stringContaining('group x'),
    });
    expect(checkCsr(good, { instanceId: 'i-1', privateIp: '10.0.0.5' }, POLICY)).toMatchObject({
      check: 'group',
      reason: expect.stringContaining('no Auto Scaling group'),
    });
    expect(checkCsr({ ...good, keyAlgorithm: 'EC' }, inst, POLICY)).toMatchObject({ check: 'key-algorithm' });
    expect(checkCsr({ ...good, signatureValid: false, keyAlgorithm: 'EC' }, inst, POLICY)).toMatchObject({
      check: 'signature',
    });
    expect(checkCsr({ ...good, sanIps: [] }, inst, POLICY)).toMatchObject({ check: 'san' });
    // A second CN or SAN IP beside the right one is refused, and the message lists them all.
    expect(checkCsr({ ...good, commonNames: ['10.0.0.5', '10.0.0.6'] }, inst, POLICY)).toMatchObject({
      check: 'subject',
      reason: expect.stringContaining('[10.0.0.5, 10.0.0.6]'),
    });
    expect(checkCsr({ ...good, sanIps: ['10.0.0.5', '10.0.0.6'] }, inst, POLICY)).toMatchObject({
      check: 'san',
      reason: expect.stringContaining('[10.0.0.5, 10.0.0.6]'),
    });
    expect(checkCsr(good, { ...inst, groupName: 'x' }, POLICY)).toMatchObject({
      reason: expect.stringContaining('(c-primary, c-member)'),
    });
    expect(checkCsr(good, { instanceId: 'i-1' }, POLICY)).toMatchObject({ check: 'instance' });
  });
});

describe('leaf validity', () => {
  it('never outlives the issuing CA: the leaf ends at the earlier of its lifetime and the CA notAfter; an expired CA issues nothing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 397 }),
        fc.integer({ min: -5, max: 800 }),
        random16,
        (lifetimeDays, caDaysLeft, random) => {
          const csr: CsrFacts = {
            keyAlgorithm: 'RSA',
            modulusBits: 2048,
            commonNames: ['10.0.0.5'],
            sanIps: ['10.0.0.5'],
            signatureValid: true,
          };
          const issuerNotAfter = new Date(NOW.getTime() + caDaysLeft * 86_400_000);
          const d = decideLeaf(
            csr,
            { instanceId: 'i-1', privateIp: '10.0.0.5', groupName: 'c-member' },
            POLICY,
            {
              now: NOW,
              lifetimeDays,
              random,
              issuerNotAfter,
            },
          );
          if (caDaysLeft <= 0) {
            expect(d).toMatchObject({
              kind: 'refuse',
              check: 'issuer',
              reason: expect.stringContaining('rotate the CA'),
            });
            return;
          }
          if (d.kind !== 'issue') throw new Error('expected an issue');
          expect(d.profile.notAfter.getTime()).toBe(
            Math.min(NOW.getTime() + lifetimeDays * 86_400_000, issuerNotAfter.getTime()),
          );
        },
      ),
    );
  });
});

describe('serials', () => {
  it('are 16 bytes, positive, minimal in DER, and carry the other 126 bits unchanged', () => {
    fc.assert(
      fc.property(random16, (bytes) => {
        const s = serialFromBytes(bytes);
        expect(s).toMatch(/^[0-9a-f]{32}$/);
        const first = Number.parseInt(s.slice(0, 2), 16);
        expect(first & 0x80).toBe(0);
        expect(first & 0x40).toBe(0x40);
        expect(first & 0x3f).toBe((bytes[0] as number) & 0x3f);
        expect(s.slice(2)).toBe(Buffer.from(bytes.subarray(1)).toString('hex'));
      }),
    );
    expect(() => serialFromBytes(new Uint8Array(15))).toThrow('16 random bytes, got 15');
  });
});

describe('the CA profile', () => {
  it('names the cluster, generation and region, lasts caLifetimeDays, and is a path-length-0 CA', () => {
    const p = caProfile({
      cluster: 'c',
      region: 'eu-west-1',
      generation: 3,
      now: NOW,
      lifetimeDays: 3650,
      random: new Uint8Array(16),
    });
    expect(p.subject).toEqual([
      ['CN', 'c cluster CA G3'],
      ['O', 'eu-west-1'],
    ]);
    expect(p.notAfter.getTime() - NOW.getTime()).toBe(3650 * 86_400_000);
    expect(p.extensions).toBe(CA_EXTENSIONS);
    expect(CA_EXTENSIONS).toEqual([
      { kind: 'basicConstraints', critical: true, ca: true, pathLength: 0 },
      { kind: 'keyUsage', critical: true, usages: ['keyCertSign', 'cRLSign'] },
      { kind: 'subjectKeyIdentifier', critical: false },
    ]);
    expect(leafExtensions('1.2.3.4').some((e) => e.kind === 'basicConstraints' && e.ca)).toBe(false);
  });
});
