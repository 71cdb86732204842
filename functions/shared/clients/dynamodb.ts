/**
 * DynamoDB: the SDK packages, the cached client and the document client over it, each loaded on first use
 * (see ./base).
 */
import type * as sdk from '@aws-sdk/client-dynamodb';
import type * as lib from '@aws-sdk/lib-dynamodb';
import { baseClientConfig, cachedClient, onFirstUse, pinnedClientConfig, regionalClient } from './base';

export const dynamoDBSdk = onFirstUse((): typeof sdk => require('@aws-sdk/client-dynamodb'));

/** The document client's package (`GetCommand`, `UpdateCommand`, …), required on first call. */
export const dynamoDocSdk = onFirstUse((): typeof lib => require('@aws-sdk/lib-dynamodb'));

export const dynamoDB = cachedClient(
  'dynamoDB',
  () => new (dynamoDBSdk().DynamoDBClient)(baseClientConfig()),
);

/** Over {@link dynamoDB} (injected or built); drops `undefined` attributes instead of throwing. */
export const dynamoDoc = cachedClient('dynamoDoc', () =>
  dynamoDocSdk().DynamoDBDocumentClient.from(dynamoDB(), {
    marshallOptions: { removeUndefinedValues: true },
  }),
);

/** A document client pinned to `region` (another region's routing table), cached per region. */
export const dynamoDocIn = regionalClient('dynamoDoc', (region) =>
  dynamoDocSdk().DynamoDBDocumentClient.from(new (dynamoDBSdk().DynamoDBClient)(pinnedClientConfig(region)), {
    marshallOptions: { removeUndefinedValues: true },
  }),
);
