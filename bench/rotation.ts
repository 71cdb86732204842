/**
 * A large certificate rotation on the twin (issue 13 item 7): one region of N InService nodes (default 500),
 * adopted with certificates the signer issued, TLS on; an operator renews all N, one seed. Measured, not
 * projected: every execution's history events (counted from the interpreter's events as AWS's history holds
 * them, sim/scenarios/history-events.ts), the state transitions of each node's child, the rotation's virtual
 * time against 1.1 × N × per-node / maxUnavailable, and the wall clock of the run. `--rotation-ca` also runs a
 * CA rotation of the same nodes (two rolling passes) on the same twin.
 *
 * The world scales through options only (the twin's defaults are untouched): a config of the first region
 * alone, `members: N − 1`, and a license pool of N (JFrog: one license per node; the twin's default is 6).
 */
import { performance } from 'node:perf_hooks';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { pkiKey } from '../functions/core/keys';
import { loadConfig } from '../infra/config/load';
import type { Config } from '../infra/config/schema';
import type { ExecutionRecord } from '../sim/core/world';
import {
  adoptEveryRegion,
  childrenOf,
  NODE_TRANSITION_BUDGET,
  ownTransitions,
  PER_NODE_SECONDS,
  settledCluster,
  startRotation,
} from '../sim/scenarios/cert-rotation';
import { HISTORY_EVENT_LIMIT, historyEvents } from '../sim/scenarios/history-events';
import { thePrimary } from '../sim/scenarios/primary-failover';
import { family } from '../sim/scene-summary';
import { EXAMPLE_CONFIG, Twin } from '../sim/twin';
import { type BenchSection, type Budget, table } from './types';

export interface RotationBenchOptions {
  /** Nodes in the cluster (a primary and N − 1 members), all renewed. */
  readonly nodes: number;
  /** Also rotate the CA (generation 1 → 2) over the same nodes after the renewal. */
  readonly ca: boolean;
  readonly seed?: number;
}

const SOURCE = 'issue 13 item 7';
const HOUR = 3_600_000;

/** The example config cut to its first region (the bench measures one region's cluster). */
function oneRegion(config: Config): Config {
  return { ...config, regions: config.regions.slice(0, 1) };
}

/** Per state machine: executions, the largest history (events) and which execution it was. */
export interface HistoryRow {
  readonly stateMachine: string;
  readonly executions: number;
  readonly largest: number;
  readonly where: string;
}

/** Every execution of `roots` and their `.sync` descendants, by state machine, with its largest history. */
export function historiesByMachine(roots: readonly ExecutionRecord[]): HistoryRow[] {
  const rows = new Map<string, { executions: number; largest: number; where: string }>();
  const visit = (e: ExecutionRecord) => {
    const n = historyEvents(e);
    const row = rows.get(e.stateMachine) ?? { executions: 0, largest: -1, where: '' };
    row.executions++;
    if (n > row.largest) Object.assign(row, { largest: n, where: e.name });
    rows.set(e.stateMachine, row);
    for (const c of e.children ?? []) visit(c);
  };
  for (const r of roots) visit(r);
  return [...rows.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([stateMachine, r]) => ({ stateMachine, ...r }));
}

/** One measured run (a renewal, or a CA rotation of two passes). */
export interface PassFigures {
  readonly label: string;
  readonly status: string;
  readonly nodes: number;
  readonly children: number;
  readonly virtualMs: number;
  readonly boundMs: number;
  readonly wallMs: number;
  /** The costliest child with its node commands (what the scenes hold to NODE_TRANSITION_BUDGET). */
  readonly worstNodeTransitions: number;
  /** Every transition of the run (parent, census probe, every child and its node commands) over its nodes. */
  readonly allInPerNode: number;
  readonly histories: HistoryRow[];
}

async function measure(
  twin: Twin,
  label: string,
  name: string,
  input: Record<string, unknown>,
  nodes: number,
  passes: number,
): Promise<PassFigures> {
  const maxUnavailable = twin.world.config.certificates.maxUnavailable;
  const boundMs = (1.1 * passes * nodes * PER_NODE_SECONDS * 1000) / maxUnavailable;
  const wall = performance.now();
  const started = twin.world.clock.now();
  // Waits past the bound (a slow run is measured, not cut short): twice the bound, at least 3 hours.
  const e = await startRotation(twin, name, input, Math.max(2 * boundMs, 3 * HOUR));
  const children = childrenOf(e);
  return {
    label,
    status: `${e.status}${e.error ? ` (${e.error}: ${(e.cause ?? '').slice(0, 200)})` : ''}`,
    nodes,
    children: children.length,
    virtualMs: (e.stoppedAt ?? twin.world.clock.now()) - started,
    boundMs,
    wallMs: performance.now() - wall,
    worstNodeTransitions: Math.max(0, ...children.map(ownTransitions)),
    allInPerNode: family(e).reduce((n, x) => n + x.transitions, 0) / (nodes * passes),
    histories: historiesByMachine([e]),
  };
}

/** From this many nodes on, the all-in transitions per node are held to NODE_TRANSITION_BUDGET. */
const ALL_IN_MIN_NODES = 100;

const hours = (ms: number) => `${(ms / HOUR).toFixed(2)} h`;
const wallText = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;

export async function rotationSection(options: RotationBenchOptions): Promise<BenchSection> {
  const n = options.nodes;
  if (!Number.isInteger(n) || n < 3) throw new Error(`rotation: at least 3 nodes (got ${n})`);
  const seed = options.seed ?? 1;
  const base = oneRegion(loadConfig(EXAMPLE_CONFIG));
  const config: Config = options.ca
    ? { ...base, certificates: { ...base.certificates, ca: { ...base.certificates.ca, generation: 2 } } }
    : base;
  const wallStart = performance.now();
  const twin = await Twin.start({
    seed,
    config,
    members: n - 1,
    tls: 'on',
    async prepare(t) {
      for (const region of t.world.regionNames) t.world.region(region).ec2.licenseCount = n;
      if (options.ca) await pinGenerationOne(t);
      await adoptEveryRegion(t);
    },
  });
  const passes: PassFigures[] = [];
  let setupMs = 0;
  try {
    const ids = await settledCluster(twin, n);
    setupMs = performance.now() - wallStart;
    process.stderr.write(`bench: rotation: ${n} nodes adopted and serving (${wallText(setupMs)} wall)\n`);
    const primary = thePrimary(twin);
    passes.push(
      await measure(
        twin,
        `renewal of ${n}`,
        'bench-renew',
        { trigger: 'manual', reason: `bench: renew ${n} nodes`, nodes: ids },
        n,
        1,
      ),
    );
    process.stderr.write(
      `bench: rotation: renewal ${passes[0]?.status} (${wallText(passes[0]?.wallMs ?? 0)} wall)\n`,
    );
    if (options.ca) {
      passes.push(
        await measure(
          twin,
          `CA rotation of ${n} (two passes)`,
          'bench-ca',
          { trigger: 'manual', reason: `bench: rotate the CA of ${n} nodes`, caRotation: true },
          n,
          2,
        ),
      );
    }
    if (thePrimary(twin) !== primary) throw new Error('rotation: the primary changed during the rotation');
    twin.invariants.check();
  } finally {
    await twin.stop();
  }
  const violations = twin.invariants.violations;
  const wallMs = performance.now() - wallStart;
  return renderRotation(options, {
    passes,
    setupMs,
    wallMs,
    violations: violations.length,
    violationText: violations.slice(0, 3).map((v) => `${v.invariant}: ${v.message ?? ''}`.slice(0, 200)),
  });
}

/** The premise of a CA rotation: the cluster ran generation 1 before generation 2 was deployed. */
async function pinGenerationOne(twin: Twin): Promise<void> {
  for (const region of twin.world.regionNames) {
    const doc = DynamoDBDocumentClient.from(twin.dynamo.client(region));
    await doc.send(
      new PutCommand({
        TableName: twin.layout.regions.get(region)?.stateTable,
        Item: { ...pkiKey(twin.world.config.cluster.name), active: 1, trusted: [1], version: 1 },
      }),
    );
  }
}

/** The section from the measured runs (exported for its unit test). */
export function renderRotation(
  options: RotationBenchOptions,
  run: {
    passes: PassFigures[];
    setupMs: number;
    wallMs: number;
    violations: number;
    violationText: string[];
  },
): BenchSection {
  const budgets: Budget[] = [];
  for (const p of run.passes) {
    const largest = Math.max(...p.histories.map((h) => h.largest));
    budgets.push(
      {
        name: `${p.label}: succeeded, every node renewed (nodes not renewed)`,
        value: p.status === 'SUCCEEDED' && p.children >= p.nodes ? 0 : p.nodes,
        limit: 0,
        source: SOURCE,
      },
      {
        name: `${p.label}: largest execution history (events)`,
        value: largest,
        limit: HISTORY_EVENT_LIMIT - 1,
        source: `${SOURCE} (under 25,000)`,
      },
      {
        name: `${p.label}: transitions per node (child + its node commands), largest`,
        value: p.worstNodeTransitions,
        limit: NODE_TRANSITION_BUDGET,
        source: SOURCE,
      },
      {
        name: `${p.label}: rotation time (virtual hours)`,
        value: Number((p.virtualMs / HOUR).toFixed(2)),
        limit: Number((p.boundMs / HOUR).toFixed(2)),
        source: `${SOURCE} (1.1 × N × (drain + restart + verify) / maxUnavailable)`,
      },
    );
  }
  // All in: the parent's fixed part (lease, census, report) is spread over the nodes, so only from 100 nodes on
  // is the figure a node's cost rather than the run's overhead.
  if (options.nodes >= ALL_IN_MIN_NODES) {
    for (const p of run.passes) {
      budgets.push({
        name: `${p.label}: all-in transitions per node (whole run / nodes, N ≥ ${ALL_IN_MIN_NODES}: parent's fixed part amortized)`,
        value: Number(p.allInPerNode.toFixed(1)),
        limit: NODE_TRANSITION_BUDGET,
        source: SOURCE,
      });
    }
  }
  budgets.push({
    name: `rotation of ${options.nodes}: invariant violations`,
    value: run.violations,
    limit: 0,
    source: SOURCE,
  });
  const markdown = [
    `One seed (${options.seed ?? 1}), one region of ${options.nodes} InService nodes (a primary and ${options.nodes - 1} members) adopted with`,
    "certificates the signer issued through the twin's KMS, TLS on, every invariant watched (the trust mesh among them); an",
    `operator renews all ${options.nodes} (maxUnavailable 1)${options.ca ? ', then rotates the CA (generation 1 → 2: trust both, re-issue every leaf, drop the old)' : ''}.`,
    "History events are counted from the interpreter's events as AWS's history holds them (an upper bound: every Task",
    'counted as `.sync`; sim/scenarios/history-events.ts); each child execution has its own history. The bound is',
    `1.1 × N × ${PER_NODE_SECONDS} s per pass (drain 300 + restart 180 + verify 30 + commands 60) / maxUnavailable.`,
    '',
    table(
      [
        'run',
        'status',
        'children',
        'virtual time',
        'bound',
        'transitions / node, max (child + commands)',
        'all-in / node',
        'wall clock',
      ],
      run.passes.map((p) => [
        p.label,
        p.status,
        String(p.children),
        hours(p.virtualMs),
        hours(p.boundMs),
        String(p.worstNodeTransitions),
        p.allInPerNode.toFixed(1),
        wallText(p.wallMs),
      ]),
    ),
    '',
    ...run.passes.flatMap((p) => [
      `History events per execution, ${p.label}:`,
      '',
      table(
        ['state machine', 'executions', 'largest history (events)', 'largest in'],
        p.histories.map((h) => [h.stateMachine, String(h.executions), String(h.largest), h.where]),
      ),
      '',
    ]),
    `Wall clock: ${wallText(run.wallMs)} in all, ${wallText(run.setupMs)} of it to start the twin and adopt the nodes.`,
    run.violations === 0
      ? 'No invariant was violated.'
      : `${run.violations} invariant violation(s): ${run.violationText.join('; ')}.`,
  ].join('\n');
  return {
    title: `Certificate rotation of ${options.nodes} nodes`,
    markdown,
    budgets,
    data: { options, ...run },
  };
}
