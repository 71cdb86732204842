import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import type { UpdateRequest } from '../../../functions/core/fencing';
import { noticeKey } from '../../../functions/core/keys';
import {
  describeSuspensions,
  FAILOVER_SUSPENSIONS,
  findingOfCensus,
  findingOfVerdict,
  heldByPause,
  leftoverSuspensions,
  lockHeld,
  NOTICE_RETENTION_DAYS,
  noticeClaim,
  noticeDue,
  noticeRelease,
  noticeRepeat,
  PAUSED_FINDINGS,
  PAUSED_INCIDENT_QUIET_MS,
  type PausedFinding,
  pausedNotice,
} from '../../../functions/core/paused';
import { VirtualClock } from '../../../sim/core/clock';
import { DynamoSim } from '../../../sim/runner/dynamo';

const NOW = Date.UTC(2026, 2, 10, 12);
const MIN = 60_000;
const TRIGGERS = ['alarm', 'drain', 'reconciler', 'manual', 'replacement'] as const;
const finding = fc.constantFrom(...PAUSED_FINDINGS);
const time = fc.integer({ min: NOW - 86_400_000, max: NOW + 86_400_000 });
const cluster = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);

describe('what the pause holds', () => {
  it('holds every automatic trigger while automation is disabled, and nothing else', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TRIGGERS), fc.boolean(), (trigger, enabled) => {
        expect(heldByPause(trigger, enabled)).toBe(!enabled && trigger !== 'manual');
      }),
    );
  });

  it('names a run’s finding from its verdict; a verdict needing no action is no incident', () => {
    expect(findingOfVerdict({ verdict: 'confirmed' }, 'legacy-primary')).toBe('no-primary');
    expect(findingOfVerdict({ verdict: 'adopt' }, 'legacy-primary')).toBe('no-primary');
    expect(findingOfVerdict({ verdict: 'split' }, 'legacy-primary')).toBe('two-primaries');
    expect(findingOfVerdict({ verdict: 'confirmed' }, 'cloud-native')).toBe('too-few-task-nodes');
    for (const verdict of ['false-alarm', 'wait', 'not-primary', 'anything'])
      expect(findingOfVerdict({ verdict }, 'legacy-primary')).toBeUndefined();
    expect(findingOfCensus('zero')).toBe('no-primary');
    expect(findingOfCensus('two')).toBe('two-primaries');
  });
});

describe('once per incident: the rule', () => {
  /** The notices a sequence of sightings (times, in order) gets under the rule, the record kept as the writes keep it. */
  function notices(times: readonly number[]): boolean[] {
    let lastSeenAt: number | undefined;
    return times.map((t) => {
      const due = noticeDue(lastSeenAt === undefined ? undefined : { lastSeenAt }, t);
      lastSeenAt = t;
      return due;
    });
  }

  const gaps = fc.array(fc.integer({ min: 0, max: 3 * PAUSED_INCIDENT_QUIET_MS }), {
    minLength: 1,
    maxLength: 40,
  });
  const timesOf = (g: readonly number[]) => {
    const times: number[] = [];
    let t = NOW;
    for (const d of g) {
      t += d;
      times.push(t);
    }
    return times;
  };

  it('notifies the first sighting, and afterwards exactly those after a quiet gap longer than the window', () => {
    fc.assert(
      fc.property(gaps, (g) => {
        const got = notices(timesOf(g));
        expect(got[0]).toBe(true);
        for (let i = 1; i < g.length; i++) expect(got[i]).toBe((g[i] as number) > PAUSED_INCIDENT_QUIET_MS);
      }),
    );
  });

  it('never notifies twice while sightings keep coming within the window (a lasting incident)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: PAUSED_INCIDENT_QUIET_MS }), { minLength: 1, maxLength: 60 }),
        (g) => {
          expect(notices(timesOf(g)).filter(Boolean)).toHaveLength(1);
        },
      ),
    );
  });

  it('treats a sighting stamped before the last one (a clock behind) as a repeat', () => {
    fc.assert(
      fc.property(time, fc.integer({ min: 0, max: 10 * MIN }), (t, behind) => {
        expect(noticeDue({ lastSeenAt: t }, t - behind)).toBe(false);
      }),
    );
  });
});

describe('notice requests: well formed', () => {
  const anyRequest: fc.Arbitrary<UpdateRequest> = fc.oneof(
    fc
      .tuple(cluster, finding, time)
      .map(([c, f, t]) => noticeClaim({ cluster: c, finding: f, source: 'x' }, t)),
    fc.tuple(cluster, finding, time).map(([c, f, t]) => noticeRepeat({ cluster: c, finding: f }, t)),
    fc.tuple(cluster, finding, time).map(([c, f, t]) => noticeRelease({ cluster: c, finding: f }, t)),
  );
  const placeholders = (text: string, sigil: ':' | '#') =>
    new Set(text.match(sigil === ':' ? /:[A-Za-z0-9_]+/g : /#[A-Za-z0-9_]+/g) ?? []);

  it('define every name and value their expressions use, and no other; key the finding’s record', () => {
    fc.assert(
      fc.property(anyRequest, (u) => {
        const text = `${u.UpdateExpression} ${u.ConditionExpression ?? ''}`;
        expect([...placeholders(text, ':')].sort()).toEqual(Object.keys(u.ExpressionAttributeValues).sort());
        expect([...placeholders(text, '#')].sort()).toEqual(Object.keys(u.ExpressionAttributeNames).sort());
        expect(u.Key.sk).toMatch(/^NOTICE#/);
      }),
      { numRuns: 300 },
    );
  });

  it('keep the record well past the quiet window', () => {
    const claim = noticeClaim({ cluster: 'c', finding: 'no-primary', source: 'x' }, NOW);
    expect(claim.ExpressionAttributeValues[':ttl']).toBe(
      Math.floor(NOW / 1000) + NOTICE_RETENTION_DAYS * 86_400,
    );
    expect(NOTICE_RETENTION_DAYS * 86_400_000).toBeGreaterThan(PAUSED_INCIDENT_QUIET_MS);
  });
});

describe('leftover suspensions', () => {
  const processes = fc.subarray(['Launch', 'HealthCheck', 'Terminate', 'AZRebalance', 'ReplaceUnhealthy']);
  const lock = fc.option(
    fc.record({
      owner: fc.constant('arn:aws:states:eu-west-1:111122223333:execution:primary-failover:x'),
      expiresAt: time,
      holderRunning: fc.option(fc.boolean(), { nil: undefined }),
    }),
    { nil: undefined },
  );

  it('are the failover’s own suspensions, and only while no live run holds the cluster lock', () => {
    fc.assert(
      fc.property(processes, processes, lock, time, (primary, member, l, now) => {
        const got = leftoverSuspensions({ primary, member }, l, now);
        const held = l !== undefined && l.expiresAt >= now && l.holderRunning !== false;
        expect(lockHeld(l, now)).toBe(held);
        if (held) return expect(got).toEqual([]);
        expect(got).toEqual(
          FAILOVER_SUSPENSIONS.filter((s) => (s.group === 'primary' ? primary : member).includes(s.process)),
        );
      }),
    );
  });

  it('are named with the groups for the operator', () => {
    expect(
      describeSuspensions([...FAILOVER_SUSPENSIONS], { primary: 'art-primary', member: 'art-members' }),
    ).toBe('Launch on art-primary and HealthCheck on art-members');
  });
});

describe('the notice', () => {
  it('has a subject SNS accepts (under 100 characters, one line) and says how to act', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,60}$/),
        fc.constantFrom('eu-west-1', 'ap-southeast-2'),
        finding,
        (c, region, f) => {
          const n = pausedNotice({ cluster: c, region, finding: f, detail: 'seen by the sweep' });
          expect(n.subject.length).toBeLessThan(100);
          expect(n.subject).not.toMatch(/[\r\n]/);
          expect(n.subject).toContain('automation paused');
          expect(n.message).toContain('seen by the sweep');
          expect(n.message).toMatch(/once per incident/);
        },
      ),
    );
  });
});

describe('once per incident: the conditional writes (dynalite)', () => {
  const TABLE = 'notice-test';
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

  const send = (u: UpdateRequest) => doc.send(new UpdateCommand({ TableName: TABLE, ...u }));
  const conditionFailed = (err: unknown) => (err as Error).name === 'ConditionalCheckFailedException';

  /** One sighting as functions/shared/notice.ts records it: the claim, or the repeat when the claim fails. */
  async function sight(c: string, f: PausedFinding, t: number): Promise<boolean> {
    try {
      await send(noticeClaim({ cluster: c, finding: f, source: 'test' }, t));
      return true;
    } catch (err) {
      if (!conditionFailed(err)) throw err;
    }
    await send(noticeRepeat({ cluster: c, finding: f }, t));
    return false;
  }

  it('notify exactly the sightings the rule says, per finding, and count the repeats', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(finding, fc.integer({ min: 0, max: 2 * PAUSED_INCIDENT_QUIET_MS })), {
          minLength: 1,
          maxLength: 15,
        }),
        async (sightings) => {
          const c = `c${run++}`;
          let t = NOW;
          const last = new Map<PausedFinding, number>();
          const repeats = new Map<PausedFinding, number>();
          for (const [f, gap] of sightings) {
            t += gap;
            const seen = last.get(f);
            const expected = noticeDue(seen === undefined ? undefined : { lastSeenAt: seen }, t);
            expect(await sight(c, f, t)).toBe(expected);
            last.set(f, t);
            repeats.set(f, expected ? 0 : (repeats.get(f) ?? 0) + 1);
          }
          for (const [f, n] of repeats) {
            const item = (await doc.send(new GetCommand({ TableName: TABLE, Key: noticeKey(c, f) }))).Item;
            expect(item?.repeats).toBe(n);
            expect(item?.lastSeenAt).toBe(last.get(f));
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('let exactly one of two racing sightings notify', async () => {
    const results = await Promise.all([sight('race', 'no-primary', NOW), sight('race', 'no-primary', NOW)]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('give a claim back so the next sighting notifies; a stale release changes nothing', async () => {
    expect(await sight('release', 'suspended-processes', NOW)).toBe(true);
    await expect(
      send(noticeRelease({ cluster: 'release', finding: 'suspended-processes' }, NOW - 1)),
    ).rejects.toThrow(/conditional/i);
    expect(await sight('release', 'suspended-processes', NOW + MIN)).toBe(false);
    await send(noticeRelease({ cluster: 'release', finding: 'suspended-processes' }, NOW));
    expect(await sight('release', 'suspended-processes', NOW + 2 * MIN)).toBe(true);
  });
});
