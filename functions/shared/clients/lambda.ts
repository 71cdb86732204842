/** Lambda: the SDK package and the cached client, each loaded on first use (see ./base). */
import type * as sdk from '@aws-sdk/client-lambda';
import { baseClientConfig, cachedClient, onFirstUse } from './base';

/** The package, required on first call; commands are built from it, so importing this module loads no SDK. */
export const lambdaSdk = onFirstUse((): typeof sdk => require('@aws-sdk/client-lambda'));

export const lambda = cachedClient('lambda', () => new (lambdaSdk().LambdaClient)(baseClientConfig()));
