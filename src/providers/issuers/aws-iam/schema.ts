import * as z from 'zod';
import { duration } from '../../../shared/duration-field.js';

export const awsIamIssuerSchema = z
  .strictObject({
    type: z.literal('aws-iam'),
    user: z
      .string()
      .regex(/^[\w+=,.@-]{1,64}$/, 'an IAM user name: 1-64 letters, digits and +=,.@_-')
      .describe('IAM user whose access keys are rotated'),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'an AWS region such as us-east-1')
      .describe('region for the STS and IAM calls'),
    profile: z
      .string()
      .min(1)
      .optional()
      .describe('named profile from ~/.aws/config to take credentials from, instead of the default chain'),
    roleArn: z
      .string()
      .regex(/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'a role ARN such as arn:aws:iam::123456789012:role/keyrot')
      .optional()
      .describe('role to assume (with the chain credentials) before calling IAM'),
    endpoint: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('endpoint URL for every IAM and STS call (VPC endpoints, test servers)'),
    deleteInactiveKey: z
      .boolean()
      .default(false)
      .describe('when the user already holds two keys and one is inactive, delete that one first'),
    // prefault: the default goes through the string->ms transform like a written value.
    verifyTimeout: duration
      .prefault('60s')
      .describe('how long the whole verify may take, retries included, while IAM propagates the new key (a duration such as 60s or 2m)'),
    timeout: duration.prefault('30s').describe('per-request timeout of each IAM and STS call (each is retried up to 6 times)'),
    connectTimeout: duration.prefault('5s').describe('how long to wait for a connection to IAM or STS'),
  })
  .describe('access keys of an AWS IAM user; credentials come from the AWS default chain (env, profile, SSO, IRSA)');

export type AwsIamIssuerConfig = z.output<typeof awsIamIssuerSchema>;
