/**
 * ReadReplicationStatus (infra/ssm-documents/read-replication-status.sh) in the twin: the token is fetched on
 * the node from Secrets Manager (a missing secret fails the command, as the AWS CLI does), then each
 * repository's status is asked of the node's own Artifactory (`GET /artifactory/api/replication/{repoKey}`,
 * JFrog REST API "Scheduled Replication Status", modelled by sim/services/artifactory.ts
 * `replicationStatusOf`), one JSON line per repository. The token never reaches the output.
 */
import { DOCUMENTS, REPO_KEYS_PATTERN } from '../../infra/ssm-documents';
import type { DocumentEffect } from '../core/contracts';
import { replicationStatusOf } from './artifactory';

/** Two local HTTP calls' worth per repository, plus the secret's fetch (ms). */
export const REPLICATION_READ_TIMING = { secret: [500, 1_500], perRepo: [200, 800] } as const;

/** The script's shape check of the token (it dies on anything else, printing only the secret's name). */
const TOKEN_SHAPE = /^[A-Za-z0-9._~+/=-]{16,4096}$/;

export const readReplicationStatus: DocumentEffect = async ({
  instance,
  parameters,
  region,
  clock,
  rng,
  faults,
}) => {
  const spec = DOCUMENTS.readReplicationStatus.parameters;
  const repoKeys = parameters.RepoKeys?.[0] ?? '';
  const secretId = parameters.TokenSecretId?.[0] ?? '';
  if (!new RegExp(REPO_KEYS_PATTERN).test(repoKeys))
    return {
      status: 'Failed',
      stdout: '',
      stderr: `invalid parameter REPO_KEYS: must match ${REPO_KEYS_PATTERN}`,
      responseCode: 2,
    };
  if (!new RegExp(spec.TokenSecretId.allowedPattern).test(secretId))
    return {
      status: 'Failed',
      stdout: '',
      stderr: `invalid parameter TOKEN_SECRET_ID: must match ${spec.TokenSecretId.allowedPattern}`,
      responseCode: 2,
    };
  await clock.sleep(rng.between(REPLICATION_READ_TIMING.secret[0], REPLICATION_READ_TIMING.secret[1]));
  const token = region.secretsmanager.valueOf(secretId);
  if (token === undefined)
    return {
      status: 'Failed',
      stdout: '',
      stderr: `An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation: Secrets Manager can't find the specified secret.`,
      responseCode: 254,
    };
  if (!TOKEN_SHAPE.test(token))
    return {
      status: 'Failed',
      stdout: '',
      stderr: `secret ${secretId} does not hold an access token`,
      responseCode: 1,
    };
  const lag = faults?.replicationLagMinutes(region.name) ?? 0;
  const lines: string[] = [];
  for (const repo of repoKeys.split(',')) {
    await clock.sleep(rng.between(REPLICATION_READ_TIMING.perRepo[0], REPLICATION_READ_TIMING.perRepo[1]));
    const status = replicationStatusOf(instance.node, instance.reachable, lag, clock.now());
    lines.push(JSON.stringify(status === undefined ? { repo, error: 'http 0' } : { repo, ...status }));
  }
  return { status: 'Success', stdout: `${lines.join('\n')}\n` };
};
