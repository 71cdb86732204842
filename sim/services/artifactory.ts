/**
 * The Artifactory service on one EC2 instance, and the HA cluster the nodes of a region form.
 *
 * JFrog rules modelled (JFrog Installation & Setup documentation):
 * - *Artifactory HA Installation*, prerequisites: "Each node in the cluster must be activated with a different
 *   license" — the cluster has a pool of licenses; a node that would exceed it fails to join.
 * - *HA Linux installation* (additional nodes): "For a node to join a cluster, the nodes must have the same
 *   database configuration and the master key"; *Manage Keys*: "If the join.key is not identical on the
 *   trusted services, communication between services fails" — a node whose keys differ from the cluster's
 *   fails to join. The cluster's keys are those of the first node that joined (they encrypt the database).
 * - *HA Ansible installation*: starting all nodes in parallel "is not supported and causes the installation to
 *   fail" — a node whose start begins while another node of the cluster is starting fails.
 * - *Which tasks are affected when the primary node fails* (JFrog knowledge base): only primary-only tasks
 *   (garbage collection, backups, imports, indexing, Xray events) stop; member nodes keep serving. So the
 *   twin's readiness does not depend on the primary: `ready()` is running and reachable, legacy or not.
 */
import type {
  ArtifactoryNodeContract,
  InstanceState,
  NodeStatus,
  NodeSystemYaml,
  NodeTiming,
  SimContext,
  WorldView,
} from '../core/contracts';
import type { Rng } from '../core/rng';
import { clusterKeySecretNames } from './secrets';
import { NodeTls } from './tls';

/** Licenses per region's cluster unless configured (Ec2Contract.licenseCount). */
export const DEFAULT_LICENSE_COUNT = 6;

/** How long things take on a node (ms, seeded within the range). */
export const NODE_TIMING = {
  /** `systemctl start` to readiness: Artifactory's JVM, Access, router and the other services coming up. */
  start: [60_000, 180_000],
  /** Into a start, when a node that cannot join the cluster gives up. */
  joinFailure: [15_000, 45_000],
  /** Graceful `systemctl stop`. */
  stop: [10_000, 30_000],
  /** cloud-init running the user data once the instance is up. */
  userData: [5_000, 20_000],
} as const satisfies Record<string, readonly [number, number]>;

export type ClusterMode = 'legacy-primary' | 'cloud-native';

/** The instance a node runs on, as the node sees it. */
export interface NodeHost {
  readonly id: string;
  readonly privateIp: string;
  readonly state: InstanceState;
  readonly reachable: boolean;
  /** Running and not crashed (a lost AZ partitions a host, it does not stop it). */
  readonly alive: boolean;
}

interface Keys {
  readonly masterKey: string;
  readonly joinKey: string;
}

/** The cluster's mode from the world's configuration (`cluster.mode`), legacy when the world has none. */
export function clusterModeOf(world: WorldView): ClusterMode {
  const mode = (world as { config?: { cluster?: { mode?: string } } }).config?.cluster?.mode;
  return mode === 'cloud-native' ? 'cloud-native' : 'legacy-primary';
}

/** One region's Artifactory HA cluster: its nodes, license pool and the keys its database was set up with. */
export class ArtifactoryCluster {
  licenseCount = DEFAULT_LICENSE_COUNT;
  private keys: Keys | undefined;

  constructor(private readonly members: () => readonly ArtifactoryNode[]) {}

  nodes(): ArtifactoryNode[] {
    return [...this.members()];
  }

  /** Legacy mode: nodes whose running process is the primary. */
  primaries(): ArtifactoryNode[] {
    return this.nodes().filter((n) => n.isPrimary());
  }

  /** The keys the cluster was set up with (the first node to join sets them). */
  adoptKeys(keys: Keys): void {
    this.keys ??= keys;
  }

  /** Why a node with these keys cannot join, if it cannot. */
  keyMismatch(keys: Keys): string | undefined {
    if (!this.keys) return undefined;
    if (keys.masterKey !== this.keys.masterKey) {
      return "master.key differs from the cluster's: the node cannot decrypt the shared configuration and fails to join";
    }
    if (keys.joinKey !== this.keys.joinKey) {
      return "join.key differs from the cluster's: the node's services fail to authenticate and it fails to join";
    }
    return undefined;
  }
}

/**
 * Artifactory on one instance: `system.yaml` and the keys as written on disk, and the process that runs
 * with what it read at its last start.
 */
export class ArtifactoryNode implements ArtifactoryNodeContract {
  readonly tls: NodeTls;
  readonly drawnTimings: NodeTiming[] = [];
  private current: NodeStatus = 'unconfigured';
  private readonly statuses: { at: number; status: NodeStatus }[] = [];
  private yaml: NodeSystemYaml | undefined;
  private keys: Keys | undefined;
  /** What the process runs with (read at its start). */
  private loaded: { yaml: NodeSystemYaml; keys: Keys } | undefined;
  private reason: string | undefined;
  /** Bumped on every transition so that timers of an abandoned start/stop do nothing. */
  private generation = 0;
  private stallNext = false;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly host: NodeHost,
    private readonly ctx: SimContext,
    private readonly rng: Rng,
    private readonly cluster: ArtifactoryCluster,
  ) {
    this.tls = new NodeTls(
      host,
      (message) => this.log(message),
      (kind) => ctx.world.faults.takeCertificateFault(ctx.region, host.id, kind),
    );
  }

  get instanceId(): string {
    return this.host.id;
  }

  get status(): NodeStatus {
    return this.current;
  }

  /** Every change of status with its virtual time (the scenes' serial-start check reads it). */
  get statusLog(): readonly { readonly at: number; readonly status: NodeStatus }[] {
    return this.statuses;
  }

  get failureReason(): string | undefined {
    return this.current === 'failed' ? this.reason : undefined;
  }

  get systemYaml(): Readonly<NodeSystemYaml> | undefined {
    return this.yaml;
  }

  /** While the process is up, what it runs with; otherwise what `system.yaml` says. */
  private get config(): NodeSystemYaml | undefined {
    return this.processUp ? this.loaded?.yaml : this.yaml;
  }

  get role(): 'primary' | 'member' | undefined {
    return this.config?.role;
  }

  get taskAffinity(): 'any' | 'none' | undefined {
    return this.config?.taskAffinity;
  }

  get nodeId(): string | undefined {
    return this.config?.nodeId;
  }

  /** The process exists (and holds one of the cluster's licenses). */
  get processUp(): boolean {
    return this.current === 'starting' || this.current === 'running' || this.current === 'stopping';
  }

  isPrimary(): boolean {
    return this.current === 'running' && this.loaded?.yaml.role === 'primary';
  }

  /**
   * `/router/api/v1/system/health` answers 200 only when every local service is up and the host is reachable;
   * with the world's `tls: 'on'`, a node whose own TLS fails (sim/services/tls.ts) answers 503.
   */
  routerHealthy(): boolean {
    return this.current === 'running' && this.host.reachable && this.tlsProblem() === undefined;
  }

  /** `/artifactory/api/v1/system/readiness` (see the module comment: independent of the primary; TLS as above). */
  ready(): boolean {
    return this.current === 'running' && this.host.reachable && this.tlsProblem() === undefined;
  }

  /** Why the node's TLS breaks it now (world option `tls: 'on'` only), or undefined. */
  tlsProblem(): string | undefined {
    if (this.ctx.world.tls !== 'on') return undefined;
    return this.tls.problem(this.ctx.clock.now());
  }

  /** What the node serves on 8082 and 8443 while its process is up (see ArtifactoryNodeContract). */
  get servedCertificate(): ArtifactoryNodeContract['servedCertificate'] {
    return this.current === 'running' || this.current === 'stopping' ? this.tls.servedAtStart : undefined;
  }

  configure(yaml: NodeSystemYaml, keys?: { masterKey: string; joinKey: string }): void {
    if (!this.host.alive) return;
    this.yaml = { ...yaml };
    if (keys) this.keys = { masterKey: keys.masterKey, joinKey: keys.joinKey };
    if (this.current === 'unconfigured') this.setStatus('stopped');
    this.log(`system.yaml written (node.id=${yaml.nodeId}, node.ip=${yaml.nodeIp}, ${describeRole(yaml)})`);
  }

  start(): { started: boolean; reason?: string } {
    const yaml = this.yaml;
    const keys = this.keys;
    if (!this.host.alive) return { started: false, reason: 'the host is down' };
    if (!yaml || !keys) return { started: false, reason: 'system.yaml is not configured' };
    if (this.current === 'starting' || this.current === 'running') return { started: true };
    if (this.current === 'stopping') return { started: false, reason: 'Artifactory is stopping' };
    const generation = ++this.generation;
    this.loaded = { yaml, keys };
    this.setStatus('starting');
    this.reason = undefined;
    this.log(`Artifactory starting (${describeRole(yaml)})`);

    const problem = this.joinProblem(yaml, keys) ?? this.tls.atStart();
    if (problem) {
      this.ctx.clock.after(this.rng.between(...NODE_TIMING.joinFailure), () => {
        if (generation === this.generation) this.fail(problem);
      });
      return { started: true };
    }
    if (this.stallNext) {
      this.stallNext = false;
      this.log('Artifactory start stalls: it will not become ready until restarted');
      return { started: true };
    }
    const startMs = this.rng.between(...NODE_TIMING.start);
    this.drawnTimings.push({ kind: 'start', at: this.ctx.clock.now(), ms: startMs });
    this.ctx.clock.after(startMs, () => {
      if (generation !== this.generation) return;
      this.setStatus('running');
      this.cluster.adoptKeys(keys);
      this.log(`Artifactory running${this.isPrimary() ? ' as the primary' : ''}`);
    });
    return { started: true };
  }

  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    if (!this.processUp) {
      // `systemctl stop` on a failed unit resets it to inactive.
      if (this.current === 'failed') {
        this.setStatus('stopped');
        this.log('Artifactory stopped (was failed)');
      }
      return Promise.resolve();
    }
    const generation = ++this.generation;
    this.setStatus('stopping');
    this.log('Artifactory stopping (graceful)');
    const stopMs = this.rng.between(...NODE_TIMING.stop);
    this.drawnTimings.push({ kind: 'stop', at: this.ctx.clock.now(), ms: stopMs });
    this.stopping = new Promise<void>((resolve) => {
      this.ctx.clock.after(stopMs, () => {
        if (generation === this.generation) {
          this.setStatus('stopped');
          this.loaded = undefined;
          this.log('Artifactory stopped');
        }
        this.stopping = undefined;
        resolve();
      });
    });
    return this.stopping;
  }

  async restart(): Promise<{ started: boolean; reason?: string }> {
    await this.stop();
    return this.start();
  }

  /** Fault: this start (or the next one) never completes. Cleared by a restart. */
  stallNextStart(): void {
    if (this.current === 'starting') {
      this.generation++;
      this.log('Artifactory start stalls: it will not become ready until restarted');
    } else {
      this.stallNext = true;
    }
  }

  /** The host went away: `crash` kills the process, `shutdown` is the OS stopping it with the instance. */
  hostDown(how: 'crash' | 'shutdown'): void {
    this.generation++;
    this.stopping = undefined;
    if (this.current === 'unconfigured') return;
    const wasUp = this.processUp;
    this.loaded = undefined;
    if (how === 'crash' && wasUp) {
      this.setStatus('failed');
      this.reason = 'host crashed';
      this.log('Artifactory died with its host');
    } else if (wasUp) {
      this.setStatus('stopped');
      this.log('Artifactory stopped with its instance');
    } else if (this.current === 'failed') {
      this.setStatus('stopped');
    }
  }

  /**
   * The seed deployment's launch script (user data): writes system.yaml with `node.id` = the instance id,
   * fetches the keys on the node from Secrets Manager and starts Artifactory, with no control plane.
   */
  bootstrapFromUserData(role: 'primary' | 'member', mode: ClusterMode): void {
    const keys = this.readClusterKeys();
    if (!keys) {
      this.log('user data failed: the cluster key secrets could not be read');
      return;
    }
    this.configure(this.seedYaml(role, mode), keys);
    const started = this.start();
    if (!started.started) this.log(`user data could not start Artifactory: ${started.reason}`);
  }

  /** Part of the world's initial cluster: configured and serving already. */
  bootstrapRunning(role: 'primary' | 'member', mode: ClusterMode): void {
    const keys = this.readClusterKeys();
    if (!keys) {
      const names = clusterKeySecretNames(this.ctx.world.clusterName);
      throw new Error(
        `${this.host.id} cannot join the initial cluster: put ${names.masterKey} and ${names.joinKey} in ${this.ctx.region}'s Secrets Manager first`,
      );
    }
    const yaml = this.seedYaml(role, mode);
    this.yaml = yaml;
    this.keys = keys;
    this.loaded = { yaml, keys };
    this.setStatus('running');
    this.cluster.adoptKeys(keys);
  }

  private seedYaml(role: 'primary' | 'member', mode: ClusterMode): NodeSystemYaml {
    const base = { nodeId: this.host.id, nodeIp: this.host.privateIp, haEnabled: true };
    // From 7.17.4 (cloud-native HA) every node may run cluster tasks: `taskAffinity: any`.
    return mode === 'cloud-native' ? { ...base, taskAffinity: 'any' } : { ...base, role };
  }

  private readClusterKeys(): Keys | undefined {
    const secrets = this.ctx.world.region(this.ctx.region).secretsmanager;
    const names = clusterKeySecretNames(this.ctx.world.clusterName);
    const masterKey = secrets.valueOf(names.masterKey);
    const joinKey = secrets.valueOf(names.joinKey);
    return masterKey === undefined || joinKey === undefined ? undefined : { masterKey, joinKey };
  }

  private joinProblem(yaml: NodeSystemYaml, keys: Keys): string | undefined {
    const others = this.cluster.nodes().filter((n) => n !== this);
    const starting = others.find((n) => n.status === 'starting');
    if (starting) return `started in parallel with ${starting.instanceId}`;
    const licensed = others.filter((n) => n.processUp).length;
    if (licensed >= this.cluster.licenseCount) {
      return `no license available: all ${this.cluster.licenseCount} licenses of the cluster are in use`;
    }
    const mismatch = this.cluster.keyMismatch(keys);
    if (mismatch) return mismatch;
    const sameId = others.find((n) => n.processUp && n.nodeId === yaml.nodeId);
    if (sameId) return `node.id ${yaml.nodeId} is already registered by ${sameId.instanceId} (409 Conflict)`;
    return undefined;
  }

  private setStatus(status: NodeStatus): void {
    if (status === this.current) return;
    this.current = status;
    this.statuses.push({ at: this.ctx.clock.now(), status });
  }

  private fail(reason: string): void {
    this.setStatus('failed');
    this.reason = reason;
    this.loaded = undefined;
    this.log(`Artifactory failed: ${reason}`);
  }

  private log(message: string): void {
    this.ctx.timeline.add(this.ctx.region, 'node', `${this.host.id}: ${message}`);
  }
}

function describeRole(yaml: NodeSystemYaml): string {
  if (yaml.taskAffinity) return `taskAffinity=${yaml.taskAffinity}`;
  return `primary=${yaml.role === 'primary'}`;
}

/**
 * A repository's scheduled replication status as `GET /artifactory/api/replication/{repoKey}` answers it
 * (JFrog REST API, "Scheduled Replication Status": https://jfrog.com/help/r/jfrog-rest-apis/scheduled-replication-status;
 * the overall `status` and `lastCompleted`, ISO 8601). The twin's push mesh replicates continuously: the last
 * completed replication is `lagMinutes` old (the region's injected replication lag, 0 without one), `ok`.
 * Undefined when the node does not answer (not ready, or unreachable): curl reads no status.
 */
export function replicationStatusOf(
  node: Pick<ArtifactoryNodeContract, 'ready'>,
  reachable: boolean,
  lagMinutes: number,
  now: number,
): { status: 'ok'; lastCompleted: string } | undefined {
  if (!reachable || !node.ready()) return undefined;
  return { status: 'ok', lastCompleted: new Date(now - lagMinutes * 60_000).toISOString() };
}
