import {
  ENV,
  readEnv,
  requireBooleanEnv,
  requireEnv,
  requireWholeNumberEnv,
} from '../../../functions/shared/env';
import { ConfigurationError } from '../../../functions/shared/errors';

describe('requireEnv', () => {
  it('returns the value when set', () => {
    expect(requireEnv(ENV.stateTable, { [ENV.stateTable]: 'leases' })).toBe('leases');
  });

  it.each([
    ['unset', {}],
    ['empty', { [ENV.stateTable]: '' }],
    ['blank', { [ENV.stateTable]: '   ' }],
  ])('fails fast with a ConfigurationError naming the variable when %s', (_label, env) => {
    expect(() => requireEnv(ENV.stateTable, env)).toThrow(ConfigurationError);
    expect(() => requireEnv(ENV.stateTable, env)).toThrow(
      'Missing required environment variable STATE_TABLE',
    );
  });

  it('reads process.env by default', () => {
    const saved = process.env[ENV.topicArn];
    process.env[ENV.topicArn] = 'x';
    try {
      expect(requireEnv(ENV.topicArn)).toBe('x');
      delete process.env[ENV.topicArn];
      expect(() => requireEnv(ENV.topicArn)).toThrow(ConfigurationError);
    } finally {
      if (saved === undefined) delete process.env[ENV.topicArn];
      else process.env[ENV.topicArn] = saved;
    }
  });
});

describe('readEnv', () => {
  it('returns the value as set, empty included, or undefined', () => {
    expect(readEnv(ENV.awsRegion, { AWS_REGION: 'eu-west-1' })).toBe('eu-west-1');
    expect(readEnv(ENV.awsRegion, { AWS_REGION: '' })).toBe('');
    expect(readEnv(ENV.awsRegion, {})).toBeUndefined();
  });
});

describe('requireWholeNumberEnv', () => {
  it.each([
    ['0', 0],
    ['3', 3],
    [' 60 ', 60],
  ])('reads %j as %d', (value, expected) => {
    expect(requireWholeNumberEnv(ENV.dailyBudget, { [ENV.dailyBudget]: value })).toBe(expected);
  });

  it.each(['-1', '1.5', 'three'])('refuses %j, naming the variable', (value) => {
    expect(() => requireWholeNumberEnv(ENV.dailyBudget, { [ENV.dailyBudget]: value })).toThrow(
      new ConfigurationError('DAILY_BUDGET must be a whole number >= 0'),
    );
  });

  it('refuses an unset variable like requireEnv', () => {
    expect(() => requireWholeNumberEnv(ENV.dailyBudget, {})).toThrow(
      'Missing required environment variable DAILY_BUDGET',
    );
  });
});

describe('ENV', () => {
  it('names each variable once', () => {
    const names = Object.values(ENV);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('requireBooleanEnv', () => {
  it.each([
    ['true', true],
    ['false', false],
  ])('reads %j as %s', (value, expected) => {
    expect(requireBooleanEnv(ENV.automationEnabled, { [ENV.automationEnabled]: value })).toBe(expected);
  });

  it.each(['TRUE', 'False', '1', 'yes', ' true'])('refuses %j, naming the variable', (value) => {
    expect(() => requireBooleanEnv(ENV.automationEnabled, { [ENV.automationEnabled]: value })).toThrow(
      new ConfigurationError('AUTOMATION_ENABLED must be true or false'),
    );
  });

  it('refuses an unset variable like requireEnv', () => {
    expect(() => requireBooleanEnv(ENV.automationEnabled, {})).toThrow(
      'Missing required environment variable AUTOMATION_ENABLED',
    );
  });
});
