// Issue 13, items 1-4: cert-rotation, its per-node child and the certs Lambda in the control-plane stack,
// each role limited to the calls it makes and the cluster's own resources.
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { ENV } from '../../functions/shared/env';
import { buildApp } from '../../infra/build';
import { exampleConfig, flat, testApp } from './helpers';

const config = exampleConfig();
const region = config.regions[0];
if (!region) throw new Error('no region in the example config');
const stack = buildApp(config, { app: testApp(), policyChecks: false }).controlPlanes.get(region.name);
if (!stack) throw new Error(`no ${region.name} stack`);
const t = Template.fromStack(stack);
const logicalId = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
const rotation = stack.certRotation;
const arnOf = (fn: IConstruct) => flat({ 'Fn::GetAtt': [logicalId(fn), 'Arn'] });

function statementsOf(role: IConstruct): { Action: string | string[]; Resource: unknown }[] {
  const policies = t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(role) }] } });
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
}
const actionsOf = (role: IConstruct) =>
  [...new Set(statementsOf(role).flatMap((s) => [s.Action].flat()))].sort();
const resourcesFor = (role: IConstruct, action: string) =>
  statementsOf(role)
    .filter((s) => [s.Action].flat().includes(action))
    .flatMap((s) => [s.Resource].flat().map(flat))
    .sort();

describe('cert-rotation in the control-plane stack', () => {
  it('deploys the parent and its per-node child under their fixed names', () => {
    expect(rotation.workflow.stateMachineName).toBe(
      `artifactory-prod-control-plane-${region.name}-cert-rotation`,
    );
    expect(rotation.nodePhase.stateMachineName).toBe(`${rotation.workflow.stateMachineName}-node`);
  });

  it('gives the certs Lambda the cluster, the policy as JSON, and reads only', () => {
    const vars = t.toJSON().Resources[logicalId(rotation.certs.fn)].Properties.Environment.Variables;
    expect(flat(vars[ENV.minHealthyNodes])).toBe(String(config.cluster.minHealthyNodes));
    expect(JSON.parse(flat(vars[ENV.certificatePolicy]))).toMatchObject({
      maxUnavailable: config.certificates.maxUnavailable,
      caGeneration: config.certificates.ca.generation,
    });
    expect(actionsOf(rotation.certs.role)).toEqual([
      'autoscaling:DescribeAutoScalingGroups',
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'ec2:DescribeInstances',
      'elasticloadbalancing:DescribeTargetHealth',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    // The table's writes: only the state table (and its indexes, as grant() adds them).
    for (const r of resourcesFor(rotation.certs.role, 'dynamodb:UpdateItem')) expect(r).toMatch(/StateTable/);
  });

  it("lets the per-node child touch only its cluster's target group and invoke certs, signer and lease", () => {
    const role = rotation.nodePhase.role;
    const tg = region.targetGroupArns[0];
    expect(resourcesFor(role, 'elasticloadbalancing:RegisterTargets')).toEqual([tg]);
    expect(resourcesFor(role, 'elasticloadbalancing:DeregisterTargets')).toEqual([tg]);
    expect(resourcesFor(role, 'lambda:InvokeFunction')).toEqual(
      [rotation.certs.fn, stack.clusterCa.signer.fn, stack.nodeLifecycle.lease.fn].map(arnOf).sort(),
    );
    // Node commands only through node-command (no ssm:SendCommand of its own).
    expect(actionsOf(role)).not.toContain('ssm:SendCommand');
    expect(resourcesFor(role, 'states:StartExecution')).toEqual([
      `\${${logicalId(stack.nodeLifecycle.nodeCommand.stateMachine)}}`,
    ]);
  });

  it('lets the parent start only its child and node-command (the census probe) and invoke certs, signer, lease and report', () => {
    const role = rotation.workflow.role;
    expect(resourcesFor(role, 'lambda:InvokeFunction')).toEqual(
      [
        rotation.certs.fn,
        stack.clusterCa.signer.fn,
        stack.nodeLifecycle.lease.fn,
        stack.nodeLifecycle.report.fn,
      ]
        .map(arnOf)
        .sort(),
    );
    expect(resourcesFor(role, 'states:StartExecution')).toEqual(
      [
        `arn:\${AWS::Partition}:states:${region.name}:\${AWS::AccountId}:stateMachine:${rotation.nodePhase.stateMachineName}`,
        `\${${logicalId(stack.nodeLifecycle.nodeCommand.stateMachine)}}`,
      ].sort(),
    );
    // The census's ProbeServedCertificate goes through node-command: no ssm:SendCommand of its own.
    expect(actionsOf(role)).not.toContain('ssm:SendCommand');
    expect(actionsOf(role).filter((a) => a.startsWith('elasticloadbalancing:'))).toEqual([]);
  });

  it('lets node-bootstrap invoke the signer and the certs Lambda for a new node', () => {
    const invoked = resourcesFor(stack.nodeLifecycle.bootstrap.role, 'lambda:InvokeFunction');
    expect(invoked).toEqual(
      expect.arrayContaining([arnOf(stack.clusterCa.signer.fn), arnOf(rotation.certs.fn)]),
    );
  });
});
