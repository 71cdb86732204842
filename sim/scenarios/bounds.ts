/**
 * Bounds the node-lifecycle scenes assert (issue 11: promises as bounds, not only printed figures), computed
 * from the workflow definitions and the timings the seed drew, never from the measured durations themselves.
 */
import { definitionText } from '../../infra/workflow-definitions';
import type { ExecutionRecord } from '../core/world';
import type { Twin } from '../twin';
import { expectThat } from './types';

interface AwaitReadyDefinition {
  readonly TimeoutSeconds: number;
  readonly States: {
    readonly WaitForTargetHealth: { readonly Seconds: number };
    readonly TargetHealthy: {
      readonly Choices: readonly { readonly NumericGreaterThanEquals?: number }[];
    };
  };
}

const AWAIT_READY = JSON.parse(definitionText('node-bootstrap-await-ready')) as AwaitReadyDefinition;

/**
 * node-bootstrap-await-ready's rhythm once the node says ready (the probe itself waits on the node, probing
 * every 5 s): one target check every `roundMs`, at most `rounds`, within `timeoutMs`. Giving up takes at least
 * those rounds (the shortest way to NodeNotReady; the other is 4 probes of up to 240 s each).
 */
export const READINESS_WAIT = {
  roundMs: AWAIT_READY.States.WaitForTargetHealth.Seconds * 1000,
  rounds:
    AWAIT_READY.States.TargetHealthy.Choices.find((c) => c.NumericGreaterThanEquals !== undefined)
      ?.NumericGreaterThanEquals ?? 0,
  timeoutMs: AWAIT_READY.TimeoutSeconds * 1000,
};

/**
 * One readiness probe and target look, at most: ProbeReadiness's own 5-s interval on the node, node-command's
 * wait (SSM's status event), SSM delivery (≤ 3 s) and the invocation's visibility (≤ 1.5 s), the probe, the
 * DescribeTargetHealth and heartbeat calls.
 * Generous on purpose: the bound below is about rounds, not seconds.
 */
export const PROBE_ROUND_MAX_MS = 15_000;

export interface ReadinessWait {
  readonly execution: ExecutionRecord;
  readonly instanceId: string;
  /** When the node became ready (its drawn start completing) and the ALB first called it healthy. */
  readonly servingAt: number | undefined;
}

/** Every node-bootstrap-await-ready run, with when its node actually served (if it did before the run ended). */
export function readinessWaits(twin: Twin, region: string): ReadinessWait[] {
  const r = twin.world.region(region);
  return twin.world.executions
    .filter((e) => e.stateMachine === 'node-bootstrap-await-ready' && e.region === region)
    .map((e) => {
      const instanceId = String((e.input as { instanceId?: string }).instanceId);
      const end = e.stoppedAt ?? twin.world.clock.now();
      // The node's last start before the run ended and when, as the seed drew it, it completes (a stalled
      // start draws no time: it never completes).
      const start = (r.ec2.instance(instanceId)?.node.drawnTimings ?? [])
        .filter((t) => t.kind === 'start' && t.at <= end)
        .at(-1);
      const readyAt = start !== undefined && start.at + start.ms <= end ? start.at + start.ms : undefined;
      // The ALB's own verdict, as its health checks gave it (the twin's ELB, not the workflow under test).
      const healthyAt = twin.world.timeline.entries
        .filter(
          (x) =>
            x.source === 'elb' &&
            x.region === region &&
            x.at <= end &&
            x.message.startsWith(`${instanceId} in `) &&
            x.message.includes('-> healthy'),
        )
        .map((x) => x.at)
        .at(-1);
      const servingAt =
        readyAt !== undefined && healthyAt !== undefined ? Math.max(readyAt, healthyAt) : undefined;
      return { execution: e, instanceId, servingAt };
    });
}

/**
 * The readiness wait's promise (statemachines/node-bootstrap-await-ready.md): a node that is ready and healthy
 * is noticed within one round (the round's wait plus two probes: the one under way and the next), and no wait
 * outlasts its rounds or its execution bound; a wait that gives up does so only after every round.
 */
export function expectReadinessWaitBound(
  twin: Twin,
  region: string,
  probeRoundMaxMs = PROBE_ROUND_MAX_MS,
): { waits: number; slowestMs: number } {
  const waits = readinessWaits(twin, region).filter((w) => w.execution.status !== 'RUNNING');
  let slowestMs = 0;
  for (const w of waits) {
    const e = w.execution;
    const took = (e.stoppedAt as number) - e.startedAt;
    expectThat(
      took <= READINESS_WAIT.timeoutMs,
      `${e.name} (${w.instanceId}) waited ${Math.round(took / 1000)} s, past its ${READINESS_WAIT.timeoutMs / 1000} s bound`,
    );
    if (e.status === 'SUCCEEDED') {
      expectThat(
        w.servingAt !== undefined,
        `${e.name} reported ${w.instanceId} ready, but it never was both ready and healthy before`,
      );
      const late = (e.stoppedAt as number) - (w.servingAt as number);
      slowestMs = Math.max(slowestMs, late);
      expectThat(
        late <= READINESS_WAIT.roundMs + 2 * probeRoundMaxMs,
        `${e.name} noticed ${w.instanceId} ready ${Math.round(late / 1000)} s after it served (bound: one round, ${(READINESS_WAIT.roundMs + 2 * probeRoundMaxMs) / 1000} s)`,
      );
    } else if (e.status === 'FAILED' && e.error === 'NodeNotReady') {
      expectThat(
        took >= READINESS_WAIT.rounds * READINESS_WAIT.roundMs,
        `${e.name} gave up on ${w.instanceId} after ${Math.round(took / 1000)} s, before its ${READINESS_WAIT.rounds} rounds`,
      );
    }
  }
  return { waits: waits.length, slowestMs };
}
