// keyrot doctor for a vault-kv2 target: the token resolves and whose it is (auth/token/lookup-self),
// the KV v2 mount answers, and the token holds every capability the phases use on every path the
// store touches (sys/capabilities-self, against the policy in policy.ts). Read-only calls only; the
// token itself, its accessor and any secret value are never shown.
import { KeyrotError } from '../../../errors.js';
import { formatDuration } from '../../../shared/duration.js';
import type { Connection } from '../../../vault/client.js';
import { toKeyrotError } from '../../../vault/errors.js';
import type { Check, Ownership } from '../../types.js';
import { vaultPolicy } from './policy.js';

export interface VaultDoctorContext {
  conn: Connection;
  label: string;
  mount: string;
  path: string;
  destroyOldVersions: boolean;
  /** Log in and check the mount (the store's own start): throws what a run would. */
  start(): Promise<{ source: string }>;
  ownership(): Promise<Ownership>;
}

const failed = (check: string, e: unknown): Check => {
  const error = e instanceof KeyrotError ? e : new KeyrotError('provider-failed', { provider: 'vault', operation: check, reason: String(e) });
  return { check, status: 'fail', detail: error.message, error };
};

/** Which of `wanted` the granted capabilities lack ("root" grants everything, "deny" nothing). */
export function missingCapabilities(granted: string[], wanted: string[]): string[] {
  if (granted.includes('root')) return [];
  if (granted.includes('deny')) return wanted;
  return wanted.filter((c) => !granted.includes(c));
}

export function vaultDoctor(d: VaultDoctorContext): () => Promise<Check[]> {
  const { conn } = d;
  const call = (operation: string, path: string, capability: string) => ({
    provider: d.label, address: conn.address, mount: d.mount, operation, path, capability, timeoutMs: conn.timeoutMs,
  });

  async function whoAmI(source: string): Promise<Check> {
    try {
      const body = (await conn.client.read('auth/token/lookup-self')) as { data?: { display_name?: string; policies?: string[]; ttl?: number; entity_id?: string } };
      const t = body.data ?? {};
      const ttl = typeof t.ttl === 'number' && t.ttl > 0 ? `expires in ${formatDuration(t.ttl * 1000)}` : 'does not expire';
      return { check: 'credentials', status: 'pass', detail: `token from ${source}: ${t.display_name ?? 'unnamed'}, policies ${(t.policies ?? []).join(', ') || 'none'}; ${ttl}` };
    } catch (e) {
      return failed('credentials', toKeyrotError(e, call('look up the token', 'auth/token/lookup-self', 'read')));
    }
  }

  async function capabilities(): Promise<Check> {
    const lines = vaultPolicy(d.mount, d.path, d.destroyOldVersions);
    let granted: Record<string, unknown>;
    try {
      granted = ((await conn.client.write('sys/capabilities-self', { paths: lines.map((l) => l.path) })) ?? {}) as Record<string, unknown>;
    } catch (e) {
      return failed('permissions', toKeyrotError(e, call('ask which capabilities the token has', 'sys/capabilities-self', 'update')));
    }
    const caps = (path: string): string[] => {
      const data = (granted.data as Record<string, unknown> | undefined) ?? granted;
      const v = data[path] ?? (lines.length === 1 ? data.capabilities : undefined);
      return Array.isArray(v) ? v.filter((c): c is string => typeof c === 'string') : [];
    };
    const missing = lines.flatMap((l) => {
      const lacks = missingCapabilities(caps(l.path), l.capabilities);
      return lacks.length ? [`${l.path} lacks ${lacks.map((c) => `"${c}"`).join(', ')} (${l.why})`] : [];
    });
    if (missing.length === 0) return { check: 'permissions', status: 'pass', detail: `the token holds every capability keyrot uses on ${lines.map((l) => l.path).join(', ')}` };
    return failed('permissions', new KeyrotError('vault-capabilities-missing', { store: d.label, missing: missing.join('; ') }));
  }

  return async () => {
    let source: string;
    try {
      source = (await d.start()).source;
    } catch (e) {
      // A refused login is about the credentials; anything else (no answer, sealed, no KV v2 mount) about the endpoint.
      const code = e instanceof KeyrotError ? e.code : '';
      return [failed(code === 'provider-auth-failed' ? 'credentials' : 'endpoint', e)];
    }
    const checks: Check[] = [await whoAmI(source), { check: 'endpoint', status: 'pass', detail: `${conn.address} answers; KV v2 mounted at ${d.mount}/` }];
    checks.push(await capabilities());
    try {
      const owner = await d.ownership();
      if (owner.state === 'unmanaged') checks.push({ check: 'secret', status: 'warn', detail: `holds a secret keyrot does not manage (${owner.detail})`, hint: 'set `adopt: true` on that target if keyrot should take it over' });
      else checks.push({ check: 'secret', status: 'pass', detail: owner.state === 'absent' ? 'nothing published yet' : `managed by keyrot${owner.keyId ? ` (serves ${owner.keyId})` : ''}` });
    } catch (e) {
      checks.push(failed('secret', e));
    }
    return checks;
  };
}
