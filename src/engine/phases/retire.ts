// Retiring the new key of a rotation that will not finish with it (verify lost it; keyrot abandon
// --retire-new): deleted at the issuer, and any copy a target kept dropped.
import type { RotationContext } from '../context.js';
import { findKey } from '../keys.js';
import { retireIn } from './phase.js';

/** Callers make sure no target serves the new key (it was never confirmed everywhere). `keyId`: the
 *  rotation's own new key, or the one a plain abandon left (abandoned-new-key.ts). */
export async function retireNewKey(ctx: RotationContext, why: string, keyId = ctx.state.newKeyId): Promise<void> {
  const { issuer, state } = ctx;
  if (!keyId) return;
  if (await findKey(ctx, keyId)) {
    await ctx.call(issuer, 'delete', () => issuer.delete(keyId));
    await ctx.record('delete-new-key', `deleted new key ${keyId}: ${why}`);
  } else {
    await ctx.record('delete-new-key', `found new key ${keyId} already gone`, 'skipped');
  }
  for (const store of ctx.stores) await retireIn(ctx, store, 'onDelete', keyId, 'purge-from-store', `${store.label}: no copy of ${keyId} left`);
  if (keyId === state.newKeyId) Object.assign(state, { newKeyId: null, newFingerprint: null, published: [], verifiedAt: null, authenticatedAt: null });
  else delete state.abandonedNewKey;
  await ctx.save();
}
