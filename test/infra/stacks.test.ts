import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/build';
import { CONTROL_PLANE_OUTPUTS } from '../../infra/stacks/names';
import { exampleConfig, testApp } from './helpers';

const config = exampleConfig();
const built = buildApp(config, { app: testApp(), policyChecks: false });
const euWest1 = built.controlPlanes.get('eu-west-1');
if (!euWest1) throw new Error('no eu-west-1 stack');
const regional = Template.fromStack(euWest1);
const routing = Template.fromStack(built.globalRouting);

describe('deployment layout', () => {
  it('has one control-plane stack per configured region, in that region, and one routing stack', () => {
    expect([...built.controlPlanes.keys()]).toEqual(['eu-west-1', 'us-east-1']);
    for (const [region, stack] of built.controlPlanes) {
      expect(stack.region).toBe(region);
      expect(stack.stackName).toBe(`artifactory-prod-control-plane-${region}`);
      expect(stack.terminationProtection).toBe(true);
    }
    expect(built.globalRouting.region).toBe('us-east-1');
    expect(built.globalRouting.dependencies).toEqual(
      expect.arrayContaining([...built.controlPlanes.values()]),
    );
  });
});

describe('control-plane stack', () => {
  it('keeps cluster state in an encrypted table with pk/sk, PITR, TTL and deletion protection', () => {
    regional.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [
        Match.objectLike({
          Region: 'eu-west-1',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
          SSESpecification: { KMSMasterKeyId: Match.anyValue() },
        }),
      ],
    });
  });

  it('holds two tables: the state table and the routing table', () => {
    regional.resourceCountIs('AWS::DynamoDB::GlobalTable', 2);
    regional.resourceCountIs('AWS::DynamoDB::Table', 0);
  });

  it('encrypts notifications with the rotating key, requires TLS, and subscribes the configured e-mails', () => {
    regional.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, RotationPeriodInDays: 2560 });
    regional.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    regional.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    regional.resourcePropertiesCountIs(
      'AWS::SNS::Subscription',
      { Protocol: 'email' },
      config.notifications.emails.length,
    );
    regional.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'sre-oncall@example.com',
    });
  });

  it('lets only AWS services create grants on the key', () => {
    regional.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'kms:CreateGrant',
            Condition: {
              BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
            },
          }),
        ]),
      },
    });
  });

  it('creates the region switch alarm Route 53 watches, standard resolution, keeping its state without data', () => {
    regional.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'artifactory-prod-eu-west-1-region-serving',
      Namespace: 'ArtifactoryHA',
      MetricName: 'RegionServing',
      Dimensions: Match.arrayWith([{ Name: 'Region', Value: 'eu-west-1' }]),
      Period: 60,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'ignore',
      AlarmActions: [Match.anyValue()],
      OKActions: [Match.anyValue()],
    });
  });
});

describe('global routing stack', () => {
  it('builds, per region, a flat calculated check that needs the endpoint and every switch copy', () => {
    routing.resourcePropertiesCountIs(
      'AWS::Route53::HealthCheck',
      { HealthCheckConfig: { Type: 'CALCULATED' } },
      2,
    );
    routing.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: {
        Type: 'HTTPS',
        FullyQualifiedDomainName: 'artifactory-prod-1234567890.eu-west-1.elb.amazonaws.com',
        ResourcePath: '/router/api/v1/system/health',
        Port: 443,
        RequestInterval: 30,
        FailureThreshold: 3,
      },
    });
    routing.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: {
        Type: 'CLOUDWATCH_METRIC',
        AlarmIdentifier: { Name: 'artifactory-prod-us-east-1-region-serving', Region: 'eu-west-1' },
        InsufficientDataHealthStatus: 'LastKnownStatus',
      },
    });
    const calculated = routing.findResources('AWS::Route53::HealthCheck', {
      Properties: { HealthCheckConfig: { Type: 'CALCULATED' } },
    });
    for (const check of Object.values(calculated)) {
      // The endpoint and one copy per configured region, all required.
      expect(check.Properties.HealthCheckConfig.HealthThreshold).toBe(3);
      expect(check.Properties.HealthCheckConfig.ChildHealthChecks).toHaveLength(3);
    }
  });

  it('answers with one latency record per region, health-checked, TTL 60', () => {
    for (const region of ['eu-west-1', 'us-east-1']) {
      routing.hasResourceProperties('AWS::Route53::RecordSet', {
        HostedZoneId: 'Z0123456789ABCDEFGHIJ',
        Name: 'artifactory.example.com',
        Type: 'CNAME',
        TTL: '60',
        Region: region,
        SetIdentifier: region,
        HealthCheckId: {
          'Fn::GetAtt': [Match.stringLikeRegexp(`^Calculated${region.replace(/-/g, '')}`), 'HealthCheckId'],
        },
      });
    }
  });
});

describe('control-plane stack outputs (what hactl reads with DescribeStacks)', () => {
  it('declares StateTableName, OperationsFunctionName and TopicArn, each referencing its resource', () => {
    const outputs = regional.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual(Object.values(CONTROL_PLANE_OUTPUTS).sort());
    const logicalIdOf = (type: string, match?: (props: Record<string, unknown>) => boolean): string => {
      const found = Object.entries(regional.findResources(type)).filter(
        ([, r]) => match === undefined || match((r as { Properties: Record<string, unknown> }).Properties),
      );
      if (found.length !== 1) throw new Error(`${found.length} resources of ${type}`);
      return (found[0] as [string, unknown])[0];
    };
    const stateTable = logicalIdOf('AWS::DynamoDB::GlobalTable', (p) => p.TableName === undefined);
    expect(outputs[CONTROL_PLANE_OUTPUTS.stateTable]?.Value).toEqual({ Ref: stateTable });
    expect(outputs[CONTROL_PLANE_OUTPUTS.topicArn]?.Value).toEqual({ Ref: logicalIdOf('AWS::SNS::Topic') });
    const fnRef =
      (outputs[CONTROL_PLANE_OUTPUTS.operationsFunction]?.Value as { Ref?: string } | undefined)?.Ref ?? '';
    expect(fnRef).toMatch(/^Operations/);
    expect(regional.findResources('AWS::Lambda::Function')[fnRef]).toBeDefined();
  });
});
