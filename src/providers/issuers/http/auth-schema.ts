// How keyrot authenticates to the vendor's admin API. The credential comes from an environment
// variable or a file, never from the plan: the fields name where it is (…Env, …File), so the
// output filter masks those variables' values like every credential variable it knows.
import * as z from 'zod';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');
const fileName = z.string().min(1);
const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'an HTTP header name');
const oneOf = (a: unknown, b: unknown) => (a === undefined) !== (b === undefined);

export const adminAuthSchema = z
  .discriminatedUnion('type', [
    z
      .strictObject({
        type: z.literal('bearer'),
        tokenEnv: envName.optional().describe('the variable holding the admin token'),
        tokenFile: fileName.optional().describe('or a file holding it (relative to the plan)'),
      })
      .refine((a) => oneOf(a.tokenEnv, a.tokenFile), 'give tokenEnv or tokenFile (one of them)'),
    z
      .strictObject({
        type: z.literal('basic'),
        username: z.string().min(1).optional().describe('the user name, when it is not secret (a Twilio Account SID)'),
        usernameEnv: envName.optional().describe('or the variable holding it'),
        passwordEnv: envName.optional().describe('the variable holding the password'),
        passwordFile: fileName.optional().describe('or a file holding it (relative to the plan)'),
      })
      .refine((a) => oneOf(a.username, a.usernameEnv), 'give username or usernameEnv (one of them)')
      .refine((a) => oneOf(a.passwordEnv, a.passwordFile), 'give passwordEnv or passwordFile (one of them)'),
    z
      .strictObject({
        type: z.literal('headers'),
        headersFromEnv: z.record(headerName, envName).optional().describe('header -> the variable holding its value, e.g. { X-Vault-Token: VAULT_TOKEN }'),
        headersFromFile: z.record(headerName, fileName).optional().describe('header -> a file holding its value'),
      })
      .refine((a) => Object.keys({ ...a.headersFromEnv, ...a.headersFromFile }).length > 0, 'name at least one header'),
  ])
  .describe('how keyrot authenticates to the admin API: bearer, basic, or headers (X-Vault-Token, DD-API-KEY, ...)');

export type AdminAuth = z.output<typeof adminAuthSchema>;
