/** Secrets Manager: the SDK package and the cached client, each loaded on first use (see ./base). */
import type * as sdk from '@aws-sdk/client-secrets-manager';
import { baseClientConfig, cachedClient, onFirstUse } from './base';

/** The package, required on first call; commands are built from it, so importing this module loads no SDK. */
export const secretsManagerSdk = onFirstUse((): typeof sdk => require('@aws-sdk/client-secrets-manager'));

export const secretsManager = cachedClient(
  'secretsManager',
  () => new (secretsManagerSdk().SecretsManagerClient)(baseClientConfig()),
);
