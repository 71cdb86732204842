import {
  historiesByMachine,
  type PassFigures,
  renderRotation,
  rotationSection,
} from '../../../bench/rotation';
import { withinBudget } from '../../../bench/types';
import type { ExecutionRecord } from '../../../sim/core/world';

const task = (state: string) => ({
  at: 0,
  type: 'StateEntered',
  state,
  data: { state: { name: state, type: 'Task' } },
});

const exec = (
  name: string,
  stateMachine: string,
  tasks: number,
  children: ExecutionRecord[] = [],
): ExecutionRecord => ({
  executionArn: `arn:${name}`,
  name,
  stateMachine,
  region: 'eu-west-1',
  status: 'SUCCEEDED',
  startedAt: 0,
  input: {},
  history: Array.from({ length: tasks }, (_, i) => task(`T${i}`)),
  transitions: tasks,
  children,
});

const pass = (extra: Partial<PassFigures> = {}): PassFigures => ({
  label: 'renewal of 500',
  status: 'SUCCEEDED',
  nodes: 500,
  children: 500,
  virtualMs: 80 * 3_600_000,
  boundMs: 87 * 3_600_000,
  wallMs: 60_000,
  worstNodeTransitions: 26,
  allInPerNode: 40,
  histories: [{ stateMachine: 'cert-rotation', executions: 1, largest: 9_000, where: 'bench-renew' }],
  ...extra,
});

const run = (p: PassFigures) => ({ passes: [p], setupMs: 1, wallMs: 2, violations: 0, violationText: [] });
const over = (p: PassFigures) =>
  renderRotation({ nodes: 500, ca: false }, run(p))
    .budgets.filter((b) => !withinBudget(b))
    .map((b) => b.name);

describe('historiesByMachine', () => {
  it('counts every execution of the tree by state machine, each with its own history (6 events a Task + 2)', () => {
    const grandchild = exec('cmd-1', 'node-command', 1);
    const tree = exec('parent', 'cert-rotation', 3, [
      exec('node-a', 'cert-rotation-node', 2, [grandchild]),
      exec('node-b', 'cert-rotation-node', 4),
    ]);
    expect(historiesByMachine([tree])).toEqual([
      { stateMachine: 'cert-rotation', executions: 1, largest: 20, where: 'parent' },
      { stateMachine: 'cert-rotation-node', executions: 2, largest: 26, where: 'node-b' },
      { stateMachine: 'node-command', executions: 1, largest: 8, where: 'cmd-1' },
    ]);
  });
});

describe('renderRotation', () => {
  it('holds every budget for a run within them', () => {
    expect(over(pass())).toEqual([]);
  });

  it('fails a history of 25,000 events, a node over 40 transitions (its own, or all in), a run over its bound, a failed run', () => {
    expect(
      over(
        pass({ histories: [{ stateMachine: 'cert-rotation', executions: 1, largest: 25_000, where: 'x' }] }),
      ),
    ).toEqual(['renewal of 500: largest execution history (events)']);
    expect(over(pass({ worstNodeTransitions: 41 }))).toEqual([
      'renewal of 500: transitions per node (child + its node commands), largest',
    ]);
    // Below 100 nodes the parent's fixed part is not amortized: the all-in figure is shown, not held.
    const small = renderRotation({ nodes: 10, ca: false }, run(pass({ nodes: 10, allInPerNode: 45.5 })));
    expect(small.budgets.filter((b) => !withinBudget(b))).toEqual([]);
    expect(over(pass({ allInPerNode: 40.2 }))).toEqual([
      "renewal of 500: all-in transitions per node (whole run / nodes, N ≥ 100: parent's fixed part amortized)",
    ]);
    expect(over(pass({ virtualMs: 88 * 3_600_000 }))).toEqual([
      'renewal of 500: rotation time (virtual hours)',
    ]);
    expect(over(pass({ status: 'FAILED', children: 12 }))).toEqual([
      'renewal of 500: succeeded, every node renewed (nodes not renewed)',
    ]);
  });

  it('fails on any invariant violation', () => {
    const section = renderRotation(
      { nodes: 500, ca: false },
      { ...run(pass()), violations: 1, violationText: ['trust-mesh: x'] },
    );
    expect(section.budgets.filter((b) => !withinBudget(b)).map((b) => b.name)).toEqual([
      'rotation of 500: invariant violations',
    ]);
    expect(section.markdown).toContain('1 invariant violation(s): trust-mesh: x');
  });
});

describe('rotationSection', () => {
  it('refuses a cluster under 3 nodes before starting a twin', async () => {
    await expect(rotationSection({ nodes: 2, ca: false })).rejects.toThrow(
      'rotation: at least 3 nodes (got 2)',
    );
  });
});
