import { PublishCommand } from '@aws-sdk/client-sns';
import { operations } from '../../../functions/operations/handler';
import { OperationsInputSchema } from '../../../functions/operations/input';
import { ENV } from '../../../functions/shared/env';
import { loadPauseHome, pauseState } from '../../../functions/shared/pause';
import { EU, pauseEnv, pauseFixture, TOPIC, US, VOTERS, WITNESS } from './pause-fixture';

const f = pauseFixture();
const T = Date.parse('2026-06-01T12:00:00Z');
const call = (input: Parameters<typeof operations>[0], now = T) =>
  operations(input, f.ctx as never, now) as Promise<Record<string, unknown>>;

describe('operations: pause and resume', () => {
  it('writes version 1 into every copy, audits who and why, and announces it once', async () => {
    const out = await call({ op: 'pause', actor: 'alice', reason: 'database upgrade' });
    expect(out).toMatchObject({
      op: 'pause',
      done: true,
      version: 1,
      paused: true,
      effective: true,
      automationEnabled: true,
      audited: true,
      notified: true,
      copies: VOTERS.map((region) => ({ region, outcome: 'written' })),
    });
    for (const v of VOTERS)
      expect(await f.copy(v)).toMatchObject({
        paused: true,
        actor: 'alice',
        reason: 'database upgrade',
        changedAt: T,
        version: 1,
      });
    const audit = (await f.stateItems()).filter((i) => String(i.sk).startsWith('AUDIT#'));
    expect(audit).toEqual([
      expect.objectContaining({
        pk: 'CLUSTER#prod',
        sk: `AUDIT#${new Date(T).toISOString()}#pause-v1`,
        kind: 'pause',
        decision: 'pause',
        actor: 'alice',
        reason: 'database upgrade',
      }),
    ]);
    const published = f.sns.commandCalls(PublishCommand);
    expect(published).toHaveLength(1);
    expect(published[0]?.args[0].input).toMatchObject({
      TopicArn: TOPIC,
      Subject: '[prod] automation paused by alice',
    });
  });

  it('resumes over the highest version seen, and says the deploy-time pause still holds', async () => {
    await f.seed(WITNESS, { paused: true, actor: 'a', reason: 'r', changedAt: 1, version: 6 });
    await f.seed(EU, { paused: true, actor: 'a', reason: 'r', changedAt: 1, version: 5 });
    f.ctx.env = pauseEnv({ [ENV.automationEnabled]: 'false' });
    const out = await call({ op: 'resume', actor: 'bob', reason: 'done' });
    expect(out).toMatchObject({ version: 7, paused: false, effective: true, automationEnabled: false });
    for (const v of VOTERS) expect(await f.copy(v)).toMatchObject({ paused: false, version: 7 });
  });

  it('is done with a majority while one copy is unreachable, and lists that copy with its error', async () => {
    f.down.add(US);
    const out = await call({ op: 'pause', actor: 'alice', reason: 'incident' });
    expect(out.copies).toEqual([
      { region: EU, outcome: 'written' },
      { region: US, outcome: 'unreachable', error: 'UnknownEndpoint' },
      { region: WITNESS, outcome: 'written' },
    ]);
    f.down.clear();
    expect(await f.copy(US)).toBeUndefined();
  });

  it('fails without a majority of reads and writes nothing, naming the copies', async () => {
    f.down.add(US);
    f.down.add(WITNESS);
    await expect(call({ op: 'pause', actor: 'alice', reason: 'x' })).rejects.toMatchObject({
      name: 'NoQuorum',
      message: expect.stringMatching(/only 1 of 3 copies answered.*us-east-1 \(UnknownEndpoint\), us-west-2/),
    });
    f.down.clear();
    for (const v of VOTERS) expect(await f.copy(v)).toBeUndefined();
    expect(f.sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect(await f.stateItems()).toEqual([]);
  });

  it('fails when a majority refuses the write (a racing change is newer) and says which copies took it', async () => {
    for (const v of VOTERS)
      await f.seed(v, { paused: false, actor: 'a', reason: 'r', changedAt: 1, version: 1 });
    // A racing change lands version 2 in US and the witness after this change read them at version 1.
    f.hook.current = async (region, command) => {
      if (command.constructor.name === 'PutCommand' && region !== EU)
        await f.seed(region, { paused: false, actor: 'b', reason: 'racer', changedAt: 2, version: 2 });
    };
    await expect(call({ op: 'pause', actor: 'alice', reason: 'x' })).rejects.toMatchObject({
      name: 'NoQuorum',
      message: expect.stringContaining(
        '1 of 3 copies accepted version 2 (the majority is 2): eu-west-1 written, us-east-1 newer (ConditionalCheckFailedException), us-west-2 newer (ConditionalCheckFailedException)',
      ),
    });
    f.hook.current = undefined;
    expect(await f.copy(US)).toMatchObject({ reason: 'racer' });
    expect(f.sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect(await f.stateItems()).toEqual([]);
  });

  it('still stands when the audit write fails, and still audits when the announcement fails', async () => {
    f.ctx.env = pauseEnv({ [ENV.stateTable]: 'no-such-table' });
    const a = await call({ op: 'pause', actor: 'alice', reason: 'x' });
    expect(a).toMatchObject({ done: true, audited: false, notified: true });
    f.ctx.env = pauseEnv();
    f.sns.on(PublishCommand).rejects(Object.assign(new Error('boom'), { name: 'InternalError' }));
    const b = await call({ op: 'resume', actor: 'alice', reason: 'y' }, T + 1000);
    expect(b).toMatchObject({ done: true, version: 2, audited: true, notified: false });
    expect((await f.stateItems()).map((i) => i.decision)).toEqual(['resume']);
  });

  it.each([
    [{ op: 'pause', actor: 'alice', reason: '   ' }, 'reason'],
    [{ op: 'resume', actor: '', reason: 'x' }, 'actor'],
  ])('refuses bad input %j (ValidationError naming %s) and writes nothing', async (input, field) => {
    await expect(call(input as never)).rejects.toMatchObject({
      name: 'ValidationError',
      issues: [expect.objectContaining({ path: field })],
    });
    for (const v of VOTERS) expect(await f.copy(v)).toBeUndefined();
    expect(await f.stateItems()).toEqual([]);
    expect(f.sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('the request schema itself refuses an empty reason, naming the field', () => {
    const r = OperationsInputSchema.safeParse({ op: 'pause', actor: 'a', reason: '  ' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['reason']);
  });

  it('fails on a missing routing-tables setting before touching anything', async () => {
    f.ctx.env = pauseEnv({ [ENV.pauseTables]: undefined });
    await expect(call({ op: 'pause', actor: 'a', reason: 'b' })).rejects.toMatchObject({
      name: 'ConfigurationError',
    });
    f.ctx.env = pauseEnv({ [ENV.pauseTables]: '{"us-east-1":"t"}' });
    await expect(call({ op: 'pause', actor: 'a', reason: 'b' })).rejects.toThrow(
      /no routing table for this region/,
    );
    f.ctx.env = pauseEnv({ [ENV.pauseTables]: 'nope' });
    await expect(call({ op: 'pause', actor: 'a', reason: 'b' })).rejects.toThrow(/is not JSON/);
    f.ctx.env = pauseEnv({ [ENV.pauseTables]: '{}' });
    await expect(call({ op: 'pause', actor: 'a', reason: 'b' })).rejects.toThrow(/must map each voter/);
  });
});

describe('operations: pause-status', () => {
  it('shows every copy, the majority state and the effective pause of this region', async () => {
    await call({ op: 'pause', actor: 'alice', reason: 'x' });
    f.down.add(WITNESS);
    const out = await call({ op: 'pause-status' });
    expect(out).toMatchObject({
      op: 'pause-status',
      automationEnabled: true,
      effective: true,
      majority: { paused: true, version: 1, actor: 'alice', reason: 'x' },
      copies: [
        { region: EU, paused: true, version: 1 },
        { region: US, paused: true, version: 1 },
        { region: WITNESS, error: 'UnknownEndpoint' },
      ],
    });
  });

  it('says when no majority answered, and that the local copy is unknown when it is down', async () => {
    f.down.add(EU);
    f.down.add(US);
    const out = await call({ op: 'pause-status' });
    expect(out.effective).toBe('unknown');
    expect(out.majority).toEqual({ error: 'only 1 of 3 copies answered; the majority is 2' });
    expect((out.copies as unknown[])[2]).toEqual({ region: WITNESS, paused: false, version: 0 });
  });
});

describe('readPause / pauseState (the readers)', () => {
  it('reads the local copy: absent is not paused; the deploy-time switch pauses too', async () => {
    const home = loadPauseHome(pauseEnv());
    expect(await pauseState(home, true, f.doc(EU))).toEqual({ paused: false, item: undefined });
    expect((await pauseState(home, false, f.doc(EU))).paused).toBe(true);
    await f.seed(EU, { paused: true, actor: 'a', reason: 'r', changedAt: 1, version: 2 });
    expect(await pauseState(home, true, f.doc(EU))).toMatchObject({ paused: true, item: { version: 2 } });
  });

  it('throws when the local copy cannot be read or is malformed (an automatic path then does not act)', async () => {
    const home = loadPauseHome(pauseEnv());
    f.down.add(EU);
    await expect(pauseState(home, true, f.doc(EU))).rejects.toMatchObject({ name: 'UnknownEndpoint' });
    f.down.clear();
    await f.seed(EU, { paused: 'yes' as never, version: 1 });
    await expect(pauseState(home, true, f.doc(EU))).rejects.toMatchObject({
      name: 'PauseItemInvalid',
      message: expect.stringContaining('paused'),
    });
  });
});
