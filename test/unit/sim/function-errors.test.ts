import type { LambdaInvocation } from '../../../sim/runner/lambda';
import { SCENARIOS } from '../../../sim/scenarios';
import { functionErrors, HEALTHY_SCENE_NAMES } from '../../../sim/scenarios/function-errors';

const call = (functionName: string, error?: string): LambdaInvocation => ({
  at: 0,
  region: 'eu-west-1',
  functionName,
  memoryMb: 512,
  durationMs: 1,
  ...(error !== undefined ? { error } : {}),
});

describe('function errors of the healthy scenes', () => {
  it('names only scenes that exist, each once', () => {
    const names = SCENARIOS.map((s) => s.name);
    expect(HEALTHY_SCENE_NAMES.filter((n) => !names.includes(n))).toEqual([]);
    expect(new Set(HEALTHY_SCENE_NAMES).size).toBe(HEALTHY_SCENE_NAMES.length);
  });

  it('counts every failed invocation by function and error name, and nothing that succeeded', () => {
    expect(functionErrors([call('c-lease'), call('c-report')])).toEqual({});
    expect(
      functionErrors([
        call('c-lease', 'LeaseHeld'),
        call('c-lease'),
        call('c-lease', 'LeaseHeld'),
        call('c-failover', 'StaleEpoch'),
      ]),
    ).toEqual({ 'c-lease: LeaseHeld': 2, 'c-failover: StaleEpoch': 1 });
  });

  it("leaves out only the command Lambda's TransientError (SSM not showing the invocation yet)", () => {
    expect(
      functionErrors([
        call('c-command', 'TransientError'),
        call('c-command', 'CommandFailed'),
        call('c-lease', 'TransientError'),
      ]),
    ).toEqual({ 'c-command: CommandFailed': 1, 'c-lease: TransientError': 1 });
  });
});
