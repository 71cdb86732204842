import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Scenario } from '../../../sim/scenarios/types';
import { Twin } from '../../../sim/twin';
import { runScene } from '../../workflows/scene-runner';

const FIXTURE = readFileSync(path.resolve(__dirname, '../../fixtures/asl/runner-fixture.asl.json'), 'utf8');
const REGION = 'eu-west-1';

jest.setTimeout(60_000);

let twin: Twin;
afterEach(async () => {
  await twin?.stop();
});

const stateTable = () => twin.layout.regions.get(REGION)?.stateTable as string;
const settled = () => twin.world.executions.every((e) => e.status !== 'RUNNING');
const failedWith = (e: { history: { type: string; data?: unknown }[] }) =>
  e.history.filter((h) => h.type === 'StateFailed').map((h) => (h.data as { Error?: string }).Error);

describe('Lambda faults on the lambda:invoke integration', () => {
  let runs: number;

  async function deploy(retryOn: string[]) {
    twin = await Twin.start({ seed: 5, controlPlane: false });
    runs = 0;
    const fn = twin.lambda.register({
      name: 'fixture-fn',
      region: REGION,
      environment: {},
      timeoutSeconds: 20,
      load: () => async () => {
        runs++;
        return { ok: true };
      },
    });
    const machine = twin.sfnIn(REGION).createStateMachine(
      'fixture-lambda',
      JSON.stringify({
        StartAt: 'Call',
        TimeoutSeconds: 3600,
        States: {
          Call: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: fn, Payload: {} },
            TimeoutSeconds: 50,
            Retry: [{ ErrorEquals: retryOn, IntervalSeconds: 1, MaxAttempts: 4, JitterStrategy: 'FULL' }],
            Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Gave' }],
            End: true,
          },
          Gave: { Type: 'Fail', Error: 'Gave', Cause: 'the call failed' },
        },
      }),
      {},
    );
    return async (name: string) => {
      const { executionArn } = twin.sfnIn(REGION).startExecution({ stateMachineArn: machine, name });
      await twin.run(30 * 60_000, settled);
      return twin.sfnIn(REGION).waitFor(executionArn);
    };
  }

  it('throttling and 500s fail the Task with Lambda.* names, before the handler runs; the Retry runs them again', async () => {
    const run = await deploy(['Lambda.TooManyRequestsException', 'Lambda.ServiceException']);
    twin.world.faults.lambda({ region: REGION, functionName: 'fixture-fn', times: 1, mode: 'throttle' });
    twin.world.faults.lambda({ region: REGION, functionName: 'fixture-fn', times: 1, mode: 'service-error' });
    const e = await run('retried');
    expect(e.status).toBe('SUCCEEDED');
    expect(failedWith(e)).toEqual(['Lambda.TooManyRequestsException', 'Lambda.ServiceException']);
    expect(e.history.filter((h) => h.type === 'StateRetried')).toHaveLength(2);
    expect(runs).toBe(1);
  });

  it("a hung invocation fails at the function's timeout with Sandbox.Timedout, which a Lambda.* Retry does not retry", async () => {
    const run = await deploy(['Lambda.ServiceException']);
    twin.world.faults.lambda({ region: REGION, functionName: 'fixture-fn', times: 1, mode: 'timeout' });
    const before = twin.world.clock.now();
    const e = await run('hung');
    expect(e.status).toBe('FAILED');
    expect(e.error).toBe('Gave');
    expect(failedWith(e)).toEqual(['Sandbox.Timedout', 'Gave']);
    const failedAt = e.history.find((h) => h.type === 'StateFailed')?.at as number;
    expect(failedAt - before).toBeGreaterThanOrEqual(20_000);
    expect(failedAt - before).toBeLessThan(21_000);
    expect(runs).toBe(0);
  });
});

describe('DynamoDB faults', () => {
  beforeEach(async () => {
    twin = await Twin.start({ seed: 9, controlPlane: false });
  });

  /** Runs virtual time (the SDK's back-off is timers) until the request settles. */
  async function settle<T>(request: Promise<T>): Promise<T> {
    let done = false;
    const watched = request.finally(() => {
      done = true;
    });
    watched.catch(() => undefined);
    await twin.run(5 * 60_000, () => done);
    return watched;
  }

  const item = (sk: string) => ({ TableName: stateTable(), Item: { pk: { S: 'CLUSTER#t' }, sk: { S: sk } } });
  const dynamoCalls = () =>
    twin.world.apiCalls
      .filter((c) => c.service === 'dynamodb' && c.action !== 'CreateTable')
      .map((c) => c.error ?? 'ok');

  it("a handler's SDK client retries throttling and 500s as it would DynamoDB's, up to its 3 attempts", async () => {
    const client = twin.dynamo.client(REGION);
    twin.world.faults.fail({
      service: 'dynamodb',
      action: 'PutItem',
      times: 1,
      errorName: 'ProvisionedThroughputExceededException',
      status: 400,
    });
    twin.world.faults.fail({
      service: 'dynamodb',
      action: 'PutItem',
      times: 1,
      errorName: 'InternalServerError',
    });
    await settle(client.send(new PutItemCommand(item('a'))));
    twin.world.faults.throttle({ service: 'dynamodb', action: 'GetItem', times: 3 });
    const get = settle(client.send(new GetItemCommand({ TableName: stateTable(), Key: item('a').Item })));
    await expect(get).rejects.toMatchObject({ name: 'ThrottlingException', $metadata: { attempts: 3 } });
    expect(dynamoCalls().slice(-6)).toEqual([
      'ProvisionedThroughputExceededException',
      'InternalServerError',
      'ok',
      'ThrottlingException',
      'ThrottlingException',
      'ThrottlingException',
    ]);
  });

  it("the workflows' DynamoDB Tasks fail at once with DynamoDB.* names (Exception suffix) for their own Retry", async () => {
    const decide = twin.lambda.register({
      name: 'fixture-decide',
      region: REGION,
      environment: {},
      timeoutSeconds: 10,
      load: () => async () => ({ verdict: 'go' }),
    });
    const sfn = twin.sfnIn(REGION);
    const machine = sfn.createStateMachine('runner-fixture', FIXTURE, {
      DecideFunctionArn: decide,
      StateTableName: stateTable(),
    });
    const group = twin.layout.regions.get(REGION)?.memberGroup;
    // The fixture's RecordOnce retries ProvisionedThroughputExceeded (3 attempts) and catches nothing else.
    twin.world.faults.fail({
      service: 'dynamodb',
      caller: 'workflow',
      times: 2,
      errorName: 'ProvisionedThroughputExceededException',
      status: 400,
    });
    const ok = sfn.startExecution({
      stateMachineArn: machine,
      name: 'ok',
      input: JSON.stringify({ group, fail: 'no', key: 'k1' }),
    });
    await twin.run(3 * 3600_000, settled);
    const first = await sfn.waitFor(ok.executionArn);
    expect(first.status).toBe('SUCCEEDED');
    expect(failedWith(first)).toEqual([
      'DynamoDB.ProvisionedThroughputExceededException',
      'DynamoDB.ProvisionedThroughputExceededException',
    ]);
    twin.world.faults.fail({
      service: 'dynamodb',
      caller: 'workflow',
      times: 1,
      errorName: 'InternalServerError',
    });
    const bad = sfn.startExecution({
      stateMachineArn: machine,
      name: 'bad',
      input: JSON.stringify({ group, fail: 'no', key: 'k2' }),
    });
    await twin.run(3 * 3600_000, settled);
    const second = await sfn.waitFor(bad.executionArn);
    expect(second.status).toBe('FAILED');
    expect(second.error).toBe('DynamoDB.InternalServerErrorException');
    // One attempt per Task try: the integration does not retry inside the SDK.
    expect(dynamoCalls().filter((c) => c === 'InternalServerError')).toHaveLength(1);
  });
});

describe('calls the twin does not model', () => {
  beforeEach(async () => {
    twin = await Twin.start({ seed: 4, controlPlane: false });
  });

  it('are recorded even when the caller catches them, and break the twin-not-modelled invariant', async () => {
    await expect(twin.world.call(REGION, 'ec2', 'CreateVpc', {})).rejects.toMatchObject({
      name: 'TwinNotModelled',
    });
    await expect(
      twin.world.call(REGION, 'ssm', 'SendCommand', {
        DocumentName: 'x',
        Targets: [{ Key: 'tag:a', Values: ['b'] }],
      }),
    ).rejects.toThrow(/SendCommand Targets/);
    expect(twin.world.notModelled.map((n) => n.message)).toEqual([
      'the twin does not model ec2:CreateVpc',
      'the twin does not model SendCommand Targets',
    ]);
    twin.invariants.check();
    expect(twin.invariants.violations.map((v) => v.invariant)).toEqual([
      'twin-not-modelled',
      'twin-not-modelled',
    ]);
  });

  it('a Task resource the twin does not model is recorded though the workflow catches it', async () => {
    const sfn = twin.sfnIn(REGION);
    const machine = sfn.createStateMachine(
      'fixture-unmodelled',
      JSON.stringify({
        StartAt: 'Queue',
        TimeoutSeconds: 600,
        States: {
          Queue: {
            Type: 'Task',
            Resource: 'arn:aws:states:::aws-sdk:sqs:sendMessage',
            Parameters: { QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/q', MessageBody: 'x' },
            TimeoutSeconds: 60,
            Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Fine' }],
            End: true,
          },
          Fine: { Type: 'Succeed' },
        },
      }),
      {},
    );
    const { executionArn } = sfn.startExecution({ stateMachineArn: machine, name: 'caught' });
    await twin.run(10 * 60_000, settled);
    expect((await sfn.waitFor(executionArn)).status).toBe('SUCCEEDED');
    expect(twin.world.notModelled).toEqual([
      expect.objectContaining({ message: expect.stringContaining('aws-sdk:sqs integration (Queue)') }),
    ]);
  });

  it('fail a scene that caught one (runScene)', async () => {
    await twin.stop();
    const scene: Scenario = {
      name: 'catches-an-unmodelled-call',
      title: 'test',
      description: 'test',
      controlPlane: false,
      async run(t) {
        await t.world.call(REGION, 'ec2', 'CreateVpc', {}).catch(() => undefined);
        return undefined;
      },
    };
    await expect(runScene(scene, 1)).rejects.toThrow(/the twin does not model ec2:CreateVpc/);
  });
});

describe("the timings a node's starts and stops were drawn", () => {
  it('are recorded as drawn, and a start ends exactly when its draw says', async () => {
    twin = await Twin.start({ seed: 2, controlPlane: false });
    const inst = twin.world
      .region(REGION)
      .ec2.instances()
      .find((i) => i.node.ready());
    if (!inst) throw new Error('no ready node');
    expect(inst.node.drawnTimings).toEqual([]);
    const at = twin.world.clock.now();
    const restart = inst.node.restart();
    await twin.run(60_000, () => inst.node.status === 'starting');
    await restart;
    const [stop, start] = inst.node.drawnTimings;
    expect(stop).toMatchObject({ kind: 'stop', at });
    expect(start).toMatchObject({ kind: 'start', at: at + (stop?.ms ?? 0) });
    await twin.run((start?.ms ?? 0) - 1);
    expect(inst.node.ready()).toBe(false);
    await twin.run(1);
    expect(inst.node.ready()).toBe(true);
  });
});
