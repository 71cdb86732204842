import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import type { ClusterState } from '../../../functions/core/failover';
import { FAILOVER_GATE } from '../../../functions/core/failover-gate';
import {
  candidateUpdate,
  claimUpdate,
  commitUpdate,
  electionRecorded,
  escalateUpdate,
  fenceUpdate,
  gateElectionUpdate,
  holdsEpoch,
  OWNER_CONDITION,
  quarantineFenceUpdate,
  quarantineFirstUpdate,
  quarantineUpdate,
  releaseUpdate,
  type UpdateRequest,
} from '../../../functions/core/fencing';
import { gateKey, stateKey } from '../../../functions/core/keys';
import { quarantineRefusal } from '../../../functions/core/quarantine';
import { VirtualClock } from '../../../sim/core/clock';
import { DynamoSim } from '../../../sim/runner/dynamo';

const NOW = Date.UTC(2026, 2, 10, 12);
const EXECS = ['a', 'b', 'c'].map(
  (x) => `arn:aws:states:eu-west-1:111122223333:execution:primary-failover:${x}`,
);
const IDS = ['i-0000000000000000a', 'i-0000000000000000b', 'i-0000000000000000c'];

const exec = fc.constantFrom(...EXECS);
const instance = fc.constantFrom(...IDS);
const epoch = fc.nat({ max: 1_000 });
const now = fc.integer({ min: NOW - 86_400_000, max: NOW + 86_400_000 });
const cluster = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
const hold = fc.record({ cluster, epoch, execution: exec });

/** Every builder, over arbitrary input. */
const anyUpdate: fc.Arbitrary<UpdateRequest> = fc.oneof(
  fc
    .tuple(cluster, exec, epoch, fc.option(instance, { nil: undefined }), fc.array(instance), now)
    .map(([c, e, x, failedPrimary, prune, t]) =>
      fenceUpdate({ cluster: c, execution: e, expectedEpoch: x, failedPrimary, prune }, t),
    ),
  fc
    .tuple(cluster, exec, fc.boolean(), fc.option(fc.record({ day: fc.string(), count: fc.nat() })), now)
    .map(([c, e, budgeted, previous, t]) =>
      gateElectionUpdate({ cluster: c, execution: e, budgeted }, previous ?? undefined, t),
    ),
  fc.tuple(hold, instance).map(([h, c]) => candidateUpdate(h, c)),
  fc
    .tuple(hold, fc.option(instance, { nil: undefined }), now)
    .map(([h, primary, t]) => commitUpdate({ ...h, primary }, t)),
  fc.tuple(hold, now).map(([h, t]) => escalateUpdate(h, t)),
  fc
    .tuple(cluster, instance, exec, epoch, now)
    .map(([c, i, e, x, t]) => claimUpdate({ cluster: c, instanceId: i, execution: e, expectedEpoch: x }, t)),
  fc
    .tuple(
      hold,
      instance,
      fc.constantFrom('candidate-failed' as const, 'superseded' as const),
      now,
      fc.boolean(),
    )
    .map(([h, i, reason, t, first]) =>
      (first ? quarantineFirstUpdate : quarantineUpdate)({ ...h, instanceId: i, reason }, t),
    ),
  fc
    .tuple(
      cluster,
      instance,
      fc.constantFrom('demoted' as const, 'stopped' as const, 'unconfirmed' as const),
      now,
    )
    .map(([c, i, fence, t]) => quarantineFenceUpdate({ cluster: c, instanceId: i, fence }, t)),
  fc
    .tuple(cluster, instance, exec, now)
    .map(([c, i, run, since]) => releaseUpdate({ cluster: c, instanceId: i, entry: { run, since } })),
);

const placeholders = (text: string, sigil: ':' | '#') =>
  new Set(text.match(sigil === ':' ? /:[A-Za-z0-9_]+/g : /#[A-Za-z0-9_]+/g) ?? []);

describe('fencing updates: well formed', () => {
  it('define every name and value their expressions use, and no other (DynamoDB rejects either)', () => {
    fc.assert(
      fc.property(anyUpdate, (u) => {
        const text = `${u.UpdateExpression} ${u.ConditionExpression ?? ''}`;
        expect([...placeholders(text, ':')].sort()).toEqual(Object.keys(u.ExpressionAttributeValues).sort());
        expect([...placeholders(text, '#')].sort()).toEqual(Object.keys(u.ExpressionAttributeNames).sort());
      }),
      { numRuns: 500 },
    );
  });

  it('never carry an undefined value', () => {
    fc.assert(
      fc.property(anyUpdate, (u) => {
        for (const v of Object.values(u.ExpressionAttributeValues)) expect(v).toBeDefined();
      }),
    );
  });
});

describe('fencing updates: conditioned on the epoch', () => {
  it('a fence takes the next epoch only from the expected one, for its execution', () => {
    fc.assert(
      fc.property(cluster, exec, epoch, now, (c, e, x, t) => {
        const u = fenceUpdate({ cluster: c, execution: e, expectedEpoch: x }, t);
        expect(u.Key).toEqual(stateKey(c));
        expect(u.ConditionExpression).toContain('epoch = :expected');
        expect(u.ExpressionAttributeValues[':expected']).toBe(x);
        expect(u.ExpressionAttributeValues[':next']).toBe(x + 1);
        expect(u.ExpressionAttributeValues[':me']).toBe(e);
        expect(u.UpdateExpression).toContain('epoch = :next');
        expect(u.UpdateExpression).toContain('#owner = :me');
      }),
    );
  });

  it('a claim takes the next epoch only from the expected one', () => {
    fc.assert(
      fc.property(cluster, instance, exec, epoch, now, (c, i, e, x, t) => {
        const u = claimUpdate({ cluster: c, instanceId: i, execution: e, expectedEpoch: x }, t);
        expect(u.Key).toEqual(stateKey(c));
        expect(u.ConditionExpression).toContain('epoch = :expected');
        expect(u.ExpressionAttributeValues[':expected']).toBe(x);
        expect(u.ExpressionAttributeValues[':next']).toBe(x + 1);
      }),
    );
  });

  it('every candidate record, commit and escalation is conditioned on the epoch AND its owner', () => {
    fc.assert(
      fc.property(hold, instance, fc.option(instance, { nil: undefined }), now, (h, c, primary, t) => {
        for (const u of [candidateUpdate(h, c), commitUpdate({ ...h, primary }, t), escalateUpdate(h, t)]) {
          expect(u.Key).toEqual(stateKey(h.cluster));
          expect(u.ConditionExpression?.startsWith(OWNER_CONDITION)).toBe(true);
          expect(u.ExpressionAttributeValues[':epoch']).toBe(h.epoch);
          expect(u.ExpressionAttributeValues[':me']).toBe(h.execution);
          expect(u.ExpressionAttributeNames['#owner']).toBe('owner');
        }
      }),
    );
  });

  it('the gate record of an election is unconditional and names the execution', () => {
    const u = gateElectionUpdate(
      { cluster: 'prod', execution: EXECS[0] as string, budgeted: true },
      { lastElectionAt: NOW - 86_400_000, day: '2026-03-09', count: 3 },
      NOW,
    );
    expect(u).toEqual({
      Key: gateKey('prod', FAILOVER_GATE),
      UpdateExpression: 'SET lastElectionAt = :at, #day = :day, #count = :count, execution = :me',
      ExpressionAttributeNames: { '#day': 'day', '#count': 'count' },
      ExpressionAttributeValues: { ':at': NOW, ':day': '2026-03-10', ':count': 1, ':me': EXECS[0] },
    });
    expect(
      gateElectionUpdate(
        { cluster: 'prod', execution: 'x', budgeted: false },
        { day: '2026-03-10', count: 2 },
        NOW,
      ).ExpressionAttributeValues[':count'],
    ).toBe(2);
  });

  it('commit records the primary and forgets the candidate only when given a primary', () => {
    const h = { cluster: 'prod', epoch: 4, execution: EXECS[0] as string };
    expect(commitUpdate(h, NOW).UpdateExpression).toBe('SET phase = :committed, committedAt = :now');
    expect(commitUpdate({ ...h, primary: IDS[0] }, NOW).UpdateExpression).toBe(
      'SET phase = :committed, committedAt = :now, #primary = :primary REMOVE candidate',
    );
    expect(escalateUpdate(h, NOW).UpdateExpression).toBe(
      'SET phase = :escalated, escalatedAt = :now REMOVE candidate',
    );
  });
});

describe('holdsEpoch and electionRecorded', () => {
  const state = fc.option(
    fc.record({
      epoch,
      owner: fc.option(exec, { nil: undefined }),
      phase: fc.option(
        fc.constantFrom('fenced', 'committed', 'claimed', 'escalated') as fc.Arbitrary<ClusterState['phase']>,
        {
          nil: undefined,
        },
      ),
    }),
    { nil: undefined },
  );

  it('holds exactly when the epoch and owner match and the election is fenced or committed', () => {
    fc.assert(
      fc.property(state, epoch, exec, (s, x, e) => {
        const expected =
          s !== undefined &&
          s.epoch === x &&
          s.owner === e &&
          (s.phase === 'fenced' || s.phase === 'committed');
        expect(holdsEpoch(s, { epoch: x, execution: e })).toBe(expected);
      }),
    );
  });

  it('counts an election once per execution', () => {
    expect(electionRecorded(undefined, 'a')).toBe(false);
    expect(electionRecorded({ execution: 'b' }, 'a')).toBe(false);
    expect(electionRecorded({ execution: 'a' }, 'a')).toBe(true);
  });
});

// --- the conditions against DynamoDB (dynalite), compared with a reference model ---------------------------

type Entry = { run: string; since: number; fence: string };
type Model = {
  epoch: number;
  phase: string;
  owner: string;
  primary?: string | undefined;
  candidate?: string | undefined;
  quarantine?: Record<string, Entry> | undefined;
};

type Op =
  | { kind: 'fence'; exec: number; offset: number; prune: number[] }
  | { kind: 'quarantine'; exec: number; instance: number }
  | { kind: 'fenced'; instance: number }
  | { kind: 'release'; instance: number; stale: boolean }
  | { kind: 'claim'; exec: number; instance: number; offset: number }
  | { kind: 'candidate'; exec: number; instance: number; offset: number }
  | { kind: 'commit'; exec: number; instance: number | undefined; offset: number }
  | { kind: 'escalate'; exec: number; offset: number };

const pick = (n: number) => fc.nat({ max: n - 1 });
/** Mostly the current epoch, sometimes a stale or a future one. */
const offset = fc.constantFrom(0, 0, 0, -1, 1);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('fence' as const), exec: pick(3), offset, prune: fc.uniqueArray(pick(3)) }),
  fc.record({ kind: fc.constant('quarantine' as const), exec: pick(3), instance: pick(3) }),
  fc.record({ kind: fc.constant('fenced' as const), instance: pick(3) }),
  fc.record({ kind: fc.constant('release' as const), instance: pick(3), stale: fc.boolean() }),
  fc.record({ kind: fc.constant('claim' as const), exec: pick(3), instance: pick(3), offset }),
  fc.record({ kind: fc.constant('candidate' as const), exec: pick(3), instance: pick(3), offset }),
  fc.record({
    kind: fc.constant('commit' as const),
    exec: pick(3),
    instance: fc.option(pick(3), { nil: undefined }),
    offset,
  }),
  fc.record({ kind: fc.constant('escalate' as const), exec: pick(3), offset }),
);

/** The update an op sends, and what the model says its condition does and leaves behind. */
function step(o: Op, c: string, m: Model | undefined): { update: UpdateRequest; next: Model | undefined } {
  const e = EXECS['exec' in o ? o.exec : 0] as string;
  const x = Math.max(0, (m?.epoch ?? 0) + ('offset' in o ? o.offset : 0));
  /** The model's state when this execution owns epoch `x`. */
  const owned = m !== undefined && m.epoch === x && m.owner === e ? m : undefined;
  switch (o.kind) {
    case 'fence': {
      const ok = (m === undefined && x === 0) || m?.epoch === x || (m?.epoch === x + 1 && m.owner === e);
      // An election prunes only quarantined nodes it saw (the map exists then).
      const prune = o.prune.map((i) => IDS[i] as string).filter((i) => m?.quarantine?.[i] !== undefined);
      const quarantine = Object.fromEntries(
        Object.entries(m?.quarantine ?? {}).filter(([i]) => !prune.includes(i)),
      );
      return {
        update: fenceUpdate({ cluster: c, execution: e, expectedEpoch: x, prune }, NOW),
        next: ok ? { ...m, epoch: x + 1, phase: 'fenced', owner: e, quarantine } : m,
      };
    }
    case 'quarantine': {
      const i = IDS[o.instance] as string;
      const req = {
        cluster: c,
        epoch: m?.epoch ?? 0,
        execution: e,
        instanceId: i,
        reason: 'superseded' as const,
      };
      const refused = quarantineRefusal(m as ClusterState | undefined, req) !== undefined;
      const first = m !== undefined && m.quarantine === undefined;
      const ok = m !== undefined && !refused;
      const kept = m?.quarantine?.[i] ?? { run: e, since: NOW, fence: 'pending' };
      return {
        update: (first ? quarantineFirstUpdate : quarantineUpdate)(req, NOW),
        next: ok ? { ...m, quarantine: { ...m.quarantine, [i]: kept } } : m,
      };
    }
    case 'fenced': {
      const i = IDS[o.instance] as string;
      const was = m?.quarantine?.[i];
      return {
        update: quarantineFenceUpdate({ cluster: c, instanceId: i, fence: 'stopped' }, NOW),
        next: m && was ? { ...m, quarantine: { ...m.quarantine, [i]: { ...was, fence: 'stopped' } } } : m,
      };
    }
    case 'release': {
      const i = IDS[o.instance] as string;
      const was = m?.quarantine?.[i];
      const entry = { run: was?.run ?? e, since: o.stale ? NOW - 1 : NOW };
      const ok = m !== undefined && was !== undefined && !o.stale;
      const quarantine = Object.fromEntries(Object.entries(m?.quarantine ?? {}).filter(([k]) => k !== i));
      return {
        update: releaseUpdate({ cluster: c, instanceId: i, entry }),
        next: ok ? { ...m, quarantine } : m,
      };
    }
    case 'claim': {
      const i = IDS[o.instance] as string;
      const ok = (m === undefined && x === 0) || m?.epoch === x || (m?.primary === i && m.owner === e);
      return {
        update: claimUpdate({ cluster: c, instanceId: i, execution: e, expectedEpoch: x }, NOW),
        next: ok ? { ...m, epoch: x + 1, phase: 'claimed', owner: e, primary: i } : m,
      };
    }
    case 'candidate': {
      const i = IDS[o.instance] as string;
      const ok =
        owned !== undefined &&
        (owned.phase === 'fenced' || owned.phase === 'committed') &&
        owned.quarantine?.[i] === undefined;
      return {
        update: candidateUpdate({ cluster: c, epoch: x, execution: e }, i),
        next: ok ? { ...owned, candidate: i } : m,
      };
    }
    case 'commit': {
      const primary = o.instance === undefined ? undefined : (IDS[o.instance] as string);
      const committed =
        primary === undefined
          ? { phase: 'committed' }
          : { phase: 'committed', primary, candidate: undefined };
      return {
        update: commitUpdate({ cluster: c, epoch: x, execution: e, primary }, NOW),
        next: owned ? { ...owned, ...committed } : m,
      };
    }
    case 'escalate':
      return {
        update: escalateUpdate({ cluster: c, epoch: x, execution: e }, NOW),
        next: owned ? { ...owned, phase: 'escalated', candidate: undefined } : m,
      };
  }
}

describe('fencing updates on real conditional writes (dynalite)', () => {
  const TABLE = 'fencing-test';
  let dynamo: DynamoSim;
  let doc: DynamoDBDocumentClient;

  beforeAll(async () => {
    dynamo = new DynamoSim(new VirtualClock());
    await dynamo.start();
    await dynamo.createTable('eu-west-1', TABLE, { sortKey: 'sk' });
    doc = DynamoDBDocumentClient.from(dynamo.client('eu-west-1'));
  });

  afterAll(async () => {
    await dynamo.stop();
  });

  it('succeed exactly when the model says, and leave what the model holds: no stale execution writes, and no quarantined node forgotten but by a prune or a release', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 20 }), async (ops) => {
        const c = `fencing-${run++}`;
        let model: Model | undefined;
        for (const o of ops) {
          const { update, next } = step(o, c, model);
          const ok = await doc.send(new UpdateCommand({ TableName: TABLE, ...update })).then(
            () => true,
            (err: Error) => {
              if (err.name !== 'ConditionalCheckFailedException') throw err;
              return false;
            },
          );
          expect({ op: o, ok }).toEqual({ op: o, ok: next !== model });
          model = next;
          const stored = (
            await doc.send(new GetCommand({ TableName: TABLE, Key: stateKey(c), ConsistentRead: true }))
          ).Item;
          const quarantine = (q: Record<string, Entry> | undefined) =>
            q &&
            Object.fromEntries(
              Object.entries(q).map(([k, v]) => [k, { run: v.run, since: v.since, fence: v.fence }]),
            );
          expect(
            stored && {
              epoch: stored.epoch,
              phase: stored.phase,
              owner: stored.owner,
              primary: stored.primary,
              candidate: stored.candidate,
              quarantine: quarantine(stored.quarantine),
            },
          ).toEqual(
            model && {
              epoch: model.epoch,
              phase: model.phase,
              owner: model.owner,
              primary: model.primary,
              candidate: model.candidate,
              quarantine: quarantine(model.quarantine),
            },
          );
        }
      }),
      { numRuns: 40 },
    );
  }, 60_000); // real round trips to dynalite: slow on a loaded 2-core machine
});
