import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { ENV } from '../../functions/shared/env';
import { buildApp } from '../../infra/build';
import { parseConfig } from '../../infra/config/load';
import type { Config } from '../../infra/config/schema';
import { degradedAlarmEventPattern, switchCopies } from '../../infra/regional-routing';
import { type EventPattern, matches as matchesPattern, validatePattern } from '../../sim/core/event-pattern';
import { exampleConfig, exampleRaw, flat, policyFindings, testApp } from './helpers';

// biome-ignore lint/suspicious/noExplicitAny: tests reach into raw YAML
type Raw = Record<string, any>;

/** The example with a third region (no witness: three voters) and a canary record. */
function threeRegionsWithCanary(): Config {
  const raw = exampleRaw() as Raw;
  raw.regions.push({
    name: 'ap-southeast-2',
    primaryAsgName: 'artifactory-prod-primary',
    memberAsgName: 'artifactory-prod-members',
    targetGroupArns: [
      'arn:aws:elasticloadbalancing:ap-southeast-2:111122223333:targetgroup/artifactory-prod/00112233aabbccdd',
    ],
    alb: {
      arn: 'arn:aws:elasticloadbalancing:ap-southeast-2:111122223333:loadbalancer/app/artifactory-prod/1234567890abcdef',
      dnsName: 'artifactory-prod-555.ap-southeast-2.elb.amazonaws.com',
    },
  });
  delete raw.failover.witnessRegion;
  raw.failover.minServingRegions = 2;
  raw.failover.drill.canaryRecordName = 'artifactory-canary.example.com';
  return parseConfig(raw);
}

const example = parseConfig(exampleRaw());
const exampleBuilt = buildApp(example, { app: testApp(), policyChecks: false });
const three = threeRegionsWithCanary();
const threeBuilt = buildApp(three, { app: testApp(), policyChecks: false });

const logicalIdIn = (stack: Stack, c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);

describe('switch alarm copies', () => {
  it.each([
    ['the example (2 regions)', example, exampleBuilt, 2],
    ['3 regions with a canary', three, threeBuilt, 6],
  ] as const)(
    '%s: every region holds a copy of every region’s switch (and canary switch)',
    (_, config, built, perRegion) => {
      for (const [region, stack] of built.controlPlanes) {
        const t = Template.fromStack(stack);
        const alarms = t.findResources('AWS::CloudWatch::Alarm', {
          Properties: {
            Namespace: 'ArtifactoryHA',
            MetricName: Match.stringLikeRegexp('^(Region|Canary)Serving$'),
          },
        });
        expect(Object.keys(alarms)).toHaveLength(perRegion);
        for (const switched of config.regions.map((r) => r.name)) {
          for (const [metric, suffix] of [
            ['RegionServing', 'region-serving'],
            ...(config.failover.drill.canaryRecordName ? [['CanaryServing', 'canary-serving']] : []),
          ]) {
            t.hasResourceProperties('AWS::CloudWatch::Alarm', {
              AlarmName: `artifactory-prod-${switched}-${suffix}`,
              MetricName: metric,
              Dimensions: Match.arrayWith([
                { Name: 'Cluster', Value: 'artifactory-prod' },
                { Name: 'Region', Value: switched },
              ]),
              Statistic: 'Minimum',
              Period: 60,
              EvaluationPeriods: 1,
              DatapointsToAlarm: 1,
              Threshold: 1,
              ComparisonOperator: 'LessThanThreshold',
              TreatMissingData: 'ignore',
            });
          }
        }
        // Only the region's own switch notifies (once per flip, not once per copy region).
        t.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `artifactory-prod-${region}-region-serving`,
          AlarmActions: [Match.anyValue()],
          OKActions: [Match.anyValue()],
        });
      }
    },
  );

  it('keeps the stack’s own switch alarm at its logical id (an upgrade never replaces it)', () => {
    const stack = exampleBuilt.controlPlanes.get('eu-west-1') as Stack;
    expect(logicalIdIn(stack, (stack as unknown as { switchAlarm: IConstruct }).switchAlarm)).toMatch(
      /^SwitchAlarm/,
    );
  });
});

describe('global routing stack: flat calculated checks over the copies', () => {
  it.each([
    ['the example', example, exampleBuilt],
    ['3 regions with a canary', three, threeBuilt],
  ] as const)(
    '%s: each record’s calculated check = [endpoint(X), copy(X)@R for every region R], all required',
    (_, config, built) => {
      const t = Template.fromStack(built.globalRouting);
      const checks = t.findResources('AWS::Route53::HealthCheck');
      const byId = (v: { 'Fn::GetAtt': [string, string] }) =>
        checks[v['Fn::GetAtt'][0]]?.Properties.HealthCheckConfig;
      const records = t.findResources('AWS::Route53::RecordSet');
      const names = [config.routing.recordName, config.failover.drill.canaryRecordName].filter(Boolean);
      expect(Object.keys(records)).toHaveLength(names.length * config.regions.length);
      for (const record of Object.values(records)) {
        const { Name, Region, HealthCheckId, ResourceRecords } = record.Properties;
        const kind = Name === config.routing.recordName ? 'region-serving' : 'canary-serving';
        const calculated = byId(HealthCheckId);
        expect(calculated.Type).toBe('CALCULATED');
        const children = calculated.ChildHealthChecks.map(byId);
        expect(calculated.HealthThreshold).toBe(children.length);
        expect(children.filter((c: { Type: string }) => c.Type === 'CALCULATED')).toEqual([]);
        expect(children[0]).toMatchObject({ Type: 'HTTPS', FullyQualifiedDomainName: ResourceRecords[0] });
        expect(children.slice(1)).toEqual(
          config.regions.map((r) => ({
            Type: 'CLOUDWATCH_METRIC',
            AlarmIdentifier: { Name: `artifactory-prod-${Region}-${kind}`, Region: r.name },
            InsufficientDataHealthStatus: 'LastKnownStatus',
          })),
        );
      }
    },
  );

  it('shares one endpoint check per region between the serving and the canary record', () => {
    const t = Template.fromStack(threeBuilt.globalRouting);
    t.resourcePropertiesCountIs('AWS::Route53::HealthCheck', { HealthCheckConfig: { Type: 'HTTPS' } }, 3);
    t.resourcePropertiesCountIs(
      'AWS::Route53::HealthCheck',
      { HealthCheckConfig: { Type: 'CALCULATED' } },
      6,
    );
    t.resourcePropertiesCountIs(
      'AWS::Route53::HealthCheck',
      { HealthCheckConfig: { Type: 'CLOUDWATCH_METRIC' } },
      switchCopies(three).length,
    );
  });
});

describe('routing tables and the witness', () => {
  const tableProps = {
    TableName: 'artifactory-prod-routing',
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    Replicas: [
      Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
    ],
  };

  it('puts the routing table, under its fixed name, in every region, AWS-owned key (no cross-region grant)', () => {
    for (const stack of exampleBuilt.controlPlanes.values()) {
      const t = Template.fromStack(stack);
      t.hasResourceProperties('AWS::DynamoDB::GlobalTable', tableProps);
      const table = Object.values(
        t.findResources('AWS::DynamoDB::GlobalTable', {
          Properties: { TableName: 'artifactory-prod-routing' },
        }),
      )[0];
      // SSEEnabled false = encrypted at rest with the AWS-owned key (DynamoDB always encrypts).
      expect(table?.Properties.SSESpecification).toEqual({ SSEEnabled: false });
      expect(table?.DeletionPolicy).toBe('Retain');
    }
  });

  it('deploys the witness stack in failover.witnessRegion with the routing table only', () => {
    const witness = exampleBuilt.witness;
    expect(witness?.region).toBe('us-west-2');
    expect(witness?.stackName).toBe('artifactory-prod-routing-witness');
    expect(witness?.terminationProtection).toBe(true);
    const t = Template.fromStack(witness as Stack);
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', tableProps);
    expect(Object.values(t.toJSON().Resources).map((r) => (r as { Type: string }).Type)).toEqual([
      'AWS::DynamoDB::GlobalTable',
    ]);
    // No control plane depends on the witness: each region deploys and acts alone.
    for (const stack of exampleBuilt.controlPlanes.values()) expect(stack.dependencies).toEqual([]);
  });

  it('has no witness stack without failover.witnessRegion', () => {
    expect(threeBuilt.witness).toBeUndefined();
  });

  // The example's whole app (witness stack included) is checked by test/infra/policy.test.ts.
  it('3 regions with a canary: the whole app is clean under cdk-nag and cfn-guard', () => {
    const app = testApp();
    buildApp(three, { app });
    expect(policyFindings(app)).toEqual([]);
  });
});

describe('the degraded and readiness alarms', () => {
  const stack = exampleBuilt.controlPlanes.get('eu-west-1') as Stack;
  const t = Template.fromStack(stack);

  it('alarms on one metric-math expression over the ALB: no healthy target OR 5xx share, missing breaching', () => {
    const dims = [
      { Name: 'LoadBalancer', Value: 'app/artifactory-prod/50dc6c495c0c9188' },
      { Name: 'TargetGroup', Value: 'targetgroup/artifactory-prod/0123456789abcdef' },
    ];
    const metric = (Id: string, MetricName: string, Stat: string) =>
      Match.objectLike({
        Id,
        ReturnData: false,
        MetricStat: {
          Metric: { Namespace: 'AWS/ApplicationELB', MetricName, Dimensions: dims },
          Period: 60,
          Stat,
        },
      });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'artifactory-prod-eu-west-1-region-degraded',
      Metrics: Match.arrayWith([
        Match.objectLike({
          Expression: 'IF((FILL(h0, 0)) < 1 OR 100 * (FILL(e0, 0)) > 5 * (FILL(r0, 0)), 1, 0)',
          ReturnData: true,
        }),
        metric('h0', 'HealthyHostCount', 'Maximum'),
        metric('e0', 'HTTPCode_Target_5XX_Count', 'Sum'),
        metric('r0', 'RequestCount', 'Sum'),
      ]),
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [Match.anyValue()],
    });
  });

  it('routes the degraded alarm’s ALARM, and OK after ALARM, to dispatch, which may start regional-failover in the peers only', () => {
    const dispatch = stack.node.findChild('NodeLifecycle').node.findChild('Dispatch') as unknown as {
      fn: IConstruct;
      role: IConstruct;
    };
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: {
          alarmName: ['artifactory-prod-eu-west-1-region-degraded'],
          // The first evaluation (INSUFFICIENT_DATA to OK) matches nothing: dispatch is invoked only to act.
          $or: [
            { state: { value: ['ALARM'] } },
            { state: { value: ['OK'] }, previousState: { value: ['ALARM'] } },
          ],
        },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalIdIn(stack, dispatch.fn), 'Arn'] } })],
    });
    const fn = t.toJSON().Resources[logicalIdIn(stack, dispatch.fn)];
    const settings = JSON.parse(flat(fn.Properties.Environment.Variables[ENV.regionalDispatch]));
    const peerArn = `arn:\${AWS::Partition}:states:us-east-1:\${AWS::AccountId}:stateMachine:artifactory-prod-regional-failover`;
    expect(settings).toEqual({
      cluster: 'artifactory-prod',
      region: 'eu-west-1',
      degradedAlarmName: 'artifactory-prod-eu-west-1-region-degraded',
      peers: [{ region: 'us-east-1', stateMachineArn: peerArn }],
      automaticRestore: true,
    });
    const policies = t.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: logicalIdIn(stack, dispatch.role) }] },
    });
    const starts = Object.values(policies)
      .flatMap(
        (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
      )
      .filter((s) => [s.Action].flat().includes('states:StartExecution'))
      .flatMap((s) => [s.Resource].flat().map(flat));
    expect(starts).toContain(peerArn);
    expect(starts.filter((a) => a.includes('regional-failover'))).toEqual([peerArn]);
  });

  it('alarms when two readiness evaluations in a row are not ready or missing', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'artifactory-prod-eu-west-1-not-ready',
      Namespace: 'ArtifactoryHA',
      MetricName: 'RegionReady',
      Dimensions: Match.arrayWith([{ Name: 'Region', Value: 'eu-west-1' }]),
      Statistic: 'Minimum',
      Period: 3600,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [Match.anyValue()],
    });
  });
});

describe('the degraded alarm’s event pattern', () => {
  const matches = (config: Config, state: string, previous: string) => {
    const pattern: unknown = degradedAlarmEventPattern(config, 'eu-west-1');
    validatePattern(pattern);
    return matchesPattern(pattern as EventPattern, {
      source: 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      detail: {
        alarmName: 'artifactory-prod-eu-west-1-region-degraded',
        state: { value: state },
        previousState: { value: previous },
      },
    });
  };

  it('matches ALARM and a recovery from ALARM, never the first evaluation', () => {
    const config = exampleConfig();
    expect(matches(config, 'ALARM', 'OK')).toBe(true);
    expect(matches(config, 'ALARM', 'INSUFFICIENT_DATA')).toBe(true);
    expect(matches(config, 'OK', 'ALARM')).toBe(true);
    expect(matches(config, 'OK', 'INSUFFICIENT_DATA')).toBe(false);
    expect(matches(config, 'INSUFFICIENT_DATA', 'ALARM')).toBe(false);
  });

  it('without automatic restore matches ALARM only', () => {
    const config = exampleConfig();
    config.failover.automaticRestore = false;
    expect(matches(config, 'ALARM', 'OK')).toBe(true);
    expect(matches(config, 'OK', 'ALARM')).toBe(false);
  });
});
