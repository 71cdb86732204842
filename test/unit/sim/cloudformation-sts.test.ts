import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { loadConfig } from '../../../infra/config/load';
import { CONTROL_PLANE_OUTPUTS, controlPlaneStackName } from '../../../infra/stacks/names';
import { twinOperatorClients } from '../../../sim/runner/sdk';
import { EXAMPLE_CONFIG, Twin } from '../../../sim/twin';

jest.setTimeout(60_000);

const config = loadConfig(EXAMPLE_CONFIG);

describe('the twin CloudFormation and STS (what hactl reads)', () => {
  let twin: Twin;
  afterEach(async () => {
    await twin?.stop();
  });

  it("describes each region's control-plane stack with the outputs the CDK stack declares", async () => {
    twin = await Twin.start({ seed: 2 });
    for (const region of twin.world.regionNames) {
      const { cloudFormation } = twinOperatorClients(twin.world, twin.dynamo, region);
      const name = controlPlaneStackName(config, region);
      const out = await cloudFormation.send(new DescribeStacksCommand({ StackName: name }));
      const stack = out.Stacks?.[0];
      expect(out.Stacks).toHaveLength(1);
      expect(stack?.StackStatus).toBe('CREATE_COMPLETE');
      expect(stack?.StackId).toMatch(
        new RegExp(`^arn:aws:cloudformation:${region}:${twin.world.accountId}:stack/${name}/`),
      );
      const outputs = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
      const layout = twin.layout.regions.get(region);
      expect(outputs).toEqual({
        [CONTROL_PLANE_OUTPUTS.stateTable]: layout?.stateTable,
        [CONTROL_PLANE_OUTPUTS.operationsFunction]: expect.any(String),
        [CONTROL_PLANE_OUTPUTS.topicArn]: layout?.topicArn,
        [CONTROL_PLANE_OUTPUTS.routingTable]: `artifactory-prod-routing-${region}`,
      });
      // The function the output names is the region's operations Lambda.
      const fn = twin.lambda.lookup(outputs[CONTROL_PLANE_OUTPUTS.operationsFunction] as string, region);
      expect(fn?.name).toBe(outputs[CONTROL_PLANE_OUTPUTS.operationsFunction]);
      expect(twin.controlPlane.get(region)?.operations.operationsArn).toContain(
        `:function:${outputs[CONTROL_PLANE_OUTPUTS.operationsFunction]}`,
      );
      // By its stack id too.
      const byId = await cloudFormation.send(new DescribeStacksCommand({ StackName: stack?.StackId }));
      expect(byId.Stacks?.[0]?.StackName).toBe(name);
    }
  });

  it("answers AWS's ValidationError for a stack that does not exist (another region's name, no control plane)", async () => {
    twin = await Twin.start({ seed: 2, controlPlane: false });
    const region = twin.world.regionNames[0] as string;
    const { cloudFormation, sts } = twinOperatorClients(twin.world, twin.dynamo, region);
    const name = controlPlaneStackName(config, region);
    await expect(cloudFormation.send(new DescribeStacksCommand({ StackName: name }))).rejects.toMatchObject({
      name: 'ValidationError',
      message: `Stack with id ${name} does not exist`,
    });
    expect((await cloudFormation.send(new DescribeStacksCommand({}))).Stacks).toEqual([]);
    const me = await sts.send(new GetCallerIdentityCommand({}));
    expect(me).toMatchObject({
      Account: twin.world.accountId,
      Arn: `arn:aws:sts::${twin.world.accountId}:assumed-role/twin-operator/hactl`,
      UserId: expect.stringMatching(/:hactl$/),
    });
  });
});
