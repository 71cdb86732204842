/** KMS: the SDK package and the cached client, each loaded on first use (see ./base). */
import type * as sdk from '@aws-sdk/client-kms';
import { baseClientConfig, cachedClient, onFirstUse } from './base';

/** The package, required on first call; commands are built from it, so importing this module loads no SDK. */
export const kmsSdk = onFirstUse((): typeof sdk => require('@aws-sdk/client-kms'));

export const kms = cachedClient('kms', () => new (kmsSdk().KMSClient)(baseClientConfig()));
