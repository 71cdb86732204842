import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import fc from 'fast-check';
import { lockKey } from '../../../functions/core/keys';
import { blocks } from '../../../functions/core/lease';
import { lease } from '../../../functions/lease/handler';
import { ENV } from '../../../functions/shared/env';
import type { HandlerContext } from '../../../functions/shared/handler';
import { logger } from '../../../functions/shared/powertools';
import { VirtualClock } from '../../../sim/core/clock';
import { DynamoSim } from '../../../sim/runner/dynamo';

const TABLE = 'lease-test';
const OWNERS = ['a', 'b', 'c'].map(
  (x) => `arn:aws:states:eu-west-1:111122223333:execution:node-bootstrap:${x}`,
);

let dynamo: DynamoSim;
let doc: DynamoDBDocumentClient;
let ctx: Pick<HandlerContext, 'clients' | 'logger'>;
const sfn = new SFNClient({ region: 'eu-west-1' });
const sfnMock = mockClient(sfn);

beforeAll(async () => {
  dynamo = new DynamoSim(new VirtualClock());
  await dynamo.start();
  await dynamo.createTable('eu-west-1', TABLE, { sortKey: 'sk' });
  doc = DynamoDBDocumentClient.from(dynamo.client('eu-west-1'));
  ctx = { clients: { dynamoDoc: () => doc, sfn: () => sfn } as unknown as HandlerContext['clients'], logger };
  process.env[ENV.stateTable] = TABLE;
  logger.setLogLevel('SILENT');
});

beforeEach(() => {
  sfnMock.reset();
  sfnMock.onAnyCommand().rejects(new Error('unexpected command'));
});

afterAll(async () => {
  sfnMock.restore();
  await dynamo.stop();
});

type Op = { op: 'acquire' | 'release' | 'renew'; owner: number; advance: number };

describe('leases on real conditional writes', () => {
  it('match a reference model, and never let two owners hold the same lease', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record<Op>({
            op: fc.constantFrom('acquire', 'release', 'renew'),
            owner: fc.integer({ min: 0, max: 2 }),
            advance: fc.integer({ min: 0, max: 400_000 }),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        async (ops) => {
          const cluster = `c${run++}`;
          let now = 1_000_000;
          let model: { owner: string; expiresAt: number } | undefined;
          for (const o of ops) {
            now += o.advance;
            const owner = OWNERS[o.owner] as string;
            const out = (await lease(
              { op: o.op, cluster, name: 'join', owner, ttlSeconds: 300 },
              ctx,
              now,
            )) as Record<string, unknown>;
            if (o.op === 'acquire') {
              const expected = !blocks(model, owner, now);
              expect(out.acquired).toBe(expected);
              if (expected) model = { owner, expiresAt: now + 300_000 };
              else expect(out.holder).toBe(model?.owner);
            } else if (o.op === 'release') {
              const expected = model?.owner === owner;
              expect(out.released).toBe(expected);
              if (expected) model = undefined;
            } else {
              const expected = model?.owner === owner && (model?.expiresAt ?? 0) >= now;
              expect(out.renewed).toBe(expected);
              if (expected && model) model = { owner, expiresAt: now + 300_000 };
            }
            // What DynamoDB holds is what the model holds: one item, one owner.
            const stored = await doc.send(
              new GetCommand({ TableName: TABLE, Key: lockKey(cluster, 'join'), ConsistentRead: true }),
            );
            expect(stored.Item?.owner).toBe(model?.owner);
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 30_000); // real round trips to dynalite: slow on a loaded 2-core machine

  it('lets a crashed holder’s lease expire so the next owner gets it', async () => {
    const [a, b] = OWNERS as [string, string];
    const now = 5_000_000;
    expect(
      await lease({ op: 'acquire', cluster: 'crash', name: 'join', owner: a, ttlSeconds: 60 }, ctx, now),
    ).toMatchObject({ acquired: true });
    expect(
      await lease(
        { op: 'acquire', cluster: 'crash', name: 'join', owner: b, ttlSeconds: 60 },
        ctx,
        now + 59_000,
      ),
    ).toMatchObject({
      acquired: false,
      holder: a,
    });
    expect(
      await lease(
        { op: 'acquire', cluster: 'crash', name: 'join', owner: b, ttlSeconds: 60 },
        ctx,
        now + 61_000,
      ),
    ).toMatchObject({ acquired: true });
    // The crashed holder's late release must not free b's lease.
    expect(
      await lease(
        { op: 'release', cluster: 'crash', name: 'join', owner: a, ttlSeconds: 60 },
        ctx,
        now + 62_000,
      ),
    ).toEqual({ released: false });
    expect(
      await lease(
        { op: 'acquire', cluster: 'crash', name: 'join', owner: a, ttlSeconds: 60 },
        ctx,
        now + 63_000,
      ),
    ).toMatchObject({ acquired: false, holder: b });
  });
});

describe('takeOverIfEnded: a lease left behind by an execution that ended', () => {
  const [holder, next] = OWNERS as [string, string];
  const acquire = (cluster: string, owner: string, now: number, takeOverIfEnded = true) =>
    lease({ op: 'acquire', cluster, name: 'cluster', owner, ttlSeconds: 1800, takeOverIfEnded }, ctx, now);
  const holderOf = async (cluster: string) =>
    (
      await doc.send(
        new GetCommand({ TableName: TABLE, Key: lockKey(cluster, 'cluster'), ConsistentRead: true }),
      )
    ).Item;

  it.each(['FAILED', 'TIMED_OUT', 'ABORTED', 'SUCCEEDED'])(
    'takes over the lease of a %s holder before it expires',
    async (status) => {
      const cluster = `ended-${status}`;
      const now = 9_000_000;
      await acquire(cluster, holder, now);
      sfnMock.on(DescribeExecutionCommand, { executionArn: holder }).resolves({ status: status as 'FAILED' });

      await expect(acquire(cluster, next, now + 60_000)).resolves.toEqual({
        acquired: true,
        owner: next,
        expiresAt: now + 60_000 + 1_800_000,
        tookOverFrom: holder,
      });
      expect(await holderOf(cluster)).toMatchObject({ owner: next, acquiredAt: now + 60_000 });
      expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 1);
      // The previous holder cannot release or renew what is no longer its lease.
      expect(
        await lease({ op: 'release', cluster, name: 'cluster', owner: holder, ttlSeconds: 60 }, ctx, now),
      ).toEqual({
        released: false,
      });
    },
  );

  it('takes over from a holder Step Functions no longer knows', async () => {
    const cluster = 'ended-gone';
    await acquire(cluster, holder, 1_000);
    sfnMock
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));

    await expect(acquire(cluster, next, 2_000)).resolves.toMatchObject({
      acquired: true,
      tookOverFrom: holder,
    });
  });

  it('leaves a RUNNING holder’s lease alone', async () => {
    const cluster = 'running';
    await acquire(cluster, holder, 1_000);
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });

    await expect(acquire(cluster, next, 2_000)).resolves.toEqual({
      acquired: false,
      holder,
      expiresAt: 1_000 + 1_800_000,
    });
    expect(await holderOf(cluster)).toMatchObject({ owner: holder });
  });

  it('does not ask Step Functions unless asked to take over', async () => {
    const cluster = 'no-takeover';
    await acquire(cluster, holder, 1_000, false);

    await expect(acquire(cluster, next, 2_000, false)).resolves.toMatchObject({ acquired: false, holder });
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 0);
  });

  it('does not take a lease someone else took over in the meantime', async () => {
    const cluster = 'raced';
    const third = OWNERS[2] as string;
    await acquire(cluster, holder, 1_000);
    // While this acquire asks about the ended holder, a third execution takes the lease over first.
    sfnMock.on(DescribeExecutionCommand).callsFake(async () => {
      await doc.send(
        new PutCommand({
          TableName: TABLE,
          Item: {
            ...lockKey(cluster, 'cluster'),
            owner: third,
            acquiredAt: 1_500,
            expiresAt: 1_500 + 1_800_000,
          },
        }),
      );
      return { status: 'FAILED' };
    });

    await expect(acquire(cluster, next, 2_000)).resolves.toMatchObject({ acquired: false, holder });
    expect(await holderOf(cluster)).toMatchObject({ owner: third });
  });

  it('lets a Step Functions error fail the acquire (the workflow retries it)', async () => {
    const cluster = 'sfn-down';
    await acquire(cluster, holder, 1_000);
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    sfnMock.on(DescribeExecutionCommand).rejects(throttled);

    await expect(acquire(cluster, next, 2_000)).rejects.toBe(throttled);
    expect(await holderOf(cluster)).toMatchObject({ owner: holder });
  });
});
