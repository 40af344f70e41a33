// `keyrot revoke --delete --key KEY` of a leaked key a finished rotation left inactive and undeleted (it was
// revoked inside a rotation later abandoned: revoke-also.ts, leftToDelete). No rotation is in flight to
// delete it, so this is the delete on its own, under the delete's rules: inactive for the whole soak since
// its revoke, the one question already asked by the command, then the issuer and every store, recorded.
import type { RotationContext } from './context.js';
import type { Outcome } from './outcome.js';
import { deleteKey } from './phases/delete.js';
import { finishAlsoRevoked, leftToDelete } from './revoke-also.js';

/** Delete `keyId`, left undeleted by the finished rotation `ctx` holds, once its soak is over; else say when. */
export async function deleteLeftover(ctx: RotationContext, keyId: string): Promise<Outcome> {
  const leaked = leftToDelete(ctx.state).find((k) => k.keyId === keyId)!;
  const plan = ctx.plan.name;
  // A revoke cut short before the rotation was abandoned (this key's, or another's): revoke first, as
  // every run does (deactivate before delete); its soak starts now. Nothing to do when none was.
  await finishAlsoRevoked(ctx);
  const soakEnd = new Date(Date.parse(leaked.revokedAt ?? ctx.state.completedAt!) + ctx.plan.soak);
  if (ctx.clock.now() < soakEnd) {
    ctx.emit({ type: 'note', plan, message: `${keyId} has been inactive since ${leaked.revokedAt}; its soak ends ${soakEnd.toISOString()}: the same command deletes it then` });
    return { status: 'waiting', until: soakEnd };
  }
  await deleteKey(ctx, keyId, { deleted: `deleted leaked ${keyId} (revoked inside rotation ${ctx.state.rotationId}, abandoned)`, gone: `found leaked ${keyId} already gone` }, undefined, () => {
    leaked.deletedAt ??= ctx.clock.now().toISOString(); // saved with the step's record
  });
  ctx.emit({ type: 'note', plan, message: `deleted leaked ${keyId}, inactive since ${leaked.revokedAt}` });
  return { status: 'done' };
}
