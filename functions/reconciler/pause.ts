/**
 * The sweep's pause duties (issue 15): read every voter's copy, repair this region's copy when a majority shows
 * a newer version (a region unreachable at pause time converges within one sweep), say what `AutomationPaused`
 * is this sweep, and send the reminder every `operations.pauseReminderHours` while paused (claimed on a
 * majority of copies: one reminder per period cluster-wide).
 */

import {
  describePause,
  effectivePause,
  type PauseItem,
  pauseMetric,
  reminderDue,
  reminderNotice,
  repairOf,
} from '../core/pause';
import { snsSdk } from '../shared/clients/sns';
import { ENV, requireEnv } from '../shared/env';
import { ConfigurationError } from '../shared/errors';
import type { LifecycleConfig } from '../shared/lifecycle-config';
import {
  claimReminder,
  loadPauseHome,
  type PauseHome,
  PauseItemInvalid,
  readAll,
  repairLocal,
} from '../shared/pause';
import type { SweepDeps } from './paused';

/** The sweep's schedule (infra/node-lifecycle.ts SWEEP_MINUTES; a unit test holds them equal). */
export const SWEEP_INTERVAL_MS = 5 * 60_000;

/** What the sweep learnt about the pause. */
export interface SweepPause {
  /** Automatic remediation may act (`automation.enabled` and this region's copy, after repair, not paused). */
  readonly active: boolean;
  /** This region's copy after the repair. */
  readonly item: PauseItem | undefined;
  /** `automation.enabled: false` or paused, as one line (`not paused` otherwise). */
  readonly reason: string;
  /** The version copied into this region's copy, when the sweep repaired it. */
  readonly repaired?: number;
  /** `AutomationPaused` this sweep (none: nothing to publish). */
  readonly metric?: 0 | 1;
  /** The reminder was claimed and sent. */
  readonly reminded?: boolean;
  /** The reminder was due but its claim or its publish failed (the error's name): a sweep error, not a pause. */
  readonly reminderError?: string;
}

/** `PAUSE_REMINDER_HOURS`: a whole number of hours, at least 1. */
export function reminderHours(env?: NodeJS.ProcessEnv): number {
  const hours = Number(requireEnv(ENV.pauseReminderHours, env));
  if (!Number.isInteger(hours) || hours < 1)
    throw new ConfigurationError(`${ENV.pauseReminderHours} must be a whole number of hours >= 1`);
  return hours;
}

/**
 * Repair, then decide. This region's copy unreadable: the sweep cannot tell whether it is paused, so it throws
 * (the caller counts a sweep error and holds remediation for this sweep).
 */
export async function sweepPause(config: LifecycleConfig, deps: SweepDeps): Promise<SweepPause> {
  const home = loadPauseHome(deps.env);
  const hours = reminderHours(deps.env);
  const now = (deps.now ?? Date.now)();
  const reads = await readAll(home);
  const local = reads.find((r) => r.region === home.region);
  if (local === undefined || !local.reachable)
    throw new PauseItemInvalid(
      `this region's copy of the pause could not be read (${local?.reachable === false ? local.error : 'no copy'})`,
    );
  let item = local.item;
  let repaired: number | undefined;
  const newer = repairOf(item, reads, home.quorum);
  if (newer !== undefined) {
    const out = await repairLocal(home, newer);
    if (out.outcome !== 'unreachable') {
      // Written, or refused because a newer one landed meanwhile: either way the local copy is at least as new.
      repaired = newer.version;
      item = newer;
      deps.logger.warn('pause repaired: this region had an older copy', {
        version: newer.version,
        paused: newer.paused,
        outcome: out.outcome,
      });
    } else
      throw Object.assign(new Error(`pause repair failed: ${out.error}`), { name: out.error ?? 'Error' });
  }
  const metric = pauseMetric(config.automationEnabled, item, now, SWEEP_INTERVAL_MS);
  const result: SweepPause = {
    active: !effectivePause(config.automationEnabled, item),
    item,
    reason: describePause(item, config.automationEnabled),
    ...(repaired === undefined ? {} : { repaired }),
    ...(metric === undefined ? {} : { metric }),
  };
  if (item === undefined || !reminderDue(item, hours, now)) return result;
  try {
    return { ...result, ...(await remind(config, deps, home, item, hours, now)) };
  } catch (err) {
    deps.logger.error('pause reminder failed', {
      errorName: (err as Error).name,
      error: (err as Error).message,
    });
    return { ...result, reminderError: (err as Error).name };
  }
}

async function remind(
  config: LifecycleConfig,
  deps: SweepDeps,
  home: PauseHome,
  item: PauseItem,
  hours: number,
  now: number,
): Promise<{ reminded: boolean }> {
  const claim = await claimReminder(home, item, hours, now);
  if (!claim.claimed) {
    deps.logger.info('pause reminder claimed elsewhere (or no majority)', { copies: claim.copies });
    return { reminded: false };
  }
  const { PublishCommand } = snsSdk();
  const notice = reminderNotice(config.cluster, item, now);
  await deps.clients
    .sns()
    .send(
      new PublishCommand({ TopicArn: config.topicArn, Subject: notice.subject, Message: notice.message }),
    );
  deps.logger.warn('automation still paused: reminder sent', { actor: item.actor, reason: item.reason });
  return { reminded: true };
}
