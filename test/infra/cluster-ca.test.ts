/**
 * The cluster CA in the synthesized template (issue 13, item 1): one RSA_3072 SIGN_VERIFY key per deployed
 * generation, whose key policy lets only the signer's role sign (and explicitly denies every other principal),
 * and the signer's least-privilege IAM.
 */
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../infra/build';
import { caGenerations, caKeyPolicy, signerEnvironment } from '../../infra/cluster-ca';
import { parseConfig } from '../../infra/config/load';
import type { Config } from '../../infra/config/schema';
import { exampleConfig, exampleRaw, flat, testApp } from './helpers';

interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

function synth(config: Config) {
  const region = config.regions[0];
  if (!region) throw new Error('no region in the example config');
  const built = buildApp(config, { app: testApp(), policyChecks: false });
  const stack = built.controlPlanes.get(region.name);
  if (!stack) throw new Error(`no ${region.name} stack`);
  return { stack, t: Template.fromStack(stack), region };
}

const { stack, t } = synth(exampleConfig());
const ca = stack.clusterCa;
const logicalId = (c: IConstruct) => stack.getLogicalId((c.node.defaultChild ?? c) as CfnElement);
const signerRole = `\${${logicalId(ca.signer.role)}.Arn}`;
const actions = (s: Statement) => [s.Action].flat();
const principals = (s: Statement) =>
  s.Principal === '*' ? ['*'] : [(s.Principal as { AWS: unknown }).AWS].flat().map(flat);
const keyPolicies = () =>
  Object.values(t.findResources('AWS::KMS::Key', { Properties: { KeyUsage: 'SIGN_VERIFY' } })).map(
    (k) => k.Properties.KeyPolicy.Statement as Statement[],
  );

/** Whether the policy's Allow statements give `action` to `principal` (IAM wildcards honoured). */
const allows = (statements: Statement[], action: string, principal: string) =>
  statements.some(
    (s) =>
      s.Effect === 'Allow' &&
      principals(s).some((p) => p === principal || p === '*') &&
      actions(s).some((a) => new RegExp(`^${a.replace(/\*/g, '.*')}$`, 'i').test(action)),
  );

describe('the CA keys', () => {
  it('are RSA_3072 SIGN_VERIFY keys, one per deployed generation, aliased, deleted after 30 days', () => {
    const keys = t.findResources('AWS::KMS::Key', { Properties: { KeyUsage: 'SIGN_VERIFY' } });
    expect(Object.keys(keys)).toHaveLength(caGenerations(exampleConfig()).length);
    for (const k of Object.values(keys)) {
      expect(k.Properties).toMatchObject({
        KeySpec: 'RSA_3072',
        KeyUsage: 'SIGN_VERIFY',
        PendingWindowInDays: 30,
      });
      expect(k.Properties.EnableKeyRotation).toBeUndefined();
      expect(k.DeletionPolicy).toBe('Delete');
    }
    t.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/artifactory-prod-ca-g1' });
  });

  it('let only the signer role sign: no Allow of kms:Sign to root or anyone else, and an explicit Deny', () => {
    for (const statements of keyPolicies()) {
      const signers = statements
        .filter((s) => s.Effect === 'Allow' && allows([s], 'kms:Sign', principals(s)[0] as string))
        .flatMap(principals);
      expect(signers).toEqual([signerRole]);
      const rootArn = statements.flatMap(principals).find((p) => p.includes(':root'));
      expect(rootArn).toMatch(/:root$/);
      expect(allows(statements, 'kms:Sign', rootArn as string)).toBe(false);
      expect(allows(statements, 'kms:ScheduleKeyDeletion', rootArn as string)).toBe(true);
      const deny = statements.find((s) => s.Effect === 'Deny' && actions(s).includes('kms:Sign'));
      expect(deny?.Principal).toEqual({ AWS: '*' });
      expect(flat(deny?.Condition?.ArnNotEquals?.['aws:PrincipalArn'])).toBe(signerRole);
    }
  });

  it('the check above catches a policy that grants kms:Sign to root (through kms:*)', () => {
    const policy = caKeyPolicy('111122223333', 'arn:aws:iam::111122223333:role/signer')
      .Statement as Statement[];
    const root = 'arn:aws:iam::111122223333:root';
    expect(allows(policy, 'kms:Sign', root)).toBe(false);
    const broken = policy.map((s) =>
      s.Sid === 'AccountAdministersTheKey' ? { ...s, Action: ['kms:*'] } : s,
    );
    expect(allows(broken, 'kms:Sign', root)).toBe(true);
  });

  it('a config keeping the previous generation deploys both keys, the signer knowing each', () => {
    const raw = exampleRaw();
    raw.certificates = { ...(raw.certificates as object), ca: { generation: 2, keepPrevious: true } };
    const two = synth(parseConfig(raw, 'two-generations'));
    const keys = two.t.findResources('AWS::KMS::Key', { Properties: { KeySpec: 'RSA_3072' } });
    expect(Object.keys(keys)).toHaveLength(2);
    two.t.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/artifactory-prod-ca-g2' });
    const env = Object.values(two.t.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.Environment?.Variables?.CA_KEYS !== undefined,
    )?.Properties.Environment.Variables;
    const caKeys = flat(env.CA_KEYS);
    for (const [g, k] of two.stack.clusterCa.keys)
      expect(caKeys).toContain(`"${g}":"\${${two.stack.getLogicalId(k)}.Arn}"`);
  });
});

describe("the signer's IAM", () => {
  const statements = (): Statement[] =>
    Object.values(
      t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(ca.signer.role) }] } }),
    ).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);

  it('signs and reads public keys with the CA keys only', () => {
    const sign = statements().filter((s) => actions(s).includes('kms:Sign'));
    expect(sign).toHaveLength(1);
    expect(actions(sign[0] as Statement).sort()).toEqual(['kms:GetPublicKey', 'kms:Sign']);
    const keyIds = [...ca.keys.values()].map((k) => `\${${logicalId(k)}.Arn}`);
    expect([(sign[0] as Statement).Resource].flat().map(flat)).toEqual(keyIds);
  });

  it('writes only the bundle parameter, and only GetItem/PutItem on the state table', () => {
    const ssm = statements().filter((s) => actions(s).some((a) => a.startsWith('ssm:')));
    expect(ssm.flatMap(actions).sort()).toEqual(['ssm:GetParameter', 'ssm:PutParameter']);
    expect(ssm.flatMap((s) => [s.Resource].flat().map(flat))).toEqual([
      expect.stringMatching(/:parameter\/artifactory-prod\/ca-bundle$/),
    ]);
    const dynamo = statements().filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap(actions).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
  });

  it('reads instances and their groups on "*" (no resource-level permissions) and nothing else there', () => {
    const anyResource = statements().filter((s) => [s.Resource].flat().includes('*'));
    expect(anyResource.flatMap(actions).sort()).toEqual([
      'autoscaling:DescribeAutoScalingInstances',
      'ec2:DescribeInstances',
    ]);
  });

  it("gets the environment the twin's deployment gives it", () => {
    const fn = Object.values(t.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.Environment?.Variables?.CA_KEYS !== undefined,
    );
    const names = Object.keys(
      signerEnvironment(exampleConfig(), exampleConfig().regions[0] as never, 't', { 1: 'k' }),
    );
    for (const name of names) expect(fn?.Properties.Environment.Variables[name]).toBeDefined();
  });
});
