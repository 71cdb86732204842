import { Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { buildApp } from '../../infra/build';
import { exampleConfig, policyFindings, testApp } from './helpers';

describe('policy checks at synth (cdk-nag AwsSolutions + cfn-guard Control Tower rules)', () => {
  it('finds nothing unacknowledged in the deployment of the example config', () => {
    const { app } = buildApp(exampleConfig(), { app: testApp({ bundle: true }) });
    expect(policyFindings(app)).toEqual([]);
  });

  it('fails synth on a finding (the checks are really running)', () => {
    const { app } = buildApp(exampleConfig(), { app: testApp() });
    const stack = new Stack(app, 'Insecure', { env: { region: 'eu-west-1' } });
    new sns.Topic(stack, 'PlainTopic');
    const findings = policyFindings(app);
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^AwsSolutions: AwsSolutions-SNS3 on Insecure\/PlainTopic\//),
      ]),
    );
  });
});
