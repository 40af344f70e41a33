// Raw Vault HTTP calls for tests: seeding, inspecting and cleaning up, independent of the store under test.

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
