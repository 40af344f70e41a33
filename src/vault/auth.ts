// Getting a Vault token the way Vault's own CLI and agents do: VAULT_TOKEN then ~/.vault-token,
// or an AppRole or Kubernetes login. Login ids, JWTs and tokens never reach a message.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { KeyrotError } from '../errors.js';
import type { Connection } from './client.js';
import { type Session, tokenGoneReason, toKeyrotError, vaultReason, vaultStatus } from './errors.js';
import type { VaultAuth, VaultContext } from './schema.js';

type Fail = (reason: string, fix: string) => KeyrotError;

/** Log in and leave the token on the client; the session tells later errors where the token came from. */
export async function login(conn: Connection, auth: VaultAuth, ctx: VaultContext, provider: string): Promise<Session> {
  const fail: Fail = (reason, fix) => new KeyrotError('provider-auth-failed', { provider, reason, fix });
  switch (auth.method) {
    case 'token':
      return useToken(conn, ctx, provider, fail);
    case 'approle': {
      const roleId = await fromFileOrEnv(auth.roleIdFile, auth.roleIdEnv, 'AppRole role_id', ctx, fail);
      const secretId = await fromFileOrEnv(auth.secretIdFile, auth.secretIdEnv, 'AppRole secret_id', ctx, fail);
      await loginWith(conn, auth.mount, { role_id: roleId, secret_id: secretId }, [roleId, secretId], provider, (why) =>
        fail(`AppRole login at auth/${auth.mount} failed: ${why}`,
          `check the role_id and secret_id keyrot reads; a secret_id may have expired or run out of uses (issue one with \`vault write -f auth/${auth.mount}/role/<role>/secret-id\`)`));
      return { source: `the AppRole login at auth/${auth.mount}`, fix: 'the token of its login expired: a new run logs in again', selfLookup: await looksUpSelf(conn, provider) };
    }
    case 'kubernetes': {
      const jwtFile = path.resolve(ctx.planDir, auth.jwtFile);
      const jwt = (await readSecretFile(jwtFile, 'the service account token', fail, 'run keyrot in a pod with a service account token mounted, or set auth.jwtFile')).trim();
      await loginWith(conn, auth.mount, { role: auth.role, jwt }, [jwt], provider, (why) =>
        fail(`Kubernetes login as role "${auth.role}" at auth/${auth.mount} failed: ${why}`,
          `check that Vault role "${auth.role}" admits this service account and namespace (\`vault read auth/${auth.mount}/role/${auth.role}\`)`));
      return { source: `the Kubernetes login at auth/${auth.mount}`, fix: 'the token of its login expired: a new run logs in again', selfLookup: await looksUpSelf(conn, provider) };
    }
  }
}

async function useToken(conn: Connection, ctx: VaultContext, provider: string, fail: Fail): Promise<Session> {
  const fix = 'log in again (`vault login`) or set VAULT_TOKEN to a valid token';
  let token = ctx.env.VAULT_TOKEN?.trim();
  let source = 'VAULT_TOKEN';
  if (!token) {
    source = '~/.vault-token';
    const file = path.join(ctx.env.HOME || homedir(), '.vault-token');
    token = (await readFile(file, 'utf8').catch(() => '')).trim();
    if (!token) throw fail('no token: VAULT_TOKEN is not set and ~/.vault-token is missing or empty', `run \`vault login\`, set VAULT_TOKEN, or set ${ctx.authSetting ?? '`auth.method: approle` or `kubernetes` in the plan'}`);
  }
  conn.client.token = token;
  // Ask Vault about the token now, so an expired one is reported as that, not as "permission denied" later.
  // Vault and OpenBao answer a bad token with a bare 403 "permission denied", as they answer a token
  // without the default policy (which grants lookup-self): say both.
  const session = { source, fix, selfLookup: true };
  if (!(await looksUpSelf(conn, provider, [token]))) {
    throw fail(`${tokenGoneReason(session)}; a token that is still valid needs the "default" policy, which allows that call`, fix);
  }
  return session;
}

/** Whether the token may look itself up: how Vault users tell an expired token from a missing policy. */
export async function looksUpSelf(conn: Connection, provider: string, sensitive: string[] = []): Promise<boolean> {
  try {
    await conn.client.read('auth/token/lookup-self');
    return true;
  } catch (e) {
    if (vaultStatus(e) === 403) return false;
    throw toKeyrotError(e, { provider, address: conn.address, mount: 'auth/token', operation: 'check the token', path: 'auth/token/lookup-self', capability: 'read', timeoutMs: conn.timeoutMs, sensitive });
  }
}

async function loginWith(conn: Connection, mount: string, body: Record<string, string>, sensitive: string[], provider: string, refused: (why: string) => KeyrotError): Promise<void> {
  let answer: { auth?: { client_token?: unknown } };
  try {
    answer = (await conn.client.write(`auth/${mount}/login`, body)) as typeof answer;
  } catch (e) {
    const status = vaultStatus(e);
    // 400 and 403 are Vault saying no to these credentials; anything else (sealed, timeout, network) is not about them.
    if (status === 400 || status === 403) throw refused(`${vaultReason(e, sensitive) || 'refused'} (HTTP ${status})`);
    throw toKeyrotError(e, { provider, address: conn.address, mount: `auth/${mount}`, operation: 'log in', path: `auth/${mount}/login`, capability: 'update', timeoutMs: conn.timeoutMs, sensitive });
  }
  const token = answer?.auth?.client_token;
  if (typeof token !== 'string' || !token) throw refused('Vault answered without a client token');
  conn.client.token = token;
}

async function fromFileOrEnv(file: string | undefined, env: string | undefined, what: string, ctx: VaultContext, fail: Fail): Promise<string> {
  if (env !== undefined) {
    const value = ctx.env[env]?.trim();
    if (!value) throw fail(`${what}: environment variable ${env} is not set`, `export ${env} (from your secret store or CI secrets)`);
    return value;
  }
  const full = path.resolve(ctx.planDir, file!);
  const value = (await readSecretFile(full, `the ${what} file`, fail, `create ${full} (mode 0600) or change the plan's auth section`)).trim();
  if (!value) throw fail(`${what}: ${full} is empty`, `write the ${what} to ${full}`);
  return value;
}

async function readSecretFile(file: string, what: string, fail: Fail, fix: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw fail(`cannot read ${what} ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, fix);
  }
}
