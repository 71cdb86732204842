/**
 * Idle cost per region per month (issue 12): synthesizes the example deployment, reads the templates
 * (health checks, alarms, keys, schedules, functions, log groups), measures an idle hour on the twin (what
 * the functions log and emit), and itemizes "now" (issue 15's alarms included) and "planned" (issue 13) against
 * the $7 budget; the routing machinery and the dashboard apart.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../infra/config/load';
import { witnessStackName } from '../infra/stacks/names';
import {
  type Assumptions,
  type CostLine,
  HOURS_PER_MONTH,
  idleCostNow,
  scheduledFunctions,
  type Template,
  total,
  unpricedTypes,
} from './idle-cost-model';
import { DASHBOARD_TYPE, dashboardLines } from './idle-dashboard';
import { splitRoutingMachinery } from './idle-routing';
import { type IdleHour, measureIdleHour } from './idle-twin';
import { PRICES } from './prices';
import { ROOT, synthOnce } from './synth';
import { type BenchSection, table } from './types';

export const IDLE_BUDGET_USD = 7;

/** What the templates and the twin cannot say, stated (see docs/performance.md, "Idle cost"). */
export const ASSUMPTIONS: Omit<Assumptions, 'keyYear'> = {
  // A warm watch makes two Describe calls in parallel and one PutMetricData; a warm sweep one
  // DescribeAutoScalingGroups and one GetItem. Rounded up from typical SDK round trips in-region.
  // The census's dispatch (daily, so never in the idle hour): a gate read and write, one StartExecution.
  // The routing Lambda in the hourly readiness evaluation (issue 14): readiness-target reads the state table;
  // assess reads its nodes, writes READINESS to every voter's routing table (cross-region) and publishes
  // RegionReady: 800 ms, the cross-region writes dominating.
  durationMs: { watch: 300, reconciler: 600, dispatch: 600, routing: 800 },
  // The weekly drill (a dry run of regional-failover, absent from the idle hour): the states a dry run enters in
  // statemachines/regional-failover.asl.json (PrepareRun, PlanRun, PlanVerdict, OutcomeDryRun, ConcludeRun,
  // ReportRun, RunOutcome, RunEnded), counted on the definition, not measured.
  transitionsPerRun: { 'regional-failover': 8 },
  // Its log lines (the decision and the start), stated: the idle hour has no census.
  statedLogBytes: { dispatch: 2_000 },
  // JSON log format: platform.start (~150 B) and platform.report with its X-Ray fields (~450 B).
  platformLogBytes: 600,
  // DynamoDB asks KMS for the table key at most once per sweep's GetItem (it caches it for minutes).
  kmsRequestsPerMonth: 8_760,
};

/**
 * Issue 13's census, not yet in the idle hour (it runs daily). Issue 15's alarms are in the templates now:
 * priced from them under "CloudWatch alarms".
 */
export const PLANNED: readonly CostLine[] = [
  {
    category: 'Step Functions',
    item: "issue 13: the daily census's cert-rotation run, nothing to renew (32 transitions: scene daily-certificate-census, seed 1)",
    quantity: 32 * 30,
    unit: 'transition',
    usdPerMonth: 32 * 30 * PRICES.sfnStandardTransition.usd,
  },
];

const usd = (n: number) => `$${n.toFixed(2)}`;

function itemized(lines: readonly CostLine[]): string {
  const categories = [...new Set(lines.map((l) => l.category))];
  const rows = categories.flatMap((c) => {
    const ls = lines.filter((l) => l.category === c);
    return [
      [`**${c}**`, '', '', `**${usd(total(ls))}**`],
      ...ls.map((l) => [
        l.item + (l.note ? ` (${l.note})` : ''),
        String(Number(l.quantity.toFixed(3))),
        l.unit,
        `$${l.usdPerMonth.toFixed(3)}`,
      ]),
    ];
  });
  return table(['item', 'quantity / month', 'unit', 'USD / month'], rows);
}

/** The Step Functions and Lambda cost of the twin's idle hour. */
function idleHourCost(idle: IdleHour, regional: Template): { usd: number; text: string } {
  let lambda = 0;
  for (const f of scheduledFunctions(regional)) {
    const n = idle.functions[f.service]?.invocations ?? 0;
    const ms = ASSUMPTIONS.durationMs[f.service] ?? 0;
    lambda +=
      n * PRICES.lambdaRequest.usd +
      n *
        (ms / 1000) *
        (f.memoryMb / 1024) *
        (f.arm ? PRICES.lambdaArmGbSecond.usd : PRICES.lambdaX86GbSecond.usd);
  }
  const sfn = idle.stateTransitions * PRICES.sfnStandardTransition.usd;
  const invocations = Object.entries(idle.functions)
    .map(([name, f]) => `${name} ${f.invocations}`)
    .join(', ');
  return {
    usd: lambda + sfn,
    text: `One idle hour on the twin: ${idle.executions} executions, ${idle.stateTransitions} state transitions ($${sfn.toFixed(5)}); Lambda invocations ${invocations} ($${lambda.toFixed(5)}, durations stated).`,
  };
}

export async function idleCostSection(): Promise<BenchSection> {
  const { outdir } = synthOnce();
  const templates = readdirSync(outdir)
    .filter((f) => f.endsWith('.template.json'))
    .map((f) => ({ file: f, t: JSON.parse(readFileSync(path.join(outdir, f), 'utf8')) as Template }));
  // cdk.json synthesizes the example config: the same file names the stacks and the routing alarms.
  const config = loadConfig(path.join(ROOT, 'infra/config/example.yaml'));
  const isGlobal = (t: Template) =>
    Object.values(t.Resources).some((r) => r.Type === 'AWS::Route53::HealthCheck');
  const isWitness = (file: string) => file.startsWith(`${witnessStackName(config)}.`);
  const global = templates.filter((x) => isGlobal(x.t));
  const witness = templates.find((x) => isWitness(x.file));
  const regional = templates.filter((x) => !isGlobal(x.t) && !isWitness(x.file));
  if (global.length !== 1 || regional.length === 0)
    throw new Error(
      `expected one global stack and regional stacks in ${outdir}: ${templates.map((x) => x.file)}`,
    );
  const idle = await measureIdleHour();
  // The twin measures its first region: price that region's stack.
  const mine = regional.find((x) => x.file.includes(`-${idle.region}.`)) ?? regional[0];
  const inputs = {
    regional: mine?.t as Template,
    global: global[0]?.t as Template,
    regions: regional.length,
    idle,
  };
  // The budget holds in every year of the first seven (the keys' worst month of each year); the steady state,
  // once every rotating key has had its two billed rotations, is shown beside it.
  const years = [1, 2, 3, 4, 5, 6, 7];
  // The routing machinery (issue 14) is reported apart from the control plane's budget, as the issue asks.
  const costIn = (keyYear: number) => {
    const all = idleCostNow({ ...inputs, assumptions: { ...ASSUMPTIONS, keyYear } });
    const { controlPlane: now, routing } = splitRoutingMachinery(all, {
      regional: inputs.regional,
      global: inputs.global,
      witness: witness?.t,
      regions: inputs.regions,
      config,
      region: idle.region,
    });
    const allIn = total(now) + total(PLANNED);
    return { keyYear, now: total(now), allIn, routing: total(routing), lines: now, routingLines: routing };
  };
  const byYear = years.map(costIn);
  const first = byYear[0] as ReturnType<typeof costIn>;
  const worst = byYear.reduce((a, b) => (b.allIn > a.allIn ? b : a));
  const late = costIn(40);
  const hour = idleHourCost(idle, inputs.regional);
  const dashboards = dashboardLines(inputs.regional);
  // The dashboard is priced apart (bench/idle-dashboard.ts).
  const unpriced = unpricedTypes(templates.map((x) => x.t)).filter((t) => t !== DASHBOARD_TYPE);

  const markdown = [
    `One region of the example deployment (${regional.length} regions) idle for a month (${HOURS_PER_MONTH} h), at list prices (bench/prices.ts; no free tier subtracted). Resources come from the synthesized templates (${mine?.file}, the global stack's health checks and the witness's routing table shared by ${regional.length}); what the functions log and emit comes from one idle hour on the twin (${idle.region}, seed 1, after 10 minutes of warm-up); durations are stated. docs/performance.md says what each dollar buys.`,
    '',
    '### Now (the templates), the keys’ worst year of their first seven',
    '',
    itemized(first.lines),
    '',
    '### The routing machinery per region (issue 14), apart from the budget',
    '',
    `Route 53 health checks of the global stack by type (each region's record: an HTTPS endpoint check, one CloudWatch-alarm check per switch copy, one calculated check; shared by ${regional.length}), the switch alarm copies this region holds (every region's switch), the region's degraded alarm (metric math over its ALB: each metric billed) and readiness alarm, and the routing tables (this region's and a share of the witness's).`,
    '',
    itemized(first.routingLines),
    '',
    '### The dashboard (issue 15), apart from the budget',
    '',
    'One CloudWatch dashboard per region, built from the alarms\u2019 names. CloudWatch bills $3 per dashboard a month beyond an account\u2019s first three (of up to 50 metrics each): flagged here, outside the budget, like the routing machinery.',
    '',
    dashboards.length > 0 ? itemized(dashboards) : 'No dashboard (`operations.dashboard: false`).',
    '',
    '### Planned (issue 13)',
    '',
    itemized(PLANNED),
    '',
    '### Totals',
    '',
    table(
      [
        'year of the keys',
        'now',
        'planned',
        'all-in',
        `within $${IDLE_BUDGET_USD}`,
        'routing machinery',
        'with the routing machinery',
        'and the dashboard',
      ],
      [...byYear, { ...late, keyYear: Number.NaN }].map((y) => [
        Number.isNaN(y.keyYear) ? 'steady state (two rotations billed)' : String(y.keyYear),
        usd(y.now),
        usd(total(PLANNED)),
        usd(y.allIn),
        y.allIn <= IDLE_BUDGET_USD ? 'yes' : '**no**',
        usd(y.routing),
        usd(y.allIn + y.routing),
        usd(y.allIn + y.routing + total(dashboards)),
      ]),
    ),
    '',
    late.allIn > worst.allIn
      ? `A rotating key's first two rotations add $1 a month each (later ones nothing). The control-plane key rotates every \`encryption.keyRotationDays\` (default 2,560 days, AWS's longest): the budget holds over its first seven years; once both billed rotations have happened the all-in figure is ${usd(late.allIn)}. At a 365-day period that happens in the third year.`
      : 'No key has a billed rotation: the figure is the same every year.',
    '',
    hour.text,
    '',
    unpriced.length === 0
      ? 'Every resource type in the templates is either priced above or free while idle (bench/idle-cost-model.ts).'
      : `**Not priced** (counted as $0 idle until the model knows them): ${unpriced.join(', ')}.`,
  ].join('\n');

  return {
    title: 'Idle cost',
    markdown,
    budgets: [
      {
        name: 'idle cost per region per month, all-in without the routing machinery, worst year of the first seven (USD)',
        value: Number(worst.allIn.toFixed(2)),
        limit: IDLE_BUDGET_USD,
        source: 'issue 12 goal 4',
      },
    ],
    data: {
      idle,
      byYear,
      planned: PLANNED,
      routingMachinery: { usdPerMonth: first.routing, lines: first.routingLines },
      dashboard: { usdPerMonth: total(dashboards), lines: dashboards },
      assumptions: ASSUMPTIONS,
      idleHourUsd: hour.usd,
      unpriced,
    },
  };
}
