/**
 * Exact answers of the regional core (the requests it builds, the details it explains itself with), so that
 * Stryker's mutants of functions/core/regional-*.ts are killed by what an operator or DynamoDB would see.
 */
import {
  extendWrite,
  FENCED_ITEM_CONDITION,
  fenceVerdict,
  highestEpoch,
  leaseWrite,
  majority,
  otherHolderVerdict,
  planAcquire,
  quorumVerdict,
  releaseWrite,
  type VoterRead,
} from '../../../functions/core/regional-lease';
import {
  expectedTimes,
  FORCEABLE_CHECKS,
  flipWaitCheck,
  gateAfterFlip,
  gateCheck,
  hysteresisCheck,
  minServingCheck,
  SWITCH_ALARM_PERIOD_SECONDS,
  stillDegradedCheck,
  verdictOf,
} from '../../../functions/core/regional-plan';
import {
  capacityCheck,
  certificateCheck,
  parseReplicationOutput,
  primaryCheck,
  recordedChecks,
  replicationCheck,
} from '../../../functions/core/regional-readiness';
import {
  copiesSettled,
  latestRecord,
  servingAfter,
  servingCount,
  servingMap,
  servingState,
  switchOn,
} from '../../../functions/core/regional-serving';

const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const MIN = 60_000;
const KEY = { pk: 'ROUTING#prod', sk: 'LEASE' };
const up = (
  region: string,
  item?: VoterRead extends infer _ ? Record<string, unknown> : never,
): VoterRead => ({
  region,
  reachable: true,
  item: item as never,
});
const down = (region: string): VoterRead => ({ region, reachable: false, error: 'x' });

describe('regional-lease requests', () => {
  const req = { owner: 'me', epoch: 3, ttlSeconds: 60 };

  it('leaseWrite: the item must be unchanged since the read, field by field', () => {
    const set = 'SET holder = :holder, epoch = :epoch, expiresAt = :expiresAt, acquiredAt = :now';
    const base = { ':holder': 'me', ':epoch': 3, ':expiresAt': NOW + 60_000, ':now': NOW };
    expect(leaseWrite('prod', undefined, req, NOW)).toEqual({
      Key: KEY,
      UpdateExpression: set,
      ConditionExpression: 'attribute_not_exists(pk)',
      ExpressionAttributeValues: base,
    });
    expect(leaseWrite('prod', {}, req, NOW)).toEqual({
      Key: KEY,
      UpdateExpression: set,
      ConditionExpression: 'attribute_not_exists(holder) AND attribute_not_exists(epoch)',
      ExpressionAttributeValues: base,
    });
    expect(leaseWrite('prod', { holder: 'b', epoch: 2 }, req, NOW)).toEqual({
      Key: KEY,
      UpdateExpression: set,
      ConditionExpression: 'holder = :readHolder AND epoch = :readEpoch',
      ExpressionAttributeValues: { ...base, ':readHolder': 'b', ':readEpoch': 2 },
    });
    expect(leaseWrite('prod', { epoch: 2 }, req, NOW).ConditionExpression).toBe(
      'attribute_not_exists(holder) AND epoch = :readEpoch',
    );
  });

  it('extendWrite and releaseWrite: only while ours at our epoch; a release keeps the epoch', () => {
    expect(extendWrite('prod', req, NOW)).toEqual({
      Key: KEY,
      UpdateExpression: 'SET expiresAt = :expiresAt',
      ConditionExpression: 'holder = :holder AND epoch = :epoch',
      ExpressionAttributeValues: { ':holder': 'me', ':epoch': 3, ':expiresAt': NOW + 60_000 },
    });
    expect(releaseWrite('prod', req)).toEqual({
      Key: KEY,
      UpdateExpression: 'REMOVE holder SET expiresAt = :zero',
      ConditionExpression: 'holder = :holder AND epoch = :epoch',
      ExpressionAttributeValues: { ':holder': 'me', ':epoch': 3, ':zero': 0 },
    });
    expect(FENCED_ITEM_CONDITION).toBe('attribute_not_exists(epoch) OR epoch <= :epoch');
  });

  it('otherHolderVerdict: ended holders are taken over; running or unreachable ones keep it', () => {
    for (const s of ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE', 'GONE'] as const)
      expect(otherHolderVerdict({ expiresAt: NOW + 1 }, s, NOW)).toBe('take-over');
    for (const s of ['RUNNING', 'UNREACHABLE'] as const) {
      expect(otherHolderVerdict({ expiresAt: NOW + 1 }, s, NOW)).toBe('busy');
      expect(otherHolderVerdict({ expiresAt: NOW }, s, NOW)).toBe('busy');
      expect(otherHolderVerdict({ expiresAt: NOW - 1 }, s, NOW)).toBe('expired-under-running-holder');
      expect(otherHolderVerdict({}, s, NOW)).toBe('expired-under-running-holder');
    }
  });

  it('highestEpoch ignores unreachable voters and items without an epoch', () => {
    expect(highestEpoch([])).toBe(0);
    expect(highestEpoch([down('a'), up('b', { epoch: 4 }), up('c'), up('d', { holder: 'x' })])).toBe(4);
    expect(highestEpoch([up('b', { epoch: 4 }), up('c', { epoch: 9 }), up('d', { epoch: 2 })])).toBe(9);
  });

  it('planAcquire: no quorum, renew, ask (highest epoch first), or a new epoch', () => {
    expect(planAcquire([down('a'), down('b'), up('c')], 'me', 2)).toEqual({
      kind: 'no-quorum',
      reachable: 1,
      quorum: 2,
    });
    expect(planAcquire([up('a'), up('b'), down('c')], 'me', 2)).toEqual({
      kind: 'write',
      epoch: 1,
      renew: false,
    });
    // Ours in a majority but not at the highest epoch: not a renewal.
    expect(
      planAcquire(
        [up('a', { holder: 'me', epoch: 2 }), up('b', { holder: 'me', epoch: 2 }), up('c', { epoch: 5 })],
        'me',
        2,
      ),
    ).toEqual({ kind: 'write', epoch: 6, renew: false });
    // Ours in a minority only: a new epoch.
    expect(
      planAcquire([up('a', { holder: 'me', epoch: 2 }), up('b', { epoch: 1 }), up('c')], 'me', 2),
    ).toEqual({
      kind: 'write',
      epoch: 3,
      renew: false,
    });
    expect(
      planAcquire(
        [up('a', { holder: 'x', epoch: 1 }), up('b', { holder: 'y', epoch: 7 }), up('c', { holder: 'z' })],
        'me',
        2,
      ),
    ).toEqual({ kind: 'ask', holder: 'y' });
    expect(planAcquire([up('a', { holder: 'z' }), up('b', { holder: 'x', epoch: 1 })], 'me', 2)).toEqual({
      kind: 'ask',
      holder: 'x',
    });
  });

  it('quorumVerdict and fenceVerdict explain themselves', () => {
    expect(quorumVerdict(['ok', 'ok', 'lost'], 2)).toBe('held');
    expect(quorumVerdict(['ok', 'unreachable', 'lost'], 2)).toBe('fenced');
    expect(quorumVerdict(['ok', 'unreachable', 'unreachable'], 2)).toBe('no-quorum');
    expect(majority(3)).toBe(2);
    expect(majority(4)).toBe(3);
    expect(fenceVerdict([up('a', { holder: 'me', epoch: 2 }), up('b', { epoch: 4 })], 'me', 2, 2)).toEqual({
      verdict: 'fenced',
      detail: 'b holds epoch 4, above ours (2)',
    });
    expect(fenceVerdict([up('a', { epoch: 2 })], 'me', 2, 1)).toEqual({
      verdict: 'fenced',
      detail: 'a shows epoch 2 released',
    });
    expect(fenceVerdict([up('a', { holder: 'x', epoch: 2 })], 'me', 2, 1)).toEqual({
      verdict: 'fenced',
      detail: 'a shows epoch 2 held by x',
    });
    expect(
      fenceVerdict([up('a', { holder: 'me', epoch: 2 }), down('b'), up('c', { epoch: 1 })], 'me', 2, 2),
    ).toEqual({
      verdict: 'no-quorum',
      detail: 'only 1 voter(s) confirm epoch 2; the quorum is 2',
    });
    expect(
      fenceVerdict([up('a', { holder: 'me', epoch: 2 }), up('c', { holder: 'me', epoch: 2 })], 'me', 2, 2),
    ).toEqual({
      verdict: 'ours',
      detail: '2 voter(s) confirm epoch 2',
    });
    expect(fenceVerdict([up('a')], 'me', 1, 1).verdict).toBe('no-quorum');
  });
});

describe('regional-plan answers', () => {
  it('minServingCheck and flipWaitCheck', () => {
    expect(minServingCheck(1, 1, 'evacuate')).toEqual({
      name: 'min-serving-regions',
      ok: true,
      detail: '1 region(s) would serve after the evacuation (minimum 1)',
    });
    expect(minServingCheck(0, 1, 'restore')).toEqual({
      name: 'min-serving-regions',
      ok: false,
      detail: '0 region(s) would serve after the restore (minimum 1)',
    });
    expect(flipWaitCheck(undefined, 10, NOW)).toEqual({
      check: { name: 'flip-wait', ok: true, detail: 'the switch was never flipped' },
    });
    const at = new Date(NOW - 10 * MIN).toISOString();
    expect(flipWaitCheck(at, 10, NOW)).toEqual({
      check: { name: 'flip-wait', ok: true, detail: `last flipped ${at}, more than 10 min ago` },
    });
    expect(flipWaitCheck('garbage', 10, NOW).check.ok).toBe(true);
    const recent = new Date(NOW - 4 * MIN).toISOString();
    expect(flipWaitCheck(recent, 10, NOW)).toEqual({
      check: {
        name: 'flip-wait',
        ok: false,
        detail: `last flipped ${recent}; the 10-minute wait between flips ends ${new Date(NOW + 6 * MIN).toISOString()}`,
      },
      until: NOW + 6 * MIN,
    });
  });

  it('gateCheck details and gateAfterFlip counts', () => {
    const s = { automationEnabled: true, cooldownMinutes: 60, dailyBudget: 3 };
    expect(gateCheck(undefined, { ...s, automationEnabled: false }, NOW)).toEqual({
      name: 'gate',
      ok: false,
      detail: 'automation is paused (automation.enabled is false, or an operator paused it)',
    });
    expect(gateCheck({ lastAt: NOW - 90_500 }, s, NOW)).toEqual({
      name: 'gate',
      ok: false,
      detail: 'the previous automatic evacuation was 90 s ago, within the 60-minute cooldown',
    });
    expect(gateCheck({ lastAt: NOW - 60 * MIN, day: '2026-06-01', count: 3 }, s, NOW)).toEqual({
      name: 'gate',
      ok: false,
      detail: "the day's budget of 3 automatic action(s) is used up (3)",
    });
    expect(gateCheck({ lastAt: NOW - 60 * MIN, day: '2026-05-31', count: 3 }, s, NOW)).toEqual({
      name: 'gate',
      ok: true,
      detail: 'automation on, outside the cooldown, 0 of 3 used today',
    });
    expect(gateCheck({ day: '2026-06-01' }, s, NOW).detail).toBe(
      'automation on, outside the cooldown, 0 of 3 used today',
    );
    expect(gateAfterFlip({ day: '2026-06-01' }, NOW)).toEqual({ lastAt: NOW, day: '2026-06-01', count: 1 });
  });

  it('hysteresisCheck and stillDegradedCheck details', () => {
    expect(hysteresisCheck(undefined, 30, NOW)).toEqual({
      check: { name: 'hysteresis', ok: false, detail: "the region's degraded alarm could not be read" },
      refuse: true,
    });
    expect(hysteresisCheck({ state: 'ALARM', since: NOW }, 30, NOW)).toEqual({
      check: { name: 'hysteresis', ok: false, detail: "the region's degraded alarm is ALARM" },
      refuse: true,
    });
    const since = NOW - 30 * MIN;
    expect(hysteresisCheck({ state: 'OK', since }, 30, NOW)).toEqual({
      check: {
        name: 'hysteresis',
        ok: true,
        detail: `healthy since ${new Date(since).toISOString()}, at least 30 min`,
      },
      refuse: false,
    });
    expect(hysteresisCheck({ state: 'OK', since: NOW - MIN }, 30, NOW)).toEqual({
      check: {
        name: 'hysteresis',
        ok: false,
        detail: `healthy since ${new Date(NOW - MIN).toISOString()}; the 30-minute window ends ${new Date(NOW + 29 * MIN).toISOString()}`,
      },
      waitUntil: NOW + 29 * MIN,
      refuse: false,
    });
    expect(stillDegradedCheck(undefined)).toEqual({
      name: 'still-degraded',
      ok: true,
      detail: "the region's degraded alarm is unreadable (its CloudWatch is lost): evacuating without it",
    });
    expect(stillDegradedCheck({ state: 'OK', since: NOW })).toEqual({
      name: 'still-degraded',
      ok: false,
      detail: "the region's degraded alarm is OK again",
    });
    expect(stillDegradedCheck({ state: 'ALARM', since: NOW })).toEqual({
      name: 'still-degraded',
      ok: true,
      detail: `the region's degraded alarm is ALARM since ${new Date(NOW).toISOString()}`,
    });
  });

  it('verdictOf reasons name each check and its region', () => {
    const cap = { name: 'capacity', region: 'us-east-1', ok: false, detail: 'too few' };
    const wait = { name: 'flip-wait', ok: false, detail: 'soon' };
    expect(verdictOf({ checks: [cap], force: false, alreadyDone: true })).toEqual({
      verdict: 'nothing-to-do',
      reasons: ['the switch is already in the requested state'],
      breakGlass: false,
    });
    expect(verdictOf({ checks: [cap, wait], force: false, alreadyDone: false })).toEqual({
      verdict: 'refused',
      reasons: ['capacity (us-east-1): too few', 'flip-wait: soon'],
      breakGlass: false,
    });
    expect(verdictOf({ checks: [cap, wait], force: true, alreadyDone: false })).toEqual({
      verdict: 'go',
      reasons: ['forced over capacity (us-east-1): too few', 'forced over flip-wait: soon'],
      breakGlass: true,
    });
    expect(
      verdictOf({
        checks: [wait],
        force: false,
        alreadyDone: false,
        pending: new Map([['flip-wait', 5]]),
        canWait: true,
      }),
    ).toEqual({ verdict: 'wait', reasons: ['flip-wait: soon'], breakGlass: false, waitUntil: 5 });
    expect(
      verdictOf({
        checks: [wait],
        force: false,
        alreadyDone: false,
        pending: new Map([['flip-wait', 5]]),
        canWait: false,
      }).verdict,
    ).toBe('refused');
    expect(verdictOf({ checks: [{ ...cap, ok: true }], force: false, alreadyDone: false })).toEqual({
      verdict: 'go',
      reasons: [],
      breakGlass: false,
    });
    expect([...FORCEABLE_CHECKS].sort()).toEqual([
      'capacity',
      'certificates',
      'flip-wait',
      'primary',
      'replication',
    ]);
  });

  it('expectedTimes explains the floor and each driver in words', () => {
    const base = {
      ttlSeconds: 60,
      healthCheckIntervalSeconds: 30,
      healthCheckFailureThreshold: 3,
      noHealthyMinutes: 5,
    };
    expect(SWITCH_ALARM_PERIOD_SECONDS).toBe(60);
    expect(expectedTimes({ ...base, driver: 'cloudwatch-switch' }, 'automatic')).toEqual({
      exclusionSeconds: 210,
      floorSeconds: 510,
      explanation:
        "floor 510 s = the degraded alarm's 5-minute evaluation (300 s) + the switch alarm's 60-s period + 3 health checks 30 s apart (90 s) + the record's 60-s TTL in resolvers; after the flip, cloudwatch-switch waits for the switch alarm, the checkers and the TTL: 210 s",
    });
    expect(expectedTimes({ ...base, driver: 'route53-api' }, 'manual')).toEqual({
      exclusionSeconds: 150,
      floorSeconds: 210,
      explanation:
        "floor 210 s = the switch alarm's 60-s period + 3 health checks 30 s apart (90 s) + the record's 60-s TTL in resolvers; after the flip, route53-api waits for the checkers to see the inverted check and the TTL: 150 s",
    });
  });
});

describe('regional-readiness answers', () => {
  const iso = (minutesAgo: number) => new Date(NOW - minutesAgo * MIN).toISOString();

  it('replicationCheck details', () => {
    const line = (repo: string, ago: number) =>
      JSON.stringify({ repo, status: 'ok', lastCompleted: iso(ago) });
    expect(replicationCheck(['a'], undefined, 60, NOW)).toEqual({
      check: { name: 'replication', ok: false, detail: 'replication status was not read' },
      lagMinutes: undefined,
    });
    expect(replicationCheck(['a'], { error: 'boom' }, 60, NOW)).toEqual({
      check: { name: 'replication', ok: false, detail: 'replication status not read: boom' },
      lagMinutes: undefined,
    });
    expect(replicationCheck(['a'], { output: line('a', 5) }, 60, NOW)).toEqual({
      check: { name: 'replication', ok: true, detail: '1 repository within 60 min (worst 5 min)' },
      lagMinutes: 5,
    });
    expect(replicationCheck(['a', 'b'], { output: `${line('a', 5)}\n${line('b', 60)}` }, 60, NOW)).toEqual({
      check: { name: 'replication', ok: true, detail: '2 repositories within 60 min (worst 60 min)' },
      lagMinutes: 60,
    });
    // Completed "in the future" (a clock ahead) counts as no lag; inprogress and warn still count.
    const future = JSON.stringify({ repo: 'a', status: 'inprogress', lastCompleted: iso(-5) });
    expect(replicationCheck(['a'], { output: future }, 60, NOW).lagMinutes).toBe(0);
    const warn = JSON.stringify({ repo: 'a', status: 'warn', lastCompleted: iso(61) });
    expect(replicationCheck(['a'], { output: warn }, 60, NOW).check).toEqual({
      name: 'replication',
      ok: false,
      detail: 'a: 61 min behind (max 60)',
    });
    expect(replicationCheck(['a'], { output: JSON.stringify({ repo: 'a' }) }, 60, NOW).check.detail).toBe(
      'a: status missing',
    );
  });

  it('parseReplicationOutput reports the failing line number', () => {
    expect(() => parseReplicationOutput('{"repo":"a"}\nnope')).toThrow(
      'replication output line 2 is not JSON',
    );
    expect(() => parseReplicationOutput('{"x":1}')).toThrow('replication output line 1 names no repository');
    expect(() => parseReplicationOutput('{"repo":"a","status":1}')).toThrow(
      'replication output line 1: status is not a string',
    );
    expect(() => parseReplicationOutput('{"repo":"a","lastCompleted":1}')).toThrow(
      'replication output line 1: lastCompleted is not a string',
    );
    expect(() => parseReplicationOutput('{"repo":"a","error":1}')).toThrow(
      'replication output line 1: error is not a string',
    );
    expect(parseReplicationOutput(' {"repo":"a","error":"e"} ')).toEqual([{ repo: 'a', error: 'e' }]);
  });

  it('certificate, capacity and primary details', () => {
    expect(certificateCheck([], 7, NOW)).toEqual({
      check: { name: 'certificates', ok: false, detail: 'no node certificate recorded' },
      daysLeft: undefined,
    });
    expect(certificateCheck([new Date(NOW + 7.5 * 86_400_000).toISOString()], 7, NOW)).toEqual({
      check: {
        name: 'certificates',
        ok: true,
        detail: 'earliest node certificate expires in 7 day(s) (need 7)',
      },
      daysLeft: 7,
    });
    expect(capacityCheck(0, 0, 1)).toEqual({
      name: 'capacity',
      ok: false,
      detail: "0 healthy node(s); no other region's load recorded to compare with",
    });
    expect(capacityCheck(2, 3, 0.5)).toEqual({
      name: 'capacity',
      ok: true,
      detail: '2 healthy node(s) for 3 served elsewhere (need 2 at share 0.5)',
    });
    expect(capacityCheck(2, 3, 1)).toMatchObject({ ok: false });
    expect(primaryCheck('legacy-primary', { primaryHealthy: true, healthyNodes: 0 }, 2)).toEqual({
      name: 'primary',
      ok: true,
      detail: 'a healthy primary node',
    });
    expect(primaryCheck('legacy-primary', { primaryHealthy: false, healthyNodes: 0 }, 2).detail).toBe(
      'no healthy primary node',
    );
    expect(primaryCheck('cloud-native', { primaryHealthy: false, healthyNodes: 3 }, 2)).toEqual({
      name: 'primary',
      ok: true,
      detail: '3 healthy task node(s) (need 2)',
    });
  });

  it('recordedChecks details', () => {
    const record = {
      at: iso(10),
      ready: true,
      servingNodes: 2,
      checks: [{ name: 'certificates', ok: true, detail: '80 days' }],
    };
    expect(recordedChecks('r', record, ['certificates'], 60, NOW)).toEqual([
      { name: 'certificates', region: 'r', ok: true, detail: `80 days (evaluated ${iso(10)})` },
    ]);
    expect(recordedChecks('r', { ...record, at: iso(121) }, ['certificates'], 60, NOW)).toEqual([
      {
        name: 'certificates',
        region: 'r',
        ok: false,
        detail: 'stale: evaluated 121 min ago (limit 120 min)',
      },
    ]);
    expect(recordedChecks('r', { ...record, at: iso(120) }, ['certificates'], 60, NOW)[0]?.ok).toBe(true);
    expect(recordedChecks('r', { ...record, at: 'bad' }, ['certificates'], 60, NOW)).toEqual([
      { name: 'certificates', region: 'r', ok: false, detail: 'stale: evaluated ? min ago (limit 120 min)' },
    ]);
    expect(recordedChecks('r', undefined, ['x'], 60, NOW)).toEqual([
      { name: 'x', region: 'r', ok: false, detail: 'no readiness evaluation recorded' },
    ]);
  });
});

describe('regional-serving answers', () => {
  const obs = (over: Record<string, unknown> = {}) => ({
    region: 'a',
    copies: [
      { region: 'a', state: 'OK' as const },
      { region: 'b', state: 'unreachable' as const },
    ],
    recorded: undefined as boolean | undefined,
    healthyTargets: 1 as number | undefined,
    ...over,
  });

  it('switchOn and servingState', () => {
    expect(switchOn(obs())).toBe(true);
    expect(switchOn(obs({ recorded: true }))).toBe(true);
    expect(switchOn(obs({ recorded: false }))).toBe(false);
    // A recorded off counts even while the copies still show on (their alarms evaluate once a minute).
    expect(switchOn(obs({ recorded: false, copies: [{ region: 'a', state: 'OK' }] }))).toBe(false);
    expect(servingState(obs())).toBe('serving');
    expect(servingState(obs({ healthyTargets: 0 }))).toBe('unknown');
    expect(servingState(obs({ healthyTargets: undefined }))).toBe('unknown');
    expect(servingState(obs({ copies: [{ region: 'b', state: 'ALARM' }] }))).toBe('evacuated');
    expect(servingMap([obs(), obs({ region: 'c', healthyTargets: 0 })])).toEqual({
      a: 'serving',
      c: 'unknown',
    });
    expect(servingCount({ a: 'serving', b: 'evacuated', c: 'serving', d: 'unknown' })).toBe(2);
    expect(servingAfter({ a: 'serving', b: 'serving' }, 'restore', 'a', false)).toBe(1);
  });

  it('copiesSettled and latestRecord', () => {
    expect(copiesSettled([], true)).toBe(false);
    expect(copiesSettled([], false)).toBe(false);
    expect(copiesSettled([{ state: 'INSUFFICIENT_DATA' }], true)).toBe(true);
    expect(
      latestRecord([
        { epoch: 1, changedAt: 'b' },
        { epoch: 1, changedAt: 'a' },
      ]),
    ).toEqual({
      epoch: 1,
      changedAt: 'b',
    });
    expect(latestRecord([{ changedAt: 'a' }, { epoch: 1 }])).toEqual({ epoch: 1 });
    expect(latestRecord([{ epoch: 1 }, { epoch: 1, changedAt: 'a' }])).toEqual({ epoch: 1, changedAt: 'a' });
    expect(latestRecord([{ epoch: 2 }, { epoch: 1, changedAt: 'z' }])).toEqual({ epoch: 2 });
  });
});

describe('edges the first mutation run found', () => {
  it('counts only serving regions, and a recorded off as evacuated whatever the copies say', () => {
    expect(servingCount({ a: 'serving', b: 'serving', c: 'serving', d: 'evacuated' })).toBe(3);
    const recordedOff = {
      region: 'a',
      copies: [{ region: 'a', state: 'OK' as const }],
      recorded: false,
      healthyTargets: 1,
    };
    expect(servingState(recordedOff)).toBe('evacuated');
    expect(servingMap([recordedOff])).toEqual({ a: 'evacuated' });
    expect(servingState({ ...recordedOff, recorded: true })).toBe('serving');
  });

  it('latestRecord: the first of equals stays, a record without changedAt loses a tie', () => {
    const first = { epoch: 1, changedAt: '2026-01-01', by: 'first' };
    const second = { epoch: 1, changedAt: '2026-01-01', by: 'second' };
    expect(latestRecord([first, second])).toBe(first);
    expect(latestRecord([{ epoch: 1 }, { epoch: 1, changedAt: '2026-01-01' }])).toEqual({
      epoch: 1,
      changedAt: '2026-01-01',
    });
    const dated = { epoch: 1, changedAt: '2026-01-01' };
    expect(latestRecord([dated, { epoch: 1 }])).toBe(dated);
  });

  it('planAcquire never renews epoch 0', () => {
    expect(
      planAcquire([up('a', { holder: 'me', epoch: 0 }), up('b', { holder: 'me', epoch: 0 })], 'me', 2),
    ).toEqual({
      kind: 'write',
      epoch: 1,
      renew: false,
    });
  });

  it('a restore leaves lastAt out; a run that may wait without pending checks is refused', () => {
    expect(gateAfterFlip(undefined, NOW, 'restore')).toStrictEqual({ day: '2026-06-01', count: 1 });
    expect(
      verdictOf({
        checks: [{ name: 'flip-wait', ok: false, detail: 'd' }],
        force: false,
        alreadyDone: false,
        canWait: true,
      }).verdict,
    ).toBe('refused');
  });

  it('readiness: a check missing from the record fails, blank lines are skipped, absent fields stay absent', () => {
    const record = { at: new Date(NOW).toISOString(), ready: true, servingNodes: 1, checks: [] };
    expect(recordedChecks('r', record, ['replication'], 60, NOW)).toEqual([
      { name: 'replication', region: 'r', ok: false, detail: 'not in the last readiness evaluation' },
    ]);
    expect(parseReplicationOutput('{"repo":"a","error":"e"}\n   \n')).toStrictEqual([
      { repo: 'a', error: 'e' },
    ]);
    expect(parseReplicationOutput('{"repo":"a","status":"ok","lastCompleted":null}')).toStrictEqual([
      { repo: 'a', status: 'ok', lastCompleted: null },
    ]);
    expect(certificateCheck(['bad'], 1, NOW).check.detail).toBe('no node certificate recorded');
    expect(certificateCheck(['bad', new Date(NOW + 3 * 86_400_000).toISOString()], 1, NOW).daysLeft).toBe(3);
  });
});
