import type { DescribeSecretResponse, GetSecretValueResponse } from '@aws-sdk/client-secrets-manager';
import type { ApiHandler, SecretsContract, SimContext, SimService } from '../core/contracts';
import { AwsError } from '../core/errors';
import type { Rng } from '../core/rng';

/**
 * Where the seed deployment keeps the cluster's Artifactory master key and join key in Secrets Manager (the
 * world's setup puts them there; sim/setup.ts uses the same names). JFrog: "In HA environments, all
 * instances of a component must have the same master key value, on all HA nodes", and the join key "is
 * shared between all JFrog services" (JFrog Installation & Setup, *Manage Keys*). Nodes read them on the node.
 */
export function clusterKeySecretNames(clusterName: string): { masterKey: string; joinKey: string } {
  return { masterKey: `${clusterName}/master-key`, joinKey: `${clusterName}/join-key` };
}

interface SecretVersion {
  readonly versionId: string;
  readonly value: string;
  readonly createdAt: number;
  stages: string[];
}

interface Secret {
  readonly name: string;
  readonly arn: string;
  readonly createdAt: number;
  lastChangedAt: number;
  lastAccessedAt: number | undefined;
  readonly versions: SecretVersion[];
}

/** A version-4-shaped UUID from the seeded stream. */
function uuid(rng: Rng): string {
  const h = rng.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[rng.int(0, 3)]}${h.slice(17, 20)}-${h.slice(20)}`;
}

const ARN_SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Secrets Manager in one region: string secrets with versions and the AWSCURRENT/AWSPREVIOUS staging labels. */
export class SecretsManagerSim implements SimService, SecretsContract {
  readonly service = 'secretsmanager' as const;
  readonly api: Readonly<Record<string, ApiHandler>>;
  private readonly secrets = new Map<string, Secret>();

  constructor(private readonly ctx: SimContext) {
    this.api = {
      GetSecretValue: (input: { SecretId?: string; VersionId?: string; VersionStage?: string }) =>
        this.getSecretValue(input),
      DescribeSecret: (input: { SecretId?: string }) => this.describeSecret(input),
    };
  }

  /**
   * Creates the secret, or (as PutSecretValue) adds a version that takes AWSCURRENT while the previous
   * current version becomes AWSPREVIOUS (Secrets Manager User Guide, *Secret versions*). Returns the ARN.
   */
  putSecret(name: string, value: string): string {
    const now = this.ctx.clock.now();
    let secret = this.secrets.get(name);
    if (!secret) {
      // Secret ARNs end in a hyphen and six random characters (Secrets Manager User Guide, *Secret ARN*).
      let suffix = '';
      for (let i = 0; i < 6; i++) suffix += this.ctx.rng.pick([...ARN_SUFFIX_ALPHABET]);
      const arn = `arn:aws:secretsmanager:${this.ctx.region}:${this.ctx.world.accountId}:secret:${name}-${suffix}`;
      secret = { name, arn, createdAt: now, lastChangedAt: now, lastAccessedAt: undefined, versions: [] };
      this.secrets.set(name, secret);
    }
    for (const v of secret.versions) {
      v.stages = v.stages.filter((s) => s !== 'AWSPREVIOUS');
      if (v.stages.includes('AWSCURRENT'))
        v.stages = [...v.stages.filter((s) => s !== 'AWSCURRENT'), 'AWSPREVIOUS'];
    }
    secret.versions.push({ versionId: uuid(this.ctx.rng), value, createdAt: now, stages: ['AWSCURRENT'] });
    secret.lastChangedAt = now;
    return secret.arn;
  }

  secretValues(): string[] {
    return [...this.secrets.values()].flatMap((s) => s.versions.map((v) => v.value));
  }

  valueOf(nameOrArn: string): string | undefined {
    return this.find(nameOrArn)?.versions.find((v) => v.stages.includes('AWSCURRENT'))?.value;
  }

  /** Secret ids are names or full ARNs (GetSecretValue API reference, `SecretId`). */
  private find(id: string): Secret | undefined {
    return this.secrets.get(id) ?? [...this.secrets.values()].find((s) => s.arn === id);
  }

  private mustFind(id: string | undefined): Secret {
    const secret = id === undefined ? undefined : this.find(id);
    // The message Secrets Manager returns for an unknown secret id.
    if (!secret)
      throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  }

  private getSecretValue(input: {
    SecretId?: string;
    VersionId?: string;
    VersionStage?: string;
  }): GetSecretValueResponse {
    const secret = this.mustFind(input.SecretId);
    const stage = input.VersionStage ?? (input.VersionId ? undefined : 'AWSCURRENT');
    const version = secret.versions.find(
      (v) =>
        (input.VersionId === undefined || v.versionId === input.VersionId) &&
        (stage === undefined || v.stages.includes(stage)),
    );
    if (!version) {
      throw new AwsError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret value for VersionId or VersionStage.",
      );
    }
    secret.lastAccessedAt = this.ctx.clock.now();
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      SecretString: version.value,
      VersionStages: [...version.stages],
      CreatedDate: new Date(version.createdAt),
    };
  }

  private describeSecret(input: { SecretId?: string }): DescribeSecretResponse {
    const secret = this.mustFind(input.SecretId);
    const out: DescribeSecretResponse = {
      ARN: secret.arn,
      Name: secret.name,
      CreatedDate: new Date(secret.createdAt),
      LastChangedDate: new Date(secret.lastChangedAt),
      VersionIdsToStages: Object.fromEntries(
        secret.versions.filter((v) => v.stages.length > 0).map((v) => [v.versionId, [...v.stages]]),
      ),
    };
    // Secrets Manager records the access date only (rounded to the day).
    if (secret.lastAccessedAt !== undefined) {
      out.LastAccessedDate = new Date(Math.floor(secret.lastAccessedAt / 86_400_000) * 86_400_000);
    }
    return out;
  }
}
