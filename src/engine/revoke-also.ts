// Another leaked key of a plan whose rotation is in flight: active at the issuer, neither the rotation's
// old key nor its new one, and served by no target (a stray key made by hand, or the second key of one
// plan in a scanner's report). Revoke first: it is deactivated at once inside that rotation, exactly as
// the revoke phase treats a leaked key, and the rotation goes on where it stood. It is remembered in the
// record (alsoRevoked): a run cut short finishes it first, and the delete phase deletes it with the old key.
import type { RotationContext } from './context.js';
import { revokeLeaked } from './phases/revoke.js';
import type { RotationState } from './rotation.js';

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

/** Finish every revoke begun inside this rotation: on disk before the first side effect, and after each step. */
export async function finishAlsoRevoked(ctx: RotationContext): Promise<void> {
  const pending = (ctx.state.alsoRevoked ?? []).filter((k) => !k.finished);
  if (pending.length === 0) return;
  await ctx.save(); // invariant 5: a run killed during the revoke finds it begun, and finishes it
  for (const leaked of pending) {
    await revokeLeaked(ctx, leaked.keyId, (at) => {
      leaked.revokedAt ??= at;
    });
    leaked.finished = true;
    await ctx.save();
  }
}
