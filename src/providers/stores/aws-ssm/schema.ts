import * as z from 'zod';
import { awsConnectionFields, awsRegion } from '../aws-fields.js';
import { valueChecks, valueFields } from '../secret-value.js';

export const awsSsmStoreSchema = z
  .strictObject({
    type: z.literal('aws-ssm'),
    region: awsRegion.describe('region of the parameter'),
    name: z
      .string()
      .regex(/^\/?[a-zA-Z0-9_.-]+(\/[a-zA-Z0-9_.-]+)*$/, 'a parameter name: letters, digits and _.- in /-separated levels, e.g. /payments/aws')
      .max(1011)
      .refine((n) => !/^\/?(aws|ssm)/i.test(n), 'a parameter name may not begin with "aws" or "ssm"')
      .describe('the SecureString parameter consumers read (created if missing)'),
    ...valueFields,
    kmsKeyId: z
      .string()
      .min(1)
      .optional()
      .describe('KMS key that encrypts the value (key id, ARN, alias/NAME or alias ARN); default: the AWS managed key alias/aws/ssm'),
    tier: z
      .enum(['Standard', 'Advanced', 'Intelligent-Tiering'])
      .default('Standard')
      .describe('the parameter tier when keyrot creates it (Standard: up to 4 KB, no charge)'),
    ...awsConnectionFields,
    adopt: z.boolean().default(false).describe('take over an existing parameter keyrot did not write'),
  })
  .refine(...valueChecks[0])
  .refine(...valueChecks[1])
  .describe(
    'an AWS SSM Parameter Store SecureString: each publish is a new version, the one it replaced labelled keyrot-previous; ' +
      'on delete the old versions are pushed out of the 100-version history (Parameter Store has no call to delete one version); ' +
      'credentials from the AWS default chain',
  );

export type AwsSsmStoreConfig = z.output<typeof awsSsmStoreSchema>;
