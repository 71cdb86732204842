/**
 * The routing machinery's share of a region's idle month (issue 14: "the cost of the routing machinery per
 * region"), split out of the control plane's lines: the global stack's Route 53 health checks by type (shared
 * equally by the regions), the switch alarm copies, the degraded and readiness alarms, and the routing tables
 * (the region's own and its share of the witness's). Pure: lines and templates in, two itemizations out.
 */
import type { Config } from '../infra/config/schema';
import { switchCopiesIn } from '../infra/regional-routing';
import { readinessAlarmName, regionDegradedAlarmName, routingTableName } from '../infra/stacks/names';
import { type CostLine, healthCheckLines, type Template, total } from './idle-cost-model';

export const ROUTING_CATEGORIES = {
  checks: 'Route 53 health checks (routing)',
  copies: 'Switch alarm copies',
  alarms: 'Degraded and readiness alarms',
  tables: 'Routing tables',
} as const;

/** Logical ids of the region's routing alarms, by kind, found by their names in the regional template. */
function routingAlarmIds(regional: Template, config: Config, region: string) {
  const copies = new Set(switchCopiesIn(config, region).map((c) => c.alarm.name));
  const others = new Set([regionDegradedAlarmName(config, region), readinessAlarmName(config, region)]);
  const ids = { copies: new Set<string>(), alarms: new Set<string>() };
  for (const [id, r] of Object.entries(regional.Resources)) {
    if (r.Type !== 'AWS::CloudWatch::Alarm') continue;
    const name = String(r.Properties?.AlarmName ?? '');
    if (copies.has(name)) ids.copies.add(id);
    else if (others.has(name)) ids.alarms.add(id);
  }
  const missing = copies.size + others.size - ids.copies.size - ids.alarms.size;
  if (missing !== 0) throw new Error(`${missing} routing alarm(s) of ${region} are not in its template`);
  return ids;
}

/** The health checks summed by what they are (type and features), each at its share per region. */
function checksByType(global: Template, share: number): CostLine[] {
  const byKind = new Map<string, CostLine>();
  for (const line of healthCheckLines(global, share)) {
    const kind = line.item.slice(line.item.indexOf(': ') + 2);
    const seen = byKind.get(kind);
    byKind.set(kind, {
      category: ROUTING_CATEGORIES.checks,
      item: kind,
      quantity: (seen?.quantity ?? 0) + line.quantity,
      unit: 'check',
      usdPerMonth: (seen?.usdPerMonth ?? 0) + line.usdPerMonth,
    });
  }
  return [...byKind.values()];
}

/** The routing tables: the region's own and its share of the witness's (on-demand, no request while idle). */
function tableLines(
  regional: Template,
  witness: Template | undefined,
  config: Config,
  regions: number,
): CostLine[] {
  const name = routingTableName(config);
  const isRouting = (t: Template) =>
    Object.values(t.Resources).some(
      (r) => r.Type === 'AWS::DynamoDB::GlobalTable' && r.Properties?.TableName === name,
    );
  if (!isRouting(regional)) throw new Error(`the regional template has no routing table ${name}`);
  const note =
    'on-demand: billed per request, none while idle; a few KB stored with point-in-time recovery round to $0.00';
  return [
    {
      category: ROUTING_CATEGORIES.tables,
      item: `${name} (this region)`,
      quantity: 1,
      unit: 'table',
      usdPerMonth: 0,
      note,
    },
    ...(witness !== undefined && isRouting(witness)
      ? [
          {
            category: ROUTING_CATEGORIES.tables,
            item: `${name} in the witness region ${config.failover.witnessRegion} (shared by ${regions})`,
            quantity: 1 / regions,
            unit: 'table',
            usdPerMonth: 0,
            note,
          },
        ]
      : []),
  ];
}

/**
 * Splits a region's idle lines into the control plane's and the routing machinery's: every Route 53 health
 * check and the routing alarms move to the routing machinery (re-itemized by type and kind), with the tables.
 */
export function splitRoutingMachinery(
  lines: readonly CostLine[],
  input: {
    readonly regional: Template;
    readonly global: Template;
    readonly witness: Template | undefined;
    readonly regions: number;
    readonly config: Config;
    readonly region: string;
  },
): { controlPlane: CostLine[]; routing: CostLine[] } {
  const ids = routingAlarmIds(input.regional, input.config, input.region);
  const alarmOf = (l: CostLine) => (l.category === 'CloudWatch alarms' ? l.item.split(' (')[0] : undefined);
  const controlPlane = lines.filter((l) => {
    const id = alarmOf(l);
    return l.category !== 'Route 53 health checks' && !(id && (ids.copies.has(id) || ids.alarms.has(id)));
  });
  const moved = (set: Set<string>, category: string) =>
    lines.filter((l) => set.has(alarmOf(l) ?? '')).map((l) => ({ ...l, category }));
  const routing = [
    ...checksByType(input.global, 1 / input.regions),
    ...moved(ids.copies, ROUTING_CATEGORIES.copies),
    ...moved(ids.alarms, ROUTING_CATEGORIES.alarms),
    ...tableLines(input.regional, input.witness, input.config, input.regions),
  ];
  const before = total(lines);
  const after = total(controlPlane) + total(routing);
  if (Math.abs(before - after) > 1e-9) {
    throw new Error(`splitting lost money: $${before.toFixed(4)} before, $${after.toFixed(4)} after`);
  }
  return { controlPlane, routing };
}
