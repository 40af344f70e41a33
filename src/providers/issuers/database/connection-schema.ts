// The admin connection every database issuer takes (PostgreSQL, MySQL/MariaDB, Redis): where the
// server is, whom keyrot logs in as, and where that password is read from. A plan never holds a
// password: it names an environment variable or a file.
import * as z from 'zod';
import { duration } from '../../../shared/duration-field.js';

const loginName = (what: string) =>
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_$.-]{0,62}$/, `a ${what} name: letters, digits and _$.-, starting with a letter or _, at most 63`);

export const adminSchema = z
  .strictObject({
    user: loginName('login').describe('the login keyrot connects as (see README, "Database privileges")'),
    passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional()
      .describe('environment variable holding its password (default: the server\'s own, e.g. PGPASSWORD)'),
    passwordFile: z.string().min(1).optional().describe('file holding its password (relative to the plan), e.g. a mounted secret'),
  })
  .describe('the admin login keyrot connects as; its password comes from passwordEnv or passwordFile, never the plan');

export const tlsSchema = z
  .strictObject({
    mode: z.enum(['require', 'verify-full']).default('verify-full')
      .describe('verify-full: the server certificate must be valid for host; require: encrypted, certificate not checked'),
    caFile: z.string().min(1).optional().describe('PEM file of the CA that signed the server certificate (relative to the plan)'),
  })
  .describe('encrypt every connection (the admin\'s and verify\'s); without it, plain TCP');

/** The fields every database issuer shares; `port` is the server's usual one. */
export const connectionFields = (port: number) => ({
  host: z.string().min(1).describe('server host name or address'),
  port: z.int().min(1).max(65535).default(port),
  admin: adminSchema,
  tls: tlsSchema.optional(),
  timeout: duration.prefault('10s').describe('connect and statement timeout of each call'),
});

export { loginName };

export type AdminConfig = z.output<typeof adminSchema>;
export type TlsConfig = z.output<typeof tlsSchema>;
