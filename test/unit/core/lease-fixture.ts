/**
 * The lease function on real conditional writes (dynalite) with a strict Step Functions mock: one table per
 * test file, the hooks registered by {@link leaseFixture}. Not a test file itself.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ENV } from '../../../functions/shared/env';
import type { HandlerContext } from '../../../functions/shared/handler';
import { logger } from '../../../functions/shared/powertools';
import { VirtualClock } from '../../../sim/core/clock';
import { DynamoSim } from '../../../sim/runner/dynamo';

export const executionArn = (name: string) =>
  `arn:aws:states:eu-west-1:111122223333:execution:node-bootstrap:${name}`;

/** Registers the file's hooks (a dynalite table `table`, a fresh strict sfn mock per test). */
export function leaseFixture(table: string) {
  let dynamo: DynamoSim;
  let doc: DynamoDBDocumentClient | undefined;
  const metricsSeen: string[] = [];
  const metrics = {
    addMetric: (name: string) => metricsSeen.push(name),
  } as unknown as HandlerContext['metrics'];
  const sfn = new SFNClient({ region: 'eu-west-1' });
  const sfnMock = mockClient(sfn);
  const ctx: Pick<HandlerContext, 'clients' | 'logger' | 'metrics'> = {
    clients: {
      dynamoDoc: () => {
        if (!doc) throw new Error('leaseFixture: the table is not ready (use it inside a test)');
        return doc;
      },
      sfn: () => sfn,
    } as unknown as HandlerContext['clients'],
    logger,
    metrics,
  };

  beforeAll(async () => {
    dynamo = new DynamoSim(new VirtualClock());
    await dynamo.start();
    await dynamo.createTable('eu-west-1', table, { sortKey: 'sk' });
    doc = DynamoDBDocumentClient.from(dynamo.client('eu-west-1'));
    process.env[ENV.stateTable] = table;
    logger.setLogLevel('SILENT');
  });

  beforeEach(() => {
    metricsSeen.length = 0;
    sfnMock.reset();
    sfnMock.onAnyCommand().rejects(new Error('unexpected command'));
  });

  afterAll(async () => {
    sfnMock.restore();
    await dynamo.stop();
  });

  return {
    ctx,
    metricsSeen,
    sfnMock,
    /** The document client over the file's table. */
    doc: () => ctx.clients.dynamoDoc(),
  };
}
