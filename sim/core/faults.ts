import type { FaultsView, ServiceName } from './contracts';
import { AwsError, throttling } from './errors';
import {
  type AlbHealthFault,
  type ApiFault,
  type Caller,
  CERTIFICATE_FAULT_KINDS,
  type CertificateFaultKind,
  type Counted,
  checkAmount,
  checkRegion,
  DEFAULT_WRONG_IP,
  describe,
  LAMBDA_FAULT_MODES,
  type LambdaFaultMode,
  type SsmFaultOutcome,
} from './fault-kinds';
import type { Rng } from './rng';
import type { Timeline } from './timeline';

export type {
  AlbHealthFault,
  Caller,
  CertificateFaultKind,
  LambdaFaultMode,
  SsmFaultOutcome,
} from './fault-kinds';

/**
 * Injected faults. Services consult them (FaultsView); the world's API entry point applies the API ones.
 * Every fault is recorded on the timeline when injected and when it bites.
 */
export class Faults implements FaultsView {
  private readonly regionsDown = new Set<string>();
  private readonly azsDown = new Set<string>();
  private readonly apiFaults: ApiFault[] = [];
  private readonly ssmFaults: Counted<{
    region: string;
    document: string | '*';
    instanceId: string | '*';
    outcome: SsmFaultOutcome;
  }>[] = [];
  private readonly ssmDelays: Counted<{
    region: string;
    document: string | '*';
    instanceId: string | '*';
    delayMs: number;
  }>[] = [];
  private readonly lambdaFaults: (Counted<{
    region: string | '*';
    functionName: string | '*';
    mode: LambdaFaultMode;
  }> & { readonly fraction: number; skip: number })[] = [];
  private readonly albFaults: { region: string; instanceId: string | '*'; mode: AlbHealthFault }[] = [];
  private readonly eventFaults: Counted<{
    region: string | '*';
    detailType: string | '*';
    mode: 'lose' | 'duplicate' | 'delay';
    delayMs: number;
  }>[] = [];
  private readonly bootStalls: Counted<{ region: string }>[] = [];
  private readonly certificateFaults: Counted<{
    region: string;
    instanceId: string;
    kind: CertificateFaultKind;
    ip: string;
  }>[] = [];
  private readonly albsLost = new Set<string>();
  private readonly brownouts = new Map<string, number>();
  private readonly cwLost = new Set<string>();
  private readonly ingestionDelays = new Map<string, number>();
  private route53ApiDown = false;
  private readonly replicationLags = new Map<string, number>();

  constructor(
    private readonly rng: Rng,
    private readonly timeline: Timeline,
  ) {}

  // ---- region and AZ loss

  regionDown(region: string): void {
    this.regionsDown.add(region);
    this.timeline.add(
      region,
      'fault',
      `region ${region} lost: its APIs fail and its endpoints fail health checks`,
    );
  }

  regionUp(region: string): void {
    this.regionsDown.delete(region);
    this.timeline.add(region, 'fault', `region ${region} recovered`);
  }

  isRegionDown(region: string): boolean {
    return this.regionsDown.has(region);
  }

  azDown(region: string, az: string): void {
    this.azsDown.add(`${region}/${az}`);
    this.timeline.add(region, 'fault', `AZ ${az} lost: its instances are unreachable`);
  }

  azUp(region: string, az: string): void {
    this.azsDown.delete(`${region}/${az}`);
    this.timeline.add(region, 'fault', `AZ ${az} recovered`);
  }

  isAzDown(region: string, az: string): boolean {
    return this.regionsDown.has(region) || this.azsDown.has(`${region}/${az}`);
  }

  // ---- API faults

  /** Throttle calls: the next `times` calls, or a `fraction` of calls until cleared. */
  throttle(opts: {
    service: ServiceName;
    action?: string;
    region?: string;
    caller?: Caller;
    /** Only calls on this resource (the function name for `lambda:Invoke`). */
    resource?: string;
    times?: number;
    fraction?: number;
  }): void {
    this.addApiFault(opts, (service, action) => throttling(service, action));
    this.timeline.add(
      opts.region ?? '*',
      'fault',
      `throttling ${opts.service}:${opts.action ?? '*'}${opts.resource ? ` on ${opts.resource}` : ''}${opts.caller ? ` (${opts.caller} calls)` : ''} (${describe(opts)})`,
    );
  }

  /** Fail calls with an AWS error of the given name (default InternalFailure, a 500). */
  fail(opts: {
    service: ServiceName;
    action?: string;
    region?: string;
    caller?: Caller;
    /** Only calls on this resource (the function name for `lambda:Invoke`). */
    resource?: string;
    times?: number;
    fraction?: number;
    errorName?: string;
    status?: number;
  }): void {
    const name = opts.errorName ?? 'InternalFailure';
    const status = opts.status ?? 500;
    this.addApiFault(
      opts,
      (service, action) => new AwsError(name, `injected failure of ${service}:${action}`, { status }),
    );
    this.timeline.add(
      opts.region ?? '*',
      'fault',
      `failing ${opts.service}:${opts.action ?? '*'}${opts.resource ? ` on ${opts.resource}` : ''}${opts.caller ? ` (${opts.caller} calls)` : ''} with ${name} (${describe(opts)})`,
    );
  }

  clearApiFaults(): void {
    this.apiFaults.length = 0;
  }

  /** Applied by the world to every API call; returns the error to throw, if any. */
  beforeCall(region: string, service: ServiceName, action: string, caller?: Caller): Error | undefined {
    if (service !== 'route53' && this.regionsDown.has(region)) {
      return new AwsError('ServiceUnavailable', `${service} in ${region} is unavailable (region lost)`, {
        status: 503,
      });
    }
    if (service === 'cloudwatch' && this.cwLost.has(region)) {
      return new AwsError('ServiceUnavailable', `cloudwatch in ${region} is unavailable (CloudWatch lost)`, {
        status: 503,
      });
    }
    for (const f of this.apiFaults) {
      if (f.remaining <= 0) continue;
      if (
        f.service !== service ||
        (f.action !== '*' && f.action !== action) ||
        (f.region !== '*' && f.region !== region) ||
        (f.caller !== '*' && f.caller !== caller) ||
        // A fault aimed at one resource bites only where the resource is known (beforeResourceCall).
        f.resource !== '*'
      )
        continue;
      if (f.fraction < 1 && !this.rng.chance(f.fraction)) continue;
      f.remaining--;
      return f.make(service, action);
    }
    return undefined;
  }

  /**
   * The API faults aimed at one resource (`resource` set), for a call on it: the services that know the resource
   * apply these on top of {@link beforeCall} (the twin's Lambda for `lambda:Invoke` on a function).
   */
  beforeResourceCall(
    region: string,
    service: ServiceName,
    action: string,
    resource: string,
  ): Error | undefined {
    if (this.regionsDown.has(region)) return undefined;
    for (const f of this.apiFaults) {
      if (f.remaining <= 0 || f.resource === '*' || f.resource !== resource) continue;
      if (
        f.service !== service ||
        (f.action !== '*' && f.action !== action) ||
        (f.region !== '*' && f.region !== region)
      )
        continue;
      if (f.fraction < 1 && !this.rng.chance(f.fraction)) continue;
      f.remaining--;
      return f.make(service, action);
    }
    return undefined;
  }

  private addApiFault(
    opts: {
      service: ServiceName;
      action?: string;
      region?: string;
      caller?: Caller;
      resource?: string;
      times?: number;
      fraction?: number;
    },
    make: ApiFault['make'],
  ): void {
    if (opts.caller !== undefined && opts.caller !== 'workflow' && opts.caller !== 'handler')
      throw new Error(`a fault's caller is workflow or handler (got ${opts.caller})`);
    if (opts.times === undefined && opts.fraction === undefined)
      throw new Error('a fault needs times or fraction');
    checkAmount(opts);
    this.apiFaults.push({
      service: opts.service,
      action: opts.action ?? '*',
      region: opts.region ?? '*',
      caller: opts.caller ?? '*',
      resource: opts.resource ?? '*',
      remaining: opts.times ?? Number.POSITIVE_INFINITY,
      fraction: opts.fraction ?? 1,
      make,
    });
  }

  // ---- SSM commands

  /** The next `times` invocations of a document (on an instance) end Failed or TimedOut. */
  ssmCommand(opts: {
    region: string;
    document?: string;
    instanceId?: string;
    times?: number;
    outcome: SsmFaultOutcome;
  }): void {
    checkAmount(opts);
    if (!['Failed', 'TimedOut', 'Hang'].includes(opts.outcome))
      throw new Error(`an SSM fault's outcome is Failed, TimedOut or Hang (got ${opts.outcome})`);
    this.ssmFaults.push({
      match: {
        region: opts.region,
        document: opts.document ?? '*',
        instanceId: opts.instanceId ?? '*',
        outcome: opts.outcome,
      },
      remaining: opts.times ?? 1,
    });
    this.timeline.add(
      opts.region,
      'fault',
      `next ${opts.times ?? 1} run(s) of ${opts.document ?? 'any document'} end ${opts.outcome}`,
    );
  }

  takeSsmFault(region: string, document: string, instanceId: string): SsmFaultOutcome | undefined {
    const f = this.ssmFaults.find(
      (x) =>
        x.remaining > 0 &&
        x.match.region === region &&
        (x.match.document === '*' || x.match.document === document) &&
        (x.match.instanceId === '*' || x.match.instanceId === instanceId),
    );
    if (!f) return undefined;
    f.remaining--;
    this.timeline.add(region, 'fault', `SSM ${document} on ${instanceId} forced to ${f.match.outcome}`);
    return f.match.outcome;
  }

  /**
   * The next `times` runs of a document (on an instance) are slow: the step takes `seconds` longer on the node
   * (a slow mirror, a JVM that takes long to stop) before doing its work. A run that outlasts the document's
   * execution timeout ends TimedOut (Execution Timed Out) and does nothing (sim/services/ssm.ts).
   */
  slowSsmCommand(opts: {
    region: string;
    document?: string;
    instanceId?: string;
    times?: number;
    seconds: number;
  }): void {
    if (!(opts.seconds > 0)) throw new Error(`a slow SSM command needs seconds > 0 (got ${opts.seconds})`);
    this.ssmDelays.push({
      match: {
        region: opts.region,
        document: opts.document ?? '*',
        instanceId: opts.instanceId ?? '*',
        delayMs: opts.seconds * 1000,
      },
      remaining: opts.times ?? 1,
    });
    this.timeline.add(
      opts.region,
      'fault',
      `next ${opts.times ?? 1} run(s) of ${opts.document ?? 'any document'} take ${opts.seconds} s longer`,
    );
  }

  takeSsmDelay(region: string, document: string, instanceId: string): number {
    const f = this.ssmDelays.find(
      (x) =>
        x.remaining > 0 &&
        x.match.region === region &&
        (x.match.document === '*' || x.match.document === document) &&
        (x.match.instanceId === '*' || x.match.instanceId === instanceId),
    );
    if (!f) return 0;
    f.remaining--;
    this.timeline.add(
      region,
      'fault',
      `SSM ${document} on ${instanceId} runs ${f.match.delayMs / 1000} s longer`,
    );
    return f.match.delayMs;
  }

  // ---- events

  /** The next `times` events (of a detail-type) are lost, duplicated or delayed. */
  event(opts: {
    region?: string;
    detailType?: string;
    mode: 'lose' | 'duplicate' | 'delay';
    times?: number;
    delayMs?: number;
  }): void {
    checkAmount(opts);
    if (!['lose', 'duplicate', 'delay'].includes(opts.mode))
      throw new Error(`an event fault's mode is lose, duplicate or delay (got ${opts.mode})`);
    if (opts.delayMs !== undefined && !(opts.delayMs > 0))
      throw new Error(`an event fault's delayMs must be positive (got ${opts.delayMs})`);
    this.eventFaults.push({
      match: {
        region: opts.region ?? '*',
        detailType: opts.detailType ?? '*',
        mode: opts.mode,
        delayMs: opts.delayMs ?? 60_000,
      },
      remaining: opts.times ?? 1,
    });
    this.timeline.add(
      opts.region ?? '*',
      'fault',
      `next ${opts.times ?? 1} ${opts.detailType ?? 'event'}(s): ${opts.mode}`,
    );
  }

  takeEventFault(
    region: string,
    detailType: string,
  ): { mode: 'lose' | 'duplicate' | 'delay'; delayMs: number } | undefined {
    const f = this.eventFaults.find(
      (x) =>
        x.remaining > 0 &&
        (x.match.region === '*' || x.match.region === region) &&
        (x.match.detailType === '*' || x.match.detailType === detailType),
    );
    if (!f) return undefined;
    f.remaining--;
    return { mode: f.match.mode, delayMs: f.match.delayMs };
  }

  // ---- Lambda invocations

  /**
   * The next `times` invocations (or a `fraction` of them, until cleared) of a function (by name, default
   * every function) fail as `mode` says, before the handler runs. Step Functions reports them by Lambda's
   * error names (Step Functions developer guide, "Handle Lambda service exceptions").
   */
  lambda(opts: {
    region?: string;
    functionName?: string;
    /** Let this many matching invocations through first (the fault bites the next ones). */
    skip?: number;
    times?: number;
    fraction?: number;
    mode: LambdaFaultMode;
  }): void {
    if (opts.times === undefined && opts.fraction === undefined)
      throw new Error('a fault needs times or fraction');
    checkAmount(opts);
    if (opts.skip !== undefined && !(Number.isInteger(opts.skip) && opts.skip >= 0))
      throw new Error(`a Lambda fault's skip must be a non-negative integer (got ${opts.skip})`);
    if (!LAMBDA_FAULT_MODES.includes(opts.mode))
      throw new Error(`a Lambda fault's mode is one of ${LAMBDA_FAULT_MODES.join(', ')} (got ${opts.mode})`);
    this.lambdaFaults.push({
      match: { region: opts.region ?? '*', functionName: opts.functionName ?? '*', mode: opts.mode },
      remaining: opts.times ?? Number.POSITIVE_INFINITY,
      fraction: opts.fraction ?? 1,
      skip: opts.skip ?? 0,
    });
    this.timeline.add(
      opts.region ?? '*',
      'fault',
      `Lambda ${opts.functionName ?? 'any function'}: ${opts.mode} (${opts.skip ? `after ${opts.skip} invocation(s), ` : ''}${describe(opts)})`,
    );
  }

  clearLambdaFaults(): void {
    this.lambdaFaults.length = 0;
  }

  /** Consumes one Lambda fault matching the function, if any (applied by the twin's Lambda). */
  takeLambdaFault(region: string, functionName: string): LambdaFaultMode | undefined {
    for (const f of this.lambdaFaults) {
      if (f.remaining <= 0) continue;
      if (f.match.region !== '*' && f.match.region !== region) continue;
      if (f.match.functionName !== '*' && f.match.functionName !== functionName) continue;
      if (f.skip > 0) {
        f.skip--;
        continue;
      }
      if (f.fraction < 1 && !this.rng.chance(f.fraction)) continue;
      f.remaining--;
      this.timeline.add(region, 'fault', `invocation of ${functionName}: ${f.match.mode} (injected)`);
      return f.match.mode;
    }
    return undefined;
  }

  // ---- ALB health checks

  /**
   * From now until cleared, the ALB's health checks of a target (default every target in the region)
   * disagree with the node as `mode` says (see {@link AlbHealthFault}).
   */
  albHealth(opts: { region: string; instanceId?: string; mode: AlbHealthFault }): void {
    if (opts.mode !== 'fail' && opts.mode !== 'pass')
      throw new Error(`an ALB health fault's mode is fail or pass (got ${opts.mode})`);
    this.albFaults.push({ region: opts.region, instanceId: opts.instanceId ?? '*', mode: opts.mode });
    this.timeline.add(
      opts.region,
      'fault',
      opts.mode === 'fail'
        ? `the ALB's health checks cannot reach ${opts.instanceId ?? 'any target'} (security group / listener fault)`
        : `the ALB's health path answers 200 on ${opts.instanceId ?? 'every target'} as soon as its router listens`,
    );
  }

  /** Ends the ALB health faults of a region (of one target, when given). */
  clearAlbHealth(region: string, instanceId?: string): void {
    for (let i = this.albFaults.length - 1; i >= 0; i--) {
      const f = this.albFaults[i];
      if (f?.region === region && (instanceId === undefined || f.instanceId === instanceId))
        this.albFaults.splice(i, 1);
    }
    this.timeline.add(
      region,
      'fault',
      `the ALB's health checks of ${instanceId ?? 'every target'} are normal again`,
    );
  }

  /** The health-check fault on a target, if any (the latest injected wins). */
  albProbe(region: string, instanceId: string): AlbHealthFault | undefined {
    for (let i = this.albFaults.length - 1; i >= 0; i--) {
      const f = this.albFaults[i];
      if (f?.region === region && (f.instanceId === '*' || f.instanceId === instanceId)) return f.mode;
    }
    return undefined;
  }

  // ---- boots

  /** The next `times` instances launched in the region never become ready. */
  stallNextBoots(region: string, times = 1): void {
    checkAmount({ times });
    this.bootStalls.push({ match: { region }, remaining: times });
    this.timeline.add(region, 'fault', `next ${times} boot(s) in ${region} stall`);
  }

  takeBootStall(region: string): boolean {
    const f = this.bootStalls.find((x) => x.remaining > 0 && x.match.region === region);
    if (!f) return false;
    f.remaining--;
    return true;
  }

  // ---- certificates on a node

  /**
   * A certificate fault on one node for its next `times` occasions (default 1): see CertificateFaultKind.
   * `ip` is the address a `csr-wrong-ip` CSR names (default 192.0.2.10). Bad options change nothing.
   */
  certificate(opts: {
    region: string;
    instanceId: string;
    kind: CertificateFaultKind;
    times?: number;
    ip?: string;
  }): void {
    checkAmount({ times: opts.times });
    if (!CERTIFICATE_FAULT_KINDS.includes(opts.kind)) {
      throw new Error(
        `unknown certificate fault ${opts.kind} (one of ${CERTIFICATE_FAULT_KINDS.join(', ')})`,
      );
    }
    const ip = opts.ip ?? DEFAULT_WRONG_IP;
    if (!/^[0-9]{1,3}(\.[0-9]{1,3}){3}$/.test(ip))
      throw new Error(`a csr-wrong-ip fault's ip must be an IPv4 address (got ${ip})`);
    const times = opts.times ?? 1;
    this.certificateFaults.push({
      match: { region: opts.region, instanceId: opts.instanceId, kind: opts.kind, ip },
      remaining: times,
    });
    this.timeline.add(
      opts.region,
      'fault',
      `${opts.kind} on ${opts.instanceId} for its next ${times} occasion(s)${opts.kind === 'csr-wrong-ip' ? ` (CSR names ${ip})` : ''}`,
    );
  }

  /** Consumes one certificate fault of this kind on the node, if any: the IP for csr-wrong-ip. */
  takeCertificateFault(
    region: string,
    instanceId: string,
    kind: CertificateFaultKind,
  ): { ip: string } | undefined {
    const f = this.certificateFaults.find(
      (x) =>
        x.remaining > 0 &&
        x.match.region === region &&
        x.match.instanceId === instanceId &&
        x.match.kind === kind,
    );
    if (!f) return undefined;
    f.remaining--;
    return { ip: f.match.ip };
  }

  // ---- regional faults (issue 14: the routing's failure modes; docs/twin.md, "Regional faults")

  /**
   * The region's Application Load Balancer is lost (until {@link albRestored}): Route 53's endpoint checks of it
   * time out and its AWS/ApplicationELB metrics stop, while the nodes behind it and the region's APIs are fine.
   */
  albLost(region: string): void {
    checkRegion(region);
    this.albsLost.add(region);
    this.timeline.add(
      region,
      'fault',
      `the ALB in ${region} is lost: health checks time out, its metrics stop`,
    );
  }

  albRestored(region: string): void {
    checkRegion(region);
    this.albsLost.delete(region);
    this.timeline.add(region, 'fault', `the ALB in ${region} answers again`);
  }

  isAlbLost(region: string): boolean {
    return this.regionsDown.has(region) || this.albsLost.has(region);
  }

  /**
   * A brownout: from now until {@link clearBrownout}, a `share` (0-1] of the requests the region's healthy
   * targets serve answer 5xx, while the health path (the ALB's and Route 53's checks) still answers 200.
   */
  brownout(opts: { region: string; share: number }): void {
    checkRegion(opts.region);
    if (!(opts.share > 0 && opts.share <= 1))
      throw new Error(`a brownout's share must be in (0, 1] (got ${opts.share})`);
    this.brownouts.set(opts.region, opts.share);
    this.timeline.add(
      opts.region,
      'fault',
      `brownout in ${opts.region}: ${Math.round(opts.share * 100)}% of requests answer 5xx, the health path 200`,
    );
  }

  clearBrownout(region: string): void {
    checkRegion(region);
    this.brownouts.delete(region);
    this.timeline.add(region, 'fault', `the brownout in ${region} ends`);
  }

  /** The share of requests answered 5xx in the region (0: none). */
  brownoutShare(region: string): number {
    return this.brownouts.get(region) ?? 0;
  }

  /**
   * The region's CloudWatch is lost (until {@link cloudWatchRestored}): its API fails with ServiceUnavailable, it
   * neither stores datapoints nor evaluates alarms, and Route 53 sees its alarms as insufficient data.
   */
  cloudWatchLost(region: string): void {
    checkRegion(region);
    this.cwLost.add(region);
    this.timeline.add(
      region,
      'fault',
      `CloudWatch in ${region} is lost: its API fails, Route 53 sees its alarms as insufficient data`,
    );
  }

  cloudWatchRestored(region: string): void {
    checkRegion(region);
    this.cwLost.delete(region);
    this.timeline.add(region, 'fault', `CloudWatch in ${region} is back`);
  }

  isCloudWatchLost(region: string): boolean {
    return this.regionsDown.has(region) || this.cwLost.has(region);
  }

  /**
   * CloudWatch in the region ingests late: from now until cleared (`seconds: 0`), every datapoint (published or an
   * AWS service's own) becomes visible to alarms and GetMetricStatistics only `seconds` after it arrives.
   */
  ingestionDelay(opts: { region: string; seconds: number }): void {
    checkRegion(opts.region);
    if (!(Number.isFinite(opts.seconds) && opts.seconds >= 0 && opts.seconds <= 3600))
      throw new Error(`an ingestion delay's seconds must be in [0, 3600] (got ${opts.seconds})`);
    if (opts.seconds === 0) this.ingestionDelays.delete(opts.region);
    else this.ingestionDelays.set(opts.region, opts.seconds * 1000);
    this.timeline.add(
      opts.region,
      'fault',
      opts.seconds === 0
        ? `CloudWatch in ${opts.region} ingests on time again`
        : `CloudWatch in ${opts.region} ingests datapoints ${opts.seconds} s late`,
    );
  }

  /** How late the region's CloudWatch makes new datapoints visible (ms, 0: on time). */
  ingestionDelayMs(region: string): number {
    return this.ingestionDelays.get(region) ?? 0;
  }

  /**
   * Route 53's API (its control plane in us-east-1) fails with ServiceUnavailable until restored, while health
   * checking and DNS answers (the data plane) go on.
   */
  route53ApiFailing(failing = true): void {
    this.route53ApiDown = failing;
    this.timeline.add(
      'us-east-1',
      'fault',
      failing
        ? "Route 53's API (control plane, us-east-1) fails; health checks and DNS go on"
        : "Route 53's API answers again",
    );
  }

  isRoute53ApiFailing(): boolean {
    return this.route53ApiDown || this.regionsDown.has('us-east-1');
  }

  /** Replication into the region lags by `minutes` (until cleared with 0): what its replication status reports. */
  replicationLag(opts: { region: string; minutes: number }): void {
    checkRegion(opts.region);
    if (!(Number.isFinite(opts.minutes) && opts.minutes >= 0))
      throw new Error(`a replication lag's minutes must be >= 0 (got ${opts.minutes})`);
    if (opts.minutes === 0) this.replicationLags.delete(opts.region);
    else this.replicationLags.set(opts.region, opts.minutes);
    this.timeline.add(
      opts.region,
      'fault',
      opts.minutes === 0
        ? `replication into ${opts.region} caught up`
        : `replication into ${opts.region} lags ${opts.minutes} min`,
    );
  }

  /** The injected replication lag of the region in minutes (0: none). */
  replicationLagMinutes(region: string): number {
    return this.replicationLags.get(region) ?? 0;
  }
}
