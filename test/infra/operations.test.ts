/**
 * Issue 15 (contract §1–§3): every Lambda has its errors and throttles alarms, every state machine is matched
 * by the run-status rule and has its WORKFLOW_RUNS entry (a new function or workflow without them fails, named),
 * the dead-letter queue's encryption and key policy, every rule target's DLQ and retry policy, every
 * asynchronously invoked function's on-failure destination, and the operations Lambda's least privilege.
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { buildApp } from '../../infra/build';
import { ControlPlaneFunction } from '../../infra/constructs/control-plane-function';
import {
  ASYNC_INVOKE,
  CONTROL_PLANE_FUNCTIONS,
  EVENT_DRIVEN_FUNCTIONS,
  operationsAlarmSpecs,
  operationsEnvironment,
  RULE_TARGET_RETRY,
  runBounds,
  runStatusRuleName,
  WORKFLOW_NAMES,
  WORKFLOW_RUNS,
} from '../../infra/operations';
import {
  dashboardName,
  deadLetterQueueName,
  OPERATIONS_ALARM_KINDS,
  operationsAlarmName,
  routingVoters,
} from '../../infra/stacks/names';
import { STATEMACHINES_DIR } from '../../infra/workflow-definitions';
import { parseExpression } from '../../sim/services/cloudwatch-math';
import { exampleConfig, flat, testApp } from './helpers';

const config = exampleConfig();
const region = config.regions[0];
if (!region) throw new Error('no region in the example config');
const built = buildApp(config, { app: testApp(), policyChecks: false });
const stack = built.controlPlanes.get(region.name);
if (!stack) throw new Error(`no ${region.name} stack`);
const t = Template.fromStack(stack);

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
const ACCOUNT = ['$', '{AWS::AccountId}'].join('');
const resourcesOf = (tpl: Template, type: string) => tpl.findResources(type) as Resources;

/** Functions of the template without their two alarms (by logical id and description). */
function functionsWithoutAlarms(tpl: Template): string[] {
  const alarms = Object.values(resourcesOf(tpl, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const out: string[] = [];
  for (const [id, fn] of Object.entries(resourcesOf(tpl, 'AWS::Lambda::Function'))) {
    for (const metric of ['Errors', 'Throttles']) {
      const has = alarms.some(
        (a) =>
          a.Namespace === 'AWS/Lambda' &&
          a.MetricName === metric &&
          JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: { Ref: id } }]) &&
          a.Statistic === 'Sum' &&
          a.Threshold === 1 &&
          (a.AlarmActions as unknown[] | undefined)?.length === 1,
      );
      if (!has) out.push(`${id} (${String(fn.Properties.Description)}): no ${metric} alarm`);
    }
  }
  return out;
}

/** State machines not matched by the run-status rule or without a WORKFLOW_RUNS entry, by name. */
function workflowsUnwatched(tpl: Template, stackName: string): string[] {
  const rule = Object.values(resourcesOf(tpl, 'AWS::Events::Rule')).find(
    (r) => r.Properties.Name === runStatusRuleName(config),
  );
  const pattern = rule?.Properties.EventPattern as
    | { source: string[]; 'detail-type': string[]; detail: { status: string[]; stateMachineArn: unknown[] } }
    | undefined;
  const matched = new Set((pattern?.detail.stateMachineArn ?? []).map(flat));
  const out: string[] = [];
  for (const sm of Object.values(resourcesOf(tpl, 'AWS::StepFunctions::StateMachine'))) {
    const name = String(sm.Properties.StateMachineName);
    const arn = `arn:\${AWS::Partition}:states:${region?.name}:\${AWS::AccountId}:stateMachine:${name}`;
    const literal = config.account ? arn.replace(ACCOUNT, config.account) : arn;
    if (!matched.has(arn) && !matched.has(literal)) out.push(`${name}: not matched by the run-status rule`);
    const workflow = name.startsWith(`${stackName}-`)
      ? name.slice(stackName.length + 1)
      : name.replace(`${config.cluster.name}-`, '');
    if (!(workflow in WORKFLOW_RUNS)) out.push(`${name}: no WORKFLOW_RUNS entry`);
  }
  return out;
}

describe('one alarm per failure mode (contract §1)', () => {
  it('every Lambda function of every stack has its errors and throttles alarm', () => {
    const fns = Object.keys(resourcesOf(t, 'AWS::Lambda::Function'));
    expect(fns.length).toBe(CONTROL_PLANE_FUNCTIONS.length);
    expect(functionsWithoutAlarms(t)).toEqual([]);
    for (const other of [built.globalRouting, built.witness]) {
      if (other) expect(functionsWithoutAlarms(Template.fromStack(other))).toEqual([]);
    }
  });

  it('names every function alarm <cluster>-<region>-<fn>-errors|throttles, to the topic on ALARM and OK', () => {
    const names = Object.values(resourcesOf(t, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName);
    for (const fn of CONTROL_PLANE_FUNCTIONS)
      for (const kind of ['errors', 'throttles'])
        expect(names).toContain(`${config.cluster.name}-${region.name}-${fn}-${kind}`);
    for (const kind of OPERATIONS_ALARM_KINDS) {
      const alarm = Object.values(resourcesOf(t, 'AWS::CloudWatch::Alarm')).find(
        (a) => a.Properties.AlarmName === operationsAlarmName(config, region.name, kind),
      );
      expect({ kind, topic: alarm?.Properties.AlarmActions, ok: alarm?.Properties.OKActions }).toEqual({
        kind,
        topic: [{ Ref: stack.getLogicalId(stack.topic.node.defaultChild as never) }],
        ok: [{ Ref: stack.getLogicalId(stack.topic.node.defaultChild as never) }],
      });
    }
  });

  it('watch-silent: the watch’s two metrics’ sample counts, missing data breaching; the primary alarm keeps ignore', () => {
    const alarms = Object.values(resourcesOf(t, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const silent = alarms.find(
      (a) => a.AlarmName === operationsAlarmName(config, region.name, 'watch-silent'),
    );
    expect(silent).toMatchObject({
      TreatMissingData: 'breaching',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
    });
    const metrics = silent?.Metrics as { Id: string; MetricStat?: { Stat: string; Period: number } }[];
    expect(
      metrics.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat?.Stat, m.MetricStat?.Period]),
    ).toEqual([
      ['healthy', 'SampleCount', 60],
      ['planned', 'SampleCount', 60],
    ]);
    const primary = alarms.find(
      (a) => a.AlarmName === `${config.cluster.name}-${region.name}-primary-unhealthy`,
    );
    expect(primary?.TreatMissingData).toBe('ignore');
  });

  it('watch-silent’s expression: a minute with either reading is one sample, a minute with none has no datapoint', () => {
    const spec = operationsAlarmSpecs(config, region.name).find((a) => a.name.endsWith('-watch-silent'));
    const expr = parseExpression(spec?.math?.expression ?? '');
    expect(expr.evaluate({ healthy: 1, planned: undefined })).toBe(1);
    expect(expr.evaluate({ healthy: undefined, planned: 1 })).toBe(1);
    // No datapoint: the alarm's missing-data treatment (breaching) applies.
    expect(expr.evaluate({ healthy: undefined, planned: undefined })).toBeUndefined();
  });

  it('fails naming a new function or workflow added without alarms, rule match or WORKFLOW_RUNS entry', () => {
    const app = testApp();
    const extra = buildApp(config, { app, policyChecks: false }).controlPlanes.get(region.name);
    if (!extra) throw new Error('no stack');
    new ControlPlaneFunction(extra, 'Newcomer', {
      handlerDir: 'echo',
      entry: path.resolve(__dirname, '../fixtures/functions/echo/handler.ts'),
      description: 'a function nobody alarmed on',
      logKey: extra.key,
    });
    new sfn.StateMachine(extra, 'NewWorkflow', {
      stateMachineName: `${extra.stackName}-new-workflow`,
      definitionBody: sfn.DefinitionBody.fromString(
        '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}',
      ),
    });
    const tpl = Template.fromStack(extra);
    expect(functionsWithoutAlarms(tpl)).toEqual([
      expect.stringMatching(/^Newcomer.*a function nobody alarmed on.*no Errors alarm$/),
      expect.stringMatching(/^Newcomer.*no Throttles alarm$/),
    ]);
    expect(workflowsUnwatched(tpl, extra.stackName)).toEqual([
      `${extra.stackName}-new-workflow: not matched by the run-status rule`,
      `${extra.stackName}-new-workflow: no WORKFLOW_RUNS entry`,
    ]);
  });
});

describe('every run ends reported (contract §3, §4)', () => {
  it('every state machine is matched by the run-status rule and has a WORKFLOW_RUNS entry', () => {
    expect(Object.keys(resourcesOf(t, 'AWS::StepFunctions::StateMachine')).length).toBe(
      WORKFLOW_NAMES.length,
    );
    expect(workflowsUnwatched(t, stack.stackName)).toEqual([]);
  });

  it('the rule matches FAILED, TIMED_OUT and ABORTED status changes and goes to the report Lambda', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      Name: runStatusRuleName(config),
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
      },
      Targets: [
        {
          Arn: {
            'Fn::GetAtt': [
              stack.getLogicalId(stack.nodeLifecycle.report.fn.node.defaultChild as never),
              'Arn',
            ],
          },
        },
      ],
    });
  });

  it('WORKFLOW_RUNS is exactly statemachines/, each bound well under the definition’s TimeoutSeconds', () => {
    const files = readdirSync(STATEMACHINES_DIR)
      .filter((f) => f.endsWith('.asl.json'))
      .map((f) => f.replace('.asl.json', ''))
      .sort();
    expect([...WORKFLOW_NAMES].sort()).toEqual(files);
    const withApproval = { ...config, failover: { ...config.failover, approvalRequired: true } };
    for (const bound of runBounds(withApproval, (w) => `arn:${w}`)) {
      const asl = require(path.join(STATEMACHINES_DIR, `${bound.workflow}.asl.json`)) as {
        TimeoutSeconds: number;
      };
      expect({ w: bound.workflow, under: bound.boundSeconds < asl.TimeoutSeconds }).toEqual({
        w: bound.workflow,
        under: true,
      });
    }
  });

  it('gives the sweep and the report RUN_BOUNDS with every workflow’s ARN; a missing ARN is an error', () => {
    for (const fn of [stack.nodeLifecycle.reconciler, stack.nodeLifecycle.report]) {
      const id = stack.getLogicalId(fn.fn.node.defaultChild as never);
      const env = t.toJSON().Resources[id].Properties.Environment.Variables as Record<string, unknown>;
      const bounds = JSON.parse(flat(env.RUN_BOUNDS)) as { workflow: string; arn: string; root: boolean }[];
      expect(bounds.map((b) => b.workflow)).toEqual(WORKFLOW_NAMES);
      // The report's status path names the cluster (RunsEnded's dimension, its REPORTED# marker).
      expect(env.CLUSTER_NAME).toBe(config.cluster.name);
      for (const b of bounds) {
        expect(b.arn).toMatch(/^arn:\$\{AWS::Partition\}:states:/);
        expect(b.root).toBe(WORKFLOW_RUNS[b.workflow as keyof typeof WORKFLOW_RUNS].root);
      }
    }
    expect(() => runBounds(config, (w) => (w === 'node-drain' ? '' : `arn:${w}`))).toThrow(
      'RUN_BOUNDS: no ARN for node-drain',
    );
  });
});

describe('nothing is lost (contract §2)', () => {
  const queueId = stack.getLogicalId(stack.deadLetters.node.defaultChild as never);
  const queueArn = { 'Fn::GetAtt': [queueId, 'Arn'] };

  it('one queue, encrypted with the control-plane key, retention from the config, SSL only', () => {
    t.resourceCountIs('AWS::SQS::Queue', 1);
    t.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: deadLetterQueueName(config),
      KmsMasterKeyId: { 'Fn::GetAtt': [stack.getLogicalId(stack.key.node.defaultChild as never), 'Arn'] },
      MessageRetentionPeriod: config.operations.deadLetterRetentionDays * 86_400,
    });
    const policies = Object.values(resourcesOf(t, 'AWS::SQS::QueuePolicy'));
    const statements = policies.flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('the key lets EventBridge use it for this queue only', () => {
    const key = Object.values(resourcesOf(t, 'AWS::KMS::Key'))[0];
    const statements = (
      (key as Resources[string]).Properties.KeyPolicy as { Statement: Record<string, unknown>[] }
    ).Statement;
    const events = statements.filter(
      (s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'events.amazonaws.com' }),
    );
    expect(events).toHaveLength(1);
    expect(events[0]?.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    const condition = (events[0] as { Condition: { StringEquals: Record<string, unknown> } }).Condition
      .StringEquals;
    expect(flat(condition['kms:EncryptionContext:aws:sqs:arn'])).toBe(
      `arn:\${AWS::Partition}:sqs:${region.name}:${config.account ?? ACCOUNT}:${deadLetterQueueName(config)}`,
    );
  });

  it('every rule target has the queue as DLQ and a retry policy (4 retries unless it had a reason)', () => {
    const rules = Object.entries(resourcesOf(t, 'AWS::Events::Rule'));
    expect(rules.length).toBeGreaterThanOrEqual(9);
    const offenders: string[] = [];
    for (const [id, rule] of rules) {
      for (const target of rule.Properties.Targets as Record<string, Record<string, unknown>>[]) {
        const dlq = JSON.stringify(target.DeadLetterConfig?.Arn) === JSON.stringify(queueArn);
        const retry = target.RetryPolicy?.MaximumRetryAttempts === RULE_TARGET_RETRY.maximumRetryAttempts;
        const age = Number(target.RetryPolicy?.MaximumEventAgeInSeconds);
        if (!dlq || !retry || !(age >= 60 && age <= RULE_TARGET_RETRY.maximumEventAgeSeconds))
          offenders.push(`${id}: ${JSON.stringify({ dlq, retry: target.RetryPolicy })}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('every function a rule invokes sends what it failed on to the queue (and only those functions)', () => {
    const invoked = new Set(
      Object.values(resourcesOf(t, 'AWS::Events::Rule')).flatMap((r) =>
        (r.Properties.Targets as { Arn: { 'Fn::GetAtt'?: string[] } }[])
          .map((x) => x.Arn['Fn::GetAtt']?.[0])
          .filter(
            (x): x is string => x !== undefined && t.toJSON().Resources[x].Type === 'AWS::Lambda::Function',
          ),
      ),
    );
    const configs = Object.values(resourcesOf(t, 'AWS::Lambda::EventInvokeConfig')).map((c) => c.Properties);
    const configured = new Set(configs.map((c) => (c.FunctionName as { Ref: string }).Ref));
    expect([...invoked].sort()).toEqual([...configured].sort());
    const ids = EVENT_DRIVEN_FUNCTIONS.map((f) => {
      const fn = {
        dispatch: stack.nodeLifecycle.dispatch,
        reconciler: stack.nodeLifecycle.reconciler,
        report: stack.nodeLifecycle.report,
        watch: stack.primaryFailover.watch,
        command: stack.nodeLifecycle.commandWait.fn,
      }[f];
      return stack.getLogicalId(fn.fn.node.defaultChild as never);
    });
    expect([...configured].sort()).toEqual(ids.sort());
    for (const c of configs) {
      expect(c).toMatchObject({
        MaximumRetryAttempts: ASYNC_INVOKE.maximumRetryAttempts,
        MaximumEventAgeInSeconds: ASYNC_INVOKE.maximumEventAgeSeconds,
        DestinationConfig: { OnFailure: { Destination: queueArn } },
      });
    }
  });
});

describe('the operations Lambda: least privilege', () => {
  const ops = stack.operations.fn;
  const roleId = stack.getLogicalId(ops.role.node.defaultChild as never);
  const statements = Object.values(resourcesOf(t, 'AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap(
      (p) =>
        (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] })
          .Statement,
    );
  const byAction = new Map<string, string[]>();
  for (const s of statements)
    for (const a of [s.Action].flat())
      byAction.set(a, [...(byAction.get(a) ?? []), ...[s.Resource].flat().map((r) => flat(r))]);

  it('allows exactly the pause, the queue, the replays, the audit and the logs', () => {
    expect([...byAction.keys()].sort()).toEqual(
      [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:Query',
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sns:Publish',
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:ChangeMessageVisibility',
        'lambda:InvokeFunction',
        'states:StartExecution',
      ].sort(),
    );
    expect(statements.every((s) => ![s.Resource].flat().includes('*'))).toBe(true);
  });

  it('replays only to the event-driven functions and the scheduled state machines', () => {
    const fnArn = (f: ControlPlaneFunction) =>
      `\${${stack.getLogicalId(f.fn.node.defaultChild as never)}.Arn}`;
    expect(byAction.get('lambda:InvokeFunction')?.sort()).toEqual(
      [
        stack.nodeLifecycle.dispatch,
        stack.primaryFailover.watch,
        stack.nodeLifecycle.reconciler,
        stack.nodeLifecycle.commandWait.fn,
        stack.nodeLifecycle.report,
      ]
        .map(fnArn)
        .sort(),
    );
    expect(
      byAction
        .get('states:StartExecution')
        ?.map((a) => a.replace(/.*:stateMachine:/, ''))
        .sort(),
    ).toEqual([`${config.cluster.name}-regional-failover`, `${stack.stackName}-regional-readiness`].sort());
    expect(byAction.get('sqs:ReceiveMessage')).toEqual([
      `\${${stack.getLogicalId(stack.deadLetters.node.defaultChild as never)}.Arn}`,
    ]);
  });

  it('writes the pause in every voter’s routing table, and no other table but its own state table', () => {
    const tables = byAction.get('dynamodb:UpdateItem') ?? [];
    for (const v of routingVoters(config))
      expect(tables).toContainEqual(expect.stringContaining(`:dynamodb:${v}:`));
    expect(tables).toHaveLength(routingVoters(config).length);
  });

  it('its environment names the queue, the allow-list and every voter’s table; a missing voter is an error', () => {
    expect(() =>
      operationsEnvironment(config, {
        stateTable: 's',
        topicArn: 't',
        queueUrl: 'q',
        routingTables: { [region.name]: 'r' },
        replayTargets: { functions: [], stateMachines: [] },
      }),
    ).toThrow(/no table for voter/);
  });
});

describe('the dashboard (issue §5; its spec: test/infra/dashboard.test.ts)', () => {
  it('is one per region, named by names.ts, its body naming every alarm of the region', () => {
    const boards = Object.values(resourcesOf(t, 'AWS::CloudWatch::Dashboard'));
    expect(boards.map((b) => b.Properties.DashboardName)).toEqual([dashboardName(config, region.name)]);
    const body = JSON.stringify(boards[0]?.Properties.DashboardBody);
    for (const alarm of stack.operations.alarms.keys()) expect(body).toContain(`:alarm:${alarm}`);
  });
});
