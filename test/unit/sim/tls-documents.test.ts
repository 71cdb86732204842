/**
 * The certificate documents in the twin: real keys, CSRs and PEMs on a node's certificate store, and their
 * refusals (a certificate that does not match the key, a rollback with nothing to restore, a probe of a
 * node that does not answer).
 */
import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { SimInstance } from '../../../sim/core/contracts';
import { NODE_TIMING } from '../../../sim/services/artifactory';
import { TestCa } from '../../../sim/services/test-ca';
import { TLS_FILES } from '../../../sim/services/tls';
import { type ComputeWorld, makeWorld } from './compute-harness';
import { ssmHarness } from './ssm-harness';

const DAY = 86_400_000;
let w: ComputeWorld;

beforeEach(() => {
  w = makeWorld({ tls: 'on' });
  w.clock.install();
});

afterEach(() => {
  w.clock.uninstall();
});

const { docs, configureParams, managedInstance, send, finished } = ssmHarness(() => w);

const run = async (doc: string, inst: SimInstance, parameters: Record<string, string[]> = {}) =>
  finished(await send(doc, inst, parameters), inst);

/** A configured, running node. */
async function runningNode(): Promise<SimInstance> {
  const inst = await managedInstance();
  expect((await run(docs.configureNode, inst, configureParams(inst))).Status).toBe('Success');
  expect((await run(docs.startArtifactory, inst)).Status).toBe('Success');
  await w.clock.runFor(NODE_TIMING.start[1]);
  expect(inst.node.status).toBe('running');
  return inst;
}

/** Restarts Artifactory on the node and waits until it has started (or failed). */
async function restart(inst: SimInstance): Promise<void> {
  const done = inst.node.restart();
  await w.clock.runFor(NODE_TIMING.stop[1] + NODE_TIMING.start[1]);
  await done;
}

/** MakeCsr on the node, then a certificate from `ca` for that CSR, installed (no restart). */
async function rotate(inst: SimInstance, ca: TestCa, life = { from: -DAY, days: 90 }) {
  const csr = await run(docs.makeCsr, inst, { KeySize: ['2048'] });
  expect(csr.Status).toBe('Success');
  const now = w.clock.now();
  const certificate = await ca.issue({
    ip: inst.privateIp,
    csr: csr.StandardOutputContent,
    notBefore: now + life.from,
    notAfter: now + life.days * DAY,
  });
  const out = await run(docs.installCertificate, inst, {
    Certificate: [certificate],
    CaBundle: [ca.certificate],
  });
  return { csr: csr.StandardOutputContent, certificate, out };
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();

describe('MakeCsr', () => {
  it('prints only a CSR (CN and SAN IP = the node IP, RSA of KeySize) and keeps the key on the node only', async () => {
    const inst = await managedInstance();
    const out = await run(docs.makeCsr, inst, { KeySize: ['3072'] });
    expect(out.Status).toBe('Success');
    expect(out.StandardOutputContent).toMatch(
      /^-----BEGIN CERTIFICATE REQUEST-----\n[\s\S]+\n-----END CERTIFICATE REQUEST-----\n$/,
    );
    expect(out.StandardOutputContent).not.toContain('PRIVATE KEY');
    const csr = new x509.Pkcs10CertificateRequest(out.StandardOutputContent);
    expect(await csr.verify()).toBe(true);
    expect(csr.subject).toBe(`CN=${inst.privateIp}`);
    const san = csr.getExtension('2.5.29.17') as x509.SubjectAlternativeNameExtension | null;
    expect(san?.names.toJSON()).toEqual([{ type: 'ip', value: inst.privateIp }]);
    expect((csr.publicKey.algorithm as unknown as { modulusLength: number }).modulusLength).toBe(3072);
    expect(inst.node.tls.file(TLS_FILES.nextKey)).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(inst.node.tls.installed).toBeUndefined();
  });

  it('refuses a KeySize outside 2048/3072/4096 before the command runs', async () => {
    const inst = await managedInstance();
    await expect(send(docs.makeCsr, inst, { KeySize: ['1024'] })).rejects.toThrow(/KeySize/);
    expect(inst.node.tls.fileNames()).toEqual([]);
  });

  it('ConfigureNode with KeySize prints the CSR after its usual lines; without it, as before', async () => {
    const inst = await managedInstance();
    const plain = await run(docs.configureNode, inst, configureParams(inst));
    expect(plain.StandardOutputContent).not.toContain('CERTIFICATE REQUEST');
    const withKey = await run(docs.configureNode, inst, { ...configureParams(inst), KeySize: ['2048'] });
    const lines = withKey.StandardOutputContent.split('\n');
    expect(lines[2]).toMatch(/^wrote .*system.yaml/);
    expect(lines[3]).toBe('-----BEGIN CERTIFICATE REQUEST-----');
    expect(lines.at(-1)).toBe('-----END CERTIFICATE REQUEST-----');
    expect(inst.node.tls.file(TLS_FILES.nextKey)).toBeDefined();
  });
});

describe('InstallCertificate and RollbackCertificate', () => {
  it('installs the certificate with the next key, keeps the previous ones, and is served only after a restart', async () => {
    const ca = await TestCa.create('Test CA', { notBefore: w.clock.now() - DAY });
    const inst = await runningNode();
    const own = inst.node.servedCertificate;
    expect(own?.generated).toBe(true);

    const first = await rotate(inst, ca);
    expect(first.out.Status).toBe('Success');
    expect(JSON.parse(first.out.StandardOutputContent)).toEqual({
      installed: fingerprint(first.certificate),
      previous: null,
    });
    expect(inst.node.tls.file(TLS_FILES.nextKey)).toBeUndefined();
    expect(inst.node.tls.file(TLS_FILES.previousCrt)).toBeUndefined();
    // Not served until Artifactory restarts (JFrog: a restart applies the change).
    expect(inst.node.servedCertificate?.fingerprint).toBe(own?.fingerprint);
    await restart(inst);
    expect(inst.node.servedCertificate?.fingerprint).toBe(fingerprint(first.certificate));
    expect(inst.node.routerHealthy()).toBe(true);

    const keyBefore = inst.node.tls.file(TLS_FILES.key);
    const second = await rotate(inst, ca);
    expect(JSON.parse(second.out.StandardOutputContent)).toEqual({
      installed: fingerprint(second.certificate),
      previous: fingerprint(first.certificate),
    });
    expect(inst.node.tls.file(TLS_FILES.previousKey)).toBe(keyBefore);
    expect(inst.node.tls.file(TLS_FILES.previousCa)).toBe(ca.certificate);
    // A retried install of the same certificate answers the same and changes nothing.
    const again = await run(docs.installCertificate, inst, {
      Certificate: [second.certificate],
      CaBundle: [ca.certificate],
    });
    expect(JSON.parse(again.StandardOutputContent)).toEqual(JSON.parse(second.out.StandardOutputContent));

    const rolled = await run(docs.rollbackCertificate, inst);
    expect(JSON.parse(rolled.StandardOutputContent)).toEqual({ restored: fingerprint(first.certificate) });
    expect(inst.node.tls.installed?.fingerprint).toBe(fingerprint(first.certificate));
    expect(inst.node.tls.file(TLS_FILES.key)).toBe(keyBefore);
  });

  it('refuses a certificate that does not match the next key, changing nothing', async () => {
    const ca = await TestCa.create('Test CA', { notBefore: w.clock.now() - DAY });
    const a = await managedInstance();
    const b = await managedInstance();
    const csrA = (await run(docs.makeCsr, a, { KeySize: ['2048'] })).StandardOutputContent;
    await run(docs.makeCsr, b, { KeySize: ['2048'] });
    expect(b.node.tls.file(TLS_FILES.nextKey)).not.toBe(a.node.tls.file(TLS_FILES.nextKey));
    const forA = await ca.issue({
      ip: b.privateIp,
      csr: csrA,
      notBefore: w.clock.now() - DAY,
      notAfter: w.clock.now() + 90 * DAY,
    });
    const files = b.node.tls.fileNames();
    const out = await run(docs.installCertificate, b, { Certificate: [forA], CaBundle: [ca.certificate] });
    expect(out).toMatchObject({ Status: 'Failed' });
    expect(out.StandardErrorContent).toContain('does not match');
    expect(b.node.tls.fileNames()).toEqual(files);
    expect(b.node.tls.installed).toBeUndefined();
  });

  it('refuses a Certificate that is not PEM with exit 2, without echoing it', async () => {
    const inst = await managedInstance();
    const bad = "-----BEGIN CERTIFICATE-----\nAAAA'; id; '\n-----END CERTIFICATE-----\n";
    const out = await run(docs.installCertificate, inst, { Certificate: [bad], CaBundle: [bad] });
    expect(out).toMatchObject({ Status: 'Failed', ResponseCode: 2 });
    expect(out.StandardErrorContent).not.toContain('id;');
  });

  it('refuses a PEM-shaped Certificate that is no certificate, changing nothing', async () => {
    const ca = await TestCa.create('Test CA', { notBefore: w.clock.now() - DAY });
    const inst = await managedInstance();
    await run(docs.makeCsr, inst, { KeySize: ['2048'] });
    const files = inst.node.tls.fileNames();
    const junk = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    const out = await run(docs.installCertificate, inst, { Certificate: [junk], CaBundle: [ca.certificate] });
    expect(out).toMatchObject({ Status: 'Failed', ResponseCode: 1 });
    expect(out.StandardErrorContent).toMatch(/^not a PEM certificate/);
    expect(inst.node.tls.fileNames()).toEqual(files);
  });

  it('RollbackCertificate with nothing to restore fails and changes nothing', async () => {
    const inst = await managedInstance();
    const out = await run(docs.rollbackCertificate, inst);
    expect(out.Status).toBe('Failed');
    expect(out.StandardErrorContent).toContain('nothing to roll back to');
    expect(inst.node.tls.fileNames()).toEqual([]);
  });

  it('StartArtifactory with Certificate and CaBundle installs them, then starts serving them', async () => {
    const ca = await TestCa.create('Test CA', { notBefore: w.clock.now() - DAY });
    const inst = await managedInstance();
    const configured = await run(docs.configureNode, inst, { ...configureParams(inst), KeySize: ['2048'] });
    const csr = configured.StandardOutputContent.slice(
      configured.StandardOutputContent.indexOf('-----BEGIN CERTIFICATE REQUEST-----'),
    );
    const certificate = await ca.issue({
      ip: inst.privateIp,
      csr,
      notBefore: w.clock.now() - DAY,
      notAfter: w.clock.now() + 90 * DAY,
    });
    const out = await run(docs.startArtifactory, inst, {
      Certificate: [certificate],
      CaBundle: [ca.certificate],
    });
    expect(out.StandardOutputContent.split('\n')).toEqual([
      JSON.stringify({ installed: fingerprint(certificate), previous: null }),
      'artifactory.service started',
    ]);
    await w.clock.runFor(NODE_TIMING.start[1]);
    expect(inst.node.servedCertificate?.fingerprint).toBe(fingerprint(certificate));
    expect(inst.node.ready()).toBe(true);
    const half = await run(docs.startArtifactory, inst, { Certificate: [certificate] });
    expect(half).toMatchObject({ Status: 'Failed', ResponseCode: 2 });
  });
});

describe('StartArtifactory with Restart, RollbackCertificate with Fingerprint', () => {
  it('installs and restarts in one command; the rollback undoes only the issued install', async () => {
    const ca = await TestCa.create('Test CA', { notBefore: w.clock.now() - DAY });
    const inst = await runningNode();
    const first = await rotate(inst, ca);
    await restart(inst);
    expect(inst.node.servedCertificate?.fingerprint).toBe(fingerprint(first.certificate));
    const csr = await run(docs.makeCsr, inst, { KeySize: ['2048'] });
    const issued = await ca.issue({
      ip: inst.privateIp,
      csr: csr.StandardOutputContent,
      notBefore: w.clock.now() - DAY,
      notAfter: w.clock.now() + 90 * DAY,
    });
    // Before the install (the failure came first): nothing to undo, nothing changed.
    const early = await run(docs.rollbackCertificate, inst, { Fingerprint: [fingerprint(issued)] });
    expect(early.Status).toBe('Success');
    expect(JSON.parse(early.StandardOutputContent)).toEqual({
      restored: null,
      reason: `the installed certificate is ${fingerprint(first.certificate)}, not ${fingerprint(issued)}: nothing to undo, nothing changed`,
    });
    expect(inst.node.tls.installed?.fingerprint).toBe(fingerprint(first.certificate));

    const out = await run(docs.startArtifactory, inst, {
      Certificate: [issued],
      CaBundle: [ca.certificate],
      Restart: ['true'],
    });
    expect(out.Status).toBe('Success');
    expect(out.StandardOutputContent.split('\n')).toEqual([
      JSON.stringify({ installed: fingerprint(issued), previous: fingerprint(first.certificate) }),
      'artifactory.service restarted',
    ]);
    await w.clock.runFor(NODE_TIMING.start[1]);
    expect(inst.node.servedCertificate?.fingerprint).toBe(fingerprint(issued));

    // After the install: undone; a retried rollback finds it undone and changes nothing.
    const undone = await run(docs.rollbackCertificate, inst, { Fingerprint: [fingerprint(issued)] });
    expect(JSON.parse(undone.StandardOutputContent)).toEqual({ restored: fingerprint(first.certificate) });
    const again = await run(docs.rollbackCertificate, inst, { Fingerprint: [fingerprint(issued)] });
    expect(JSON.parse(again.StandardOutputContent)).toMatchObject({ restored: null });
    expect(inst.node.tls.installed?.fingerprint).toBe(fingerprint(first.certificate));
  });

  it('refuses a Fingerprint that is not 64 lowercase hex digits with exit 2, changing nothing', async () => {
    const ca = await TestCa.create('Test CA', { notBefore: w.clock.now() - DAY });
    const inst = await runningNode();
    const first = await rotate(inst, ca);
    const out = await run(docs.rollbackCertificate, inst, { Fingerprint: ['AB'.repeat(32)] });
    expect(out).toMatchObject({ Status: 'Failed', ResponseCode: 2 });
    expect(inst.node.tls.installed?.fingerprint).toBe(fingerprint(first.certificate));
  });
});

describe('ProbeServedCertificate', () => {
  it("verifies a peer's served certificate on 8082 and 8443 against the prober's own trusted CA files", async () => {
    const ca = await TestCa.create('Test CA', { notBefore: w.clock.now() - DAY });
    const other = await TestCa.create('Foreign CA', { notBefore: w.clock.now() - DAY });
    const target = await runningNode();
    const peer = await runningNode();
    const { certificate } = await rotate(target, ca);
    await rotate(peer, ca);
    await restart(target);
    const probe = async () =>
      JSON.parse(
        (await run(docs.probeServedCertificate, peer, { TargetIp: [target.privateIp] }))
          .StandardOutputContent,
      );
    const notAfter = new Date(new X509Certificate(certificate).validTo).toISOString().replace('.000Z', 'Z');
    const ok = { fingerprint: fingerprint(certificate), verified: true, notAfter, error: null };
    expect(await probe()).toEqual({
      target: target.privateIp,
      ports: [
        { port: 8082, ...ok },
        { port: 8443, ...ok },
      ],
    });
    // A certificate from a CA the peer does not trust is seen, not verified.
    const foreign = await rotate(target, other);
    await restart(target);
    const seen = await probe();
    expect(seen.ports[0]).toMatchObject({
      fingerprint: fingerprint(foreign.certificate),
      verified: false,
      error: '20 (unable to get local issuer certificate)',
    });
  });

  it('reports unreachable ports of a node that does not answer, and fails on a node that trusts nothing', async () => {
    const ca = await TestCa.create('Test CA', { notBefore: w.clock.now() - DAY });
    const target = await runningNode();
    const peer = await runningNode();
    const bare = await run(docs.probeServedCertificate, peer, { TargetIp: [target.privateIp] });
    expect(bare.Status).toBe('Failed');
    expect(bare.StandardErrorContent).toContain('no trusted CA file');
    await rotate(peer, ca);
    w.region().ec2.partition(target.id);
    const started = w.clock.now();
    const out = await run(docs.probeServedCertificate, peer, { TargetIp: [target.privateIp] });
    expect(JSON.parse(out.StandardOutputContent).ports).toEqual([
      { port: 8082, fingerprint: null, verified: false, notAfter: null, error: 'unreachable' },
      { port: 8443, fingerprint: null, verified: false, notAfter: null, error: 'unreachable' },
    ]);
    expect(w.clock.now() - started).toBeGreaterThanOrEqual(20_000);
  });

  it('probes every IP of TargetIps in order, one line each; refuses both, neither, or a bad list', async () => {
    const ca = await TestCa.create('Test CA', { notBefore: w.clock.now() - DAY });
    const a = await runningNode();
    const b = await runningNode();
    const peer = await runningNode();
    for (const n of [a, b, peer]) await rotate(n, ca);
    await restart(a);
    await restart(b);
    w.region().ec2.partition(b.id);
    const out = await run(docs.probeServedCertificate, peer, {
      TargetIps: [`${b.privateIp},${a.privateIp},${peer.privateIp}`],
    });
    expect(out.Status).toBe('Success');
    const lines = out.StandardOutputContent.trim()
      .split('\n')
      .map((l: string) => JSON.parse(l));
    expect(lines.map((l: { target: string }) => l.target)).toEqual([
      b.privateIp,
      a.privateIp,
      peer.privateIp,
    ]);
    expect(lines[0].ports[0]).toMatchObject({ fingerprint: null, error: 'unreachable' });
    expect(lines[1].ports[1]).toMatchObject({ verified: true, error: null });
    for (const [params, why] of [
      [{ TargetIp: [a.privateIp], TargetIps: [a.privateIp] }, 'exactly one'],
      [{}, 'exactly one'],
      [{ TargetIps: [`${a.privateIp};id`] }, 'TARGET_IPS'],
      [{ TargetIps: [Array.from({ length: 26 }, () => a.privateIp).join(',')] }, 'TARGET_IPS'],
    ] as const) {
      const bad = await run(docs.probeServedCertificate, peer, params as Record<string, string[]>);
      expect(bad.Status).toBe('Failed');
      expect(bad.StandardErrorContent).toContain(why);
    }
  });
});
