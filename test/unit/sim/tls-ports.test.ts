/**
 * What a node answers on 8082 and 8443 (sim/services/tls-ports.ts), and that the twin can produce the faults
 * the scripts used to walk into: an install that leaves the HTTPS connector off serves nothing on 8443 (the
 * peer check fails), and a plain-HTTP readiness probe of a node that started with its certificate gets no
 * answer (never ready).
 */
import 'reflect-metadata';
import type { SimInstance } from '../../../sim/core/contracts';
import { NODE_TIMING } from '../../../sim/services/artifactory';
import { TestCa } from '../../../sim/services/test-ca';
import { readinessOver, servedOn } from '../../../sim/services/tls-ports';
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

/** A node configured before certificates (no KeySize), running Artifactory's own certificate. */
async function runningNode(): Promise<SimInstance> {
  const inst = await managedInstance();
  expect((await run(docs.configureNode, inst, configureParams(inst))).Status).toBe('Success');
  expect((await run(docs.startArtifactory, inst)).Status).toBe('Success');
  await w.clock.runFor(NODE_TIMING.start[1]);
  return inst;
}

/** A certificate from `ca` for a new CSR of the node. */
async function issue(inst: SimInstance, ca: TestCa): Promise<string> {
  const csr = (await run(docs.makeCsr, inst, { KeySize: ['2048'] })).StandardOutputContent;
  const now = w.clock.now();
  return ca.issue({ ip: inst.privateIp, csr, notBefore: now - DAY, notAfter: now + 90 * DAY });
}

const readiness = async (inst: SimInstance) =>
  JSON.parse((await run(docs.probeReadiness, inst)).StandardOutputContent) as {
    ready: boolean;
    routerHealth: number;
    scheme: string;
  };

const served = async (peer: SimInstance, target: SimInstance) =>
  (
    JSON.parse(
      (await run(docs.probeServedCertificate, peer, { TargetIp: [target.privateIp] })).StandardOutputContent,
    ) as { ports: { port: number; verified: boolean; error: string | null }[] }
  ).ports.map((p) => ({ port: p.port, verified: p.verified, error: p.error }));

describe('8443: Tomcat serves it only with the HTTPS connector enabled at the last start', () => {
  it('the old install (certificate files only) leaves 8443 closed; InstallCertificate enables it; rollback keeps it', async () => {
    world('on');
    const ca = await TestCa.create('Cluster CA', { notBefore: w.clock.now() - DAY });
    const target = await runningNode();
    const peer = await runningNode();
    await run(docs.installCertificate, peer, {
      Certificate: [await issue(peer, ca)],
      CaBundle: [ca.certificate],
    });

    // The old install: the files, as install_certificate wrote them, and no connector in system.yaml.
    const oldCert = await issue(target, ca);
    target.node.tls.install(oldCert, ca.certificate);
    await restart(target);
    expect(target.node.tls.httpsConnector).toBe(false);
    expect(await served(peer, target)).toEqual([
      { port: 8082, verified: true, error: null },
      { port: 8443, verified: false, error: 'unreachable' },
    ]);

    // The document: the connector is on disk at once, served from the next start.
    const next = await issue(target, ca);
    expect(
      (await run(docs.installCertificate, target, { Certificate: [next], CaBundle: [ca.certificate] }))
        .Status,
    ).toBe('Success');
    expect([target.node.tls.httpsConnector, target.node.tls.httpsConnectorAtStart]).toEqual([true, false]);
    expect(servedOn(target.node, 8443)).toBeUndefined();
    await restart(target);
    const both = [
      { port: 8082, verified: true, error: null },
      { port: 8443, verified: true, error: null },
    ];
    expect(await served(peer, target)).toEqual(both);

    expect((await run(docs.rollbackCertificate, target)).Status).toBe('Success');
    await restart(target);
    expect(target.node.servedCertificate?.pem).toBe(oldCert.endsWith('\n') ? oldCert : `${oldCert}\n`);
    expect(await served(peer, target)).toEqual(both);
  });

  it('ConfigureNode with KeySize and StartArtifactory with a certificate serve 8443 from the first start', async () => {
    world('on');
    const ca = await TestCa.create('Cluster CA', { notBefore: w.clock.now() - DAY });
    const inst = await managedInstance();
    const configured = await run(docs.configureNode, inst, { ...configureParams(inst), KeySize: ['2048'] });
    expect(configured.Status).toBe('Success');
    expect(inst.node.tls.httpsConnector).toBe(true);
    const csr = configured.StandardOutputContent.slice(
      configured.StandardOutputContent.indexOf('-----BEGIN'),
    );
    const now = w.clock.now();
    const certificate = await ca.issue({
      ip: inst.privateIp,
      csr,
      notBefore: now - DAY,
      notAfter: now + DAY,
    });
    const started = await run(docs.startArtifactory, inst, {
      Certificate: [certificate],
      CaBundle: [ca.certificate],
    });
    expect(started.Status).toBe('Success');
    await w.clock.runFor(NODE_TIMING.start[1]);
    expect(servedOn(inst.node, 8443)?.generated).toBeUndefined();
    expect(servedOn(inst.node, 8443)?.fingerprint).toBe(inst.node.tls.installed?.fingerprint);
    expect(await readiness(inst)).toEqual(expect.objectContaining({ ready: true, scheme: 'https' }));
  });
});

describe('8082: with TLS on, a node that started with its certificate answers HTTPS only', () => {
  it('the old probe (http://localhost:8082) never sees it ready; the new one (https, cluster CA) does', async () => {
    world('on');
    const ca = await TestCa.create('Cluster CA', { notBefore: w.clock.now() - DAY });
    const inst = await runningNode();
    // Before its first certificate: plain HTTP, ready.
    expect(await readiness(inst)).toMatchObject({ ready: true, routerHealth: 200, scheme: 'http' });
    await run(docs.installCertificate, inst, {
      Certificate: [await issue(inst, ca)],
      CaBundle: [ca.certificate],
    });
    // custom-server.crt on disk, Artifactory still serving its own certificate: HTTPS does not verify it.
    expect(await readiness(inst)).toMatchObject({ ready: false, routerHealth: 0, scheme: 'https' });
    await restart(inst);
    expect(inst.node.ready()).toBe(true);
    const at = { tls: 'on', ip: inst.privateIp, now: w.clock.now() } as const;
    expect(readinessOver(inst.node, 'http', at)).toEqual({ routerHealth: 0, ready: false });
    expect(readinessOver(inst.node, 'https', at)).toEqual({ routerHealth: 200, ready: true });
    expect(await readiness(inst)).toMatchObject({ ready: true, routerHealth: 200, scheme: 'https' });
    // Verified against the node's IP: the same certificate asked at another address does not verify.
    expect(readinessOver(inst.node, 'https', { ...at, ip: '127.0.0.1' })).toEqual({
      routerHealth: 0,
      ready: false,
    });
  });

  it('with tls off (the default) both schemes answer, as before', async () => {
    world('off');
    const ca = await TestCa.create('Cluster CA', { notBefore: w.clock.now() - DAY });
    const inst = await runningNode();
    await run(docs.installCertificate, inst, {
      Certificate: [await issue(inst, ca)],
      CaBundle: [ca.certificate],
    });
    await restart(inst);
    const at = { tls: 'off', ip: inst.privateIp, now: w.clock.now() } as const;
    expect(readinessOver(inst.node, 'http', at)).toEqual({ routerHealth: 200, ready: true });
    expect(await readiness(inst)).toMatchObject({ ready: true, scheme: 'https' });
  });
});
