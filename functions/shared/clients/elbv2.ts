/** Elastic Load Balancing v2: the SDK package and the cached client, each loaded on first use (see ./base). */
import type * as sdk from '@aws-sdk/client-elastic-load-balancing-v2';
import { baseClientConfig, cachedClient, onFirstUse, pinnedClientConfig, regionalClient } from './base';

/** The package, required on first call; commands are built from it, so importing this module loads no SDK. */
export const elbv2Sdk = onFirstUse((): typeof sdk => require('@aws-sdk/client-elastic-load-balancing-v2'));

export const elbv2 = cachedClient(
  'elbv2',
  () => new (elbv2Sdk().ElasticLoadBalancingV2Client)(baseClientConfig()),
);

/** A client pinned to `region` (another region's resources), cached per region. */
export const elbv2In = regionalClient(
  'elbv2',
  (region) => new (elbv2Sdk().ElasticLoadBalancingV2Client)(pinnedClientConfig(region)),
);
