import * as z from 'zod';
import { connectionFields, loginName } from '../database/connection-schema.js';

export const mysqlIssuerSchema = z
  .strictObject({
    type: z.literal('mysql'),
    ...connectionFields(3306),
    users: z
      .tuple([loginName('user'), loginName('user')])
      .refine(([a, b]) => a !== b, 'two different users')
      .describe('the two users consumers alternate between (same grants); every host of a user (\'app\'@\'%\', \'app\'@\'localhost\') is rotated as one'),
    verifyDatabase: z.string().min(1).optional().describe('database the new login opens when verified (default: none)'),
  })
  .describe('MySQL 8 / MariaDB passwords, alternating between two users: the new password is set on the user nobody uses, the old one is locked (ACCOUNT LOCK) once its sessions are gone');

export type MysqlIssuerConfig = z.output<typeof mysqlIssuerSchema>;
