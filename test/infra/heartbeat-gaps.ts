/**
 * The longest a lifecycle workflow can go without sending a lifecycle heartbeat, read from its ASL: every
 * path between two heartbeats (or from the execution's start, or up to the lifecycle action's completion),
 * each state costing its worst case, with the waiting phases it starts (`.sync:2` children that heartbeat
 * themselves) walked as part of the same graph.
 *
 * What a state costs:
 * - a Wait its `Seconds`; Pass, Choice, Succeed and Fail nothing;
 * - a Task its `TimeoutSeconds` (AWS gives a Task no default timeout), plus its retries: the back-off of every
 *   retrier (each delay at its cap: FULL jitter only shortens it), and one more attempt for each retry of an
 *   error that can end a wait (States.TaskFailed, States.Timeout, States.ALL, a workflow's or a function's own
 *   error), at the Task's `TimeoutSeconds` or, for a Lambda, the function's own timeout. Throttling and service
 *   errors are the API's immediate answer, so their retries cost the back-off only.
 * - A `.sync:2` child that sends heartbeats is walked state by state (its errors, and the parent's Task
 *   timing out, can surface anywhere in it); any other child is one Task, bounded by its `TimeoutSeconds`.
 *
 * A heartbeat state (RecordLifecycleActionHeartbeat) ends the stretch that reaches it, its own cost included,
 * and starts a new one on every path out of it; so does completing the action (CompleteLifecycleAction), after
 * which only its Catch paths still matter. A heartbeat or completion Auto Scaling refuses after its retries is
 * a second fault this walk does not cover. A loop with no heartbeat in it is an error: its length has no
 * bound here. Map and Parallel states are not modelled (an error, so a new one cannot slip by).
 */

export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
}

export interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly TimeoutSeconds?: number;
  readonly Seconds?: number;
  readonly SecondsPath?: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Default?: string;
  readonly Choices?: readonly { readonly Next: string }[];
  readonly Catch?: readonly { readonly ErrorEquals: readonly string[]; readonly Next: string }[];
  readonly Retry?: readonly Retrier[];
  readonly Parameters?: unknown;
  readonly ResultPath?: string | null;
}

export interface AslMachine {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
}

/** How the walk reads the definitions it meets. */
export interface GapModel {
  load(workflow: string): AslMachine;
  /** The workflow a `.sync` Task starts (one of the project's), if any. */
  childOf(state: AslState): string | undefined;
  /** The timeout of the Lambda function a Task invokes, if it invokes one of the project's. */
  functionTimeout(state: AslState): number | undefined;
}

export interface Stretch {
  readonly seconds: number;
  /** The states on the way, `Parent/Child` for a child's states; the first is where it starts. */
  readonly path: readonly string[];
}

/**
 * The longest wait a `SecondsPath` can name: the path must be set by a Pass state's
 * `States.ArrayGetItem(States.Array(n, ...), ...)` schedule (a back-off), and costs the schedule's largest entry.
 */
export function scheduledWait(machine: AslMachine, secondsPath: string | undefined): number | undefined {
  if (secondsPath === undefined) return undefined;
  const cut = secondsPath.lastIndexOf('.');
  const [resultPath, key] = [secondsPath.slice(0, cut), secondsPath.slice(cut + 1)];
  const schedules = Object.values(machine.States)
    .filter((s) => s.Type === 'Pass' && s.ResultPath === resultPath)
    .map((s) => (s.Parameters as Record<string, unknown> | undefined)?.[`${key}.$`])
    .map((v) => /^States\.ArrayGetItem\(States\.Array\(([\d,\s]+)\),/.exec(String(v))?.[1]);
  if (schedules.length === 0 || schedules.some((m) => m === undefined)) return undefined;
  return Math.max(...schedules.flatMap((m) => String(m).split(',').map(Number)));
}

const HEARTBEAT = 'arn:aws:states:::aws-sdk:autoscaling:recordLifecycleActionHeartbeat';
const COMPLETE = 'arn:aws:states:::aws-sdk:autoscaling:completeLifecycleAction';
const SYNC_CHILD = 'arn:aws:states:::states:startExecution.sync:2';

/** Errors that are an API's answer to the call itself, not the end of a wait. */
const IMMEDIATE =
  /(Throttl|TooManyRequests|ServiceException$|AWSLambdaException|SdkClientException|ExecutionLimitExceeded|InternalFailure|InternalServerError|ServiceUnavailable|ResourceContention|ProvisionedThroughputExceeded|AmazonDynamoDBException|InvocationDoesNotExist)/;

interface Node {
  readonly id: string;
  readonly cost: number;
  readonly kind: 'plain' | 'heartbeat' | 'complete';
  readonly next: string[];
  readonly onError: string[];
}

/** The worst-case back-off of one retrier: every delay at its cap (ASL defaults: 1 s, 3 attempts, rate 2). */
export function retryDelays(r: Retrier): number {
  const interval = r.IntervalSeconds ?? 1;
  const rate = r.BackoffRate ?? 2;
  const cap = r.MaxDelaySeconds ?? Number.POSITIVE_INFINITY;
  let total = 0;
  for (let k = 0; k < (r.MaxAttempts ?? 3); k++) total += Math.min(cap, interval * rate ** k);
  return total;
}

/** A Task's worst case, retries included (see the module comment). */
export function taskCost(name: string, state: AslState, functionTimeout: number | undefined): number {
  const timeout = state.TimeoutSeconds;
  if (typeof timeout !== 'number') throw new Error(`${name}: a Task without TimeoutSeconds has no bound`);
  const attempt = functionTimeout === undefined ? timeout : Math.min(timeout, functionTimeout);
  let cost = timeout;
  for (const r of state.Retry ?? []) {
    cost += retryDelays(r);
    if (r.ErrorEquals.some((e) => !IMMEDIATE.test(e))) cost += (r.MaxAttempts ?? 3) * attempt;
  }
  return cost;
}

function sendsHeartbeats(machine: AslMachine, model: GapModel, seen = new Set<AslMachine>()): boolean {
  if (seen.has(machine)) return false;
  seen.add(machine);
  return Object.values(machine.States).some((s) => {
    if (s.Resource === HEARTBEAT) return true;
    const child = s.Resource === SYNC_CHILD ? model.childOf(s) : undefined;
    return child !== undefined && sendsHeartbeats(model.load(child), model, seen);
  });
}

/** The graph of `workflow` with its heartbeating children inlined; returns the nodes and the entry. */
function buildGraph(workflow: string, model: GapModel): { nodes: Map<string, Node>; entry: string } {
  const nodes = new Map<string, Node>();
  const add = (
    machine: AslMachine,
    prefix: string,
    succeedTo: readonly string[],
    failTo: readonly string[],
  ): string => {
    const id = (name: string) => `${prefix}${name}`;
    for (const [name, s] of Object.entries(machine.States)) {
      const next = s.End ? [...succeedTo] : s.Next !== undefined ? [id(s.Next)] : [];
      const caught = s.Catch?.map((c) => id(c.Next)) ?? [...failTo];
      switch (s.Type) {
        case 'Pass':
        case 'Wait': {
          const cost =
            s.Type === 'Pass'
              ? 0
              : typeof s.Seconds === 'number'
                ? s.Seconds
                : scheduledWait(machine, s.SecondsPath);
          if (cost === undefined)
            throw new Error(
              `${id(name)}: only a Wait with Seconds or a scheduled SecondsPath has a bound here`,
            );
          nodes.set(id(name), { id: id(name), cost, kind: 'plain', next, onError: [] });
          break;
        }
        case 'Choice': {
          const targets = [...(s.Choices ?? []).map((c) => c.Next), ...(s.Default ? [s.Default] : [])];
          nodes.set(id(name), { id: id(name), cost: 0, kind: 'plain', next: targets.map(id), onError: [] });
          break;
        }
        case 'Succeed':
          nodes.set(id(name), { id: id(name), cost: 0, kind: 'plain', next: [...succeedTo], onError: [] });
          break;
        case 'Fail':
          nodes.set(id(name), { id: id(name), cost: 0, kind: 'plain', next: [], onError: [...failTo] });
          break;
        case 'Task': {
          const child = s.Resource === SYNC_CHILD ? model.childOf(s) : undefined;
          const childMachine = child === undefined ? undefined : model.load(child);
          if (childMachine && sendsHeartbeats(childMachine, model)) {
            const late = (s.Retry ?? []).filter((r) => r.ErrorEquals.some((e) => !IMMEDIATE.test(e)));
            if (late.length > 0)
              throw new Error(
                `${id(name)}: a retried child that heartbeats is not modelled (retry it in a loop)`,
              );
            const before = new Set(nodes.keys());
            const childPrefix = `${id(name)}/`;
            const start = add(childMachine, childPrefix, next, caught);
            // The child's errors and the parent's Task timing out can surface anywhere in the child.
            for (const [key, node] of nodes) {
              if (!before.has(key) && key.startsWith(childPrefix)) node.onError.push(...caught);
            }
            const delays = (s.Retry ?? []).reduce((n, r) => n + retryDelays(r), 0);
            nodes.set(id(name), {
              id: id(name),
              cost: delays,
              kind: 'plain',
              next: [start],
              onError: caught,
            });
          } else {
            const kind =
              s.Resource === HEARTBEAT ? 'heartbeat' : s.Resource === COMPLETE ? 'complete' : 'plain';
            const cost = taskCost(id(name), s, model.functionTimeout(s));
            nodes.set(id(name), { id: id(name), cost, kind, next, onError: caught });
          }
          break;
        }
        default:
          throw new Error(`${id(name)}: a ${s.Type} state is not modelled by the heartbeat walk`);
      }
    }
    return id(machine.StartAt);
  };
  const entry = add(model.load(workflow), '', [], []);
  return { nodes, entry };
}

/** Where new stretches start after a node that heartbeats or completes the action. */
function restartsAfter(node: Node): string[] {
  return node.kind === 'heartbeat' ? [...node.next, ...node.onError] : [...node.onError];
}

/** Every stretch of `workflow` between heartbeats, longest first. */
export function heartbeatStretches(workflow: string, model: GapModel): Stretch[] {
  const { nodes, entry } = buildGraph(workflow, model);
  const node = (id: string): Node => {
    const n = nodes.get(id);
    if (!n) throw new Error(`${id}: no such state`);
    return n;
  };
  const memo = new Map<string, Stretch>();
  const visiting: string[] = [];
  const longest = (id: string): Stretch => {
    const known = memo.get(id);
    if (known) return known;
    const at = visiting.indexOf(id);
    if (at >= 0) throw new Error(`a loop without a heartbeat: ${[...visiting.slice(at), id].join(' → ')}`);
    const n = node(id);
    let best: Stretch = { seconds: 0, path: [] };
    if (n.kind === 'plain') {
      visiting.push(id);
      for (const s of [...n.next, ...n.onError]) {
        const candidate = longest(s);
        if (candidate.seconds > best.seconds || best.path.length === 0) best = candidate;
      }
      visiting.pop();
    }
    const result = { seconds: n.cost + best.seconds, path: [id, ...best.path] };
    memo.set(id, result);
    return result;
  };

  const stretches: Stretch[] = [longest(entry)];
  // Every heartbeat or completion reachable from the start begins new stretches.
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const id = queue.shift() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    const n = node(id);
    if (n.kind === 'plain') queue.push(...n.next, ...n.onError);
    else {
      for (const s of restartsAfter(n)) {
        const after = longest(s);
        stretches.push({ seconds: after.seconds, path: [id, ...after.path] });
        queue.push(s);
      }
    }
  }
  return stretches.sort((a, b) => b.seconds - a.seconds);
}
