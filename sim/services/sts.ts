/**
 * AWS STS, GetCallerIdentity only: who the caller is (hactl records it as the `actor` of every change).
 *
 * Modelled from the STS API Reference, GetCallerIdentity
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html): it answers Account, Arn and
 * UserId, and needs no permission. The twin's caller is one assumed role session,
 * `arn:aws:sts::<account>:assumed-role/twin-operator/hactl` (UserId `<role id>:hactl`, as the IAM User Guide's
 * aws:userid table gives it for a role session).
 */
import type { SimService } from '../core/contracts';

export const TWIN_OPERATOR_ROLE = 'twin-operator';
export const TWIN_OPERATOR_SESSION = 'hactl';

/** The ARN of the twin's operator session in `accountId`. */
export function twinOperatorArn(accountId: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${TWIN_OPERATOR_ROLE}/${TWIN_OPERATOR_SESSION}`;
}

export class StsSim implements SimService {
  readonly service = 'sts' as const;
  readonly api;

  constructor(accountId: string) {
    this.api = {
      GetCallerIdentity: () => ({
        Account: accountId,
        Arn: twinOperatorArn(accountId),
        UserId: `AROATWINOPERATOR0000:${TWIN_OPERATOR_SESSION}`,
      }),
    };
  }
}
