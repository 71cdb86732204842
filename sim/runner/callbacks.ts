/**
 * Step Functions' callback pattern in the twin ("Wait for a Callback with Task Token", Step Functions developer
 * guide, Service integration patterns: https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token):
 * a Task whose Resource ends in `.waitForTaskToken` passes `$$.Task.Token` to the service it calls and then
 * pauses until SendTaskSuccess or SendTaskFailure names that token, or until its TimeoutSeconds elapse
 * (`States.Timeout`). Each attempt of the Task (a retry too) gets a token of its own.
 *
 * SendTaskSuccess / SendTaskFailure (Step Functions API reference) answer `InvalidToken` for a token Step
 * Functions never issued, `TaskTimedOut` for one whose task has timed out or already been closed (completed
 * once, or its execution ended), and `InvalidOutput` for output that is not JSON.
 */
import { AwsError } from '../core/errors';
import type { ExecutionRecord } from '../core/world';

interface OpenTask {
  readonly executionArn: string;
  readonly stateName: string;
  closed: boolean;
  resolve: (output: unknown) => void;
  reject: (err: Error) => void;
}

/** The error a SendTaskFailure gives the waiting Task: the caller's error name and cause. */
export class CallbackError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Task tokens of one region's Step Functions. */
export class TaskTokens {
  /** Tokens issued for each execution (read through `$$.Task.Token`), and the Tasks waiting on them. */
  private readonly issued = new Map<string, string>();
  private readonly open = new Map<string, OpenTask>();
  private count = 0;

  constructor(
    private readonly region: string,
    private readonly executionOf: (arn: string) => ExecutionRecord | undefined,
  ) {}

  /**
   * The context object's `Task` for one execution: every read of `Token` issues a new token, as each Task
   * state (and each retry of one) is given its own.
   */
  contextTask(executionArn: string): { readonly Token: string } {
    const issue = () => {
      const n = this.count++;
      // Opaque like AWS's (base64 text), never JWT-shaped, carrying nothing secret.
      const token = `AQC${Buffer.from(`${this.region}|${executionArn}|${n}`).toString('base64url')}`;
      this.issued.set(token, executionArn);
      return token;
    };
    return {
      get Token() {
        return issue();
      },
    };
  }

  /**
   * Opens the wait of a `.waitForTaskToken` Task: the token of this execution found in the Task's input. The
   * returned promise settles on SendTaskSuccess / SendTaskFailure; `close` ends the wait (the Task timed out or
   * failed), after which a completion is refused as Step Functions refuses it.
   */
  await(
    executionArn: string,
    stateName: string,
    input: unknown,
  ): { token: string; settled: Promise<unknown>; close: () => void } {
    // A token may be passed as a value or inside a text (the approval's message, through States.Format).
    const tokens = stringsIn(input)
      .flatMap((s) => s.match(/AQC[A-Za-z0-9_-]+/g) ?? [])
      .filter((s) => this.issued.get(s) === executionArn);
    const token = tokens.at(-1);
    if (token === undefined) {
      // AWS accepts such a Task, which then waits for a callback nobody can send: a definition error here.
      throw new Error(
        `${stateName}: a .waitForTaskToken Task must pass $$.Task.Token to the service it calls`,
      );
    }
    let task: OpenTask | undefined;
    const settled = new Promise<unknown>((resolve, reject) => {
      task = { executionArn, stateName, closed: false, resolve, reject };
    });
    // Nobody may be listening any more once the Task has timed out.
    settled.catch(() => undefined);
    // A Task that reads `$$.Task.Token` more than once (the approval's message and its attribute) holds one
    // token in AWS; here each read issued one, so every one this attempt read opens the same wait.
    for (const t of tokens) this.open.set(t, task as OpenTask);
    return {
      token,
      settled,
      close: () => {
        (task as OpenTask).closed = true;
      },
    };
  }

  sendTaskSuccess(input: { taskToken?: string; output?: string }): Record<string, never> {
    const task = this.live(input.taskToken);
    let output: unknown;
    try {
      output = JSON.parse(input.output ?? '');
    } catch {
      throw new AwsError('InvalidOutput', 'The provided JSON output data is invalid.', { status: 400 });
    }
    task.closed = true;
    task.resolve(output);
    return {};
  }

  sendTaskFailure(input: { taskToken?: string; error?: string; cause?: string }): Record<string, never> {
    const task = this.live(input.taskToken);
    task.closed = true;
    task.reject(new CallbackError(input.error ?? '', input.cause ?? ''));
    return {};
  }

  /** The open task a token names, or the error Step Functions answers. */
  private live(token: string | undefined): OpenTask {
    const executionArn = this.issued.get(token ?? '');
    if (token === undefined || executionArn === undefined) {
      throw new AwsError('InvalidToken', 'Invalid Token', { status: 400 });
    }
    const task = this.open.get(token);
    const execution = this.executionOf(executionArn);
    if (!task || task.closed || execution?.status !== 'RUNNING') {
      throw new AwsError(
        'TaskTimedOut',
        'The task token has either expired or the task associated with the token has already been closed.',
        { status: 400 },
      );
    }
    return task;
  }
}

function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}
