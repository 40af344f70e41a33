// verify: read every target back and compare fingerprints; with `verify: true` the issuer proves the
// new key authenticates. A target found serving something else gets the new key published again.
import { KeyrotError } from '../../errors.js';
import type { RotationContext } from '../context.js';
import { newCredential, strayTargets } from '../keys.js';
import { leakedToDelete } from '../revoke-also.js';
import type { PhaseName } from '../rotation.js';
import type { PhaseStory, Redirect } from './phase.js';
import { retireNewKey } from './retire.js';
import { count } from '../../shared/plural.js';

async function readBackAndProve(ctx: RotationContext): Promise<void | Redirect> {
  const { state } = ctx;
  const credential = await newCredential(ctx);
  if (!credential) {
    const keyId = state.newKeyId;
    // Announced to consumers already (we came back from deactivate): they may hold it; an operator decides.
    if (state.verifiedAt) throw new KeyrotError('new-key-lost', { plan: ctx.plan.name, keyId, oldKeyId: state.oldKeyId });
    // Never confirmed everywhere and served nowhere now: retire it and roll forward with a fresh key.
    await retireNewKey(ctx, 'no target serves it any more and its secret is lost');
    return { restartAt: 'create', reason: `no target serves key ${keyId} any more; going on with a fresh key` };
  }
  let stray = await strayTargets(ctx);
  if (stray.length) {
    // A target serves something else (a restored backup, another writer, a store that lost its data):
    // publish the new key there again. Its consumers may have read something else: the overlap starts over.
    const context = { plan: ctx.plan.name, rotationId: state.rotationId, rotatedAt: ctx.clock.now() };
    for (const t of stray) {
      await ctx.call(t.store, 'publish', () => t.store.publish(credential, context));
      await ctx.record('publish', `published ${credential.keyId} again to ${t.store.label}: it served ${t.found} (${t.foundFingerprint})`);
    }
    delete state.deadlines.drain;
    delete state.deadlines['last-used'];
    state.quietSince = null;
    stray = await strayTargets(ctx);
  }
  if (stray.length) {
    const t = stray[0]!;
    throw new KeyrotError('fingerprint-mismatch', { store: t.store.label, found: t.found, foundFingerprint: t.foundFingerprint, keyId: state.newKeyId, fingerprint: state.newFingerprint });
  }
  state.verifiedAt = ctx.clock.now().toISOString();
  if (ctx.plan.verify) {
    await ctx.call(ctx.issuer, 'verify', () => ctx.issuer.verify(credential));
    state.authenticatedAt = ctx.clock.now().toISOString();
  }
  await ctx.record('verify', `${count(ctx.stores.length, 'target')} serve${ctx.stores.length === 1 ? 's' : ''} ${state.newKeyId} (${state.newFingerprint})${ctx.plan.verify ? '; it authenticates' : ''}`);
}

/**
 * A first key is done here, unless leaked keys were revoked inside its rotation: they soak, then its
 * delete deletes them. A revoke skips the overlap (the old key is dead already).
 */
const afterVerify = ({ state }: RotationContext): PhaseName | 'done' =>
  !state.oldKeyId ? (leakedToDelete(state).length > 0 ? 'soak' : 'done') : state.mode === 'revoke' ? 'deactivate' : 'drain';

export const verify: PhaseStory = {
  calls: (ctx) => [...ctx.stores.map((s) => s.explain('readBack')), ...(ctx.plan.verify ? [ctx.issuer.explain('verify')] : [])],
  // What the issuer does to prove the key is in its own words (explain): no claim here can drift from it.
  guards: (ctx) =>
    `every target serves the new key's fingerprint${ctx.stores.some((s) => s.writeOnly) ? ' (a write-only target: the key id and fingerprint keyrot recorded writing, while its metadata shows no write since; the value itself cannot be read back)' : ''}` +
    `${ctx.plan.verify ? `; the key authenticates (${ctx.issuer.explain('verify')})` : ''}`,
  act: readBackAndProve,
  next: afterVerify,
};
