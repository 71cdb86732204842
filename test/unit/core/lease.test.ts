import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { blocks, leaseKey } from '../../../functions/core/lease';
import { lease } from '../../../functions/lease/handler';
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

beforeAll(async () => {
  dynamo = new DynamoSim(new VirtualClock());
  await dynamo.start();
  await dynamo.createTable('eu-west-1', TABLE, { sortKey: 'sk' });
  doc = DynamoDBDocumentClient.from(dynamo.client('eu-west-1'));
  ctx = { clients: { dynamoDoc: () => doc } as unknown as HandlerContext['clients'], logger };
  process.env.STATE_TABLE = TABLE;
  logger.setLogLevel('SILENT');
});

afterAll(async () => {
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
              new GetCommand({ TableName: TABLE, Key: leaseKey(cluster, 'join'), ConsistentRead: true }),
            );
            expect(stored.Item?.owner).toBe(model?.owner);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

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
