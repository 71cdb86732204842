/** CloudWatch: the SDK package and the cached client, each loaded on first use (see ./base). */
import type * as sdk from '@aws-sdk/client-cloudwatch';
import { baseClientConfig, cachedClient, onFirstUse, pinnedClientConfig, regionalClient } from './base';

/** The package, required on first call; commands are built from it, so importing this module loads no SDK. */
export const cloudWatchSdk = onFirstUse((): typeof sdk => require('@aws-sdk/client-cloudwatch'));

export const cloudWatch = cachedClient(
  'cloudWatch',
  () => new (cloudWatchSdk().CloudWatchClient)(baseClientConfig()),
);

/** A client pinned to `region` (another region's resources), cached per region. */
export const cloudWatchIn = regionalClient(
  'cloudWatch',
  (region) => new (cloudWatchSdk().CloudWatchClient)(pinnedClientConfig(region)),
);
