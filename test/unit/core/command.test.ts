import fc from 'fast-check';
import {
  COMMAND_FAILED,
  completionFor,
  isClusterDocument,
  isTerminal,
  onRegistered,
  onStatusRecorded,
  RENDEZVOUS_TTL_SECONDS,
  recordStatusUpdate,
  registerTokenUpdate,
  TERMINAL_STATUSES,
} from '../../../functions/core/command';
import { commandKey } from '../../../functions/core/keys';

const terminal = fc.constantFrom(...TERMINAL_STATUSES);
const ongoing = fc.constantFrom('Pending', 'InProgress', 'Delayed', 'Cancelling');
const text = fc.string({ maxLength: 60 });
const NOW = Date.UTC(2026, 0, 5, 9, 0, 0);

/** Applies an update's SET of plain attributes to an item, as DynamoDB's ALL_NEW would return it. */
function apply(
  item: Record<string, unknown>,
  update: {
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues: Record<string, unknown>;
  },
) {
  const out = { ...item };
  for (const [ref, name] of Object.entries(update.ExpressionAttributeNames)) {
    out[name] = update.ExpressionAttributeValues[`:${ref.slice(1)}`];
  }
  return out;
}

describe('command statuses', () => {
  it('only Success, Failed, TimedOut and Cancelled end an invocation', () => {
    fc.assert(fc.property(terminal, (s) => isTerminal(s)));
    fc.assert(fc.property(ongoing, (s) => !isTerminal(s)));
    expect(isTerminal(undefined)).toBe(false);
    expect(isTerminal('success')).toBe(false);
  });

  it('Success completes with the status and the output; every other end fails as CommandFailed, without the output', () => {
    fc.assert(
      fc.property(terminal, fc.option(text, { nil: undefined }), text, (status, details, stdout) => {
        const c = completionFor(status, details, stdout);
        if (status === 'Success') {
          expect(c).toEqual({ kind: 'success', output: { status: 'Success', stdout } });
        } else {
          expect(c.kind).toBe('failure');
          if (c.kind !== 'failure') return;
          expect(c.error).toBe(COMMAND_FAILED);
          expect(c.cause).toContain(status);
          if (stdout.length > 8 && !(details ?? '').includes(stdout) && !status.includes(stdout))
            expect(c.cause).not.toContain(stdout);
        }
      }),
    );
    expect(completionFor('TimedOut', 'DeliveryTimedOut', '')).toEqual({
      kind: 'failure',
      error: 'CommandFailed',
      cause: 'the SSM command ended TimedOut (DeliveryTimedOut) on the node',
    });
    expect(completionFor('Failed', 'Failed', '')).toEqual({
      kind: 'failure',
      error: 'CommandFailed',
      cause: 'the SSM command ended Failed on the node',
    });
  });
});

describe('the rendezvous of a wait and its event', () => {
  it('both halves write the same item, keyed by command and instance, kept a day', () => {
    const reg = registerTokenUpdate('prod', 'c-1', 'i-0123456789abcdef0', 'tok', NOW);
    const rec = recordStatusUpdate('prod', 'c-1', 'i-0123456789abcdef0', 'Success', NOW);
    expect(reg.Key).toEqual({ pk: 'CLUSTER#prod', sk: 'COMMAND#c-1#i-0123456789abcdef0' });
    expect(rec.Key).toEqual(reg.Key);
    expect(reg.Key).toEqual(commandKey('prod', 'c-1', 'i-0123456789abcdef0'));
    expect(reg.ReturnValues).toBe('ALL_NEW');
    expect(rec.ReturnValues).toBe('ALL_NEW');
    expect(reg.ExpressionAttributeValues[':ttl']).toBe(NOW / 1000 + RENDEZVOUS_TTL_SECONDS);
    expect(rec.ExpressionAttributeValues[':ttl']).toBe(NOW / 1000 + RENDEZVOUS_TTL_SECONDS);
    // The TTL is the table's own attribute (timeToLiveAttribute `ttl`), so the item expires.
    expect(reg.ExpressionAttributeNames).toEqual({ '#token': 'token', '#ttl': 'ttl' });
    expect(rec.ExpressionAttributeNames).toEqual({ '#status': 'status', '#ttl': 'ttl' });
    // Neither half overwrites the other's attribute.
    expect(reg.UpdateExpression).not.toContain('#status');
    expect(rec.UpdateExpression).not.toContain('#token');
  });

  it('whichever half comes second completes the task, with the recorded status, in either order', () => {
    fc.assert(
      fc.property(
        terminal,
        fc.string({ minLength: 1, maxLength: 30 }),
        fc.boolean(),
        (status, token, eventFirst) => {
          const reg = registerTokenUpdate('c', 'cmd', 'i-0123456789abcdef0', token, NOW);
          const rec = recordStatusUpdate('c', 'cmd', 'i-0123456789abcdef0', status, NOW);
          if (eventFirst) {
            const afterEvent = apply({}, rec);
            expect(onStatusRecorded(afterEvent)).toEqual({ action: 'leave-for-the-wait' });
            expect(onRegistered(apply(afterEvent, reg))).toEqual({ action: 'complete', status });
          } else {
            const afterWait = apply({}, reg);
            expect(onRegistered(afterWait)).toEqual({ action: 'check-invocation' });
            expect(onStatusRecorded(apply(afterWait, rec))).toEqual({ action: 'complete', token });
          }
        },
      ),
    );
  });

  it('a later attempt replaces the token the event will complete', () => {
    const first = apply({}, registerTokenUpdate('c', 'cmd', 'i-0123456789abcdef0', 'first', NOW));
    const second = apply(
      first,
      registerTokenUpdate('c', 'cmd', 'i-0123456789abcdef0', 'second', NOW + 60_000),
    );
    const done = apply(second, recordStatusUpdate('c', 'cmd', 'i-0123456789abcdef0', 'Failed', NOW + 61_000));
    expect(onStatusRecorded(done)).toEqual({ action: 'complete', token: 'second' });
  });

  it('a recorded non-terminal status or an empty token completes nothing', () => {
    expect(onRegistered({ status: 'InProgress' })).toEqual({ action: 'check-invocation' });
    expect(onStatusRecorded({ token: '' })).toEqual({ action: 'leave-for-the-wait' });
    expect(onStatusRecorded({})).toEqual({ action: 'leave-for-the-wait' });
  });
});

describe("the cluster's documents", () => {
  it('are those named <cluster>-<Document>', () => {
    expect(isClusterDocument('artifactory-prod', 'artifactory-prod-StopArtifactory')).toBe(true);
    expect(isClusterDocument('artifactory-prod', 'artifactory-prod-')).toBe(false);
    expect(isClusterDocument('artifactory-prod', 'AWS-RunShellScript')).toBe(false);
    expect(isClusterDocument('artifactory-prod', 'artifactory-production-StopArtifactory')).toBe(false);
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
        fc.stringMatching(/^[A-Za-z]{1,20}$/),
        (c, d) => isClusterDocument(c, `${c}-${d}`),
      ),
    );
  });
});
