/** SNS: the SDK package and the cached client, each loaded on first use (see ./base). */
import type * as sdk from '@aws-sdk/client-sns';
import { baseClientConfig, cachedClient, onFirstUse } from './base';

/** The package, required on first call; commands are built from it, so importing this module loads no SDK. */
export const snsSdk = onFirstUse((): typeof sdk => require('@aws-sdk/client-sns'));

export const sns = cachedClient('sns', () => new (snsSdk().SNSClient)(baseClientConfig()));
