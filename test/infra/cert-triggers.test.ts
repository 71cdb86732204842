// Issue 13, items 4 and 5: cert-rotation's triggers in the control-plane stack (the expiry alarm, its route to
// dispatch, the daily census) and what dispatch, the reconciler and the watch are given for them.
import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { ENV } from '../../functions/shared/env';
import { buildApp } from '../../infra/build';
import { censusRuleName, certAlarmName } from '../../infra/cert-triggers';
import { exampleConfig, flat, testApp } from './helpers';

const config = exampleConfig();
const region = config.regions[0];
if (!region) throw new Error('no region in the example config');
const stack = buildApp(config, { app: testApp(), policyChecks: false }).controlPlanes.get(region.name);
if (!stack) throw new Error(`no ${region.name} stack`);
const t = Template.fromStack(stack);
const logicalId = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
const SM = `artifactory-prod-control-plane-${region.name}-cert-rotation`;
const CERT_ARN = `arn:\${AWS::Partition}:states:${region.name}:\${AWS::AccountId}:stateMachine:${SM}`;

function environmentOf(fn: IConstruct): Record<string, string> {
  const vars = t.toJSON().Resources[logicalId(fn)].Properties.Environment.Variables as Record<
    string,
    unknown
  >;
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, flat(v)]));
}
function statementsOf(
  role: IConstruct,
): { Action: string | string[]; Resource: unknown; Condition?: unknown }[] {
  const policies = t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(role) }] } });
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
}
const resourcesFor = (role: IConstruct, action: string) =>
  statementsOf(role)
    .filter((s) => [s.Action].flat().includes(action))
    .flatMap((s) => [s.Resource].flat().map(flat))
    .sort();

describe('cert-rotation triggers in the control-plane stack', () => {
  it('alarms when the smallest CertificateDaysLeft is under nearExpiryDays, and tells the operator', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: certAlarmName(config, region.name),
      Namespace: 'ArtifactoryHA',
      MetricName: 'CertificateDaysLeft',
      Dimensions: Match.arrayWith([
        { Name: 'Cluster', Value: config.cluster.name },
        { Name: 'Region', Value: region.name },
      ]),
      Statistic: 'Minimum',
      Period: 900,
      Threshold: config.certificates.nearExpiryDays,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('Notifications') }],
    });
  });

  it('routes the alarm going into ALARM and the daily census to dispatch', () => {
    const dispatchArn = { 'Fn::GetAtt': [logicalId(stack.nodeLifecycle.dispatch.fn), 'Arn'] };
    // The primary alarm's rule carries it (one rule for the alarms dispatch acts on).
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: {
          alarmName: Match.arrayWith([certAlarmName(config, region.name)]),
          state: { value: ['ALARM'] },
        },
      }),
      Targets: [Match.objectLike({ Arn: dispatchArn })],
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      Name: censusRuleName(config),
      ScheduleExpression: `cron(0 ${config.certificates.censusHourUtc} * * ? *)`,
      Targets: [Match.objectLike({ Arn: dispatchArn })],
    });
  });

  it('gives dispatch the workflow ARN and the gate settings, and lets it start only that workflow beside the others', () => {
    const dispatch = stack.nodeLifecycle.dispatch;
    expect(environmentOf(dispatch.fn)).toMatchObject({
      [ENV.certRotationStateMachineArn]: flat(CERT_ARN),
      [ENV.certCooldownMinutes]: String(config.automation.cooldownMinutes.certRotation),
      [ENV.dailyBudget]: String(config.automation.dailyBudget),
    });
    expect(resourcesFor(dispatch.role, 'states:StartExecution')).toContain(flat(CERT_ARN));
    // The gate item, and (issue 15) the global pause's copy in this region's routing table.
    expect(resourcesFor(dispatch.role, 'dynamodb:GetItem')).toEqual([
      flat({ 'Fn::GetAtt': [logicalId(stack.stateTable), 'Arn'] }),
      `arn:\${AWS::Partition}:dynamodb:${region.name}:\${AWS::AccountId}:table/${config.cluster.name}-routing`,
    ]);
  });

  it('lets the reconciler query the node records and publish into the project namespace only', () => {
    const reconciler = stack.nodeLifecycle.reconciler;
    expect(environmentOf(reconciler.fn)[ENV.metricNamespace]).toBe('ArtifactoryHA');
    expect(resourcesFor(reconciler.role, 'dynamodb:Query')).toHaveLength(1);
    expect(
      statementsOf(reconciler.role).find((s) => s.Action === 'cloudwatch:PutMetricData')?.Condition,
    ).toEqual({
      StringEquals: { 'cloudwatch:namespace': 'ArtifactoryHA' },
    });
  });

  it('lets the watch read the lease and ask only cert-rotation executions for their status', () => {
    const watch = stack.primaryFailover.watch;
    expect(environmentOf(watch.fn)).toMatchObject({ [ENV.certRotationStateMachineArn]: flat(CERT_ARN) });
    expect(environmentOf(watch.fn)[ENV.stateTable]).toBeDefined();
    expect(resourcesFor(watch.role, 'states:DescribeExecution')).toEqual([
      `arn:\${AWS::Partition}:states:${region.name}:\${AWS::AccountId}:execution:${SM}:*`,
    ]);
  });
});
