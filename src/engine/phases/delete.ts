// delete: the permanent step. Invariant 2 first: inactive for the whole soak, approved where the plan
// (or a revoke) asks for it, and not used since it was deactivated; then asked (unless --yes).
import { describeLastUse, findKey, revokedKeyDeleted } from '../keys.js';
import type { RotationContext } from '../context.js';
import { hold, open, waitUntil, type GateResult } from '../gate.js';
import { leakedToDelete } from '../revoke-also.js';
import { wasUsed } from '../sessions.js';
import { unusedByUsage, usageNow, withUsage } from '../usage.js';
import { retireIn, type PhaseStory } from './phase.js';

/** The keys this delete deletes, as its question and holds name them: the old key (unless a revoke's create
 *  deleted it already, to make room), then each leaked key revoked inside the rotation; '' when none is left. */
export const keysToDelete = (state: RotationContext['state']): string =>
  [...(state.oldKeyId && !revokedKeyDeleted(state) ? [state.oldKeyId] : []), ...leakedToDelete(state).map((k) => `${k.keyId} (leaked)`)].join(', ');

/** When the last leaked key revoked inside this rotation has been inactive for a whole soak (one revoked during the soak ends later), in ms; -Infinity when there is none. */
function leakedSoakEnd(ctx: RotationContext): number {
  const ends = leakedToDelete(ctx.state).flatMap((k) => (k.revokedAt ? [Date.parse(k.revokedAt) + ctx.plan.soak] : []));
  return Math.max(...ends);
}

/** Invariant 2: inactive for the whole soak, and not used since it was deactivated. */
async function unusedSinceDeactivation(ctx: RotationContext): Promise<GateResult> {
  const { state } = ctx;
  const keyId = keysToDelete(state);
  const soakEnd = state.deadlines.soak ? new Date(state.deadlines.soak) : undefined;
  // No old key (a first rotation): the keys to delete are the leaked ones, inactive since their revoke.
  if ((state.oldKeyId && !state.deactivatedAt) || !soakEnd || ctx.clock.now() < soakEnd) {
    return hold('invariant', { phase: 'delete', reason: `${keyId || state.oldKeyId} has not been inactive for the whole soak` });
  }
  const leakedEnd = leakedSoakEnd(ctx);
  if (ctx.clock.now().getTime() < leakedEnd) return waitUntil(new Date(leakedEnd), 'soak of the leaked keys revoked inside this rotation');
  // The revoked key made room for its replacement and no other leaked key waits: no key is left to
  // approve the delete of, so the revoke finishes (its store copies went at the revoke).
  if (!keyId) return open(`${state.oldKeyId} was deleted already, to make room for its replacement: no key left to delete`);
  if ((ctx.plan.delete.requireApproval || state.mode === 'revoke') && !state.approvedBy) {
    // `revoke --delete --key` takes one key: the revoke's own, or (deleted to make room) a leaked one it
    // carries, which there is: keyId above names at least one key.
    const revokeKey = state.mode === 'revoke' ? (revokedKeyDeleted(state) ? undefined : state.oldKeyId) ?? leakedToDelete(state)[0]!.keyId : undefined;
    return hold('approval-required', { plan: ctx.plan.name, keyId, revokeKey });
  }
  // A leaked key tried after its revocation is evidence, not a reason to keep it: no last use is asked of those.
  if (!state.oldKeyId) return open(`leaked ${keyId} inactive for the whole soak`);
  // Asked of a key the issuer no longer holds, an issuer such as IAM answers "no such key": the
  // delete left to do is that of the leaked keys revoked inside this rotation.
  if (revokedKeyDeleted(state)) return open(`${state.oldKeyId} was deleted already, when it was revoked or to make room for its replacement`);
  const old = state.oldKeyId;
  const use = await ctx.call(ctx.issuer, 'lastUsed', () => ctx.issuer.lastUsed(old));
  const usedSince = wasUsed(use, new Date(state.deactivatedAt!));
  if (usedSince && state.mode === 'revoke') {
    // A leaked key tried after its revocation is likely the attacker: evidence, not a reason to keep it.
    return open(`inactive since ${state.deactivatedAt}`, `WARNING: the revoked key was tried after it was revoked: ${describeLastUse(use)}`);
  }
  if (usedSince && use.reported === 'sessions') return hold('old-key-sessions', { keyId: old, lastUsed: describeLastUse(use), deactivatedAt: state.deactivatedAt });
  if (usedSince) return hold('used-after-deactivate', { keyId: old, lastUsed: describeLastUse(use), deactivatedAt: state.deactivatedAt });
  return open(`inactive since ${state.deactivatedAt}`, `last used: ${describeLastUse(use)}`);
}

/**
 * Delete the old key at the issuer, then in every store. `seen`: whether a list just read still shows it
 * (resume). Without it (the first run, straight after the gate) no list is read: deleting is idempotent
 * at every issuer, and one that can tell says 'gone' when there was nothing left to delete.
 */
async function deleteOldKey(ctx: RotationContext, seen?: { exists: boolean }): Promise<void> {
  const keyId = ctx.state.oldKeyId; // none in a first rotation: only leaked keys to delete
  if (keyId) await deleteKey(ctx, keyId, { deleted: `deleted ${keyId}`, gone: `found ${keyId} already gone` }, seen);
  // Other leaked keys revoked inside this rotation (revoke-also.ts) go with it, under the same gate and
  // question. Deleting is idempotent, so a resumed delete deletes them again rather than read a list.
  for (const leaked of ctx.state.alsoRevoked ?? []) {
    const id = leaked.keyId;
    await deleteKey(ctx, id, { deleted: `deleted leaked ${id} (revoked inside this rotation)`, gone: `found leaked ${id} already gone` }, undefined, () => {
      leaked.deletedAt ??= ctx.clock.now().toISOString(); // saved with the step's record
    });
  }
}

/**
 * Delete one key at the issuer (unless a list just showed it gone), then every copy of it in the stores;
 * `said` is the audit record's text either way; `deleted` notes it in the record before that record is saved.
 */
export async function deleteKey(ctx: RotationContext, keyId: string, said: { deleted: string; gone: string }, seen?: { exists: boolean }, deleted?: () => void): Promise<void> {
  const gone = seen?.exists === false || (await ctx.call(ctx.issuer, 'delete', () => ctx.issuer.delete(keyId))) === 'gone';
  deleted?.();
  if (gone) await ctx.record('delete-key', said.gone, 'skipped');
  else await ctx.record('delete-key', said.deleted);
  for (const store of ctx.stores) await retireIn(ctx, store, 'onDelete', keyId, 'purge-from-store', `${store.explain('onDelete')}: ${keyId}`);
}

export const deleteOld: PhaseStory = {
  calls: (ctx) => [ctx.issuer.explain('lastUsed'), ...(ctx.usage ? [ctx.usage.explain()] : []), ctx.issuer.explain('delete'), ...ctx.stores.map((s) => s.explain('onDelete'))],
  guards: (ctx) =>
    `inactive for the whole soak, unused since deactivation${ctx.usage ? ` by the issuer and by ${ctx.usage.label} (no answer holds)` : ''}, confirmed (unless --yes)${ctx.plan.delete.requireApproval ? ', approved (keyrot approve)' : ''}`,
  gate: withUsage(unusedSinceDeactivation, unusedByUsage),
  askNow: (ctx) => usageNow(ctx, unusedByUsage),
  act: (ctx) => deleteOldKey(ctx),
  keys: (ctx) => keysToDelete(ctx.state),
  // After a crash the list is read again (time has passed): the audit log then says whether the
  // delete had reached the issuer, whatever the issuer's delete can tell.
  resume: async (ctx) => deleteOldKey(ctx, ctx.state.oldKeyId ? { exists: (await findKey(ctx, ctx.state.oldKeyId)) !== undefined } : undefined),
};
