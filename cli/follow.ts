/**
 * `followRun`: the live view of a run's phases (listr2: a task per phase, the current one spinning with its
 * elapsed time) until the run ends. Renderer: the default one on a TTY, plain lines (listr2's simple renderer)
 * otherwise, nothing with --json. Every command that starts a run follows it with this.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { Listr, ListrLogger, type ListrTask, ProcessOutput } from 'listr2';
import type { CliContext } from './context';
import { EXIT, type ExitCode } from './exit-codes';
import { formatElapsed } from './output';
import { type Phase, phasesOf, type RunSnapshot, type RunStatus, runFailed } from './phases';

export interface FollowOptions {
  /** Poll interval (default 2 s; on the twin, virtual time). */
  pollMs?: number;
  /** Stop following after this long (the run goes on); default: until it ends. */
  timeoutMs?: number;
  /** Region of the run (default: the one in the execution ARN). */
  region?: string;
  /** Keep following while the run waits for an approval (default: stop, exit 5 with how to approve). */
  throughApproval?: boolean;
}

export interface FollowOutcome {
  executionArn: string;
  status: RunStatus;
  /** 0 succeeded, 3 failed/timed out/aborted, 5 waiting for an approval or still running when following stopped. */
  exitCode: ExitCode;
  /** The run (or its child) waits for a person's answer: the approval request's state and run. */
  waiting?: { executionArn: string; state: string };
  phases: Phase[];
  startedAt?: number;
  endedAt?: number;
  error?: string;
  cause?: string;
  output?: unknown;
}

/** The region in an execution ARN (arn:aws:states:<region>:<account>:execution:<machine>:<name>). */
export function regionOfArn(arn: string): string | undefined {
  const parts = arn.split(':');
  return parts[2] === 'states' ? parts[3] : undefined;
}

/** Every event of the run's history, oldest first. */
export async function readHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

function phaseTitle(p: Phase, now: number): string {
  const elapsed = formatElapsed((p.endedAt ?? now) - p.startedAt);
  const loops = p.entries > 1 ? ` ×${p.entries}` : '';
  return `${p.name}${p.child ? ' (child run)' : ''}${loops} [${elapsed}]`;
}

/** The child's input names the run that started it (Step Functions sets it for `startExecution` Tasks). */
function startedBy(input: string | undefined, runArn: string): boolean {
  try {
    const p = JSON.parse(input ?? '') as { AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID?: unknown };
    return p.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID === runArn;
  } catch {
    return false;
  }
}

function pendingText(waiting: FollowOutcome['waiting']): string {
  return waiting ? `waiting for approval (${waiting.state})` : 'still running';
}

function rendererOf(ctx: CliContext): 'default' | 'simple' | 'silent' {
  if (ctx.json) return 'silent';
  return ctx.interactive && ctx.colour ? 'default' : 'simple';
}

/** Follows `executionArn` until it ends (or `timeoutMs`), rendering its phases; returns the outcome. */
export async function followRun(
  ctx: CliContext,
  executionArn: string,
  opts: FollowOptions = {},
): Promise<FollowOutcome> {
  const region = opts.region ?? regionOfArn(executionArn) ?? ctx.region();
  const sfn = ctx.backend.clients(region).sfn;
  const pollMs = opts.pollMs ?? 2000;
  const deadline =
    opts.timeoutMs === undefined ? Number.POSITIVE_INFINITY : ctx.backend.now() + opts.timeoutMs;
  let waiting: FollowOutcome['waiting'];
  const children = new Map<string, string>();
  /**
   * The running child a phase started, when the history names no ARN (no TaskSubmitted): the child machine's
   * running executions whose input says this run started it (`AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID`).
   */
  const runningChild = async (phase: Phase): Promise<string | undefined> => {
    const known = children.get(phase.name);
    if (known || !phase.childMachine) return known;
    const list = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: phase.childMachine,
        statusFilter: 'RUNNING',
        maxResults: 100,
      }),
    );
    for (const e of list.executions ?? []) {
      if (!e.executionArn) continue;
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
      if (startedBy(d.input, executionArn)) {
        children.set(phase.name, e.executionArn);
        return e.executionArn;
      }
    }
    return undefined;
  };
  /** The run itself, or the child run of its current phase, waits for an approval. */
  const read = async (): Promise<RunSnapshot> => {
    const s = phasesOf(await readHistory(sfn, executionArn));
    waiting = undefined;
    if (opts.throughApproval || s.status !== 'RUNNING') return s;
    if (s.waitingForApproval) waiting = { executionArn, state: s.waitingForApproval.state };
    const child = s.phases.find((p) => p.status === 'running' && p.child);
    const childArn = child && (child.childArn ?? (await runningChild(child)));
    if (!waiting && childArn) {
      const c = phasesOf(await readHistory(sfn, childArn));
      if (c.status === 'RUNNING' && c.waitingForApproval) {
        waiting = { executionArn: childArn, state: c.waitingForApproval.state };
      }
    }
    return s;
  };
  let snap: RunSnapshot = await read();
  const poll = async (): Promise<RunSnapshot> => {
    await ctx.backend.sleep(pollMs);
    snap = await read();
    return snap;
  };
  const renderer = rendererOf(ctx);
  // While the live view renders, listr2 holds every other write to the process's streams and prints it after.
  // On the twin those are the in-process Lambdas' log lines (the twin's capture is bypassed while held): they are
  // not the operator's output, so they are dropped instead of printed.
  const processOutput = new ProcessOutput(
    ctx.io.stdout as NodeJS.WriteStream,
    ctx.io.stderr as NodeJS.WriteStream,
    ctx.backend.kind === 'twin' ? { dump: [] } : undefined,
  );
  // The renderers write through their logger's process output: ours goes to the context's streams.
  const logger = new ListrLogger({ useIcons: true, processOutput, toStderr: [] });
  const render = async (tasks: ListrTask[]): Promise<void> => {
    const listr = new Listr(tasks, {
      renderer,
      fallbackRenderer: 'simple',
      rendererOptions: { logger },
      fallbackRendererOptions: { logger },
      exitOnError: false,
      registerSignalListeners: false,
      // listr2 checks process.stdout; the context's stdout decided already (a TTY: the live view).
      forceTTY: renderer === 'default',
    } as ConstructorParameters<typeof Listr>[1]);
    await listr.run();
  };
  let shown = 0;
  const stopped = () => waiting !== undefined || ctx.backend.now() >= deadline;
  for (;;) {
    // Phases that ended already: one completed (or failed) task each.
    const finished: ListrTask[] = [];
    while (
      shown < snap.phases.length &&
      (snap.phases[shown]?.status !== 'running' || snap.status !== 'RUNNING')
    ) {
      const p = snap.phases[shown] as Phase;
      const title = phaseTitle(p, ctx.backend.now());
      finished.push({
        title,
        task: () => {
          if (p.status === 'failed') throw new Error(`${title}: ${snap.error ?? 'failed'}`);
        },
      });
      shown += 1;
    }
    if (finished.length > 0) await render(finished);
    if (snap.status !== 'RUNNING') break;
    const current = snap.phases[shown];
    if (stopped()) {
      // Waiting for a person (or out of time): the current phase is left open, marked so.
      if (current) {
        const title = phaseTitle(current, ctx.backend.now());
        await render([{ title, task: (_c, task) => task.skip(`${title}: ${pendingText(waiting)}`) }]);
      }
      break;
    }
    if (!current) {
      await poll();
      continue;
    }
    // The current phase: spinning, its elapsed time updated at each poll, until it ends or the run does.
    await render([
      {
        title: phaseTitle(current, ctx.backend.now()),
        task: async (_c, task) => {
          for (;;) {
            const s = await poll();
            const p = s.phases.find((x) => x.name === current.name) ?? current;
            task.title = phaseTitle(p, ctx.backend.now());
            if (p.status === 'failed') throw new Error(`${task.title}: ${s.error ?? 'failed'}`);
            if (p.status === 'done' || s.status !== 'RUNNING') return;
            if (stopped()) {
              task.skip(`${task.title}: ${pendingText(waiting)}`);
              return;
            }
          }
        },
      },
    ]);
    shown += 1;
    if (stopped()) break;
  }
  let output: unknown;
  if (snap.status === 'SUCCEEDED') {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    output = d.output === undefined ? undefined : JSON.parse(d.output);
  }
  const exitCode: ExitCode =
    snap.status === 'SUCCEEDED' ? EXIT.OK : runFailed(snap.status) ? EXIT.FAILED : EXIT.PENDING;
  return {
    executionArn,
    status: snap.status,
    exitCode,
    phases: snap.phases,
    ...(snap.startedAt === undefined ? {} : { startedAt: snap.startedAt }),
    ...(snap.endedAt === undefined ? {} : { endedAt: snap.endedAt }),
    ...(snap.error === undefined ? {} : { error: snap.error }),
    ...(snap.cause === undefined ? {} : { cause: snap.cause }),
    ...(output === undefined ? {} : { output }),
    ...(waiting === undefined ? {} : { waiting }),
  };
}
