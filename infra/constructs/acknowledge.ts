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

/** cdk-nag's finding for a policy statement on Resource "*" (its granularity is the resource, not the action). */
export const ANY_RESOURCE_FINDING = 'AwsSolutions-IAM5[Resource::*]';

/**
 * The reason a Resource "*" acknowledgement gives: exactly the actions the acknowledged policy allows on "*".
 * test/infra checks every control-plane Lambda policy against it, so adding an action to a "*" statement
 * without acknowledging it by name fails the build instead of riding on an earlier acknowledgement.
 */
export function anyResourceReason(actions: readonly string[]): string {
  return `Resource "*" only for ${[...new Set(actions)].sort().join(', ')}: these actions support no resource-level permissions (Service Authorization Reference).`;
}

/**
 * Acknowledges the Resource "*" finding on one policy (not on its role, which would pre-approve any later "*"
 * statement of any policy of the role), naming exactly the actions that policy allows on "*".
 */
export function acknowledgeAnyResource(policy: IConstruct, actions: readonly string[]): void {
  acknowledge(policy, { id: ANY_RESOURCE_FINDING, reason: anyResourceReason(actions) });
}
