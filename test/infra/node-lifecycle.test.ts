import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/build';
import { exampleConfig, testApp } from './helpers';

const built = buildApp(exampleConfig(), { app: testApp(), policyChecks: false });
const stack = built.controlPlanes.get('eu-west-1');
if (!stack) throw new Error('no eu-west-1 stack');
const t = Template.fromStack(stack);

/** Every IAM action granted to the role whose logical id starts with `prefix`. */
function actionsOf(prefix: string): string[] {
  const policies = t.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${prefix}`) }] },
  });
  return Object.values(policies)
    .flatMap((p) => p.Properties.PolicyDocument.Statement)
    .flatMap((s: { Action: string | string[] }) => [s.Action].flat())
    .sort();
}

describe('node lifecycle in the control-plane stack', () => {
  it('hooks both groups: launch ABANDON, terminate CONTINUE, 900 s heartbeat', () => {
    t.resourceCountIs('AWS::AutoScaling::LifecycleHook', 4);
    for (const group of ['artifactory-prod-primary', 'artifactory-prod-members']) {
      t.hasResourceProperties('AWS::AutoScaling::LifecycleHook', {
        AutoScalingGroupName: group,
        LifecycleHookName: 'artifactory-ha-launch',
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
        DefaultResult: 'ABANDON',
        HeartbeatTimeout: 900,
      });
      t.hasResourceProperties('AWS::AutoScaling::LifecycleHook', {
        AutoScalingGroupName: group,
        LifecycleHookName: 'artifactory-ha-terminate',
        DefaultResult: 'CONTINUE',
      });
    }
  });

  it('routes only the cluster groups’ lifecycle events to dispatch, and sweeps every 5 minutes', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Instance-launch Lifecycle Action', 'EC2 Instance-terminate Lifecycle Action'],
        detail: { AutoScalingGroupName: ['artifactory-prod-primary', 'artifactory-prod-members'] },
      },
      Targets: [
        Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 } }),
      ],
    });
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  it('deploys the three workflows, named, with the definitions’ substitutions', () => {
    for (const name of ['node-command', 'node-bootstrap', 'node-drain']) {
      t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: `artifactory-prod-control-plane-eu-west-1-${name}`,
      });
    }
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'artifactory-prod-control-plane-eu-west-1-node-bootstrap',
      DefinitionSubstitutions: Match.objectLike({
        MasterKeySecretId: 'artifactory-prod/master-key',
        JoinKeySecretId: 'artifactory-prod/join-key',
        ConfigureDocument: Match.anyValue(),
        TargetGroupArn:
          'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/artifactory-prod/0123456789abcdef',
      }),
    });
  });

  it('gives each role only the actions it calls, none with a wildcard', () => {
    expect(actionsOf('NodeLifecycleDispatch')).toEqual(
      expect.arrayContaining([
        'autoscaling:CompleteLifecycleAction',
        'dynamodb:PutItem',
        'states:StartExecution',
      ]),
    );
    expect(actionsOf('NodeLifecycleDispatch')).not.toContain('autoscaling:SetDesiredCapacity');
    expect(actionsOf('NodeLifecycleNodeBootstrap')).toEqual(
      expect.arrayContaining([
        'autoscaling:CompleteLifecycleAction',
        'autoscaling:RecordLifecycleActionHeartbeat',
        'elasticloadbalancing:RegisterTargets',
        'lambda:InvokeFunction',
        'ssm:DescribeInstanceInformation',
        'states:StartExecution',
      ]),
    );
    expect(actionsOf('NodeLifecycleNodeBootstrap')).not.toContain('ssm:SendCommand');
    expect(actionsOf('NodeLifecycleNodeCommand')).toEqual(
      expect.arrayContaining(['ssm:GetCommandInvocation', 'ssm:SendCommand']),
    );
    for (const prefix of [
      'NodeLifecycleDispatch',
      'NodeLifecycleReconciler',
      'NodeLifecycleLease',
      'NodeLifecycleReport',
      'NodeLifecycleNode',
    ]) {
      expect(actionsOf(prefix).filter((a) => a.endsWith('*') || a === '*')).toEqual([]);
    }
  });
});
