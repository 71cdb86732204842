/**
 * How many events an execution's history holds in AWS, counted from the twin's interpreter events. A Standard
 * execution's history holds at most 25,000 events (AWS Step Functions Developer Guide, "Step Functions service
 * quotas"); an inline Map adds its iterations' events to its execution's history ("Using Map state in Inline
 * mode", https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html).
 *
 * The count follows the history event types of the Step Functions API Reference ("HistoryEvent"): an execution
 * has its started and ended events; every state its `…StateEntered` and `…StateExited`; a Task besides
 * `TaskScheduled`, `TaskStarted`, `TaskSubmitted` (a `.sync` one) and its end (`TaskSucceeded`/`TaskFailed`), once
 * per attempt; a Map `MapStateStarted` and its end, and each iteration `MapIterationStarted` and its end. A
 * count that takes every Task as a `.sync` one (four events an attempt) is an upper bound, which is what a
 * limit needs.
 */
import type { ExecutionRecord } from '../core/world';

/** The most events a Standard execution's history may hold. */
export const HISTORY_EVENT_LIMIT = 25_000;

/** An upper bound of the events `e`'s history holds in AWS (its children's histories are their own). */
export function historyEvents(e: ExecutionRecord, only?: (stateName: string) => boolean): number {
  let n = only ? 0 : 2;
  for (const h of e.history) {
    const data = h.data as
      | { state?: { type?: string; name?: string }; parentState?: { name?: string } }
      | undefined;
    const state = data?.state;
    const name = state?.name ?? data?.parentState?.name ?? '';
    if (only && !only(name)) continue;
    if (h.type === 'StateEntered') {
      n += 2;
      if (state?.type === 'Task') n += 4;
      if (state?.type === 'Map' || state?.type === 'Parallel') n += 2;
    } else if (h.type === 'StateRetried') n += 4;
    else if (h.type === 'MapIterationStarted' || h.type === 'ParallelBranchStarted') n += 2;
  }
  return n;
}

/** cert-rotation's round: the states every round of its rollout enters (statemachines/cert-rotation.asl.json). */
export const ROUND_STATES = new Set([
  'NextRound',
  'PickRound',
  'RotateRound',
  'RotateNode',
  'RotateNodeFailed',
  'CountRound',
]);

/**
 * The events of one batch of the census's probe (its Map iteration: the command and the reading, and the
 * iteration's own two), measured on `e`: a cluster of N nodes runs ⌈N / 25⌉ batches.
 */
export function probeBatchEvents(e: ExecutionRecord): { batches: number; perBatch: number } {
  const batches = e.history.filter((h) => h.type === 'StateEntered' && h.state === 'ProbeServedBatch').length;
  if (batches === 0) return { batches: 0, perBatch: 0 };
  const inBatches = historyEvents(e, (name) => name === 'ProbeServedBatch' || name === 'ReadServedBatch');
  return { batches, perBatch: inBatches / batches + 2 };
}

/**
 * A cert-rotation run's history as a fixed part and the same events for every round (each round enters the
 * same states): the events of a run of `rounds` rounds with this run's fixed part.
 */
export function roundModel(e: ExecutionRecord): { fixed: number; perRound: number; rounds: number } {
  const rounds = e.history.filter((h) => h.type === 'StateEntered' && h.state === 'PickRound').length;
  const inRounds = historyEvents(e, (name) => ROUND_STATES.has(name));
  if (rounds === 0) throw new Error(`${e.name} ran no round`);
  // Each pass's last NextRound (the check that ends its loop, before PassDone) is no round: it is fixed.
  const loopEnds = 2 * e.history.filter((h) => h.type === 'StateEntered' && h.state === 'PassDone').length;
  return { fixed: historyEvents(e) - inRounds + loopEnds, perRound: (inRounds - loopEnds) / rounds, rounds };
}

/**
 * A rotation's parent costs a fixed part plus the same events for every round it runs (each round enters the
 * same states); two runs of the same kind with different round counts give both, and so the events of a run
 * of `rounds` rounds.
 */
export function linearModel(
  a: { rounds: number; events: number },
  b: { rounds: number; events: number },
): { fixed: number; perRound: number; at: (rounds: number) => number } {
  if (a.rounds === b.rounds) throw new Error('two runs with different round counts are needed');
  const perRound = (b.events - a.events) / (b.rounds - a.rounds);
  const fixed = a.events - perRound * a.rounds;
  return { fixed, perRound, at: (rounds) => fixed + perRound * rounds };
}
