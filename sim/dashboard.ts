/**
 * The region's CloudWatch dashboard (infra/dashboard.ts's spec, the one CDK deploys) rendered as text from the
 * twin, for `npm start`: a metric widget shows each line's latest value, an alarm widget the alarms' states, a
 * log widget the latest lines its Logs Insights query selects (the sweep's `sweep census` lines).
 */
import {
  CENSUS_FIELDS,
  CENSUS_MESSAGE,
  type DashboardMetric,
  type DashboardSpec,
  dashboardSpec,
} from '../infra/dashboard';
import type { WorkflowName } from '../infra/operations';
import { regionalFailoverStateMachineName } from '../infra/regional-failover';
import { deadLetterQueueName } from '../infra/stacks/names';
import type { Twin } from './twin';

const MINUTE = 60_000;

/** The dashboard spec of `region` with the twin's deployed names. */
export function twinDashboardSpec(twin: Twin, region: string): DashboardSpec {
  const config = twin.world.config;
  const sfn = twin.sfnIn(region);
  return dashboardSpec(config, region, {
    functionName: (fn) => `${config.cluster.name}-${fn}`,
    stateMachineArn: (workflow: WorkflowName) =>
      sfn.arnOf(workflow === 'regional-failover' ? regionalFailoverStateMachineName(config) : workflow),
    queueName: deadLetterQueueName(config),
  });
}

/** A metric line's latest datapoint in the last hour, as GetMetricStatistics returns it. */
async function latest(
  twin: Twin,
  region: string,
  m: DashboardMetric,
): Promise<{ value: number; at: number } | undefined> {
  const now = twin.world.clock.now();
  const out = (await twin.world.call(region, 'cloudwatch', 'GetMetricStatistics', {
    Namespace: m.namespace,
    MetricName: m.metricName,
    Dimensions: Object.entries(m.dimensions).map(([Name, Value]) => ({ Name, Value })),
    StartTime: new Date(now - 60 * MINUTE),
    EndTime: new Date(now),
    Period: m.periodSeconds,
    Statistics: [m.stat],
  })) as { Datapoints?: ({ Timestamp?: Date } & Record<string, unknown>)[] };
  const points = (out.Datapoints ?? [])
    .map((d) => ({ value: Number(d[m.stat]), at: new Date(d.Timestamp ?? 0).getTime() }))
    .sort((a, b) => b.at - a.at);
  return points[0];
}

const hhmm = (at: number) => new Date(at).toISOString().slice(11, 16);

/** The captured log lines of a function whose `message` is `message`, newest first. */
function logLines(
  twin: Twin,
  region: string,
  fn: string,
  message: string,
): { at: number; doc: Record<string, unknown> }[] {
  const source = `lambda:${twin.world.config.cluster.name}-${fn}`;
  const found: { at: number; doc: Record<string, unknown> }[] = [];
  for (const o of twin.world.outputs) {
    if (o.region !== region || o.source !== source || !o.text.includes(message)) continue;
    try {
      const doc = JSON.parse(o.text) as Record<string, unknown>;
      if (doc.message === message) found.push({ at: o.at, doc });
    } catch {
      // not a structured line
    }
  }
  return found.reverse();
}

/** Renders the dashboard of `region` as text lines, at the twin's current time. */
export async function renderDashboard(twin: Twin, region: string): Promise<string[]> {
  const spec = twinDashboardSpec(twin, region);
  const cw = twin.world.region(region).cloudwatch;
  const lines = [`dashboard ${spec.name} at ${new Date(twin.world.clock.now()).toISOString()}`];
  for (const w of spec.widgets) {
    switch (w.type) {
      case 'text':
        lines.push(`  ${w.markdown.split('\n')[0]?.replace(/^#+\s*/, '')}`);
        break;
      case 'metric': {
        const values: string[] = [];
        for (const m of w.metrics) {
          const p = await latest(twin, region, m);
          if (p) values.push(`${m.label} ${p.value} (${hhmm(p.at)})`);
        }
        lines.push(`  ${w.title}: ${values.length > 0 ? values.join('; ') : 'no data in the last hour'}`);
        break;
      }
      case 'alarm': {
        const by = new Map<string, string[]>();
        for (const name of w.alarms) {
          const state = cw.alarmState(name) ?? 'NOT DEPLOYED';
          by.set(state, [...(by.get(state) ?? []), name]);
        }
        const ok = by.get('OK')?.length ?? 0;
        const rest = [...by.entries()]
          .filter(([s]) => s !== 'OK')
          .map(([s, names]) => `${s}: ${names.join(', ')}`);
        lines.push(`  ${w.title}: ${ok} OK${rest.length > 0 ? `; ${rest.join('; ')}` : ''}`);
        break;
      }
      case 'log': {
        const limit = Number(/limit (\d+)/.exec(w.query)?.[1] ?? 1);
        const census = logLines(twin, region, w.fn, CENSUS_MESSAGE).slice(0, limit);
        lines.push(`  ${w.title}:${census.length === 0 ? ' no line yet' : ''}`);
        for (const { at, doc } of census) {
          const fields = (doc.census ?? {}) as Record<string, unknown>;
          lines.push(
            `    ${hhmm(at)} ${CENSUS_FIELDS.map((f) => `${f}=${String(fields[f] ?? '')}`).join(' ')}`,
          );
        }
        break;
      }
    }
  }
  return lines;
}
