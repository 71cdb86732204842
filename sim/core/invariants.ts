/**
 * The safety properties the control plane promises (the README's workflow guarantees), checked continuously
 * against the twin: every 5 s of virtual time, on every timeline entry (after the change that wrote it has finished),
 * and whenever `check()` is called.
 *
 * - single-primary: never two primaries at once in a region's cluster (legacy mode).
 * - primary gaps: how long each region has no primary that is ready (a measurement; a violation only past
 *   `maxPrimaryGapMs`). Cloud-native clusters have no primary: there, a gap is time without any ready node
 *   with `taskAffinity: any`.
 * - serving-regions: never fewer than `failover.minServingRegions` regions serving **by our action**: a region
 *   counts as serving unless the control plane switched it off (its record's health check would be unhealthy
 *   even with every endpoint check healthy: a switch copy in ALARM, an inverted switch check). A region lost to
 *   a fault (its ALB, its nodes) is not our action, and Route 53's fail-open is not counted either.
 * - rollout-capacity: never below `cluster.minHealthyNodes` healthy targets while a rollout (cert-rotation,
 *   node-drain) runs in the region.
 * - lifecycle-timeout: every lifecycle action is completed before its timeout.
 * - no-secrets: no secret value, private key or access token in any execution's input, output or history,
 *   any captured log line or output, or any SNS message: any PEM private key block, and any run of a node's
 *   actual TLS key material (its base64, even without the PEM armour or JSON-escaped). Findings name where,
 *   never what.
 * - trust-mesh (world option `tls: 'on'`): every pair of live nodes (running and ready) trusts each other's
 *   served certificate: its issuer is in the peer's trusted directory as the peer's router loaded it at start,
 *   it is not expired, and it is valid for its node's IP (sim/core/certificates.ts `rejection`).
 * - twin-not-modelled: no call reached something the twin does not model (a TwinNotModelled error), even one
 *   its caller caught: a scene must not pass over behaviour the twin does not have. One violation per call.
 *
 * A condition that holds over time is one violation per episode (with `clearedAt` once it ends), not one per
 * check.
 */

import { createPrivateKey, createPublicKey } from 'node:crypto';
import { type CertInfo, rejection } from './certificates';
import type {
  ArtifactoryNodeContract,
  Elbv2Contract,
  Route53Contract,
  SecretsContract,
  SimInstance,
  SnsMessage,
} from './contracts';
import type { Timeline, TimelineEntry } from './timeline';
import type { CapturedOutput as WorldCapturedOutput, ExecutionRecord as WorldExecutionRecord } from './world';

export type InvariantName =
  | 'single-primary'
  | 'primary-gap'
  | 'serving-regions'
  | 'rollout-capacity'
  | 'lifecycle-timeout'
  | 'no-secrets'
  | 'twin-not-modelled'
  | 'trust-mesh';

export interface Violation {
  readonly at: number;
  readonly invariant: InvariantName;
  readonly region?: string;
  readonly message: string;
  /** When the condition stopped holding (episodic invariants only). */
  clearedAt?: number;
}

export interface PrimaryGap {
  readonly region: string;
  readonly start: number;
  /** Undefined while the gap is still open. */
  end: number | undefined;
}

/** The parts of an instance and its Artifactory node the invariants read (a SimInstance satisfies it). */
export interface InvariantInstance {
  readonly id: string;
  readonly az: string;
  readonly state: SimInstance['state'];
  readonly reachable: boolean;
  /** Alive but cut off from the network (optional: absent means not partitioned). */
  readonly partitioned?: boolean;
  /** The instance's private IP (the trust-mesh check needs it; hand-built worlds may leave it out). */
  readonly privateIp?: string;
  readonly node: Pick<ArtifactoryNodeContract, 'role' | 'status' | 'taskAffinity' | 'ready'> & {
    /** What the node serves (absent: a hand-built node without TLS). */
    readonly servedCertificate?: CertInfo | undefined;
    readonly tls?: Pick<ArtifactoryNodeContract['tls'], 'trustedAtStart' | 'privateKeys'>;
  };
}

/** The parts of a region the invariants read. */
export interface InvariantRegion {
  readonly ec2: { instances(): readonly InvariantInstance[] };
  readonly elbv2: Pick<Elbv2Contract, 'targetState'>;
  readonly secretsmanager: Pick<SecretsContract, 'secretValues'>;
  readonly sns: {
    readonly messages: readonly Pick<SnsMessage, 'at' | 'topicArn' | 'subject' | 'message' | 'attributes'>[];
  };
}

/**
 * The parts of the World the invariants read (a World satisfies it), so tests can hand-build a world in a
 * given state.
 */
export interface InvariantWorld {
  readonly clock: { now(): number; every(ms: number, fn: () => void, firstAfterMs?: number): () => void };
  /** The nodes' TLS model (WorldOptions.tls): the trust-mesh invariant is checked only when `on`. */
  readonly tls?: 'off' | 'on';
  readonly timeline: Pick<Timeline, 'add' | 'onEntry'>;
  readonly config: {
    readonly cluster: { readonly mode: 'legacy-primary' | 'cloud-native'; readonly minHealthyNodes: number };
    readonly failover: { readonly minServingRegions: number };
    readonly routing: { readonly recordName: string };
    readonly regions: readonly { readonly name: string; readonly targetGroupArns: readonly string[] }[];
  };
  readonly regionNames: readonly string[];
  readonly route53: Pick<Route53Contract, 'servingRegions' | 'switchedOff'>;
  readonly executions: readonly WorldExecutionRecord[];
  readonly outputs: readonly WorldCapturedOutput[];
  /** Calls the twin does not model, as the world records them (absent: none can happen). */
  readonly notModelled?: readonly {
    readonly at: number;
    readonly region: string;
    readonly message: string;
  }[];
  region(name: string): InvariantRegion;
}

export interface InvariantOptions {
  /** Period of the background check (default 5 s of virtual time). */
  readonly intervalMs?: number;
  /** A primary gap longer than this is a violation; by default gaps are only measured. */
  readonly maxPrimaryGapMs?: number;
  /** State machines whose RUNNING executions are rollouts (default cert-rotation, node-drain). */
  readonly rolloutStateMachines?: readonly string[];
  /** Literal secrets to look for besides Secrets Manager's values (e.g. an admin token a test planted). */
  readonly extraSecrets?: readonly string[];
  /** Secret values shorter than this are ignored: too short to tell from ordinary text (default 8). */
  readonly minSecretLength?: number;
  /** Also check on every timeline entry (default true): catches conditions shorter than the interval. */
  readonly checkOnTimeline?: boolean;
}

/** PEM private keys of any kind: PKCS#8, encrypted PKCS#8, PKCS#1 RSA, SEC1 EC, DSA, OpenSSH... */
const PEM_PRIVATE_KEY = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----/;
/** JFrog access tokens are JWTs: base64url header `{"...` (eyJ), a payload and a signature. */
const JWT = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./;
const PEM_BLOCK =
  /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|$)/g;
/**
 * Key material is found by windows of its base64: a text run holding at least 2 × KEY_WINDOW - 1 consecutive
 * characters of a node's key holds one window at a multiple of KEY_WINDOW of the run (144 bits: no accident).
 */
const KEY_WINDOW = 24;
const BASE64_RUN = new RegExp(`[A-Za-z0-9+/]{${2 * KEY_WINDOW - 1},}`, 'g');
const JWT_TOKEN = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*/g;
const LIFECYCLE_TIMEOUT = /lifecycle action timed out/i;

interface ExecutionCursor {
  input: boolean;
  history: number;
  output: boolean;
  failure: boolean;
}

interface Secret {
  readonly value: string;
  /** The value as it appears inside a JSON string (quotes, backslashes, newlines escaped). */
  readonly escaped: string;
  readonly kind: string;
}

/** Continuous invariant checks over a world; see the module comment. */
export class Invariants {
  private readonly found: Violation[] = [];
  private readonly gaps: PrimaryGap[] = [];
  private readonly openGap = new Map<string, PrimaryGap>();
  private readonly ongoing = new Map<string, Violation>();
  private readonly reportedFindings = new Set<string>();
  private readonly intervalMs: number;
  private readonly rollouts: readonly string[];
  private readonly minSecretLength: number;
  private cancelInterval: (() => void) | undefined;
  private subscribed = false;
  private running = false;
  private checking = false;
  private checkQueued = false;
  private checks = 0;

  // Incremental secret scan: what has been scanned, and against which secret values.
  private readonly knownSecrets = new Set<string>();
  private readonly executionCursors = new WeakMap<WorldExecutionRecord, ExecutionCursor>();
  private outputsScanned = 0;
  private notModelledSeen = 0;
  private readonly snsScanned = new Map<string, number>();
  /** Every window of every node key seen, to the instance holding it; the keys already indexed. */
  private readonly keyWindows = new Map<string, string>();
  private readonly keysIndexed = new Set<string>();
  private scanned = { executions: 0, historyEvents: 0, outputs: 0, snsMessages: 0 };

  constructor(
    private readonly world: InvariantWorld,
    private readonly opts: InvariantOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 5_000;
    this.rollouts = opts.rolloutStateMachines ?? ['cert-rotation', 'node-drain'];
    this.minSecretLength = opts.minSecretLength ?? 8;
  }

  get violations(): readonly Violation[] {
    return this.found;
  }

  /** Every gap without a ready primary, per region, in order (the last may still be open). */
  get primaryGaps(): readonly PrimaryGap[] {
    return this.gaps;
  }

  /** Starts the periodic check (and the timeline watch) and checks once now. Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    if (!this.subscribed) {
      this.subscribed = true;
      this.world.timeline.onEntry((entry) => this.onEntry(entry));
    }
    this.cancelInterval = this.world.clock.every(this.intervalMs, () => this.check());
    this.check();
  }

  /** Stops checking; open gaps stay open (and are counted up to `now` in `report()`). */
  stop(): void {
    this.running = false;
    this.cancelInterval?.();
    this.cancelInterval = undefined;
  }

  /** Checks every invariant now. */
  check(): void {
    if (this.checking) return;
    this.checking = true;
    try {
      this.checks++;
      const now = this.world.clock.now();
      for (const region of this.world.regionNames) {
        this.checkPrimaries(region, now);
        this.checkRolloutCapacity(region, now);
        if (this.world.tls === 'on') this.checkTrustMesh(region, now);
      }
      this.checkServingRegions(now);
      this.scanForSecrets(now);
      this.checkNotModelled();
    } finally {
      this.checking = false;
    }
  }

  /** Total time without a ready primary per region, open gaps counted up to now. */
  primaryGapTotals(): Record<string, number> {
    const now = this.world.clock.now();
    const totals: Record<string, number> = Object.fromEntries(this.world.regionNames.map((r) => [r, 0]));
    for (const g of this.gaps) totals[g.region] = (totals[g.region] ?? 0) + ((g.end ?? now) - g.start);
    return totals;
  }

  report(): InvariantReport {
    const now = this.world.clock.now();
    const byInvariant: Record<InvariantName, number> = {
      'single-primary': 0,
      'primary-gap': 0,
      'serving-regions': 0,
      'rollout-capacity': 0,
      'lifecycle-timeout': 0,
      'no-secrets': 0,
      'twin-not-modelled': 0,
      'trust-mesh': 0,
    };
    for (const v of this.found) byInvariant[v.invariant]++;
    const primaryGaps: InvariantReport['primaryGaps'] = {};
    for (const region of this.world.regionNames) {
      const gaps = this.gaps
        .filter((g) => g.region === region)
        .map((g) => ({ start: g.start, end: g.end, durationMs: (g.end ?? now) - g.start }));
      primaryGaps[region] = {
        count: gaps.length,
        totalMs: gaps.reduce((n, g) => n + g.durationMs, 0),
        longestMs: gaps.reduce((n, g) => Math.max(n, g.durationMs), 0),
        open: this.openGap.has(region),
        gaps,
      };
    }
    return {
      ok: this.found.length === 0,
      checks: this.checks,
      at: now,
      violations: this.found.map((v) => ({ ...v })),
      byInvariant,
      primaryGaps,
      scanned: { ...this.scanned },
    };
  }

  // ---------------------------------------------------------------- timeline

  private onEntry(entry: TimelineEntry): void {
    if (!this.running || entry.source === 'invariant') return;
    // e. Auto Scaling reports a lifecycle action that reached its timeout (the default result applied).
    if ((entry.source === 'autoscaling' || entry.source === 'asg') && LIFECYCLE_TIMEOUT.test(entry.message)) {
      this.record({
        at: entry.at,
        invariant: 'lifecycle-timeout',
        region: entry.region,
        message: `lifecycle action not completed in time: ${entry.message}`,
      });
    }
    if (this.opts.checkOnTimeline === false || this.checkQueued) return;
    // Check once the change that wrote this entry has finished: a service may log between two updates of
    // one logical step (e.g. demote, log, promote), which is not a state the world is ever observed in.
    this.checkQueued = true;
    queueMicrotask(() => {
      this.checkQueued = false;
      if (this.running) this.check();
    });
  }

  // ---------------------------------------------------------------- a, b: primaries

  private checkPrimaries(region: string, now: number): void {
    const instances = this.world.region(region).ec2.instances();
    // A primary is an instance EC2 runs whose Artifactory runs as primary. A crashed, AZ- or region-lost node
    // can act on nothing, so it is not counted; a partitioned one still serves the clients inside its
    // partition (and writes the shared database), so it is: the control plane not reaching it is no excuse.
    const live = instances.filter((i) => i.state === 'running' && i.reachable);
    const acting = instances.filter((i) => i.state === 'running' && (i.reachable || i.partitioned === true));
    if (this.world.config.cluster.mode === 'legacy-primary') {
      const primaries = acting.filter((i) => i.node.role === 'primary' && i.node.status === 'running');
      this.episode(
        'single-primary',
        region,
        primaries.length > 1,
        now,
        () =>
          `${primaries.length} primaries at once: ${primaries.map((i) => `${i.id} (${i.az})`).join(', ')}`,
      );
    }
    const serving =
      this.world.config.cluster.mode === 'legacy-primary'
        ? live.some((i) => i.node.role === 'primary' && i.node.ready())
        : live.some((i) => i.node.taskAffinity === 'any' && i.node.ready());
    const open = this.openGap.get(region);
    if (!serving && !open) {
      const gap: PrimaryGap = { region, start: now, end: undefined };
      this.gaps.push(gap);
      this.openGap.set(region, gap);
    } else if (serving && open) {
      open.end = now;
      this.openGap.delete(region);
    }
    const current = this.openGap.get(region);
    const limit = this.opts.maxPrimaryGapMs;
    if (limit !== undefined) {
      const over = current !== undefined && now - current.start > limit;
      this.episode(
        'primary-gap',
        region,
        over,
        now,
        () => `no ready primary for more than ${limit} ms (since ${iso(current?.start ?? now)})`,
      );
    }
  }

  // ---------------------------------------------------------------- trust mesh

  /**
   * Every live node's served certificate checked against every distinct trusted directory of the live nodes
   * (one check per certificate and directory, not per pair: a 500-node cluster has one or two directories).
   */
  private checkTrustMesh(region: string, now: number): void {
    const live = this.world
      .region(region)
      .ec2.instances()
      .filter(
        (i) =>
          i.node.tls !== undefined &&
          i.state === 'running' &&
          i.reachable &&
          i.node.status === 'running' &&
          i.node.ready(),
      );
    const stores = new Map<string, { trusted: readonly CertInfo[]; holders: string[] }>();
    for (const i of live) {
      const trusted = i.node.tls?.trustedAtStart ?? [];
      const key = trusted.map((c) => c.fingerprint).join(',');
      const store = stores.get(key) ?? { trusted, holders: [] };
      store.holders.push(i.id);
      stores.set(key, store);
    }
    let broken: string | undefined;
    for (const i of live) {
      const served = i.node.servedCertificate;
      if (served === undefined || i.privateIp === undefined) continue;
      for (const store of stores.values()) {
        const peer = store.holders.find((h) => h !== i.id);
        if (peer === undefined) continue;
        const r = rejection(served, store.trusted, i.privateIp, now);
        if (r !== undefined) {
          broken = `${peer} does not trust ${i.id}'s served certificate ${served.fingerprint}: ${r.reason} (${r.detail})`;
          break;
        }
      }
      if (broken) break;
    }
    this.episode('trust-mesh', region, broken !== undefined, now, () => broken ?? '');
  }

  // ---------------------------------------------------------------- calls the twin does not model

  private checkNotModelled(): void {
    const list = this.world.notModelled ?? [];
    for (; this.notModelledSeen < list.length; this.notModelledSeen++) {
      const call = list[this.notModelledSeen];
      if (!call) continue;
      this.record({
        at: call.at,
        invariant: 'twin-not-modelled',
        region: call.region,
        message: `${call.message} (the twin must model a call before a scene may rely on it)`,
      });
    }
  }

  // ---------------------------------------------------------------- c: serving regions

  private checkServingRegions(now: number): void {
    const { recordName } = this.world.config.routing;
    const min = this.world.config.failover.minServingRegions;
    const off = new Set(this.world.route53.switchedOff(recordName));
    const serving = this.world.regionNames.filter((r) => !off.has(r));
    this.episode(
      'serving-regions',
      undefined,
      serving.length < min,
      now,
      () =>
        `the control plane switched off ${[...off].join(', ')}: ${serving.length} region(s) left serving ${recordName} by our action (${serving.join(', ') || 'none'}); at least ${min} required`,
    );
  }

  // ---------------------------------------------------------------- d: capacity during rollouts

  private checkRolloutCapacity(region: string, now: number): void {
    const tg = this.world.config.regions.find((r) => r.name === region)?.targetGroupArns[0];
    if (tg !== undefined) {
      // What each target was before it started draining (see tookCapacity).
      const r = this.world.region(region);
      for (const i of r.ec2.instances()) {
        const state = r.elbv2.targetState(tg, i.id);
        if (state !== 'draining') this.lastSettled.set(i.id, state);
      }
    }
    const rollouts = this.world.executions.filter(
      (e) =>
        e.status === 'RUNNING' &&
        e.region === region &&
        this.isRollout(e.stateMachine) &&
        this.tookCapacity(e, tg),
    );
    let healthy = 0;
    if (rollouts.length > 0 && tg !== undefined) {
      const r = this.world.region(region);
      healthy = r.ec2.instances().filter((i) => r.elbv2.targetState(tg, i.id) === 'healthy').length;
    }
    const min = this.world.config.cluster.minHealthyNodes;
    this.episode(
      'rollout-capacity',
      region,
      rollouts.length > 0 && tg !== undefined && healthy < min,
      now,
      () =>
        `${healthy} healthy target(s) in ${tg} during ${rollouts.map((e) => `${e.stateMachine} ${e.name}`).join(', ')}; at least ${min} required`,
    );
  }

  /**
   * Whether the rollout takes serving capacity away: its node (input `instanceId`) was a healthy or draining
   * target when the rollout was first seen. Draining a node that never served (a crashed primary, a
   * replacement still booting) removes nothing, so it does not count. Decided once per execution.
   */
  private tookCapacity(e: WorldExecutionRecord, tg: string | undefined): boolean {
    const known = this.servedAtStart.get(e.executionArn);
    if (known !== undefined) return known;
    const id = (e.input as { instanceId?: unknown } | undefined)?.instanceId;
    let served = true;
    if (typeof id === 'string' && tg !== undefined) {
      const state = this.world.region(e.region).elbv2.targetState(tg, id);
      // Draining counts as serving unless the target was seen unhealthy (or never healthy) just before: Auto
      // Scaling deregisters an abandoned launch at the very instant its drain starts.
      served =
        state === 'healthy' ||
        (state === 'draining' && (this.lastSettled.get(id) ?? 'healthy') === 'healthy');
    }
    this.servedAtStart.set(e.executionArn, served);
    return served;
  }

  private readonly servedAtStart = new Map<string, boolean>();
  /** Each instance's last target state other than `draining`, as the checks saw it. */
  private readonly lastSettled = new Map<string, string | undefined>();

  private isRollout(stateMachine: string): boolean {
    return this.rollouts.some((name) => stateMachine === name || stateMachine.endsWith(`:${name}`));
  }

  // ---------------------------------------------------------------- f: secrets

  private secrets(): { all: Secret[]; added: Secret[] } {
    const all: Secret[] = [];
    const seen = new Set<string>();
    const add = (value: string, kind: string) => {
      if (value.length < this.minSecretLength || seen.has(value)) return;
      seen.add(value);
      all.push({ value, escaped: JSON.stringify(value).slice(1, -1), kind });
    };
    for (const region of this.world.regionNames) {
      for (const value of this.world.region(region).secretsmanager.secretValues())
        add(value, 'a Secrets Manager secret value');
    }
    for (const [i, value] of (this.opts.extraSecrets ?? []).entries())
      add(value, `configured secret #${i + 1}`);
    this.indexNodeKeys();
    const added = all.filter((s) => !this.knownSecrets.has(s.value));
    for (const s of added) this.knownSecrets.add(s.value);
    return { all, added };
  }

  /**
   * Indexes the TLS private keys on every node (current, next, previous) by their base64 windows. A key is
   * known from the moment it exists on a node, before any command could print it, so text scanned before
   * never needs scanning again for it.
   */
  private indexNodeKeys(): void {
    for (const region of this.world.regionNames) {
      for (const i of this.world.region(region).ec2.instances()) {
        for (const pem of i.node.tls?.privateKeys() ?? []) {
          if (this.keysIndexed.has(pem)) continue;
          this.keysIndexed.add(pem);
          const body = pem.replace(/-----[A-Z0-9 ]+-----/g, '').replace(/[^A-Za-z0-9+/]/g, '');
          const shared = publicWindows(pem);
          for (let k = 0; k + KEY_WINDOW <= body.length; k++) {
            const w = body.slice(k, k + KEY_WINDOW);
            if (!shared.has(w)) this.keyWindows.set(w, i.id);
          }
        }
      }
    }
  }

  /** The instance whose key material `text` holds (plain, PEM-wrapped or JSON-escaped), if any. */
  private keyMaterialIn(text: string): string | undefined {
    if (this.keyWindows.size === 0 || text.length < 2 * KEY_WINDOW - 1) return undefined;
    const flat = text.replace(/(\\+[nr])|\s/g, '');
    for (const run of flat.matchAll(BASE64_RUN)) {
      const r = run[0];
      for (let k = 0; k + KEY_WINDOW <= r.length; k += KEY_WINDOW) {
        const owner = this.keyWindows.get(r.slice(k, k + KEY_WINDOW));
        if (owner !== undefined) return owner;
      }
    }
    return undefined;
  }

  private scanForSecrets(now: number): void {
    const { all, added } = this.secrets();
    // A secret that appears later (created or rotated) may already sit in text scanned before: look for the
    // new values alone in everything seen so far, then scan only what is new against everything.
    if (added.length > 0) this.scanSeen(added, now);
    this.scanNew(all, now);
  }

  private scanSeen(secrets: readonly Secret[], now: number): void {
    for (const e of this.world.executions) {
      const cursor = this.executionCursors.get(e);
      if (!cursor) continue;
      if (cursor.input)
        this.scan(e.input, secrets, false, `execution ${e.name} (${e.stateMachine}) input`, e.region, now);
      e.history.slice(0, cursor.history).forEach((h, i) => {
        this.scan(h, secrets, false, historyWhere(e, h, i), e.region, now);
      });
      if (cursor.output)
        this.scan(e.output, secrets, false, `execution ${e.name} (${e.stateMachine}) output`, e.region, now);
      if (cursor.failure)
        this.scan(
          [e.error, e.cause],
          secrets,
          false,
          `execution ${e.name} (${e.stateMachine}) error/cause`,
          e.region,
          now,
        );
    }
    this.world.outputs.slice(0, this.outputsScanned).forEach((o) => {
      this.scan(o.text, secrets, false, outputWhere(o), o.region, now);
    });
    for (const region of this.world.regionNames) {
      const messages = this.world.region(region).sns.messages.slice(0, this.snsScanned.get(region) ?? 0);
      for (const m of messages)
        this.scan([m.subject, m.message, m.attributes], secrets, false, snsWhere(m), region, now);
    }
  }

  private scanNew(secrets: readonly Secret[], now: number): void {
    for (const e of this.world.executions) {
      let cursor = this.executionCursors.get(e);
      if (!cursor) {
        cursor = { input: false, history: 0, output: false, failure: false };
        this.executionCursors.set(e, cursor);
        this.scanned.executions++;
      }
      const what = `execution ${e.name} (${e.stateMachine})`;
      if (!cursor.input) {
        cursor.input = true;
        this.scan(e.input, secrets, true, `${what} input`, e.region, now);
      }
      for (; cursor.history < e.history.length; cursor.history++) {
        const h = e.history[cursor.history];
        if (h) this.scan(h, secrets, true, historyWhere(e, h, cursor.history), e.region, now);
        this.scanned.historyEvents++;
      }
      // Output and error are written once, when the execution stops.
      if (!cursor.output && e.output !== undefined) {
        cursor.output = true;
        this.scan(e.output, secrets, true, `${what} output`, e.region, now);
      }
      if (!cursor.failure && (e.error !== undefined || e.cause !== undefined)) {
        cursor.failure = true;
        this.scan([e.error, e.cause], secrets, true, `${what} error/cause`, e.region, now);
      }
    }
    for (; this.outputsScanned < this.world.outputs.length; this.outputsScanned++) {
      const o = this.world.outputs[this.outputsScanned];
      if (o) this.scan(o.text, secrets, true, outputWhere(o), o.region, now);
      this.scanned.outputs++;
    }
    for (const region of this.world.regionNames) {
      const messages = this.world.region(region).sns.messages;
      let i = this.snsScanned.get(region) ?? 0;
      for (; i < messages.length; i++) {
        const m = messages[i];
        if (m) this.scan([m.subject, m.message, m.attributes], secrets, true, snsWhere(m), region, now);
        this.scanned.snsMessages++;
      }
      this.snsScanned.set(region, i);
    }
  }

  /**
   * Looks through every string in `value` (keys included) for the secrets and, when `patterns` is set, for
   * private keys and access tokens. Records where and what kind, never the match itself.
   */
  private scan(
    value: unknown,
    secrets: readonly Secret[],
    patterns: boolean,
    where: string,
    region: string,
    now: number,
  ): void {
    for (const text of strings(value)) {
      const kinds: string[] = [];
      for (const s of secrets) {
        // JSON-escaped too: a secret with quotes or newlines inside a serialized payload.
        if (text.includes(s.value) || (s.escaped !== s.value && text.includes(s.escaped))) kinds.push(s.kind);
      }
      if (patterns) {
        const pem = PEM_PRIVATE_KEY.exec(text);
        if (pem) kinds.push(`a PEM private key block (${pem[1] ?? ''}PRIVATE KEY)`);
        if (JWT.test(text)) kinds.push('a JWT-shaped access token (eyJ...)');
        const owner = this.keyMaterialIn(text);
        if (owner !== undefined) kinds.push(`TLS private key material of ${owner}`);
      }
      for (const kind of kinds) {
        const key = `${where}\u0000${kind}`;
        if (this.reportedFindings.has(key)) continue;
        this.reportedFindings.add(key);
        this.record({
          at: now,
          invariant: 'no-secrets',
          region,
          message: `${kind} found in ${where} [redacted]`,
        });
      }
    }
  }

  // ---------------------------------------------------------------- recording

  /** Replaces every known secret value, private key block and JWT in `text`. */
  private redact(text: string): string {
    let out = text.replace(PEM_BLOCK, '[redacted private key]').replace(JWT_TOKEN, '[redacted token]');
    for (const value of this.knownSecrets) out = out.split(value).join('[redacted]');
    for (const value of this.opts.extraSecrets ?? [])
      if (value.length > 0) out = out.split(value).join('[redacted]');
    return out;
  }

  /** Opens a violation when `violated` becomes true, closes it when it becomes false. */
  private episode(
    invariant: InvariantName,
    region: string | undefined,
    violated: boolean,
    now: number,
    message: () => string,
  ): void {
    const key = `${invariant}\u0000${region ?? ''}`;
    const open = this.ongoing.get(key);
    if (violated && !open) {
      const v = this.record({
        at: now,
        invariant,
        ...(region === undefined ? {} : { region }),
        message: message(),
      });
      this.ongoing.set(key, v);
    } else if (!violated && open) {
      open.clearedAt = now;
      this.ongoing.delete(key);
      this.world.timeline.add(
        region ?? '*',
        'invariant',
        `${invariant} holds again (violated since ${iso(open.at)})`,
      );
    }
  }

  private record(violation: Violation): Violation {
    // Names that go into a message (an SNS subject, a state name, a log line) may hold a secret themselves.
    const v: Violation = { ...violation, message: this.redact(violation.message) };
    this.found.push(v);
    this.world.timeline.add(v.region ?? '*', 'invariant', `VIOLATION ${v.invariant}: ${v.message}`, {
      invariant: v.invariant,
    });
    return v;
  }
}

export interface InvariantReport {
  readonly ok: boolean;
  readonly checks: number;
  readonly at: number;
  readonly violations: readonly Violation[];
  readonly byInvariant: Readonly<Record<InvariantName, number>>;
  readonly primaryGaps: Record<
    string,
    {
      readonly count: number;
      readonly totalMs: number;
      readonly longestMs: number;
      readonly open: boolean;
      readonly gaps: readonly {
        readonly start: number;
        readonly end: number | undefined;
        readonly durationMs: number;
      }[];
    }
  >;
  readonly scanned: {
    readonly executions: number;
    readonly historyEvents: number;
    readonly outputs: number;
    readonly snsMessages: number;
  };
}

/**
 * The windows a private key shares with what may be published: an RSA private key holds its public key (the
 * modulus and exponent, encoded as in the SubjectPublicKeyInfo of its CSR and certificate), so the windows of
 * the SPKI's base64, at each of the 3 byte alignments, are no evidence of a leak.
 */
function publicWindows(privatePem: string): Set<string> {
  const out = new Set<string>();
  let spki: Buffer;
  try {
    spki = createPublicKey(createPrivateKey(privatePem)).export({ type: 'spki', format: 'der' });
  } catch {
    return out;
  }
  for (const shift of [0, 1, 2]) {
    const b64 = Buffer.concat([Buffer.alloc(shift), spki]).toString('base64');
    for (let k = 0; k + KEY_WINDOW <= b64.length; k++) out.add(b64.slice(k, k + KEY_WINDOW));
  }
  return out;
}

function historyWhere(
  e: WorldExecutionRecord,
  h: WorldExecutionRecord['history'][number],
  index: number,
): string {
  return `execution ${e.name} (${e.stateMachine}) history event #${index + 1} ${h.type}${h.state === undefined ? '' : ` in state "${h.state}"`}`;
}

function outputWhere(o: WorldCapturedOutput): string {
  return `log/output of ${o.source} at ${iso(o.at)}`;
}

function snsWhere(m: { topicArn: string; subject: string | undefined; at: number }): string {
  return `SNS message to ${m.topicArn} (subject ${m.subject === undefined ? 'none' : JSON.stringify(m.subject)}) at ${iso(m.at)}`;
}

/** Every string in a JSON-like value, object keys included. */
function strings(value: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 64) return out;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out, depth + 1);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      strings(v, out, depth + 1);
    }
  }
  return out;
}

function iso(at: number): string {
  return new Date(at).toISOString();
}
