/** Auto Scaling: the SDK package and the cached client, each loaded on first use (see ./base). */
import type * as sdk from '@aws-sdk/client-auto-scaling';
import { baseClientConfig, cachedClient, onFirstUse, pinnedClientConfig, regionalClient } from './base';

/** The package, required on first call; commands are built from it, so importing this module loads no SDK. */
export const autoScalingSdk = onFirstUse((): typeof sdk => require('@aws-sdk/client-auto-scaling'));

export const autoScaling = cachedClient(
  'autoScaling',
  () => new (autoScalingSdk().AutoScalingClient)(baseClientConfig()),
);

/** A client pinned to `region` (another region's resources), cached per region. */
export const autoScalingIn = regionalClient(
  'autoScaling',
  (region) => new (autoScalingSdk().AutoScalingClient)(pinnedClientConfig(region)),
);
