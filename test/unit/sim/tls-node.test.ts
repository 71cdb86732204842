/**
 * A node's TLS breaks it as Artifactory breaks (world option `tls: 'on'`): a served certificate that is
 * expired, not for the node's IP, or not issued by a CA of its own trusted directory fails the router's
 * health (503) and readiness; its own HTTPS readiness probe cannot verify it (status 0). And the certificate faults scenes inject on a node.
 */
import 'reflect-metadata';
import type { SimInstance } from '../../../sim/core/contracts';
import { NODE_TIMING } from '../../../sim/services/artifactory';
import { TestCa } from '../../../sim/services/test-ca';
import { certificatesOf } from '../../../sim/services/tls';
import { type ComputeWorld, makeWorld } from './compute-harness';
import { ssmHarness } from './ssm-harness';

const DAY = 86_400_000;
let w: ComputeWorld;

afterEach(() => {
  w.clock.uninstall();
});

function world(tls: 'on' | 'off') {
  w = makeWorld({ tls });
  w.clock.install();
}

const { docs, configureParams, managedInstance, send, finished } = ssmHarness(() => w);
const run = async (doc: string, inst: SimInstance, parameters: Record<string, string[]> = {}) =>
  finished(await send(doc, inst, parameters), inst);

async function restart(inst: SimInstance): Promise<void> {
  const done = inst.node.restart();
  await w.clock.runFor(NODE_TIMING.stop[1] + NODE_TIMING.start[1]);
  await done;
}

async function runningNode(): Promise<SimInstance> {
  const inst = await managedInstance();
  await run(docs.configureNode, inst, configureParams(inst));
  await run(docs.startArtifactory, inst);
  await w.clock.runFor(NODE_TIMING.start[1]);
  return inst;
}

/** MakeCsr, a certificate from `issuer` (its validity and IP as given), installed with `bundle`. */
async function install(
  inst: SimInstance,
  issuer: TestCa,
  opts: { bundle?: TestCa; ip?: string; notBefore?: number; notAfter?: number } = {},
) {
  const csr = (await run(docs.makeCsr, inst, { KeySize: ['2048'] })).StandardOutputContent;
  const now = w.clock.now();
  const certificate = await issuer.issue({
    ip: opts.ip ?? inst.privateIp,
    csr,
    notBefore: opts.notBefore ?? now - DAY,
    notAfter: opts.notAfter ?? now + 90 * DAY,
  });
  const out = await run(docs.installCertificate, inst, {
    Certificate: [certificate],
    CaBundle: [(opts.bundle ?? issuer).certificate],
  });
  expect(out.Status).toBe('Success');
  return JSON.parse(out.StandardOutputContent) as { installed: string };
}

const probe = async (inst: SimInstance) =>
  JSON.parse((await run(docs.probeReadiness, inst)).StandardOutputContent) as {
    ready: boolean;
    routerHealth: number;
    scheme: string;
  };

describe('TLS breakage (tls on)', () => {
  it.each([
    ['expired', { notBefore: -100 * DAY, notAfter: -DAY }, 'certificate has expired'],
    ['for another IP', { ip: '10.9.9.9' }, 'IP address mismatch'],
    ['from a CA its own trusted directory lacks', { foreignBundle: true }, 'unable to get local issuer'],
  ] as const)(
    'a node serving a certificate %s fails its router health and readiness',
    async (_what, how, reason) => {
      world('on');
      const ca = await TestCa.create('Cluster CA', { notBefore: w.clock.now() - 400 * DAY });
      const other = await TestCa.create('Other CA', { notBefore: w.clock.now() - DAY });
      const inst = await runningNode();
      expect(await probe(inst)).toMatchObject({ ready: true, routerHealth: 200 });
      const now = w.clock.now();
      await install(inst, ca, {
        ...('ip' in how ? { ip: how.ip } : {}),
        ...('notAfter' in how ? { notBefore: now + how.notBefore, notAfter: now + how.notAfter } : {}),
        ...('foreignBundle' in how ? { bundle: other } : {}),
      });
      // Installed, not yet served: the node is fine until Artifactory restarts.
      expect(inst.node.routerHealthy()).toBe(true);
      await restart(inst);
      expect(inst.node.status).toBe('running');
      // Its own HTTPS probe (verified with its cluster CA file at its IP) gets no answer it can use.
      expect(await probe(inst)).toMatchObject({ ready: false, routerHealth: 0, scheme: 'https' });
      expect(inst.node.routerHealthy()).toBe(false);
      expect(inst.node.tlsProblem()).toContain(reason);
    },
  );

  it('a certificate that expires while the node runs breaks it at its notAfter', async () => {
    world('on');
    const ca = await TestCa.create('Cluster CA', { notBefore: w.clock.now() - DAY });
    const inst = await runningNode();
    await install(inst, ca, { notAfter: w.clock.now() + 3_600_000 });
    await restart(inst);
    expect(inst.node.ready()).toBe(true);
    await w.clock.runFor(3_600_000);
    expect(inst.node.ready()).toBe(false);
    expect(inst.node.routerHealthy()).toBe(false);
  });

  it('with tls off (the default), the same node stays healthy: nothing breaks before certificate work is modelled', async () => {
    world('off');
    const ca = await TestCa.create('Cluster CA', { notBefore: w.clock.now() - 400 * DAY });
    const inst = await runningNode();
    await install(inst, ca, { notBefore: w.clock.now() - 100 * DAY, notAfter: w.clock.now() - DAY });
    await restart(inst);
    expect(await probe(inst)).toMatchObject({ ready: true, routerHealth: 200 });
  });

  it("a node without a custom certificate serves Artifactory's own, which its router trusts: healthy", async () => {
    world('on');
    const inst = await runningNode();
    expect(inst.node.servedCertificate).toMatchObject({ generated: true, ips: [inst.privateIp] });
    expect(inst.node.ready()).toBe(true);
  });
});

describe('certificate faults', () => {
  it('cert-start-fails: the start with the new certificate fails; after a rollback the old one starts', async () => {
    world('on');
    const ca = await TestCa.create('Cluster CA', { notBefore: w.clock.now() - DAY });
    const inst = await runningNode();
    const first = await install(inst, ca);
    await restart(inst);
    w.faults.certificate({ region: 'eu-west-1', instanceId: inst.id, kind: 'cert-start-fails' });
    await install(inst, ca);
    await restart(inst);
    expect(inst.node.status).toBe('failed');
    expect(inst.node.failureReason).toContain('the router failed to start with');
    expect((await run(docs.rollbackCertificate, inst)).Status).toBe('Success');
    await restart(inst);
    expect(inst.node.status).toBe('running');
    expect(inst.node.servedCertificate?.fingerprint).toBe(first.installed);
  });

  it('served-cert-stale: one restart keeps serving the old certificate; the next serves the new one', async () => {
    world('on');
    const ca = await TestCa.create('Cluster CA', { notBefore: w.clock.now() - DAY });
    const inst = await runningNode();
    const first = await install(inst, ca);
    await restart(inst);
    w.faults.certificate({ region: 'eu-west-1', instanceId: inst.id, kind: 'served-cert-stale' });
    const second = await install(inst, ca);
    await restart(inst);
    expect(certificatesOf(inst.node)).toMatchObject({
      served: { fingerprint: first.installed },
      installed: { fingerprint: second.installed },
      previous: { fingerprint: first.installed },
    });
    await restart(inst);
    expect(inst.node.servedCertificate?.fingerprint).toBe(second.installed);
  });

  it('csr-wrong-ip: the next CSR names another IP (192.0.2.10 by default); bad options change nothing', async () => {
    world('on');
    const inst = await managedInstance();
    expect(() =>
      w.faults.certificate({ region: 'eu-west-1', instanceId: inst.id, kind: 'csr-wrong-ip', times: 0 }),
    ).toThrow(/positive integer/);
    expect(() =>
      w.faults.certificate({
        region: 'eu-west-1',
        instanceId: inst.id,
        kind: 'csr-wrong-ip',
        ip: '10.0.0.x',
      }),
    ).toThrow(/IPv4/);
    expect(() =>
      w.faults.certificate({ region: 'eu-west-1', instanceId: inst.id, kind: 'nope' as 'csr-wrong-ip' }),
    ).toThrow(/unknown certificate fault/);
    const clean = (await run(docs.makeCsr, inst, { KeySize: ['2048'] })).StandardOutputContent;
    w.faults.certificate({ region: 'eu-west-1', instanceId: inst.id, kind: 'csr-wrong-ip' });
    const wrong = (await run(docs.makeCsr, inst, { KeySize: ['2048'] })).StandardOutputContent;
    const again = (await run(docs.makeCsr, inst, { KeySize: ['2048'] })).StandardOutputContent;
    const { Pkcs10CertificateRequest } = await import('@peculiar/x509');
    expect(new Pkcs10CertificateRequest(clean).subject).toBe(`CN=${inst.privateIp}`);
    expect(new Pkcs10CertificateRequest(wrong).subject).toBe('CN=192.0.2.10');
    expect(new Pkcs10CertificateRequest(again).subject).toBe(`CN=${inst.privateIp}`);
  });
});
