import type { BusEvent } from '../../../sim/core/contracts';
import { Twin } from '../../../sim/twin';

const REGION = 'eu-west-1';
const MINUTE = 60_000;
const STATUS = 'Step Functions Execution Status Change';

jest.setTimeout(60_000);

const machine = (definition: Record<string, unknown>) => JSON.stringify(definition);

describe('Step Functions status events and AWS/States metrics in the twin', () => {
  let twin: Twin;
  let seen: BusEvent[];

  beforeEach(async () => {
    twin = await Twin.start({ seed: 11, controlPlane: false });
    seen = [];
    twin.world.region(REGION).events.putRule({
      name: 'run-status',
      pattern: { source: ['aws.states'], 'detail-type': [STATUS] },
      target: (event) => void seen.push(event),
    });
  });

  afterEach(async () => {
    await twin?.stop();
  });

  const statuses = () => seen.map((e) => `${e.detail.name}:${e.detail.status}`);

  async function sum(metric: string, stateMachineArn: string): Promise<number> {
    const now = twin.world.clock.now();
    const out = (await twin.world.call(REGION, 'cloudwatch', 'GetMetricStatistics', {
      Namespace: 'AWS/States',
      MetricName: metric,
      Dimensions: [{ Name: 'StateMachineArn', Value: stateMachineArn }],
      StartTime: new Date(now - 3600_000),
      EndTime: new Date(now + MINUTE),
      Period: 60,
      Statistics: ['Sum'],
    })) as { Datapoints?: { Sum?: number }[] };
    return (out.Datapoints ?? []).reduce((n, d) => n + (d.Sum ?? 0), 0);
  }

  it('emits RUNNING and SUCCEEDED with AWS shape, and counts Started and Succeeded', async () => {
    const sfn = twin.sfnIn(REGION);
    const arn = sfn.createStateMachine(
      'quick',
      machine({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 5, End: true } } }),
      {},
    );
    sfn.startExecution({ stateMachineArn: arn, name: 'one', input: '{"k":1}' });
    await twin.run(MINUTE);
    expect(statuses()).toEqual(['one:RUNNING', 'one:SUCCEEDED']);
    const done = seen[1] as BusEvent;
    expect(done.resources).toEqual([`arn:aws:states:${REGION}:${twin.world.accountId}:execution:quick:one`]);
    expect(done.detail).toMatchObject({
      executionArn: done.resources[0],
      stateMachineArn: arn,
      status: 'SUCCEEDED',
      input: '{"k":1}',
      output: '{"k":1}',
      error: null,
      cause: null,
    });
    expect(typeof done.detail.startDate).toBe('number');
    expect((done.detail.stopDate as number) - (done.detail.startDate as number)).toBe(5000);
    expect(seen[0]?.detail.stopDate).toBeNull();
    expect(await sum('ExecutionsStarted', arn)).toBe(1);
    expect(await sum('ExecutionsSucceeded', arn)).toBe(1);
  });

  it('ends TIMED_OUT at the state machine TimeoutSeconds, ABORTED on StopExecution, FAILED on a Fail state', async () => {
    const sfn = twin.sfnIn(REGION);
    const slow = sfn.createStateMachine(
      'slow',
      machine({
        TimeoutSeconds: 30,
        StartAt: 'W',
        States: { W: { Type: 'Wait', Seconds: 3600, End: true } },
      }),
      {},
    );
    const failing = sfn.createStateMachine(
      'failing',
      machine({ StartAt: 'F', States: { F: { Type: 'Fail', Error: 'Boom', Cause: 'why' } } }),
      {},
    );
    sfn.startExecution({ stateMachineArn: slow, name: 'times-out' });
    const { executionArn } = sfn.startExecution({ stateMachineArn: slow, name: 'stopped' });
    sfn.startExecution({ stateMachineArn: failing, name: 'fails' });
    await twin.run(10_000);
    sfn.stop({ executionArn, error: 'Operator', cause: 'stopped by hand' });
    await twin.run(MINUTE);
    const ended = Object.fromEntries(
      seen.filter((e) => e.detail.status !== 'RUNNING').map((e) => [e.detail.name, e.detail]),
    );
    expect(ended['times-out']).toMatchObject({ status: 'TIMED_OUT' });
    expect((ended['times-out']?.stopDate as number) - (ended['times-out']?.startDate as number)).toBe(30_000);
    expect(ended.stopped).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'stopped by hand' });
    expect(ended.fails).toMatchObject({ status: 'FAILED', error: 'Boom', cause: 'why' });
    expect(await sum('ExecutionsTimedOut', slow)).toBe(1);
    expect(await sum('ExecutionsAborted', slow)).toBe(1);
    expect(await sum('ExecutionsFailed', failing)).toBe(1);
  });

  it('status events are best effort: an injected event fault loses one', async () => {
    const sfn = twin.sfnIn(REGION);
    const arn = sfn.createStateMachine(
      'quick',
      machine({ StartAt: 'D', States: { D: { Type: 'Succeed' } } }),
      {},
    );
    twin.world.faults.event({ region: REGION, detailType: STATUS, mode: 'lose', times: 1 });
    sfn.startExecution({ stateMachineArn: arn, name: 'lossy' });
    await twin.run(MINUTE);
    expect(statuses()).toEqual(['lossy:SUCCEEDED']);
  });
});
