/** EC2: the SDK package and the cached client, each loaded on first use (see ./base). */
import type * as sdk from '@aws-sdk/client-ec2';
import { baseClientConfig, cachedClient, onFirstUse } from './base';

/** The package, required on first call; commands are built from it, so importing this module loads no SDK. */
export const ec2Sdk = onFirstUse((): typeof sdk => require('@aws-sdk/client-ec2'));

export const ec2 = cachedClient('ec2', () => new (ec2Sdk().EC2Client)(baseClientConfig()));
