/** Systems Manager: the SDK package and the cached client, each loaded on first use (see ./base). */
import type * as sdk from '@aws-sdk/client-ssm';
import { baseClientConfig, cachedClient, onFirstUse, pinnedClientConfig, regionalClient } from './base';

/** The package, required on first call; commands are built from it, so importing this module loads no SDK. */
export const ssmSdk = onFirstUse((): typeof sdk => require('@aws-sdk/client-ssm'));

export const ssm = cachedClient('ssm', () => new (ssmSdk().SSMClient)(baseClientConfig()));

/** A client pinned to `region` (another region's resources), cached per region. */
export const ssmIn = regionalClient('ssm', (region) => new (ssmSdk().SSMClient)(pinnedClientConfig(region)));
