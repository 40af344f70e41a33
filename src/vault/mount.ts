// Whether the mount of a KV path is there and is KV version 2, asked once before the first KV call, so a
// wrong mount fails early and clearly instead of as a puzzling 404 or 403 on the secret.
import { KeyrotError } from '../errors.js';
import type { Connection } from './client.js';
import { type Call, isInvalidToken, toKeyrotError, vaultStatus } from './errors.js';

/**
 * Checks the mount `sys/internal/ui/mounts/<mount>/<encodedPath>` names; `lookupCall` describes that
 * lookup for an error that is neither of Vault's answers handled here.
 */
export async function checkKv2Mount(conn: Connection, mount: string, encodedPath: string, lookupCall: () => Call): Promise<void> {
  let found: { type?: string; path?: string; options?: { version?: unknown } | null } | undefined;
  try {
    found = ((await conn.client.read(`sys/internal/ui/mounts/${mount}/${encodedPath}`)) as { data?: typeof found }).data;
  } catch (e) {
    const status = vaultStatus(e);
    if (status === 404) return; // a Vault too old for this check: the KV calls will tell
    if (status === 403 && !isInvalidToken(e)) {
      // Vault answers 403 both when nothing is mounted there and when no policy touches the path.
      throw new KeyrotError('vault-mount-missing', {
        address: conn.address, mount, reason: `nothing there is visible to this token (no such mount, or no policy grants anything under ${mount}/)`,
      });
    }
    throw toKeyrotError(e, lookupCall());
  }
  if (!found) return;
  if (found.path && !found.path.endsWith(`${mount}/`)) {
    throw new KeyrotError('vault-mount-missing', { address: conn.address, mount, reason: `the engine for that path is mounted at "${found.path}"` });
  }
  if (found.type !== 'kv' || String(found.options?.version) !== '2') {
    const what = found.type === 'kv' ? `KV version ${String(found.options?.version ?? 1)}` : `a "${found.type ?? 'unknown'}" engine`;
    throw new KeyrotError('vault-mount-missing', { address: conn.address, mount, reason: `it is ${what}` });
  }
}
