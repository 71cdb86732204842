/**
 * What each simulated service offers the others (beyond its AWS API). Services are built in parallel against
 * these interfaces; the world wires them together. AWS API actions are separate: each service's `api` map,
 * keyed by the action name of the AWS API reference (PascalCase), is what SDK clients and workflow tasks call.
 */

import type { MetricAlarmSpec } from '../../infra/regional-routing';
import type { CertInfo } from './certificates';
import type { VirtualClock } from './clock';
import type { Rng } from './rng';
import type { Timeline } from './timeline';

export type ServiceName =
  | 'autoscaling'
  | 'ec2'
  | 'ssm'
  | 'secretsmanager'
  | 'kms'
  | 'elbv2'
  | 'cloudwatch'
  | 'route53'
  | 'events'
  | 'sns'
  | 'sfn'
  | 'dynamodb'
  | 'lambda'
  | 'sqs'
  | 'cloudformation'
  | 'sts';

/** An AWS API action handler: takes the request input as the SDK sends it, returns the SDK's output shape. */
// biome-ignore lint/suspicious/noExplicitAny: each service types its own inputs; this map holds them all
export type ApiHandler = (input: any) => unknown | Promise<unknown>;

/** A simulated AWS service in one region. */
export interface SimService {
  readonly service: ServiceName;
  /** AWS API actions this service models; anything else is a loud NotModelledError. */
  readonly api: Readonly<Record<string, ApiHandler>>;
}

/** What every simulated service is built with. */
export interface SimContext {
  readonly region: string;
  readonly clock: VirtualClock;
  /** This service's own random stream. */
  readonly rng: Rng;
  readonly timeline: Timeline;
  readonly world: WorldView;
}

/** The part of the world services may reach. */
export interface WorldView {
  readonly accountId: string;
  /**
   * Whether the nodes' TLS can break them (`on`: a node serving an expired, foreign or untrusted certificate
   * fails its router health, and the trust-mesh invariant is checked) or not (`off`, the default: TLS between
   * JFrog nodes is disabled by default). See docs/twin.md.
   */
  readonly tls?: 'off' | 'on';
  readonly clusterName: string;
  region(name: string): RegionServices;
  readonly regionNames: readonly string[];
  readonly route53: Route53Contract;
  readonly faults: FaultsView;
}

export interface RegionServices {
  readonly name: string;
  readonly azs: readonly string[];
  readonly ec2: Ec2Contract;
  readonly autoscaling: AutoScalingContract;
  readonly ssm: SsmContract;
  readonly secretsmanager: SecretsContract;
  readonly kms: KmsContract;
  readonly elbv2: Elbv2Contract;
  readonly cloudwatch: CloudWatchContract;
  readonly events: EventBridgeContract;
  readonly sns: SnsContract;
  readonly sqs: SqsContract;
}

// ---------------------------------------------------------------- EC2 and the Artifactory node

export type InstanceState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

export interface SimInstance {
  readonly id: string;
  readonly az: string;
  readonly privateIp: string;
  readonly launchTime: number;
  state: InstanceState;
  /** False when the instance's host, AZ or region is lost, or it is partitioned: no probe reaches it. */
  readonly reachable: boolean;
  /** Cut off from the network while its host and Artifactory keep running (a partition fault). */
  readonly partitioned: boolean;
  /** The host runs: what EC2 status checks report (true for a partitioned host). */
  readonly hostUp: boolean;
  readonly node: ArtifactoryNodeContract;
}

/** One start or stop a node began at `at`, drawn to take `ms` (a stalled or failed start never completes). */
export interface NodeTiming {
  readonly kind: 'start' | 'stop';
  readonly at: number;
  readonly ms: number;
}

export type NodeStatus = 'unconfigured' | 'stopped' | 'starting' | 'running' | 'stopping' | 'failed';

/** The Artifactory service on one instance. */
export interface ArtifactoryNodeContract {
  readonly instanceId: string;
  readonly status: NodeStatus;
  /** Every change of `status` with its virtual time, oldest first. */
  readonly statusLog: readonly { readonly at: number; readonly status: NodeStatus }[];
  /** `primary` / `member` in legacy mode; cloud-native nodes have a taskAffinity instead. */
  readonly role: 'primary' | 'member' | undefined;
  readonly taskAffinity: 'any' | 'none' | undefined;
  /** `node.id` from system.yaml, once configured. */
  readonly nodeId: string | undefined;
  /** GET /router/api/v1/system/health returns 200 (every local service healthy). */
  routerHealthy(): boolean;
  /** GET /artifactory/api/v1/system/readiness returns {"code":"OK"}. */
  ready(): boolean;
  /**
   * What the node serves on 8082 and 8443 while its process is up: the certificate installed when Artifactory
   * last started (Artifactory's own when none was), else undefined.
   */
  readonly servedCertificate: CertInfo | undefined;
  /** The node's certificate store and what its router loaded at start (sim/services/tls.ts). */
  readonly tls: NodeTlsContract;
  /** Why the node's own TLS breaks it now (world option `tls: 'on'` only: then router health 503), or undefined. */
  tlsProblem(): string | undefined;
  /** Why the node failed, when status is `failed` (e.g. started in parallel with another node). */
  readonly failureReason: string | undefined;
  /**
   * How long each start (to readiness) and graceful stop the node began was drawn to take, in order: the
   * seed's own timings, from which scenes compute the floor of a recovery window (never from the window).
   */
  readonly drawnTimings: readonly NodeTiming[];
  /** Legacy mode: the running process was started with `primary: true` (cloud-native nodes never are). */
  isPrimary(): boolean;
  /** `system.yaml` as written on the node, once configured (the running process may predate it). */
  readonly systemYaml: Readonly<NodeSystemYaml> | undefined;
  /** Writes `system.yaml` and, when given, `master.key` and `join.key` (all take effect at the next start). */
  configure(yaml: NodeSystemYaml, keys?: { masterKey: string; joinKey: string }): void;
  /** `systemctl start artifactory`: returns once the service is launched; readiness comes later (or a failure). */
  start(): { started: boolean; reason?: string };
  /** Graceful `systemctl stop artifactory`; resolves when stopped. */
  stop(): Promise<void>;
  /** Stop, then start: ready after as long as a start takes. */
  restart(): Promise<{ started: boolean; reason?: string }>;
}

/** A node's certificate store (files on its disk) and what its router loaded at Artifactory's last start. */
export interface NodeTlsContract {
  /** A file's content (PEM), if it exists (names as TLS_FILES in sim/services/tls.ts). */
  file(name: string): string | undefined;
  fileNames(): string[];
  /** custom-server.crt now: what the next start serves. */
  readonly installed: CertInfo | undefined;
  /** The CA certificates in the trusted directory now (what an openssl client on the node trusts). */
  readonly trustedNow: readonly CertInfo[];
  /** What the router loaded at the last start (Artifactory's own certificate when none was installed). */
  readonly servedAtStart: CertInfo;
  /** The trusted directory as the router loaded it at the last start. */
  readonly trustedAtStart: readonly CertInfo[];
  /** system.yaml's `artifactory.tomcat.httpsConnector.enabled` now, and as loaded at the last start. */
  readonly httpsConnector: boolean;
  readonly httpsConnectorAtStart: boolean;
  /** enable_https_connector (lib.sh): sets the connector key; a restart applies it. */
  enableHttpsConnector(): void;
  /** The private keys on the node (the secret scan looks for them). */
  privateKeys(): string[];
  makeCsr(bits: number, track: <T>(work: () => Promise<T>) => Promise<T>): Promise<string>;
  install(certificate: string, caBundle: string): { installed: string; previous: string | null };
  rollback(): { restored: string };
  /** The installed certificate's fingerprint; undefined when none is installed. */
  installedFingerprint(): string | undefined;
  /** Why the node's own TLS fails at `now`, or undefined. */
  problem(now: number): string | undefined;
  /** Called by the node's start: loads the files, or says why the start fails. */
  atStart(): string | undefined;
  /** The initial cluster's certificate, installed and loaded as if Artifactory started with it. */
  seed(certificate: string, caBundle: string, privateKeyPem: string): void;
}

/** The part of `system.yaml` the project writes (`shared.node.*`). */
export interface NodeSystemYaml {
  readonly nodeId: string;
  readonly nodeIp: string;
  readonly haEnabled: boolean;
  /** Legacy mode (`primary: true|false`). */
  readonly role?: 'primary' | 'member';
  /** Cloud-native mode. */
  readonly taskAffinity?: 'any' | 'none';
}

export interface Ec2Contract {
  /**
   * Launches an instance (used by Auto Scaling). `bootstrap` says what configures Artifactory on it:
   * `none` (waits for the control plane's SSM documents), `user-data` (the seed deployment's launch script
   * configures and starts it after boot, as without a control plane), or `running` (part of the world's
   * initial cluster: configured and serving from t=0).
   */
  launch(opts: {
    az: string;
    launchedBy: string;
    role: 'primary' | 'member';
    bootstrap: 'none' | 'user-data' | 'running';
    tags?: Record<string, string>;
  }): SimInstance;
  instance(id: string): SimInstance | undefined;
  instances(): SimInstance[];
  /** Terminates (Auto Scaling or an operator). */
  terminate(id: string, reason: string): void;
  /** Fault: the instance's host dies (state stays `running` in EC2 until status checks fail; unreachable). */
  crash(id: string): void;
  /** Fault: a network partition: the host and Artifactory keep running, nothing outside reaches them. */
  partition(id: string): void;
  /** Ends a partition. */
  heal(id: string): void;
  /** Fault: the instance's boot stalls: Artifactory never becomes ready until restarted. */
  stallBoot(id: string): void;
  /** Stops a running instance (an operator, or a fault); Artifactory stops with it. */
  stop(id: string, reason: string): void;
  /** Starts a stopped instance (boots again; Artifactory stays stopped until started). */
  start(id: string): void;
  /** EC2 instance status check (DescribeInstanceStatus): `impaired` once checks fail on an unreachable host. */
  instanceStatus(id: string): 'initializing' | 'ok' | 'impaired' | undefined;
  /** Called on every instance state change (Auto Scaling and SSM follow instances through it). */
  onStateChange(listener: (instance: SimInstance, previous: InstanceState) => void): void;
  /** Artifactory licenses available to the region's cluster (JFrog: one per node; default 6). */
  licenseCount: number;
}

// ---------------------------------------------------------------- Auto Scaling

export type LifecycleState =
  | 'Pending'
  | 'Pending:Wait'
  | 'Pending:Proceed'
  | 'InService'
  | 'Terminating'
  | 'Terminating:Wait'
  | 'Terminating:Proceed'
  | 'Terminated'
  | 'Detaching'
  | 'Detached'
  | 'Standby';

export interface GroupSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly desired: number;
  readonly azs: readonly string[];
  readonly targetGroupArns: readonly string[];
  /** Role the cluster gives instances of this group. */
  readonly role: 'primary' | 'member';
  readonly healthCheckType: 'EC2' | 'ELB';
  readonly healthCheckGracePeriodSeconds: number;
  /** How new instances get configured (see Ec2Contract.launch); the initial `desired` instances start `running`. */
  readonly bootstrap: 'none' | 'user-data';
}

export interface HookSpec {
  readonly groupName: string;
  readonly name: string;
  readonly transition: 'autoscaling:EC2_INSTANCE_LAUNCHING' | 'autoscaling:EC2_INSTANCE_TERMINATING';
  readonly heartbeatTimeoutSeconds: number;
  readonly defaultResult: 'CONTINUE' | 'ABANDON';
}

export interface AutoScalingContract {
  createGroup(spec: GroupSpec): void;
  putLifecycleHook(spec: HookSpec): void;
  /** Which group holds the instance, and its lifecycle state. */
  membership(instanceId: string): { group: string; state: LifecycleState } | undefined;
  groupInstances(group: string): { id: string; state: LifecycleState; health: 'Healthy' | 'Unhealthy' }[];
  /** Whether a scaling process (`Launch`, `Terminate`, ...) is suspended on the group. */
  isSuspended(group: string, process: string): boolean;
  /** Lifecycle actions not yet completed (for the invariant and the sweep's tests). */
  pendingLifecycleActions(): {
    group: string;
    instanceId: string;
    token: string;
    hook: string;
    deadline: number;
  }[];
  /** Current capacity settings and suspended processes of a group. */
  describeGroup(
    name: string,
  ): { name: string; min: number; max: number; desired: number; suspendedProcesses: string[] } | undefined;
}

// ---------------------------------------------------------------- SSM and Secrets Manager

/** What running one of the project's SSM documents does on a node. */
export type DocumentEffect = (args: {
  instance: SimInstance;
  parameters: Record<string, string[]>;
  region: RegionServices;
  /** The world's TLS option (WorldView.tls; absent: off): with `on`, 8082 answers a node's own scheme only. */
  tls?: 'off' | 'on';
  /** Virtual time: effects take as long as the real commands would. */
  clock: VirtualClock;
  /** This invocation's own random stream. */
  rng: Rng;
  /** The world's injected faults (ReadReplicationStatus reads the region's replication lag). */
  faults?: FaultsView;
}) => Promise<{ status: 'Success' | 'Failed'; stdout: string; stderr?: string; responseCode?: number }>;

/** What SendCommand checks before running a document, and how long it may run. */
export interface DocumentOptions {
  /** The document's parameters; SendCommand rejects unknown, missing or disallowed values (InvalidParameters). */
  readonly parameters?: Readonly<
    Record<string, { readonly required?: boolean; readonly allowedValues?: readonly string[] }>
  >;
  /** The document's execution timeout (`timeoutSeconds` of its step); default 3600 s as AWS-RunShellScript. */
  readonly executionTimeoutSeconds?: number;
  /**
   * A parameter whose value (sent, else its default) is the step's `timeoutSeconds` instead, as
   * AWS-RunShellScript's `executionTimeout` parameter is (`"timeoutSeconds": "{{ executionTimeout }}"`).
   */
  readonly executionTimeoutParameter?: { readonly name: string; readonly default: string };
}

export interface SsmContract {
  /** Declares one of the project's documents and its modelled effect. */
  registerDocument(name: string, effect: DocumentEffect, options?: DocumentOptions): void;
  /** Whether the instance is an SSM managed instance yet (registration takes a while after boot). */
  isManaged(instanceId: string): boolean;
  /** Called by EC2 when an instance has booted and its SSM Agent starts (`alreadyRegistered`: the initial cluster). */
  agentStarted(instanceId: string, alreadyRegistered?: boolean): void;
  /** Parameter Store: a parameter's current value (what `aws ssm get-parameter` reads). */
  readonly parameters: { valueOf(name: string): string | undefined };
}

export interface SecretsContract {
  putSecret(name: string, value: string): string;
  /** Every secret value, for the secret scan. */
  secretValues(): string[];
  /** Read by the modelled SSM documents, on the node (never through a workflow). */
  valueOf(name: string): string | undefined;
}

export interface KmsContract {
  /** The deployment's CreateKey of an RSA SIGN_VERIFY key with its key policy (JSON); returns the key ARN. */
  createSigningKey(spec: 'RSA_2048' | 'RSA_3072' | 'RSA_4096', policy: string): string;
  /** Every private key (PKCS #8 PEM), for the secret scan. */
  privateKeyPems(): string[];
}

// ---------------------------------------------------------------- ELBv2, CloudWatch, Route 53

export type TargetHealthState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';

export interface TargetGroupSpec {
  readonly arn: string;
  readonly healthCheckIntervalSeconds: number;
  readonly healthyThresholdCount: number;
  readonly unhealthyThresholdCount: number;
  readonly deregistrationDelaySeconds: number;
}

export interface Elbv2Contract {
  createTargetGroup(spec: TargetGroupSpec): void;
  /** Auto Scaling registers and deregisters its instances through these. */
  registerTargets(targetGroupArn: string, instanceIds: readonly string[]): void;
  deregisterTargets(targetGroupArn: string, instanceIds: readonly string[]): void;
  targetState(targetGroupArn: string, instanceId: string): TargetHealthState | undefined;
  /** Whether the region's ALB answers its health path through at least one healthy target. */
  albHealthy(): boolean;
}

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** An alarm as the twin's CloudWatch takes it: the infra's metric alarm spec, or a metric-math alarm. */
export interface AlarmSpec extends MetricAlarmSpec {
  /**
   * A metric-math alarm: the expression over these metrics (each its statistic per period) is what the alarm
   * evaluates; `namespace`, `metricName`, `dimensions` and `statistic` are then unused (empty).
   */
  readonly math?: {
    readonly expression: string;
    readonly metrics: readonly {
      readonly id: string;
      readonly namespace: string;
      readonly metricName: string;
      readonly dimensions: Readonly<Record<string, string>>;
      readonly statistic: 'Minimum' | 'Maximum' | 'Average' | 'Sum' | 'SampleCount';
    }[];
  };
}

export interface CloudWatchContract {
  putAlarm(spec: AlarmSpec): void;
  putMetric(
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>>,
    value: number,
    at?: number,
  ): void;
  alarmState(name: string): AlarmState | undefined;
  /** The alarm's configuration (Route 53 checks an alarm-based health check's alarm is standard resolution). */
  alarmSpec(name: string): AlarmSpec | undefined;
}

export interface Route53Contract {
  /** Health status as Route 53 sees it (after inversion/disabling), by health check id. */
  healthy(healthCheckId: string): boolean;
  /** The answer a resolver in `fromRegion` gets for a latency-routed name. */
  resolve(
    recordName: string,
    fromRegion: string,
  ): { answer: string; region: string; failOpen: boolean } | undefined;
  /** Regions whose latency record for `recordName` Route 53 currently considers healthy. */
  servingRegions(recordName: string): string[];
  /**
   * Regions whose record for `recordName` would be unhealthy even with every endpoint check healthy: held out
   * by their switch (what the control plane did), not by a fault of their endpoint.
   */
  switchedOff(recordName: string): string[];
}

// ---------------------------------------------------------------- EventBridge and SNS

export interface BusEvent {
  readonly id: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly account: string;
  readonly region: string;
  readonly time: string;
  readonly resources: readonly string[];
  readonly detail: Record<string, unknown>;
  readonly version: '0';
}

/**
 * A target's retry policy (EventBridge RetryPolicy: MaximumRetryAttempts 0-185, MaximumEventAgeInSeconds
 * 60-86400; the default is 185 retries over 24 hours).
 */
export interface EventBridgeRetryPolicy {
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeSeconds: number;
}

/** One attempt to deliver an event to a rule's target, or the fate of the event for that rule. */
export interface EventDelivery {
  readonly at: number;
  readonly eventId: string;
  readonly detailType: string;
  readonly rule: string;
  /** 1 for the first attempt; 0 for an event lost before any attempt. */
  readonly attempt: number;
  /** Which copy of the event (2 for the second delivery of a duplicated event). */
  readonly copy: number;
  /**
   * `dropped`: retries exhausted and no dead-letter queue (EventBridge drops the event); `dead-lettered`: sent to
   * the target's dead-letter queue; `lost`: an injected fault lost it.
   */
  readonly outcome: 'succeeded' | 'failed' | 'dropped' | 'dead-lettered' | 'lost';
  readonly error?: string;
}

/**
 * A rule's target: delivers one event and resolves when the target ACCEPTED it (for a Lambda target: the
 * asynchronous Invoke was accepted, not the function's result); throws when the delivery failed. `targetArn`
 * names it in dead-letter messages (TARGET_ARN); `failFast` is set on an error EventBridge does not retry (a
 * target that no longer exists: straight to the dead-letter queue).
 */
export type EventTarget = ((event: BusEvent) => Promise<void> | void) & { readonly targetArn?: string };

/** Where a rule target's undeliverable events go: a standard SQS queue of the rule's region (name or ARN). */
export interface EventTargetOptions {
  readonly retryPolicy?: EventBridgeRetryPolicy;
  readonly deadLetterQueue?: string;
  readonly description?: string;
}

export interface EventBridgeContract {
  /** An AWS service emits an event on the default bus (delivery is best-effort and subject to faults). */
  emit(event: {
    source: string;
    detailType: string;
    detail: Record<string, unknown>;
    resources?: readonly string[];
  }): void;
  /** A rule with an EventBridge event pattern and one target (created or replaced, ENABLED). */
  putRule(
    rule: {
      name: string;
      pattern: Record<string, unknown>;
      target: EventTarget;
    } & EventTargetOptions,
  ): void;
  /**
   * A schedule rule: `everyMs` (a `rate(...)` in milliseconds, whole minutes) or a `rate(...)`/`cron(...)`
   * schedule expression; delivers `Scheduled Event`s.
   */
  putSchedule(
    rule: ({ everyMs: number } | { scheduleExpression: string }) & {
      name: string;
      target: EventTarget;
    } & EventTargetOptions,
  ): void;
  /** The ARN of a rule on the default bus (RULE_ARN in dead-letter messages). */
  ruleArn(name: string): string;
  /** Every event emitted, delivered or not, for assertions. */
  readonly emitted: readonly BusEvent[];
  /** Every delivery attempt and outcome, in virtual-time order. */
  readonly deliveries: readonly EventDelivery[];
}

export interface SnsMessage {
  readonly at: number;
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject: string | undefined;
  readonly message: string;
  readonly attributes: Readonly<Record<string, { readonly DataType: string; readonly StringValue?: string }>>;
}

export interface SnsContract {
  createTopic(name: string): string;
  readonly messages: readonly SnsMessage[];
}

/** A message attribute as the SQS API carries it (String, Number or Binary data types). */
export interface SqsMessageAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: Uint8Array;
}

export interface SqsContract {
  /** Creates (or returns) a standard queue; `retentionSeconds` 60-1209600, `kmsKeyId` marks it KMS-encrypted. */
  createQueue(spec: {
    name: string;
    retentionSeconds?: number;
    visibilityTimeoutSeconds?: number;
    kmsKeyId?: string;
  }): { url: string; arn: string };
  /** A queue's URL from its name, URL or ARN (undefined: no such queue in this region). */
  queueUrl(nameOrArn: string): string | undefined;
  /** An AWS service sends a message (EventBridge's DLQ, Lambda's on-failure destination): throws if it cannot. */
  send(
    queue: string,
    body: string,
    attributes?: Readonly<Record<string, SqsMessageAttribute>>,
  ): { messageId: string };
  /** Messages stored (visible or in flight), oldest first, for assertions. */
  messages(
    queue: string,
  ): readonly { readonly body: string; readonly attributes: Readonly<Record<string, SqsMessageAttribute>> }[];
}

// ---------------------------------------------------------------- Faults, as services see them

export interface FaultsView {
  isRegionDown(region: string): boolean;
  /** The region's ALB is lost (or the region): endpoint checks time out, its metrics stop. */
  isAlbLost(region: string): boolean;
  /** The share of requests the region's healthy targets answer 5xx (a brownout; 0: none). */
  brownoutShare(region: string): number;
  /** The region's CloudWatch is lost (or the region): no ingestion, no evaluation, insufficient data to Route 53. */
  isCloudWatchLost(region: string): boolean;
  /** How late the region's CloudWatch makes new datapoints visible, in ms (0: on time). */
  ingestionDelayMs(region: string): number;
  /** Route 53's API (its us-east-1 control plane) fails; health checks and DNS go on. */
  isRoute53ApiFailing(): boolean;
  /** The injected replication lag into the region, in minutes (0: none). */
  replicationLagMinutes(region: string): number;
  isAzDown(region: string, az: string): boolean;
  /** Consumes one injected SSM command fault matching the document/instance, if any. */
  takeSsmFault(
    region: string,
    document: string,
    instanceId: string,
  ): 'Failed' | 'TimedOut' | 'Hang' | undefined;
  /** The ALB health-check fault on a target, if any: `fail` while the node is fine, `pass` before it is ready. */
  albProbe(region: string, instanceId: string): 'fail' | 'pass' | undefined;
  /** Consumes one injected slow run matching the document/instance: how much longer it takes (ms, 0: none). */
  takeSsmDelay(region: string, document: string, instanceId: string): number;
  /** Consumes one injected event fault matching the detail-type, if any. */
  takeEventFault(
    region: string,
    detailType: string,
  ): { mode: 'lose' | 'duplicate' | 'delay'; delayMs: number } | undefined;
  /** Consumes one injected boot stall for a new instance in the region, if any. */
  takeBootStall(region: string): boolean;
  /** Consumes one certificate fault of this kind on the node, if any (the IP a csr-wrong-ip CSR names). */
  takeCertificateFault(
    region: string,
    instanceId: string,
    kind: 'csr-wrong-ip' | 'cert-start-fails' | 'served-cert-stale',
  ): { ip: string } | undefined;
}
