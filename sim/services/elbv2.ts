/**
 * Elastic Load Balancing v2 in one region: the Application Load Balancer in front of the Artifactory nodes and
 * its target groups, with periodic health checks of every registered target on the virtual clock.
 *
 * Sources:
 * - [HealthChecks] ALB User Guide, "Health checks for Application Load Balancer target groups": settings
 *   (HealthCheckIntervalSeconds, HealthyThresholdCount, UnhealthyThresholdCount), "After your target is
 *   registered, it must pass one health check to be considered healthy", target health states and reason codes.
 * - [TargetHealth] ELB API Reference, `TargetHealth` (state and reason code pairs).
 * - [Deregistration] ALB User Guide, "Deregistration delay": a deregistering target is `draining` until the delay
 *   elapses, then the deregistration completes; API Reference `DeregisterTargets` ("If the specified target does
 *   not exist, the action returns successfully") and `RegisterTargets` / `DescribeTargetHealth` errors.
 * - [Metrics] ALB User Guide, "CloudWatch metrics for your Application Load Balancer": HealthyHostCount and
 *   UnHealthyHostCount in AWS/ApplicationELB, dimensions TargetGroup and LoadBalancer, reported every minute.
 * - [RouterHealth] JFrog Platform REST API, "Router Health Check" (docs/facts.md, Artifactory HA): the ALB probes
 *   `GET /router/api/v1/system/health`, which returns 503 when any local service is unhealthy.
 * - [Troubleshoot] ALB User Guide, "Troubleshoot your Application Load Balancers", "A registered target is not in
 *   service": the target's security group (or network ACL) must allow the load balancer's health-check traffic
 *   on the health check port, else the checks time out. Injected as `faults.albHealth({ mode: 'fail' })`; the
 *   opposite disagreement, a health path that answers 200 before the node is ready, is `mode: 'pass'`.
 *
 * Simplifications: one ALB per region with every target group behind it; every probe answers at once (no
 * HealthCheckTimeoutSeconds wait); connection draining always lasts the full deregistration delay (AWS ends it
 * early when a target has no in-flight requests); one health check result per interval per target (AWS's load
 * balancer nodes each probe); the ALB's fail-open routing to unhealthy targets is not modelled, so the ALB
 * answers its health path only through a `healthy` target.
 */
import type {
  DeregisterTargetsInput,
  DeregisterTargetsOutput,
  DescribeTargetGroupsInput,
  DescribeTargetGroupsOutput,
  DescribeTargetHealthInput,
  DescribeTargetHealthOutput,
  RegisterTargetsInput,
  RegisterTargetsOutput,
  TargetGroup as SdkTargetGroup,
  TargetDescription,
  TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type {
  Elbv2Contract,
  SimContext,
  SimInstance,
  SimService,
  TargetGroupSpec,
  TargetHealthState,
} from '../core/contracts';
import { AwsError, NotModelledError, validation } from '../core/errors';

/** The health path the ALB probes ([RouterHealth]; config `alb.healthPath` default). */
export const ALB_HEALTH_PATH = '/router/api/v1/system/health';
/** Port of the targets: the ALB sends HTTPS to the nodes. */
const TARGET_PORT = 443;
/** [HealthChecks] HealthCheckTimeoutSeconds default for instance targets. */
const HEALTH_CHECK_TIMEOUT_SECONDS = 5;

const targetGroupNotFound = (arn: string) =>
  new AwsError('TargetGroupNotFound', `One or more target groups not found: '${arn}'`, { status: 400 });
const invalidTarget = (message: string) => new AwsError('InvalidTarget', message, { status: 400 });

type Reason =
  | 'Elb.RegistrationInProgress'
  | 'Elb.InitialHealthChecking'
  | 'Target.ResponseCodeMismatch'
  | 'Target.Timeout'
  | 'Target.FailedHealthChecks'
  | 'Target.NotRegistered'
  | 'Target.InvalidState'
  | 'Target.DeregistrationInProgress';

/** [HealthChecks] "Health check reason codes": the description AWS gives with each reason. */
const DESCRIPTIONS: Readonly<Record<Reason, string>> = {
  'Elb.RegistrationInProgress': 'Target registration is in progress',
  'Elb.InitialHealthChecking': 'Initial health checks in progress',
  'Target.ResponseCodeMismatch': 'Health checks failed with these codes: [503]',
  'Target.Timeout': 'Request timed out',
  'Target.FailedHealthChecks': 'Health checks failed',
  'Target.NotRegistered': 'Target is not registered to the target group',
  'Target.InvalidState': 'Target is in an invalid state',
  'Target.DeregistrationInProgress': 'Target deregistration is in progress',
};

interface Target {
  readonly id: string;
  readonly port: number;
  state: TargetHealthState;
  reason: Reason | undefined;
  description: string | undefined;
  /** Consecutive successful probes while unhealthy. */
  successes: number;
  /** Consecutive failed probes while initial or healthy. */
  failures: number;
  cancelDrain: (() => void) | undefined;
}

interface Group {
  readonly spec: TargetGroupSpec;
  readonly name: string;
  /** `targetgroup/<name>/<id>`, the TargetGroup dimension of the AWS/ApplicationELB metrics. */
  readonly dimension: string;
  readonly targets: Map<string, Target>;
  readonly cancel: () => void;
  /** When the group's health checks started: they run every interval from then. */
  readonly checksFrom: number;
}

type Probe = { readonly ok: true } | { readonly ok: false; readonly reason: Reason };

/** The ALB and target groups of one region. */
export class Elbv2Sim implements SimService, Elbv2Contract {
  readonly service = 'elbv2' as const;
  readonly api = {
    RegisterTargets: (input: RegisterTargetsInput): RegisterTargetsOutput => this.registerTargetsApi(input),
    DeregisterTargets: (input: DeregisterTargetsInput): DeregisterTargetsOutput =>
      this.deregisterTargetsApi(input),
    DescribeTargetHealth: (input: DescribeTargetHealthInput): DescribeTargetHealthOutput =>
      this.describeTargetHealth(input),
    DescribeTargetGroups: (input: DescribeTargetGroupsInput): DescribeTargetGroupsOutput =>
      this.describeTargetGroups(input),
  };
  /** The region's ALB, `arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>`. */
  readonly loadBalancerArn: string;

  private readonly groups = new Map<string, Group>();
  private cancelMetrics: (() => void) | undefined;

  constructor(private readonly ctx: SimContext) {
    const name = `${ctx.world.clusterName}-alb`.slice(0, 32);
    this.loadBalancerArn = `arn:aws:elasticloadbalancing:${ctx.region}:${ctx.world.accountId}:loadbalancer/app/${name}/${ctx.rng.hex(16)}`;
  }

  /** `app/<name>/<id>`, the LoadBalancer dimension of the AWS/ApplicationELB metrics. */
  get loadBalancerDimension(): string {
    return this.loadBalancerArn.slice(
      this.loadBalancerArn.indexOf(':loadbalancer/') + ':loadbalancer/'.length,
    );
  }

  /** The dimensions of a target group's AWS/ApplicationELB metrics ([Metrics]), for alarms on them. */
  metricDimensions(targetGroupArn: string): { TargetGroup: string; LoadBalancer: string } {
    return { TargetGroup: this.group(targetGroupArn).dimension, LoadBalancer: this.loadBalancerDimension };
  }

  /** Stops the twin's timers (metrics and every target group's health checks). */
  dispose(): void {
    this.cancelMetrics?.();
    this.cancelMetrics = undefined;
    for (const g of this.groups.values()) {
      g.cancel();
      for (const t of g.targets.values()) t.cancelDrain?.();
    }
  }

  // ---------------------------------------------------------------- contract

  createTargetGroup(spec: TargetGroupSpec): void {
    const match =
      /^arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):\d{12}:(targetgroup\/([A-Za-z0-9-]{1,32})\/[0-9a-f]+)$/.exec(
        spec.arn,
      );
    if (!match) throw validation(`'${spec.arn}' is not a valid target group ARN`);
    if (match[1] !== this.ctx.region)
      throw validation(`target group ${spec.arn} is not in ${this.ctx.region}`);
    if (this.groups.has(spec.arn))
      throw new AwsError(
        'DuplicateTargetGroupName',
        `A target group with the same name '${match[3]}' exists, but with different settings`,
      );
    // [HealthChecks] ranges: interval 5-300 s, thresholds 2-10; deregistration delay 0-3600 s ([Deregistration]).
    const { healthCheckIntervalSeconds: i, healthyThresholdCount: h, unhealthyThresholdCount: u } = spec;
    if (!(Number.isInteger(i) && i >= 5 && i <= 300))
      throw validation('HealthCheckIntervalSeconds must be 5-300');
    if (!(Number.isInteger(h) && h >= 2 && h <= 10)) throw validation('HealthyThresholdCount must be 2-10');
    if (!(Number.isInteger(u) && u >= 2 && u <= 10)) throw validation('UnhealthyThresholdCount must be 2-10');
    const d = spec.deregistrationDelaySeconds;
    if (!(Number.isInteger(d) && d >= 0 && d <= 3600))
      throw validation('deregistration_delay.timeout_seconds must be 0-3600');
    const group: Group = {
      spec: { ...spec },
      name: match[3] as string,
      dimension: match[2] as string,
      targets: new Map(),
      // [HealthChecks] "The load balancer sends a health check request to each registered target every
      // HealthCheckIntervalSeconds seconds".
      cancel: this.ctx.clock.every(i * 1000, () => this.healthCheck(spec.arn)),
      checksFrom: this.ctx.clock.now(),
    };
    this.groups.set(spec.arn, group);
    this.ctx.timeline.add(this.ctx.region, 'elb', `target group ${group.name} created`);
    if (!this.cancelMetrics) {
      // [Metrics] HealthyHostCount / UnHealthyHostCount are reported every minute: one datapoint at each minute
      // boundary of the virtual clock. Timers start with the first resource, never in the constructor, so that
      // they are created on the installed virtual clock.
      const now = this.ctx.clock.now();
      this.cancelMetrics = this.ctx.clock.every(60_000, () => this.publishMetrics(), 60_000 - (now % 60_000));
    }
  }

  registerTargets(targetGroupArn: string, instanceIds: readonly string[]): void {
    this.register(
      targetGroupArn,
      instanceIds.map((Id) => ({ Id })),
    );
  }

  deregisterTargets(targetGroupArn: string, instanceIds: readonly string[]): void {
    this.deregister(
      targetGroupArn,
      instanceIds.map((Id) => ({ Id })),
    );
  }

  /**
   * When the next `count` health checks of a target group run, strictly after `after` (every
   * HealthCheckIntervalSeconds from the group's creation), with its thresholds: what a scene needs to compute
   * how soon the ALB can notice a change, from the twin's settings rather than from what happened.
   */
  healthChecksAfter(
    targetGroupArn: string,
    after: number,
    count: number,
  ): { times: number[]; healthyThreshold: number; unhealthyThreshold: number } {
    const g = this.group(targetGroupArn);
    const interval = g.spec.healthCheckIntervalSeconds * 1000;
    const first = g.checksFrom + (Math.floor((after - g.checksFrom) / interval) + 1) * interval;
    return {
      times: Array.from({ length: count }, (_, k) => first + k * interval),
      healthyThreshold: g.spec.healthyThresholdCount,
      unhealthyThreshold: g.spec.unhealthyThresholdCount,
    };
  }

  targetState(targetGroupArn: string, instanceId: string): TargetHealthState | undefined {
    return this.groups.get(targetGroupArn)?.targets.get(instanceId)?.state;
  }

  /**
   * The ALB answers its health path with 200 when the region is up and it can route to a healthy target; a lost
   * region takes the ALB with it.
   */
  albHealthy(): boolean {
    if (this.ctx.world.faults.isRegionDown(this.ctx.region)) return false;
    for (const g of this.groups.values()) {
      for (const t of g.targets.values()) if (t.state === 'healthy') return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- registration

  private group(arn: string | undefined): Group {
    if (!arn) throw validation('TargetGroupArn is required');
    const g = this.groups.get(arn);
    if (!g) throw targetGroupNotFound(arn);
    return g;
  }

  private instance(id: string): SimInstance | undefined {
    return this.ctx.world.region(this.ctx.region).ec2.instance(id);
  }

  private register(arn: string | undefined, targets: readonly TargetDescription[]): void {
    const g = this.group(arn);
    if (targets.length === 0) throw validation('Targets must not be empty');
    // [RegisterTargets] InvalidTarget: "The specified target does not exist ..."; instances must be running.
    const notRunning: string[] = [];
    for (const t of targets) {
      if (!t.Id) throw validation('Target Id is required');
      const inst = this.instance(t.Id);
      if (!inst) throw invalidTarget(`The following targets are not valid instances: '${t.Id}'`);
      if (inst.state !== 'running' && inst.state !== 'pending') notRunning.push(t.Id);
    }
    if (notRunning.length > 0) {
      throw invalidTarget(
        `The following targets are not in a running state and cannot be registered: '${notRunning.join("', '")}'`,
      );
    }
    for (const t of targets) {
      const id = t.Id as string;
      const existing = g.targets.get(id);
      if (existing && existing.state !== 'draining') continue;
      // Registering a draining target again cancels its deregistration and starts over (the twin's reading).
      existing?.cancelDrain?.();
      g.targets.set(id, {
        id,
        port: t.Port ?? TARGET_PORT,
        // [TargetHealth] initial / Elb.RegistrationInProgress until the first health check is sent.
        state: 'initial',
        reason: 'Elb.RegistrationInProgress',
        description: DESCRIPTIONS['Elb.RegistrationInProgress'],
        successes: 0,
        failures: 0,
        cancelDrain: undefined,
      });
      this.ctx.timeline.add(this.ctx.region, 'elb', `${id} registered with ${g.name}`);
    }
  }

  private deregister(arn: string | undefined, targets: readonly TargetDescription[]): void {
    const g = this.group(arn);
    if (targets.length === 0) throw validation('Targets must not be empty');
    for (const t of targets) {
      if (!t.Id) throw validation('Target Id is required');
      const target = g.targets.get(t.Id);
      // [DeregisterTargets] "If the specified target does not exist, the action returns successfully."
      if (!target || target.state === 'draining') continue;
      const delay = g.spec.deregistrationDelaySeconds;
      if (delay === 0) {
        g.targets.delete(t.Id);
        this.ctx.timeline.add(this.ctx.region, 'elb', `${t.Id} deregistered from ${g.name}`);
        continue;
      }
      // [Deregistration] "The initial state of a deregistering target is draining. After the deregistration delay
      // elapses, the deregistration process completes".
      this.set(g, target, 'draining', 'Target.DeregistrationInProgress');
      const id = t.Id;
      target.cancelDrain = this.ctx.clock.after(delay * 1000, () => {
        if (g.targets.get(id) !== target) return;
        g.targets.delete(id);
        this.ctx.timeline.add(this.ctx.region, 'elb', `${id} deregistered from ${g.name} (draining done)`);
      });
    }
  }

  private registerTargetsApi(input: RegisterTargetsInput): RegisterTargetsOutput {
    this.register(input.TargetGroupArn, input.Targets ?? []);
    return {};
  }

  private deregisterTargetsApi(input: DeregisterTargetsInput): DeregisterTargetsOutput {
    this.deregister(input.TargetGroupArn, input.Targets ?? []);
    return {};
  }

  // ---------------------------------------------------------------- health checks

  private healthCheck(arn: string): void {
    const g = this.groups.get(arn);
    if (!g) return;
    for (const t of g.targets.values()) {
      if (t.state === 'draining') continue;
      const inst = this.instance(t.id);
      if (!inst || ['stopping', 'stopped', 'shutting-down', 'terminated'].includes(inst.state)) {
        // [TargetHealth] unused / Target.InvalidState: "The target is in the stopped or terminated state."
        if (t.state !== 'unused') {
          this.set(
            g,
            t,
            'unused',
            'Target.InvalidState',
            `Target is in the ${inst?.state ?? 'terminated'} state`,
          );
        }
        t.successes = 0;
        t.failures = 0;
        continue;
      }
      if (t.state === 'unused') {
        // Back in a running state: checked afresh, like a new registration.
        this.set(g, t, 'initial', 'Elb.InitialHealthChecking');
      }
      this.apply(g, t, this.probe(inst));
    }
  }

  /** `GET /router/api/v1/system/health` on the node, as the ALB sees it. */
  private probe(inst: SimInstance): Probe {
    if (this.ctx.world.faults.isRegionDown(this.ctx.region) || !inst.reachable || inst.state === 'pending') {
      return { ok: false, reason: 'Target.Timeout' };
    }
    const listening = ['starting', 'running', 'stopping'].includes(inst.node.status);
    const fault = this.ctx.world.faults.albProbe(this.ctx.region, inst.id);
    // [Troubleshoot] a security group or network ACL that does not let the load balancer's health checks
    // reach the target on the health check port makes them time out (Target.Timeout), however well the node
    // itself is: the ALB calls a ready node unhealthy.
    if (fault === 'fail') return { ok: false, reason: 'Target.Timeout' };
    // [HealthChecks] a check succeeds when the health check path answers with a code the Matcher accepts: a
    // path that answers 200 as soon as the router listens makes the ALB call a node healthy before
    // Artifactory is ready.
    if (fault === 'pass' && listening) return { ok: true };
    if (inst.node.routerHealthy()) return { ok: true };
    // A started router answers 503 when a local service is unhealthy ([RouterHealth]); with Artifactory not
    // running nothing listens on the port and the connection fails.
    return { ok: false, reason: listening ? 'Target.ResponseCodeMismatch' : 'Target.FailedHealthChecks' };
  }

  /**
   * [HealthChecks] a new target is healthy after one passing check; afterwards UnhealthyThresholdCount consecutive
   * failures take it out of service and HealthyThresholdCount consecutive successes put it back.
   */
  private apply(g: Group, t: Target, probe: Probe): void {
    const { healthyThresholdCount, unhealthyThresholdCount } = g.spec;
    if (probe.ok) {
      t.failures = 0;
      if (t.state === 'initial') {
        t.successes = 0;
        this.set(g, t, 'healthy', undefined);
      } else if (t.state === 'unhealthy') {
        t.successes++;
        if (t.successes >= healthyThresholdCount) {
          t.successes = 0;
          this.set(g, t, 'healthy', undefined);
        }
      }
      return;
    }
    t.successes = 0;
    if (t.state === 'unhealthy') {
      // Still failing: the latest failure is the one reported.
      t.reason = probe.reason;
      t.description = DESCRIPTIONS[probe.reason];
      return;
    }
    t.failures++;
    if (t.failures >= unhealthyThresholdCount) {
      t.failures = 0;
      this.set(g, t, 'unhealthy', probe.reason);
    } else if (t.state === 'initial' && t.reason === 'Elb.RegistrationInProgress') {
      // [TargetHealth] Elb.InitialHealthChecking: "still sending the target the minimum number of health checks".
      this.set(g, t, 'initial', 'Elb.InitialHealthChecking');
    }
  }

  private set(
    g: Group,
    t: Target,
    state: TargetHealthState,
    reason: Reason | undefined,
    description?: string,
  ): void {
    const before = t.state;
    t.state = state;
    t.reason = reason;
    t.description = reason ? (description ?? DESCRIPTIONS[reason]) : undefined;
    if (before !== state) {
      this.ctx.timeline.add(
        this.ctx.region,
        'elb',
        `${t.id} in ${g.name}: ${before} -> ${state}${reason ? ` (${reason})` : ''}`,
      );
    }
  }

  // ---------------------------------------------------------------- metrics

  private publishMetrics(): void {
    if (this.ctx.world.faults.isRegionDown(this.ctx.region)) return;
    const cw = this.ctx.world.region(this.ctx.region).cloudwatch;
    for (const g of this.groups.values()) {
      let healthy = 0;
      let unhealthy = 0;
      for (const t of g.targets.values()) {
        if (t.state === 'healthy') healthy++;
        else if (t.state === 'unhealthy') unhealthy++;
      }
      const dimensions = { TargetGroup: g.dimension, LoadBalancer: this.loadBalancerDimension };
      cw.putMetric('AWS/ApplicationELB', 'HealthyHostCount', dimensions, healthy);
      cw.putMetric('AWS/ApplicationELB', 'UnHealthyHostCount', dimensions, unhealthy);
    }
  }

  // ---------------------------------------------------------------- describe

  private describeTargetHealth(input: DescribeTargetHealthInput): DescribeTargetHealthOutput {
    const g = this.group(input.TargetGroupArn);
    if (input.Include !== undefined) {
      throw new NotModelledError('the twin does not model DescribeTargetHealth Include (anomaly detection)');
    }
    const describe = (id: string, port: number | undefined): TargetHealthDescription => {
      const t = g.targets.get(id);
      const health: TargetHealthDescription['TargetHealth'] = t
        ? {
            State: t.state,
            ...(t.reason ? { Reason: t.reason } : {}),
            ...(t.description ? { Description: t.description } : {}),
          }
        : // [TargetHealth] unused / Target.NotRegistered: "The target is not registered with the target group."
          {
            State: 'unused',
            Reason: 'Target.NotRegistered',
            Description: DESCRIPTIONS['Target.NotRegistered'],
          };
      return {
        Target: { Id: id, Port: t?.port ?? port ?? TARGET_PORT },
        HealthCheckPort: String(t?.port ?? port ?? TARGET_PORT),
        TargetHealth: health,
      };
    };
    if (input.Targets && input.Targets.length > 0) {
      return {
        TargetHealthDescriptions: input.Targets.map((t) => {
          if (!t.Id) throw validation('Target Id is required');
          // [DescribeTargetHealth] InvalidTarget: "The specified target does not exist".
          if (!this.instance(t.Id))
            throw invalidTarget(`The following targets are not valid instances: '${t.Id}'`);
          return describe(t.Id, t.Port);
        }),
      };
    }
    return { TargetHealthDescriptions: [...g.targets.keys()].map((id) => describe(id, undefined)) };
  }

  private describeTargetGroups(input: DescribeTargetGroupsInput): DescribeTargetGroupsOutput {
    if (input.LoadBalancerArn !== undefined && input.LoadBalancerArn !== this.loadBalancerArn) {
      throw new AwsError('LoadBalancerNotFound', `One or more load balancers not found`, { status: 400 });
    }
    let list = [...this.groups.values()];
    if (input.TargetGroupArns && input.TargetGroupArns.length > 0) {
      list = input.TargetGroupArns.map((arn) => this.group(arn));
    }
    if (input.Names && input.Names.length > 0) {
      list = input.Names.map((name) => {
        const g = list.find((x) => x.name === name);
        if (!g)
          throw new AwsError('TargetGroupNotFound', `One or more target groups not found`, { status: 400 });
        return g;
      });
    }
    return {
      TargetGroups: list.map(
        (g): SdkTargetGroup => ({
          TargetGroupArn: g.spec.arn,
          TargetGroupName: g.name,
          Protocol: 'HTTPS',
          Port: TARGET_PORT,
          HealthCheckProtocol: 'HTTPS',
          HealthCheckPort: 'traffic-port',
          HealthCheckEnabled: true,
          HealthCheckIntervalSeconds: g.spec.healthCheckIntervalSeconds,
          HealthCheckTimeoutSeconds: HEALTH_CHECK_TIMEOUT_SECONDS,
          HealthyThresholdCount: g.spec.healthyThresholdCount,
          UnhealthyThresholdCount: g.spec.unhealthyThresholdCount,
          HealthCheckPath: ALB_HEALTH_PATH,
          Matcher: { HttpCode: '200' },
          LoadBalancerArns: [this.loadBalancerArn],
          TargetType: 'instance',
          ProtocolVersion: 'HTTP1',
          IpAddressType: 'ipv4',
        }),
      ),
    };
  }
}
