// revoke (keyrot revoke): a key leaked. Deactivate it at once, end the sessions it opened (a database
// login), stop every target serving it, drop every copy of its secret; only then look up what it last
// touched, for the investigation.
import type { RotationContext } from '../context.js';
import { describeLastUse } from '../keys.js';
import { endLeakedSessions } from '../revoke-sessions.js';
import type { PhaseName } from '../rotation.js';
import { oldKey, retireIn, type PhaseStory } from './phase.js';

/**
 * Everything revoke does to one leaked key, in incident order: stop it at the issuer, end its sessions,
 * drop it from every target, then look up what it last touched. `stopped` records when it was stopped
 * (the rotation's old key: deactivatedAt; another leaked key: its own entry), written with the step's record.
 */
export async function revokeLeaked(ctx: RotationContext, keyId: string, stopped: (at: string) => void): Promise<void> {
  // An issuer that cannot deactivate keys: deleting the key is the only way to stop it. Its last use
  // is asked first (a deleted key has none to report); a failure to answer never delays the delete.
  const early = ctx.issuer.deactivates === false ? await ctx.call(ctx.issuer, 'lastUsed', () => ctx.issuer.lastUsed(keyId)).catch(() => undefined) : undefined;
  if (ctx.issuer.deactivates === false) {
    await ctx.call(ctx.issuer, 'delete', () => ctx.issuer.delete(keyId));
    stopped(ctx.clock.now().toISOString());
    await ctx.record('revoke-key', `deleted leaked key ${keyId} at once: ${ctx.issuer.label} cannot deactivate keys`);
  } else {
    // Deactivate before anything that is not needed to do it: every second counts during a leak.
    // Deactivating an inactive key is a no-op at every issuer, so no list is read first.
    await ctx.call(ctx.issuer, 'deactivate', () => ctx.issuer.deactivate(keyId));
    stopped(ctx.clock.now().toISOString());
    await ctx.record('revoke-key', `deactivated leaked key ${keyId}`);
  }
  // No new login is possible now; an attacker's session already open is ended next (where the issuer can).
  ctx.unfinished = await endLeakedSessions(ctx, keyId);
  // The stores stop serving it too: for a generated key that is what revokes it. A leaked key is
  // never served again (revoke allows no rollback), so every copy of its secret goes now too.
  for (const store of ctx.stores) {
    await retireIn(ctx, store, 'onDeactivate', keyId, 'retire-from-store', `${store.label} no longer serves ${keyId}`);
    await retireIn(ctx, store, 'onDelete', keyId, 'purge-from-store', `${store.label}: no copy of leaked ${keyId} left`);
  }
  // Only now, for the investigation: what the leaked key last touched.
  const use = ctx.issuer.deactivates === false ? (early ?? { reported: false as const }) : await ctx.call(ctx.issuer, 'lastUsed', () => ctx.issuer.lastUsed(keyId));
  await ctx.audit('revoke', 'ok', `leaked key ${keyId} was last used: ${describeLastUse(use)}`, 'last-used');
  ctx.emit({ type: 'note', plan: ctx.plan.name, phase: 'revoke', message: `${keyId} was last used: ${describeLastUse(use)}` });
}

const revokeOldKey = (ctx: RotationContext): Promise<void> =>
  revokeLeaked(ctx, oldKey(ctx), (at) => {
    ctx.state.deactivatedAt ??= at;
  });

/** Straight on to the replacement; a rotation taken over skips its overlap (the old key is dead). */
const afterRevoke = ({ state }: RotationContext): PhaseName => {
  const at = state.resumeAt?.phase;
  return !at ? 'create' : at === 'drain' || at === 'last-used' ? 'deactivate' : at;
};

export const revoke: PhaseStory = {
  calls: (ctx) => [
    ctx.issuer.explain('lastUsed'), ctx.issuer.explain(ctx.issuer.deactivates === false ? 'delete' : 'deactivate'),
    ...(ctx.issuer.openSessions ? [ctx.issuer.openSessions.explain] : []), ...ctx.stores.map((s) => s.explain('onDeactivate')),
  ],
  guards: () => 'none, on purpose: consumers still using the leaked key fail until they load the replacement',
  act: revokeOldKey,
  next: afterRevoke,
};
