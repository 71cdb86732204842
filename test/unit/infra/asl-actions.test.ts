import {
  actionsForDefinition,
  actionsForResource,
  taskResources,
} from '../../../infra/constructs/asl-actions';

describe('IAM actions from ASL Task resources', () => {
  it.each([
    ['arn:aws:states:::aws-sdk:autoscaling:completeLifecycleAction', ['autoscaling:CompleteLifecycleAction']],
    ['arn:aws:states:::aws-sdk:ssm:sendCommand', ['ssm:SendCommand']],
    [
      'arn:aws:states:::aws-sdk:elasticloadbalancingv2:deregisterTargets',
      ['elasticloadbalancing:DeregisterTargets'],
    ],
    ['arn:aws:states:::aws-sdk:sfn:describeExecution', ['states:DescribeExecution']],
    ['arn:aws:states:::aws-sdk:cloudwatch:putMetricData', ['cloudwatch:PutMetricData']],
    ['arn:aws:states:::dynamodb:updateItem', ['dynamodb:UpdateItem']],
    ['arn:aws:states:::sns:publish', ['sns:Publish']],
    ['arn:aws:states:::lambda:invoke', ['lambda:InvokeFunction']],
    ['arn:aws:states:::sns:publish.waitForTaskToken', ['sns:Publish']],
  ])('%s -> %j', (resource, actions) => {
    expect(actionsForResource(resource)).toEqual(actions);
  });

  it('adds what .sync:2 needs to watch the child execution', () => {
    expect(actionsForResource('arn:aws:states:::states:startExecution.sync:2')).toEqual(
      expect.arrayContaining([
        'states:StartExecution',
        'states:DescribeExecution',
        'states:StopExecution',
        'events:PutRule',
      ]),
    );
  });

  it('refuses integrations it does not know how to scope', () => {
    expect(() => actionsForResource('arn:aws:states:::batch:submitJob.sync')).toThrow(
      /unsupported Task resource/,
    );
    expect(() => actionsForResource('arn:aws:states:::http:invoke')).toThrow(/unsupported Task resource/);
  });

  it('walks Parallel branches and Map processors', () => {
    const definition = {
      States: {
        A: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish' },
        P: {
          Type: 'Parallel',
          Branches: [{ States: { B: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:getItem' } } }],
        },
        M: {
          Type: 'Map',
          ItemProcessor: {
            States: { C: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:ec2:describeInstances' } },
          },
        },
        Legacy: {
          Type: 'Map',
          Iterator: { States: { D: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish' } } },
        },
        W: { Type: 'Wait', Seconds: 1 },
      },
    };
    expect(taskResources(definition)).toHaveLength(4);
    expect(actionsForDefinition(definition)).toEqual([
      'dynamodb:GetItem',
      'ec2:DescribeInstances',
      'sns:Publish',
    ]);
  });
});
