// deactivate: the old key stops working (reversibly) at the issuer, then every target stops serving
// it. Invariant 1 first: the new key is published everywhere, read back, proven, and read back once
// more right now from every target.
import { KeyrotError } from '../../errors.js';
import type { KeyInfo } from '../../providers/types.js';
import type { RotationContext } from '../context.js';
import { hold, holdAndGoBack, open, type GateResult } from '../gate.js';
import { findKey, strayTargets } from '../keys.js';
import { republishOldKey } from '../restore.js';
import type { PhaseName } from '../rotation.js';
import { oldKey, retireIn, type PhaseStory, type Redirect } from './phase.js';

/** Invariant 1: the new key is everywhere, read back, and (with verify) proven. */
async function newKeyEverywhere(ctx: RotationContext): Promise<GateResult> {
  const { state, plan } = ctx;
  const missing = ctx.stores.filter((_, i) => !state.published.includes(ctx.targetIds[i]!)).map((s) => s.label);
  if (missing.length && state.verifiedAt) return hold('targets-changed', { plan: plan.name, targets: missing.join(', ') });
  const problems = [
    ...(missing.length ? [`not published to ${missing.join(', ')}`] : []),
    ...(state.verifiedAt ? [] : ['not read back from every target']),
    ...(plan.verify && !state.authenticatedAt ? ['not proven to authenticate'] : []),
  ];
  if (problems.length) return hold('invariant', { phase: 'deactivate', reason: `new key ${problems.join('; ')}` });
  // What verify saw may no longer be true (a store restored from backup, or restarted empty): read
  // every target again now. If one lost the new key, hold, and go back to verify, which publishes it again.
  const stray = await strayTargets(ctx);
  if (stray.length) {
    const found = stray.map((t) => `${t.store.label} serves ${t.found}`);
    return holdAndGoBack('target-lost', { targets: stray.map((t) => t.store.label).join(', '), keyId: state.newKeyId, oldKeyId: state.oldKeyId }, 'verify', ...found);
  }
  return open(`new key ${state.newKeyId} verified at ${state.verifiedAt}, and served by ${ctx.stores.length === 1 ? 'its target' : `all ${ctx.stores.length} targets`} now`);
}

/**
 * Deactivate the old key at the issuer, then in every store. `seen`: the key as a list just read showed
 * it (resume), to record what was found. Without it (the first run, straight after the gate) no list is
 * read: deactivating is idempotent at every issuer, so the call is made and recorded; only if it fails is
 * the list read, to tell a key deleted by hand during the overlap (nothing to deactivate) from a failure.
 * A revoke deactivated the key already and recorded it: its status is read, so it is not recorded twice.
 */
async function deactivateOldKey(ctx: RotationContext, seen?: { key: KeyInfo | undefined }): Promise<void> {
  const keyId = oldKey(ctx);
  const { issuer, state } = ctx;
  seen ??= state.mode === 'revoke' ? { key: await findKey(ctx, keyId) } : undefined;
  const deactivate = async () => {
    await ctx.call(issuer, 'deactivate', () => issuer.deactivate(keyId));
    state.deactivatedAt = ctx.clock.now().toISOString();
    await ctx.record('deactivate-key', `deactivated ${keyId}`);
  };
  if (issuer.deactivates === false) {
    // A declared capability: the stores still stop serving the key below; the issuer keeps it valid until delete.
    if (state.mode !== 'revoke') await ctx.record('deactivate-key', `${issuer.label} cannot deactivate keys: ${keyId} stays valid there until it is deleted after the soak`, 'skipped');
  } else if (!seen) {
    try {
      await deactivate();
    } catch (e) {
      const key = await findKey(ctx, keyId).catch(() => null);
      if (key !== undefined) throw e; // still there (or the list failed too): the deactivation failed
      await ctx.record('deactivate-key', `found ${keyId} gone from the issuer`, 'skipped');
    }
  } else if (seen.key?.status === 'active') {
    await deactivate();
  } else if (state.mode !== 'revoke') { // a revoke recorded its deactivation already
    await ctx.record('deactivate-key', seen.key ? `found ${keyId} already inactive` : `found ${keyId} gone from the issuer`, 'skipped');
  }
  state.deactivatedAt ??= ctx.clock.now().toISOString();
  for (const store of ctx.stores) await retireIn(ctx, store, 'onDeactivate', keyId, 'retire-from-store', `${store.label} no longer serves ${keyId}`);
  // The soak counts from now, when no target serves the old key any more: not from the issuer's
  // deactivation, which a failed retire (and the re-run that finished it) may have left far behind.
  state.deadlines.soak = new Date(ctx.clock.now().getTime() + ctx.plan.soak).toISOString();
}

/** Cut short: was it before the issuer call? Then the targets were not read at the moment of deactivation. */
async function finishDeactivation(ctx: RotationContext): Promise<void | Redirect> {
  // After a crash the key's status is read again (time has passed, and the audit log should say what was found).
  const key = await findKey(ctx, oldKey(ctx));
  if (key?.status === 'active' && (await strayTargets(ctx)).length) {
    return { restartAt: 'verify', reason: `a target no longer serves ${ctx.state.newKeyId}; publishing it again before the old key is deactivated` };
  }
  return deactivateOldKey(ctx, { key });
}

/** Rollback: the old key active and served again, the soak forgotten. */
async function reactivateOldKey(ctx: RotationContext): Promise<void | PhaseName> {
  const keyId = oldKey(ctx);
  const key = await findKey(ctx, keyId);
  if (!key) throw new KeyrotError('rollback-too-late', { plan: ctx.plan.name, keyId });
  if (key.status !== 'active') {
    await ctx.call(ctx.issuer, 'reactivate', () => ctx.issuer.reactivate(keyId));
    await ctx.record('reactivate-key', `reactivated ${keyId}`);
  }
  for (const store of ctx.stores.filter((s) => !s.singleValue)) await retireIn(ctx, store, 'onReactivate', keyId, 'restore-to-store', `${store.label} serves ${keyId} again`);
  const republished = await republishOldKey(ctx, keyId);
  ctx.state.deactivatedAt = null;
  delete ctx.state.deadlines.soak;
  // A target now serves the old key as its only value: resuming publishes the new key there again
  // (verify does), and the overlap starts over for its consumers.
  return republished ? 'verify' : undefined;
}

export const deactivate: PhaseStory = {
  calls: (ctx) => [...ctx.stores.map((s) => s.explain('readBack')), ctx.issuer.explain('deactivate'), ...ctx.stores.map((s) => s.explain('onDeactivate'))],
  guards: () => 'the new key is published to every target, verified, and read back again from each just before',
  gate: newKeyEverywhere,
  act: (ctx) => deactivateOldKey(ctx),
  resume: finishDeactivation,
  undo: reactivateOldKey,
};
