import * as z from 'zod';

export const generatedIssuerSchema = z
  .strictObject({
    type: z.literal('generated'),
    bytes: z.int().min(16).max(128).default(32).describe('random bytes per key (32 = 256 bits)'),
    encoding: z.enum(['base64url', 'hex']).default('base64url'),
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]{0,16}$/, 'letters, digits, _ and - only, at most 16')
      .default('')
      .describe('text put before every secret, e.g. sk_live_'),
  })
  .describe('a random key for a service you own; its consumers accept every key published in the stores');

export type GeneratedIssuerConfig = z.output<typeof generatedIssuerSchema>;
