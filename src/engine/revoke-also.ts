// Another leaked key of a plan whose rotation is in flight: active at the issuer, neither the rotation's
// old key nor its new one, and served by no target (a stray key made by hand, or the second key of one
// plan in a scanner's report). Revoke first: it is deactivated at once inside that rotation, exactly as
// the revoke phase treats a leaked key, and the rotation goes on where it stood. It is remembered in the
// record (alsoRevoked): a run cut short finishes it first, and the delete phase deletes it with the old key.
import type { RotationContext } from './context.js';
import { revokeLeaked } from './phases/revoke.js';
import type { AlsoRevoked, RotationState } from './rotation.js';

/** `state` with `keyId` to revoke in it (not yet begun); the caller saves it before the first side effect. */
export const withAlsoRevoked = (state: RotationState, keyId: string): RotationState => ({
  ...state,
  alsoRevoked: [...(state.alsoRevoked ?? []).filter((k) => k.keyId !== keyId), { keyId, revokedAt: null, finished: false }],
});

/** Whether `keyId` is a leaked key whose revoke inside `state` was finished. */
export const alsoRevoked = (state: RotationState, keyId: string): boolean =>
  (state.alsoRevoked ?? []).some((k) => k.keyId === keyId && k.finished);

/** Whether `keyId` is a leaked key whose revoke inside `state` was begun and not finished. */
export const alsoRevoking = (state: RotationState, keyId: string): boolean =>
  (state.alsoRevoked ?? []).some((k) => k.keyId === keyId && !k.finished);

/** The leaked keys revoked inside `state` that are still to delete (its delete, or a later one, deletes them). */
export const leakedToDelete = (state: RotationState): AlsoRevoked[] => (state.alsoRevoked ?? []).filter((k) => !k.deletedAt);

/**
 * The leaked keys a finished record leaves undeleted: those of a rotation abandoned before its delete,
 * or of a first rotation recorded before first rotations had a delete for them. Inactive, and
 * forgotten by nothing: the plan's next rotation takes them over (PlanSession.fresh) and its delete
 * deletes them; status lists them until then. A record still in flight leaves none (its delete comes).
 */
export const leftToDelete = (state: RotationState | undefined): AlsoRevoked[] =>
  state?.phase === 'done' && (state.abandoned || state.oldKeyId === null) ? leakedToDelete(state) : [];

/** What becomes of leaked keys a finished rotation left undeleted, in words, with the commands that delete them. */
export const leftToDeleteAdvice = (keyIds: string[], planArg: string): string =>
  `leaked ${keyIds.join(', ')} inactive, not deleted: ${keyIds.map((id) => `\`keyrot revoke --delete --key ${id} ${planArg}\``).join(', ')} ` +
  `${keyIds.length === 1 ? 'deletes it once its' : 'delete them once their'} soak is over, or the plan's next rotation (\`keyrot run ${planArg}\`) does`;

/** Finish every revoke begun inside this rotation: on disk before the first side effect, and after each step. */
export async function finishAlsoRevoked(ctx: RotationContext): Promise<void> {
  const pending = (ctx.state.alsoRevoked ?? []).filter((k) => !k.finished);
  if (pending.length === 0) return;
  await ctx.save(); // invariant 5: a run killed during the revoke finds it begun, and finishes it
  for (const leaked of pending) {
    await revokeLeaked(ctx, leaked.keyId, (at) => {
      leaked.revokedAt ??= at;
      if (ctx.issuer.deactivates === false) leaked.deletedAt ??= at; // stopping it was deleting it
    });
    leaked.finished = true;
    await ctx.save();
  }
}
