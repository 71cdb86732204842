/**
 * What a workflow run costs in state transitions (the unit Step Functions Standard bills, retries included:
 * https://aws.amazon.com/step-functions/pricing/), children included, and the budgets of issue 12 on the
 * standard scenes: a node-bootstrap costs at most 60, a primary-failover at most 120.
 *
 * Every node-command child counts as it ran: it waits for SSM's command status-change event with a task token,
 * so a command costs 2-3 transitions however long it runs (12 when it never ends).
 */
import type { ExecutionRecord } from '../core/world';
import { family } from '../scene-summary';
import { expectThat } from './types';

/**
 * The standard scenes (issue 12): the everyday runs of each workflow, on which the budgets hold and the bench
 * measures transitions and dollars per run (`STANDARD_SCENES` in ./index.ts is this list as scenes).
 */
export const STANDARD_SCENE_NAMES: readonly string[] = [
  'scale-out',
  'scale-in',
  'primary-crash',
  'primary-az-loss',
  'primary-scale-in',
  'primary-cloud-native',
  'primary-manual',
];

export const TRANSITION_BUDGETS = { 'node-bootstrap': 60, 'primary-failover': 120 } as const;

/**
 * How often a node-bootstrap polled the join lock from its queue (QueueForJoinLock, after a heartbeat and a
 * wait): 0 when its first acquire took the lock.
 */
export function joinLockPolls(execution: ExecutionRecord): number {
  return execution.history.filter((h) => h.type === 'StateEntered' && h.state === 'QueueForJoinLock').length;
}

export interface RunCost {
  readonly execution: ExecutionRecord;
  /** State transitions of the run and every child, as billed. */
  readonly total: number;
  /** node-command executions among the children (at any depth), and what they cost. */
  readonly commands: number;
  readonly commandTransitions: number;
  /** Polls node-bootstrap made queued behind another holder of the join lock (0 for other workflows). */
  readonly queuePolls: number;
}

/** The run's cost, children included (node-command starts no children of its own). */
export function runCost(execution: ExecutionRecord): RunCost {
  const all = family(execution);
  const commands = all.filter((e) => e.stateMachine === 'node-command');
  const sum = (es: readonly ExecutionRecord[]) => es.reduce((n, e) => n + e.transitions, 0);
  return {
    execution,
    total: sum(all),
    commands: commands.length,
    commandTransitions: sum(commands),
    queuePolls: joinLockPolls(execution),
  };
}

/**
 * Checks issue 12's budgets on every finished top-level node-bootstrap and primary-failover run, a
 * node-bootstrap queued behind other starts for the join lock included: no allowance (a round of its queue is
 * three transitions: a heartbeat, a 240 s wait and a poll). Returns the most expensive run of each workflow.
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
    const budget = TRANSITION_BUDGETS[e.stateMachine];
    if (cost.total > budget) {
      over.push(
        `${e.stateMachine} ${e.name} costs ${cost.total} state transitions (${cost.commands} node commands: ${cost.commandTransitions}), over its budget of ${budget}${cost.queuePolls > 0 ? ` (${cost.queuePolls} polls queued for the join lock)` : ''}`,
      );
    }
    const w = worst[e.stateMachine];
    if (w === undefined || w.total < cost.total) worst[e.stateMachine] = cost;
  }
  expectThat(over.length === 0, over.join('; '));
  return { bootstrap: worst['node-bootstrap'], failover: worst['primary-failover'] };
}
