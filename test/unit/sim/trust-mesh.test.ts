/**
 * The trust-mesh invariant (every pair of live nodes trusts each other's served certificate) and the secret
 * scan's private keys (any PEM private key block, and a node's actual key material however it is wrapped),
 * on a hand-built world of real certificates.
 */
import 'reflect-metadata';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { type CertInfo, parseBundle, parseCertificate } from '../../../sim/core/certificates';
import { VirtualClock } from '../../../sim/core/clock';
import { type InvariantInstance, Invariants, type InvariantWorld } from '../../../sim/core/invariants';
import { Timeline } from '../../../sim/core/timeline';
import type { CapturedOutput, ExecutionRecord } from '../../../sim/core/world';
import { TestCa } from '../../../sim/services/test-ca';
import { makeCsrPem, pooledKey } from '../../../sim/services/tls';

const EU = 'eu-west-1';
const DAY = 86_400_000;

interface StubTlsNode {
  id: string;
  privateIp: string;
  served: CertInfo | undefined;
  trusted: readonly CertInfo[];
  keys: string[];
  ready: boolean;
}

const clocks: VirtualClock[] = [];
afterEach(() => {
  for (const c of clocks.splice(0)) c.uninstall();
});

function instanceOf(n: StubTlsNode): InvariantInstance {
  return {
    id: n.id,
    az: `${EU}a`,
    state: 'running',
    reachable: true,
    privateIp: n.privateIp,
    node: {
      role: 'member',
      status: 'running',
      taskAffinity: undefined,
      ready: () => n.ready,
      get servedCertificate() {
        return n.served;
      },
      tls: { trustedAtStart: n.trusted, privateKeys: () => n.keys },
    },
  };
}

/** One region of `nodes`; a primary without a TLS model (out of the mesh) keeps the primary invariants quiet. */
function world(nodes: StubTlsNode[], tls: 'on' | 'off' = 'on') {
  for (const c of clocks.splice(0)) c.uninstall();
  const clock = new VirtualClock();
  clock.install();
  clocks.push(clock);
  const timeline = new Timeline(() => clock.now());
  const executions: ExecutionRecord[] = [];
  const outputs: CapturedOutput[] = [];
  const primary: InvariantInstance = {
    id: 'i-primary',
    az: `${EU}b`,
    state: 'running',
    reachable: true,
    node: { role: 'primary', status: 'running', taskAffinity: undefined, ready: () => true },
  };
  const w: InvariantWorld = {
    clock,
    timeline,
    tls,
    config: {
      cluster: { mode: 'legacy-primary', minHealthyNodes: 1 },
      failover: { minServingRegions: 1 },
      routing: { recordName: 'a.example.com' },
      regions: [{ name: EU, targetGroupArns: [] }],
    },
    regionNames: [EU],
    route53: { servingRegions: () => [EU], switchedOff: () => [] },
    executions,
    outputs,
    region: () => ({
      ec2: { instances: () => [primary, ...nodes.map(instanceOf)] },
      elbv2: { targetState: () => 'healthy' },
      secretsmanager: { secretValues: () => [] },
      sns: { messages: [] },
    }),
  };
  return { clock, world: w, executions, outputs };
}

/** Three nodes serving certificates of `ca`, each trusting `ca`. */
async function meshOf(ca: TestCa, now: number): Promise<StubTlsNode[]> {
  const nodes: StubTlsNode[] = [];
  for (const [i, ip] of ['10.0.1.10', '10.0.2.11', '10.0.3.12'].entries()) {
    const key = pooledKey(2048);
    const pem = await ca.issue({
      ip,
      privateKeyPem: key.privatePem,
      notBefore: now - DAY,
      notAfter: now + 90 * DAY,
    });
    nodes.push({
      id: `i-node${i}`,
      privateIp: ip,
      served: parseCertificate(pem),
      trusted: parseBundle(ca.certificate),
      keys: [key.privatePem],
      ready: true,
    });
  }
  return nodes;
}

const mesh = (inv: Invariants) => inv.violations.filter((v) => v.invariant === 'trust-mesh');
const leaks = (inv: Invariants) => inv.violations.filter((v) => v.invariant === 'no-secrets');

describe('trust-mesh', () => {
  it('stays quiet while every live node serves a certificate every peer trusts', async () => {
    const now = new VirtualClock().startAt;
    const ca = await TestCa.create('Cluster CA', { notBefore: now - DAY });
    const t = world(await meshOf(ca, now));
    const inv = new Invariants(t.world);
    inv.start();
    await t.clock.runFor(60_000);
    expect(inv.violations).toEqual([]);
    expect(inv.report().byInvariant['trust-mesh']).toBe(0);
  });

  it('fires when a node serves a certificate from a CA its peers do not trust, and clears when it is fixed', async () => {
    const now = new VirtualClock().startAt;
    const ca = await TestCa.create('Cluster CA', { notBefore: now - DAY });
    const foreign = await TestCa.create('Foreign CA', { notBefore: now - DAY });
    const nodes = await meshOf(ca, now);
    const t = world(nodes);
    const inv = new Invariants(t.world);
    inv.start();
    const odd = nodes[1] as StubTlsNode;
    const good = odd.served;
    const key = pooledKey(2048);
    odd.served = parseCertificate(
      await foreign.issue({
        ip: odd.privateIp,
        privateKeyPem: key.privatePem,
        notBefore: now - DAY,
        notAfter: now + DAY,
      }),
    );
    await t.clock.runFor(5_000);
    expect(mesh(inv)).toEqual([
      expect.objectContaining({
        invariant: 'trust-mesh',
        region: EU,
        message: expect.stringMatching(
          /^i-node0 does not trust i-node1's served certificate [0-9a-f]{64}: unable to get local issuer certificate/,
        ),
      }),
    ]);
    odd.served = good;
    await t.clock.runFor(5_000);
    expect(mesh(inv)[0]?.clearedAt).toBe(t.clock.now());
  });

  it('fires on an expired certificate and on one for another IP; ignores nodes that are not ready; off without tls', async () => {
    const now = new VirtualClock().startAt;
    const ca = await TestCa.create('Cluster CA', { notBefore: now - 400 * DAY });
    const key = pooledKey(2048);
    const expired = await ca.issue({
      ip: '10.0.1.10',
      privateKeyPem: key.privatePem,
      notBefore: now - 100 * DAY,
      notAfter: now - DAY,
    });
    const nodes = await meshOf(ca, now);
    (nodes[0] as StubTlsNode).served = parseCertificate(expired);
    const t = world(nodes);
    const inv = new Invariants(t.world);
    inv.start();
    await t.clock.runFor(5_000);
    expect(mesh(inv).map((v) => v.message)).toEqual([expect.stringContaining('certificate has expired')]);

    const other = await meshOf(ca, now);
    (other[2] as StubTlsNode).privateIp = '10.0.9.99';
    const t2 = world(other);
    const inv2 = new Invariants(t2.world);
    inv2.start();
    await t2.clock.runFor(5_000);
    expect(mesh(inv2).map((v) => v.message)).toEqual([expect.stringContaining('IP address mismatch')]);

    // A node that is not ready is out of the mesh (the ALB does not send it traffic either).
    const quiet = await meshOf(ca, now);
    (quiet[0] as StubTlsNode).served = parseCertificate(expired);
    (quiet[0] as StubTlsNode).ready = false;
    const t3 = world(quiet);
    const inv3 = new Invariants(t3.world);
    inv3.start();
    await t3.clock.runFor(5_000);
    expect(mesh(inv3)).toEqual([]);

    // tls off: JFrog nodes talk without TLS by default; the mesh is not checked.
    const off = await meshOf(ca, now);
    (off[0] as StubTlsNode).served = parseCertificate(expired);
    const t4 = world(off, 'off');
    const inv4 = new Invariants(t4.world);
    inv4.start();
    await t4.clock.runFor(5_000);
    expect(mesh(inv4)).toEqual([]);
  });
});

describe('no-secrets: private keys', () => {
  it('finds any PEM private key block, an OpenSSH one included, and no certificate or CSR', async () => {
    const t = world([]);
    const inv = new Invariants(t.world);
    inv.start();
    const ca = await TestCa.create('Cluster CA', { notBefore: t.clock.now() - DAY });
    t.outputs.push({
      at: t.clock.now(),
      region: EU,
      source: 'lambda:certs',
      text: `bundle ${ca.certificate}`,
    });
    await t.clock.runFor(5_000);
    expect(leaks(inv)).toEqual([]);
    t.outputs.push({
      at: t.clock.now(),
      region: EU,
      source: 'node-command',
      text: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----',
    });
    await t.clock.runFor(5_000);
    expect(leaks(inv).map((v) => v.message)).toEqual([
      'a PEM private key block (OPENSSH PRIVATE KEY) found in log/output of node-command at 2026-01-05T09:00:05.000Z [redacted]',
    ]);
  });

  it("finds a node's key material in an execution history: JSON-escaped, without its armour, or a part of it", async () => {
    const now = new VirtualClock().startAt;
    const ca = await TestCa.create('Cluster CA', { notBefore: now - DAY });
    const nodes = await meshOf(ca, now);
    const t = world(nodes);
    const inv = new Invariants(t.world);
    inv.start();
    const key = (nodes[2] as StubTlsNode).keys[0] as string;
    const body = key.split('\n').slice(1, -2).join('\n');
    const record = (name: string, output: unknown): ExecutionRecord => ({
      executionArn: `arn:aws:states:${EU}:111122223333:execution:cert-rotation:${name}`,
      name,
      stateMachine: 'cert-rotation',
      region: EU,
      status: 'RUNNING',
      startedAt: t.clock.now(),
      input: {},
      transitions: 1,
      history: [{ at: t.clock.now(), type: 'TaskStateExited', state: 'MakeCsr', data: { output } }],
    });
    // A whole key, armour removed, inside a JSON string (newlines escaped).
    t.executions.push(record('whole', JSON.stringify({ stdout: body })));
    // Two lines from the middle of the key, nothing else.
    t.executions.push(record('part', { stdout: body.split('\n').slice(5, 7).join('\n') }));
    // A CSR and a certificate are not keys, though they hold the key's public half (its modulus): the node's
    // own CSR and certificate, several times over, are no finding.
    const node = nodes[2] as StubTlsNode;
    const csr = await makeCsrPem(key, node.privateIp);
    const cert = node.served?.pem as string;
    // The public key's base64 at each byte alignment: whatever document holds it, one of these is its text.
    const spki = createPublicKey(createPrivateKey(key)).export({ type: 'spki', format: 'der' });
    const aligned = [0, 1, 2].map((n) => Buffer.concat([Buffer.alloc(n), spki]).toString('base64'));
    t.executions.push(
      record('clean', {
        certificate: ca.certificate,
        csr,
        cert,
        aligned,
        again: JSON.stringify({ csr, cert }),
      }),
    );
    await t.clock.runFor(5_000);
    expect(leaks(inv).map((v) => v.message)).toEqual([
      'TLS private key material of i-node2 found in execution whole (cert-rotation) history event #1 TaskStateExited in state "MakeCsr" [redacted]',
      'TLS private key material of i-node2 found in execution part (cert-rotation) history event #1 TaskStateExited in state "MakeCsr" [redacted]',
    ]);
    for (const v of inv.violations) expect(v.message).not.toContain(body.slice(0, 40));
  });
});
