// The admin login's password: from the environment variable or file the plan names, read when a
// connection is made (never kept in the plan, the state or any message).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { KeyrotError } from '../../../errors.js';
import { rememberSecret } from '../../../secrets/redact.js';
import type { ProviderContext } from '../../types.js';
import type { AdminConfig } from './connection-schema.js';

/** `defaultEnv`: the server's own variable (PGPASSWORD, MYSQL_PWD, REDISCLI_AUTH). */
export async function adminPassword(admin: AdminConfig, ctx: ProviderContext, provider: string, defaultEnv: string): Promise<string> {
  let password: string | undefined;
  let from: string;
  if (admin.passwordFile) {
    const file = path.resolve(ctx.planDir, admin.passwordFile);
    from = `file ${admin.passwordFile}`;
    password = await readFile(file, 'utf8').then((text) => text.replace(/\r?\n$/, ''), () => undefined);
  } else {
    const name = admin.passwordEnv ?? defaultEnv;
    from = `environment variable ${name}`;
    password = ctx.env[name];
  }
  if (!password) {
    throw new KeyrotError('provider-auth-failed', {
      provider, reason: `no password for ${admin.user} in the ${from}`, fix: `put the password of ${admin.user} in the ${from}`,
    });
  }
  rememberSecret(password); // masked wherever a library message might quote it
  return password;
}
