// Raw Vault HTTP calls for tests: seeding, inspecting and cleaning up, independent of the store under test.
import { readFile } from 'node:fs/promises';

export interface VaultAnswer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- Vault's JSON, read ad hoc by tests
}

export interface VaultApi {
  get(path: string): Promise<VaultAnswer>;
  post(path: string, body: unknown): Promise<VaultAnswer>;
  delete(path: string): Promise<VaultAnswer>;
}

export function vaultApi(address: string, token: string, namespace?: string): VaultApi {
  const call = async (method: string, path: string, body?: unknown): Promise<VaultAnswer> => {
    const res = await fetch(`${address}/v1/${path}`, {
      method,
      headers: { 'X-Vault-Token': token, ...(namespace ? { 'X-Vault-Namespace': namespace } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return { get: (p) => call('GET', p), post: (p, b) => call('POST', p, b), delete: (p) => call('DELETE', p) };
}

/** Whether any version of a KV v2 secret still returns `value` in one of its fields. */
export async function kvHolds(api: VaultApi, mount: string, path: string, value: string): Promise<boolean> {
  const meta = await api.get(`${mount}/metadata/${path}`);
  if (meta.status === 404) return false;
  for (const version of Object.keys(meta.body.data.versions ?? {})) {
    const read = await api.get(`${mount}/data/${path}?version=${version}`);
    const data = (read.body?.data?.data ?? {}) as Record<string, unknown>;
    if (Object.values(data).some((v) => typeof v === 'string' && v.includes(value))) return true;
  }
  return false;
}

export type VersionState = 'readable' | 'deleted' | 'destroyed';

/** What each version of a KV v2 secret is now, by its metadata: { "1": "destroyed", "2": "readable" }. */
export async function versionStates(api: VaultApi, mount: string, path: string): Promise<Record<string, VersionState>> {
  const versions = (await api.get(`${mount}/metadata/${path}`)).body?.data?.versions as Record<string, { deletion_time: string; destroyed: boolean }> | undefined;
  return Object.fromEntries(Object.entries(versions ?? {}).map(([n, v]) => [n, v.destroyed ? 'destroyed' : v.deletion_time ? 'deleted' : 'readable']));
}

/** The Vault policy a plan file documents in its comments (`#   path "..." { ... }` lines), as HCL. */
export async function documentedPolicy(planFile: string): Promise<string> {
  return (await readFile(planFile, 'utf8')).split('\n').filter((line) => /^#\s+path "/.test(line)).map((line) => line.replace(/^#\s+/, '')).join('\n');
}
