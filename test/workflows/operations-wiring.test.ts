/**
 * Issue 15's twin wiring (sim/deploy-operations.ts): the twin deploys what the CDK construct deploys, from the
 * same specs — every alarm of §1, the dead-letter queue, every rule target's DLQ and retry policy, the
 * event-driven functions' asynchronous settings and on-failure destination, the run-status rule over every state
 * machine, the operations Lambda's environment — and an idle, healthy region raises none of those alarms.
 */
import {
  ASYNC_INVOKE,
  allFunctionAlarmSpecs,
  EVENT_DRIVEN_FUNCTIONS,
  operationsAlarmSpecs,
  RULE_TARGET_RETRY,
  runStatusRuleName,
  WORKFLOW_NAMES,
} from '../../infra/operations';
import { deadLetterQueueName } from '../../infra/stacks/names';
import { EventBridgeSim } from '../../sim/services/events';
import { Twin } from '../../sim/twin';

jest.setTimeout(240_000);

type RuleCall = {
  name: string;
  pattern?: { detail?: { stateMachineArn?: string[] } };
  deadLetterQueue?: string;
  retryPolicy?: { maximumRetryAttempts: number; maximumEventAgeSeconds: number };
};
const rules: RuleCall[] = [];
let twin: Twin;

beforeAll(async () => {
  // Every rule and schedule the deployment puts, as put (the twin keeps its rules private).
  for (const method of ['putRule', 'putSchedule'] as const) {
    const original = EventBridgeSim.prototype[method] as (this: EventBridgeSim, rule: RuleCall) => void;
    jest.spyOn(EventBridgeSim.prototype, method).mockImplementation(function (
      this: EventBridgeSim,
      rule: unknown,
    ) {
      rules.push(rule as RuleCall);
      return original.call(this, rule as RuleCall);
    });
  }
  twin = await Twin.start({ seed: 1 });
});
afterAll(async () => {
  await twin?.stop();
  jest.restoreAllMocks();
});

describe('the twin deploys issue 15 as the stack does', () => {
  it('every alarm of §1 in every region, exactly as the spec says', () => {
    const config = twin.world.config;
    for (const region of twin.world.regionNames) {
      const cw = twin.world.region(region).cloudwatch;
      const specs = [
        ...allFunctionAlarmSpecs(config, region, (fn) => `${config.cluster.name}-${fn}`),
        ...operationsAlarmSpecs(config, region),
      ];
      expect(specs).toHaveLength(2 * 11 + 8);
      for (const spec of specs)
        expect({ name: spec.name, spec: cw.alarmSpec(spec.name) }).toMatchObject({ name: spec.name, spec });
      expect(twin.controlPlane.get(region)?.operations.alarms).toEqual(specs.map((s) => s.name));
    }
  });

  it('the queue, every rule target’s DLQ and retry policy, and the async functions’ destination', () => {
    const config = twin.world.config;
    for (const region of twin.world.regionNames) {
      const ops = twin.controlPlane.get(region)?.operations;
      expect(twin.world.region(region).sqs.queueUrl(deadLetterQueueName(config))).toBe(
        ops?.deadLetterQueueUrl,
      );
      const arn = ops?.deadLetterQueueArn as string;
      for (const fn of EVENT_DRIVEN_FUNCTIONS) {
        const fnArn = twin.lambda.arnOf(region, `${config.cluster.name}-${fn}`);
        expect({ fn, config: twin.lambda.async.configOf(fnArn) }).toEqual({
          fn,
          config: {
            maximumRetryAttempts: ASYNC_INVOKE.maximumRetryAttempts,
            maximumEventAgeSeconds: ASYNC_INVOKE.maximumEventAgeSeconds,
            onFailure: arn,
          },
        });
      }
    }
    const regional = rules.filter((r) => r.deadLetterQueue !== undefined || r.retryPolicy !== undefined);
    // Every rule of the control plane (the twin's own AWS-side rules excepted) has the DLQ.
    const ours = rules.filter((r) => r.name.startsWith(`${config.cluster.name}-`));
    // Lifecycle, command status, sweep, watch, primary alarm, degraded alarm, census, readiness, drill, run status.
    expect(ours.length).toBe(10 * twin.world.regionNames.length);
    for (const rule of ours) {
      expect({
        name: rule.name,
        dlq: rule.deadLetterQueue?.endsWith(`:${deadLetterQueueName(config)}`),
      }).toEqual({
        name: rule.name,
        dlq: true,
      });
      expect(rule.retryPolicy?.maximumRetryAttempts).toBe(RULE_TARGET_RETRY.maximumRetryAttempts);
    }
    expect(regional.length).toBeGreaterThanOrEqual(ours.length);
    const status = ours.find((r) => r.name === runStatusRuleName(config));
    expect(status?.pattern?.detail?.stateMachineArn).toHaveLength(WORKFLOW_NAMES.length);
  });

  it('the operations Lambda with its environment: the queue, the allow-list, every voter’s table', () => {
    const config = twin.world.config;
    const region = twin.world.regionNames[0] as string;
    const ops = twin.controlPlane.get(region)?.operations;
    const fn = twin.lambda.lookup(ops?.operationsArn as string);
    expect(fn?.environment.DEAD_LETTER_QUEUE_URL).toBe(ops?.deadLetterQueueUrl);
    const targets = JSON.parse(fn?.environment.REPLAY_TARGETS ?? '{}') as { functions: string[] };
    expect(targets.functions).toEqual(
      EVENT_DRIVEN_FUNCTIONS.map((f) => twin.lambda.arnOf(region, `${config.cluster.name}-${f}`)),
    );
    expect(Object.keys(JSON.parse(fn?.environment.PAUSE_TABLES ?? '{}'))).toEqual([
      ...config.regions.map((r) => r.name),
      config.failover.witnessRegion,
    ]);
    expect(ops?.dashboard?.name).toBe(`${config.cluster.name}-${region}`);
  });

  it('an idle, healthy quarter hour raises none of them (the watch publishes, nothing fails)', async () => {
    await twin.run(15 * 60_000);
    const config = twin.world.config;
    for (const region of twin.world.regionNames) {
      const cw = twin.world.region(region).cloudwatch;
      const raised = (twin.controlPlane.get(region)?.operations.alarms ?? []).filter(
        (name) => cw.alarmState(name) === 'ALARM',
      );
      expect({ region, raised }).toEqual({ region, raised: [] });
      expect(cw.alarmState(`${config.cluster.name}-${region}-watch-silent`)).toBe('OK');
    }
  });

  it('a silent watch raises watch-silent within 7 minutes and starts no failover', async () => {
    const config = twin.world.config;
    const region = twin.world.regionNames[0] as string;
    const r = twin.world.region(region);
    const stoppedAt = twin.world.clock.now();
    await r.services.events?.api.DisableRule?.({ Name: `${config.cluster.name}-primary-watch` });
    const silent = `${config.cluster.name}-${region}-watch-silent`;
    await twin.runUntil(() => r.cloudwatch.alarmState(silent) === 'ALARM', 10 * 60_000, 'watch-silent');
    // Floor: the rule's disable applying, the last tick's minute, 3 silent minutes, the evaluation at minute end.
    expect(twin.world.clock.now() - stoppedAt).toBeLessThanOrEqual(7 * 60_000);
    expect(r.cloudwatch.alarmState(`${config.cluster.name}-${region}-primary-unhealthy`)).not.toBe('ALARM');
    expect(
      twin.world.executions.filter(
        (e) => e.stateMachine.includes('primary-failover') && e.startedAt >= stoppedAt,
      ),
    ).toEqual([]);
  });
});
