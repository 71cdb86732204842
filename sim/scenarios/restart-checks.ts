/**
 * What the scenes check about Artifactory's starts and the lifecycle hooks' heartbeats, read from the twin's
 * own state rather than from the workflows' step names:
 * - a **start** runs from the node's `starting` status until it leaves it (running, failed, stopping), in the
 *   node's status log; JFrog's rule is that no two nodes of a cluster are starting at once;
 * - a **join-lock hold** runs from an `Acquire…JoinLock` (or `QueueFor…JoinLock`) step that took the lease (`{acquired: true}` in its
 *   output) until the execution enters a step that gives it back (`Release…JoinLock…`) or ends; every start the control plane
 *   makes (a join, a promotion, a demotion) must lie inside a hold on that node, up to the moment the node is
 *   ready, not merely up to the release step;
 * - a lifecycle action's heartbeat gaps: from the action's start, between its heartbeats, up to its completion
 *   (or timeout), from Auto Scaling's own log.
 */
import type { NodeStatus } from '../core/contracts';
import type { ExecutionRecord } from '../core/world';
import type { Twin } from '../twin';
import { expectThat, MINUTE } from './types';

/** One start of Artifactory on a node. `to` is undefined while it is still starting. */
export interface StartEpisode {
  readonly instanceId: string;
  readonly from: number;
  readonly to: number | undefined;
  /** The status it left `starting` for. */
  readonly outcome: NodeStatus | undefined;
}

/** One execution's hold of the join lock, and the node it acts on. `to` is undefined while it holds it. */
export interface JoinLockHold {
  readonly execution: string;
  readonly instanceId: string | undefined;
  readonly from: number;
  readonly to: number | undefined;
}

const ACQUIRE = /^(Acquire|QueueFor)\w*JoinLock/;
const RELEASE = /^Release\w*JoinLock/;

/** Every start of every node in `region`, from the nodes' status logs, oldest first. */
export function startEpisodes(twin: Twin, region: string): StartEpisode[] {
  const out: StartEpisode[] = [];
  for (const inst of twin.world.region(region).ec2.instances()) {
    let from: number | undefined;
    for (const { at, status } of inst.node.statusLog) {
      if (status === 'starting') from = at;
      else if (from !== undefined) {
        out.push({ instanceId: inst.id, from, to: at, outcome: status });
        from = undefined;
      }
    }
    if (from !== undefined) out.push({ instanceId: inst.id, from, to: undefined, outcome: undefined });
  }
  return out.sort((a, b) => a.from - b.from);
}

/** A state's output as the interpreter logged it when the state exited. */
const outputOf = (h: ExecutionRecord['history'][number]) =>
  (h.data as { state?: { output?: unknown } } | undefined)?.state?.output;

/** An acquire step's output holds its answer, `{acquired: true}` when the lease was taken. */
const tookLock = (output: unknown) =>
  output !== null &&
  typeof output === 'object' &&
  Object.values(output as Record<string, unknown>).some(
    (v) => (v as { acquired?: unknown } | null)?.acquired === true,
  );

function instanceOf(input: unknown): string | undefined {
  const i = input as { instanceId?: unknown; candidate?: { instanceId?: unknown } } | undefined;
  const id = i?.instanceId ?? i?.candidate?.instanceId;
  return typeof id === 'string' ? id : undefined;
}

/** Every hold of the join lock by an execution in `region`, from the executions' histories. */
export function joinLockHolds(twin: Twin, region: string): JoinLockHold[] {
  const out: JoinLockHold[] = [];
  for (const e of twin.world.executions.filter((x) => x.region === region)) {
    let from: number | undefined;
    for (const h of e.history) {
      if (h.state === undefined) continue;
      if (from === undefined && h.type === 'StateExited' && ACQUIRE.test(h.state) && tookLock(outputOf(h))) {
        from = h.at;
      }
      if (from !== undefined && h.type === 'StateEntered' && RELEASE.test(h.state)) {
        out.push({ execution: e.name, instanceId: instanceOf(e.input), from, to: h.at });
        from = undefined;
      }
    }
    if (from !== undefined) {
      out.push({ execution: e.name, instanceId: instanceOf(e.input), from, to: e.stoppedAt });
    }
  }
  return out.sort((a, b) => a.from - b.from);
}

const clockOf = (twin: Twin) => (at: number | undefined) =>
  at === undefined ? 'now' : `T+${((at - twin.world.clock.startAt) / MINUTE).toFixed(2)} min`;

/**
 * The restarts were serial (JFrog: nodes must not start in parallel): no node's start began while another
 * node of the region was starting, none failed for starting in parallel, and every start lay inside a hold of
 * the join lock on that node until it ended (ready, or failed and stopped). Returns the number of starts.
 */
export function expectSerialStarts(twin: Twin, region = twin.world.regionNames[0] as string): number {
  const at = clockOf(twin);
  const starts = startEpisodes(twin, region);
  const end = (e: { to: number | undefined }) => e.to ?? Number.POSITIVE_INFINITY;
  for (let i = 0; i < starts.length; i++) {
    for (let j = i + 1; j < starts.length; j++) {
      const [a, b] = [starts[i] as StartEpisode, starts[j] as StartEpisode];
      expectThat(
        !(b.from < end(a) && a.from < end(b)),
        `${b.instanceId} started at ${at(b.from)} while ${a.instanceId} was starting (${at(a.from)} to ${at(a.to)})`,
      );
    }
  }
  for (const inst of twin.world.region(region).ec2.instances()) {
    expectThat(
      !/parallel/.test(inst.node.failureReason ?? ''),
      `${inst.id} failed: ${inst.node.failureReason}`,
    );
  }
  const holds = joinLockHolds(twin, region);
  for (const s of starts) {
    const covering = holds.find((h) => h.instanceId === s.instanceId && h.from <= s.from && end(s) <= end(h));
    const partial = holds.find((h) => h.instanceId === s.instanceId && h.from <= s.from && s.from < end(h));
    expectThat(
      covering !== undefined,
      partial
        ? `${s.instanceId}'s start (${at(s.from)} to ${at(s.to)}) outlasted ${partial.execution}'s join lock, released at ${at(partial.to)}`
        : `${s.instanceId} started at ${at(s.from)} without holding the join lock`,
    );
  }
  return starts.length;
}

/**
 * The longest time a launch or terminate lifecycle action of `instanceId` went without a sign of life: from
 * its start, between heartbeats, up to its completion or timeout (or now, while it waits). Milliseconds.
 */
export function longestHeartbeatGap(
  twin: Twin,
  instanceId: string,
  region = twin.world.regionNames[0],
): number {
  const entries = twin.world.timeline.entries.filter((e) => e.region === region && e.source === 'asg');
  const tokens = new Set(
    entries
      .filter(
        (e) =>
          e.message.includes(`${instanceId} Pending:Wait`) ||
          e.message.includes(`${instanceId} Terminating:Wait`),
      )
      .map((e) => e.data?.token),
  );
  let longest = 0;
  for (const token of tokens) {
    const times = entries.filter((e) => e.data?.token === token).map((e) => e.at);
    const ended = entries.some((e) => e.data?.token === token && /completed with|timed out/.test(e.message));
    if (!ended) times.push(twin.world.clock.now());
    for (let i = 1; i < times.length; i++) {
      longest = Math.max(longest, (times[i] as number) - (times[i - 1] as number));
    }
  }
  return longest;
}
