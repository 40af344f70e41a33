import * as z from 'zod';
import { awsConnectionFields, awsRegion } from '../aws-fields.js';
import { valueChecks, valueFields } from '../secret-value.js';

export const awsSecretsManagerStoreSchema = z
  .strictObject({
    type: z.literal('aws-secrets-manager'),
    region: awsRegion.describe('region of the secret'),
    secretId: z
      .string()
      .regex(
        /^(arn:aws[\w-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+|[\w/+=.@-]{1,512})$/,
        'a secret name (letters, digits and /_+=.@-) or a secret ARN',
      )
      .describe('the secret, by name (created if missing) or ARN'),
    ...valueFields,
    ...awsConnectionFields,
    adopt: z.boolean().default(false).describe('take over an existing secret keyrot did not write'),
  })
  .refine(...valueChecks[0])
  .refine(...valueChecks[1])
  .describe('an AWS Secrets Manager secret: each publish is a new AWSCURRENT version; credentials from the AWS default chain');

export type AwsSecretsManagerStoreConfig = z.output<typeof awsSecretsManagerStoreSchema>;
