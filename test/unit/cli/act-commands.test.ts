/**
 * The ACT commands against stubbed clients: dry run first and its verdict, refusals (exit 2), the confirmation,
 * the real run followed (CORE's followRun, stubbed), failures (exit 3), the approval (exit 5, approve, reject).
 */
import { PassThrough } from 'node:stream';
import { failoverPrimary, rotateCerts } from '../../../cli/act/primary';
import { answer, regionalChange } from '../../../cli/act/regional';
import type { CliContext } from '../../../cli/context';
import { CliError, requireReason } from '../../../cli/errors';

const followed: string[] = [];
let followCode = 0;
jest.mock('../../../cli/follow', () => ({
  ...jest.requireActual('../../../cli/follow'),
  followRun: jest.fn(async (_ctx: unknown, arn: string, opts?: { throughApproval?: boolean }) => {
    followed.push(arn);
    if (followCode === 5 && opts?.throughApproval !== true)
      return {
        executionArn: arn,
        status: 'RUNNING',
        exitCode: 5,
        phases: [],
        waiting: { executionArn: `${arn}-approval`, state: 'RequestApproval' },
      };
    return {
      executionArn: arn,
      status: followCode === 0 || followCode === 5 ? 'SUCCEEDED' : 'FAILED',
      exitCode: followCode === 5 ? 0 : followCode,
      phases: [],
      ...(followCode !== 3
        ? { output: { outcome: 'succeeded', summary: 'the report' } }
        : { error: 'FailoverFailed' }),
    };
  }),
}));

interface Exec {
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

function world(opts: {
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

const go = {
  status: 'SUCCEEDED',
  output: JSON.stringify({
    outcome: 'dry-run',
    summary: 'Dry run, nothing changed. Verdict: planned. Decision: Promote i-0abc12345: x.',
  }),
};
const starts = (sent: { name: string; input: Record<string, unknown> }[]) =>
  sent
    .filter((s) => s.name === 'StartExecution')
    .map((s) => JSON.parse(String(s.input.input)) as Record<string, unknown>);

beforeEach(() => {
  followed.length = 0;
  followCode = 0;
});

const code = async (p: Promise<number>) =>
  p.then(
    (c) => c,
    (e: unknown) => (e instanceof CliError ? (e as unknown as { code: number }).code : -1),
  );

describe('failover primary', () => {
  it('dry run, verdict, then the real run followed', async () => {
    const w = world({ dry: () => go });
    expect(await failoverPrimary(w.ctx, { region: 'eu-west-1', reason: 'maintenance' })).toBe(0);
    expect(starts(w.sent).map((s) => s.dryRun)).toEqual([true, false]);
    expect(starts(w.sent)[1]).toMatchObject({
      cluster: 'cp',
      region: 'eu-west-1',
      trigger: 'manual',
      reason: 'maintenance',
    });
    expect(w.text()).toMatch(/Verdict: go\. Dry run, nothing changed/);
    expect(w.text()).toMatch(/SUCCEEDED: .*\nthe report/);
    expect(followed).toHaveLength(1);
  });
  it('the gate refusing: exit 2 and no real run', async () => {
    const w = world({
      dry: () => ({
        status: 'SUCCEEDED',
        output: JSON.stringify({
          outcome: 'dry-run',
          summary: 'Decision: Promote i-1: x. Refused by the gate (cooldown): y.',
        }),
      }),
    });
    await expect(failoverPrimary(w.ctx, { region: 'eu-west-1', reason: 'r' })).rejects.toThrow(
      /--force overrides/,
    );
    expect(starts(w.sent)).toHaveLength(1);
  });
  it('--force reaches the dry run and the run', async () => {
    const w = world({ dry: () => go });
    await failoverPrimary(w.ctx, { region: 'eu-west-1', reason: 'r', force: true, candidate: 'i-0abc12345' });
    expect(starts(w.sent).map((s) => [s.force, s.candidate])).toEqual([
      [true, 'i-0abc12345'],
      [true, 'i-0abc12345'],
    ]);
  });
  it('--dry-run stops after the verdict', async () => {
    const w = world({ dry: () => go });
    expect(await failoverPrimary(w.ctx, { region: 'eu-west-1', reason: 'r', dryRun: true })).toBe(0);
    expect(starts(w.sent)).toHaveLength(1);
    expect(followed).toHaveLength(0);
  });
  it('no --yes off a TTY: exit 2 after the dry run, nothing started', async () => {
    const w = world({ dry: () => go });
    (w.ctx as { yes: boolean }).yes = false;
    expect(await code(failoverPrimary(w.ctx, { region: 'eu-west-1', reason: 'r' }))).toBe(2);
    expect(starts(w.sent)).toHaveLength(1);
  });
  it('a failed dry run is exit 3; a ValidationError exit 2; the real run failing is followRun’s 3', async () => {
    expect(
      await code(
        failoverPrimary(world({ dry: () => ({ status: 'FAILED', error: 'FailoverFailed' }) }).ctx, {
          region: 'eu-west-1',
          reason: 'r',
        }),
      ),
    ).toBe(3);
    expect(
      await code(
        failoverPrimary(world({ dry: () => ({ status: 'FAILED', error: 'ValidationError' }) }).ctx, {
          region: 'eu-west-1',
          reason: 'r',
        }),
      ),
    ).toBe(2);
    followCode = 3;
    expect(await failoverPrimary(world({ dry: () => go }).ctx, { region: 'eu-west-1', reason: 'r' })).toBe(3);
  });
  it('bad input: a region not in the config (4), a bad candidate (1), no --region (1), no reason (2)', async () => {
    const w = world({ dry: () => go });
    expect(await code(failoverPrimary(w.ctx, { region: 'ap-south-1', reason: 'r' }))).toBe(4);
    expect(
      await code(failoverPrimary(w.ctx, { region: 'eu-west-1', reason: 'r', candidate: 'node-1' })),
    ).toBe(1);
    expect(await code(failoverPrimary(w.ctx, { reason: 'r' }))).toBe(1);
    expect(w.sent).toHaveLength(0);
    expect(() => requireReason('  ')).toThrow(/--reason/);
    expect(() => requireReason(undefined)).toThrow(CliError);
  });
});

const regionalPlan = (verdict: string) => ({
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

describe('evacuate / restore / approve / reject', () => {
  it('runs in a peer control plane; no peer answering is exit 4, --from the target exit 1', async () => {
    const w = world({ dry: () => regionalPlan('go') });
    expect(await regionalChange(w.ctx, 'evacuate', 'eu-west-1', { reason: 'INC-1' })).toBe(0);
    expect(
      w.sent
        .filter((s) => s.name === 'StartExecution')
        .every((s) => String(s.input.stateMachineArn).includes(':us-east-1:')),
    ).toBe(true);
    expect(starts(w.sent)[1]).toMatchObject({
      action: 'evacuate',
      region: 'eu-west-1',
      trigger: 'manual',
      dryRun: false,
      requestedBy: expect.stringContaining('jane'),
    });
    const lonely = world({ dry: () => regionalPlan('go'), missingStacks: ['us-east-1'] });
    expect(await code(regionalChange(lonely.ctx, 'evacuate', 'eu-west-1', { reason: 'r' }))).toBe(4);
    expect(
      await code(regionalChange(w.ctx, 'restore', 'eu-west-1', { reason: 'r', from: 'eu-west-1' })),
    ).toBe(1);
  });
  it('refused and wait verdicts: exit 2 with each check shown', async () => {
    for (const v of ['refused', 'wait']) {
      const w = world({ dry: () => regionalPlan(v) });
      expect(await code(regionalChange(w.ctx, 'restore', 'eu-west-1', { reason: 'r' }))).toBe(2);
      expect(w.text()).toMatch(/FAIL capacity: d/);
      const message = (force: boolean) =>
        regionalChange(w.ctx, 'restore', 'eu-west-1', { reason: 'r', force }).then(
          () => '',
          (e: Error) => e.message,
        );
      expect(await message(false)).toMatch(/--force goes past failing readiness checks/);
      expect(await message(true)).not.toMatch(/--force/);
      expect(starts(w.sent).every((s) => s.dryRun === true)).toBe(true);
    }
  });
  it('with approval required: exit 5 and the approve line; approve and reject answer the token', async () => {
    const w = world({ dry: () => regionalPlan('go'), approvalRequired: true });
    followCode = 5;
    expect(await regionalChange(w.ctx, 'evacuate', 'eu-west-1', { reason: 'r' })).toBe(5);
    const run = w.execs.find((e) => !e.arn.endsWith('-approval') && !JSON.parse(e.input).dryRun)
      ?.arn as string;
    expect(w.text()).toContain(`hactl approve ${run}`);
    expect(await answer(w.ctx, run, true, { reason: 'looks right' })).toBe(0);
    const ok = w.sent.find((s) => s.name === 'SendTaskSuccess');
    expect(ok?.input.taskToken).toBe(`TOKEN-${run}-approval`);
    expect(JSON.parse(String(ok?.input.output))).toMatchObject({ approved: true, reason: 'looks right' });
    expect(followed).toEqual([run, run]);
    const name = run.split(':').at(-1) as string;
    expect(await answer(w.ctx, name, false, { reason: 'not now', region: 'us-east-1' })).toBe(0);
    expect(w.sent.find((s) => s.name === 'SendTaskFailure')?.input).toMatchObject({
      error: 'NotApproved',
      cause: expect.stringContaining('not now'),
    });
  });
  it('approve of a run waiting for nothing: exit 2; a malformed run: exit 1', async () => {
    const w = world({});
    expect(
      await code(
        answer(w.ctx, 'arn:aws:states:us-east-1:1:execution:cp-regional-failover:x', true, { reason: 'r' }),
      ),
    ).toBe(2);
    expect(await code(answer(w.ctx, 'not a name', true, { reason: 'r' }))).toBe(1);
    expect(w.sent.some((s) => s.name.startsWith('SendTask'))).toBe(false);
  });
});

describe('rotate-certs', () => {
  const plan = (order: string[]) => ({
    status: 'SUCCEEDED',
    output: JSON.stringify({ run: { plan: { order, deferred: [] } }, conclusion: { summary: 'dry run' } }),
  });
  it('the plan, then the run with the nodes', async () => {
    const w = world({ dry: () => plan(['i-0abc12345']) });
    expect(await rotateCerts(w.ctx, { reason: 'audit', nodes: 'i-0abc12345' })).toBe(0);
    expect(starts(w.sent)[1]).toMatchObject({ trigger: 'manual', nodes: ['i-0abc12345'], dryRun: false });
  });
  it('nothing to rotate: exit 0, no run; bad nodes: exit 1 before anything', async () => {
    const w = world({ dry: () => plan([]) });
    expect(await rotateCerts(w.ctx, { reason: 'r' })).toBe(0);
    expect(starts(w.sent)).toHaveLength(1);
    expect(await code(rotateCerts(w.ctx, { reason: 'r', nodes: 'web-1' }))).toBe(1);
    expect(starts(w.sent)).toHaveLength(1);
  });
});

describe('the confirmation on a TTY', () => {
  for (const [typed, expected, runs] of [
    ['y\n', 0, 2],
    ['n\n', 2, 1],
    ['\n', 2, 1],
  ] as const) {
    it(`${JSON.stringify(typed)}: exit ${expected}`, async () => {
      const w = world({ dry: () => go });
      Object.assign(w.ctx, { yes: false, interactive: true });
      const stdin = w.ctx.io.stdin as PassThrough;
      setTimeout(() => stdin.write(typed), 5);
      expect(await code(failoverPrimary(w.ctx, { region: 'eu-west-1', reason: 'r' }))).toBe(expected);
      expect(w.errText()).toContain('Run failover primary in eu-west-1? [y/N]');
      expect(starts(w.sent)).toHaveLength(runs);
    });
  }
});
