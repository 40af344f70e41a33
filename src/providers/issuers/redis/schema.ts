import * as z from 'zod';
import { connectionFields, loginName } from '../database/connection-schema.js';

export const redisIssuerSchema = z
  .strictObject({
    type: z.literal('redis'),
    ...connectionFields(6379),
    user: loginName('user').describe('the ACL user whose password is rotated: it holds the old and the new password during the overlap'),
  })
  .describe('Redis 6+ ACL passwords: one user, two passwords during the overlap; the old one removed by its hash, restorable by it');

export type RedisIssuerConfig = z.output<typeof redisIssuerSchema>;
