/**
 * The signer handler under strict SDK mocks (issue 13, item 2): every refusal is audited and issues nothing;
 * what it issues verifies against the CA and carries exactly the contract's extensions.
 */
import { SignCommand } from '@aws-sdk/client-kms';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import 'aws-sdk-client-mock-jest';
import { ENV } from '../../../functions/shared/env';
import { handler } from '../../../functions/signer/handler';
import { certificatesOf, makeCsr, x509 } from '../signer/csr-fixture';
import { context, EXECUTION, INSTANCE, IP, signerFixture } from '../signer/signer-fixture';

jest.setTimeout(60_000);
const f = signerFixture();
beforeEach(f.setup);
afterEach(f.teardown);
afterAll(f.restore);

const issue = (csr: string, instanceId = INSTANCE) =>
  handler({ op: 'issue', instanceId, csr, execution: EXECUTION }, context) as Promise<{
    certificate: string;
    caBundle: string;
    serial: string;
    notBefore: string;
    notAfter: string;
    fingerprint: string;
    issuer: number;
    trusted: number[];
  }>;

const refusedAudits = () => f.audits().filter((a) => a.kind === 'certificate-refused');
const issuedAudits = () => f.audits().filter((a) => a.kind === 'certificate-issued');

describe('issue: refusals (audited, nothing signed)', () => {
  const cases: [string, () => Promise<string>, string, RegExp, (() => void)?][] = [
    ['a CSR for another IP', () => makeCsr('10.0.9.9'), 'subject', /\[10\.0\.9\.9\].*10\.0\.1\.17/],
    [
      'a SAN IP that is not the instance',
      () => makeCsr(IP, { sanIps: ['10.0.9.9'] }),
      'san',
      /\[10\.0\.9\.9\]/,
    ],
    ['two SAN IPs', () => makeCsr(IP, { sanIps: [IP, '10.0.9.9'] }), 'san', /exactly one/],
    ['a bad CSR signature', () => makeCsr(IP, { badSignature: true }), 'signature', /does not verify/],
    ['an EC key', () => makeCsr(IP, { key: 'ec' }), 'key-algorithm', /EC, only RSA/],
    ['a 1024-bit RSA key', () => makeCsr(IP, { key: 1024 }), 'key-size', /RSA 1024 bits, at least 2048/],
    [
      'an instance outside the groups',
      () => makeCsr(IP),
      'group',
      /group other-group, not in the cluster's groups/,
      () => {
        f.state.instance.group = 'other-group';
      },
    ],
    [
      'an instance EC2 does not know',
      () => makeCsr(IP),
      'instance',
      /unknown to EC2/,
      () => {
        f.state.instance.ip = undefined;
      },
    ],
    [
      'a malformed CSR PEM',
      async () => '-----BEGIN CERTIFICATE REQUEST-----\nnot*base64\n-----END CERTIFICATE REQUEST-----',
      'csr-malformed',
      /not base64/,
    ],
    [
      'a PEM block that is not a PKCS #10 request',
      async () => '-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----',
      'csr-malformed',
      /not a PKCS #10 request/,
    ],
    [
      'text without a CSR',
      async () => 'configured node i-0123\nno csr here',
      'csr-blocks',
      /0 CSR PEM blocks/,
    ],
    [
      'two CSR blocks',
      async () => `${await makeCsr(IP)}\n${await makeCsr(IP)}`,
      'csr-blocks',
      /2 CSR PEM blocks/,
    ],
  ];

  it.each(cases.map(([name, csr, check, message, arrange]) => ({ name, csr, check, message, arrange })))(
    'refuses $name',
    async ({ csr, check, message, arrange }) => {
      arrange?.();
      const text = await csr();
      await expect(issue(text)).rejects.toMatchObject({
        name: 'CsrRefused',
        check,
        message: expect.stringMatching(message),
      });
      expect(f.kms).toHaveReceivedCommandTimes(SignCommand, 0);
      expect(issuedAudits()).toEqual([]);
      expect(refusedAudits()).toEqual([
        expect.objectContaining({ instanceId: INSTANCE, check, execution: EXECUTION, trigger: 'signer' }),
      ]);
      expect(f.items.size).toBe(1);
    },
  );
});

describe('issue: the certificate', () => {
  it('is signed by the CA through KMS, verifies, and has exactly the contract extensions whatever the CSR asked', async () => {
    const csr = await makeCsr(IP, {
      // Asks for a CA certificate with certSign and codeSigning: all ignored.
      extraExtensions: [
        new x509.BasicConstraintsExtension(true, 5, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
        new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.3']),
      ],
    });
    const logLines = `configured node ${INSTANCE}\n${csr}\ndone\n`;
    const out = await issue(logLines);
    const leaf = new x509.X509Certificate(out.certificate);
    const [ca] = certificatesOf(out.caBundle) as [x509.X509Certificate];
    expect(await leaf.verify({ publicKey: ca, signatureOnly: true })).toBe(true);
    expect(await ca.verify({ signatureOnly: true })).toBe(true);
    expect(leaf.subject).toBe(`CN=${IP}`);
    expect(leaf.issuer).toBe(ca.subject);
    expect(ca.subject).toBe('CN=artifactory-prod cluster CA G1, O=eu-west-1');
    // Exactly these, in this order, whatever the CSR asked for.
    expect(leaf.extensions.map((e) => [e.type, e.critical])).toEqual([
      ['2.5.29.19', true],
      ['2.5.29.15', true],
      ['2.5.29.37', false],
      ['2.5.29.17', false],
      ['2.5.29.14', false],
      ['2.5.29.35', false],
    ]);
    expect(leaf.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    expect(leaf.getExtension(x509.KeyUsagesExtension)?.usages).toBe(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
    );
    expect(leaf.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([
      x509.ExtendedKeyUsage.serverAuth,
      x509.ExtendedKeyUsage.clientAuth,
    ]);
    expect(leaf.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON()).toEqual([
      { type: 'ip', value: IP },
    ]);
    const ski = ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    expect(leaf.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(ski);
    // CA: basicConstraints CA:true pathLen 0 critical, keyCertSign + cRLSign critical.
    expect(ca.getExtension(x509.BasicConstraintsExtension)).toMatchObject({
      ca: true,
      pathLength: 0,
      critical: true,
    });
    expect(ca.getExtension(x509.KeyUsagesExtension)).toMatchObject({
      usages: x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
      critical: true,
    });
    // Serial: 16 bytes, positive; lifetime 90 days; the fingerprint is the DER's SHA-256.
    expect(out.serial).toMatch(/^[4-7][0-9a-f]{31}$/);
    expect(leaf.serialNumber).toBe(out.serial);
    expect(new Date(out.notAfter).getTime() - new Date(out.notBefore).getTime()).toBe(90 * 86_400_000);
    expect(Buffer.from(await leaf.getThumbprint('SHA-256')).toString('hex')).toBe(out.fingerprint);
    expect(out).toMatchObject({ issuer: 1, trusted: [1] });
    const chain = await new x509.X509ChainBuilder({ certificates: [ca] }).build(leaf);
    expect(chain.map((c) => c.subject)).toEqual([leaf.subject, ca.subject]);
    // Audited; the first issuance published the bundle.
    expect(issuedAudits()).toEqual([
      expect.objectContaining({
        instanceId: INSTANCE,
        serial: out.serial,
        notAfter: out.notAfter,
        fingerprint: out.fingerprint,
        issuer: 1,
        execution: EXECUTION,
      }),
    ]);
    expect(f.parameter.value).toBe(out.caBundle);
  });

  it('makes one KMS call per leaf once the CA exists (Sign; the issuer key comes from the CA certificate)', async () => {
    await handler({ op: 'ca' }, context);
    f.kms.resetHistory();
    await issue(await makeCsr(IP));
    expect(f.kms.calls().map((c) => c.args[0].constructor.name)).toEqual(['SignCommand']);
  });

  it('refuses to issue under an expired CA (audited, nothing signed) and says to rotate it', async () => {
    await handler({ op: 'ca' }, context);
    const caItem = [...f.items.entries()].find(([k]) => k.endsWith('|CA#1'));
    if (caItem === undefined) throw new Error('no CA item');
    caItem[1].notAfter = '2020-01-01T00:00:00.000Z';
    f.kms.resetHistory();
    await expect(issue(await makeCsr(IP))).rejects.toMatchObject({
      name: 'CsrRefused',
      check: 'issuer',
      message: expect.stringContaining('rotate the CA'),
    });
    expect(f.kms).toHaveReceivedCommandTimes(SignCommand, 0);
    expect(refusedAudits()).toEqual([expect.objectContaining({ check: 'issuer' })]);
  });

  it('finds the group through Auto Scaling when the instance has no group tag', async () => {
    f.state.instance.group = undefined;
    const { DescribeAutoScalingInstancesCommand } = await import('@aws-sdk/client-auto-scaling');
    f.asg.on(DescribeAutoScalingInstancesCommand).resolves({
      AutoScalingInstances: [
        { InstanceId: INSTANCE, AutoScalingGroupName: 'artifactory-prod-primary' } as never,
      ],
    });
    await expect(issue(await makeCsr(IP))).resolves.toMatchObject({ issuer: 1 });
  });

  it('turns KMS throttling into a TransientError (the workflow retries) and issues nothing', async () => {
    await handler({ op: 'ca' }, context);
    f.kms.on(SignCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $fault: 'client',
        $retryable: { throttling: true },
      }),
    );
    await expect(issue(await makeCsr(IP))).rejects.toMatchObject({ name: 'TransientError' });
    expect(issuedAudits()).toEqual([]);
  });

  it('refuses a bad request before any call, and fails fast without its configuration', async () => {
    await expect(
      handler({ op: 'issue', instanceId: 'node-1', csr: 'x', execution: EXECUTION }, context),
    ).rejects.toMatchObject({
      name: 'ValidationError',
    });
    await expect(
      handler({ op: 'caPhase', execution: EXECUTION, phase: 'skip' }, context),
    ).rejects.toMatchObject({
      name: 'ValidationError',
    });
    delete process.env[ENV.caKeys];
    await expect(handler({ op: 'ca' }, context)).rejects.toMatchObject({ name: 'ConfigurationError' });
    process.env[ENV.caKeys] = '{"0":"arn:aws:kms:eu-west-1:111122223333:key/x"}';
    await expect(handler({ op: 'ca' }, context)).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringContaining('generation 0'),
    });
    expect(f.items.size).toBe(0);
  });
});

describe('ca and caPhase', () => {
  type CaOut = {
    active: number;
    trusted: number[];
    caBundle: string;
    rotation?: { phase: string };
    deployed: number[];
  };
  const ca = () => handler({ op: 'ca' }, context) as Promise<CaOut>;
  const phase = (p: string) =>
    handler({ op: 'caPhase', execution: EXECUTION, phase: p }, context) as Promise<CaOut>;

  it('certifies every deployed generation once and publishes the bundle once', async () => {
    const first = await ca();
    expect(first).toMatchObject({ active: 1, trusted: [1], deployed: [1] });
    const again = await ca();
    expect(again.caBundle).toBe(first.caBundle);
    expect(f.kms).toHaveReceivedCommandTimes(SignCommand, 1);
    expect(f.ssm).toHaveReceivedCommandTimes(PutParameterCommand, 1);
    expect(f.parameter.value).toBe(first.caBundle);
    expect(f.audits().filter((a) => a.kind === 'ca-created')).toHaveLength(1);
    const cert = new x509.X509Certificate(first.caBundle);
    expect(cert.notAfter.getTime() - cert.notBefore.getTime()).toBe(3650 * 86_400_000);
  });

  it('rotates to a new generation in resumable phases: trust, reissue, drop; out of order refused', async () => {
    await ca();
    f.setGenerations([1, 2]);
    await expect(phase('reissue')).rejects.toMatchObject({ name: 'CaPhaseRefused', current: 'none' });
    const trust = await phase('trust');
    expect(trust).toMatchObject({ active: 1, trusted: [1, 2], rotation: { phase: 'trust' } });
    expect(certificatesOf(trust.caBundle).map((c) => c.subject)).toEqual([
      'CN=artifactory-prod cluster CA G1, O=eu-west-1',
      'CN=artifactory-prod cluster CA G2, O=eu-west-1',
    ]);
    expect(f.parameter.value).toBe(trust.caBundle);
    expect(await phase('trust')).toEqual(trust);
    await expect(phase('drop')).rejects.toMatchObject({
      name: 'CaPhaseRefused',
      message: expect.stringContaining('current phase: trust'),
    });
    const reissue = await phase('reissue');
    expect(reissue).toMatchObject({ active: 2, trusted: [1, 2], rotation: { phase: 'reissue' } });
    // The issuing CA comes first in the bundle, and leaves are now issued by G2.
    expect(certificatesOf(reissue.caBundle)[0]?.subject).toContain('G2');
    await expect(issue(await makeCsr(IP))).resolves.toMatchObject({ issuer: 2, trusted: [1, 2] });
    const drop = await phase('drop');
    expect(drop).toEqual({ ...drop, active: 2, trusted: [2] });
    expect(drop.rotation).toBeUndefined();
    expect(certificatesOf(drop.caBundle)).toHaveLength(1);
    // Replaying every phase after the rotation changes nothing.
    for (const p of ['trust', 'reissue', 'drop']) expect(await phase(p)).toEqual(drop);
    expect(
      f
        .audits()
        .filter((a) => a.kind === 'ca-phase')
        .map((a) => a.phase),
    ).toEqual(['trust', 'reissue', 'drop']);
  });
});
