/**
 * What a workflow run costs in state transitions (the unit Step Functions Standard bills, retries included:
 * https://aws.amazon.com/step-functions/pricing/), children included, and the budgets of issue 12 on the
 * standard scenes: a node-bootstrap costs at most 60, a primary-failover at most 120.
 *
 * node-command is being moved (another change) from 5-s polling to SSM's command status-change event with a
 * task token, after which one command costs about 4-6 transitions however long it runs. Until then the
 * budgets are checked on a projection: the run's cost with each node-command execution counted as
 * {@link NODE_COMMAND_PROJECTED} transitions instead of what its polling cost.
 */
import type { ExecutionRecord } from '../core/world';
import { expectThat } from './types';

/** The scenes the bench and the budgets use. */
export const STANDARD_SCENES: ReadonlySet<string> = new Set([
  'scale-out',
  'scale-in',
  'primary-crash',
  'primary-az-loss',
  'primary-scale-in',
  'primary-cloud-native',
  'primary-manual',
]);

/** What one node-command execution is projected to cost once it waits for SSM's event (upper end). */
export const NODE_COMMAND_PROJECTED = 6;

export const TRANSITION_BUDGETS = { 'node-bootstrap': 60, 'primary-failover': 120 } as const;

/** node-bootstrap's queue for the join lock: each round (heartbeat, acquire, choice, count, wait) costs this. */
export const JOIN_QUEUE_ROUND = 5;

export interface RunCost {
  readonly execution: ExecutionRecord;
  /** State transitions of the run and every child, as billed today. */
  readonly total: number;
  /** node-command executions among the children (at any depth), and what they cost. */
  readonly commands: number;
  readonly commandTransitions: number;
  /** `total` with each node-command at {@link NODE_COMMAND_PROJECTED}. */
  readonly projected: number;
  /** Rounds node-bootstrap spent queued behind another holder of the join lock (0 for other workflows). */
  readonly queueRounds: number;
}

/** The run's cost, children included. */
export function runCost(execution: ExecutionRecord): RunCost {
  let total = 0;
  let commands = 0;
  let commandTransitions = 0;
  const walk = (e: ExecutionRecord, underCommand: boolean) => {
    const isCommand = underCommand || e.stateMachine === 'node-command';
    total += e.transitions;
    if (isCommand) commandTransitions += e.transitions;
    if (e.stateMachine === 'node-command' && !underCommand) commands++;
    for (const c of e.children ?? []) walk(c, isCommand);
  };
  walk(execution, false);
  const queueRounds = execution.history.filter(
    (h) => h.type === 'StateEntered' && h.state === 'CountJoinLockWait',
  ).length;
  return {
    execution,
    total,
    commands,
    commandTransitions,
    projected: total - commandTransitions + NODE_COMMAND_PROJECTED * commands,
    queueRounds,
  };
}

/**
 * Checks issue 12's budgets on every finished top-level node-bootstrap and primary-failover run, on the
 * projection (see above). A node-bootstrap queued behind other starts for the join lock is allowed
 * {@link JOIN_QUEUE_ROUND} more per round it queued (a polling queue cannot wait for minutes for free; its
 * rounds back off from 30 s to 120 s). Returns the most expensive run of each workflow.
 */
export function expectTransitionBudgets(executions: readonly ExecutionRecord[]): {
  bootstrap: RunCost | undefined;
  failover: RunCost | undefined;
} {
  const roots = executions.filter((e) => e.parentArn === undefined && e.status !== 'RUNNING');
  const worst: Record<keyof typeof TRANSITION_BUDGETS, RunCost | undefined> = {
    'node-bootstrap': undefined,
    'primary-failover': undefined,
  };
  const over: string[] = [];
  for (const e of roots) {
    if (e.stateMachine !== 'node-bootstrap' && e.stateMachine !== 'primary-failover') continue;
    const cost = runCost(e);
    const budget = TRANSITION_BUDGETS[e.stateMachine] + JOIN_QUEUE_ROUND * cost.queueRounds;
    if (cost.projected > budget) {
      over.push(
        `${e.stateMachine} ${e.name} costs ${cost.projected} state transitions with node-command projected at ${NODE_COMMAND_PROJECTED} (${cost.total} today, ${cost.commands} commands), over its budget of ${budget}${cost.queueRounds > 0 ? ` (${cost.queueRounds} rounds queued for the join lock)` : ''}`,
      );
    }
    const w = worst[e.stateMachine];
    if (w === undefined || w.projected < cost.projected) worst[e.stateMachine] = cost;
  }
  expectThat(over.length === 0, over.join('; '));
  return { bootstrap: worst['node-bootstrap'], failover: worst['primary-failover'] };
}
