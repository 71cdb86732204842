/**
 * AWS CloudFormation in one region, as far as hactl reads it: DescribeStacks of the control-plane stacks the twin
 * deployed (sim/deploy.ts), with the outputs ControlPlaneStack declares (infra/stacks/names.ts
 * CONTROL_PLANE_OUTPUTS).
 *
 * Modelled from the CloudFormation API Reference, DescribeStacks
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html): "If the stack
 * doesn't exist, a ValidationError is returned" (message `Stack with id <name> does not exist`, HTTP 400); with no
 * StackName it describes every stack; a stack answers StackName, StackId
 * (`arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>`), StackStatus, CreationTime and Outputs
 * (OutputKey, OutputValue, Description). Anything else (pagination, deleted stacks) is not modelled.
 */
import type { SimService } from '../core/contracts';
import { AwsError } from '../core/errors';

export interface SimStack {
  readonly name: string;
  readonly outputs: Readonly<Record<string, string>>;
  readonly descriptions?: Readonly<Record<string, string>>;
}

interface Stored extends SimStack {
  readonly id: string;
  readonly createdAt: number;
}

export class CloudFormationSim implements SimService {
  readonly service = 'cloudformation' as const;
  readonly api;
  private readonly stacks = new Map<string, Stored>();

  constructor(
    readonly region: string,
    private readonly accountId: string,
    private readonly now: () => number,
  ) {
    this.api = {
      DescribeStacks: (input: { StackName?: string; NextToken?: string }) => this.describeStacks(input),
    };
  }

  /** Records a deployed stack (CREATE_COMPLETE) with its outputs. */
  putStack(stack: SimStack): string {
    const n = this.stacks.size + 1;
    const id = `arn:aws:cloudformation:${this.region}:${this.accountId}:stack/${stack.name}/00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    this.stacks.set(stack.name, { ...stack, id, createdAt: this.now() });
    return id;
  }

  private describeStacks(input: { StackName?: string; NextToken?: string }) {
    if (input.NextToken !== undefined)
      throw new AwsError('ValidationError', 'the twin does not page DescribeStacks', { status: 400 });
    const all = [...this.stacks.values()];
    const chosen =
      input.StackName === undefined
        ? all
        : all.filter((s) => s.name === input.StackName || s.id === input.StackName);
    if (input.StackName !== undefined && chosen.length === 0)
      throw new AwsError('ValidationError', `Stack with id ${input.StackName} does not exist`, {
        status: 400,
      });
    return {
      Stacks: chosen.map((s) => ({
        StackName: s.name,
        StackId: s.id,
        StackStatus: 'CREATE_COMPLETE',
        CreationTime: new Date(s.createdAt),
        Outputs: Object.entries(s.outputs).map(([OutputKey, OutputValue]) => ({
          OutputKey,
          OutputValue,
          ...(s.descriptions?.[OutputKey] !== undefined ? { Description: s.descriptions[OutputKey] } : {}),
        })),
      })),
    };
  }
}
