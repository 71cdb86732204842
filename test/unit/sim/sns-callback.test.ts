import { Twin } from '../../../sim/twin';

const REGION = 'eu-west-1';

jest.setTimeout(60_000);

/**
 * An approval like regional-failover-approval's: `sns:publish.waitForTaskToken` with the token in the message
 * (twice, through States.Format) and in an attribute, under a parent whose `.sync:2` Task is bounded by a
 * TimeoutSecondsPath.
 */
const CHILD = JSON.stringify({
  StartAt: 'Ask',
  TimeoutSeconds: 3600,
  States: {
    Ask: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sns:publish.waitForTaskToken',
      Parameters: {
        TopicArn: ['$', '{TopicArn}'].join(''),
        'Message.$': "States.Format('ok: {} no: {}', $$.Task.Token, $$.Task.Token)",
        MessageAttributes: { TaskToken: { DataType: 'String', 'StringValue.$': '$$.Task.Token' } },
      },
      TimeoutSeconds: 3000,
      End: true,
    },
  },
});
const PARENT = JSON.stringify({
  StartAt: 'Prepare',
  TimeoutSeconds: 3600,
  States: {
    Prepare: { Type: 'Pass', Parameters: { Input: { seconds: 120 } }, Next: 'Child' },
    Child: {
      Type: 'Task',
      Resource: 'arn:aws:states:::states:startExecution.sync:2',
      Parameters: {
        StateMachineArn: ['$', '{ChildArn}'].join(''),
        Input: { 'seconds.$': '$.Input.seconds' },
      },
      TimeoutSecondsPath: '$.Input.seconds',
      Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Expired' }],
      End: true,
    },
    Expired: { Type: 'Fail', Error: 'Expired' },
  },
});

describe('sns:publish.waitForTaskToken and TimeoutSecondsPath on the twin', () => {
  let twin: Twin;
  let parentArn: string;
  beforeEach(async () => {
    twin = await Twin.start({ seed: 5, controlPlane: false });
    const topic = twin.world.region(REGION).sns.createTopic('approvals');
    const sfn = twin.sfnIn(REGION);
    const child = sfn.createStateMachine('ask', CHILD, { TopicArn: topic });
    parentArn = sfn.createStateMachine('parent', PARENT, { ChildArn: child });
  });
  afterEach(async () => {
    await twin?.stop();
  });
  const start = async (name: string) => {
    const before = twin.world.region(REGION).sns.messages.length;
    const { executionArn } = twin.sfnIn(REGION).startExecution({ stateMachineArn: parentArn, name });
    await twin.run(5_000, () => twin.world.region(REGION).sns.messages.length > before);
    const m = twin.world.region(REGION).sns.messages.at(-1);
    const inText = [...(m?.message ?? '').matchAll(/(?:ok|no): (\S+)/g)].map((x) => x[1] as string);
    return { executionArn, inText, attribute: m?.attributes.TaskToken?.StringValue as string };
  };
  const settle = () => twin.run(600_000, () => twin.world.executions.every((e) => e.status !== 'RUNNING'));
  const record = (arn: string) => twin.world.executions.find((e) => e.executionArn === arn);

  it('publishes, then completes on any token the attempt read (the one in the text included); then it is closed', async () => {
    const { executionArn, inText, attribute } = await start('approve');
    expect(inText).toHaveLength(2);
    expect(record(executionArn)?.status).toBe('RUNNING');
    twin.sfnIn(REGION).api.SendTaskSuccess({ taskToken: inText[0] as string, output: '{"approved":true}' });
    await settle();
    expect(record(executionArn)?.status).toBe('SUCCEEDED');
    expect(() => twin.sfnIn(REGION).api.SendTaskSuccess({ taskToken: attribute, output: '{}' })).toThrow(
      expect.objectContaining({ name: 'TaskTimedOut' }),
    );
  });

  it("the parent's TimeoutSecondsPath times its Task out and stops the child", async () => {
    const { executionArn } = await start('expire');
    await settle();
    const parent = record(executionArn);
    expect(parent?.error).toBe('Expired');
    expect(((parent?.stoppedAt as number) - (parent?.startedAt as number)) / 1000).toBeCloseTo(120, -1);
    const child = twin.world.executions.find((e) => e.parentArn === executionArn);
    expect(child?.status).toBe('ABORTED');
  });
});
