import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { report } from '../../functions/report/handler';
import { ENV } from '../../functions/shared/env';
import type { HandlerContext } from '../../functions/shared/handler';
import { buildApp } from '../../infra/build';
import { ACTIONS_WITHOUT_RESOURCE_SCOPE, actionsForDefinition } from '../../infra/constructs/asl-actions';
import {
  escalationAlarmName,
  failoverEnvironment,
  primaryAlarmName,
  watchEnvironment,
} from '../../infra/primary-failover';
import { exampleConfig, flat, testApp } from './helpers';

const config = exampleConfig();
const region = config.regions[0];
if (!region) throw new Error('no region in the example config');
const built = buildApp(config, { app: testApp(), policyChecks: false });
const stack = built.controlPlanes.get(region.name);
if (!stack) throw new Error(`no ${region.name} stack`);
const t = Template.fromStack(stack);
const lifecycle = stack.nodeLifecycle;
const failover = stack.primaryFailover;

const ROOT = path.resolve(__dirname, '../..');
const definition = JSON.parse(
  readFileSync(path.join(ROOT, 'statemachines/primary-failover.asl.json'), 'utf8'),
);
const SM_NAME = `artifactory-prod-control-plane-${region.name}-primary-failover`;

const logicalId = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
const ref = (c: IConstruct) => ({ Ref: logicalId(c) });
const arnOf = (c: IConstruct) => ({ 'Fn::GetAtt': [logicalId(c), 'Arn'] });

const groupArn = (name: string) =>
  `arn:\${AWS::Partition}:autoscaling:${region.name}:\${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/${name}`;
const PRIMARY_GROUP = groupArn(region.primaryAsgName);
const MEMBER_GROUP = groupArn(region.memberAsgName);
const FAILOVER_ARN = `arn:\${AWS::Partition}:states:${region.name}:\${AWS::AccountId}:stateMachine:${SM_NAME}`;

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Every statement of the role's policies. */
function statementsOf(role: IConstruct): Statement[] {
  const policies = t.findResources('AWS::IAM::Policy', { Properties: { Roles: [ref(role)] } });
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

/** The resources (flattened) the role may use `action` on. */
function resourcesFor(role: IConstruct, action: string): string[] {
  return statementsOf(role)
    .filter((s) => [s.Action].flat().includes(action))
    .flatMap((s) => [s.Resource].flat().map(flat))
    .sort();
}

const actionsOf = (role: IConstruct) =>
  [...new Set(statementsOf(role).flatMap((s) => [s.Action].flat()))].sort();

/** Each function's environment variables, with CloudFormation values flattened. */
function environmentOf(fn: IConstruct): Record<string, string> {
  const resource = t.toJSON().Resources[logicalId(fn)];
  const vars = resource.Properties.Environment.Variables as Record<string, unknown>;
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, flat(v)]));
}

describe('primary-failover in the control-plane stack', () => {
  it('deploys the workflow under the name the other workflows and Lambdas use', () => {
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: SM_NAME,
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      DefinitionString: Match.stringLikeRegexp('"StartAt"\\s*:\\s*"ValidateInput"'),
    });
    expect(failover.workflow.stateMachineName).toBe(SM_NAME);
    expect(flat(stack.resolve(lifecycle.failoverStateMachineArn))).toBe(FAILOVER_ARN);
  });

  it('fills every placeholder of the parent and its phases, with this stack’s functions, workflows, groups and documents', () => {
    const sub = (c: IConstruct) =>
      t.toJSON().Resources[logicalId(c)].Properties.DefinitionSubstitutions as Record<string, unknown>;
    const phaseArn = (name: string) =>
      `arn:\${AWS::Partition}:states:${region.name}:\${AWS::AccountId}:stateMachine:artifactory-prod-control-plane-${region.name}-${name}`;
    const placeholders = [
      ...new Set(
        [...JSON.stringify(definition).matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] as string),
      ),
    ].sort();
    const parent = sub(failover.workflow.stateMachine);
    expect(Object.keys(parent).sort()).toEqual(placeholders);
    expect(Object.fromEntries(Object.entries(parent).map(([k, v]) => [k, flat(v)]))).toEqual({
      FailoverFunctionArn: flat(arnOf(lifecycle.failover.fn)),
      LeaseFunctionArn: flat(arnOf(lifecycle.lease.fn)),
      ReportFunctionArn: flat(arnOf(lifecycle.report.fn)),
      PrimaryAsgName: region.primaryAsgName,
      MemberAsgName: region.memberAsgName,
      PrimaryFailoverConfirmStateMachineArn: phaseArn('primary-failover-confirm'),
      PrimaryFailoverStopOldStateMachineArn: phaseArn('primary-failover-stop-old'),
      PrimaryFailoverCandidateStateMachineArn: phaseArn('primary-failover-candidate'),
      PrimaryFailoverQuarantineStateMachineArn: phaseArn('primary-failover-quarantine'),
      PrimaryFailoverGroupMoveStateMachineArn: phaseArn('primary-failover-group-move'),
      PrimaryFailoverDemoteStateMachineArn: phaseArn('primary-failover-demote'),
    });
    // Each phase is deployed under the name its parent starts it by.
    for (const [name, phase] of Object.entries(failover.phases)) {
      expect(flat(stack.resolve(phase.stateMachine.stateMachineArn))).toBe(flat(ref(phase.stateMachine)));
      t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: `artifactory-prod-control-plane-${region.name}-${name}`,
      });
    }
    for (const name of ['primary-failover-candidate', 'primary-failover-demote']) {
      const vars = sub(failover.phases[name]?.stateMachine as IConstruct);
      expect(Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, flat(v)]))).toEqual(
        expect.objectContaining({
          SetPrimaryRoleDocument: 'artifactory-prod-SetPrimaryRole',
          ProbeDocument: 'artifactory-prod-ProbeReadiness',
          StopDocument: 'artifactory-prod-StopArtifactory',
          LeaseFunctionArn: flat(arnOf(lifecycle.lease.fn)),
        }),
      );
    }
    expect(sub(failover.phases['primary-failover-candidate']?.stateMachine as IConstruct)).toEqual(
      expect.objectContaining({ MemberAsgName: region.memberAsgName }),
    );
    // A failed or superseded candidate is demoted through the same document, or stopped at the hypervisor.
    expect(sub(failover.phases['primary-failover-quarantine']?.stateMachine as IConstruct)).toEqual(
      expect.objectContaining({
        SetPrimaryRoleDocument: 'artifactory-prod-SetPrimaryRole',
        FailoverFunctionArn: arnOf(lifecycle.failover.fn),
      }),
    );
    t.hasResourceProperties('AWS::SSM::Document', { Name: 'artifactory-prod-SetPrimaryRole' });
  });

  it('lets node-bootstrap claim through the failover Lambda and node-drain hand over to the workflow', () => {
    const substitutions = (wf: IConstruct) =>
      t.toJSON().Resources[logicalId(wf)].Properties.DefinitionSubstitutions as Record<string, unknown>;
    expect(substitutions(lifecycle.bootstrap.stateMachine).FailoverFunctionArn).toEqual(
      arnOf(lifecycle.failover.fn),
    );
    expect(flat(substitutions(lifecycle.drain.stateMachine).PrimaryFailoverStateMachineArn)).toBe(
      FAILOVER_ARN,
    );
  });

  it('alarms after two one-minute periods without a healthy primary, ignoring missing data', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: primaryAlarmName(config, region.name),
      Namespace: 'ArtifactoryHA',
      MetricName: 'PrimaryHealthy',
      Dimensions: [
        { Name: 'Cluster', Value: 'artifactory-prod' },
        { Name: 'Region', Value: region.name },
      ],
      Statistic: 'Minimum',
      Period: 60,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'ignore',
      AlarmActions: [ref(stack.topic)],
    });
  });

  it('routes only that alarm (and the certificate-expiry alarm) going into ALARM to dispatch', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: {
          alarmName: [
            primaryAlarmName(config, region.name),
            `artifactory-prod-${region.name}-certificate-expiry`,
          ],
          state: { value: ['ALARM'] },
        },
      },
      Targets: [
        Match.objectLike({
          Arn: arnOf(lifecycle.dispatch.fn),
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        }),
      ],
    });
    t.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: arnOf(lifecycle.dispatch.fn),
      Principal: 'events.amazonaws.com',
      SourceArn: {
        'Fn::GetAtt': [Match.stringLikeRegexp('^PrimaryFailoverPrimaryAlarmEvents'), 'Arn'],
      },
    });
  });

  it('runs the watch every minute, and publishes what the alarm watches', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: arnOf(failover.watch.fn) })],
    });
    const env = environmentOf(failover.watch.fn);
    expect(env).toEqual(expect.objectContaining(watchEnvironment(config, region)));
    expect(env[ENV.metricNamespace]).toBe('ArtifactoryHA');
  });

  it('alarms on the report Lambda’s escalated and failed outcome metrics exactly as Powertools emits them', async () => {
    // Run the real report code with a real Metrics instance configured as the deployed function is.
    const reportEnv = environmentOf(lifecycle.report.fn);
    const metrics = new Metrics({
      namespace: reportEnv.POWERTOOLS_METRICS_NAMESPACE ?? '',
      serviceName: reportEnv.POWERTOOLS_SERVICE_NAME ?? '',
    });
    expect(reportEnv.POWERTOOLS_SERVICE_NAME).toBe(lifecycle.report.serviceName);
    const emitted: { namespace: string; name: string; dimensions: Record<string, string> }[] = [];
    const clients = {
      dynamoDoc: () => ({ send: async () => ({}) }),
      sns: () => ({ send: async () => ({}) }),
    } as unknown as HandlerContext['clients'];
    const logger = { info: () => undefined } as unknown as HandlerContext['logger'];
    const saved = { ...process.env };
    Object.assign(process.env, { STATE_TABLE: 'state', TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:t' });
    try {
      for (const outcome of ['escalated', 'failed'] as const) {
        await report(
          {
            cluster: 'artifactory-prod',
            region: region.name,
            workflow: 'primary-failover',
            execution: `arn:aws:states:${region.name}:111122223333:execution:${SM_NAME}:x`,
            outcome,
            subject: 'artifactory-prod',
            summary: 'test',
          },
          { clients, metrics, logger },
        );
        const emf = metrics.serializeMetrics();
        const [directive] = emf._aws.CloudWatchMetrics;
        if (!directive) throw new Error('no EMF directive');
        const record = emf as unknown as Record<string, string>;
        for (const m of directive.Metrics) {
          emitted.push({
            namespace: directive.Namespace,
            name: m.Name,
            dimensions: Object.fromEntries((directive.Dimensions[0] ?? []).map((d) => [d, record[d] ?? ''])),
          });
        }
        metrics.clearMetrics();
        metrics.clearDimensions();
      }
    } finally {
      process.env = saved;
    }
    expect(emitted.map((e) => e.name)).toEqual(['PrimaryFailoverEscalated', 'PrimaryFailoverFailed']);

    const alarm = Object.values(
      t.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmName: escalationAlarmName(config, region.name) },
      }),
    )[0];
    if (!alarm) throw new Error('no escalation alarm');
    expect(alarm.Properties).toEqual(
      expect.objectContaining({
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [ref(stack.topic)],
      }),
    );
    const queries = alarm.Properties.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: {
        Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] };
        Stat: string;
      };
    }[];
    const watched = queries
      .filter((q) => q.MetricStat)
      .map((q) => ({
        namespace: q.MetricStat?.Metric.Namespace,
        name: q.MetricStat?.Metric.MetricName,
        dimensions: Object.fromEntries((q.MetricStat?.Metric.Dimensions ?? []).map((d) => [d.Name, d.Value])),
      }));
    expect(watched).toEqual(expect.arrayContaining(emitted));
    expect(watched).toHaveLength(emitted.length);
    const expression = queries.find((q) => q.Expression)?.Expression ?? '';
    for (const q of queries.filter((q) => q.MetricStat)) {
      expect(q.MetricStat?.Stat).toBe('Sum');
      expect(expression).toContain(q.Id);
    }
  });

  it('gives the failover Lambda the environment the handler reads', () => {
    const env = environmentOf(lifecycle.failover.fn);
    const expected = failoverEnvironment(config, region, `\${${logicalId(stack.stateTable)}}`);
    expect(env).toEqual(expect.objectContaining(expected));
    expect(env[ENV.targetGroupArn]).toBe(region.targetGroupArns[0]);
    expect(env[ENV.automationEnabled]).toBe('true');
  });

  it('tells dispatch and the reconciler which workflow to start', () => {
    for (const fn of [lifecycle.dispatch.fn, lifecycle.reconciler.fn]) {
      expect(environmentOf(fn)[ENV.failoverStateMachineArn]).toBe(FAILOVER_ARN);
    }
  });
});

describe('primary-failover least privilege', () => {
  const wf = failover.workflow.role;
  const AUTOSCALING_TASK = /^arn:aws:states:::aws-sdk:autoscaling:([a-zA-Z]+)$/;
  const placeholder = (name: string) => `\${${name}}`;

  it('grants the workflow exactly the actions its definition uses (plus logging and tracing)', () => {
    const own = actionsOf(wf).filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:'));
    expect(own).toEqual(actionsForDefinition(definition));
  });

  it('scopes each Auto Scaling action to the group the definition names, never to "*" where IAM can scope', () => {
    const family = [
      ['primary-failover', wf],
      ...Object.entries(failover.phases).map(([name, w]) => [name, w.role] as const),
    ] as const;
    let checked = 0;
    for (const [name, role] of family) {
      const used = new Map<string, Set<string>>();
      const visit = (states: Record<string, Record<string, unknown>>) => {
        for (const state of Object.values(states)) {
          const match = AUTOSCALING_TASK.exec(String(state.Resource ?? ''));
          if (match?.[1]) {
            const action = `autoscaling:${match[1].charAt(0).toUpperCase()}${match[1].slice(1)}`;
            const group = (state.Parameters as Record<string, unknown> | undefined)?.AutoScalingGroupName;
            const set = used.get(action) ?? new Set<string>();
            if (group === placeholder('PrimaryAsgName')) set.add(PRIMARY_GROUP);
            if (group === placeholder('MemberAsgName')) set.add(MEMBER_GROUP);
            used.set(action, set);
          }
          const processor = (state.ItemProcessor ?? state.Iterator) as { States?: never } | undefined;
          if (processor?.States) visit(processor.States);
        }
      };
      visit(JSON.parse(readFileSync(path.join(ROOT, `statemachines/${name}.asl.json`), 'utf8')).States);
      for (const [action, groups] of used) {
        checked++;
        const resources = resourcesFor(role, action);
        if (ACTIONS_WITHOUT_RESOURCE_SCOPE.has(action)) {
          expect(resources).toEqual(['*']);
          continue;
        }
        // Every group the definition names is allowed, and nothing but the cluster's two groups.
        expect(resources).toEqual(expect.arrayContaining([...groups]));
        for (const r of resources) expect([PRIMARY_GROUP, MEMBER_GROUP]).toContain(r);
      }
    }
    expect(checked).toBeGreaterThan(5);
    const phaseRole = (name: string) => failover.phases[name]?.role as IConstruct;
    expect(resourcesFor(phaseRole('primary-failover-candidate'), 'autoscaling:DetachInstances')).toEqual([
      MEMBER_GROUP,
    ]);
    expect(resourcesFor(phaseRole('primary-failover-group-move'), 'autoscaling:AttachInstances')).toEqual([
      PRIMARY_GROUP,
    ]);
    // The old primary is marked unhealthy by instance id: whichever group holds it.
    expect(resourcesFor(phaseRole('primary-failover-stop-old'), 'autoscaling:SetInstanceHealth')).toEqual([
      MEMBER_GROUP,
      PRIMARY_GROUP,
    ]);
    // The parent neither detaches, attaches nor marks instances: its phases do.
    for (const action of [
      'autoscaling:DetachInstances',
      'autoscaling:AttachInstances',
      'autoscaling:SetInstanceHealth',
    ]) {
      expect(resourcesFor(wf, action)).toEqual([]);
    }
  });

  it('lets the workflow invoke only its three Lambdas and start only its own phases (they run the node commands)', () => {
    expect(statementsOf(wf).filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'))).toEqual([
      expect.objectContaining({
        Resource: expect.arrayContaining([
          arnOf(lifecycle.failover.fn),
          arnOf(lifecycle.lease.fn),
          arnOf(lifecycle.report.fn),
        ]),
      }),
    ]);
    expect(resourcesFor(wf, 'lambda:InvokeFunction')).toHaveLength(3);
    const machine = (name: string) =>
      `arn:\${AWS::Partition}:states:${region.name}:\${AWS::AccountId}:stateMachine:artifactory-prod-control-plane-${region.name}-${name}`;
    const executions = (name: string) =>
      `arn:\${AWS::Partition}:states:${region.name}:\${AWS::AccountId}:execution:artifactory-prod-control-plane-${region.name}-${name}:*`;
    const phases = Object.keys(failover.phases).sort();
    expect(resourcesFor(wf, 'states:StartExecution')).toEqual(phases.map(machine).sort());
    expect(resourcesFor(wf, 'states:DescribeExecution')).toEqual(phases.map(executions).sort());
    // A phase invokes at most the failover Lambda and the lease Lambda (the join lock around a restart), and
    // starts nothing but node-command.
    for (const phase of Object.values(failover.phases)) {
      for (const r of resourcesFor(phase.role, 'lambda:InvokeFunction')) {
        expect([flat(arnOf(lifecycle.failover.fn)), flat(arnOf(lifecycle.lease.fn))]).toContain(r);
      }
      for (const r of resourcesFor(phase.role, 'states:StartExecution')) {
        expect(r).toBe(flat(ref(lifecycle.nodeCommand.stateMachine)));
      }
    }
  });

  it("fences at the hypervisor only from the stop-old and quarantine phases, and only the cluster's tagged instances", () => {
    const fencing = ['primary-failover-stop-old', 'primary-failover-quarantine'].map(
      (name) => failover.phases[name]?.role as IConstruct,
    );
    for (const role of fencing) {
      const stops = statementsOf(role).filter((s) => [s.Action].flat().includes('ec2:StopInstances'));
      expect(stops).toHaveLength(1);
      expect([stops[0]?.Resource].flat().map(flat)).toEqual([
        `arn:\${AWS::Partition}:ec2:${region.name}:\${AWS::AccountId}:instance/*`,
      ]);
      expect(stops[0]?.Condition).toEqual({
        StringEquals: { 'aws:ResourceTag/artifactory-ha:cluster': 'artifactory-prod' },
      });
    }
    const others = [wf, ...Object.values(failover.phases).map((p) => p.role)].filter(
      (r) => !fencing.includes(r),
    );
    for (const role of [...others, lifecycle.failover.role, lifecycle.bootstrap.role, lifecycle.drain.role]) {
      expect(resourcesFor(role, 'ec2:StopInstances')).toEqual([]);
    }
  });

  it('gives the failover Lambda read-only describes, and only GetItem/UpdateItem/PutItem on the state table', () => {
    // DescribeExecution: the claim asks whether an election's fence still has a running owner.
    const role = lifecycle.failover.role;
    expect(actionsOf(role)).toEqual(
      [
        'autoscaling:DescribeAutoScalingGroups',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceStatus',
        'elasticloadbalancing:DescribeTargetHealth',
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'states:DescribeExecution',
      ].sort(),
    );
    expect(resourcesFor(role, 'states:DescribeExecution')).toEqual([
      `arn:\${AWS::Partition}:states:${region.name}:\${AWS::AccountId}:execution:${SM_NAME}:*`,
    ]);
    // PutItem: only the audit entry of an operator's release of a quarantined node.
    for (const action of ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem']) {
      expect(resourcesFor(role, action)).toEqual([flat(arnOf(stack.stateTable))]);
    }
  });

  it('lets the watch observe and log (its metric is an EMF log line), never PutMetricData', () => {
    const role = failover.watch.role;
    // DynamoDB, KMS and DescribeExecution: a planned primary restart (test/infra/cert-triggers.test.ts).
    expect(actionsOf(role)).toEqual(
      [
        'autoscaling:DescribeAutoScalingGroups',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'elasticloadbalancing:DescribeTargetHealth',
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'states:DescribeExecution',
      ].sort(),
    );
  });

  it('lets the lease Lambda read only the executions that hold locks, to take over a lock an ended one held', () => {
    const executions = (name: string) =>
      `arn:\${AWS::Partition}:states:${region.name}:\${AWS::AccountId}:execution:${name}:*`;
    // The cluster lock: primary-failover runs and cert-rotation runs (a primary's restart); the join lock:
    // node-bootstrap, a candidate attempt, a demotion, a node's rotation; the rotation lease: cert-rotation.
    const rotation = lifecycle.bootstrap.stateMachineName.replace(/node-bootstrap$/, 'cert-rotation');
    expect(resourcesFor(lifecycle.lease.role, 'states:DescribeExecution').sort()).toEqual(
      [
        SM_NAME,
        `${SM_NAME}-candidate`,
        `${SM_NAME}-demote`,
        lifecycle.bootstrap.stateMachineName,
        rotation,
        `${rotation}-node`,
      ]
        .map(executions)
        .sort(),
    );
  });

  it('lets dispatch, the reconciler and node-drain start it, and node-bootstrap invoke the failover Lambda', () => {
    for (const role of [lifecycle.dispatch.role, lifecycle.reconciler.role, lifecycle.drain.role]) {
      expect(resourcesFor(role, 'states:StartExecution')).toContain(FAILOVER_ARN);
    }
    expect(resourcesFor(lifecycle.reconciler.role, 'dynamodb:GetItem')).toEqual([
      flat(arnOf(stack.stateTable)),
    ]);
    expect(resourcesFor(lifecycle.bootstrap.role, 'lambda:InvokeFunction')).toContain(
      flat(arnOf(lifecycle.failover.fn)),
    );
    // Starting is not reading: none of them may stop a primary-failover run, and only the reconciler may
    // inspect one (the census: whether an election's fence still has a running owner; while paused: whether the
    // cluster lock's holder still runs).
    for (const role of [lifecycle.dispatch.role, lifecycle.reconciler.role, lifecycle.drain.role]) {
      expect(
        resourcesFor(role, 'states:StopExecution').filter((r) => r.includes('primary-failover')),
      ).toEqual([]);
    }
    for (const role of [lifecycle.dispatch.role, lifecycle.drain.role]) {
      expect(
        resourcesFor(role, 'states:DescribeExecution').filter((r) => r.includes('primary-failover')),
      ).toEqual([]);
    }
    expect(resourcesFor(lifecycle.reconciler.role, 'states:DescribeExecution')).toEqual([
      `arn:\${AWS::Partition}:states:${region.name}:\${AWS::AccountId}:execution:${SM_NAME}:*`,
    ]);
  });

  it('lets dispatch and the reconciler report a paused finding: the topic, and the notice record', () => {
    for (const fn of [lifecycle.dispatch, lifecycle.reconciler]) {
      expect(resourcesFor(fn.role, 'sns:Publish')).toEqual([flat(ref(stack.topic))]);
      expect(resourcesFor(fn.role, 'dynamodb:UpdateItem')).toEqual([flat(arnOf(stack.stateTable))]);
      expect(environmentOf(fn.fn)).toMatchObject({
        [ENV.automationEnabled]: 'true',
        [ENV.topicArn]: flat(ref(stack.topic)),
      });
    }
    // The report Lambda claims the notice of a run the pause held.
    expect(resourcesFor(lifecycle.report.role, 'dynamodb:UpdateItem')).toEqual([
      flat(arnOf(stack.stateTable)),
    ]);
  });

  it('uses Resource "*" in no policy of the stack except for actions IAM cannot scope', () => {
    // Added by CDK for Step Functions execution logging (vended log delivery) and X-Ray sampling: neither
    // supports resource-level permissions.
    const serviceManaged =
      /^(logs:(CreateLogDelivery|DeleteLogDelivery|GetLogDelivery|ListLogDeliveries|UpdateLogDelivery|DescribeLogGroups|DescribeResourcePolicies|PutResourcePolicy)|xray:GetSampling(Rules|Targets))$/;
    const policies = t.findResources('AWS::IAM::Policy');
    const offenders = Object.entries(policies).flatMap(([id, p]) =>
      (p.Properties.PolicyDocument.Statement as Statement[])
        .filter((s) => [s.Resource].flat().includes('*'))
        .flatMap((s) => [s.Action].flat())
        .filter((a) => !ACTIONS_WITHOUT_RESOURCE_SCOPE.has(a) && !serviceManaged.test(a))
        .map((a) => `${id}: ${a}`),
    );
    expect(offenders).toEqual([]);
  });
});
