import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  ConditionalCheckFailedException,
  InternalServerError,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { ec2 } from '../../../functions/shared/clients/ec2';
import { ENV } from '../../../functions/shared/env';
import { ConflictError, ErrorNames, TransientError, ValidationError } from '../../../functions/shared/errors';
import {
  type LaunchLifecycleActionEvent,
  LaunchLifecycleActionEventSchema,
} from '../../../functions/shared/events';
import { type HandlerContext, INVALID_EVENT_METRIC, makeHandler } from '../../../functions/shared/handler';
import { MetricUnit, logger as sharedLogger } from '../../../functions/shared/powertools';
import { DELETE, loadEventFixture, mutate } from './fixtures';

// jest.config.js maps only @middy/core to its file; @middy/core in turn imports @middy/util, which is also

const LAUNCH = 'autoscaling-launch-lifecycle-action.json';

const context: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'lifecycle-dispatch',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-central-1:123456789012:function:lifecycle-dispatch',
  memoryLimitInMB: '512',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/lifecycle-dispatch',
  logStreamName: '2026/01/01/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

/** Powertools write JSON lines straight to stdout/stderr; collect them. */
function captureOutput() {
  const lines: string[] = [];
  const record = (chunk: string | Uint8Array): boolean => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((l) => l.trim() !== ''),
    );
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(record as typeof process.stdout.write),
    jest.spyOn(process.stderr, 'write').mockImplementation(record as typeof process.stderr.write),
  ];
  return {
    lines,
    json: (): Record<string, unknown>[] =>
      lines.flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

interface EmfLine {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

const emfLines = (records: Record<string, unknown>[]): EmfLine[] =>
  records.filter((r): r is EmfLine & Record<string, unknown> => '_aws' in r);

const metricNames = (line: EmfLine): string[] =>
  line._aws.CloudWatchMetrics.flatMap((m) => m.Metrics.map((x) => x.Name));

let output: ReturnType<typeof captureOutput>;

beforeEach(() => {
  output = captureOutput();
});

afterEach(() => {
  output.restore();
});

describe('makeHandler', () => {
  it('passes a valid event to the function, typed, with the shared tools', async () => {
    const seen: { event?: LaunchLifecycleActionEvent; ctx?: HandlerContext<'ec2'> } = {};
    const handler = makeHandler(LaunchLifecycleActionEventSchema, { ec2 }, async (event, ctx) => {
      seen.event = event;
      seen.ctx = ctx;
      return { instanceId: event.detail.EC2InstanceId, hook: event.detail.LifecycleHookName };
    });

    await expect(handler(loadEventFixture(LAUNCH), context)).resolves.toEqual({
      instanceId: 'i-1234567890abcdef0',
      hook: 'my-lifecycle-hook',
    });
    expect(seen.event).toEqual(loadEventFixture(LAUNCH));
    expect(seen.ctx?.lambda).toBe(context);
    expect(seen.ctx?.logger).toBe(sharedLogger);
    expect(seen.ctx?.clients).toEqual({ ec2 });
    expect(seen.ctx?.clients.ec2).toBe(ec2);
    expect(seen.ctx?.signal).toBeInstanceOf(AbortSignal);
    expect(seen.ctx?.signal.aborted).toBe(false);
  });

  it('rejects a malformed event with a ValidationError naming the field, without calling the function', async () => {
    const fn = jest.fn(async () => 'should not run');
    const handler = makeHandler(LaunchLifecycleActionEventSchema, {}, fn);
    const event = mutate(loadEventFixture(LAUNCH), ['detail', 'LifecycleActionToken'], DELETE);

    const err: unknown = await handler(event, context).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).name).toBe('ValidationError');
    expect((err as ValidationError).message).toContain('detail.LifecycleActionToken: Required');
    expect((err as ValidationError).issues).toEqual([
      { path: 'detail.LifecycleActionToken', message: 'Required' },
    ]);
    expect(fn).not.toHaveBeenCalled();
  });

  it('logs the invalid fields (not their values) and emits the InvalidEvent metric', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { [ENV.clusterName]: 'artifactory-prod', [ENV.awsRegion]: 'eu-west-1' });
    const handler = makeHandler(LaunchLifecycleActionEventSchema, {}, async () => 'unused');
    const event = mutate(loadEventFixture(LAUNCH), ['detail', 'EC2InstanceId'], 'i-SECRETVALUE');

    await expect(handler(event, context))
      .rejects.toThrow(ValidationError)
      .finally(() => {
        process.env = saved;
      });

    const records = output.json();
    const errorLog = records.find((r) => r.level === 'ERROR');
    expect(errorLog).toMatchObject({
      message: 'Invalid event',
      errorName: 'ValidationError',
      issues: [{ path: 'detail.EC2InstanceId', message: 'Invalid EC2 instance id' }],
      function_name: 'lifecycle-dispatch',
      function_request_id: context.awsRequestId,
    });

    const invalid = emfLines(records).find((l) => metricNames(l).includes(INVALID_EVENT_METRIC));
    expect(invalid).toBeDefined();
    expect(invalid?._aws.CloudWatchMetrics[0]?.Namespace).toBe('ArtifactoryHA');
    expect(invalid?._aws.CloudWatchMetrics[0]?.Metrics).toContainEqual({
      Name: INVALID_EVENT_METRIC,
      Unit: 'Count',
    });
    expect(invalid?.[INVALID_EVENT_METRIC]).toBe(1);
    // Exactly { Cluster, Region } (no `service`): one alarm per region covers every function.
    expect(invalid?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['Cluster', 'Region']]);
    expect(invalid).toMatchObject({ Cluster: 'artifactory-prod', Region: 'eu-west-1' });
    expect(invalid).not.toHaveProperty('service');

    const everything = output.lines.join('\n');
    for (const value of [
      'SECRETVALUE',
      'my-asg',
      'my-lifecycle-hook',
      '87654321-4321-4321-4321-210987654321',
    ]) {
      expect(everything).not.toContain(value);
    }
  });

  it('rethrows errors from the function with their name and cause', async () => {
    const cause = new Error('ConditionalCheckFailedException');
    const thrown = new ConflictError('lease taken by another execution', { cause });
    const handler = makeHandler(LaunchLifecycleActionEventSchema, {}, async () => {
      throw thrown;
    });

    const err: unknown = await handler(loadEventFixture(LAUNCH), context).catch((e: unknown) => e);

    expect(err).toBe(thrown);
    expect((err as Error).name).toBe('ConflictError');
    expect((err as Error).cause).toBe(cause);
    expect(emfLines(output.json()).flatMap(metricNames)).not.toContain(INVALID_EVENT_METRIC);
  });

  /** What the handler throws when the function fails with `thrown`. */
  const failWith = async (thrown: unknown): Promise<unknown> =>
    makeHandler(LaunchLifecycleActionEventSchema, {}, async () => {
      throw thrown;
    })(loadEventFixture(LAUNCH), context).catch((e: unknown) => e);

  it.each([
    [
      'DynamoDB throttling the SDK gave up on',
      new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds', $metadata: {} }),
    ],
    ['a DynamoDB 500', new InternalServerError({ message: 'Internal server error', $metadata: {} })],
    [
      'a throttled API call',
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $retryable: { throttling: true },
      }),
    ],
    [
      'a 503',
      Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable', $fault: 'server' }),
    ],
  ])(
    'turns %s into a TransientError the workflows retry, keeping it as the cause',
    async (_what, sdkError) => {
      const err = await failWith(sdkError);
      expect(err).toBeInstanceOf(TransientError);
      expect((err as Error).name).toBe(ErrorNames.Transient);
      expect((err as Error).message).toBe(`${sdkError.name}: ${sdkError.message}`);
      expect((err as Error).cause).toBe(sdkError);
    },
  );

  it.each([
    [
      'a failed condition',
      new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
    ],
    [
      'a domain error',
      Object.assign(new Error('epoch 3 no longer belongs to this execution'), { name: 'StaleEpoch' }),
    ],
    ['a TransientError', new TransientError('node still starting')],
    [
      'a client fault',
      Object.assign(new Error('bad request'), { name: 'ValidationException', $fault: 'client' }),
    ],
    ['a thrown string', 'boom'],
  ])('leaves %s as it is', async (_what, thrown) => {
    expect(await failWith(thrown)).toBe(thrown);
  });

  it('never logs the event payload, even when POWERTOOLS_LOGGER_LOG_EVENT asks for it', async () => {
    process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
    let logger: Logger;
    try {
      logger = new Logger({ serviceName: 'log-event-test' });
    } finally {
      delete process.env.POWERTOOLS_LOGGER_LOG_EVENT;
    }
    expect(logger.shouldLogEvent()).toBe(true);
    const handler = makeHandler(
      LaunchLifecycleActionEventSchema,
      {},
      async (event, ctx) => {
        ctx.logger.info('handling lifecycle action', { instanceId: event.detail.EC2InstanceId });
        return 'done';
      },
      { powertools: { logger } },
    );

    await handler(loadEventFixture(LAUNCH), context);

    const messages = output.json().map((r) => r.message);
    expect(messages).toContain('handling lifecycle action');
    expect(messages).not.toContain('Lambda invocation event');
    expect(output.lines.join('\n')).not.toContain('my-lifecycle-hook');
  });

  it('publishes no cold start metric, even on a cold start, and publishes metrics the function adds', async () => {
    // Powertools only reports cold starts for on-demand environments, which Lambda announces in this variable:
    // set, so a ColdStart metric would be emitted if the wrapper asked for one.
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
    let metrics: Metrics;
    try {
      metrics = new Metrics({ namespace: 'HandlerTest', serviceName: 'handler-test' });
    } finally {
      delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    }
    const handler = makeHandler(
      LaunchLifecycleActionEventSchema,
      {},
      async (_event, ctx) => {
        ctx.metrics.addMetric('LifecycleActionHandled', MetricUnit.Count, 1);
        return 'ok';
      },
      { powertools: { metrics } },
    );

    await handler(loadEventFixture(LAUNCH), context);
    await handler(loadEventFixture(LAUNCH), context);

    const names = emfLines(output.json()).flatMap(metricNames);
    // Lambda's REPORT line gives each cold start's Init Duration; a metric of it would cost by the hour.
    expect(names.filter((n) => n === 'ColdStart')).toEqual([]);
    expect(names.filter((n) => n === 'LifecycleActionHandled')).toHaveLength(2);
  });

  it('names the validated input as configured', async () => {
    const handler = makeHandler(LaunchLifecycleActionEventSchema, {}, async () => 'unused', {
      inputName: 'task input',
    });
    await expect(handler({}, context)).rejects.toThrow(/^Invalid task input: /);
  });
});

describe('shared metrics namespace', () => {
  const namespaceOf = (m: Metrics): string | undefined => {
    m.addMetric('Probe', MetricUnit.Count, 1);
    const emf = m.serializeMetrics() as unknown as EmfLine;
    m.clearMetrics();
    return emf._aws.CloudWatchMetrics[0]?.Namespace;
  };

  it('defaults to ArtifactoryHA', () => {
    jest.isolateModules(() => {
      const saved = process.env.POWERTOOLS_METRICS_NAMESPACE;
      delete process.env.POWERTOOLS_METRICS_NAMESPACE;
      try {
        const { metrics } =
          require('../../../functions/shared/powertools') as typeof import('../../../functions/shared/powertools');
        expect(namespaceOf(metrics)).toBe('ArtifactoryHA');
      } finally {
        if (saved !== undefined) process.env.POWERTOOLS_METRICS_NAMESPACE = saved;
      }
    });
  });

  it('follows POWERTOOLS_METRICS_NAMESPACE', () => {
    jest.isolateModules(() => {
      const saved = process.env.POWERTOOLS_METRICS_NAMESPACE;
      process.env.POWERTOOLS_METRICS_NAMESPACE = 'ArtifactoryHA-Staging';
      try {
        const { metrics } =
          require('../../../functions/shared/powertools') as typeof import('../../../functions/shared/powertools');
        expect(namespaceOf(metrics)).toBe('ArtifactoryHA-Staging');
      } finally {
        if (saved === undefined) delete process.env.POWERTOOLS_METRICS_NAMESPACE;
        else process.env.POWERTOOLS_METRICS_NAMESPACE = saved;
      }
    });
  });
});
