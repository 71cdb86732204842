/** Step Functions: the SDK package and the cached client, each loaded on first use (see ./base). */
import type * as sdk from '@aws-sdk/client-sfn';
import { baseClientConfig, cachedClient, onFirstUse, pinnedClientConfig, regionalClient } from './base';

/** The package, required on first call; commands are built from it, so importing this module loads no SDK. */
export const sfnSdk = onFirstUse((): typeof sdk => require('@aws-sdk/client-sfn'));

export const sfn = cachedClient('sfn', () => new (sfnSdk().SFNClient)(baseClientConfig()));

/** A client pinned to `region` (another region's resources), cached per region. */
export const sfnIn = regionalClient('sfn', (region) => new (sfnSdk().SFNClient)(pinnedClientConfig(region)));
