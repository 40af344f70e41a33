// The rotation as data: one entry per phase, walked by the runner (runner.ts). Nothing else
// branches on a phase name. Each phase reads as a short story of what it does.
import { KeyrotError } from '../errors.js';
import type { NotifyOutcome } from '../notify/notice.js';
import type { SecretStore } from '../providers/types.js';
import { formatDuration } from '../shared/duration.js';
import { fingerprint } from '../secrets/fingerprint.js';
import { rememberSecret } from '../secrets/redact.js';
import type { RotationContext } from './context.js';
import { hold, holdAndGoBack, holdAndRollBack, open, waitUntil, type GateResult } from './gate.js';
import { probe } from './health.js';
import { currentKeys, describeLastUse, findKey, newCredential, strayTargets, surveyKeys, type SurveyList } from './keys.js';
import type { KeyInfo } from '../providers/types.js';
import type { PhaseName } from './rotation.js';
import { quietByUsage, unusedByUsage, usageNow, withUsage } from './usage.js';

/** What a phase asks of the runner after its side effect, beyond "carry on": go back, and why. */
export type Redirect = { restartAt: PhaseName; reason?: string };

export interface Phase {
  name: PhaseName;
  summary: string;
  /** What to do when state says the side effect started but may not have finished. */
  onResume: 'redo' | 'check' | 'recover';
  /** What the plan's notify hooks hear once the side effect is done. */
  announces?: NotifyOutcome;
  /** Asks for confirmation first (unless --yes): the side effect cannot be undone. */
  permanent?: boolean;
  /** The provider calls the phase makes, for `keyrot plan`. */
  calls(ctx: RotationContext): string[];
  /** What the gate and the wait check, for `keyrot plan`. */
  guards?(ctx: RotationContext): string;
  /** Must hold before the side effect. Read-only. */
  gate?(ctx: RotationContext): Promise<GateResult>;
  /** The gate reads only what providers hold now, so `keyrot plan` can evaluate it ahead of time. */
  previewGate?: boolean;
  /** For `keyrot plan`, where `gate` cannot be previewed: what asking now would say (the usage query). Read-only. */
  askNow?(ctx: RotationContext): Promise<GateResult | undefined>;
  /** Its act writes state itself before its first side effect, so the runner need not write 'acting' first. */
  savesBeforeActing?: true;
  /** The side effect. Idempotent where `onResume` is redo or check. */
  act(ctx: RotationContext): Promise<void | Redirect>;
  /** For `check` and `recover`: finish a side effect that may have been cut short. */
  resume?(ctx: RotationContext): Promise<void | Redirect>;
  /** Reverse the side effect (rollback); only for phases whose effect can be undone. */
  undo?(ctx: RotationContext): Promise<void>;
  /** After the side effect: the condition to wait for before the next phase. Read-only. */
  waitFor?(ctx: RotationContext): Promise<GateResult>;
  next(ctx: RotationContext): PhaseName | 'done';
}

const deadline = (ctx: RotationContext, phase: PhaseName, from: Date, ms: number): Date => {
  ctx.state.deadlines[phase] ??= new Date(from.getTime() + ms).toISOString();
  return new Date(ctx.state.deadlines[phase]!);
};

const waitForDeadline = (phase: PhaseName, reason: string) => async (ctx: RotationContext) => {
  const until = new Date(ctx.state.deadlines[phase]!);
  return ctx.clock.now() >= until ? open() : waitUntil(until, reason);
};

const oldKey = (ctx: RotationContext): string => {
  if (!ctx.state.oldKeyId) throw new KeyrotError('invariant', { phase: ctx.state.phase, reason: 'no old key recorded' });
  return ctx.state.oldKeyId;
};

// ---- create -------------------------------------------------------------------------------------

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
    const before = new Set(state.keysBeforeCreate);
    const keys = await currentKeys(ctx);
    const orphans = keys.filter((k) => !before.has(k.id));
    for (const orphan of orphans) {
      const use = await ctx.call(issuer, 'lastUsed', () => issuer.lastUsed(orphan.id));
      if (use.reported && use.at !== null) throw new KeyrotError('orphan-used', { keyId: orphan.id, lastUsed: describeLastUse(use) });
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

/**
 * One store's retire hook, recorded as what it did: a change, or (skipped) nothing of the key left to
 * change there, e.g. done by a run that died before recording it.
 */
async function retireIn(ctx: RotationContext, store: SecretStore, hook: 'onDeactivate' | 'onReactivate' | 'onDelete', keyId: string, action: string, done: string) {
  const result = await ctx.call(store, hook, () => store[hook](keyId));
  if (result === 'unchanged') await ctx.record(action, `${store.label}: found nothing of ${keyId} left to change`, 'skipped');
  else await ctx.record(action, done);
}

/**
 * Retire the new key of a rotation that will not finish with it: delete it at the issuer and drop any
 * copy a target kept. Callers make sure no target serves it (it was never confirmed everywhere).
 */
export async function retireNewKey(ctx: RotationContext, why: string): Promise<void> {
  const { issuer, state } = ctx;
  const keyId = state.newKeyId;
  if (!keyId) return;
  if (await findKey(ctx, keyId)) {
    await ctx.call(issuer, 'delete', () => issuer.delete(keyId));
    await ctx.record('delete-new-key', `deleted new key ${keyId}: ${why}`);
  } else {
    await ctx.record('delete-new-key', `found new key ${keyId} already gone`, 'skipped');
  }
  for (const store of ctx.stores) await retireIn(ctx, store, 'onDelete', keyId, 'purge-from-store', `${store.label}: no copy of ${keyId} left`);
  Object.assign(state, { newKeyId: null, newFingerprint: null, published: [], verifiedAt: null, authenticatedAt: null });
  await ctx.save();
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

/**
 * Delete the old key at the issuer, then in every store. `seen`: whether a list just read still shows it
 * (resume). Without it (the first run, straight after the gate) no list is read: deleting is idempotent
 * at every issuer, and one that can tell says 'gone' when there was nothing left to delete.
 */
async function deleteOldKey(ctx: RotationContext, seen?: { exists: boolean }): Promise<void> {
  const keyId = oldKey(ctx);
  const gone = seen?.exists === false || (await ctx.call(ctx.issuer, 'delete', () => ctx.issuer.delete(keyId))) === 'gone';
  if (gone) await ctx.record('delete-key', `found ${keyId} already gone`, 'skipped');
  else await ctx.record('delete-key', `deleted ${keyId}`);
  for (const store of ctx.stores) await retireIn(ctx, store, 'onDelete', keyId, 'purge-from-store', `${store.explain('onDelete')}: ${keyId}`);
}

// ---- the table ----------------------------------------------------------------------------------

export const PHASES: Record<PhaseName, Phase> = {
  revoke: {
    name: 'revoke',
    announces: 'revoked',
    summary: 'deactivate the leaked key at once (revoke first, investigate later)',
    onResume: 'redo',
    calls: (ctx) => [ctx.issuer.explain('lastUsed'), ctx.issuer.explain(ctx.issuer.deactivates === false ? 'delete' : 'deactivate'), ...ctx.stores.map((s) => s.explain('onDeactivate'))],
    guards: () => 'none, on purpose: consumers still using the leaked key fail until they load the replacement',
    async act(ctx) {
      const keyId = oldKey(ctx);
      // An issuer that cannot deactivate keys: deleting the key is the only way to stop it. Its last use
      // is asked first (a deleted key has none to report); a failure to answer never delays the delete.
      const early = ctx.issuer.deactivates === false ? await ctx.call(ctx.issuer, 'lastUsed', () => ctx.issuer.lastUsed(keyId)).catch(() => undefined) : undefined;
      if (ctx.issuer.deactivates === false) {
        await ctx.call(ctx.issuer, 'delete', () => ctx.issuer.delete(keyId));
        ctx.state.deactivatedAt ??= ctx.clock.now().toISOString();
        await ctx.record('revoke-key', `deleted leaked key ${keyId} at once: ${ctx.issuer.label} cannot deactivate keys`);
      } else {
        // Deactivate before anything that is not needed to do it: every second counts during a leak.
        // Deactivating an inactive key is a no-op at every issuer, so no list is read first.
        await ctx.call(ctx.issuer, 'deactivate', () => ctx.issuer.deactivate(keyId));
        ctx.state.deactivatedAt ??= ctx.clock.now().toISOString();
        await ctx.record('revoke-key', `deactivated leaked key ${keyId}`);
      }
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
    },
    // Straight on to the replacement; a rotation taken over skips its overlap (the old key is dead).
    next: ({ state }) => {
      const at = state.resumeAt?.phase;
      return !at ? 'create' : at === 'drain' || at === 'last-used' ? 'deactivate' : at;
    },
  },

  create: {
    name: 'create',
    summary: 'create the new key (its secret stays in memory)',
    onResume: 'recover',
    calls: (ctx) => [ctx.issuer.explain('list'), ctx.issuer.explain('create')],
    guards: () => 'the issuer has room for one more key, and every target will take it (checked before anything is created)',
    async gate(ctx) {
      // Reuses the list `run --due` read just before, if it did; keeps its own for act, which follows at once.
      const keys = (await surveyKeys(ctx, { reuse: true, keep: true })).gate;
      if (keys.kind !== 'open') return keys;
      // The publish gate, checked now too: a key a target then refuses would only be thrown away.
      const targets = await PHASES.publish.gate!(ctx);
      return targets.kind === 'open' ? open(...keys.evidence, ...targets.evidence) : targets;
    },
    previewGate: true,
    savesBeforeActing: true,
    act: (ctx) => createKey(ctx, { reuse: true }),
    resume: discardOrphansAndCreate,
    next: () => 'publish',
  },

  publish: {
    name: 'publish',
    announces: 'published',
    summary: 'publish the new key to every target',
    onResume: 'recover',
    calls: (ctx) => ctx.stores.flatMap((s) => [s.explain('ownership'), s.explain('publish')]),
    guards: () => 'every target is managed by keyrot, absent, or marked adopt: true',
    previewGate: true,
    async gate(ctx) {
      const evidence: string[] = [];
      for (const [i, store] of ctx.stores.entries()) {
        if (ctx.state.published.includes(ctx.targetIds[i]!)) continue;
        const owner = await ctx.call(store, 'ownership', () => store.ownership());
        const adopt = (ctx.plan.publish[i] as { adopt?: boolean }).adopt === true;
        if (owner.state === 'unmanaged' && !adopt) return hold('store-unmanaged', { store: store.label, detail: owner.detail });
        evidence.push(`${store.label}: ${owner.state === 'unmanaged' ? 'adopting an unmanaged secret' : owner.state}`);
      }
      return open(...evidence);
    },
    async act(ctx) {
      const credential = await newCredential(ctx);
      if (!credential) return { restartAt: 'create' }; // no copy survived: the create-orphan path
      const context = { plan: ctx.plan.name, rotationId: ctx.state.rotationId, rotatedAt: ctx.clock.now() };
      for (const [i, store] of ctx.stores.entries()) {
        const target = ctx.targetIds[i]!;
        if (ctx.state.published.includes(target)) continue;
        await ctx.call(store, 'publish', () => store.publish(credential, context));
        ctx.state.published.push(target);
        await ctx.record('publish', `published ${credential.keyId} to ${store.label}`);
      }
    },
    resume: (ctx) => PHASES.publish.act(ctx),
    next: () => 'verify',
  },

  verify: {
    name: 'verify',
    summary: 'read back every target and prove the new key authenticates',
    onResume: 'redo',
    calls: (ctx) => [...ctx.stores.map((s) => s.explain('readBack')), ...(ctx.plan.verify ? [ctx.issuer.explain('verify')] : [])],
    // What the issuer does to prove the key is in its own words (explain): no claim here can drift from it.
    guards: (ctx) => `every target serves the new key's fingerprint${ctx.plan.verify ? `; the key authenticates (${ctx.issuer.explain('verify')})` : ''}`,
    async act(ctx) {
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
      await ctx.record('verify', `${ctx.stores.length} target(s) serve ${state.newKeyId} (${state.newFingerprint})${ctx.plan.verify ? '; it authenticates' : ''}`);
    },
    next: ({ state }) => (!state.oldKeyId ? 'done' : state.mode === 'revoke' ? 'deactivate' : 'drain'),
  },

  drain: {
    name: 'drain',
    announces: 'reload',
    summary: 'overlap window: both keys valid while consumers reload',
    onResume: 'redo',
    calls: () => [],
    guards: (ctx) => `waits ${formatDuration(ctx.plan.drain)} (stored deadline)`,
    async act(ctx) {
      // Written with the next save, before the wait or the reload notice (runner.ts).
      const until = deadline(ctx, 'drain', ctx.clock.now(), ctx.plan.drain);
      ctx.emit({ type: 'note', plan: ctx.plan.name, phase: 'drain', message: `both keys valid until ${until.toISOString()} (${formatDuration(ctx.plan.drain)} overlap)` });
    },
    waitFor: waitForDeadline('drain', 'overlap window'),
    next: () => 'last-used',
  },

  'last-used': {
    name: 'last-used',
    summary: 'check that the old key has gone quiet',
    onResume: 'redo',
    calls: (ctx) => (ctx.plan.lastUsed ? [ctx.issuer.explain('lastUsed'), ...(ctx.usage ? [ctx.usage.explain()] : [])] : []),
    guards: (ctx) =>
      ctx.plan.lastUsed
        ? `old key idle for ${formatDuration(ctx.plan.lastUsed.quietFor)}${ctx.usage ? ` by the issuer and by ${ctx.usage.label} (no answer holds)` : ''}; holds (exit 3) after ${formatDuration(ctx.plan.lastUsed.maxWait)}`
        : 'no lastUsed rule: passes',
    async act(ctx) {
      if (ctx.plan.lastUsed) deadline(ctx, 'last-used', ctx.clock.now(), ctx.plan.lastUsed.maxWait); // written before any wait (runner.ts)
    },
    waitFor: withUsage(async (ctx) => {
      const rule = ctx.plan.lastUsed;
      if (!rule) return open('no lastUsed rule in the plan');
      const keyId = oldKey(ctx);
      const use = await ctx.call(ctx.issuer, 'lastUsed', () => ctx.issuer.lastUsed(keyId));
      const evidence = `old key ${keyId} last used: ${describeLastUse(use)}`;
      if (!use.reported || use.at === null) return open(evidence);
      const now = ctx.clock.now();
      const quietAt = new Date(use.at.getTime() + rule.quietFor);
      if (now >= quietAt) return open(evidence, `quiet for ${formatDuration(now.getTime() - use.at.getTime())}`);
      const giveUp = new Date(ctx.state.deadlines['last-used']!);
      if (now >= giveUp) {
        return hold('old-key-in-use', { keyId, lastUsed: describeLastUse(use), waited: formatDuration(rule.maxWait) }, evidence);
      }
      return waitUntil(quietAt < giveUp ? quietAt : giveUp, `old key must be quiet for ${formatDuration(rule.quietFor)}`, evidence);
    }, quietByUsage),
    askNow: (ctx) => usageNow(ctx, quietByUsage),
    next: () => 'deactivate',
  },

  deactivate: {
    name: 'deactivate',
    announces: 'deactivated',
    summary: 'deactivate the old key (reversible) and stop serving it',
    onResume: 'check',
    calls: (ctx) => [...ctx.stores.map((s) => s.explain('readBack')), ctx.issuer.explain('deactivate'), ...ctx.stores.map((s) => s.explain('onDeactivate'))],
    guards: () => 'the new key is published to every target, verified, and read back again from each just before (invariant 1)',
    async gate(ctx) {
      // Invariant 1: the new key is everywhere, read back, and (with verify) proven.
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
      return open(`new key ${state.newKeyId} verified at ${state.verifiedAt}, and served by all ${ctx.stores.length} target(s) now`);
    },
    act: (ctx) => deactivateOldKey(ctx),
    async resume(ctx) {
      // Cut short before the issuer call? Then the targets were not read at the moment of deactivation.
      // After a crash the key's status is read again (time has passed, and the audit log should say what was found).
      const key = await findKey(ctx, oldKey(ctx));
      if (key?.status === 'active' && (await strayTargets(ctx)).length) {
        return { restartAt: 'verify', reason: `a target no longer serves ${ctx.state.newKeyId}; publishing it again before the old key is deactivated` };
      }
      return deactivateOldKey(ctx, { key });
    },
    async undo(ctx) {
      const keyId = oldKey(ctx);
      const key = await findKey(ctx, keyId);
      if (!key) throw new KeyrotError('rollback-too-late', { plan: ctx.plan.name, keyId });
      if (key.status !== 'active') {
        await ctx.call(ctx.issuer, 'reactivate', () => ctx.issuer.reactivate(keyId));
        await ctx.record('reactivate-key', `reactivated ${keyId}`);
      }
      for (const store of ctx.stores) await retireIn(ctx, store, 'onReactivate', keyId, 'restore-to-store', `${store.label} serves ${keyId} again`);
      ctx.state.deactivatedAt = null;
      delete ctx.state.deadlines.soak;
    },
    next: () => 'soak',
  },

  soak: {
    name: 'soak',
    summary: 'soak: the old key stays inactive but restorable',
    onResume: 'redo',
    calls: () => [],
    guards: (ctx) =>
      `waits ${formatDuration(ctx.plan.soak)} after the last target stopped serving the old key (stored deadline)` +
      (ctx.plan.healthCheck ? `; health check every ${formatDuration(ctx.plan.healthCheck.interval)}, a failure reactivates the old key` : ''),
    async act(ctx) {
      deadline(ctx, 'soak', ctx.clock.now(), ctx.plan.soak); // set when the last target retired the old key; written before any wait
    },
    async waitFor(ctx) {
      const check = ctx.plan.healthCheck;
      const soakEnd = new Date(ctx.state.deadlines.soak!);
      if (!check) return waitForDeadline('soak', 'soak')(ctx);
      const health = await probe(check, ctx.planDir);
      if (!health.healthy) {
        return holdAndRollBack('health-check-failed', { plan: ctx.plan.name, keyId: oldKey(ctx), detail: health.detail }, health.detail);
      }
      const now = ctx.clock.now();
      if (now >= soakEnd) return open(`healthy: ${health.detail}`);
      const next = new Date(Math.min(soakEnd.getTime(), now.getTime() + check.interval));
      return waitUntil(next, 'soak (health checks)', `healthy: ${health.detail}`);
    },
    next: () => 'delete',
  },

  delete: {
    name: 'delete',
    announces: 'deleted',
    summary: 'delete the old key (permanent)',
    onResume: 'check',
    permanent: true,
    calls: (ctx) => [ctx.issuer.explain('lastUsed'), ...(ctx.usage ? [ctx.usage.explain()] : []), ctx.issuer.explain('delete'), ...ctx.stores.map((s) => s.explain('onDelete'))],
    guards: (ctx) =>
      `inactive for the whole soak, unused since deactivation${ctx.usage ? ` by the issuer and by ${ctx.usage.label} (no answer holds)` : ''}, confirmed (unless --yes)${ctx.plan.delete.requireApproval ? ', approved (keyrot approve)' : ''} (invariant 2)`,
    gate: withUsage(async (ctx) => {
      // Invariant 2: inactive for the whole soak, and not used since it was deactivated.
      const { state } = ctx;
      const keyId = oldKey(ctx);
      const soakEnd = state.deadlines.soak ? new Date(state.deadlines.soak) : undefined;
      if (!state.deactivatedAt || !soakEnd || ctx.clock.now() < soakEnd) {
        return hold('invariant', { phase: 'delete', reason: `${keyId} has not been inactive for the whole soak` });
      }
      if ((ctx.plan.delete.requireApproval || state.mode === 'revoke') && !state.approvedBy) {
        return hold('approval-required', { plan: ctx.plan.name, keyId, revoke: state.mode === 'revoke' });
      }
      const use = await ctx.call(ctx.issuer, 'lastUsed', () => ctx.issuer.lastUsed(keyId));
      const usedSince = use.reported && use.at !== null && use.at >= new Date(state.deactivatedAt);
      if (usedSince && state.mode === 'revoke') {
        // A leaked key tried after its revocation is likely the attacker: evidence, not a reason to keep it.
        return open(`inactive since ${state.deactivatedAt}`, `WARNING: the revoked key was tried after it was revoked: ${describeLastUse(use)}`);
      }
      if (usedSince) return hold('used-after-deactivate', { keyId, lastUsed: describeLastUse(use), deactivatedAt: state.deactivatedAt });
      return open(`inactive since ${state.deactivatedAt}`, `last used: ${describeLastUse(use)}`);
    }, unusedByUsage),
    askNow: (ctx) => usageNow(ctx, unusedByUsage),
    act: (ctx) => deleteOldKey(ctx),
    // After a crash the list is read again (time has passed): the audit log then says whether the
    // delete had reached the issuer, whatever the issuer's delete can tell.
    resume: async (ctx) => deleteOldKey(ctx, { exists: (await findKey(ctx, oldKey(ctx))) !== undefined }),
    next: () => 'done',
  },
};
