import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { KMSClient } from '@aws-sdk/client-kms';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { autoScaling } from '../../../functions/shared/clients/auto-scaling';
import {
  baseClientConfig,
  type ClientName,
  type Clients,
  onFirstUse,
  resetClients,
  setClientsForTest,
  USER_AGENT,
} from '../../../functions/shared/clients/base';
import { cloudWatch } from '../../../functions/shared/clients/cloudwatch';
import { dynamoDB, dynamoDoc, dynamoDocSdk } from '../../../functions/shared/clients/dynamodb';
import { ec2, ec2Sdk } from '../../../functions/shared/clients/ec2';
import { elbv2 } from '../../../functions/shared/clients/elbv2';
import { kms } from '../../../functions/shared/clients/kms';
import { lambda } from '../../../functions/shared/clients/lambda';
import { route53 } from '../../../functions/shared/clients/route53';
import { secretsManager } from '../../../functions/shared/clients/secrets-manager';
import { sfn } from '../../../functions/shared/clients/sfn';
import { sns } from '../../../functions/shared/clients/sns';
import { sqs } from '../../../functions/shared/clients/sqs';
import { ssm } from '../../../functions/shared/clients/ssm';

/** Every client module's getter, by name (the type requires one per client). */
const clients: Clients = {
  autoScaling,
  ec2,
  ssm,
  elbv2,
  cloudWatch,
  route53,
  sfn,
  sns,
  secretsManager,
  kms,
  sqs,
  lambda,
  dynamoDB,
  dynamoDoc,
};

const ORIGINAL_REGION = process.env.AWS_REGION;

beforeEach(() => {
  process.env.AWS_REGION = 'eu-central-1';
  resetClients();
});

afterAll(() => {
  if (ORIGINAL_REGION === undefined) delete process.env.AWS_REGION;
  else process.env.AWS_REGION = ORIGINAL_REGION;
  resetClients();
});

describe('client factory', () => {
  const kinds: [ClientName, { prototype: object }][] = [
    ['autoScaling', AutoScalingClient],
    ['ec2', EC2Client],
    ['ssm', SSMClient],
    ['elbv2', ElasticLoadBalancingV2Client],
    ['cloudWatch', CloudWatchClient],
    ['route53', Route53Client],
    ['sfn', SFNClient],
    ['sns', SNSClient],
    ['secretsManager', SecretsManagerClient],
    ['kms', KMSClient],
    ['dynamoDB', DynamoDBClient],
    ['dynamoDoc', DynamoDBDocumentClient],
  ];

  it.each(kinds)('%s is built once and then cached', (name, cls) => {
    const first = clients[name]();
    expect(first).toBeInstanceOf(cls);
    expect(clients[name]()).toBe(first);
  });

  it('builds clients with the shared base config', async () => {
    const ec2 = clients.ec2();
    expect(await ec2.config.region()).toBe('eu-central-1');
    expect(await ec2.config.maxAttempts()).toBe(3);
    expect(ec2.config.retryMode).toBe('adaptive');
    expect(ec2.config.customUserAgent).toEqual([[USER_AGENT]]);
  });

  it('leaves region to the SDK when AWS_REGION is unset', () => {
    expect(baseClientConfig({})).toEqual({
      maxAttempts: 3,
      retryMode: 'adaptive',
      customUserAgent: USER_AGENT,
    });
    expect(baseClientConfig({ AWS_REGION: 'us-east-1' }).region).toBe('us-east-1');
  });

  it('builds the document client over the cached DynamoDB client, dropping undefined values', () => {
    const doc = clients.dynamoDoc();
    expect(doc.config).toBe(clients.dynamoDB().config);
    expect(doc.config.translateConfig?.marshallOptions?.removeUndefinedValues).toBe(true);
  });

  it('builds a new client after resetClients', () => {
    const before = clients.sfn();
    resetClients();
    expect(clients.sfn()).not.toBe(before);
  });

  it('neither loads an SDK package nor constructs a client at import time', () => {
    jest.isolateModules(() => {
      const events: string[] = [];
      jest.doMock('@aws-sdk/client-ec2', () => {
        events.push('loaded');
        return {
          EC2Client: class {
            constructor() {
              events.push('constructed');
            }
          },
        };
      });
      const isolated =
        require('../../../functions/shared/clients/ec2') as typeof import('../../../functions/shared/clients/ec2');
      expect(events).toEqual([]);
      isolated.ec2();
      isolated.ec2();
      isolated.ec2Sdk();
      expect(events).toEqual(['loaded', 'constructed']);
      jest.dontMock('@aws-sdk/client-ec2');
    });
  });

  it('hands out the SDK packages the clients are built from, so commands match their classes', () => {
    expect(ec2Sdk()).toBe(require('@aws-sdk/client-ec2'));
    expect(ec2Sdk().DescribeInstancesCommand).toBe(DescribeInstancesCommand);
    expect(dynamoDocSdk().DynamoDBDocumentClient).toBe(DynamoDBDocumentClient);
  });

  it('onFirstUse loads once, on the first call', () => {
    const load = jest.fn(() => ({ loaded: true }));
    const get = onFirstUse(load);
    expect(load).not.toHaveBeenCalled();
    const first = get();
    expect(get()).toBe(first);
    expect(load).toHaveBeenCalledTimes(1);
  });
});

describe('injection', () => {
  it('returns injected clients and leaves the others alone', () => {
    const ec2 = new EC2Client({ region: 'us-west-2' });
    const ssmBefore = clients.ssm();
    setClientsForTest({ ec2 });
    expect(clients.ec2()).toBe(ec2);
    expect(clients.ssm()).toBe(ssmBefore);
    resetClients();
    expect(clients.ec2()).not.toBe(ec2);
  });

  it('rebuilds the document client over an injected DynamoDB client', () => {
    const oldDoc = clients.dynamoDoc();
    const dynamoDB = new DynamoDBClient({ region: 'us-west-2', endpoint: 'http://127.0.0.1:4567' });
    setClientsForTest({ dynamoDB });
    const doc = clients.dynamoDoc();
    expect(doc).not.toBe(oldDoc);
    expect(doc.config).toBe(dynamoDB.config);
  });

  it('honours an injected document client as given', () => {
    const dynamoDB = new DynamoDBClient({ region: 'us-west-2' });
    const dynamoDoc = DynamoDBDocumentClient.from(dynamoDB);
    setClientsForTest({ dynamoDB, dynamoDoc });
    expect(clients.dynamoDoc()).toBe(dynamoDoc);
  });
});

describe('with strict SDK mocks', () => {
  const createMocks = () => ({ ec2: mockClient(EC2Client), asg: mockClient(AutoScalingClient) });
  let mocks: ReturnType<typeof createMocks>;

  beforeAll(() => {
    mocks = createMocks();
  });

  beforeEach(() => {
    mocks.ec2.reset();
    mocks.asg.reset();
    mocks.ec2.onAnyCommand().rejects(new Error('unexpected EC2 command'));
    mocks.asg.onAnyCommand().rejects(new Error('unexpected Auto Scaling command'));
  });

  afterAll(() => {
    mocks.ec2.restore();
    mocks.asg.restore();
  });

  it('routes the cached clients to the mock and records the calls', async () => {
    mocks.ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    const out = await clients
      .ec2()
      .send(new DescribeInstancesCommand({ InstanceIds: ['i-1234567890abcdef0'] }));
    expect(out.Reservations).toEqual([]);
    expect(mocks.ec2).toHaveReceivedCommandTimes(DescribeInstancesCommand, 1);
    expect(mocks.ec2).toHaveReceivedCommandWith(DescribeInstancesCommand, {
      InstanceIds: ['i-1234567890abcdef0'],
    });
  });

  it('throws on a command the test did not expect', async () => {
    await expect(clients.autoScaling().send(new DescribeAutoScalingGroupsCommand({}))).rejects.toThrow(
      'unexpected Auto Scaling command',
    );
  });
});
