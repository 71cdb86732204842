/**
 * primary-failover's `assess` step: the verdicts that need no confirmation window (a drain, an operator's
 * run). Everything else is confirmed over rounds (failover-observe's `confirm`).
 */
import type { ClusterState, FailoverTrigger } from './failover';
import { type NodeObservation, type ObserveSettings, observe, type Verdict } from './failover-observe';

/** What `assess` needs to know about the run. */
export interface AssessRun {
  readonly trigger: FailoverTrigger;
  /** node-drain: the instance being drained. */
  readonly instanceId?: string | undefined;
  readonly candidate?: string | undefined;
  readonly dryRun: boolean;
}

/** A verdict of `assess`: one reached over the confirmation window, or one reached at once. */
export type Assessment =
  | Verdict
  /** A drain of a member (legacy): no election. */
  | { readonly verdict: 'not-primary'; readonly why: string }
  /** The drained primary is still ready: hand the role over before it goes. */
  | {
      readonly verdict: 'confirmed';
      readonly primary?: string | undefined;
      readonly why: string;
      readonly planned: true;
    }
  /** The operator asked: confirmed (or split, or adopt) without a window. */
  | {
      readonly verdict: 'confirmed';
      readonly primary?: string | undefined;
      readonly why: string;
      readonly manual: true;
    }
  | { readonly verdict: 'adopt'; readonly primary: string; readonly why: string; readonly manual: true };

/** Whether this run is a planned handover: node-drain of the primary while it is still ready. */
export function plannedHandover(run: AssessRun, nodes: readonly NodeObservation[]): boolean {
  if (run.trigger !== 'drain') return false;
  const drained = nodes.find((n) => n.instanceId === run.instanceId);
  return drained?.probe?.ready === true && drained.probe.role === 'primary';
}

/**
 * The verdict reached without a confirmation window, or undefined when the window decides. A drain of
 * anything but the primary (legacy) is `not-primary`; a drain of the ready primary is a planned handover. The
 * operator's run (manual, or a dry run) is confirmed at once, but a split or an unhoused primary is still
 * reported.
 */
export function immediateVerdict(
  run: AssessRun,
  nodes: readonly NodeObservation[],
  state: ClusterState | undefined,
  settings: ObserveSettings,
): Assessment | undefined {
  if (run.trigger === 'drain') {
    const drained = nodes.find((n) => n.instanceId === run.instanceId);
    const isPrimary =
      drained?.probe?.role === 'primary' || state?.primary === run.instanceId || drained?.group === 'primary';
    if (settings.mode === 'legacy-primary' && !isPrimary) {
      return { verdict: 'not-primary', why: `${run.instanceId} is not the primary` };
    }
    if (plannedHandover(run, nodes)) {
      return { verdict: 'confirmed', primary: run.instanceId, why: 'planned handover', planned: true };
    }
  }
  if (run.trigger === 'manual' || run.dryRun) {
    const obs = observe(nodes, state, settings);
    if (obs.kind === 'split') return { verdict: 'split', primaries: obs.primaries };
    if (obs.kind === 'unhoused' && run.candidate === undefined) {
      return { verdict: 'adopt', primary: obs.primary, why: obs.why, manual: true };
    }
    return {
      verdict: 'confirmed',
      primary: obs.primary,
      why: obs.kind === 'healthy' ? 'requested by the operator' : obs.why,
      manual: true,
    };
  }
  return undefined;
}
