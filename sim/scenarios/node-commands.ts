/**
 * node-command's cost and its wait without polling (issue 12): a node command waits on SSM's status event
 * through a task token, so it costs a handful of state transitions, and a lost event costs one round of the
 * wait, not the command.
 */

import { DetailTypes } from '../../functions/shared/event-envelope';
import { definitionText } from '../../infra/workflow-definitions';
import type { ExecutionRecord } from '../core/world';
import type { Twin } from '../twin';
import { expectReadinessWaitBound, PROBE_ROUND_MAX_MS } from './bounds';
import { expectSerialStarts } from './restart-checks';
import { expectThat, MINUTE, type Scenario, type ScenarioResult } from './types';

/** Issue 12's budget: a node command costs at most this many state transitions, even one that times out. */
export const NODE_COMMAND_TRANSITION_BUDGET = 20;

/** The SSM event node-command waits on. */
export const COMMAND_STATUS_EVENT = DetailTypes.commandInvocationStatusChange;

/** node-command's wait: one round lasts the wait Task's TimeoutSeconds (statemachines/node-command.asl.json). */
export function nodeCommandRoundMs(): number {
  const d = JSON.parse(definitionText('node-command')) as {
    States: { WaitForNodeCommand: { TimeoutSeconds: number } };
  };
  return d.States.WaitForNodeCommand.TimeoutSeconds * 1000;
}

const nodeCommands = (twin: Twin): ExecutionRecord[] =>
  twin.world.executions.filter((e) => e.stateMachine === 'node-command' && e.status !== 'RUNNING');

/**
 * Every node-command execution kept issue 12's budget (its transitions as Step Functions bills them, retries
 * included); returns how many ran and the most one cost.
 */
export function expectNodeCommandBudget(twin: Twin): ScenarioResult {
  const runs = nodeCommands(twin);
  const over = runs.filter((e) => e.transitions > NODE_COMMAND_TRANSITION_BUDGET);
  expectThat(
    over.length === 0,
    `node-command executions over the budget of ${NODE_COMMAND_TRANSITION_BUDGET} transitions: ${over
      .map((e) => `${String((e.input as { document?: string }).document)} ${e.status} ${e.transitions}`)
      .join(', ')}`,
  );
  return {
    'node-command executions': runs.length,
    'most transitions of one node-command': Math.max(0, ...runs.map((e) => e.transitions)),
  };
}

interface Ended {
  readonly execution: ExecutionRecord;
  readonly endedAt: number;
}

/** Each finished node-command with when SSM says its command's invocation ended. */
async function endedCommands(twin: Twin, region: string): Promise<Ended[]> {
  const out: Ended[] = [];
  for (const e of nodeCommands(twin)) {
    const input = e.input as { document: string; instanceId: string };
    const { CommandInvocations = [] } = (await twin.world.call(region, 'ssm', 'ListCommandInvocations', {
      InstanceId: input.instanceId,
      Details: true,
    })) as {
      CommandInvocations?: {
        DocumentName?: string;
        RequestedDateTime?: Date;
        CommandPlugins?: { ResponseFinishDateTime?: Date }[];
      }[];
    };
    const sent = CommandInvocations.find(
      (c) =>
        c.DocumentName === input.document &&
        (c.RequestedDateTime?.getTime() ?? 0) >= e.startedAt &&
        (c.RequestedDateTime?.getTime() ?? 0) <= (e.stoppedAt ?? 0),
    );
    const finished = sent?.CommandPlugins?.[0]?.ResponseFinishDateTime?.getTime();
    if (finished !== undefined && finished <= (e.stoppedAt ?? 0))
      out.push({ execution: e, endedAt: finished });
  }
  return out;
}

/**
 * node-command's promise with its events lost: a command that ended is noticed within one round of the wait
 * (the next attempt reads the invocation), and the wait costs one transition per round, not per poll: the
 * send, the wait Task, one retry per round that ran out, and the Fail state of a failed command.
 */
export async function expectCommandsNoticedInOneRound(twin: Twin, region: string): Promise<ScenarioResult> {
  const roundMs = nodeCommandRoundMs();
  const ended = await endedCommands(twin, region);
  let slowestMs = 0;
  for (const { execution: e, endedAt } of ended) {
    const what = `${String((e.input as { document?: string }).document)} (${e.name})`;
    const late = (e.stoppedAt as number) - endedAt;
    slowestMs = Math.max(slowestMs, late);
    expectThat(
      late <= roundMs + 5_000,
      `${what} noticed its command's end ${Math.round(late / 1000)} s late (bound: one round, ${roundMs / 1000} s)`,
    );
    const rounds = Math.floor(((e.stoppedAt as number) - e.startedAt) / roundMs);
    const allowed = 2 + rounds + (e.status === 'FAILED' ? 1 : 0);
    expectThat(
      e.transitions <= allowed,
      `${what} cost ${e.transitions} transitions over ${rounds} lapsed round(s) of its wait (at most ${allowed})`,
    );
  }
  expectThat(ended.length > 0, 'node-command ran commands that ended');
  return {
    'commands noticed': ended.length,
    'slowest notice': `${Math.round(slowestMs / 1000)} s after the command ended`,
  };
}

export const commandEventsLost: Scenario = {
  name: 'command-events-lost',
  title:
    "A member joins while every SSM command status event is lost: each wait's next round reads the command",
  description:
    "EventBridge loses every 'EC2 Command Invocation Status-change Notification' (best effort delivery) while a member joins. node-command's wait Task registers its task token and reads the invocation once per round (60 s): each command the event should have announced is noticed at the next round, at most one round after it ended, for one transition per round. The join configures, starts, probes and completes its lifecycle action; its readiness wait keeps its bound with each probe allowed one round more.",
  async run(twin, say) {
    const region = twin.world.regionNames[0] as string;
    const group = twin.layout.regions.get(region)?.memberGroup as string;
    twin.world.faults.event({ region, detailType: COMMAND_STATUS_EVENT, mode: 'lose', times: 10_000 });
    await twin.run(2 * MINUTE);
    say(`${group}: desired capacity 2 -> 3 while every command status event is lost`);
    const start = twin.world.clock.now();
    await twin.world.call(region, 'autoscaling', 'SetDesiredCapacity', {
      AutoScalingGroupName: group,
      DesiredCapacity: 3,
    });
    const inService = () =>
      twin.world
        .region(region)
        .autoscaling.groupInstances(group)
        .filter((i) => i.state === 'InService').length;
    await twin.runUntil(
      () => inService() === 3 && twin.world.executions.every((e) => e.status !== 'RUNNING'),
      60 * MINUTE,
      'the new member in service',
    );
    const lost = twin.world
      .region(region)
      .events.deliveries.filter((d) => d.detailType === COMMAND_STATUS_EVENT && d.outcome === 'lost');
    expectThat(lost.length > 0, 'command status events were lost (the fault bit)');
    const delivered = twin.world
      .region(region)
      .events.deliveries.filter((d) => d.detailType === COMMAND_STATUS_EVENT && d.outcome === 'succeeded');
    expectThat(delivered.length === 0, `no command status event was delivered (got ${delivered.length})`);
    const bootstraps = twin.world.executions.filter((e) => e.stateMachine === 'node-bootstrap');
    expectThat(
      bootstraps.length === 1 && bootstraps[0]?.status === 'SUCCEEDED',
      `the member's bootstrap succeeded (${bootstraps.map((e) => e.status).join(', ')})`,
    );
    expectSerialStarts(twin, region);
    const noticed = await expectCommandsNoticedInOneRound(twin, region);
    const readiness = expectReadinessWaitBound(twin, region, PROBE_ROUND_MAX_MS + nodeCommandRoundMs());
    say(
      `the member joined in ${((twin.world.clock.now() - start) / MINUTE).toFixed(1)} min without one event`,
    );
    return {
      'time to join': `${((twin.world.clock.now() - start) / MINUTE).toFixed(1)} min`,
      'events lost': lost.length,
      ...noticed,
      ...expectNodeCommandBudget(twin),
      'readiness waits': readiness.waits,
    };
  },
};

export const NODE_COMMAND_SCENARIOS: readonly Scenario[] = [commandEventsLost];
