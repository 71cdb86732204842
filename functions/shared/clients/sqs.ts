/** SQS: the SDK package and the cached client, each loaded on first use (see ./base). */
import type * as sdk from '@aws-sdk/client-sqs';
import { baseClientConfig, cachedClient, onFirstUse } from './base';

/** The package, required on first call; commands are built from it, so importing this module loads no SDK. */
export const sqsSdk = onFirstUse((): typeof sdk => require('@aws-sdk/client-sqs'));

export const sqs = cachedClient('sqs', () => new (sqsSdk().SQSClient)(baseClientConfig()));
