import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { pauseKey, readinessKey, routingGateKey, switchKey } from '../../../functions/core/keys';
import { handler } from '../../../functions/routing/handler';
import type { Plan } from '../../../functions/routing/plan';
import { ENV } from '../../../functions/shared/env';
import { EU, exec, routingFixture, tableOf, US, VOTERS, WITNESS } from './routing-fixture';

const f = routingFixture();
const E = exec('plan');
const HEALTHY = { [EU]: ['i-e1', 'i-e2'], [US]: ['i-u1', 'i-u2'] };
const PRIMARY = { [EU]: ['i-e1'], [US]: ['i-u1'] };

const putAll = async (item: Record<string, unknown>) => {
  for (const v of VOTERS) await f.table(v).send(new PutCommand({ TableName: tableOf(v), Item: item }));
};
const readiness = (region: string, minutesAgo = 10, over: Record<string, unknown> = {}) =>
  putAll({
    ...readinessKey('prod', region),
    at: new Date(f.clock.now - minutesAgo * 60_000).toISOString(),
    ready: true,
    servingNodes: 2,
    checks: [
      { name: 'certificates', ok: true, detail: '80 days' },
      { name: 'replication', ok: true, detail: 'skipped: no repositories' },
    ],
    ...over,
  });
const planEu = (over: Record<string, unknown> = {}) =>
  f.call({
    op: 'plan',
    action: 'evacuate',
    region: EU,
    reason: 'test',
    trigger: 'manual',
    execution: E,
    ...over,
  } as never) as Promise<Plan>;
const byName = (checks: { name: string; ok: boolean }[], name: string) =>
  checks.filter((c) => c.name === name);

describe('plan: evacuate', () => {
  it('goes when the other region serves and is ready, with the expected times explained', async () => {
    f.stage({ healthy: HEALTHY, primary: PRIMARY });
    await readiness(US);
    await readiness(EU);
    const p = await planEu();
    expect(p).toMatchObject({
      verdict: 'go',
      breakGlass: false,
      serving: { [EU]: 'serving', [US]: 'serving' },
      servingAfter: 1,
      driver: 'cloudwatch-switch',
      expected: { exclusionSeconds: 60 + 90 + 60, floorSeconds: 60 + 90 + 60 },
    });
    expect(p.checks.map((c) => c.name)).toEqual([
      'min-serving-regions',
      'flip-wait',
      'capacity',
      'primary',
      'certificates',
      'replication',
    ]);
    expect(p.checks.every((c) => c.ok)).toBe(true);
    expect(p.summary).toContain('evacuate eu-west-1 (manual): go');
  });

  it('adds the degraded alarm evaluation to the floor of an automatic run, and passes the gate', async () => {
    f.stage({ healthy: HEALTHY, primary: PRIMARY });
    await readiness(US);
    const p = await planEu({ trigger: 'automatic' });
    expect(p.expected.floorSeconds).toBe(300 + 210);
    expect(byName(p.checks, 'gate')).toEqual([expect.objectContaining({ ok: true })]);
  });

  it('refuses to evacuate the last serving region, even forced', async () => {
    f.stage({ healthy: { [EU]: ['i-e1'] }, primary: PRIMARY });
    await readiness(US);
    for (const force of [false, true]) {
      const p = await planEu({ force });
      expect(p.verdict).toBe('refused');
      expect(p.servingAfter).toBe(0);
      expect(p.reasons[0]).toContain('min-serving-regions');
      expect(p.breakGlass).toBe(false);
    }
  });

  it('refuses when the receiving region lacks capacity; force makes it a break-glass go', async () => {
    f.stage({ healthy: { [EU]: ['i-e1', 'i-e2', 'i-e3'], [US]: ['i-u1'] }, primary: PRIMARY });
    await readiness(US);
    const refused = await planEu();
    expect(refused.verdict).toBe('refused');
    expect(refused.reasons).toEqual([expect.stringContaining('capacity')]);
    const forced = await planEu({ force: true });
    expect(forced).toMatchObject({ verdict: 'go', breakGlass: true });
    expect(forced.summary).toContain('BREAK-GLASS');
  });

  it("uses the evacuated region's last recorded load when it serves little now", async () => {
    f.stage({ healthy: { [US]: ['i-u1', 'i-u2'] }, primary: PRIMARY });
    await readiness(US);
    await readiness(EU, 10, { servingNodes: 4 });
    const p = await planEu();
    expect(byName(p.checks, 'capacity')[0]).toMatchObject({ ok: false });
  });

  it('fails recorded checks as stale beyond 2 x the evaluation period, or missing', async () => {
    f.stage({ healthy: HEALTHY, primary: PRIMARY });
    let p = await planEu();
    expect(byName(p.checks, 'certificates')[0]).toMatchObject({
      ok: false,
      detail: 'no readiness evaluation recorded',
    });
    await readiness(US, 121);
    p = await planEu();
    expect(p.verdict).toBe('refused');
    expect(byName(p.checks, 'certificates')[0]).toMatchObject({
      ok: false,
      detail: expect.stringContaining('stale'),
    });
  });

  it('refuses without a healthy primary in the receiving region (legacy)', async () => {
    f.stage({ healthy: HEALTHY, primary: { [US]: ['i-dead'] } });
    await readiness(US);
    const p = await planEu();
    expect(byName(p.checks, 'primary')[0]).toMatchObject({ ok: false, region: US });
  });

  it('has nothing to do when the switch is already off', async () => {
    f.stage({ healthy: HEALTHY, primary: PRIMARY, alarms: { [`${US}/${EU}`]: 'ALARM' } });
    await readiness(US);
    expect((await planEu()).verdict).toBe('nothing-to-do');
  });

  it('refuses within the wait between flips (force overrides it)', async () => {
    f.stage({ healthy: HEALTHY, primary: PRIMARY });
    await readiness(US);
    await putAll({
      ...switchKey('prod', EU),
      serving: true,
      epoch: 1,
      changedAt: new Date(f.clock.now - 5 * 60_000).toISOString(),
    });
    const p = await planEu();
    expect(p.verdict).toBe('refused');
    expect(p.reasons[0]).toContain('flip-wait');
    expect((await planEu({ force: true })).breakGlass).toBe(true);
  });

  it('makes an automatic run wait out the wait between flips, and refuses one whose region is healthy again', async () => {
    f.stage({
      healthy: HEALTHY,
      primary: PRIMARY,
      degraded: { [EU]: { state: 'ALARM', since: f.clock.now } },
    });
    await readiness(US);
    await putAll({
      ...switchKey('prod', EU),
      serving: true,
      epoch: 1,
      changedAt: new Date(f.clock.now - 4 * 60_000).toISOString(),
    });
    const p = await planEu({ trigger: 'automatic' });
    expect(p).toMatchObject({ verdict: 'wait', waitUntil: new Date(f.clock.now + 6 * 60_000).toISOString() });
    expect(byName(p.checks, 'still-degraded')[0]).toMatchObject({ ok: true });
    f.stage({ healthy: HEALTHY, primary: PRIMARY, degraded: { [EU]: { state: 'OK', since: f.clock.now } } });
    const healthy = await planEu({ trigger: 'automatic' });
    expect(healthy.verdict).toBe('refused');
    expect(healthy.reasons).toEqual([expect.stringContaining('still-degraded')]);
  });

  it('holds automatic runs to the gate: paused, cooldown, budget', async () => {
    f.stage({ healthy: HEALTHY, primary: PRIMARY });
    await readiness(US);
    f.configure({ automationEnabled: false });
    expect((await planEu({ trigger: 'automatic' })).reasons[0]).toContain('automation is paused');
    f.configure({});
    await putAll({ ...routingGateKey('prod'), lastAt: f.clock.now - 60_000, day: '2026-06-01', count: 1 });
    expect((await planEu({ trigger: 'automatic' })).reasons[0]).toContain('cooldown');
    await putAll({
      ...routingGateKey('prod'),
      lastAt: f.clock.now - 7_200_000,
      day: '2026-06-01',
      count: 10,
    });
    expect((await planEu({ trigger: 'automatic' })).reasons[0]).toContain('budget');
    // A manual run is not gated.
    expect((await planEu()).verdict).toBe('go');
  });

  it('holds automatic runs and the live drill while an operator paused automation (the PAUSE item)', async () => {
    f.stage({ healthy: HEALTHY, primary: PRIMARY });
    await readiness(US);
    const pause = { ...pauseKey('prod'), paused: true, reason: 'maintenance', actor: 'alice', changedAt: 1 };
    // Only this region's copy is read: the witness's stale copy says otherwise and does not count.
    await f.table(EU).send(new PutCommand({ TableName: tableOf(EU), Item: { ...pause, version: 2 } }));
    await f
      .table(WITNESS)
      .send(new PutCommand({ TableName: tableOf(WITNESS), Item: { ...pause, paused: false, version: 1 } }));
    const automatic = await planEu({ trigger: 'automatic' });
    expect(automatic.verdict).toBe('refused');
    expect(automatic.reasons[0]).toContain('automation is paused');
    const drill = await planEu({ trigger: 'drill', canary: true });
    expect(drill.verdict).toBe('refused');
    expect(drill.reasons).toEqual([expect.stringContaining('the live drill flips nothing')]);
    // The drill's dry run changes nothing and reads no pause; the operator's run is never held.
    expect((await planEu({ trigger: 'drill', canary: true, dryRun: true })).reasons.join(' ')).not.toContain(
      'paused',
    );
    expect((await planEu()).verdict).toBe('go');
  });
});

describe('plan: restore', () => {
  const restore = (trigger = 'automatic') => planEu({ action: 'restore', trigger });
  const evacuated = { [`${US}/${EU}`]: 'ALARM' as const };

  it('waits for the hysteresis window, then goes; refuses while the region is degraded', async () => {
    await readiness(EU);
    await readiness(US);
    f.stage({
      healthy: HEALTHY,
      primary: PRIMARY,
      alarms: evacuated,
      degraded: { [EU]: { state: 'OK', since: f.clock.now - 10 * 60_000 } },
    });
    const waiting = await restore();
    expect(waiting.verdict).toBe('wait');
    expect(waiting.waitUntil).toBe(new Date(f.clock.now + 20 * 60_000).toISOString());
    f.stage({
      healthy: HEALTHY,
      primary: PRIMARY,
      alarms: evacuated,
      degraded: { [EU]: { state: 'OK', since: f.clock.now - 40 * 60_000 } },
    });
    expect((await restore()).verdict).toBe('go');
    f.stage({
      healthy: HEALTHY,
      primary: PRIMARY,
      alarms: evacuated,
      degraded: { [EU]: { state: 'ALARM', since: f.clock.now - 40 * 60_000 } },
    });
    expect((await restore()).verdict).toBe('refused');
  });

  it("checks the region's own readiness; a manual restore has no hysteresis", async () => {
    await readiness(EU, 10, {
      checks: [
        { name: 'certificates', ok: false, detail: '2 days' },
        { name: 'replication', ok: true, detail: 'skipped' },
      ],
    });
    f.stage({ healthy: HEALTHY, primary: PRIMARY, alarms: evacuated });
    const p = await restore('manual');
    expect(byName(p.checks, 'hysteresis')).toEqual([]);
    expect(p.verdict).toBe('refused');
    expect(p.reasons).toEqual([expect.stringContaining('certificates (eu-west-1)')]);
  });
});

describe('bad input changes nothing', () => {
  const context = { awsRequestId: 'r', functionName: 'routing' } as Context;
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('refuses an unknown region, naming the cluster regions, before any call', async () => {
    await expect(planEu({ region: 'ap-south-1' })).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('eu-west-1, us-east-1'),
    });
  });

  it('refuses force on an automatic run, and a reason over 500 characters (schema)', async () => {
    process.env[ENV.routingSettings] = JSON.stringify({});
    const base = {
      op: 'plan',
      action: 'evacuate',
      region: EU,
      reason: 'x',
      trigger: 'automatic',
      execution: E,
    };
    await expect(handler({ ...base, force: true }, context)).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('force'),
    });
    await expect(handler({ ...base, reason: 'x'.repeat(501) }, context)).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('reason'),
    });
    await expect(handler({ op: 'flip', region: EU }, context)).rejects.toMatchObject({
      name: 'ValidationError',
    });
  });

  it('refuses a readiness op for another region, and a canary when none is configured', async () => {
    await expect(f.call({ op: 'assess', region: US })).rejects.toMatchObject({ name: 'ValidationError' });
    f.configure({ canary: false });
    await expect(planEu({ canary: true })).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('canary'),
    });
  });

  it('fails ConfigurationError on missing or malformed settings', async () => {
    f.setEnv({});
    await expect(planEu()).rejects.toMatchObject({ name: 'ConfigurationError' });
    f.setEnv({ [ENV.routingSettings]: '{' });
    await expect(planEu()).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringContaining('not JSON'),
    });
    f.setEnv({ [ENV.routingSettings]: JSON.stringify({ cluster: 'prod' }) });
    await expect(planEu()).rejects.toMatchObject({ message: expect.stringContaining('regions') });
  });
});
