import {
  type Assumptions,
  firingsPerMonth,
  type IdleMeasurement,
  idleCostNow,
  scheduledFunctions,
  type Template,
  total,
} from '../../../bench/idle-cost-model';
import { rareWorkflowLines, scheduledWorkflows, workflowFunctionLines } from '../../../bench/idle-workflows';

/** Two scheduled workflows (hourly readiness, weekly drill) and the Lambda they invoke. */
const regional: Template = {
  Resources: {
    Routing: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        MemorySize: 512,
        Architectures: ['arm64'],
        Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'routing' } },
      },
    },
    Readiness: {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: { StateMachineName: 'c-eu-regional-readiness' },
    },
    Failover: {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: { StateMachineName: 'c-regional-failover' },
    },
    Hourly: {
      Type: 'AWS::Events::Rule',
      Properties: { ScheduleExpression: 'rate(1 hour)', Targets: [{ Arn: { Ref: 'Readiness' } }] },
    },
    Weekly: {
      Type: 'AWS::Events::Rule',
      Properties: { ScheduleExpression: 'cron(0 10 ? * TUE *)', Targets: [{ Arn: { Ref: 'Failover' } }] },
    },
  },
};
const global: Template = { Resources: {} };
const idle: IdleMeasurement = {
  hours: 2,
  functions: { routing: { invocations: 4, logBytes: 4000 } },
  series: [],
  putMetricDataCalls: 0,
  stateTransitions: 20,
};
const assumptions: Assumptions = {
  durationMs: { routing: 500 },
  platformLogBytes: 600,
  kmsRequestsPerMonth: 0,
  keyYear: 1,
  transitionsPerRun: { 'regional-failover': 8 },
};

describe('scheduled workflows in the idle month', () => {
  it('finds the schedules that start a state machine, and no Lambda schedule among them', () => {
    expect(scheduledWorkflows(regional, firingsPerMonth).map((w) => [w.rule, w.stateMachineName])).toEqual([
      ['Hourly', 'c-eu-regional-readiness'],
      ['Weekly', 'c-regional-failover'],
    ]);
    expect(scheduledFunctions(regional)).toEqual([]);
  });

  it('prices the Lambda the workflows invoked in the idle hour, and the weekly drill from its stated runs', () => {
    const workflows = scheduledWorkflows(regional, firingsPerMonth);
    const fn = workflowFunctionLines(regional, idle, assumptions, new Set(), workflows);
    // 2 an hour → 1,460 a month; 1,460 × 0.5 s × 0.5 GB = 365 GB-s; 1,600 B each.
    expect(fn.map((l) => l.quantity)).toEqual([1460, 365, Number(((1460 * 1600) / 1e9).toFixed(4))]);
    const rare = rareWorkflowLines(workflows, assumptions);
    expect(rare).toHaveLength(1); // the hourly one is in the measured hour
    expect(rare[0]?.item).toMatch(/^c-regional-failover: \d\.\d scheduled runs × 8 transitions \(stated\)$/);
    const all = idleCostNow({ regional, global, regions: 1, idle, assumptions });
    const perMonth = (20 / 2) * 730 * 0.000025;
    expect(total(all)).toBeCloseTo(total(fn) + total(rare) + perMonth, 9);
  });

  it('refuses a rarely scheduled workflow without a stated count, and a function no workflow explains', () => {
    const workflows = scheduledWorkflows(regional, firingsPerMonth);
    expect(() => rareWorkflowLines(workflows, {})).toThrow(
      /Weekly starts c-regional-failover \d\.\d times a month/,
    );
    const foreign = { ...idle, functions: { other: { invocations: 1, logBytes: 1 } } };
    expect(() => workflowFunctionLines(regional, foreign, assumptions, new Set(), workflows)).toThrow(
      'the twin ran other, which is not a function of this template',
    );
    expect(() => workflowFunctionLines(regional, idle, assumptions, new Set(), [])).toThrow(
      'the twin ran routing while idle, but no schedule of the template invokes it',
    );
  });
});
