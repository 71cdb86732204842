import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import aslValidator from 'asl-validator';
import { APPROVAL_TIMEOUT_MAX_MINUTES } from '../../infra/regional-failover';
import { commandRunBoundSeconds, type DocumentKind } from '../../infra/ssm-documents';
import {
  FUNCTION_TIMEOUT_SECONDS,
  type FunctionName,
  stateMachineArnPlaceholder,
} from '../../infra/workflow-definitions';

const ROOT = path.resolve(__dirname, '../..');
const dirs = ['statemachines', 'test/fixtures/asl'];
const files = dirs.flatMap((d) =>
  (existsSync(path.join(ROOT, d)) ? readdirSync(path.join(ROOT, d)) : [])
    .filter((f) => f.endsWith('.asl.json'))
    .map((f) => path.join(d, f)),
);
const valid = files.filter((f) => !f.endsWith('invalid.asl.json'));

describe('ASL definitions', () => {
  it('finds the definitions to check', () => {
    expect(valid.length).toBeGreaterThan(0);
  });

  it.each(valid)('%s passes asl-validator (paths and ARNs checked)', (file) => {
    const { isValid, errorsText } = aslValidator(JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')));
    expect(errorsText('\n')).toBe('');
    expect(isValid).toBe(true);
  });

  it('rejects a broken definition (the check can fail)', () => {
    const broken = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/asl/invalid.asl.json'), 'utf8'));
    expect(aslValidator(broken).isValid).toBe(false);
  });
});

interface State {
  Type: string;
  Resource?: string;
  Parameters?: unknown;
  TimeoutSeconds?: number;
  Comment?: string;
  Retry?: { ErrorEquals: string[]; MaxAttempts?: number; JitterStrategy?: string }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Branches?: Machine[];
  Iterator?: Machine;
  ItemProcessor?: Machine;
  [key: string]: unknown;
}
interface Machine {
  States: Record<string, State>;
}

/** Every state of a definition with its path, including those inside Parallel branches and Map processors. */
function allStates(machine: Machine, prefix = ''): [string, State][] {
  return Object.entries(machine.States).flatMap(([name, state]) => [
    [`${prefix}${name}`, state] as [string, State],
    ...[...(state.Branches ?? []), state.Iterator, state.ItemProcessor]
      .filter((m): m is Machine => m !== undefined)
      .flatMap((m) => allStates(m, `${prefix}${name}/`)),
  ]);
}

const workflows = files.filter((f) => f.startsWith('statemachines'));
const load = (file: string): Machine => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8'));

describe('ASL conventions (statemachines/README.md)', () => {
  it('finds the workflows to check', () => {
    expect(workflows.length).toBeGreaterThan(0);
  });

  it.each(workflows)('%s: every Task retries with full jitter, a bounded number of times', (file) => {
    const offenders = allStates(load(file))
      .filter(([, s]) => s.Type === 'Task')
      .flatMap(([name, s]) => {
        if (!s.Retry || s.Retry.length === 0) return [`${name}: no Retry`];
        return s.Retry.flatMap((r, i) => [
          ...(r.JitterStrategy === 'FULL' ? [] : [`${name}: Retry[${i}] JitterStrategy is not FULL`]),
          ...(typeof r.MaxAttempts === 'number' && r.MaxAttempts >= 1 && r.MaxAttempts <= 10
            ? []
            : [`${name}: Retry[${i}] MaxAttempts is not an explicit 1-10`]),
        ]);
      });
    expect(offenders).toEqual([]);
  });

  it.each(workflows)('%s: every Task catches every error (States.ALL) to a path of its own', (file) => {
    const offenders = allStates(load(file))
      .filter(([, s]) => s.Type === 'Task')
      .filter(([, s]) => !(s.Catch ?? []).some((c) => c.ErrorEquals.includes('States.ALL')))
      .map(([name]) => name);
    expect(offenders).toEqual([]);
  });

  it.each(workflows)('%s: state names are unique across the definition; JSONPath only, no Assign', (file) => {
    const definition = load(file);
    const names = allStates(definition).map(([p]) => p.split('/').pop());
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    const text = JSON.stringify(definition);
    expect(text).not.toMatch(/"Assign"\s*:/);
    expect(text).not.toMatch(/"QueryLanguage"\s*:\s*"JSONata"/);
  });
});

/** The Lambda a Task invokes, from its `${…FunctionArn}` placeholder (`${FailoverFunctionArn}` → failover). */
function functionOf(state: State): FunctionName | undefined {
  const arn = String((state.Parameters as { FunctionName?: string } | undefined)?.FunctionName ?? '');
  const m = /^\$\{([A-Za-z]+)FunctionArn\}$/.exec(arn);
  const name = m?.[1] ? m[1].charAt(0).toLowerCase() + m[1].slice(1) : undefined;
  return name && name in FUNCTION_TIMEOUT_SECONDS ? (name as FunctionName) : undefined;
}

/** The documents node-command runs, by the placeholder the workflows name them with. */
const DOCUMENT_PLACEHOLDERS: Record<string, DocumentKind> = {
  [`\${${'ProbeDocument'}}`]: 'probeReadiness',
  [`\${${'StopDocument'}}`]: 'stopArtifactory',
  [`\${${'StartDocument'}}`]: 'startArtifactory',
  [`\${${'ConfigureDocument'}}`]: 'configureNode',
  [`\${${'SetPrimaryRoleDocument'}}`]: 'setPrimaryRole',
  [`\${${'MakeCsrDocument'}}`]: 'makeCsr',
  [`\${${'InstallCertificateDocument'}}`]: 'installCertificate',
  [`\${${'RollbackCertificateDocument'}}`]: 'rollbackCertificate',
  [`\${${'ProbeServedCertificateDocument'}}`]: 'probeServedCertificate',
  [`\${${'ReadReplicationStatusDocument'}}`]: 'readReplicationStatus',
};

/** The workflow a `.sync` Task starts, from its `${…StateMachineArn}` placeholder. */
function childOf(state: State): string | undefined {
  const arn = String((state.Parameters as { StateMachineArn?: string } | undefined)?.StateMachineArn ?? '');
  return workflowNames.find((n) => arn === `\${${stateMachineArnPlaceholder(n)}}`);
}

const workflowNames = workflows.map((f) => path.basename(f, '.asl.json'));
const machineTimeout = (name: string) =>
  (load(`statemachines/${name}.asl.json`) as unknown as { TimeoutSeconds?: number }).TimeoutSeconds;

/** The kind of call a Task makes, for its retry policy: `lambda`, `aws-sdk:autoscaling`, `child`, ... */
function kindOf(state: State): string {
  const resource = String(state.Resource);
  if (resource === 'arn:aws:states:::lambda:invoke') return 'lambda';
  if (resource.startsWith('arn:aws:states:::states:startExecution')) return 'child';
  const sdk = /^arn:aws:states:::aws-sdk:([a-z0-9]+):/.exec(resource);
  if (sdk) return `aws-sdk:${sdk[1]}`;
  return resource.replace(/^arn:aws:states:::([a-z0-9]+):.*$/, '$1');
}

describe('every step is bounded in time (AWS gives a Task no default timeout)', () => {
  it.each(workflows)('%s: the state machine has a TimeoutSeconds', (file) => {
    const timeout = (load(file) as unknown as { TimeoutSeconds?: number }).TimeoutSeconds;
    expect(typeof timeout).toBe('number');
    expect(timeout).toBeGreaterThan(0);
  });

  it.each(workflows)('%s: every Task has a TimeoutSeconds sized to what it waits for', (file) => {
    const offenders = allStates(load(file))
      .filter(([, s]) => s.Type === 'Task')
      .flatMap(([name, s]) => {
        const timeout = s.TimeoutSeconds as number | undefined;
        // The approval wait is the operator's setting (failover.approvalTimeoutMinutes), read from the input
        // (regional-failover's AwaitApproval): its state machine's own bound covers the largest value the schema
        // accepts.
        if (s.TimeoutSecondsPath !== undefined && timeout === undefined) {
          const bound = (load(file) as unknown as { TimeoutSeconds: number }).TimeoutSeconds;
          return bound >= APPROVAL_TIMEOUT_MAX_MINUTES * 60 + 60
            ? []
            : [`${name}: its state machine's ${bound} s does not cover the longest TimeoutSecondsPath`];
        }
        if (typeof timeout !== 'number') return [`${name}: no TimeoutSeconds`];
        const fn = functionOf(s);
        if (fn && timeout < FUNCTION_TIMEOUT_SECONDS[fn] + 15) {
          return [
            `${name}: ${timeout} s is not the ${fn} function's ${FUNCTION_TIMEOUT_SECONDS[fn]} s plus a margin`,
          ];
        }
        if (String(s.Resource).endsWith('.sync:2')) {
          const child = childOf(s);
          if (!child) return [`${name}: starts a workflow that is not in statemachines/`];
          const bound = machineTimeout(child) ?? Number.POSITIVE_INFINITY;
          if (child === 'node-command') {
            const input = (
              s.Parameters as {
                Input?: { timeoutSeconds?: number; document?: string; parameters?: Record<string, unknown> };
              }
            ).Input;
            const kind = DOCUMENT_PLACEHOLDERS[String(input?.document)];
            if (!kind) return [`${name}: runs a document that is not one of the project's`];
            // The command may take its delivery timeout plus the document's own execution timeout, which
            // node-command bounds; a Task may stop waiting sooner only when its Comment says why (naming it).
            const needed =
              Math.min(
                bound,
                (input?.timeoutSeconds ?? 0) + commandRunBoundSeconds(kind, input?.parameters),
              ) + 30;
            if (timeout < needed && !s.Comment?.includes(`${timeout} s`))
              return [`${name}: ${timeout} s ends before the command can (${needed} s)`];
            if (timeout > bound + 60)
              return [`${name}: ${timeout} s outlasts node-command's own ${bound} s bound`];
            // A probe that waits on the node must ask for an execution timeout that lets it (the script
            // refuses otherwise).
            const wait = Number((input?.parameters?.WaitSeconds as string[] | undefined)?.[0] ?? 0);
            if (kind === 'probeReadiness' && wait + 60 > commandRunBoundSeconds(kind, input?.parameters))
              return [`${name}: WaitSeconds ${wait} needs an ExecutionTimeout of at least ${wait + 60}`];
            return [];
          }
          if (timeout < bound + 30)
            return [`${name}: ${timeout} s is not ${child}'s ${bound} s bound plus a margin`];
          return [];
        }
        // A callback (the approval's SNS publish) waits for a person: its rounds are checked below.
        if (!fn && timeout > 120 && !String(s.Resource).endsWith('.waitForTaskToken'))
          return [`${name}: an API call given ${timeout} s`];
        return [];
      });
    expect(offenders).toEqual([]);
  });

  it('fails a definition whose Task has no timeout (the check can fail)', () => {
    const machine: Machine = {
      States: { Call: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } },
    };
    expect(allStates(machine).filter(([, s]) => typeof s.TimeoutSeconds !== 'number')).toHaveLength(1);
  });
});

describe('one retry policy per kind of call', () => {
  // States.Timeout: a callback Task's counted rounds (node-command's wait), not a policy for transient errors.
  // RoutingLeaseBusy: a concurrent regional-failover run from another region, waited for briefly.
  const extraRetriers = new Set([
    'RoutingLeaseBusy',
    'States.TaskFailed',
    'Ssm.InvocationDoesNotExistException',
    'States.Timeout',
  ]);
  it('every Task of a kind (Lambda, each SDK service, child workflows, DynamoDB) retries transient errors alike', () => {
    const policies = new Map<string, Set<string>>();
    for (const file of workflows) {
      for (const [, s] of allStates(load(file)).filter(([, st]) => st.Type === 'Task')) {
        const transient = (s.Retry ?? []).filter((r) => !r.ErrorEquals.every((e) => extraRetriers.has(e)));
        const kind = kindOf(s);
        policies.set(kind, new Set([...(policies.get(kind) ?? []), JSON.stringify(transient)]));
      }
    }
    const mixed = [...policies]
      .filter(([, set]) => set.size !== 1)
      .map(([kind, set]) => `${kind}: ${[...set].join(' | ')}`);
    expect(mixed).toEqual([]);
  });

  it("every Lambda Task retries Lambda's service errors, a timed-out function and TransientError", () => {
    // Lambda's own errors (Step Functions Developer Guide, Handle Lambda service exceptions); a function that
    // runs out its timeout fails as Sandbox.Timedout, or Lambda.Unknown (same page); the handlers turn
    // throttling and 5xx from AWS into TransientError (functions/shared/handler.ts). The operations are
    // idempotent (conditional writes), so a hung invocation is retried, never taken for a member's failure.
    const required = [
      'Lambda.ServiceException',
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
      'Lambda.TooManyRequestsException',
      'Sandbox.Timedout',
      'Lambda.Unknown',
      'TransientError',
    ];
    const lambdaTasks = workflows.flatMap((file) =>
      allStates(load(file)).filter(([, s]) => s.Type === 'Task' && kindOf(s) === 'lambda'),
    );
    expect(lambdaTasks.length).toBeGreaterThan(20);
    const offenders = lambdaTasks.flatMap(([name, s]) => {
      const retried = new Set((s.Retry ?? []).flatMap((r) => r.ErrorEquals));
      const missing = required.filter((e) => !retried.has(e));
      return missing.length > 0 ? [`${name}: does not retry ${missing.join(', ')}`] : [];
    });
    expect(offenders).toEqual([]);
  });
});

describe('callback Tasks (.waitForTaskToken)', () => {
  const callbacks = workflows.flatMap((file) =>
    allStates(load(file))
      .filter(([, s]) => s.Type === 'Task' && String(s.Resource).endsWith('.waitForTaskToken'))
      .map(([name, s]) => [file, name, s] as const),
  );

  it('node-command and the regional-failover approval wait with one', () => {
    expect(callbacks.map(([file, name]) => `${path.basename(file)}/${name}`).sort()).toEqual([
      'node-command.asl.json/WaitForNodeCommand',
      'regional-failover-approval.asl.json/RequestApproval',
    ]);
  });

  it.each(callbacks)(
    '%s %s: passes its task token, and its rounds fit its state machine bound',
    (file, _n, s) => {
      expect(JSON.stringify(s.Parameters)).toContain('"$$.Task.Token"');
      const rounds = 1 + (s.Retry?.find((r) => r.ErrorEquals.includes('States.Timeout'))?.MaxAttempts ?? 0);
      const bound = (load(file) as unknown as { TimeoutSeconds: number }).TimeoutSeconds;
      const wait =
        typeof s.TimeoutSeconds === 'number' ? s.TimeoutSeconds : APPROVAL_TIMEOUT_MAX_MINUTES * 60;
      // Each round waits TimeoutSeconds; the retry pauses (IntervalSeconds 1, full jitter) add under a second each,
      // and SendCommand (60 s Task, retried) comes before: the rounds leave it that much of the bound.
      expect(rounds * wait + rounds).toBeLessThanOrEqual(bound - 120);
    },
  );

  it.each(callbacks.filter(([file]) => file.endsWith('node-command.asl.json')))(
    '%s %s: a lost callback is made up for well before a parent stops waiting',
    (_f, _n, s) => {
      // A parent that starts node-command waits TimeoutSeconds on it; the command's end is noticed at worst one
      // round late, so a round is at most half of the shortest of those waits (a readiness probe's, 120 s).
      const parentWaits = workflows.flatMap((file) =>
        allStates(load(file))
          .filter(([, st]) => st.Type === 'Task' && childOf(st) === 'node-command')
          .map(([, st]) => st.TimeoutSeconds as number),
      );
      expect(parentWaits.length).toBeGreaterThan(5);
      expect(2 * (s.TimeoutSeconds as number)).toBeLessThanOrEqual(Math.min(...parentWaits));
    },
  );
});

describe('the workflow pattern', () => {
  it('the primary-failover parent has at most 45 states; its phases are children', () => {
    const parent = load('statemachines/primary-failover.asl.json');
    expect(allStates(parent).length).toBeLessThanOrEqual(45);
    const children = allStates(parent)
      .map(([, s]) => childOf(s))
      .filter((c) => c !== undefined);
    expect(new Set(children)).toEqual(
      new Set([
        'primary-failover-confirm',
        'primary-failover-stop-old',
        'primary-failover-candidate',
        'primary-failover-quarantine',
        'primary-failover-group-move',
        'primary-failover-demote',
      ]),
    );
  });

  it('every child workflow is named after its parent, so statemachines/ reads as a table of contents', () => {
    const parents = new Map<string, string[]>();
    for (const file of workflows) {
      const name = path.basename(file, '.asl.json');
      for (const [, s] of allStates(load(file))) {
        const child = childOf(s);
        if (child && child !== 'node-command') parents.set(child, [...(parents.get(child) ?? []), name]);
      }
    }
    const misnamed = [...parents]
      .filter(([child, by]) => !by.some((p) => child.startsWith(`${p}-`)) && child !== 'primary-failover')
      .map(([child, by]) => `${child} (started by ${by.join(', ')})`);
    expect(misnamed).toEqual([]);
  });

  it('primary-failover reports once, from its cleanup path', () => {
    const reports = allStates(load('statemachines/primary-failover.asl.json')).filter(
      ([, s]) =>
        (s.Parameters as { FunctionName?: string } | undefined)?.FunctionName ===
        `\${${'ReportFunctionArn'}}`,
    );
    expect(reports.map(([n]) => n)).toEqual(['ReportRun']);
  });
});
