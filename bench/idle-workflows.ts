/**
 * Scheduled workflows in the idle month (issue 14: the hourly readiness evaluation, the weekly drill): an
 * EventBridge schedule that starts a state machine rather than a Lambda. A workflow that runs at least every
 * hour runs in the twin's idle hour, so its transitions are in the measured hour and the Lambdas it invokes are
 * priced here from their measured invocations; one that runs less often (the drill) is priced from a stated
 * count of transitions per run. Pure: template, measurement and assumptions in, lines out.
 */
import type { Assumptions, CostLine, IdleMeasurement, Resource, Template } from './idle-cost-model';
import { PRICES } from './prices';

/** What the idle-cost model needs beyond its base assumptions for scheduled workflows. */
export interface WorkflowAssumptions {
  /** Transitions of one run of a workflow scheduled less often than hourly, by workflow name (stated). */
  readonly transitionsPerRun?: Readonly<Record<string, number>>;
}

const HOURLY = 730;

/** Whether a rule target names a state machine of this template (CDK: `Arn: { Ref: <state machine> }`). */
export function isStateMachineTarget(t: Template, target: { Arn?: unknown }): boolean {
  const ref = (target.Arn as { Ref?: string } | undefined)?.Ref;
  return ref !== undefined && t.Resources[ref]?.Type === 'AWS::StepFunctions::StateMachine';
}

export interface ScheduledWorkflow {
  readonly rule: string;
  readonly stateMachineName: string;
  readonly perMonth: number;
}

/** The scheduled rules of the template that start a state machine, with their firings a month. */
export function scheduledWorkflows(
  t: Template,
  firingsPerMonth: (expression: string) => number,
): ScheduledWorkflow[] {
  const out: ScheduledWorkflow[] = [];
  for (const [rule, r] of Object.entries(t.Resources)) {
    const p = r.Properties ?? {};
    if (r.Type !== 'AWS::Events::Rule' || typeof p.ScheduleExpression !== 'string' || p.State === 'DISABLED')
      continue;
    for (const target of (p.Targets ?? []) as { Arn?: unknown }[]) {
      if (!isStateMachineTarget(t, target)) continue;
      const sm = t.Resources[(target.Arn as { Ref: string }).Ref] as Resource;
      out.push({
        rule,
        stateMachineName: String(sm.Properties?.StateMachineName ?? (target.Arn as { Ref: string }).Ref),
        perMonth: firingsPerMonth(p.ScheduleExpression),
      });
    }
  }
  return out;
}

/**
 * Lambda requests and GB-seconds of the functions the idle hour ran that no schedule invokes directly: the
 * scheduled workflows invoked them (refused when the template schedules no workflow: then nothing should have).
 */
export function workflowFunctionLines(
  t: Template,
  idle: IdleMeasurement,
  a: Assumptions,
  scheduledServices: ReadonlySet<string>,
  workflows: readonly ScheduledWorkflow[],
): CostLine[] {
  const lines: CostLine[] = [];
  for (const [service, f] of Object.entries(idle.functions)) {
    if (f.invocations === 0 || scheduledServices.has(service)) continue;
    if (workflows.length === 0)
      throw new Error(`the twin ran ${service} while idle, but no schedule of the template invokes it`);
    const fn = Object.values(t.Resources).find(
      (r) =>
        r.Type === 'AWS::Lambda::Function' &&
        (r.Properties?.Environment as { Variables?: Record<string, string> } | undefined)?.Variables
          ?.POWERTOOLS_SERVICE_NAME === service,
    );
    if (fn === undefined)
      throw new Error(`the twin ran ${service}, which is not a function of this template`);
    const ms = a.durationMs[service];
    if (ms === undefined) throw new Error(`no stated duration for ${service}`);
    const memoryMb = (fn.Properties?.MemorySize as number | undefined) ?? 128;
    const arm = ((fn.Properties?.Architectures as string[] | undefined) ?? ['x86_64']).includes('arm64');
    const perMonth = (f.invocations / idle.hours) * HOURLY;
    const gbS = perMonth * (ms / 1000) * (memoryMb / 1024);
    const gb = (perMonth * (f.logBytes / f.invocations + a.platformLogBytes)) / 1e9;
    lines.push(
      {
        category: 'Lambda',
        item: `${service} (invoked by scheduled workflows): ${f.invocations / idle.hours} requests an hour on the twin`,
        quantity: Math.round(perMonth),
        unit: 'request',
        usdPerMonth: perMonth * PRICES.lambdaRequest.usd,
      },
      {
        category: 'Lambda',
        item: `${service}: ${memoryMb} MB ${arm ? 'arm64' : 'x86_64'} × ${ms} ms (stated)`,
        quantity: Math.round(gbS),
        unit: 'GB-s',
        usdPerMonth: gbS * (arm ? PRICES.lambdaArmGbSecond.usd : PRICES.lambdaX86GbSecond.usd),
      },
      {
        category: 'CloudWatch Logs',
        item: `${service}: ${Math.round(f.logBytes / f.invocations + a.platformLogBytes)} B per invocation ingested (measured + platform), kept a year`,
        quantity: Number(gb.toFixed(4)),
        unit: 'GB',
        usdPerMonth: gb * (PRICES.logsIngestion.usd + 12 * PRICES.logsStorage.usd),
      },
    );
  }
  return lines;
}

/** Transitions of the scheduled workflows that run less often than hourly (absent from the idle hour), stated. */
export function rareWorkflowLines(
  workflows: readonly ScheduledWorkflow[],
  a: WorkflowAssumptions,
): CostLine[] {
  return workflows
    .filter((w) => w.perMonth < HOURLY)
    .map((w) => {
      const key = Object.keys(a.transitionsPerRun ?? {}).find((k) => w.stateMachineName.endsWith(k));
      if (key === undefined)
        throw new Error(
          `${w.rule} starts ${w.stateMachineName} ${w.perMonth.toFixed(1)} times a month: no stated transitions per run`,
        );
      const per = a.transitionsPerRun?.[key] as number;
      return {
        category: 'Step Functions',
        item: `${w.stateMachineName}: ${w.perMonth.toFixed(1)} scheduled runs × ${per} transitions (stated)`,
        quantity: Math.round(w.perMonth * per),
        unit: 'transition',
        usdPerMonth: w.perMonth * per * PRICES.sfnStandardTransition.usd,
      };
    });
}
