// The plan fields every AWS store shares (aws-secrets-manager, aws-ssm): where, and as whom.
import * as z from 'zod';
import { duration } from '../../shared/duration-field.js';

export const awsRegion = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'an AWS region such as us-east-1');

export const awsConnectionFields = {
  endpoint: z.url({ protocol: /^https?$/ }).optional().describe('endpoint URL (VPC endpoints, test servers)'),
  profile: z.string().min(1).optional().describe('named profile from ~/.aws/config instead of the default chain'),
  timeout: duration.prefault('30s').describe('per-request timeout (each request is retried up to 5 times)'),
};
