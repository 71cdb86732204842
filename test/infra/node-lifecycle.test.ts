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
        Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 } }),
      ],
    });
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  it("lets the command function complete node-command's tasks only", () => {
    const policies = t.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^NodeLifecycleCommandWait') }] },
    });
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement) as {
      Action: string | string[];
      Resource: unknown;
    }[];
    const sendTask = statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('states:')));
    expect(sendTask).toHaveLength(1);
    expect([sendTask[0]?.Action].flat().sort()).toEqual(['states:SendTaskFailure', 'states:SendTaskSuccess']);
    expect(JSON.stringify(sendTask[0]?.Resource)).toContain(
      ':stateMachine:artifactory-prod-control-plane-eu-west-1-node-command',
    );
    expect(JSON.stringify(sendTask[0]?.Resource)).not.toContain('*');
  });

  it("routes SSM's status events of the cluster's own documents in this region only, terminal statuses only", () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ssm'],
        'detail-type': ['EC2 Command Invocation Status-change Notification'],
        region: ['eu-west-1'],
        detail: {
          'document-name': [
            'artifactory-prod-ConfigureNode',
            'artifactory-prod-StartArtifactory',
            'artifactory-prod-StopArtifactory',
            'artifactory-prod-ProbeReadiness',
            'artifactory-prod-SetPrimaryRole',
            'artifactory-prod-MakeCsr',
            'artifactory-prod-InstallCertificate',
            'artifactory-prod-RollbackCertificate',
            'artifactory-prod-ProbeServedCertificate',
            'artifactory-prod-ReadReplicationStatus',
          ],
          status: ['Success', 'Failed', 'TimedOut', 'Cancelled'],
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NodeLifecycleCommandWaitFunction'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 },
        }),
      ],
    });
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'artifactory-prod-control-plane-eu-west-1-node-command',
      DefinitionSubstitutions: {
        CommandFunctionArn: {
          'Fn::GetAtt': [Match.stringLikeRegexp('^NodeLifecycleCommandWaitFunction'), 'Arn'],
        },
      },
    });
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
      expect.arrayContaining(['lambda:InvokeFunction', 'ssm:SendCommand']),
    );
    // node-command no longer polls: the command function reads the invocation and completes the wait.
    expect(actionsOf('NodeLifecycleNodeCommand')).not.toContain('ssm:GetCommandInvocation');
    expect(actionsOf('NodeLifecycleCommandWait')).toEqual(
      expect.arrayContaining([
        'dynamodb:UpdateItem',
        'ssm:GetCommandInvocation',
        'states:SendTaskFailure',
        'states:SendTaskSuccess',
      ]),
    );
    expect(actionsOf('NodeLifecycleCommandWait')).not.toContain('ssm:SendCommand');
    for (const prefix of [
      'NodeLifecycleDispatch',
      'NodeLifecycleReconciler',
      'NodeLifecycleLease',
      'NodeLifecycleReport',
      'NodeLifecycleNode',
      'NodeLifecycleCommandWait',
    ]) {
      expect(actionsOf(prefix).filter((a) => a.endsWith('*') || a === '*')).toEqual([]);
    }
  });
});
