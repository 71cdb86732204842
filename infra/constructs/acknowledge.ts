import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** One accepted finding of a policy check, with the reason it is accepted. */
export interface Finding {
  /**
   * A cdk-nag rule (`AwsSolutions-IAM5`, or one finding of it: `AwsSolutions-IAM5[Resource::*]`) or a
   * cfn-guard rule (`cdk-validator-cfnguard::<rule_name>`).
   */
  readonly id: string;
  readonly reason: string;
}

/** Acknowledges findings on the construct they concern; a reason must say why the finding is acceptable. */
export function acknowledge(scope: IConstruct, ...findings: Finding[]): void {
  for (const f of findings) {
    if (f.reason.trim().length < 20)
      throw new Error(`acknowledgement of ${f.id} on ${scope.node.path} needs a real reason`);
  }
  Validations.of(scope).acknowledge(...findings);
}
