import * as z from 'zod';
import { connectionFields, loginName } from '../database/connection-schema.js';

export const postgresqlIssuerSchema = z
  .strictObject({
    type: z.literal('postgresql'),
    ...connectionFields(5432),
    database: z.string().min(1).default('postgres').describe('database the admin connects to'),
    roles: z
      .tuple([loginName('role'), loginName('role')])
      .refine(([a, b]) => a !== b, 'two different roles')
      .describe('the two login roles consumers alternate between (same grants, e.g. through a common group role); the new password goes to the one not in use'),
    verifyDatabase: z.string().min(1).optional().describe('database the new login connects to when verified (default: database)'),
  })
  .describe('PostgreSQL passwords, alternating between two login roles: the new password is set on the role nobody uses, the old role is set NOLOGIN once its sessions are gone');

export type PostgresqlIssuerConfig = z.output<typeof postgresqlIssuerSchema>;
