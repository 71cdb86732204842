/** What every dispatch path answers, counts, and how it refuses an event that is not the control plane's. */
import type { Deps } from '../shared/handler';
import { MetricUnit } from '../shared/powertools';

export const DispatchMetrics = {
  started: 'DispatchStarted',
  duplicate: 'DispatchDuplicate',
  warmPoolCompleted: 'DispatchWarmPoolCompleted',
  foreign: 'ForeignEvent',
  /** A failover dispatch would have started, held because automation is paused. */
  paused: 'DispatchPaused',
  /** A cert-rotation run a trigger would have started, refused by the cooldown or the daily budget. */
  gated: 'DispatchGated',
} as const;

/** Why an event was refused; the `Reason` dimension of the {@link DispatchMetrics.foreign} metric. */
export type ForeignReason = 'region' | 'group' | 'hook' | 'alarm' | 'schedule';

export interface DispatchResult {
  /** `skipped`: an event of ours that asks for nothing automatic (a restore left to the operator). */
  outcome: 'started' | 'duplicate' | 'completed' | 'rejected' | 'paused' | 'gated' | 'skipped';
  executionName?: string;
  /** Set when `rejected`: `malformed` for an event that failed validation (counted as `InvalidEvent`). */
  reason?: ForeignReason | 'malformed';
}

/**
 * Refuse an event that is not this control plane's: log it and count it once ({@link DispatchMetrics.foreign},
 * dimension `Reason`), touch nothing, and return (no throw: a retry would refuse it again). Not audited: the
 * audit trail records the control plane's decisions on its own cluster's events.
 */
export function refuse(
  reason: ForeignReason,
  message: string,
  logKeys: Record<string, unknown>,
  deps: Pick<Deps, 'logger' | 'metrics'>,
): DispatchResult {
  deps.metrics.addDimension('Reason', reason);
  deps.metrics.addMetric(DispatchMetrics.foreign, MetricUnit.Count, 1);
  deps.logger.warn(`event refused: ${message}`, { ...logKeys, reason });
  return { outcome: 'rejected', reason };
}
