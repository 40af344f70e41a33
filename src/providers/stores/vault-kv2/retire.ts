// The old key's versions of a Vault KV v2 secret, soft-deleted at deactivate, restored at a rollback and
// deleted or destroyed at delete. Only versions keyrot's record names (record.ts) whose content still has
// the recorded fingerprint are touched: a version another writer wrote (say after a check-and-set
// conflict) is never deleted or destroyed.
import type { RetireResult } from '../../types.js';
import type { Kv2, SecretVersion } from '../../../vault/kv2.js';
import { ADOPTED, heldIn, withRecord } from './record.js';

export type RetireAction = 'delete' | 'undelete' | 'destroy';

/**
 * Delete, undelete or destroy the versions that hold `oldKeyId` (and an adopted value), by keyrot's
 * record in `latest`, checking each readable one still has the content recorded for it. Versions that
 * are gone, or that hold something else, are dropped from the record and never touched; once the old
 * key is deleted (`finished`), all of its versions are.
 */
export async function retireVersions(
  kv: Kv2, latest: SecretVersion | undefined, contentPrint: (v: SecretVersion) => string | undefined,
  action: RetireAction, oldKeyId: string, finished: boolean,
): Promise<RetireResult> {
  if (!latest) return 'unchanged';
  const record = heldIn(latest.customMetadata);
  const held = record.filter((h) => h.keyId === oldKeyId || h.keyId === ADOPTED);
  const change: number[] = [];
  const forget: number[] = [];
  for (const h of held) {
    const version = h.version === latest.version ? latest : await kv.read(h.version);
    if (!version || version.destroyed) forget.push(h.version);
    else if (version.data === undefined) {
      if (action !== 'delete') change.push(h.version); // soft-deleted by keyrot's deactivate: restore or destroy it
    } else if (h.fingerprint && h.fingerprint !== contentPrint(version)) forget.push(h.version); // not what keyrot wrote there
    else if (action !== 'undelete') change.push(h.version);
  }
  await kv.changeVersions(action, change);
  // Once the old key is deleted, its versions are done with: keep the record small.
  const dropped = new Set(finished ? held.map((h) => h.version) : forget);
  if (dropped.size > 0) await kv.setCustomMetadata(withRecord(latest.customMetadata, record.filter((h) => !dropped.has(h.version))));
  return change.length ? 'changed' : 'unchanged'; // a destroy that matched no version did nothing
}
