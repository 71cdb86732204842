import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { BusEvent } from '../../../sim/core/contracts';
import { routeToTwin } from '../../../sim/runner/sdk';
import { Twin } from '../../../sim/twin';

const REGION = 'eu-west-1';
const MINUTE = 60_000;

jest.setTimeout(60_000);

/** The Sum of an AWS/Lambda metric of the function over the whole run, from GetMetricStatistics. */
async function lambdaSum(twin: Twin, metric: string, functionName: string): Promise<number> {
  const now = twin.world.clock.now();
  const out = (await twin.world.call(REGION, 'cloudwatch', 'GetMetricStatistics', {
    Namespace: 'AWS/Lambda',
    MetricName: metric,
    Dimensions: [{ Name: 'FunctionName', Value: functionName }],
    StartTime: new Date(now - 6 * 3600_000),
    EndTime: new Date(now + MINUTE),
    Period: 60,
    Statistics: ['Sum'],
  })) as { Datapoints?: { Sum?: number }[] };
  return (out.Datapoints ?? []).reduce((n, d) => n + (d.Sum ?? 0), 0);
}

describe('Lambda asynchronous invocation, destinations and the Invoke API in the twin', () => {
  let twin: Twin;
  let runs: { at: number; event: unknown }[];
  let fail: boolean;
  let fnArn: string;
  let queueArn: string;

  beforeEach(async () => {
    twin = await Twin.start({ seed: 5, controlPlane: false });
    runs = [];
    fail = true;
    fnArn = twin.lambda.register({
      name: 'dispatch',
      region: REGION,
      environment: {},
      timeoutSeconds: 30,
      load: () => async (event) => {
        runs.push({ at: twin.world.clock.now(), event });
        if (fail) throw Object.assign(new Error('cannot'), { name: 'DispatchError' });
        return { ok: true };
      },
    });
    queueArn = twin.world.region(REGION).sqs.createQueue({ name: 'art-dead-letters' }).arn;
  });

  afterEach(async () => {
    await twin?.stop();
  });

  const sqs = () => twin.world.region(REGION).sqs;

  it('retries a function error after one and two minutes, then sends the destination record', async () => {
    twin.lambda.putFunctionEventInvokeConfig(fnArn, {
      maximumRetryAttempts: 2,
      maximumEventAgeSeconds: 3600,
      onFailure: queueArn,
    });
    const t0 = twin.world.clock.now();
    twin.lambda.invokeAsync(fnArn, { hello: 1 });
    await twin.run(10 * MINUTE);
    expect(runs.map((r) => Math.round((r.at - t0) / 1000))).toEqual([0, 60, 180]);
    const [message] = sqs().messages(queueArn);
    const record = JSON.parse(message?.body ?? '{}');
    expect(record).toMatchObject({
      version: '1.0',
      requestContext: {
        functionArn: `${fnArn}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: { hello: 1 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'DispatchError', errorMessage: 'cannot' },
    });
    expect(await lambdaSum(twin, 'Errors', 'dispatch')).toBe(3);
    expect(await lambdaSum(twin, 'Invocations', 'dispatch')).toBe(3);
    expect(await lambdaSum(twin, 'AsyncEventsDropped', 'dispatch')).toBe(1);
  });

  it('runs once with MaximumRetryAttempts 0 and drops the event when there is no destination', async () => {
    twin.lambda.putFunctionEventInvokeConfig(fnArn, { maximumRetryAttempts: 0 });
    twin.lambda.invokeAsync(fnArn, {});
    await twin.run(10 * MINUTE);
    expect(runs).toHaveLength(1);
    expect(twin.lambda.async.events[0]).toMatchObject({ outcome: 'dropped', condition: 'RetriesExhausted' });
    expect(sqs().messages(queueArn)).toHaveLength(0);
  });

  it('retries a throttled event until its maximum age, then EventAgeExceeded', async () => {
    fail = false;
    twin.lambda.putFunctionEventInvokeConfig(fnArn, { maximumEventAgeSeconds: 120, onFailure: queueArn });
    twin.world.faults.lambda({ functionName: 'dispatch', mode: 'throttle', fraction: 1 });
    twin.lambda.invokeAsync(fnArn, {});
    await twin.run(10 * MINUTE);
    expect(runs).toHaveLength(0);
    const record = JSON.parse(sqs().messages(queueArn)[0]?.body ?? '{}');
    expect(record.requestContext.condition).toBe('EventAgeExceeded');
    expect(record.requestContext.approximateInvokeCount).toBeGreaterThan(3);
    expect(record.responseContext.statusCode).toBe(429);
    expect(await lambdaSum(twin, 'Throttles', 'dispatch')).toBe(record.requestContext.approximateInvokeCount);
  });

  it('a function-error fault fails as a function error without running the handler', async () => {
    fail = false;
    twin.lambda.putFunctionEventInvokeConfig(fnArn, { maximumRetryAttempts: 1, onFailure: queueArn });
    twin.world.faults.lambda({ functionName: 'dispatch', mode: 'function-error', times: 2 });
    twin.lambda.invokeAsync(fnArn, {});
    await twin.run(5 * MINUTE);
    expect(runs).toHaveLength(0);
    const record = JSON.parse(sqs().messages(queueArn)[0]?.body ?? '{}');
    expect(record.responsePayload.errorType).toBe('Error');
    expect(await lambdaSum(twin, 'Errors', 'dispatch')).toBe(2);
  });

  it('refuses the event when the function is missing or the Invoke API fails, and bad configs', async () => {
    fail = false;
    expect(() => twin.lambda.invokeAsync(`${fnArn}-nope`, {})).toThrow(
      expect.objectContaining({ name: 'ResourceNotFoundException' }),
    );
    // A fault aimed at another function leaves this one alone; one aimed at it refuses it once.
    twin.world.faults.throttle({
      service: 'lambda',
      action: 'Invoke',
      region: REGION,
      resource: 'other',
      times: 1,
    });
    expect(twin.lambda.invokeAsync(fnArn, { n: 1 }).requestId).toBeDefined();
    twin.world.faults.throttle({
      service: 'lambda',
      action: 'Invoke',
      region: REGION,
      resource: 'dispatch',
      times: 1,
    });
    expect(() => twin.lambda.invokeAsync(fnArn, {})).toThrow(
      expect.objectContaining({ name: 'ThrottlingException' }),
    );
    twin.world.faults.throttle({ service: 'lambda', action: 'Invoke', region: REGION, times: 1 });
    expect(() => twin.lambda.invokeAsync(fnArn, {})).toThrow(
      expect.objectContaining({ name: 'ThrottlingException' }),
    );
    expect(() => twin.lambda.putFunctionEventInvokeConfig(fnArn, { maximumRetryAttempts: 3 })).toThrow(
      /between 0 and 2/,
    );
    expect(() => twin.lambda.putFunctionEventInvokeConfig(fnArn, { maximumEventAgeSeconds: 59 })).toThrow(
      /between 60 and 21600/,
    );
    expect(twin.lambda.async.configOf(fnArn)).toEqual({
      maximumRetryAttempts: 2,
      maximumEventAgeSeconds: 21_600,
    });
    await twin.run(MINUTE);
    expect(runs.map((r) => r.event)).toEqual([{ n: 1 }]);
  });

  it('answers the SDK Invoke API: a result, a FunctionError, and Event invocations', async () => {
    const client = routeToTwin(
      new LambdaClient({
        region: REGION,
        credentials: { accessKeyId: 't', secretAccessKey: 't' },
        maxAttempts: 1,
      }),
      twin.world,
      'lambda',
      REGION,
    );
    fail = false;
    const ok = await client.send(
      new InvokeCommand({ FunctionName: fnArn, Payload: new TextEncoder().encode('{"x":1}') }),
    );
    expect(ok.StatusCode).toBe(200);
    expect(ok.FunctionError).toBeUndefined();
    expect(JSON.parse(ok.Payload?.transformToString() ?? '')).toEqual({ ok: true });
    fail = true;
    const bad = await client.send(new InvokeCommand({ FunctionName: 'dispatch', Payload: '{}' as never }));
    expect(bad.FunctionError).toBe('Unhandled');
    expect(JSON.parse(new TextDecoder().decode(bad.Payload))).toMatchObject({ errorType: 'DispatchError' });
    const queued = await client.send(new InvokeCommand({ FunctionName: fnArn, InvocationType: 'Event' }));
    expect(queued.StatusCode).toBe(202);
    await twin.run(MINUTE / 2);
    expect(runs).toHaveLength(3);
    await expect(client.send(new InvokeCommand({ FunctionName: 'nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  describe('EventBridge targets', () => {
    const ruleEvent = { source: 'test.source', detailType: 'Test', detail: { n: 1 } };

    it('a function error is not a delivery failure: Lambda retries it, EventBridge delivered once', async () => {
      const events = twin.world.region(REGION).events;
      events.putRule({
        name: 'to-dispatch',
        pattern: { source: ['test.source'] },
        target: twin.lambda.target(fnArn),
        deadLetterQueue: queueArn,
        retryPolicy: { maximumRetryAttempts: 4, maximumEventAgeSeconds: 3600 },
      });
      twin.lambda.putFunctionEventInvokeConfig(fnArn, { onFailure: queueArn });
      events.emit(ruleEvent);
      await twin.run(10 * MINUTE);
      expect(events.deliveries.map((d) => d.outcome)).toEqual(['succeeded']);
      expect(runs).toHaveLength(3);
      const record = JSON.parse(sqs().messages(queueArn)[0]?.body ?? '{}');
      expect(record.requestPayload).toMatchObject({ source: 'test.source', 'detail-type': 'Test' });
    });

    it('an Invoke API that keeps failing sends the event to the DLQ with its attributes', async () => {
      const events = twin.world.region(REGION).events;
      events.putRule({
        name: 'to-dispatch',
        pattern: { source: ['test.source'] },
        target: twin.lambda.target(fnArn),
        deadLetterQueue: 'art-dead-letters',
        retryPolicy: { maximumRetryAttempts: 4, maximumEventAgeSeconds: 3600 },
      });
      twin.world.faults.fail({
        service: 'lambda',
        action: 'Invoke',
        region: REGION,
        fraction: 1,
        errorName: 'ServiceException',
      });
      events.emit(ruleEvent);
      await twin.run(30 * MINUTE);
      expect(runs).toHaveLength(0);
      const [message] = sqs().messages(queueArn);
      expect((JSON.parse(message?.body ?? '{}') as BusEvent).detail).toEqual({ n: 1 });
      const attr = (k: string) => message?.attributes[k]?.StringValue;
      expect(attr('RULE_ARN')).toBe(events.ruleArn('to-dispatch'));
      expect(attr('TARGET_ARN')).toBe(fnArn);
      expect(attr('ERROR_CODE')).toBe('SDK_CLIENT_ERROR');
      expect(attr('ERROR_MESSAGE')).toMatch(/ServiceException/);
      expect(attr('EXHAUSTED_RETRY_CONDITION')).toBe('MaximumRetryAttempts');
      expect(attr('RETRY_ATTEMPTS')).toBe('4');
      expect(events.deliveries.at(-1)?.outcome).toBe('dead-lettered');
    });

    it('a missing target goes straight to the DLQ; without a DLQ the event is dropped', async () => {
      const events = twin.world.region(REGION).events;
      events.putRule({
        name: 'gone',
        pattern: { source: ['test.source'] },
        target: twin.lambda.target(`${fnArn}-gone`),
        deadLetterQueue: queueArn,
      });
      events.putRule({
        name: 'gone-no-dlq',
        pattern: { source: ['test.source'] },
        target: twin.lambda.target(`${fnArn}-gone`),
      });
      events.emit(ruleEvent);
      await twin.run(MINUTE);
      const [message] = sqs().messages(queueArn);
      expect(message?.attributes.ERROR_CODE?.StringValue).toBe('RESOURCE_NOT_FOUND');
      expect(message?.attributes.RETRY_ATTEMPTS?.StringValue).toBe('0');
      expect(message?.attributes.EXHAUSTED_RETRY_CONDITION).toBeUndefined();
      expect(events.deliveries.filter((d) => d.rule === 'gone-no-dlq').map((d) => d.outcome)).toEqual([
        'failed',
        'dropped',
      ]);
      expect(() =>
        events.putRule({
          name: 'bad',
          pattern: { source: ['x'] },
          target: twin.lambda.target(fnArn),
          deadLetterQueue: 'nope',
        }),
      ).toThrow(/not a queue/);
    });

    it('a state-machine target whose StartExecution fails is retried, then dead-lettered', async () => {
      const sfn = twin.sfnIn(REGION);
      const arn = sfn.createStateMachine(
        'tiny',
        JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
        {},
      );
      const events = twin.world.region(REGION).events;
      events.putRule({
        name: 'to-tiny',
        pattern: { source: ['test.source'] },
        target: sfn.target(arn),
        deadLetterQueue: queueArn,
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 3600 },
      });
      twin.world.faults.throttle({ service: 'sfn', action: 'StartExecution', region: REGION, times: 3 });
      events.emit(ruleEvent);
      await twin.run(5 * MINUTE);
      expect(sqs().messages(queueArn)[0]?.attributes.ERROR_CODE?.StringValue).toBe('THROTTLING');
      events.emit(ruleEvent);
      await twin.run(MINUTE);
      expect(twin.world.executions.filter((e) => e.stateMachine === 'tiny').map((e) => e.status)).toEqual([
        'SUCCEEDED',
      ]);
    });
  });
});
