/** `hactl status`: every part of the screen from stubbed reads; one region down; the pause fallback. */

import { servingOf } from '../../../cli/status-read';
import { type Answers, awsError, lambdaAnswer, run, stackAnswer } from './helpers';

const NOW = Date.parse('2026-12-02T04:00:00Z');

function answers(over: Answers = {}): Answers {
  return {
    'cloudWatch.DescribeAlarmsCommand': (input, region) => ({
      MetricAlarms: [
        { AlarmName: (input.AlarmNames as string[])[0], StateValue: region === 'eu-west-1' ? 'OK' : 'ALARM' },
      ],
    }),
    'dynamoDoc.GetCommand': (input, region) => {
      const key = input.Key as { pk: string; sk: string };
      if (key.sk === 'STATE') return { Item: { ...key, epoch: 7, primary: 'i-0aaa', phase: 'committed' } };
      if (key.sk.startsWith('SWITCH#')) return { Item: { ...key, serving: region === 'eu-west-1' } };
      if (key.sk === 'GATE#regional-failover')
        return { Item: { ...key, lastAt: NOW - 10 * 60_000, day: '2026-12-02', count: 1 } };
      return {};
    },
    'dynamoDoc.QueryCommand': (input) => {
      const values = input.ExpressionAttributeValues as Record<string, string>;
      expect(values[':pk']).toBe('CLUSTER#artifactory-prod');
      const prefix = values[':prefix'];
      if (prefix === 'NODE#')
        return {
          Items: [
            {
              pk: 'x',
              sk: 'NODE#i-0aaa',
              role: 'primary',
              group: 'artifactory-prod-primary',
              cert: { notAfter: '2027-03-01T00:00:00Z' },
            },
            { pk: 'x', sk: 'NODE#i-0bbb', role: 'member', group: 'artifactory-prod-members' },
          ],
        };
      if (prefix === 'LOCK#')
        return {
          Items: [
            { pk: 'x', sk: 'LOCK#cluster', owner: 'arn:…:execution:pf:run-9', expiresAt: NOW + 300_000 },
          ],
        };
      if (prefix === 'GATE#')
        return {
          Items: [
            {
              pk: 'x',
              sk: 'GATE#primary-failover',
              lastElectionAt: NOW - 5 * 60_000,
              day: '2026-12-02',
              count: 3,
            },
          ],
        };
      return { Items: [] };
    },
    'autoScaling.DescribeAutoScalingGroupsCommand': () => ({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: 'artifactory-prod-primary',
          Instances: [{ InstanceId: 'i-0aaa', LifecycleState: 'InService', HealthStatus: 'Healthy' }],
        },
        {
          AutoScalingGroupName: 'artifactory-prod-members',
          Instances: [
            { InstanceId: 'i-0bbb', LifecycleState: 'InService', HealthStatus: 'Healthy' },
            { InstanceId: 'i-0ccc', LifecycleState: 'Pending:Wait', HealthStatus: 'Healthy' },
          ],
        },
      ],
    }),
    'elbv2.DescribeTargetHealthCommand': () => ({
      TargetHealthDescriptions: [
        { Target: { Id: 'i-0aaa' }, TargetHealth: { State: 'healthy' } },
        { Target: { Id: 'i-0bbb' }, TargetHealth: { State: 'unhealthy' } },
      ],
    }),
    'sfn.ListExecutionsCommand': (input) =>
      String(input.stateMachineArn).endsWith('-primary-failover')
        ? {
            executions: [
              {
                name: 'alarm-3',
                status: 'SUCCEEDED',
                startDate: new Date(NOW - 6 * 60_000),
                stopDate: new Date(NOW - 5 * 60_000),
              },
            ],
          }
        : { executions: [] },
    'lambda.InvokeCommand': () =>
      lambdaAnswer({
        op: 'pause-status',
        automationEnabled: true,
        effective: false,
        majority: { paused: false, version: 2 },
        copies: [],
      }),
    ...over,
  };
}

describe('hactl status', () => {
  it('shows each region: serving, primary and epoch, nodes, locks, gate, pause, last runs', async () => {
    const r = await run(['status'], answers());
    expect(r.code).toBe(0);
    const out = r.out;
    expect(out).toMatch(/^cluster artifactory-prod at 2026-12-02T04:00:00Z\n/);
    expect(out).toContain('eu-west-1  serving (switch alarm OK, record on)');
    expect(out).toContain('us-east-1  evacuated (switch alarm ALARM, record off)');
    expect(out).toContain('primary i-0aaa  epoch 7 (committed)');
    expect(out).toMatch(
      /i-0aaa\s+artifactory-prod-primary\s+primary\s+InService\/Healthy\s+healthy\s+2027-03-01T00:00:00Z/,
    );
    expect(out).toMatch(/i-0bbb\s+artifactory-prod-members\s+member\s+InService\/Healthy\s+unhealthy\s+-/);
    expect(out).toMatch(/i-0ccc\s+artifactory-prod-members\s+-\s+Pending:Wait\/Healthy\s+-\s+-/);
    expect(out).toContain('locks: cluster by arn:…:execution:pf:run-9 until 2026-12-02T04:05:00Z');
    expect(out).toContain(
      'gate: primary-failover: cooldown until 2026-12-02T04:10:00Z, budget left 7; regional-failover: cooldown until 2026-12-02T04:50:00Z, budget left 9',
    );
    expect(out).toContain('pause: off');
    expect(out).toMatch(/primary-failover\s+alarm-3\s+SUCCEEDED\s+2026-12-02T03:54:00Z/);
    // reads only: no write, no op that changes anything
    const writes = r.calls.filter((c) => /Put|Update|Delete|Start|Send|Publish/.test(c.command));
    expect(writes).toEqual([]);
  });

  it('--json: one document with the documented fields; --region reads one region', async () => {
    const r = await run(['--json', '--region', 'us-east-1', 'status'], answers());
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.cluster).toBe('artifactory-prod');
    expect(doc.regions).toHaveLength(1);
    const us = doc.regions[0];
    expect(us).toMatchObject({
      region: 'us-east-1',
      stackName: 'artifactory-prod-control-plane-us-east-1',
      serving: 'evacuated',
      switchAlarm: 'ALARM',
      switchRecord: { serving: false },
      primary: 'i-0aaa',
      epoch: 7,
      phase: 'committed',
      pause: { paused: false, effective: false, source: 'pause-status' },
    });
    // by group, then instance id; the Pending:Wait instance has no node record yet
    expect(us.nodes.map((n: { instanceId: string }) => n.instanceId)).toEqual(['i-0bbb', 'i-0ccc', 'i-0aaa']);
    expect(us.nodes[1]).toEqual({
      instanceId: 'i-0ccc',
      group: 'artifactory-prod-members',
      role: '-',
      readiness: 'Pending:Wait/Healthy',
      targetHealth: '-',
      certExpiry: null,
    });
    expect(us.locks).toEqual([
      {
        name: 'cluster',
        holder: 'arn:…:execution:pf:run-9',
        expiresAt: '2026-12-02T04:05:00Z',
        expired: false,
      },
    ]);
    expect(us.gates[0]).toEqual({
      action: 'primary-failover',
      cooldownUntil: '2026-12-02T04:10:00Z',
      budgetLeft: 7,
      lastAt: '2026-12-02T03:55:00Z',
    });
    expect(us.lastRuns).toEqual([
      {
        workflow: 'primary-failover',
        name: 'alarm-3',
        status: 'SUCCEEDED',
        startedAt: '2026-12-02T03:54:00Z',
        stoppedAt: '2026-12-02T03:55:00Z',
      },
    ]);
    expect(new Set(r.calls.map((c) => c.region))).toEqual(new Set(['us-east-1']));
  });

  it('one region whose stack is missing is shown with its error; the other is read (exit 0)', async () => {
    const r = await run(
      ['status'],
      answers({
        'cloudFormation.DescribeStacksCommand': (input, region) => {
          if (region === 'us-east-1')
            throw awsError('ValidationError', `Stack with id ${String(input.StackName)} does not exist`);
          return stackAnswer(input, region);
        },
      }),
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('eu-west-1  serving');
    expect(r.out).toContain(
      'cannot read: stack artifactory-prod-control-plane-us-east-1 not found in us-east-1: deploy it (npm run deploy) or check --config',
    );
  });

  it('every region unreadable: the first error, one line, exit 4', async () => {
    const r = await run(
      ['status'],
      answers({
        'cloudFormation.DescribeStacksCommand': (input) => {
          throw awsError('ValidationError', `Stack with id ${String(input.StackName)} does not exist`);
        },
      }),
    );
    expect(r.code).toBe(4);
    expect(r.err).toBe(
      'hactl: stack artifactory-prod-control-plane-eu-west-1 not found in eu-west-1: deploy it (npm run deploy) or check --config\n',
    );
  });

  it('the operations Lambda failing: the pause from the local routing table copy', async () => {
    const r = await run(
      ['--json', '--region', 'eu-west-1', 'status'],
      answers({
        'lambda.InvokeCommand': () => lambdaAnswer({ errorType: 'Error', errorMessage: 'boom' }, 'Unhandled'),
        'dynamoDoc.GetCommand': (input) => {
          const key = input.Key as { pk: string; sk: string };
          expect(input.TableName).not.toBe('');
          if (key.sk === 'PAUSE') {
            expect(input.TableName).toBe('artifactory-prod-routing');
            return { Item: { ...key, paused: true, version: 5 } };
          }
          return {};
        },
      }),
    );
    expect(r.code).toBe(0);
    const eu = JSON.parse(r.out).regions[0];
    expect(eu.pause).toEqual({ paused: true, effective: true, source: 'routing table copy' });
    expect(eu.primary).toBeNull();
    expect(eu.switchRecord).toBeNull();
  });
});

describe('servingOf: a region serves as Route 53 sees its switch', () => {
  it.each([
    ['OK', undefined, 'serving'],
    ['OK', false, 'serving'],
    ['ALARM', undefined, 'evacuated'],
    ['ALARM', true, 'evacuated'],
    ['INSUFFICIENT_DATA', undefined, 'serving'],
    ['INSUFFICIENT_DATA', true, 'serving'],
    ['INSUFFICIENT_DATA', false, 'evacuated'],
    [undefined, undefined, 'unknown'],
  ] as const)('alarm %s, record %s: %s', (alarm, recorded, expected) => {
    expect(servingOf(alarm, recorded)).toBe(expected);
  });
});
