// Questions the phases ask about keys: which one is being retired, is there room, where is the secret.
import { fingerprint } from '../secrets/fingerprint.js';
import { rememberSecret } from '../secrets/redact.js';
import { formatDuration } from '../shared/duration.js';
import type { Credential, KeyInfo, LastUse, SecretStore, Written } from '../providers/types.js';
import type { RotationContext } from './context.js';
import { hold, open, type GateResult } from './gate.js';
import { count } from '../shared/plural.js';

export interface KeyPicture {
  keys: KeyInfo[];
  oldKeyId: string | null;
  /** An inactive key to delete first to make room, when the plan allows it. */
  evict: string | null;
}

export const describeLastUse = (use: LastUse): string =>
  use.reported === 'sessions'
    ? use.sessions > 0 ? `by ${count(use.sessions, 'session')} connected now${use.clients ? ` (from ${use.clients})` : ''}` : 'no session connected now'
    : !use.reported
      ? 'not reported by the issuer'
      : use.at === null
        ? 'never used'
        : `${use.at.toISOString()}${use.service ? ` by ${use.service}` : ''}${use.region ? ` in ${use.region}` : ''}`;

const describeKey = (k: KeyInfo, now: Date) => `${k.id} (${k.status}, ${formatDuration(now.getTime() - k.createdAt.getTime())} old)`;

/**
 * A key list kept for the very next step of the same run, which takes it instead of asking the issuer
 * again. Kept only where nothing can change the keys in between but keyrot's own bookkeeping (an audit
 * line, a state save, a store's ownership check): the list `run --due` reads at session start, for the
 * create gate right after it, and the create gate's list, for the create that follows it at once.
 * Taken once; any other list read drops it, so a kept list never outlives the moment it was read for.
 * Scoped to the rotation context (a WeakMap): nothing is shared between plans or runs.
 */
const kept = new WeakMap<RotationContext, KeyInfo[]>();

/** Keep `keys`, just read, for the next surveyKeys(ctx, { reuse: true }) of this run. */
export function keepKeyList(ctx: RotationContext, keys: KeyInfo[]): void {
  kept.set(ctx, keys);
}

/** The issuer's key list: the one kept for this step (with `reuse`), or read now. */
async function listKeys(ctx: RotationContext, reuse = false): Promise<KeyInfo[]> {
  const keys = kept.get(ctx);
  kept.delete(ctx);
  if (reuse && keys) return keys;
  return ctx.call(ctx.issuer, 'list', () => ctx.issuer.list());
}

/** The issuer's record of one key, or undefined once it is gone. */
export async function findKey(ctx: RotationContext, keyId: string): Promise<KeyInfo | undefined> {
  return (await listKeys(ctx)).find((k) => k.id === keyId);
}

/** Every key the issuer holds now (never a kept list). */
export const currentKeys = (ctx: RotationContext): Promise<KeyInfo[]> => listKeys(ctx);

/** Whether a revoke's leaked key is gone already: keyrot deleted it to make room for its replacement (the
 *  issuer was full), or at once where the issuer cannot deactivate. Either way it is not in the list
 *  create saved; the issuer no longer knows it, so there is no last use left to ask about. */
export const revokedKeyDeleted = (state: RotationContext['state']): boolean =>
  state.mode === 'revoke' && state.oldKeyId !== null && state.keysBeforeCreate !== null && !state.keysBeforeCreate.includes(state.oldKeyId);

/** Where surveyKeys takes the key list from: `keys` (read by the caller), the list kept for this step
 *  (`reuse`), or the issuer now; `keep` keeps it for the step right after. */
export interface SurveyList {
  keys?: KeyInfo[];
  reuse?: boolean;
  keep?: boolean;
}

/** The new key a plain abandon left active, when it is one of `keys` and not `current`: `abandon --retire-new`
 *  retires it (if no target serves it), the way out of a full issuer or of several active keys. */
function strayAbandonedNew(ctx: RotationContext, keys: KeyInfo[], current: string | null): { abandonedNew?: string } {
  const abandonedNew = ctx.state.abandonedNewKey?.keyId;
  return abandonedNew && abandonedNew !== current && keys.some((k) => k.id === abandonedNew && k.status === 'active') ? { abandonedNew } : {};
}

/** Decide which key is retired and whether the issuer has room for one more. Read-only. */
export async function surveyKeys(ctx: RotationContext, list: SurveyList = {}): Promise<{ gate: GateResult; picture?: KeyPicture }> {
  const { issuer } = ctx;
  const now = ctx.clock.now();
  if (list.keys) kept.delete(ctx);
  const keys = list.keys ?? (await listKeys(ctx, list.reuse));
  const active = keys.filter((k) => k.status === 'active');
  // A revoke has named the key being retired already (and deactivated it).
  const named = ctx.state.oldKeyId;
  let oldKeyId: string | null = named ?? active[0]?.id ?? null;

  if (!named && active.length > 1) {
    const served = new Set<string>();
    for (const store of ctx.stores) {
      const found = await servedBy(ctx.call, store);
      if (found) served.add(found.keyId);
    }
    const current = active.filter((k) => served.has(k.id));
    if (current.length !== 1) {
      // `--retire-new` refuses a key a target serves: offered only for one none serves.
      const unserved = keys.filter((k) => !served.has(k.id));
      return { gate: hold('active-key-ambiguous', { issuer: issuer.label, keys: active.map((k) => k.id).join(', '), ...strayAbandonedNew(ctx, unserved, null) }) };
    }
    oldKeyId = current[0]!.id;
  }

  let evict: string | null = null;
  // A revoked (leaked) key is never reactivated, and its last use is already in the audit log: when
  // the issuer is full it is the key that makes room for its replacement, whatever the plan says. So is
  // another leaked key revoked inside this rotation (revoke-also.ts), after the revoke's own.
  const leaked = [...(ctx.state.mode === 'revoke' && named ? [named] : []), ...(ctx.state.alsoRevoked ?? []).map((k) => k.keyId)];
  const revoked = leaked.map((id) => keys.find((k) => k.id === id && k.status === 'inactive')).find((k) => k !== undefined);
  if (keys.length >= issuer.maxKeys && revoked) {
    evict = revoked.id;
  } else if (keys.length >= issuer.maxKeys) {
    const inactive = keys.find((k) => k.status === 'inactive' && k.id !== oldKeyId);
    const allowed = (ctx.plan.source as { deleteInactiveKey?: boolean }).deleteInactiveKey === true;
    if (!inactive || !allowed) {
      const lines = await Promise.all(
        keys.map(async (k) => `${describeKey(k, now)}, last used ${describeLastUse(await ctx.call(issuer, 'lastUsed', () => issuer.lastUsed(k.id)))}`),
      );
      const spare = inactive ?? keys.find((k) => k.id !== oldKeyId) ?? keys[0]!;
      // Full because a plain abandon left its new key active: deleteInactiveKey is no way out when no key is inactive.
      const carried = strayAbandonedNew(ctx, keys, oldKeyId);
      const noneInactive = keys.every((k) => k.status === 'active') ? { noneInactive: true } : {};
      return {
        gate: hold(
          'key-limit',
          { issuer: issuer.label, count: keys.length, keys: keys.map((k) => k.id).join(', '), cleanup: `${issuer.explain('delete')} for ${spare.id}`, ...carried, ...noneInactive },
          ...lines,
        ),
      };
    }
    evict = inactive.id;
  }

  const evidence = [
    oldKeyId ? `retiring ${oldKeyId}` : 'no active key: first rotation',
    `${keys.length} of ${issuer.maxKeys} key slots used`,
    ...(evict ? [`inactive key ${evict}${evict === revoked?.id ? ' (revoked)' : ''} will be deleted first to make room`] : []),
  ];
  if (list.keep) keepKeyList(ctx, keys); // only when open: a gate that holds is followed by no create
  return { gate: open(...evidence), picture: { keys, oldKeyId, evict } };
}

/**
 * The new key's credential: from memory, or read back from a store that already holds it with the
 * recorded fingerprint (a run that resumes after the process that created the key died).
 */
export async function newCredential(ctx: RotationContext): Promise<Credential | undefined> {
  const { newKeyId, newFingerprint } = ctx.state;
  if (!newKeyId) return undefined;
  const inMemory = ctx.secrets.get(newKeyId);
  if (inMemory !== undefined) return { keyId: newKeyId, secret: inMemory };
  for (const store of ctx.stores) {
    const cred = await ctx.call(store, 'readBack', () => store.readBack());
    if (cred?.keyId !== newKeyId) continue;
    rememberSecret(cred.secret);
    if (fingerprint(cred.secret) !== newFingerprint) continue;
    ctx.secrets.set(newKeyId, cred.secret);
    ctx.emit({ type: 'note', plan: ctx.plan.name, message: `recovered key ${newKeyId} (${newFingerprint}) from ${store.label}` });
    return cred;
  }
  return undefined;
}

/**
 * What a target serves now, as key id and fingerprint: read back, or, from a write-only target, what
 * keyrot recorded writing there while the target's metadata shows no write since (SecretStore.writeOnly).
 */
export async function servedBy(call: RotationContext['call'], store: SecretStore): Promise<Written | undefined> {
  if (store.writeOnly) return call(store, 'readBack', () => store.writeOnly!.written());
  const found = await call(store, 'readBack', () => store.readBack());
  if (!found) return undefined;
  rememberSecret(found.secret);
  return { keyId: found.keyId, fingerprint: fingerprint(found.secret) };
}

/** The targets that do not serve the new key right now (key id and fingerprint), with what they serve. */
export async function strayTargets(ctx: RotationContext): Promise<Array<{ store: SecretStore; found: string; foundFingerprint: string }>> {
  const stray = [];
  for (const store of ctx.stores) {
    const found = await servedBy(ctx.call, store);
    if (found?.keyId !== ctx.state.newKeyId || found.fingerprint !== ctx.state.newFingerprint) stray.push({ store, found: found?.keyId ?? 'no key', foundFingerprint: found?.fingerprint ?? 'nothing' });
  }
  return stray;
}
