import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../infra/build';
import type { Config } from '../../infra/config/schema';
import { drillInput, regionalFailoverStateMachineName } from '../../infra/regional-failover';
import {
  METRIC_NAMESPACE,
  regionDegradedAlarmName,
  routingTableName,
  routingVoters,
  switchAlarmName,
} from '../../infra/stacks/names';
import { exampleConfig, flat, testApp } from './helpers';

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

function built(config: Config, regionName?: string) {
  const b = buildApp(config, { app: testApp(), policyChecks: false });
  const name = regionName ?? config.regions[0]?.name ?? '';
  const stack = b.controlPlanes.get(name);
  if (!stack) throw new Error(`no ${name} stack`);
  const t = Template.fromStack(stack);
  const logicalId = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
  const statementsOf = (role: IConstruct): Statement[] =>
    Object.values(
      t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(role) }] } }),
    ).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  const resourcesFor = (role: IConstruct, action: string) =>
    statementsOf(role)
      .filter((s) => [s.Action].flat().includes(action))
      .flatMap((s) => [s.Resource].flat().map(flat))
      .sort();
  return { stack, t, logicalId, statementsOf, resourcesFor, rf: stack.regionalFailover, region: name };
}

const config = exampleConfig();
const eu = built(config);
const arn = (service: string, region: string, rest: string) =>
  `arn:\${AWS::Partition}:${service}:${region}:\${AWS::AccountId}:${rest}`;

describe('RegionalFailover in the control-plane stack', () => {
  it('deploys regional-failover under its fixed name (dispatch in a peer region starts it by ARN), its children under the stack’s', () => {
    eu.t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: regionalFailoverStateMachineName(config),
      StateMachineType: 'STANDARD',
    });
    expect(eu.rf.workflow.stateMachineName).toBe(`${config.cluster.name}-regional-failover`);
    expect(eu.rf.workflow.stateMachineArnByName).toContain(
      `:stateMachine:${config.cluster.name}-regional-failover`,
    );
    expect(Object.keys(eu.rf.phases).sort()).toEqual([
      'regional-failover-approval',
      'regional-failover-switch',
    ]);
  });

  it('the routing Lambda writes the routing table in every voter region, and no other table but its own state table (read)', () => {
    const role = eu.rf.routing.role;
    const voters = routingVoters(config);
    expect(voters).toEqual(['eu-west-1', 'us-east-1', 'us-west-2']);
    const tables = voters.map((v) => arn('dynamodb', v, `table/${routingTableName(config)}`)).sort();
    for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'])
      expect(eu.resourcesFor(role, action)).toEqual(tables);
    expect(eu.resourcesFor(role, 'dynamodb:GetItem')).toHaveLength(tables.length + 1);
    expect(eu.resourcesFor(role, 'dynamodb:GetItem')).toEqual(expect.arrayContaining(tables));
  });

  it('PutMetricData only in the project’s namespace; DescribeAlarms only on the switch copies and the degraded alarms', () => {
    const role = eu.rf.routing.role;
    const put = eu.statementsOf(role).filter((s) => [s.Action].flat().includes('cloudwatch:PutMetricData'));
    expect(put).toEqual([
      expect.objectContaining({ Condition: { StringEquals: { 'cloudwatch:namespace': METRIC_NAMESPACE } } }),
    ]);
    const alarms = eu.resourcesFor(role, 'cloudwatch:DescribeAlarms');
    const regions = config.regions.map((r) => r.name);
    const expected = regions.flatMap((x) => [
      ...regions.map((r) => arn('cloudwatch', r, `alarm:${switchAlarmName(config, x)}`)),
      arn('cloudwatch', x, `alarm:${regionDegradedAlarmName(config, x)}`),
    ]);
    expect(alarms).toEqual(expected.sort());
    // The witness has no alarm.
    expect(alarms.some((a) => a.includes(':us-west-2:'))).toBe(false);
  });

  it('reads only regional-failover executions (a lease holder’s status), in every configured region', () => {
    expect(eu.resourcesFor(eu.rf.routing.role, 'states:DescribeExecution')).toEqual(
      config.regions
        .map((r) => arn('states', r.name, `execution:${regionalFailoverStateMachineName(config)}:*`))
        .sort(),
    );
  });

  it('has no Route 53 permission with the cloudwatch-switch driver', () => {
    expect(config.failover.driver).toBe('cloudwatch-switch');
    const actions = eu.statementsOf(eu.rf.routing.role).flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => a.startsWith('route53:'))).toEqual([]);
  });

  it('may invert health checks only with the route53-api driver', () => {
    const r53 = built({ ...config, failover: { ...config.failover, driver: 'route53-api' } });
    const actions = r53.statementsOf(r53.rf.routing.role).flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => a.startsWith('route53:')).sort()).toEqual([
      'route53:ListHealthChecks',
      'route53:UpdateHealthCheck',
    ]);
    expect(r53.resourcesFor(r53.rf.routing.role, 'route53:UpdateHealthCheck')).toEqual([
      `arn:\${AWS::Partition}:route53:::healthcheck/*`,
    ]);
  });

  it('the approval child may publish to the control plane’s topic only; the switch child may invoke the routing Lambda only', () => {
    const approval = eu.rf.phases['regional-failover-approval'];
    const switchPhase = eu.rf.phases['regional-failover-switch'];
    if (!approval || !switchPhase) throw new Error('phases missing');
    expect(eu.resourcesFor(approval.role, 'sns:Publish')).toEqual([`\${${eu.logicalId(eu.stack.topic)}}`]);
    expect(eu.resourcesFor(switchPhase.role, 'lambda:InvokeFunction')).toEqual(
      expect.arrayContaining([`\${${eu.logicalId(eu.rf.routing.fn)}.Arn}`]),
    );
    expect(
      eu
        .resourcesFor(switchPhase.role, 'lambda:InvokeFunction')
        .every((r) => r.includes(eu.logicalId(eu.rf.routing.fn))),
    ).toBe(true);
  });

  it('schedules the readiness evaluation every evaluationMinutes and the drill on its schedule, with the drill’s input', () => {
    const rules = Object.values(eu.t.findResources('AWS::Events::Rule')).map(
      (r) => r.Properties as { ScheduleExpression?: string; Targets?: { Arn: unknown; Input?: string }[] },
    );
    const readiness = rules.find(
      (r) => r.ScheduleExpression === `rate(${config.failover.readiness.evaluationMinutes} minutes)`,
    );
    expect(readiness?.Targets?.map((x) => flat(x.Arn))).toEqual([
      `\${${eu.logicalId(eu.rf.readiness.stateMachine)}}`,
    ]);
    const drill = rules.find((r) => r.ScheduleExpression === config.failover.drill.schedule);
    expect(drill?.Targets).toHaveLength(1);
    expect(flat(drill?.Targets?.[0]?.Arn)).toBe(`\${${eu.logicalId(eu.rf.workflow.stateMachine)}}`);
    expect(JSON.parse(String(drill?.Targets?.[0]?.Input))).toEqual(drillInput(config, eu.region));
  });
});
