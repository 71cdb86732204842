/** The AWS backend's derivations: stack refs and state machine ARNs named as the CDK app names them. */
import { App, Stack } from 'aws-cdk-lib';
import { readConfig } from '../../../cli/aws-loader';
import { stackRefsOf } from '../../../cli/backend';
import { Workflow } from '../../../infra/constructs/workflow';
import { WORKFLOW_NAMES } from '../../../infra/operations';
import { regionalFailoverStateMachineName } from '../../../infra/regional-failover';
import { controlPlaneStackName } from '../../../infra/stacks/names';
import { EXAMPLE_CONFIG } from './helpers';

const config = readConfig(EXAMPLE_CONFIG, {});

describe('stackRefsOf', () => {
  const name = controlPlaneStackName(config, 'us-east-1');
  const refs = stackRefsOf(config, 'us-east-1', {
    StackName: name,
    StackId: `arn:aws-us-gov:cloudformation:us-east-1:444455556666:stack/${name}/id`,
    StackStatus: 'CREATE_COMPLETE',
    CreationTime: new Date(),
    Outputs: [
      { OutputKey: 'StateTableName', OutputValue: 'state' },
      { OutputKey: 'OperationsFunctionName', OutputValue: 'ops' },
      { OutputKey: 'TopicArn', OutputValue: 'arn:topic' },
      { OutputKey: 'RoutingTableName', OutputValue: 'routing' },
    ],
  });

  it('reads the outputs', () => {
    expect(refs).toMatchObject({
      stackName: name,
      stateTable: 'state',
      operationsFunction: 'ops',
      topicArn: 'arn:topic',
      routingTable: 'routing',
    });
  });

  it('names every workflow as the CDK stack does (regional-failover: its fixed name), in the stack partition and account', () => {
    const stack = new Stack(new App(), 'S', { stackName: name });
    for (const w of WORKFLOW_NAMES) {
      const expected =
        w === 'regional-failover'
          ? regionalFailoverStateMachineName(config)
          : Workflow.stateMachineNameFor(stack, w);
      expect(refs.stateMachineArn(w)).toBe(
        `arn:aws-us-gov:states:us-east-1:444455556666:stateMachine:${expected}`,
      );
    }
  });
});
