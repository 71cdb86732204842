import * as path from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ControlPlaneFunction } from '../../infra/constructs/control-plane-function';
import { ControlPlaneKey } from '../../infra/constructs/control-plane-key';
import { Workflow } from '../../infra/constructs/workflow';
import { policyFindings, testApp } from './helpers';

const FIXTURE_ASL = path.resolve(__dirname, '../fixtures/asl/construct-fixture.asl.json');
const ASG_ARN =
  'arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:*:autoScalingGroupName/prod-primary';
const TABLE_ARN = 'arn:aws:dynamodb:eu-west-1:111122223333:table/state';

function fixtureStack(options: { bundle?: boolean; checks?: boolean } = {}) {
  const app = testApp({ bundle: options.bundle ?? false });
  if (options.checks) Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new CfnGuardValidator());
  const stack = new Stack(app, 'Fixture', { env: { account: '111122223333', region: 'eu-west-1' } });
  const key = new ControlPlaneKey(stack, 'Key', { description: 'fixture', rotationDays: 365 }).key;
  const decide = new ControlPlaneFunction(stack, 'Decide', {
    handlerDir: 'echo',
    entry: path.resolve(__dirname, '../fixtures/functions/echo/handler.ts'),
    description: 'fixture',
    logKey: key,
  });
  const workflow = (resources: Record<string, readonly string[]>, substitutions?: Record<string, string>) =>
    new Workflow(stack, `Wf${stack.node.children.length}`, {
      name: 'construct-fixture',
      definitionPath: FIXTURE_ASL,
      logKey: key,
      substitutions: substitutions ?? {
        DecideFunctionArn: decide.functionArn,
        PrimaryAsgName: 'prod-primary',
        StateTableName: 'state',
      },
      resources,
    });
  return { app, stack, key, decide, workflow };
}

const SCOPED = {
  'lambda:InvokeFunction': ['arn:aws:lambda:eu-west-1:111122223333:function:decide'],
  'autoscaling:CompleteLifecycleAction': [ASG_ARN],
  'autoscaling:DescribeAutoScalingGroups': ['*'],
  dynamodb: [TABLE_ARN],
};

describe('Workflow construct', () => {
  it('grants exactly the actions the definition uses, each on its resources', () => {
    const { stack, workflow } = fixtureStack();
    const wf = workflow(SCOPED);
    expect(wf.actions).toEqual([
      'autoscaling:CompleteLifecycleAction',
      'autoscaling:DescribeAutoScalingGroups',
      'dynamodb:PutItem',
      'lambda:InvokeFunction',
    ]);
    const template = Template.fromStack(stack);
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^Wf\\d+Role') }] },
    });
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const byAction = new Map<string, unknown>();
    for (const s of statements) for (const a of [s.Action].flat()) byAction.set(a, s.Resource);
    expect(byAction.get('autoscaling:CompleteLifecycleAction')).toEqual(ASG_ARN);
    expect(byAction.get('dynamodb:PutItem')).toEqual(TABLE_ARN);
    expect(byAction.get('autoscaling:DescribeAutoScalingGroups')).toEqual('*');
    // Nothing beyond the definition's actions, other than log delivery and X-Ray that CDK adds.
    const extra = [...byAction.keys()].filter((a) => !wf.actions.includes(a) && !/^(logs|xray):/.test(a));
    expect(extra).toEqual([]);
    expect([...byAction.keys()].some((a) => a.includes('*'))).toBe(false);
  });

  it('loads the ASL inline with substitutions, logs without execution data, and traces', () => {
    const { stack, workflow } = fixtureStack();
    workflow(SCOPED);
    Template.fromStack(stack).hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      DefinitionSubstitutions: {
        PrimaryAsgName: 'prod-primary',
        StateTableName: 'state',
        DecideFunctionArn: Match.anyValue(),
      },
      LoggingConfiguration: { IncludeExecutionData: false, Level: 'ALL' },
      TracingConfiguration: { Enabled: true },
    });
  });

  it('refuses an action the definition uses but the caller did not scope', () => {
    const { workflow } = fixtureStack();
    const { dynamodb: _omit, ...withoutTable } = SCOPED;
    expect(() => workflow(withoutTable)).toThrow(
      /dynamodb:PutItem is used by the definition but no resources are given/,
    );
  });

  it('refuses "*" for an action that supports resource-level permissions', () => {
    const { workflow } = fixtureStack();
    expect(() => workflow({ ...SCOPED, 'autoscaling:CompleteLifecycleAction': ['*'] })).toThrow(
      /autoscaling:CompleteLifecycleAction supports resource-level permissions/,
    );
  });

  it('refuses missing and unused substitutions', () => {
    const { workflow } = fixtureStack();
    expect(() => workflow(SCOPED, { DecideFunctionArn: 'x', PrimaryAsgName: 'p' })).toThrow(
      /missing substitutions StateTableName/,
    );
    expect(() =>
      workflow(SCOPED, { DecideFunctionArn: 'x', PrimaryAsgName: 'p', StateTableName: 't', Extra: 'e' }),
    ).toThrow(/unused substitutions Extra/);
  });
});

describe('ControlPlaneFunction construct', () => {
  it('applies the Lambda defaults', () => {
    const { stack } = fixtureStack();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 30,
      TracingConfig: Match.absent(),
      RuntimeManagementConfig: { UpdateRuntimeOn: 'FunctionUpdate' },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: Match.anyValue() },
      Environment: {
        Variables: Match.objectLike({
          NODE_OPTIONS: Match.absent(),
          POWERTOOLS_SERVICE_NAME: 'echo',
          POWERTOOLS_METRICS_NAMESPACE: 'ArtifactoryHA',
        }),
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: 365,
      KmsKeyId: Match.anyValue(),
    });
    // Its own role, no managed policy (AWSLambdaBasicExecutionRole would allow every log group).
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
        },
      },
    });
    expect(Object.values(roles)).toHaveLength(1);
    expect(Object.values(roles)[0]?.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('bundles with esbuild and, with a workflow, passes cdk-nag and cfn-guard', () => {
    const { app, workflow, decide } = fixtureStack({ bundle: true, checks: true });
    workflow({ ...SCOPED, 'lambda:InvokeFunction': [decide.functionArn] });
    expect(policyFindings(app)).toEqual([]);
  });
});
