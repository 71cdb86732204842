import { loadRoutingSettings } from '../../functions/routing/settings';
import { ENV } from '../../functions/shared/env';
import { parseConfig } from '../../infra/config/load';
import { routingEnvironment, routingSettings } from '../../infra/routing';
import { routingTableName, switchAlarmName } from '../../infra/stacks/names';
import { EXAMPLE_CONFIG_PATH, exampleConfig, exampleRaw } from './helpers';

const config = exampleConfig();
const tables = { 'eu-west-1': 't-eu', 'us-east-1': 't-us', 'us-west-2': 't-witness' };

describe('routingEnvironment', () => {
  it("is what the routing Lambda's settings loader accepts, for every region", () => {
    for (const r of config.regions) {
      const env = routingEnvironment(config, r, tables, { stateTable: 'state', account: '111122223333' });
      const s = loadRoutingSettings(env);
      expect(s).toMatchObject({
        cluster: 'artifactory-prod',
        region: r.name,
        account: '111122223333',
        voters: ['eu-west-1', 'us-east-1', 'us-west-2'],
        quorum: 2,
        tables,
        driver: 'cloudwatch-switch',
        cooldownMinutes: config.automation.cooldownMinutes.regionalFailover,
        canary: false,
        stateTable: 'state',
      });
      expect(s.regions.map((x) => x.switchAlarmName)).toEqual(
        config.regions.map((x) => switchAlarmName(config, x.name)),
      );
      expect(s.regions.every((x) => x.canarySwitchAlarmName === undefined)).toBe(true);
    }
  });

  it('names the canary switch alarms when a canary record is configured', () => {
    const raw = exampleRaw() as { failover: { drill: Record<string, unknown> } };
    raw.failover.drill.canaryRecordName = 'canary.example.com';
    const c = parseConfig(raw, EXAMPLE_CONFIG_PATH);
    const s = routingSettings(c, 'eu-west-1', tables, { stateTable: 'state', account: '111122223333' });
    expect(s.canary).toBe(true);
    expect(s.regions[0]?.canarySwitchAlarmName).toBe('artifactory-prod-eu-west-1-canary-serving');
  });

  it('refuses a missing voter table and an unknown account', () => {
    expect(() =>
      routingEnvironment(
        config,
        'eu-west-1',
        { 'eu-west-1': 'x', 'us-east-1': 'y' },
        { stateTable: 's', account: '111122223333' },
      ),
    ).toThrow('no routing table for us-west-2');
    expect(() => routingEnvironment(config, 'eu-west-1', tables, { stateTable: 's' })).toThrow(
      'account is unknown',
    );
    expect(
      loadRoutingSettings(
        routingEnvironment({ ...config, account: '444455556666' }, 'eu-west-1', tables, { stateTable: 's' }),
      ).account,
    ).toBe('444455556666');
    const named = Object.fromEntries(Object.keys(tables).map((r) => [r, routingTableName(config)]));
    expect(() =>
      routingEnvironment({ ...config, account: undefined }, 'eu-west-1', named, {
        stateTable: 's',
        account: 'Token[AWS.AccountId.1]',
      }),
    ).not.toThrow();
  });

  it('is refused by the loader when its cross-field rules break', () => {
    const s = routingSettings(config, 'eu-west-1', tables, { stateTable: 'state', account: '111122223333' });
    const load = (over: Record<string, unknown>) =>
      loadRoutingSettings({ [ENV.routingSettings]: JSON.stringify({ ...s, ...over }) });
    expect(() => load({ region: 'ap-south-1' })).toThrow('not among regions');
    expect(() => load({ tables: { 'eu-west-1': 'x' } })).toThrow('no routing table for voter us-east-1');
    expect(() => load({ quorum: 3 })).toThrow('majority');
    expect(() => load({ driver: 'dns' })).toThrow('driver');
  });
});
