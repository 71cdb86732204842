/**
 * Issue 11, items 9 and 11: SSM commands only on the cluster's tagged instances, per-policy acknowledgements of
 * Resource "*" naming their actions, the ConfigureNode secrets pinned, and the key usable by CloudWatch Logs
 * for the project's log groups only. The twin does not evaluate IAM: these are CDK assertions.
 */
import * as path from 'node:path';
import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../infra/build';
import { ANY_RESOURCE_FINDING, anyResourceReason } from '../../infra/constructs/acknowledge';
import { ControlPlaneFunction } from '../../infra/constructs/control-plane-function';
import { ControlPlaneKey, projectLogGroupNamePatterns } from '../../infra/constructs/control-plane-key';
import { CLUSTER_TAG_KEY, keySecretNames } from '../../infra/node-lifecycle';
import { clusterDocumentParameters, clusterKeySecretIds } from '../../infra/ssm-documents';
import { exampleConfig, flat, testApp } from './helpers';

const config = exampleConfig();
const region = config.regions[0];
if (!region) throw new Error('no region in the example config');
const built = buildApp(config, { app: testApp(), policyChecks: false });
const stack = built.controlPlanes.get(region.name);
if (!stack) throw new Error(`no ${region.name} stack`);
const t = Template.fromStack(stack);
const lifecycle = stack.nodeLifecycle;

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const logicalId = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);

function statementsOf(role: IConstruct): Statement[] {
  const policies = t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(role) }] } });
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}
const allStatements = (): Statement[] =>
  Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
    (p) => p.Properties.PolicyDocument.Statement as Statement[],
  );
const actions = (s: Statement) => [s.Action].flat();
const resources = (s: Statement) => [s.Resource].flat().map(flat);

describe('ssm:SendCommand only on the cluster’s tagged instances (item 9)', () => {
  const role = lifecycle.nodeCommand.role;
  const sendCommand = statementsOf(role).filter((s) => actions(s).includes('ssm:SendCommand'));

  it('splits documents (by ARN, no condition) from instances (instance/* with the cluster tag condition)', () => {
    expect(sendCommand).toHaveLength(2);
    const [documents, instances] = [
      sendCommand.find((s) => resources(s).every((r) => r.includes(':document/'))),
      sendCommand.find((s) => resources(s).every((r) => r.includes(':instance/'))),
    ];
    expect(documents?.Condition).toBeUndefined();
    expect(resources(documents as Statement).sort()).toEqual(
      Object.values(lifecycle.documents.names)
        .map((n) => `arn:\${AWS::Partition}:ssm:${region.name}:\${AWS::AccountId}:document/${n}`)
        .sort(),
    );
    expect(actions(instances as Statement)).toEqual(['ssm:SendCommand']);
    expect(resources(instances as Statement)).toEqual([
      `arn:\${AWS::Partition}:ec2:${region.name}:\${AWS::AccountId}:instance/*`,
    ]);
    expect(instances?.Condition).toEqual({
      StringEquals: { [`ssm:resourceTag/${CLUSTER_TAG_KEY}`]: config.cluster.name },
    });
  });

  it('every statement on instance/* in the stack carries a condition on the cluster tag', () => {
    const onInstances = allStatements().filter((s) => resources(s).some((r) => /:instance\/\*$/.test(r)));
    expect(onInstances.length).toBeGreaterThan(0);
    for (const s of onInstances) {
      const tagged = Object.values(s.Condition?.StringEquals ?? {}).length > 0;
      const keys = Object.keys(s.Condition?.StringEquals ?? {});
      expect({ actions: actions(s), tagged, keys }).toEqual({
        actions: actions(s),
        tagged: true,
        keys: [expect.stringMatching(new RegExp(`^(ssm:resourceTag|aws:ResourceTag)/${CLUSTER_TAG_KEY}$`))],
      });
      expect(Object.values(s.Condition?.StringEquals ?? {})).toEqual([config.cluster.name]);
    }
  });
});

/** The reasons of `AwsSolutions-IAM5[Resource::*]` acknowledged on `c` itself. */
function anyResourceAcks(c: IConstruct): string[] {
  return c.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.entries(m.data as Record<string, string>))
    .filter(([id]) => id.endsWith(ANY_RESOURCE_FINDING))
    .map(([, reason]) => reason);
}

/**
 * For every control-plane Lambda under `scope`: each policy allowing actions on Resource "*" is acknowledged
 * on that policy with exactly those actions, and nothing above the policy (role, function) acknowledges
 * Resource "*". Returns what is wrong (empty: all good).
 */
function anyResourceOffenders(scope: IConstruct): string[] {
  const out: string[] = [];
  for (const fn of scope.node.findAll().filter((c) => c instanceof ControlPlaneFunction)) {
    for (const holder of [fn, fn.role]) {
      if (anyResourceAcks(holder).length > 0)
        out.push(`${holder.node.path}: blanket Resource "*" acknowledgement`);
    }
    for (const policy of fn.node.findAll().filter((c) => c instanceof iam.CfnPolicy)) {
      const doc = Stack.of(policy).resolve((policy as iam.CfnPolicy).policyDocument) as {
        Statement: Statement[];
      };
      const star = doc.Statement.filter(
        (s) => s.Effect === 'Allow' && [s.Resource].flat().includes('*'),
      ).flatMap(actions);
      // The acknowledgement sits on the policy construct (iam.Policy) or on its CfnPolicy.
      const acks = [...anyResourceAcks(policy), ...anyResourceAcks(policy.node.scope as IConstruct)];
      if (star.length === 0) {
        if (acks.length > 0) out.push(`${policy.node.path}: acknowledges Resource "*" it does not use`);
      } else if (acks.length !== 1 || acks[0] !== anyResourceReason(star)) {
        out.push(
          `${policy.node.path}: Resource "*" for ${[...new Set(star)].sort().join(', ')}; acknowledged: ${acks.join(' | ') || 'nothing'}`,
        );
      }
    }
  }
  return out;
}

describe('Resource "*" on the Lambda roles: acknowledged per policy, naming its actions (item 11)', () => {
  it('holds for every control-plane Lambda of the stack', () => {
    const fns = stack.node.findAll().filter((c) => c instanceof ControlPlaneFunction);
    expect(fns.length).toBeGreaterThanOrEqual(6);
    expect(anyResourceOffenders(stack)).toEqual([]);
  });

  it('names the exact actions: the failover Lambda’s reads, apart from the X-Ray default policy', () => {
    const acks = lifecycle.failover.node
      .findAll()
      .filter((c) => c instanceof iam.Policy)
      .flatMap((c) => anyResourceAcks(c));
    expect(acks.sort()).toEqual(
      [
        anyResourceReason([
          'autoscaling:DescribeAutoScalingGroups',
          'ec2:DescribeInstanceStatus',
          'ec2:DescribeInstances',
          'elasticloadbalancing:DescribeTargetHealth',
        ]),
      ].sort(),
    );
  });

  it('fails when an action is added to a Resource "*" statement without being acknowledged by name', () => {
    const app = testApp();
    const fixture = new Stack(app, 'Fixture', { env: { account: '111122223333', region: 'eu-west-1' } });
    const key = new ControlPlaneKey(fixture, 'Key', { description: 'fixture', rotationDays: 365 }).key;
    const fn = new ControlPlaneFunction(fixture, 'Fn', {
      handlerDir: 'echo',
      entry: path.resolve(__dirname, '../fixtures/functions/echo/handler.ts'),
      description: 'fixture',
      logKey: key,
    });
    fn.allowOnAnyResource('Reads', ['autoscaling:DescribeAutoScalingGroups']);
    expect(anyResourceOffenders(fixture)).toEqual([]);
    // A new action on "*" in the default policy, as a careless addToPolicy would add it.
    fn.role.addToPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeVolumes'], resources: ['*'] }));
    expect(anyResourceOffenders(fixture)).toEqual([
      expect.stringMatching(/DefaultPolicy.*ec2:DescribeVolumes/),
    ]);
    expect(() => fn.allowOnAnyResource('Bad', ['autoscaling:SetDesiredCapacity'])).toThrow(
      /supports resource-level permissions/,
    );
  });
});

describe('ConfigureNode reads only the cluster’s two key secrets (item 11)', () => {
  it('pins both secret parameters to exactly the cluster’s names, the ones node-bootstrap sends', () => {
    const secrets = clusterKeySecretIds(config.cluster.name);
    expect(secrets).toEqual({
      MasterKeySecretId: keySecretNames(config).masterKey,
      JoinKeySecretId: keySecretNames(config).joinKey,
    });
    const doc = Object.values(t.findResources('AWS::SSM::Document')).find(
      (d) => d.Properties.Name === lifecycle.documents.names.configureNode,
    );
    const params = doc?.Properties.Content.parameters as Record<string, { allowedPattern: string }>;
    for (const [name, value] of Object.entries(secrets)) {
      const pattern = new RegExp(params[name]?.allowedPattern ?? '$^');
      expect(pattern.test(value)).toBe(true);
      for (const other of [
        `${value}x`,
        'artifactory-staging/master-key',
        'other/secret',
        `arn:aws:secretsmanager:${region.name}:111122223333:secret:${value}-AbCdEf`,
        name === 'MasterKeySecretId' ? secrets.JoinKeySecretId : secrets.MasterKeySecretId,
      ]) {
        expect({ name, other, ok: pattern.test(other) }).toEqual({ name, other, ok: false });
      }
    }
    // The same parameters the twin registers for the cluster.
    expect(
      Object.fromEntries(
        Object.entries(clusterDocumentParameters('configureNode', config.cluster.name)).map(([n, p]) => [
          n,
          p.allowedPattern,
        ]),
      ),
    ).toEqual(Object.fromEntries(Object.entries(params).map(([n, p]) => [n, p.allowedPattern])));
  });
});

describe('the key serves CloudWatch Logs for the project’s log groups only (item 11)', () => {
  const patterns = projectLogGroupNamePatterns(stack.stackName);

  it('conditions the Logs service principal on the project’s log-group ARNs', () => {
    const key = Object.values(t.findResources('AWS::KMS::Key'))[0];
    const logs = ((key?.Properties.KeyPolicy.Statement ?? []) as (Statement & { Principal: unknown })[]).find(
      (s) => JSON.stringify(s.Principal).includes(`logs.${region.name}.amazonaws.com`),
    );
    const arns = [logs?.Condition?.ArnLike?.['kms:EncryptionContext:aws:logs:arn']].flat().map(flat);
    expect(arns).toEqual(
      patterns.map((p) => `arn:\${AWS::Partition}:logs:${region.name}:\${AWS::AccountId}:log-group:${p}`),
    );
    expect(arns.every((a) => !a.endsWith(':*'))).toBe(true);
  });

  it('every log group of the stack matches one of those patterns', () => {
    const names = Object.values(t.findResources('AWS::Logs::LogGroup')).map((g) => g.Properties.LogGroupName);
    expect(names.length).toBeGreaterThan(6);
    const regexes = patterns.map(
      (p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace('*', '.*')}$`),
    );
    for (const name of names) {
      expect({ name, matched: typeof name === 'string' && regexes.some((r) => r.test(name)) }).toEqual({
        name,
        matched: true,
      });
    }
    expect(new Set(names).size).toBe(names.length);
  });
});
