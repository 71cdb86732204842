/** A stubbed Step Functions world and CLI context for the ACT command tests (act-commands*.test.ts). */
import { PassThrough } from 'node:stream';
import type { CliContext } from '../../../cli/context';
import { CliError } from '../../../cli/errors';

export interface Exec {
  arn: string;
  machine: string;
  input: string;
  status: string;
  output?: string;
  error?: string;
  cause?: string;
}

const ACCOUNT = '123456789012';
const smArn = (region: string, wf: string) => `arn:aws:states:${region}:${ACCOUNT}:stateMachine:cp-${wf}`;

export function world(opts: {
  dry?: (input: Record<string, unknown>) => Partial<Exec>;
  real?: Partial<Exec>;
  missingStacks?: string[];
  approvalRequired?: boolean;
}) {
  const execs: Exec[] = [];
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  const out = new PassThrough();
  const err = new PassThrough();
  let text = '';
  let errText = '';
  out.on('data', (b) => (text += String(b)));
  err.on('data', (b) => (errText += String(b)));
  let now = 1_700_000_000_000;
  const sfn = {
    send: async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = cmd.constructor.name.replace(/Command$/, '');
      sent.push({ name, input: cmd.input });
      const i = cmd.input;
      switch (name) {
        case 'StartExecution': {
          const machine = String(i.stateMachineArn);
          const arn = `${machine.replace(':stateMachine:', ':execution:')}:${String(i.name)}`;
          const input = JSON.parse(String(i.input)) as Record<string, unknown>;
          const e: Exec = { arn, machine, input: String(i.input), status: 'RUNNING' };
          Object.assign(e, input.dryRun ? (opts.dry?.(input) ?? {}) : (opts.real ?? {}));
          execs.push(e);
          if (!input.dryRun && opts.approvalRequired)
            execs.push({
              arn: `${arn}-approval`,
              machine: machine.replace('regional-failover', 'regional-failover-approval'),
              input: JSON.stringify({ AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: arn }),
              status: 'RUNNING',
            });
          return { executionArn: arn };
        }
        case 'DescribeExecution': {
          const e = execs.find((x) => x.arn === i.executionArn);
          if (!e) throw Object.assign(new Error('ExecutionDoesNotExist'), { name: 'ExecutionDoesNotExist' });
          return { ...e, executionArn: e.arn };
        }
        case 'ListExecutions':
          return {
            executions: execs
              .filter((e) => e.machine === i.stateMachineArn && e.status === i.statusFilter)
              .map((e) => ({ executionArn: e.arn })),
          };
        case 'GetExecutionHistory':
          return {
            events: [
              { id: 1, type: 'ExecutionStarted' },
              {
                id: 2,
                type: 'TaskScheduled',
                taskScheduledEventDetails: {
                  resourceType: 'sns',
                  resource: 'publish.waitForTaskToken',
                  parameters: JSON.stringify({
                    MessageAttributes: {
                      TaskToken: { DataType: 'String', StringValue: `TOKEN-${String(i.executionArn)}` },
                    },
                  }),
                },
              },
            ],
          };
        case 'SendTaskSuccess':
        case 'SendTaskFailure':
          return {};
        default:
          throw new Error(`unexpected ${name}`);
      }
    },
  };
  const regions = ['eu-west-1', 'us-east-1'];
  const ctx = {
    config: {
      cluster: { name: 'cp' },
      regions: regions.map((name) => ({ name })),
      failover: { approvalRequired: opts.approvalRequired ?? false },
    },
    backend: {
      kind: 'twin',
      clients: () => ({ sfn }),
      stack: async (region: string) => {
        if (opts.missingStacks?.includes(region)) throw new CliError(4, `stack cp not found in ${region}`);
        return {
          stackName: 'cp',
          stateTable: 't',
          operationsFunction: 'f',
          topicArn: 'a',
          routingTable: 'r',
          stateMachineArn: (wf: string) => smArn(region, wf),
        };
      },
      identity: async () => 'arn:aws:sts::123456789012:assumed-role/ops/jane',
      sleep: async (ms: number) => {
        now += ms;
      },
      now: () => now,
    },
    io: { stdout: out, stderr: err, stdin: new PassThrough(), env: {} },
    json: false,
    yes: true,
    colour: false,
    interactive: false,
    region: (flag?: string) => {
      const r = flag ?? regions[0];
      if (!regions.includes(r as string)) throw new CliError(4, `region ${r} is not in the config`);
      return r as string;
    },
  } as unknown as CliContext;
  return { ctx, execs, sent, text: () => text, errText: () => errText };
}

export const go = {
  status: 'SUCCEEDED',
  output: JSON.stringify({
    outcome: 'dry-run',
    summary: 'Dry run, nothing changed. Verdict: planned. Decision: Promote i-0abc12345: x.',
  }),
};
export const starts = (sent: { name: string; input: Record<string, unknown> }[]) =>
  sent
    .filter((s) => s.name === 'StartExecution')
    .map((s) => JSON.parse(String(s.input.input)) as Record<string, unknown>);

export const code = async (p: Promise<number>) =>
  p.then(
    (c) => c,
    (e: unknown) => (e instanceof CliError ? (e as unknown as { code: number }).code : -1),
  );

export const regionalPlan = (verdict: string) => ({
  status: 'SUCCEEDED',
  output: JSON.stringify({
    planned: {
      plan: {
        verdict,
        summary: `evacuate: ${verdict}`,
        checks: [{ name: 'capacity', ok: verdict === 'go', detail: 'd' }],
      },
    },
  }),
});
