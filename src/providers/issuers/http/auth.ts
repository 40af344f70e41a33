// The admin credential's headers, read at each call (a rotated admin token is picked up) from the
// variables and files the plan names. Every value read is registered with the output filter first.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { KeyrotError } from '../../../errors.js';
import { rememberSecret } from '../../../secrets/redact.js';
import type { AdminAuth } from './auth-schema.js';

export interface AuthContext {
  vendor: string;
  env: NodeJS.ProcessEnv;
  planDir: string;
}

/** Where the credential is, as messages name it: "$DD_API_KEY", "the file admin.token". */
export function describeSource(auth: AdminAuth): string {
  const env = (name: string) => `$${name}`;
  const file = (name: string) => `the file ${name}`;
  if (auth.type === 'bearer') return auth.tokenEnv ? env(auth.tokenEnv) : file(auth.tokenFile!);
  if (auth.type === 'basic') return auth.passwordEnv ? env(auth.passwordEnv) : file(auth.passwordFile!);
  return [...Object.values(auth.headersFromEnv ?? {}).map(env), ...Object.values(auth.headersFromFile ?? {}).map(file)].join(', ');
}

async function read(a: AuthContext, from: { env?: string; file?: string }): Promise<string> {
  const missing = (reason: string, fix: string) => new KeyrotError('http-credential-missing', { vendor: a.vendor, reason, fix });
  if (from.env !== undefined) {
    const value = a.env[from.env];
    if (!value) throw missing(`the environment variable ${from.env} is not set`, `export ${from.env} with the admin credential`);
    rememberSecret(value);
    return value;
  }
  const file = path.resolve(a.planDir, from.file!);
  const value = (await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw missing(`cannot read ${file} (${e.code ?? e.message})`, `put the admin credential in ${file}, readable by the user keyrot runs as`);
  })).replace(/\r?\n$/, '');
  if (!value) throw missing(`${file} is empty`, `put the admin credential in ${file}`);
  rememberSecret(value);
  return value;
}

/** The headers that carry the admin credential. Throws http-credential-missing when one is not there. */
export async function adminHeaders(auth: AdminAuth, a: AuthContext): Promise<Record<string, string>> {
  if (auth.type === 'bearer') return { authorization: `Bearer ${await read(a, { env: auth.tokenEnv, file: auth.tokenFile })}` };
  if (auth.type === 'basic') {
    const user = auth.username ?? (await read(a, { env: auth.usernameEnv }));
    const basic = Buffer.from(`${user}:${await read(a, { env: auth.passwordEnv, file: auth.passwordFile })}`).toString('base64');
    rememberSecret(basic);
    return { authorization: `Basic ${basic}` };
  }
  const headers: Record<string, string> = {};
  for (const [name, env] of Object.entries(auth.headersFromEnv ?? {})) headers[name] = await read(a, { env });
  for (const [name, file] of Object.entries(auth.headersFromFile ?? {})) headers[name] = await read(a, { file });
  return headers;
}

/** The admin credential's secret values themselves (token, password, header values), to recognise it among the keys. */
export async function adminSecrets(auth: AdminAuth, a: AuthContext): Promise<string[]> {
  if (auth.type === 'bearer') return [await read(a, { env: auth.tokenEnv, file: auth.tokenFile })];
  if (auth.type === 'basic') return [await read(a, { env: auth.passwordEnv, file: auth.passwordFile })];
  return Object.values(await adminHeaders(auth, a));
}

/** The headers that carry a new key for verify, as the call's auth says. */
export function keyHeaders(auth: { type: string; username?: string; name?: string; prefix?: string }, secret: string, username: string): Record<string, string> {
  if (auth.type === 'bearer') return { authorization: `Bearer ${secret}` };
  if (auth.type === 'basic') {
    const basic = Buffer.from(`${username}:${secret}`).toString('base64');
    rememberSecret(basic);
    return { authorization: `Basic ${basic}` };
  }
  if (auth.type === 'header') return { [auth.name!]: `${auth.prefix ?? ''}${secret}` };
  return {};
}
