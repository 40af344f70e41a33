// create: the new key, its secret in memory only. The key list is on disk before any key changes, so
// a run that dies before publishing leaves an orphan the next run finds (invariant 6), deletes
// (nobody was ever handed its secret) and replaces.
import { KeyrotError } from '../../errors.js';
import type { KeyInfo } from '../../providers/types.js';
import { fingerprint } from '../../secrets/fingerprint.js';
import { rememberSecret } from '../../secrets/redact.js';
import type { RotationContext } from '../context.js';
import { open, type GateResult } from '../gate.js';
import { currentKeys, describeLastUse, surveyKeys, type SurveyList } from '../keys.js';
import type { PhaseStory } from './phase.js';
import { targetsTakeIt } from './publish.js';
import { wasUsed } from '../sessions.js';

/** The issuer has room, and every target will take the key (a key a target then refuses would only be thrown away). */
async function roomAndTakers(ctx: RotationContext): Promise<GateResult> {
  // Reuses the list `run --due` read just before, if it did; keeps its own for act, which follows at once.
  const keys = (await surveyKeys(ctx, { reuse: true, keep: true })).gate;
  if (keys.kind !== 'open') return keys;
  const targets = await targetsTakeIt(ctx);
  return targets.kind === 'open' ? open(...keys.evidence, ...targets.evidence) : targets;
}

/**
 * `list`: where the key list comes from. The first run takes the create gate's list (reuse), read an
 * instant before with only an audit line, a state save and the targets' ownership checks since; a key
 * someone adds in that instant is still caught by create itself (the issuer refuses a key past its limit).
 */
async function createKey(ctx: RotationContext, list: SurveyList): Promise<void> {
  const { issuer, state } = ctx;
  const { gate, picture } = await surveyKeys(ctx, list);
  if (!picture) throw new KeyrotError(gate.kind === 'hold' ? gate.code : 'invariant', gate.kind === 'hold' ? gate.details : {});
  state.oldKeyId ??= picture.oldKeyId;
  state.keysBeforeCreate = picture.keys.map((k) => k.id);
  // On disk ('acting', with the key list) before any key changes: it is how resume finds an orphan.
  await ctx.save();
  if (picture.evict) {
    await ctx.call(issuer, 'delete', () => issuer.delete(picture.evict!));
    state.keysBeforeCreate = state.keysBeforeCreate.filter((id) => id !== picture.evict);
    await ctx.record('delete-inactive-key', `deleted inactive key ${picture.evict} to make room`);
  }

  const created = await ctx.call(issuer, 'create', () => issuer.create());
  rememberSecret(created.secret);
  ctx.secrets.set(created.keyId, created.secret);
  state.newKeyId = created.keyId;
  state.newFingerprint = fingerprint(created.secret);
  await ctx.record('create-key', `created ${created.keyId} (${state.newFingerprint})`);
}

/** Keys created by a run that died before publishing: their secret is lost. Delete them, then create again. */
async function discardOrphansAndCreate(ctx: RotationContext): Promise<void> {
  const { issuer, state } = ctx;
  // The list read now (time has passed: the run that created the key died) finds the orphans; what is
  // left after deleting them is the list createKey surveys, since only our own deletes ran in between.
  let left: KeyInfo[] | undefined;
  if (state.keysBeforeCreate) {
    // A leaked key revoked inside this rotation is no orphan, even one made after the list (by hand):
    // it is deleted after its soak, under the delete's question, never here.
    const before = new Set([...state.keysBeforeCreate, ...(state.alsoRevoked ?? []).map((k) => k.keyId)]);
    const keys = await currentKeys(ctx);
    const orphans = keys.filter((k) => !before.has(k.id));
    for (const orphan of orphans) {
      const use = await ctx.call(issuer, 'lastUsed', () => issuer.lastUsed(orphan.id));
      if (wasUsed(use)) throw new KeyrotError('orphan-used', { keyId: orphan.id, lastUsed: describeLastUse(use) });
      await ctx.call(issuer, 'delete', () => issuer.delete(orphan.id));
      await ctx.record('delete-orphan-key', `deleted ${orphan.id}: created by an interrupted run, never published`);
    }
    left = keys.filter((k) => before.has(k.id));
  }
  state.newKeyId = null;
  state.newFingerprint = null;
  state.published = [];
  await createKey(ctx, left ? { keys: left } : {});
}

export const create: PhaseStory = {
  calls: (ctx) => [ctx.issuer.explain('list'), ctx.issuer.explain('create')],
  guards: () => 'the issuer has room for one more key, and every target will take it (checked before anything is created)',
  gate: roomAndTakers,
  act: (ctx) => createKey(ctx, { reuse: true }),
  resume: discardOrphansAndCreate,
};
