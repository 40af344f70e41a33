// The admin credential may itself be one of the vendor's keys (Datadog lists the DD-API-KEY keyrot
// sends; a SendGrid or Cloudflare admin key is a key like any other). keyrot never deactivates or
// deletes the key it authenticates with: that would lock it out halfway through a rotation. It is
// recognised by its secret's fingerprint in the plan's key ledger, where keyrot recorded each key
// it created.
import { KeyrotError } from '../../../errors.js';
import { fingerprint } from '../../../secrets/fingerprint.js';
import type { LedgerEntry } from '../../../state/store.js';
import { adminSecrets, describeSource, type AuthContext } from './auth.js';
import type { ResolvedHttp } from './resolve.js';

export async function refuseAdminKey(config: ResolvedHttp, a: AuthContext, keys: LedgerEntry[], keyId: string, op: 'deactivate' | 'delete'): Promise<void> {
  const recorded = keys.find((k) => k.id === keyId)?.fingerprint;
  if (!recorded) return;
  const admin = (await adminSecrets(config.auth, a)).map(fingerprint);
  if (!admin.includes(recorded)) return;
  throw new KeyrotError('http-admin-key', { vendor: config.vendor, keyId, op, source: describeSource(config.auth) });
}
