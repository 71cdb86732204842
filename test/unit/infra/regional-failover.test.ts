import { ConfigSchema } from '../../../infra/config/schema';
import {
  APPROVAL_TIMEOUT_MAX_MINUTES,
  drillInput,
  type RegionalFailoverRefs,
  readinessScheduleExpression,
  regionalFailoverStateMachineName,
  regionalFailoverSubstitutions,
} from '../../../infra/regional-failover';
import { exampleConfig, exampleRaw } from '../../infra/helpers';

const refs: RegionalFailoverRefs = {
  clusterName: 'artifactory-prod',
  region: 'eu-west-1',
  routingFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:routing',
  reportFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:report',
  nodeCommandStateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:node-command',
  topicArn: 'arn:aws:sns:eu-west-1:111122223333:ops',
  stateMachineArn: (name) => `arn:aws:states:eu-west-1:111122223333:stateMachine:${name}`,
  approvalRequired: true,
  approvalTimeoutMinutes: 45,
  readReplicationStatusDocument: 'artifactory-prod-ReadReplicationStatus',
};

describe('regional-failover substitutions', () => {
  it('gives each workflow exactly the placeholders it uses', () => {
    const s = regionalFailoverSubstitutions(refs);
    expect(Object.keys(s['regional-failover']).sort()).toEqual([
      'ApprovalRequired',
      'ApprovalTimeoutSeconds',
      'ClusterName',
      'Region',
      'RegionalFailoverApprovalStateMachineArn',
      'RegionalFailoverSwitchStateMachineArn',
      'ReportFunctionArn',
      'RoutingFunctionArn',
    ]);
    expect(s['regional-failover'].ApprovalRequired).toBe('true');
    expect(s['regional-failover'].ApprovalTimeoutSeconds).toBe('2700');
    expect(s['regional-failover-approval']).toMatchObject({ TopicArn: refs.topicArn });
    expect(s['regional-failover-switch']).toEqual({ RoutingFunctionArn: refs.routingFunctionArn });
    expect(Object.keys(s['regional-readiness']).sort()).toEqual([
      'NodeCommandStateMachineArn',
      'ReadReplicationStatusDocument',
      'Region',
      'RoutingFunctionArn',
    ]);
  });

  it.each([0, APPROVAL_TIMEOUT_MAX_MINUTES + 1])(
    'refuses an approval timeout of %s minutes (the approval child is bounded for 1-1440)',
    (minutes) => {
      expect(() => regionalFailoverSubstitutions({ ...refs, approvalTimeoutMinutes: minutes })).toThrow(
        /approvalTimeoutMinutes/,
      );
    },
  );

  it('the schema accepts no approval timeout the workflow could not wait for', () => {
    const raw = exampleRaw() as { failover?: Record<string, unknown> };
    const withTimeout = (m: number) => ({
      ...raw,
      failover: { ...(raw.failover ?? {}), approvalTimeoutMinutes: m },
    });
    expect(ConfigSchema.safeParse(withTimeout(APPROVAL_TIMEOUT_MAX_MINUTES)).success).toBe(true);
    expect(ConfigSchema.safeParse(withTimeout(APPROVAL_TIMEOUT_MAX_MINUTES + 1)).success).toBe(false);
  });
});

describe('schedules', () => {
  it('the readiness evaluation runs every failover.readiness.evaluationMinutes', () => {
    const config = exampleConfig();
    expect(readinessScheduleExpression(config)).toBe(
      `rate(${config.failover.readiness.evaluationMinutes} minutes)`,
    );
  });

  it('the drill is a dry-run evacuation of the region itself; with a canary, a live canary evacuation', () => {
    const config = exampleConfig();
    const plain = {
      ...config,
      failover: { ...config.failover, drill: { schedule: config.failover.drill.schedule } },
    };
    expect(drillInput(plain, 'eu-west-1')).toEqual({
      action: 'evacuate',
      region: 'eu-west-1',
      dryRun: true,
      trigger: 'drill',
      reason: 'scheduled drill',
    });
    const canary = {
      ...config,
      failover: {
        ...config.failover,
        drill: { ...config.failover.drill, canaryRecordName: 'canary.example.com' },
      },
    };
    expect(drillInput(canary, 'us-east-1')).toEqual({
      action: 'evacuate',
      region: 'us-east-1',
      dryRun: false,
      trigger: 'drill',
      reason: 'scheduled drill',
      canary: true,
    });
  });

  it('the parent has the fixed name dispatch derives in every region', () => {
    expect(regionalFailoverStateMachineName(exampleConfig())).toBe(
      `${exampleConfig().cluster.name}-regional-failover`,
    );
  });
});
