// keyrot revoke: a key leaked. Revoke first, then replace, then let people investigate.
// This decides which rotation record the revoke runs in (the phases revoke, create, publish,
// verify, deactivate, soak and delete then run like any other) and checks everything that could
// refuse before the one question is asked.
import { actor } from '../audit/log.js';
import { KeyrotError } from '../errors.js';
import { commandArg } from '../messages.js';
import type { LoadedPlan } from '../plan/load.js';
import type { SessionOptions } from './options.js';
import { outcomeOfError, type Outcome } from './outcome.js';
import { alsoRevoked, alsoRevoking, finishAlsoRevoked, leftToDelete, withAlsoRevoked } from './revoke-also.js';
import { deleteLeftover } from './revoke-leftover.js';
import { endInactiveKeySessions, endLeakedSessions } from './revoke-sessions.js';
import { revokedKeyDeleted, servedBy } from './keys.js';
import { buildProviders, callProvider } from './providers.js';
import type { RotationContext } from './context.js';
import type { RotationState } from './rotation.js';
import type { Consent } from './runner.js';
import { drive, withPlan, type PlanSession } from './session.js';

/** The record to run in; `also`: the key is another leaked key of the rotation in flight (revoke-also.ts). */
export type RevokeStart = { state: RotationState; also?: string } | { nothing: string };

export async function beginRevoke(session: PlanSession, keyId: string): Promise<RevokeStart> {
  const { saved, providers, loaded } = session;
  const plan = loaded.plan.name;

  // A rotation held before it created anything (say at the key limit) is no rotation to take over.
  const flying = saved && saved.phase !== 'done' && (saved.keysBeforeCreate !== null || saved.mode === 'revoke') ? saved : undefined;
  if (flying && flying.phase !== 'done') {
    if (flying.mode === 'revoke' && flying.oldKeyId === keyId) return { state: flying }; // the same revoke, again
    if (flying.newKeyId === keyId) throw new KeyrotError('revoke-new-key', { plan, keyId });
    if (flying.oldKeyId === keyId) {
      // Take over the rotation in flight: revoke now, then go on where it stood, without the overlap.
      const resumeAt = { phase: flying.phase, stage: flying.stage };
      return { state: { ...flying, mode: 'revoke', phase: 'revoke', stage: 'ready', resumeAt, hold: null, rolledBack: null } };
    }
    if (alsoRevoking(flying, keyId)) return { state: flying, also: keyId }; // its revoke was cut short: finish it
  }

  const key = (await callProvider(providers.issuer, 'list', () => providers.issuer.list())).find((k) => k.id === keyId);
  if (!key) throw new KeyrotError('revoke-no-owner', { keyId, asked: plan });
  if (key.status !== 'active') return { nothing: `${keyId} is already inactive at ${providers.issuer.label}` };
  if (flying) {
    // Deactivating a key a target serves would cut its consumers off with no replacement in place.
    const served = await Promise.all(providers.stores.map((s) => servedBy(callProvider, s)));
    if (served.some((found) => found?.keyId === keyId)) {
      throw new KeyrotError('revoke-conflict', { plan, keyId, oldKeyId: flying.oldKeyId, newKeyId: flying.newKeyId });
    }
    return { state: withAlsoRevoked(flying, keyId), also: keyId };
  }
  return { state: { ...session.fresh(), mode: 'revoke', phase: 'revoke', oldKeyId: keyId } };
}

/** Without a key id: the key the plan's consumers use now (or the one its revoke in flight is about). */
export async function currentKeyOf(loaded: LoadedPlan, options: SessionOptions): Promise<string> {
  const store = await options.states.of(loaded);
  const saved = await store.load(loaded.plan.name);
  if (saved?.mode === 'revoke' && saved.phase !== 'done' && saved.oldKeyId) return saved.oldKeyId;
  const { issuer, stores } = await buildProviders(loaded, store, (e) => options.reporter.event(e), options.clock);
  const active = (await callProvider(issuer, 'list', () => issuer.list())).filter((k) => k.status === 'active');
  const served = await Promise.all(stores.map((s) => servedBy(callProvider, s)));
  const current = active.find((k) => served.some((c) => c?.keyId === k.id)) ?? (active.length === 1 ? active[0] : undefined);
  if (!current) throw new KeyrotError('revoke-no-current-key', { plan: loaded.plan.name, active: active.length, file: commandArg(loaded.file, options.states.spec) });
  return current.id;
}

/** A key no issuer lists may have been revoked and deleted already: say so instead of "not found". */
export async function finishedRevokeOf(plans: LoadedPlan[], keyId: string, options: Pick<SessionOptions, 'states'>): Promise<KeyrotError | undefined> {
  for (const loaded of plans) {
    const saved = await (await options.states.of(loaded)).load(loaded.plan.name).catch(() => undefined);
    if (saved?.mode === 'revoke' && saved.oldKeyId === keyId && saved.phase === 'done') {
      return new KeyrotError('revoke-finished', { keyId, plan: saved.plan, rotationId: saved.rotationId, at: saved.completedAt, file: commandArg(loaded.file, options.states.spec) });
    }
  }
  return undefined;
}

/**
 * A key no issuer lists whose revoke is still in flight: keyrot deleted it itself, to make room for its
 * replacement (the issuer was full) or at once (it cannot deactivate). Its plan, said plainly: the
 * revoke goes on there (with --delete, its delete deletes what is left of it) instead of "not found".
 */
export async function deletedRevokeOf(plans: LoadedPlan[], keyId: string, options: Pick<SessionOptions, 'states' | 'reporter'>): Promise<LoadedPlan | undefined> {
  for (const loaded of plans) {
    const saved = await (await options.states.of(loaded)).load(loaded.plan.name).catch(() => undefined);
    if (saved?.phase === 'done' || saved?.oldKeyId !== keyId || !revokedKeyDeleted(saved)) continue;
    const file = commandArg(loaded.file, options.states.spec);
    options.reporter.event({
      type: 'note', plan: saved.plan,
      message: `${keyId} was deleted already by its own revoke, rotation ${saved.rotationId} of plan ${saved.plan} (keyrot's records; \`keyrot history ${file}\` says when and why); that revoke goes on`,
    });
    return loaded;
  }
  return undefined;
}

/** One key to revoke, and the command's one question. */
export interface KeyRevoke {
  plan: LoadedPlan;
  keyId: string;
  /** Finish a revoke in flight with the permanent delete (after its soak). */
  delete: boolean;
  /** Every place a scanner saw the key: written to the audit log with the revoke. */
  locations: string[];
  /** How many keys this command revokes, for the question. */
  count: number;
  /** Asked once every precondition held; 'unattended' (no terminal, no --yes) holds, as 'no' does. */
  consent(question: string): Promise<Consent>;
  /** The command as typed, with --yes added (piped: the secret came on stdin): what a hold without a terminal names. */
  withYes: { command: string; piped: boolean };
}

/** Revoke one key (or, with `delete`, finish its revoke): preconditions, one question, then the phases. */
export function revokeKey(req: KeyRevoke, options: SessionOptions): Promise<Outcome> {
  const { plan: owner, keyId } = req;
  const planArg = commandArg(owner.file, options.states.spec);
  const plan = owner.plan.name;
  return withPlan(owner, options, async (session) => {
    const { saved } = session;
    // The revoke in flight this key was revoked in: as its old key, or as another leaked key (revoke-also.ts).
    const revoking = saved?.mode === 'revoke' && saved.phase !== 'done' &&
      (saved.oldKeyId === keyId || alsoRevoked(saved, keyId));
    // --delete finishes a revoke; it never starts one (that would skip the warning below). A leaked key
    // revoked inside a rotation since abandoned is the one exception: revoked already, only its delete is left.
    // (leftToDelete reads only a finished record, never one in flight, so `left` and `revoking` never both hold.)
    const left = leftToDelete(saved).some((k) => k.keyId === keyId);
    if (req.delete && !revoking && !left) throw new KeyrotError('revoke-delete-first', { keyId, plan, file: planArg });
    const start: RevokeStart = req.delete ? { state: saved! } : await beginRevoke(session, keyId);
    // The same revoke again, past its revoke phase: the sessions it could not end (say) are ended now.
    // The same for another leaked key revoked inside a rotation (revoke-also.ts).
    const revoked = (s: RotationState) =>
      (s.mode === 'revoke' && s.oldKeyId === keyId && s.phase !== 'revoke') || alsoRevoked(s, keyId);
    const again = (s: RotationState | undefined): s is RotationState =>
      !req.delete && Boolean(session.providers.issuer.openSessions?.end) && s !== undefined && revoked(s);
    if ('nothing' in start && again(session.saved)) {
      const failed = await endLeakedSessions(session.context(session.saved), keyId);
      if (failed) return outcomeOfError(failed);
    }
    if ('nothing' in start) {
      options.reporter.event({ type: 'note', plan, message: `nothing to revoke: ${start.nothing}` });
      // Inactive already, but not by a revoke of keyrot's: the sessions it opened before are still the attacker's.
      const ours = session.saved !== undefined && revoked(session.saved);
      const failed = !req.delete && !ours ? await endInactiveKeySessions(session.context(session.saved ?? session.fresh()), keyId) : undefined;
      return failed ? outcomeOfError(failed) : { status: 'done' as const };
    }
    const what = req.count > 1 ? `${req.count} keys (listed above)` : `${keyId} of plan ${plan}`;
    const answer = await req.consent(req.delete
      ? `permanently delete the revoked key ${what} once its soak is over?`
      : `revoke ${what} now: anything still using it fails until it loads the replacement. Revoke?`);
    if (answer !== 'yes') {
      const refusal = answer === 'no'
        ? new KeyrotError('revoke-declined', { keyId, file: planArg })
        : new KeyrotError('revoke-unattended', { keyId, file: planArg, ...req.withYes, step: req.delete ? 'permanent delete' : 'revoke' });
      const { code } = refusal;
      options.reporter.event({ type: 'held', plan, phase: 'revoke', code, message: refusal.message, hint: refusal.hint, evidence: [] });
      return { status: 'held' as const, code };
    }
    if (!req.delete) options.reporter.event({ type: 'warning', plan, message: `revoking ${keyId} of plan ${plan} now: anything still using it fails until it loads the replacement` });

    const ctx = session.context(start.state);
    if (req.delete && left) return deleteLeftover(ctx, keyId);
    if (again(start.state)) ctx.unfinished = await endLeakedSessions(ctx, keyId);
    if (req.locations.length > 0) await ctx.audit('revoke', 'ok', `${keyId} leaked: seen at ${req.locations.join('; ')}`, 'leak-report');
    if (start.also) return revokeAlso(ctx, keyId);
    if (req.delete && !ctx.state.approvedBy) {
      ctx.state.approvedBy = actor();
      await ctx.save();
      await ctx.audit(ctx.state.phase, 'ok', `permanent delete of revoked key ${keyId} approved by ${ctx.state.approvedBy}`, 'approve');
    }
    // Asked once above: the delete phase does not ask again.
    const result = await drive(ctx, { ...options, confirm: async () => 'yes' });
    const soakOver = result.status === 'held' && result.code === 'approval-required';
    if ((result.status === 'waiting' || soakOver) && !req.delete) {
      // Revoked and replaced: the soak runs on its own; the delete is a later, explicit step (unless
      // the issuer was full and the leaked key was deleted already to make room for its replacement).
      const next = revokedKeyDeleted(ctx.state)
        ? (ctx.issuer.deactivates === false ? `the leaked key was deleted at once (${ctx.issuer.label} cannot deactivate keys)` : 'the leaked key was deleted to make room for it (the issuer was full)')
        : `delete the leaked key after ${ctx.state.deadlines.soak} with \`keyrot revoke --delete --key ${keyId} ${planArg}\``;
      options.reporter.event({ type: 'note', plan, message: `revoked ${keyId}; replacement ${ctx.state.newKeyId} published; ${next}` });
      return ctx.unfinished ? outcomeOfError(ctx.unfinished) : { status: 'done' as const };
    }
    return ctx.unfinished && result.status === 'done' ? outcomeOfError(ctx.unfinished) : result;
  });
}

/**
 * Another leaked key of the rotation in flight: revoked at once inside it; the rotation itself is not
 * driven here (its overlap, gates and confirmation are its own runs' business) and stays where it stood.
 */
async function revokeAlso(ctx: RotationContext, keyId: string): Promise<Outcome> {
  await finishAlsoRevoked(ctx);
  const { state, issuer, planArg } = ctx;
  const old = state.oldKeyId;
  const later = issuer.deactivates === false
    ? `it was deleted at once (${issuer.label} cannot deactivate keys)`
    : !old
      ? `this first rotation's delete deletes it after the soak (\`keyrot run ${planArg}\`)`
      : state.mode === 'revoke'
        ? `\`keyrot revoke --delete --key ${keyId} ${planArg}\` deletes it with ${old} after the soak`
        : `the rotation's delete deletes it with ${old} after the soak`;
  ctx.emit({ type: 'note', plan: ctx.plan.name, message: `revoked ${keyId}; the rotation in flight goes on where it stood, at ${state.phase} (${state.stage}); ${later}` });
  return ctx.unfinished ? outcomeOfError(ctx.unfinished) : { status: 'done' };
}
