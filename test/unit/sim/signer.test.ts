/**
 * The signer deployed in the twin as the stack deploys it, issuing with the twin's KMS: the CA key exists
 * only in KMS, only the signer's role may sign, and what it issues verifies against the published bundle.
 */
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { clusterPk } from '../../../functions/core/keys';
import { caBundleParameterName } from '../../../infra/cluster-ca';
import type { SimInstance } from '../../../sim/core/contracts';
import { Twin } from '../../../sim/twin';
import { certificatesOf, makeCsr, x509 } from '../signer/csr-fixture';

jest.setTimeout(120_000);
const REGION = 'eu-west-1';
const EXECUTION = `arn:aws:states:${REGION}:111122223333:execution:artifactory-prod-cert-rotation:run-1`;

describe('the signer in the twin', () => {
  let twin: Twin;
  beforeAll(async () => {
    twin = await Twin.start({ seed: 3 });
  });
  afterAll(async () => {
    await twin?.stop();
  });

  const drive = async <T>(p: Promise<T>): Promise<T> => {
    let done = false;
    const settled = p.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    void settled.then(() => {
      done = true;
    });
    await twin.run(60_000, () => done);
    const r = await settled;
    if (!r.ok) throw r.error;
    return r.value;
  };
  const signer = () => twin.controlPlane.get(REGION)?.signerArn as string;
  const node = (): SimInstance =>
    twin.world
      .region(REGION)
      .ec2.instances()
      .find((i) => i.state === 'running') as SimInstance;

  it('issues a leaf signed by the KMS CA key, verifying against the bundle it publishes', async () => {
    const inst = node();
    const csr = await makeCsr(inst.privateIp);
    const ca0 = (await drive(twin.lambda.invoke(signer(), { op: 'ca' }))) as {
      active: number;
      trusted: number[];
      caBundle: string;
    };
    expect(ca0).toMatchObject({ active: 1, trusted: [1], deployed: [1] });
    const out = (await drive(
      twin.lambda.invoke(signer(), { op: 'issue', instanceId: inst.id, csr, execution: EXECUTION }),
    )) as { certificate: string; caBundle: string; issuer: number; fingerprint: string };
    const leaf = new x509.X509Certificate(out.certificate);
    const [ca] = certificatesOf(out.caBundle);
    expect(ca).toBeDefined();
    expect(await leaf.verify({ publicKey: ca as x509.X509Certificate, signatureOnly: true })).toBe(true);
    expect(await (ca as x509.X509Certificate).verify({ signatureOnly: true })).toBe(true);
    expect(leaf.subject).toBe(`CN=${inst.privateIp}`);
    expect((ca as x509.X509Certificate).subject).toBe(`CN=artifactory-prod cluster CA G1, O=${REGION}`);
    const chain = await new x509.X509ChainBuilder({ certificates: [ca as x509.X509Certificate] }).build(leaf);
    expect(chain).toHaveLength(2);
    // The bundle is published where operators read it.
    expect(twin.world.region(REGION).ssm.parameters.valueOf(caBundleParameterName('artifactory-prod'))).toBe(
      out.caBundle,
    );
    // The CA's public key is the KMS key's.
    const kmsKey = twin.controlPlane.get(REGION)?.caKeyArns[1] as string;
    const pub = (await twin.world.call(REGION, 'kms', 'GetPublicKey', { KeyId: kmsKey })) as {
      PublicKey: Uint8Array;
    };
    const caCert = AsnConvert.parse((ca as x509.X509Certificate).rawData, Certificate);
    expect(Buffer.from(AsnConvert.serialize(caCert.tbsCertificate.subjectPublicKeyInfo))).toEqual(
      Buffer.from(pub.PublicKey),
    );
  });

  it('refuses a CSR for another IP, and nothing is issued', async () => {
    const inst = node();
    const csr = await makeCsr('10.9.9.9');
    await expect(
      drive(twin.lambda.invoke(signer(), { op: 'issue', instanceId: inst.id, csr, execution: EXECUTION })),
    ).rejects.toMatchObject({ name: 'CsrRefused', message: expect.stringContaining('10.9.9.9') });
    // Audited in the state table: one issuance (the test before), one refusal, nothing issued for it.
    const { Items } = await drive(
      twin.dynamo.client(REGION).send(
        new QueryCommand({
          TableName: twin.layout.regions.get(REGION)?.stateTable,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :audit)',
          ExpressionAttributeValues: {
            ':pk': { S: clusterPk('artifactory-prod') },
            ':audit': { S: 'AUDIT#' },
          },
        }),
      ),
    );
    const kinds = (Items ?? []).map((i) => [i.kind?.S, i.instanceId?.S, i.check?.S]);
    expect(kinds.filter(([k]) => k?.startsWith('certificate-'))).toEqual([
      ['certificate-issued', inst.id, undefined],
      ['certificate-refused', inst.id, 'subject'],
    ]);
  });

  it('lets no one but the signer sign with the CA key', async () => {
    const kmsKey = twin.controlPlane.get(REGION)?.caKeyArns[1] as string;
    await expect(
      twin.world.call(REGION, 'kms', 'Sign', {
        KeyId: kmsKey,
        Message: new Uint8Array([1, 2, 3]),
        MessageType: 'RAW',
        SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
      }),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    // Another control-plane function (the lease Lambda's role) is refused too.
    const other = twin.lambda.register({
      name: 'artifactory-prod-lease-impostor',
      region: REGION,
      environment: {},
      timeoutSeconds: 10,
      load: () => async () =>
        twin.world.call(REGION, 'kms', 'Sign', {
          KeyId: kmsKey,
          Message: new Uint8Array([1]),
          MessageType: 'RAW',
          SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
        }),
    });
    await expect(drive(twin.lambda.invoke(other, {}))).rejects.toMatchObject({
      message: expect.stringContaining('not authorized to perform: kms:Sign'),
    });
  });
});
