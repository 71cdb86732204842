// Issue 13, item 4: the watch knows a planned primary restart, and bounds it.
import {
  isExecutionOf,
  PLANNED_RESTART_GAP_MS,
  PLANNED_RESTART_MAX_MS,
  watchVerdict,
} from '../../../functions/core/planned-restart';

const SM = 'arn:aws:states:eu-west-1:111122223333:stateMachine:prod-cert-rotation';
const EXEC =
  'arn:aws:states:eu-west-1:111122223333:execution:prod-cert-rotation:cert-rotation-alarm-202603100300';
const NOW = Date.UTC(2026, 2, 10, 3, 30);
const base = {
  healthy: 0 as const,
  lease: { owner: EXEC, expiresAt: NOW + 3_600_000 },
  holderRunning: true,
  record: undefined,
  certRotationArn: SM,
  now: NOW,
};

describe('isExecutionOf', () => {
  it('matches the state machine exactly (name, region, account)', () => {
    expect(isExecutionOf(EXEC, SM)).toBe(true);
    expect(isExecutionOf(EXEC.replace('prod-cert-rotation:', 'prod-cert-rotation-node:'), SM)).toBe(false);
    expect(isExecutionOf(EXEC.replace('eu-west-1', 'us-east-1'), SM)).toBe(false);
    expect(isExecutionOf(EXEC.replace('prod-cert', 'x-prod-cert'), SM)).toBe(false);
    expect(isExecutionOf('cert-rotation', SM)).toBe(false);
    expect(isExecutionOf(undefined, SM)).toBe(false);
    expect(() => isExecutionOf(EXEC, 'prod-cert-rotation')).toThrow(
      'not a state machine ARN: "prod-cert-rotation"',
    );
  });
});

describe('watchVerdict', () => {
  it('a first sighting starts the clock; a continuing one keeps it', () => {
    expect(watchVerdict(base)).toEqual({
      kind: 'planned',
      record: { owner: EXEC, since: NOW, lastSeen: NOW },
      elapsedMs: 0,
    });
    const record = { owner: EXEC, since: NOW - 5 * 60_000, lastSeen: NOW - 60_000 };
    expect(watchVerdict({ ...base, record })).toMatchObject({ kind: 'planned', elapsedMs: 5 * 60_000 });
  });
  it('a gap (the primary came back in between) or another run starts a new restart', () => {
    const old = { owner: EXEC, since: NOW - 19 * 60_000, lastSeen: NOW - PLANNED_RESTART_GAP_MS - 1 };
    expect(watchVerdict({ ...base, record: old })).toMatchObject({ kind: 'planned', elapsedMs: 0 });
    const other = { owner: `${EXEC}-other`, since: NOW - 30 * 60_000, lastSeen: NOW - 60_000 };
    expect(watchVerdict({ ...base, record: other })).toMatchObject({ kind: 'planned', elapsedMs: 0 });
  });
  it('is overdue at the bound, and stays overdue', () => {
    const record = { owner: EXEC, since: NOW - PLANNED_RESTART_MAX_MS, lastSeen: NOW - 60_000 };
    expect(watchVerdict({ ...base, record })).toMatchObject({
      kind: 'overdue',
      record: { since: NOW - PLANNED_RESTART_MAX_MS, lastSeen: NOW },
    });
    expect(watchVerdict({ ...base, record, maxMs: PLANNED_RESTART_MAX_MS + 1 })).toMatchObject({
      kind: 'planned',
    });
  });
  it('is plain unhealthy without a live cert-rotation holder', () => {
    expect(watchVerdict({ ...base, lease: undefined })).toEqual({ kind: 'unhealthy' });
    expect(watchVerdict({ ...base, holderRunning: false })).toEqual({ kind: 'unhealthy' });
    expect(watchVerdict({ ...base, lease: { owner: EXEC, expiresAt: NOW } })).toEqual({ kind: 'unhealthy' });
    expect(watchVerdict({ ...base, healthy: 1 })).toEqual({ kind: 'healthy' });
  });
});
