import { VirtualClock } from '../../../sim/core/clock';
import type { TargetHealthState } from '../../../sim/core/contracts';
import {
  type InvariantInstance,
  type InvariantOptions,
  Invariants,
  type InvariantWorld,
} from '../../../sim/core/invariants';
import { Timeline } from '../../../sim/core/timeline';
import type { CapturedOutput, ExecutionRecord } from '../../../sim/core/world';

const EU = 'eu-west-1';
const US = 'us-east-1';
const RECORD = 'artifactory.example.com';
const SECOND = 1_000;
const tgArn = (region: string) =>
  `arn:aws:elasticloadbalancing:${region}:111122223333:targetgroup/art/0123456789abcdef`;

// ------------------------------------------------------------------------------------------ a hand-built world

interface StubNode {
  role: 'primary' | 'member' | undefined;
  status: 'unconfigured' | 'stopped' | 'starting' | 'running' | 'stopping' | 'failed';
  taskAffinity: 'any' | 'none' | undefined;
  isReady: boolean;
  ready(): boolean;
}

interface StubInstance extends InvariantInstance {
  state: InvariantInstance['state'];
  reachable: boolean;
  partitioned?: boolean;
  readonly node: StubNode;
}

interface StubRegion {
  instances: StubInstance[];
  targets: Map<string, TargetHealthState>;
  secrets: string[];
  messages: {
    at: number;
    topicArn: string;
    subject: string | undefined;
    message: string;
    attributes: Record<string, { DataType: string; StringValue?: string }>;
  }[];
}

function instance(id: string, role: 'primary' | 'member', az = 'a'): StubInstance {
  const node: StubNode = {
    role,
    status: 'running',
    taskAffinity: role === 'primary' ? 'any' : 'none',
    isReady: true,
    ready() {
      return this.status === 'running' && this.isReady;
    },
  };
  return { id, az, state: 'running', reachable: true, node };
}

const clocks: VirtualClock[] = [];
afterEach(() => {
  for (const c of clocks.splice(0)) c.uninstall();
});

/** A healthy two-region world: one ready primary and two members per region, both regions serving. */
function stubWorld(opts: { mode?: 'legacy-primary' | 'cloud-native'; minServingRegions?: number } = {}) {
  const clock = new VirtualClock();
  clock.install();
  clocks.push(clock);
  const timeline = new Timeline(() => clock.now());
  const regions: Record<string, StubRegion> = {};
  for (const r of [EU, US]) {
    const instances = [
      instance(`i-${r}-p`, 'primary'),
      instance(`i-${r}-m1`, 'member', 'b'),
      instance(`i-${r}-m2`, 'member', 'c'),
    ];
    regions[r] = {
      instances,
      targets: new Map(instances.map((i) => [i.id, 'healthy' as TargetHealthState])),
      secrets: [],
      messages: [],
    };
  }
  const executions: ExecutionRecord[] = [];
  const outputs: CapturedOutput[] = [];
  let serving = [EU, US];
  let switchedOff: string[] = [];
  const world: InvariantWorld = {
    clock,
    timeline,
    config: {
      cluster: { mode: opts.mode ?? 'legacy-primary', minHealthyNodes: 2 },
      failover: { minServingRegions: opts.minServingRegions ?? 1 },
      routing: { recordName: RECORD },
      regions: [EU, US].map((name) => ({ name, targetGroupArns: [tgArn(name)] })),
    },
    regionNames: [EU, US],
    route53: {
      servingRegions: (name) => (name === RECORD ? [...serving] : []),
      switchedOff: (name) => (name === RECORD ? [...switchedOff] : []),
    },
    executions,
    outputs,
    region(name) {
      const r = regions[name];
      if (!r) throw new Error(`no region ${name}`);
      return {
        ec2: { instances: () => r.instances },
        elbv2: { targetState: (tg, id) => (tg === tgArn(name) ? r.targets.get(id) : undefined) },
        secretsmanager: { secretValues: () => [...r.secrets] },
        sns: { messages: r.messages },
      };
    },
  };
  const region = (name: string) => regions[name] as StubRegion;
  return {
    clock,
    timeline,
    world,
    region,
    executions,
    outputs,
    setServing: (names: string[]) => {
      serving = names;
    },
    /** Regions the control plane switched off (they stop serving too). */
    setSwitchedOff: (names: string[]) => {
      switchedOff = names;
      serving = [EU, US].filter((r) => !names.includes(r));
    },
    node: (name: string, id: string) => {
      const found = region(name).instances.find((i) => i.id === id);
      if (!found) throw new Error(id);
      return found;
    },
  };
}

function execution(
  overrides: Partial<ExecutionRecord> & Pick<ExecutionRecord, 'name' | 'stateMachine' | 'region'>,
): ExecutionRecord {
  return {
    executionArn: `arn:aws:states:${overrides.region}:111122223333:execution:${overrides.stateMachine}:${overrides.name}`,
    status: 'RUNNING',
    startedAt: Date.now(),
    input: {},
    history: [],
    transitions: 0,
    ...overrides,
  };
}

function started(world: InvariantWorld, opts?: InvariantOptions): Invariants {
  const inv = new Invariants(world, opts);
  inv.start();
  return inv;
}

// ------------------------------------------------------------------------------------------ tests

describe('Invariants', () => {
  it('stays silent on a healthy world', async () => {
    const t = stubWorld({ minServingRegions: 2 });
    t.region(EU).secrets.push('master-key-0123456789abcdef', 'join-key-0123456789abcdef');
    t.executions.push(
      execution({
        name: 'cert-rotation-1',
        stateMachine: 'cert-rotation',
        region: EU,
        input: { nodes: ['i-eu-west-1-m1'] },
        history: [{ at: Date.now(), type: 'TaskStateEntered', state: 'Sign', data: { serial: '01ab' } }],
      }),
    );
    t.outputs.push({
      at: Date.now(),
      region: EU,
      source: 'lambda:dispatch',
      text: 'started cert-rotation-1',
    });
    const inv = started(t.world);
    await t.clock.runFor(60 * SECOND);
    expect(inv.violations).toEqual([]);
    const report = inv.report();
    expect(report.ok).toBe(true);
    expect(report.checks).toBeGreaterThanOrEqual(13); // at start, then every 5 s
    expect(report.primaryGaps[EU]).toEqual({ count: 0, totalMs: 0, longestMs: 0, open: false, gaps: [] });
    expect(t.timeline.find('invariant', 'VIOLATION')).toEqual([]);
  });

  describe('single primary', () => {
    it('records two running primaries with the time and the instances, and when it ends', async () => {
      const t = stubWorld();
      const inv = started(t.world);
      await t.clock.runFor(12 * SECOND);
      t.node(EU, 'i-eu-west-1-m1').node.role = 'primary';
      t.timeline.add(EU, 'node', 'i-eu-west-1-m1 promoted'); // checked as soon as the change is logged
      await t.clock.runFor(SECOND);
      expect(inv.violations).toEqual([
        expect.objectContaining({
          at: t.clock.startAt + 12 * SECOND,
          invariant: 'single-primary',
          region: EU,
        }),
      ]);
      expect(inv.violations[0]?.message).toMatch(
        /2 primaries at once: i-eu-west-1-p \(a\), i-eu-west-1-m1 \(b\)/,
      );
      expect(t.timeline.find('invariant', 'VIOLATION single-primary')).toHaveLength(1);

      await t.clock.runFor(20 * SECOND); // one episode, not one violation per check
      expect(inv.violations).toHaveLength(1);
      t.node(EU, 'i-eu-west-1-p').node.status = 'stopped';
      await t.clock.runFor(5 * SECOND);
      expect(inv.violations[0]?.clearedAt).toBe(t.clock.startAt + 35 * SECOND);
    });

    it('catches it on the 5 s check when nothing is logged', async () => {
      const t = stubWorld();
      const inv = started(t.world, { checkOnTimeline: false });
      await t.clock.runFor(12 * SECOND);
      t.node(US, 'i-us-east-1-m2').node.role = 'primary';
      t.timeline.add(US, 'node', 'promoted');
      await t.clock.runFor(10 * SECOND);
      expect(inv.violations.map((v) => [v.invariant, v.region, v.at - t.clock.startAt])).toEqual([
        ['single-primary', US, 15 * SECOND],
      ]);
    });

    it('does not see a state inside one synchronous change (demote, log, promote)', async () => {
      const t = stubWorld();
      const inv = started(t.world);
      const old = t.node(EU, 'i-eu-west-1-p');
      const next = t.node(EU, 'i-eu-west-1-m1');
      next.node.role = 'primary';
      t.timeline.add(EU, 'node', 'promoting i-eu-west-1-m1');
      old.node.role = 'member';
      await t.clock.runFor(10 * SECOND);
      expect(inv.violations).toEqual([]);
    });

    it('does not count a primary that is unreachable or not running', async () => {
      const t = stubWorld();
      const inv = started(t.world);
      t.node(EU, 'i-eu-west-1-p').reachable = false; // host lost
      t.node(EU, 'i-eu-west-1-m1').node.role = 'primary';
      t.node(EU, 'i-eu-west-1-m2').node.role = 'primary';
      t.node(EU, 'i-eu-west-1-m2').node.status = 'failed';
      await t.clock.runFor(10 * SECOND);
      expect(inv.violations).toEqual([]);
    });

    it('counts a partitioned primary: alive and serving inside its partition, though nobody reaches it', async () => {
      const t = stubWorld();
      const inv = started(t.world);
      const old = t.node(EU, 'i-eu-west-1-p');
      old.reachable = false;
      old.partitioned = true;
      t.node(EU, 'i-eu-west-1-m1').node.role = 'primary';
      await t.clock.runFor(10 * SECOND);
      expect(inv.violations.map((v) => v.invariant)).toEqual(['single-primary']);
    });
  });

  describe('time without a primary', () => {
    it('measures each gap from the change to the recovery, per region', async () => {
      const t = stubWorld();
      const inv = started(t.world);
      const primary = t.node(EU, 'i-eu-west-1-p');
      await t.clock.runFor(10 * SECOND);
      primary.node.isReady = false;
      t.timeline.add(EU, 'node', 'primary not ready');
      await t.clock.runFor(30 * SECOND);
      primary.node.isReady = true;
      t.timeline.add(EU, 'node', 'primary ready');
      await t.clock.runFor(10 * SECOND);

      expect(inv.primaryGaps).toEqual([
        { region: EU, start: t.clock.startAt + 10 * SECOND, end: t.clock.startAt + 40 * SECOND },
      ]);
      expect(inv.primaryGapTotals()).toEqual({ [EU]: 30 * SECOND, [US]: 0 });
      expect(inv.report().primaryGaps[EU]).toMatchObject({
        count: 1,
        totalMs: 30 * SECOND,
        longestMs: 30 * SECOND,
        open: false,
      });
      expect(inv.violations).toEqual([]); // a measurement, not a violation, by default
    });

    it('counts an open gap up to now, and is a violation past maxPrimaryGapMs', async () => {
      const t = stubWorld();
      const inv = started(t.world, { maxPrimaryGapMs: 20 * SECOND });
      await t.clock.runFor(10 * SECOND);
      t.node(US, 'i-us-east-1-p').state = 'terminated';
      t.timeline.add(US, 'ec2', 'primary terminated');
      await t.clock.runFor(30 * SECOND);
      expect(inv.report().primaryGaps[US]).toMatchObject({ count: 1, totalMs: 30 * SECOND, open: true });
      // The gap opened at 10 s; the 5 s check at 35 s is the first to see it longer than 20 s.
      expect(inv.violations.map((v) => [v.invariant, v.region, v.at - t.clock.startAt])).toEqual([
        ['primary-gap', US, 35 * SECOND],
      ]);
    });

    it('in cloud-native mode, measures time without a ready node with taskAffinity any', async () => {
      const t = stubWorld({ mode: 'cloud-native' });
      const inv = started(t.world);
      t.node(EU, 'i-eu-west-1-p').node.taskAffinity = 'none';
      t.timeline.add(EU, 'node', 'task affinity changed');
      await t.clock.runFor(5 * SECOND);
      t.node(EU, 'i-eu-west-1-m1').node.taskAffinity = 'any';
      t.timeline.add(EU, 'node', 'task affinity changed');
      await t.clock.runFor(5 * SECOND);
      expect(inv.primaryGapTotals()[EU]).toBe(5 * SECOND);
      // No primary role in cloud-native mode: two "primary" roles are not a violation there.
      expect(inv.violations).toEqual([]);
    });
  });

  it('records fewer regions serving by our action than failover.minServingRegions', async () => {
    const t = stubWorld({ minServingRegions: 2 });
    const inv = started(t.world);
    await t.clock.runFor(10 * SECOND);
    t.setSwitchedOff([EU]);
    await t.clock.runFor(5 * SECOND);
    expect(inv.violations).toEqual([
      expect.objectContaining({ at: t.clock.startAt + 15 * SECOND, invariant: 'serving-regions' }),
    ]);
    expect(inv.violations[0]?.message).toBe(
      `the control plane switched off ${EU}: 1 region(s) left serving ${RECORD} by our action (${US}); at least 2 required`,
    );
    t.setSwitchedOff([EU, US]);
    await t.clock.runFor(5 * SECOND);
    expect(inv.violations).toHaveLength(1); // still the same episode
    t.setSwitchedOff([]);
    await t.clock.runFor(5 * SECOND);
    expect(inv.violations[0]?.clearedAt).toBe(t.clock.startAt + 25 * SECOND);
  });

  it('does not count regions a fault took out of DNS (not our action), fail-open included', async () => {
    const t = stubWorld({ minServingRegions: 2 });
    const inv = started(t.world);
    t.setServing([]);
    await t.clock.runFor(30 * SECOND);
    expect(inv.violations).toEqual([]);
  });

  describe('capacity during rollouts', () => {
    it('records fewer healthy targets than cluster.minHealthyNodes while a rollout runs in the region', async () => {
      const t = stubWorld();
      const inv = started(t.world);
      const rollout = execution({ name: 'rotate-1', stateMachine: 'cert-rotation', region: EU });
      t.executions.push(rollout);
      t.region(EU).targets.set('i-eu-west-1-m1', 'draining');
      await t.clock.runFor(5 * SECOND);
      expect(inv.violations).toEqual([]); // 2 healthy: at the floor, not below it
      t.region(EU).targets.set('i-eu-west-1-m2', 'unhealthy');
      await t.clock.runFor(5 * SECOND);
      expect(inv.violations).toEqual([
        expect.objectContaining({
          at: t.clock.startAt + 10 * SECOND,
          invariant: 'rollout-capacity',
          region: EU,
        }),
      ]);
      expect(inv.violations[0]?.message).toContain('1 healthy target(s)');
      expect(inv.violations[0]?.message).toContain('cert-rotation rotate-1');
      rollout.status = 'SUCCEEDED';
      await t.clock.runFor(5 * SECOND);
      expect(inv.violations[0]?.clearedAt).toBe(t.clock.startAt + 15 * SECOND);
    });

    it('does not count the drain of a node that was unhealthy until its deregistration began', async () => {
      const t = stubWorld();
      const inv = started(t.world);
      // m1 never became healthy (a launch about to be abandoned); m2 serves.
      t.region(EU).targets.set('i-eu-west-1-m1', 'unhealthy');
      t.region(EU).targets.set('i-eu-west-1-p', 'unhealthy');
      await t.clock.runFor(5 * SECOND);
      // Abandoned: deregistration and the drain start at the same instant.
      t.region(EU).targets.set('i-eu-west-1-m1', 'draining');
      t.executions.push(
        execution({
          name: 'drain-m1',
          stateMachine: 'node-drain',
          region: EU,
          input: { instanceId: 'i-eu-west-1-m1' },
        }),
      );
      await t.clock.runFor(5 * SECOND);
      expect(inv.violations).toEqual([]);
      // A drain of the node that did serve is counted (1 healthy target left).
      t.region(EU).targets.set('i-eu-west-1-m2', 'draining');
      t.executions.push(
        execution({
          name: 'drain-m2',
          stateMachine: 'node-drain',
          region: EU,
          input: { instanceId: 'i-eu-west-1-m2' },
        }),
      );
      await t.clock.runFor(5 * SECOND);
      expect(inv.violations).toEqual([
        expect.objectContaining({ invariant: 'rollout-capacity', region: EU }),
      ]);
    });

    it('ignores low capacity without a rollout, or with a rollout in another region', async () => {
      const t = stubWorld();
      const inv = started(t.world);
      t.executions.push(execution({ name: 'drain-1', stateMachine: 'node-drain', region: US }));
      t.executions.push(execution({ name: 'failover-1', stateMachine: 'primary-failover', region: EU }));
      t.region(EU).targets.clear();
      await t.clock.runFor(10 * SECOND);
      expect(inv.violations).toEqual([]);
    });
  });

  it('records a lifecycle action that timed out, from the Auto Scaling timeline entry', async () => {
    const t = stubWorld();
    const inv = started(t.world);
    await t.clock.runFor(3 * SECOND);
    t.timeline.add(
      EU,
      'autoscaling',
      'lifecycle action timed out for i-0abc (hook launch-hook, default result ABANDON)',
    );
    t.timeline.add(EU, 'autoscaling', 'instance i-0abc launched'); // not a timeout
    expect(inv.violations).toEqual([
      {
        at: t.clock.startAt + 3 * SECOND,
        invariant: 'lifecycle-timeout',
        region: EU,
        message:
          'lifecycle action not completed in time: lifecycle action timed out for i-0abc (hook launch-hook, default result ABANDON)',
      },
    ]);
  });

  describe('no secret material', () => {
    const MASTER = 'b6f1c0de5a7e4d2f9a8b7c6d5e4f3a2b'; // a Secrets Manager value
    const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7Vx...\n-----END RSA PRIVATE KEY-----';
    const TOKEN = 'eyJ2ZXIiOiIyIiwidHlwIjoiSldUIn0.eyJzdWIiOiJqZmFjQDAxaCJ9.c2lnbmF0dXJlLXZhbHVl';

    const leaks = (inv: Invariants) => inv.violations.filter((v) => v.invariant === 'no-secrets');
    const expectRedacted = (inv: Invariants, t: ReturnType<typeof stubWorld>, ...secrets: string[]) => {
      for (const s of secrets) {
        for (const v of inv.violations) expect(v.message).not.toContain(s);
        for (const e of t.timeline.entries) expect(JSON.stringify(e)).not.toContain(s);
      }
    };

    it('finds a secret value in an execution history, naming the execution and state, not the secret', async () => {
      const t = stubWorld();
      t.region(US).secrets.push(MASTER, 'short'); // values under 8 characters are ignored
      const inv = started(t.world);
      const rec = execution({
        name: 'bootstrap-i-0abc',
        stateMachine: 'node-bootstrap',
        region: EU,
        input: { note: 'short' },
      });
      t.executions.push(rec);
      await t.clock.runFor(5 * SECOND);
      rec.history.push({
        at: Date.now(),
        type: 'TaskStateExited',
        state: 'FetchKeys',
        data: { output: { masterKey: MASTER } },
      });
      await t.clock.runFor(5 * SECOND);
      expect(leaks(inv)).toEqual([
        {
          at: t.clock.startAt + 10 * SECOND,
          invariant: 'no-secrets',
          region: EU,
          message:
            'a Secrets Manager secret value found in execution bootstrap-i-0abc (node-bootstrap) history event #1 TaskStateExited in state "FetchKeys" [redacted]',
        },
      ]);
      expectRedacted(inv, t, MASTER);
    });

    it('finds private keys and access tokens in logs, outputs and SNS messages', async () => {
      const t = stubWorld();
      const inv = started(t.world, { extraSecrets: ['planted-admin-password'] });
      t.outputs.push({ at: Date.now(), region: EU, source: 'lambda:sign', text: `signed; key was ${PEM}` });
      t.executions.push(
        execution({
          name: 'rotate-2',
          stateMachine: 'cert-rotation',
          region: US,
          status: 'FAILED',
          error: 'Unauthorized',
          cause: `Bearer ${TOKEN}`,
        }),
      );
      t.region(EU).messages.push({
        at: Date.now(),
        topicArn: 'arn:aws:sns:eu-west-1:111122223333:ops',
        subject: 'bootstrap failed',
        message: 'admin password is planted-admin-password',
        attributes: {},
      });
      await t.clock.runFor(5 * SECOND);
      expect(leaks(inv).map((v) => v.message)).toEqual([
        'a JWT-shaped access token (eyJ...) found in execution rotate-2 (cert-rotation) error/cause [redacted]',
        expect.stringMatching(
          /^a PEM private key block \(RSA PRIVATE KEY\) found in log\/output of lambda:sign at /,
        ),
        expect.stringMatching(
          /^configured secret #1 found in SNS message to arn:aws:sns:eu-west-1:111122223333:ops \(subject "bootstrap failed"\)/,
        ),
      ]);
      expectRedacted(inv, t, TOKEN, 'MIIEpAIBAAKCAQEA7Vx', 'planted-admin-password');
    });

    it('finds a secret inside a serialized payload (JSON-escaped) and redacts one that is in a subject', async () => {
      const t = stubWorld();
      const multiline = 'line-one-of-the-key\nline-two';
      t.region(EU).secrets.push(multiline, MASTER);
      const inv = started(t.world);
      t.executions.push(
        execution({
          name: 'x',
          stateMachine: 'node-bootstrap',
          region: EU,
          output: { Payload: JSON.stringify({ k: multiline }) },
        }),
      );
      t.region(US).messages.push({
        at: Date.now(),
        topicArn: 'arn:aws:sns:us-east-1:111122223333:ops',
        subject: `key ${MASTER}`,
        message: 'see subject',
        attributes: {},
      });
      await t.clock.runFor(5 * SECOND);
      expect(leaks(inv).map((v) => v.message)).toEqual([
        'a Secrets Manager secret value found in execution x (node-bootstrap) output [redacted]',
        expect.stringContaining(
          'found in SNS message to arn:aws:sns:us-east-1:111122223333:ops (subject "key [redacted]")',
        ),
      ]);
      expectRedacted(inv, t, MASTER, 'line-one-of-the-key');
    });

    it('scans incrementally, and rescans what it saw when a new secret appears', async () => {
      const t = stubWorld();
      const inv = started(t.world);
      const rec = execution({ name: 'b-1', stateMachine: 'node-bootstrap', region: EU });
      t.executions.push(rec);
      for (let i = 0; i < 5; i++)
        rec.history.push({ at: Date.now(), type: 'StateEntered', state: `S${i}`, data: { i } });
      t.outputs.push({
        at: Date.now(),
        region: EU,
        source: 'lambda:dispatch',
        text: `token ${MASTER} rotated`,
      });
      await t.clock.runFor(30 * SECOND);
      expect(inv.report().scanned).toEqual({ executions: 1, historyEvents: 5, outputs: 1, snsMessages: 0 });
      expect(leaks(inv)).toEqual([]);

      rec.history.push({ at: Date.now(), type: 'StateEntered', state: 'S5' });
      await t.clock.runFor(30 * SECOND);
      expect(inv.report().scanned).toEqual({ executions: 1, historyEvents: 6, outputs: 1, snsMessages: 0 });

      // The value was logged before it was stored as a secret: found when it appears in Secrets Manager.
      t.region(EU).secrets.push(MASTER);
      await t.clock.runFor(5 * SECOND);
      expect(leaks(inv)).toEqual([
        expect.objectContaining({ message: expect.stringContaining('log/output of lambda:dispatch') }),
      ]);
      await t.clock.runFor(30 * SECOND);
      expect(leaks(inv)).toHaveLength(1); // reported once
      expectRedacted(inv, t, MASTER);
    });
  });

  it('check() runs on demand; stop() ends the background checks', async () => {
    const t = stubWorld({ minServingRegions: 2 });
    const inv = new Invariants(t.world);
    t.setSwitchedOff([US]);
    inv.check();
    expect(inv.violations).toHaveLength(1);
    inv.start();
    inv.stop();
    t.node(EU, 'i-eu-west-1-m1').node.role = 'primary';
    t.timeline.add(EU, 'node', 'promoted');
    await t.clock.runFor(30 * SECOND);
    expect(inv.violations.map((v) => v.invariant)).toEqual(['serving-regions']);
    const report = inv.report();
    expect(report.ok).toBe(false);
    expect(report.byInvariant).toMatchObject({ 'serving-regions': 1, 'single-primary': 0 });
  });
});
