// Where the Vault state store lives, from the --state URL: vault://<mount>/<prefix>, with settings
// in the query; the address and the credential come from the environment, never from the URL.
import { KeyrotError } from '../errors.js';
import { parseDuration } from '../shared/duration.js';
import { type VaultAuth, type VaultConnectionConfig, vaultAuth } from '../vault/schema.js';

export interface VaultStateConfig {
  mount: string;
  prefix: string;
  /** How long a lock holder that stops renewing keeps the lock. */
  leaseMs: number;
  auth: VaultAuth;
  connection: VaultConnectionConfig;
}

/**
 * vault://<mount>/<prefix>[?lease=30s&timeout=30s&address=…&namespace=…&caFile=…&auth=kubernetes&role=…&authMount=…&jwtFile=…]
 * (auth=approle takes roleIdEnv|roleIdFile and secretIdEnv|secretIdFile). The address comes from VAULT_ADDR (or address=),
 * the token as the vault CLI finds it unless auth says otherwise: never a credential in the URL.
 */
export function parseVaultSpec(spec: string): VaultStateConfig {
  // Never repeat a credential someone put in the URL.
  const shown = spec.replace(/^(vault:\/\/)[^@/]*@/i, '$1');
  const bad = (problem: string) => new KeyrotError('usage', { problem: `--state ${shown}: ${problem}` });
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw bad('not a URL like vault://secret/keyrot');
  }
  if (url.username || url.password) throw bad('a credential does not belong in the URL: use VAULT_TOKEN or ?auth=kubernetes|approle');
  const mount = url.hostname;
  const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
  if (!mount || !prefix || prefix.split('/').some((p) => p === '')) throw bad('name a KV v2 mount and a path under it, e.g. vault://secret/keyrot');
  const q = Object.fromEntries(url.searchParams);
  const known = new Set(['address', 'lease', 'timeout', 'namespace', 'auth', 'role', 'authMount', 'jwtFile', 'roleIdEnv', 'roleIdFile', 'secretIdEnv', 'secretIdFile', 'caFile']);
  const unknown = Object.keys(q).filter((k) => !known.has(k));
  if (unknown.length) throw bad(`unknown ${unknown.length === 1 ? 'setting' : 'settings'} ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  if (q.address !== undefined && !/^https?:\/\/[^/?#]+\/?$/.test(q.address)) throw bad(`address=${q.address} is not a Vault address like https://vault.example.internal:8200`);
  const ms = (name: string, fallback: number) => {
    if (q[name] === undefined) return fallback;
    const v = parseDuration(q[name]!);
    if (v === undefined || v <= 0) throw bad(`${name}=${q[name]} is not a duration (try 30s)`);
    return v;
  };
  const method = q.auth ?? 'token';
  const rawAuth: Record<string, unknown> = { method };
  for (const k of ['role', 'jwtFile', 'roleIdEnv', 'roleIdFile', 'secretIdEnv', 'secretIdFile'] as const) if (q[k] !== undefined) rawAuth[k] = q[k];
  if (q.authMount !== undefined) rawAuth.mount = q.authMount;
  const auth = vaultAuth.safeParse(rawAuth);
  if (!auth.success) throw bad(`auth: ${auth.error.issues.map((i) => `${i.path.join('.') || 'auth'}: ${i.message}`).join('; ')}`);
  return {
    mount,
    prefix,
    leaseMs: ms('lease', 30_000),
    auth: auth.data,
    connection: { address: q.address, namespace: q.namespace, timeout: ms('timeout', 30_000), ...(q.caFile ? { tls: { caFile: q.caFile, skipVerify: false } } : {}) },
  };
}
