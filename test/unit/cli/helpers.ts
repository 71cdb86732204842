/** Test helpers for hactl: a fake terminal, AWS clients whose `send` is stubbed, and `run` = main(argv). */
import { PassThrough, Writable } from 'node:stream';
import { awsLoader } from '../../../cli/aws-loader';
import { awsClients, type BackendClients, type Clock } from '../../../cli/backend';
import type { Io } from '../../../cli/context';
import { main } from '../../../cli/hactl';

export const EXAMPLE_CONFIG = 'infra/config/example.yaml';
export const ACCOUNT = '111122223333';
export const CALLER = `arn:aws:sts::${ACCOUNT}:assumed-role/oncall/alice`;

class Sink extends Writable {
  text = '';
  isTTY: boolean;
  columns = 120;
  constructor(tty: boolean) {
    super();
    this.isTTY = tty;
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface FakeIo extends Io {
  out(): string;
  err(): string;
}

export function fakeIo(opts: { tty?: boolean; env?: NodeJS.ProcessEnv; input?: string } = {}): FakeIo {
  const stdout = new Sink(opts.tty === true);
  const stderr = new Sink(opts.tty === true);
  const stdin = Object.assign(new PassThrough(), { isTTY: opts.tty === true });
  if (opts.input !== undefined) stdin.end(opts.input);
  return {
    stdout,
    stderr,
    stdin,
    env: { HA_CONFIG: EXAMPLE_CONFIG, ...(opts.env ?? {}) },
    out: () => stdout.text,
    err: () => stderr.text,
  };
}

export interface Call {
  region: string;
  service: keyof BackendClients;
  command: string;
  input: Record<string, unknown>;
}

/** Answers `service.Command` (e.g. `sfn.ListExecutionsCommand`); an unanswered call throws (and is recorded). */
export type Answers = Record<string, (input: Record<string, unknown>, region: string) => unknown>;

export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: {} });
}

export function stubbedClients(answers: Answers, calls: Call[]): (region: string) => BackendClients {
  return (region) => {
    const clients = awsClients(region);
    for (const service of Object.keys(clients) as (keyof BackendClients)[]) {
      const client = clients[service] as unknown as { send: (cmd: unknown) => Promise<unknown> };
      client.send = async (cmd: unknown) => {
        const command = (cmd as { constructor: { name: string } }).constructor.name;
        const input = (cmd as { input: Record<string, unknown> }).input;
        calls.push({ region, service, command, input });
        const answer = answers[`${service}.${command}`];
        if (!answer) throw new Error(`unexpected call ${service}.${command} in ${region}`);
        return answer(input, region);
      };
    }
    return clients;
  };
}

/** The CloudFormation answer of a deployed control-plane stack. */
export function stackAnswer(input: Record<string, unknown>, region: string) {
  const name = String(input.StackName);
  return {
    Stacks: [
      {
        StackName: name,
        StackId: `arn:aws:cloudformation:${region}:${ACCOUNT}:stack/${name}/0000`,
        StackStatus: 'UPDATE_COMPLETE',
        Outputs: [
          { OutputKey: 'StateTableName', OutputValue: `${name}-state` },
          { OutputKey: 'OperationsFunctionName', OutputValue: `${name}-operations` },
          { OutputKey: 'TopicArn', OutputValue: `arn:aws:sns:${region}:${ACCOUNT}:${name}-topic` },
          { OutputKey: 'RoutingTableName', OutputValue: 'artifactory-prod-routing' },
        ],
      },
    ],
  };
}

/** A Lambda Invoke answer with `body` as the payload. */
export function lambdaAnswer(body: unknown, functionError?: string) {
  return {
    StatusCode: 200,
    Payload: new TextEncoder().encode(JSON.stringify(body)),
    ...(functionError ? { FunctionError: functionError } : {}),
  };
}

export const BASE_ANSWERS: Answers = {
  'cloudFormation.DescribeStacksCommand': stackAnswer,
  'sts.GetCallerIdentityCommand': () => ({ Arn: CALLER, Account: ACCOUNT }),
};

export interface Run {
  code: number;
  out: string;
  err: string;
  calls: Call[];
  io: FakeIo;
}

/** Runs `hactl <args>` with stubbed clients. */
export async function run(
  args: string[],
  answers: Answers,
  opts: { tty?: boolean; env?: NodeJS.ProcessEnv; input?: string; clock?: Clock } = {},
): Promise<Run> {
  const io = fakeIo(opts);
  const calls: Call[] = [];
  const code = await main(['node', 'hactl', ...args], io, {
    aws: awsLoader(stubbedClients({ ...BASE_ANSWERS, ...answers }, calls), opts.clock ?? fakeClock()),
  });
  return { code, out: io.out(), err: io.err(), calls, io };
}

/** The Lambda payloads sent to the operations function, parsed. */
export function opsRequests(calls: Call[]): Record<string, unknown>[] {
  return calls
    .filter((c) => c.service === 'lambda' && c.command === 'InvokeCommand')
    .map((c) => JSON.parse(Buffer.from(c.input.Payload as Uint8Array).toString('utf8')));
}

/** A virtual clock: `sleep` advances it at once. */
export function fakeClock(start = Date.parse('2026-12-02T04:00:00Z')): Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}
