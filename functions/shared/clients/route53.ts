/** Route 53: the SDK package and the cached client, each loaded on first use (see ./base). */
import type * as sdk from '@aws-sdk/client-route-53';
import { baseClientConfig, cachedClient, onFirstUse } from './base';

/** The package, required on first call; commands are built from it, so importing this module loads no SDK. */
export const route53Sdk = onFirstUse((): typeof sdk => require('@aws-sdk/client-route-53'));

export const route53 = cachedClient('route53', () => new (route53Sdk().Route53Client)(baseClientConfig()));
