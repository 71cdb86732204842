/**
 * Systems Manager Parameter Store in one region: String parameters, what the control plane publishes (the
 * cluster CA bundle). Modelled after the API reference:
 * - `PutParameter` (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html):
 *   creates version 1; an existing name without `Overwrite` fails with `ParameterAlreadyExists`; each write
 *   adds a version. Standard-tier values hold at most 4 KB, advanced ones 8 KB; `Intelligent-Tiering` picks the
 *   standard tier when the value fits it (Systems Manager User Guide, *Managing parameter tiers*). Only `String`
 *   parameters are modelled (`SecureString` needs KMS encryption, `StringList` is unused).
 * - `GetParameter` (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html): the
 *   latest version, or `ParameterNotFound`.
 */
import type { ApiHandler, SimContext } from '../core/contracts';
import { AwsError, NotModelledError } from '../core/errors';

interface Parameter {
  readonly name: string;
  value: string;
  version: number;
  tier: 'Standard' | 'Advanced';
  lastModified: number;
  description: string | undefined;
}

const STANDARD_MAX = 4096;
const ADVANCED_MAX = 8192;

export interface PutParameterInput {
  Name?: string;
  Value?: string;
  Type?: string;
  Overwrite?: boolean;
  Tier?: string;
  Description?: string;
}

export class ParameterStore {
  private readonly parameters = new Map<string, Parameter>();

  constructor(private readonly ctx: SimContext) {}

  /** The API actions, for SsmSim's `api`. */
  api(): Record<string, ApiHandler> {
    return {
      PutParameter: (input: PutParameterInput) => this.put(input),
      GetParameter: (input: { Name?: string; WithDecryption?: boolean }) => this.get(input),
    };
  }

  /** The current value (tests and the twin's nodes read it as `aws ssm get-parameter` would). */
  valueOf(name: string): string | undefined {
    return this.parameters.get(name)?.value;
  }

  private put(input: PutParameterInput) {
    const name = input.Name;
    if (name === undefined || name === '') throw new AwsError('ValidationException', 'Name must be set');
    if (input.Value === undefined || input.Value === '')
      throw new AwsError('ValidationException', 'Value must be set');
    const type = input.Type ?? 'String';
    if (type !== 'String')
      throw new NotModelledError(`the twin's Parameter Store models String parameters, not ${type}`);
    const bytes = Buffer.byteLength(input.Value, 'utf8');
    const tierIn = input.Tier ?? 'Standard';
    if (!['Standard', 'Advanced', 'Intelligent-Tiering'].includes(tierIn))
      throw new AwsError('ValidationException', `Tier ${tierIn} is not valid`);
    const tier: Parameter['tier'] =
      tierIn === 'Advanced' || (tierIn === 'Intelligent-Tiering' && bytes > STANDARD_MAX)
        ? 'Advanced'
        : 'Standard';
    if (bytes > (tier === 'Advanced' ? ADVANCED_MAX : STANDARD_MAX))
      throw new AwsError(
        'ValidationException',
        `The value of ${bytes} bytes exceeds the ${tier} tier's limit`,
      );
    const existing = this.parameters.get(name);
    const now = this.ctx.clock.now();
    if (existing !== undefined) {
      if (input.Overwrite !== true)
        throw new AwsError(
          'ParameterAlreadyExists',
          'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
        );
      existing.value = input.Value;
      existing.version += 1;
      existing.lastModified = now;
      // A parameter never moves back from the advanced tier (Managing parameter tiers).
      if (tier === 'Advanced') existing.tier = 'Advanced';
      if (input.Description !== undefined) existing.description = input.Description;
      return { Version: existing.version, Tier: existing.tier };
    }
    this.parameters.set(name, {
      name,
      value: input.Value,
      version: 1,
      tier,
      lastModified: now,
      description: input.Description,
    });
    return { Version: 1, Tier: tier };
  }

  private get(input: { Name?: string }) {
    const p = input.Name === undefined ? undefined : this.parameters.get(input.Name);
    if (p === undefined) throw new AwsError('ParameterNotFound', `Parameter ${input.Name} not found.`);
    return {
      Parameter: {
        Name: p.name,
        Type: 'String',
        Value: p.value,
        Version: p.version,
        LastModifiedDate: new Date(p.lastModified),
        ARN: `arn:aws:ssm:${this.ctx.region}:${this.ctx.world.accountId}:parameter${p.name.startsWith('/') ? '' : '/'}${p.name}`,
        DataType: 'text',
      },
    };
  }
}
