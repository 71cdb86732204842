/**
 * What the templates cannot say about an idle region, measured on the twin: which Lambdas run, what they log
 * (lines and bytes, the embedded-metric-format lines among them), which custom metrics they emit (distinct
 * namespace + name + dimensions) and how many PutMetricData calls reach CloudWatch, in one virtual hour of
 * an idle world (the example config, nothing failing, no operator). The nodes serve certificates the signer
 * issued and their records hold them (adopted as the certificate scenes do, TLS on), as every node's does once
 * node-bootstrap or a rotation has run: so the sweep publishes `CertificateDaysLeft`, as it does in service.
 */
import { adoptEveryRegion } from '../sim/scenarios/cert-rotation';
import { Twin } from '../sim/twin';

/** One Lambda's idle hour, by its handler directory (the Powertools service name). */
export interface FunctionIdleHour {
  readonly invocations: number;
  readonly logLines: number;
  readonly logBytes: number;
  /** Lines in embedded metric format (Powertools Metrics): CloudWatch Logs turns them into metrics. */
  readonly emfLines: number;
}

/** A custom metric series: each distinct one emitted in an hour is billed for that hour. */
export interface MetricSeries {
  readonly namespace: string;
  readonly name: string;
  /** Dimensions as `Name=Value`, sorted. */
  readonly dimensions: readonly string[];
  /** How it reached CloudWatch. */
  readonly via: 'PutMetricData' | 'EMF';
}

/** One region's idle hour on the twin. */
export interface IdleHour {
  readonly region: string;
  readonly hours: number;
  readonly functions: Readonly<Record<string, FunctionIdleHour>>;
  readonly series: readonly MetricSeries[];
  readonly putMetricDataCalls: number;
  readonly executions: number;
  readonly stateTransitions: number;
}

const MINUTE = 60_000;

type PutMetricDataInput = {
  Namespace?: string;
  MetricData?: { MetricName?: string; Dimensions?: { Name?: string; Value?: string }[] }[];
};

/** The series in one EMF line (Powertools writes one directive per line). */
export function emfSeries(line: string): MetricSeries[] {
  if (!line.includes('"_aws"')) return [];
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return [];
  }
  const aws = doc._aws as
    | { CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] }
    | undefined;
  return (aws?.CloudWatchMetrics ?? []).flatMap((d) =>
    d.Dimensions.flatMap((set) =>
      d.Metrics.map((m) => ({
        namespace: d.Namespace,
        name: m.Name,
        dimensions: set.map((k) => `${k}=${String(doc[k])}`).sort(),
        via: 'EMF' as const,
      })),
    ),
  );
}

const seriesKey = (s: MetricSeries) => `${s.namespace}|${s.name}|${s.dimensions.join(',')}|${s.via}`;

/**
 * Starts the twin (seed, example config), lets it settle for `warmupMinutes` (cold starts, the first sweep),
 * then measures `hours` of virtual time in the first region.
 */
export async function measureIdleHour(
  opts: { seed?: number; warmupMinutes?: number; hours?: number } = {},
): Promise<IdleHour> {
  const twin = await Twin.start({ seed: opts.seed ?? 1, tls: 'on', prepare: adoptEveryRegion });
  try {
    const { world } = twin;
    const region = world.regionNames[0] ?? '';
    const prefix = `${world.config.cluster.name}-`;
    const invocations = new Map<string, number>();
    const invoke = twin.lambda.invoke.bind(twin.lambda);
    let measuring = false;
    // Counts invocations per function in the measured window (the twin keeps no per-function count).
    twin.lambda.invoke = (arn: string, payload: unknown) => {
      const name = arn.replace(/^.*:function:/, '').replace(/:(\$LATEST|\d+)$/, '');
      if (measuring && arn.includes(`:${region}:`)) invocations.set(name, (invocations.get(name) ?? 0) + 1);
      return invoke(arn, payload);
    };
    // PutMetricData as it reaches CloudWatch (the API log records the call, not its input).
    const putInputs: PutMetricDataInput[] = [];
    const call = world.call.bind(world);
    world.call = (r, service, action, input) => {
      if (measuring && r === region && service === 'cloudwatch' && action === 'PutMetricData')
        putInputs.push(input as PutMetricDataInput);
      return call(r, service, action, input);
    };

    await twin.run((opts.warmupMinutes ?? 10) * MINUTE);
    const start = world.clock.now();
    const firstOutput = world.outputs.length;
    const firstExecution = world.executions.length;
    const firstCall = world.apiCalls.length;
    measuring = true;
    const hours = opts.hours ?? 1;
    await twin.run(hours * 60 * MINUTE);
    measuring = false;

    const functions: Record<string, FunctionIdleHour> = {};
    const entry = (name: string) => {
      const dir = name.startsWith(prefix) ? name.slice(prefix.length) : name;
      functions[dir] ??= { invocations: 0, logLines: 0, logBytes: 0, emfLines: 0 };
      return functions[dir] as { -readonly [K in keyof FunctionIdleHour]: number };
    };
    for (const [name, n] of invocations) entry(name).invocations += n;
    const series = new Map<string, MetricSeries>();
    for (const out of world.outputs.slice(firstOutput)) {
      if (out.region !== region || out.at < start) continue;
      const m = /^lambda:(.+?)(:output)?$/.exec(out.source);
      if (!m || m[2]) continue;
      const f = entry(m[1] ?? '');
      f.logLines += 1;
      // Lambda adds a newline to every line it ingests.
      f.logBytes += Buffer.byteLength(out.text) + 1;
      const found = emfSeries(out.text);
      if (found.length > 0) f.emfLines += 1;
      for (const s of found) series.set(seriesKey(s), s);
    }
    for (const input of putInputs) {
      for (const d of input.MetricData ?? []) {
        const s: MetricSeries = {
          namespace: input.Namespace ?? '',
          name: d.MetricName ?? '',
          dimensions: (d.Dimensions ?? []).map((x) => `${x.Name}=${x.Value}`).sort(),
          via: 'PutMetricData',
        };
        series.set(seriesKey(s), s);
      }
    }
    const executions = world.executions.slice(firstExecution).filter((e) => e.executionArn.includes(region));
    const putCalls = world.apiCalls
      .slice(firstCall)
      .filter((c) => c.region === region && c.service === 'cloudwatch' && c.action === 'PutMetricData');
    return {
      region,
      hours,
      functions,
      series: [...series.values()].sort((a, b) => seriesKey(a).localeCompare(seriesKey(b))),
      putMetricDataCalls: putCalls.length,
      executions: executions.length,
      stateTransitions: executions.reduce((n, e) => n + e.transitions, 0),
    };
  } finally {
    await twin.stop();
  }
}
