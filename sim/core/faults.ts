import type { FaultsView, ServiceName } from './contracts';
import { AwsError, throttling } from './errors';
import type { Rng } from './rng';
import type { Timeline } from './timeline';

interface ApiFault {
  readonly service: ServiceName;
  readonly action: string | '*';
  readonly region: string | '*';
  /** Remaining calls it applies to (Infinity for a fraction-based fault). */
  remaining: number;
  /** Probability per matching call (1 = every call while `remaining` lasts). */
  readonly fraction: number;
  readonly make: (service: ServiceName, action: string) => Error;
}

interface Counted<T> {
  readonly match: T;
  remaining: number;
}

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
    outcome: 'Failed' | 'TimedOut';
  }>[] = [];
  private readonly ssmDelays: Counted<{
    region: string;
    document: string | '*';
    instanceId: string | '*';
    delayMs: number;
  }>[] = [];
  private readonly eventFaults: Counted<{
    region: string | '*';
    detailType: string | '*';
    mode: 'lose' | 'duplicate' | 'delay';
    delayMs: number;
  }>[] = [];
  private readonly bootStalls: Counted<{ region: string }>[] = [];

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
    times?: number;
    fraction?: number;
  }): void {
    this.addApiFault(opts, (service, action) => throttling(service, action));
    this.timeline.add(
      opts.region ?? '*',
      'fault',
      `throttling ${opts.service}:${opts.action ?? '*'} (${describe(opts)})`,
    );
  }

  /** Fail calls with an AWS error of the given name (default InternalFailure, a 500). */
  fail(opts: {
    service: ServiceName;
    action?: string;
    region?: string;
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
      `failing ${opts.service}:${opts.action ?? '*'} with ${name} (${describe(opts)})`,
    );
  }

  clearApiFaults(): void {
    this.apiFaults.length = 0;
  }

  /** Applied by the world to every API call; returns the error to throw, if any. */
  beforeCall(region: string, service: ServiceName, action: string): Error | undefined {
    if (service !== 'route53' && this.regionsDown.has(region)) {
      return new AwsError('ServiceUnavailable', `${service} in ${region} is unavailable (region lost)`, {
        status: 503,
      });
    }
    for (const f of this.apiFaults) {
      if (f.remaining <= 0) continue;
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
    opts: { service: ServiceName; action?: string; region?: string; times?: number; fraction?: number },
    make: ApiFault['make'],
  ): void {
    if (opts.times === undefined && opts.fraction === undefined)
      throw new Error('a fault needs times or fraction');
    this.apiFaults.push({
      service: opts.service,
      action: opts.action ?? '*',
      region: opts.region ?? '*',
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
    outcome: 'Failed' | 'TimedOut';
  }): void {
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

  takeSsmFault(region: string, document: string, instanceId: string): 'Failed' | 'TimedOut' | undefined {
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

  // ---- boots

  /** The next `times` instances launched in the region never become ready. */
  stallNextBoots(region: string, times = 1): void {
    this.bootStalls.push({ match: { region }, remaining: times });
    this.timeline.add(region, 'fault', `next ${times} boot(s) in ${region} stall`);
  }

  takeBootStall(region: string): boolean {
    const f = this.bootStalls.find((x) => x.remaining > 0 && x.match.region === region);
    if (!f) return false;
    f.remaining--;
    return true;
  }
}

function describe(opts: { times?: number; fraction?: number; region?: string }): string {
  const parts = [];
  if (opts.times !== undefined) parts.push(`${opts.times} call(s)`);
  if (opts.fraction !== undefined) parts.push(`${Math.round(opts.fraction * 100)}% of calls`);
  parts.push(opts.region ? `in ${opts.region}` : 'in every region');
  return parts.join(', ');
}
